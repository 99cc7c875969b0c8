package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// activityKinds are the event kinds the engine records, in the order the filter offers them.
var activityKinds = []string{"create", "field", "status", "comment", "attachment", "worklog", "user", "delete", "link", "issuelink"}

// activityFilter is the Activity page's filter, validated; the CSV download uses the same.
type activityFilter struct {
	form       views.ActivityFilterView
	errs       map[string]string
	connection uint
	twinIDs    []uint // nil: any twin; empty non-nil: a key no twin holds
	byID       uint   // the twin_id parameter, when the twin page linked here
	direction  string
	kind       string
	field      string
	from, to   *time.Time
}

// activityTimeLayouts are what a datetime-local input sends, and a plain date.
var activityTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}

func activityTime(v string) (time.Time, bool) {
	for _, l := range activityTimeLayouts {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseActivityFilter reads the query; problems are kept per field for the form.
func (s *Server) parseActivityFilter(ctx context.Context, q url.Values) (activityFilter, error) {
	f := activityFilter{errs: map[string]string{}, form: views.ActivityFilterView{
		Connection: q.Get("connection"), Twin: strings.TrimSpace(q.Get("twin")), Direction: q.Get("direction"),
		Kind: q.Get("kind"), Field: strings.TrimSpace(q.Get("field")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}}
	if id, ok := twinParseID(f.form.Connection); ok {
		f.connection = id
	}
	if f.form.Direction == models.DirLocalToRemote || f.form.Direction == models.DirRemoteToLocal {
		f.direction = f.form.Direction
	}
	for _, k := range activityKinds {
		if k == f.form.Kind {
			f.kind = k
		}
	}
	f.field = f.form.Field
	if f.form.From != "" {
		if t, ok := activityTime(f.form.From); ok {
			f.from = &t
		} else {
			f.errs["from"] = "Use a date and time like 2025-01-31T14:30 (UTC)."
		}
	}
	if f.form.To != "" {
		if t, ok := activityTime(f.form.To); ok {
			if len(f.form.To) == len("2006-01-02") {
				t = t.Add(24*time.Hour - time.Nanosecond) // a whole day
			}
			f.to = &t
		} else {
			f.errs["to"] = "Use a date and time like 2025-01-31T18:00 (UTC)."
		}
	}
	if f.from != nil && f.to != nil && f.to.Before(*f.from) {
		f.errs["to"] = "The end is before the start."
	}
	if id, ok := twinParseID(q.Get("twin_id")); ok {
		f.twinIDs, f.byID = []uint{id}, id
		if f.form.Twin == "" {
			var tw models.Twin
			if s.db.WithContext(ctx).Select("id", "local_key", "remote_key").Limit(1).Find(&tw, id).RowsAffected > 0 {
				f.form.Twin = tw.LocalKey
				if f.form.Twin == "" {
					f.form.Twin = tw.RemoteKey
				}
			}
		}
	} else if f.form.Twin != "" {
		key := strings.ToUpper(f.form.Twin)
		f.twinIDs = []uint{}
		if err := s.db.WithContext(ctx).Model(&models.Twin{}).Where("local_key = ? OR remote_key = ?", key, key).
			Pluck("id", &f.twinIDs).Error; err != nil {
			return f, fmt.Errorf("find twin %s: %w", key, err)
		}
		if len(f.twinIDs) == 0 {
			f.errs["twin"] = "No twin holds the issue " + key + "."
		}
	}
	return f, nil
}

// apply adds the filter to a query on events (columns qualified, so it may join twins).
func (f activityFilter) apply(q *gorm.DB) *gorm.DB {
	if f.connection != 0 {
		q = q.Where("events.connection_id = ?", f.connection)
	}
	if f.twinIDs != nil {
		if len(f.twinIDs) == 0 {
			q = q.Where("1 = 0")
		} else {
			q = q.Where("events.twin_id IN ?", f.twinIDs)
		}
	}
	if f.direction != "" {
		q = q.Where("events.direction = ?", f.direction)
	}
	if f.kind != "" {
		q = q.Where("events.kind = ?", f.kind)
	}
	if f.field != "" {
		q = q.Where("events.field = ?", f.field)
	}
	if f.from != nil {
		q = q.Where("events.at >= ?", *f.from)
	}
	if f.to != nil {
		q = q.Where("events.at <= ?", *f.to)
	}
	return q
}

// query is the filter as URL values (for the CSV link and the pager).
func (f activityFilter) query() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"connection": f.form.Connection, "direction": f.form.Direction, "kind": f.form.Kind,
		"field": f.form.Field, "from": f.form.From, "to": f.form.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if f.byID != 0 {
		v.Set("twin_id", fmt.Sprint(f.byID))
	} else if f.form.Twin != "" {
		v.Set("twin", f.form.Twin)
	}
	return v
}
