package web

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
)

// errorsPageSize is how many errors one page of the list shows.
const errorsPageSize = 50

// errorsNoConnection is the connection filter value of errors that belong to no connection
// (instance-level or node-level failures).
const errorsNoConnection = "none"

// errorsFilter is the Errors list's filter, read from the query (or a retry-all form).
type errorsFilter struct {
	Resolved bool
	Class    string
	// Connection is the raw value: a connection id, errorsNoConnection, or "".
	Connection string
	connID     uint
	// Twin is the raw value: a twin id or an issue key; twinIDs are the twins it names.
	Twin    string
	twinIDs []uint
	// TwinProblem says why a twin filter matched nothing.
	TwinProblem string
	Page        int
}

var errorClasses = []string{models.ClassConfig, models.ClassData, models.ClassAuth, models.ClassInternal,
	models.ClassTransient, models.ClassRateLimited}

// errorsReadFilter reads and resolves the filter; unknown values are dropped, a twin key that
// names no twin is kept with a problem text.
func (s *Server) errorsReadFilter(ctx context.Context, get func(string) string) (errorsFilter, error) {
	f := errorsFilter{Resolved: get("show") == "resolved", Page: 1}
	if cl := strings.TrimSpace(get("class")); cl != "" {
		for _, k := range errorClasses {
			if k == cl {
				f.Class = cl
			}
		}
	}
	switch cn := strings.TrimSpace(get("connection")); {
	case cn == errorsNoConnection:
		f.Connection = cn
	case cn != "":
		if id, err := strconv.ParseUint(cn, 10, 64); err == nil && id > 0 {
			f.Connection, f.connID = cn, uint(id)
		}
	}
	if p, err := strconv.Atoi(get("page")); err == nil && p > 1 {
		f.Page = p
	}
	tw := strings.TrimSpace(get("twin"))
	if tw == "" {
		return f, nil
	}
	f.Twin = tw
	if id, err := strconv.ParseUint(strings.TrimPrefix(tw, "#"), 10, 64); err == nil {
		f.twinIDs = []uint{uint(id)}
		return f, nil
	}
	if err := s.db.WithContext(ctx).Model(&models.Twin{}).Where("local_key = ? OR remote_key = ?", strings.ToUpper(tw), strings.ToUpper(tw)).
		Limit(50).Pluck("id", &f.twinIDs).Error; err != nil {
		return f, fmt.Errorf("find twins of %s: %w", tw, err)
	}
	if len(f.twinIDs) == 0 {
		f.TwinProblem = fmt.Sprintf("No twin holds the issue %s. Type a key such as OPS-12, or a twin number.", tw)
	}
	return f, nil
}

// filtered reports whether any filter beyond open/resolved is set.
func (f errorsFilter) filtered() bool { return f.Class != "" || f.Connection != "" || f.Twin != "" }

// scope applies the filter (without paging) to a SyncError query.
func (f errorsFilter) scope(q *gorm.DB) *gorm.DB {
	if f.Resolved {
		q = q.Where("resolved_at IS NOT NULL")
	} else {
		q = q.Where("resolved_at IS NULL")
	}
	if f.Class != "" {
		q = q.Where("class = ?", f.Class)
	}
	switch {
	case f.Connection == errorsNoConnection:
		q = q.Where("connection_id IS NULL")
	case f.connID != 0:
		// A connection's errors include those of its instances that belong to no one connection
		// (the one auth error of a blocked instance), as its counts on the dashboard do.
		q = q.Where("connection_id = ? OR (connection_id IS NULL AND twin_id IS NULL AND (instance_id IN (SELECT local_instance_id FROM connections WHERE id = ?) OR instance_id IN (SELECT remote_instance_id FROM connections WHERE id = ?)))",
			f.connID, f.connID, f.connID)
	}
	if f.Twin != "" {
		if len(f.twinIDs) == 0 {
			q = q.Where("1 = 0")
		} else {
			q = q.Where("twin_id IN ?", f.twinIDs)
		}
	}
	return q
}

// values encodes the filter as a query string (page > 1 included).
func (f errorsFilter) values(page int) url.Values {
	v := url.Values{}
	if f.Resolved {
		v.Set("show", "resolved")
	}
	if f.Class != "" {
		v.Set("class", f.Class)
	}
	if f.Connection != "" {
		v.Set("connection", f.Connection)
	}
	if f.Twin != "" {
		v.Set("twin", f.Twin)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// errorsListURL is the Errors list with a query.
func (s *Server) errorsListURL(v url.Values) string {
	u := s.url(RouteErrors)
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// errorsGroup is one row of the grouping query.
type errorsGroup struct {
	Class        string
	ConnectionID *uint
	N            int64
	Last         time.Time
}

// errorsGroups counts open (or resolved) errors by class and connection, largest first.
func (s *Server) errorsGroups(ctx context.Context, resolved bool) ([]errorsGroup, error) {
	var rows []struct {
		Class        string
		ConnectionID *uint
		N            int64
		Last         string
	}
	q := s.db.WithContext(ctx).Model(&models.SyncError{}).Select("class, connection_id, COUNT(*) AS n, MAX(last_seen) AS last")
	q = errorsFilter{Resolved: resolved}.scope(q)
	if err := q.Group("class, connection_id").Order("n DESC, class").Limit(200).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("group errors: %w", err)
	}
	out := make([]errorsGroup, 0, len(rows))
	for _, r := range rows {
		out = append(out, errorsGroup{Class: r.Class, ConnectionID: r.ConnectionID, N: r.N, Last: errorsParseTime(r.Last)})
	}
	return out, nil
}

// errorsParseTime reads MAX(last_seen), which SQLite returns as text and Postgres as a timestamp
// (scanned into a string by the driver in RFC 3339 form).
func errorsParseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// errorsParseID reads the :id parameter; a malformed id is a 404 like a missing one.
func errorsParseID(c echo.Context, what string) (uint, error) {
	return pathID(c, "There is no "+what+" at this address.")
}

// errorsRouteOr returns the URL of a named route with params, or fallback when no route has that
// name (areas are built independently; a link degrades to the list instead of breaking).
func (s *Server) errorsRouteOr(fallback, name string, params ...any) string {
	for _, r := range s.routes {
		if r.Name == name {
			return s.e.Reverse(name, params...)
		}
	}
	return fallback
}

// twinURL is the twin's page, or the twin list filtered by its key.
func (s *Server) errorsTwinURL(id uint, key string) string {
	fallback := s.url(RouteTwins)
	if key != "" {
		fallback += "?" + url.Values{"q": {key}}.Encode()
	}
	return s.errorsRouteOr(fallback, "twins.show", id)
}

// errorsBrowseURL is an issue's page in Jira.
func errorsBrowseURL(base, key string) string {
	if base == "" || key == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/browse/" + url.PathEscape(key)
}

// errorsBack returns a local URL under the list's path from a form's back field, else the list.
func (s *Server) errorsBack(c echo.Context, listRoute string) string {
	list := s.url(listRoute)
	b := safeNext(c.FormValue("back"))
	if b == "" || !strings.HasPrefix(b, list) {
		return list
	}
	return b
}
