package web

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinPageSize is the rows per page of the twins and activity lists.
const twinPageSize = 50

// twinStates are the twin states in the order the filter offers them.
var twinStates = []string{models.TwinActive, models.TwinPendingCreate, models.TwinQuarantined, models.TwinUnlinked}

// twinURL is the twin page of id.
func (s *Server) twinURL(id uint) string {
	return s.e.Reverse(RouteTwin, strconv.FormatUint(uint64(id), 10))
}

// twinBrowseURL links into Jira: <base>/browse/<KEY>; "" without a key.
func twinBrowseURL(base, key string) string {
	if key == "" || base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/browse/" + url.PathEscape(key)
}

// twinParseID reads a positive id from a path or query value.
func twinParseID(v string) (uint, bool) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint(n), true
}

// twinConnInfo is what lists need of a connection: its name and both instances' base URLs.
type twinConnInfo struct {
	name              string
	localBase, remote string
}

// twinConnections maps every connection (a node has a handful) to its name and base URLs.
func (s *Server) twinConnections(ctx context.Context) (map[uint]twinConnInfo, []views.TwinOption, error) {
	var conns []models.Connection
	if err := s.db.WithContext(ctx).Select("id", "name", "local_instance_id", "remote_instance_id").Order("name").Find(&conns).Error; err != nil {
		return nil, nil, fmt.Errorf("list connections: %w", err)
	}
	var insts []models.Instance
	if err := s.db.WithContext(ctx).Select("id", "base_url").Find(&insts).Error; err != nil {
		return nil, nil, fmt.Errorf("list instances: %w", err)
	}
	base := make(map[uint]string, len(insts))
	for _, in := range insts {
		base[in.ID] = in.BaseURL
	}
	m := make(map[uint]twinConnInfo, len(conns))
	opts := make([]views.TwinOption, 0, len(conns))
	for _, c := range conns {
		m[c.ID] = twinConnInfo{name: c.Name, localBase: base[c.LocalInstanceID], remote: base[c.RemoteInstanceID]}
		opts = append(opts, views.TwinOption{Value: strconv.FormatUint(uint64(c.ID), 10), Label: c.Name})
	}
	return m, opts, nil
}

// twinPager computes the paging line of a list and its links, keeping the other query values.
func twinPager(base string, q url.Values, page int, total int64) views.TwinsPager {
	pages := int((total + twinPageSize - 1) / twinPageSize)
	if pages < 1 {
		pages = 1
	}
	page = min(max(page, 1), pages)
	p := views.TwinsPager{Page: page, Pages: pages, Total: total}
	if total > 0 {
		p.From = (page-1)*twinPageSize + 1
		p.To = min(page*twinPageSize, int(total))
	}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "page" && len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if page < pages {
		p.NextURL = link(page + 1)
	}
	return p
}

// twinPageParam reads ?page=, 1 when absent or wrong.
func twinPageParam(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// twinFilter is the twins list's filter, validated.
type twinFilter struct {
	q          string // upper-cased key or the beginning of one
	postgres   bool   // the database is Postgres (prefix search compares in the "C" collation)
	state      string
	connection uint
}

// apply adds the filter's conditions; exact restricts q to whole keys.
func (f twinFilter) apply(q *gorm.DB, exact bool) *gorm.DB {
	if f.q != "" {
		if exact {
			q = q.Where("local_key = ? OR remote_key = ?", f.q, f.q)
		} else {
			// Keys starting with q, as a range on the key indexes: a LIKE with a leading wildcard
			// would read every twin. Postgres compares in the "C" collation (byte order), which
			// its expression indexes (migration 4) serve.
			lo, hi := f.q, f.q+"\uffff"
			col := func(c string) string { return c }
			if f.postgres {
				col = func(c string) string { return c + ` COLLATE "C"` }
			}
			q = q.Where("("+col("local_key")+" >= ? AND "+col("local_key")+" < ?) OR ("+col("remote_key")+" >= ? AND "+col("remote_key")+" < ?)", lo, hi, lo, hi)
		}
	}
	if f.state != "" {
		q = q.Where("state = ?", f.state)
	}
	if f.connection != 0 {
		q = q.Where("connection_id = ?", f.connection)
	}
	return q
}

// twinCount counts the rows of a prepared query.
func twinCount(q *gorm.DB) (int64, error) {
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, err
	}
	return n, nil
}
