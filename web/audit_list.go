package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// auditList shows the console actions, newest first, paged, optionally of one user.
func (s *Server) auditList(c echo.Context) error {
	ctx := c.Request().Context()
	user := strings.TrimSpace(c.QueryParam("user"))
	page := twinPageParam(c.QueryParam("page"))
	// Count first, so a page beyond the end shows the last one.
	_, total, err := s.db.AuditPage(ctx, user, 0, 0)
	if err != nil {
		return err
	}
	v := views.AuditListView{User: user, ListURL: s.url(RouteAudit), BackURL: s.url(RouteSettings)}
	v.Pager = twinPager(v.ListURL, c.QueryParams(), page, total)
	entries, _, err := s.db.AuditPage(ctx, user, (v.Pager.Page-1)*twinPageSize, twinPageSize)
	if err != nil {
		return err
	}
	if v.Users, err = s.db.AuditUsers(ctx); err != nil {
		return fmt.Errorf("audit users: %w", err)
	}
	for i := range entries {
		it := s.auditItem(&entries[i])
		v.Items = append(v.Items, it)
	}
	return Render(c, http.StatusOK, views.AuditList(s.page(c, "Audit", RouteSettings), v))
}

// auditShow shows one console action with its changed columns before and after.
func (s *Server) auditShow(c echo.Context) error {
	id, err := pathID(c, "There is no such audit entry.")
	if err != nil {
		return err
	}
	var e models.AuditEntry
	err = s.db.WithContext(c.Request().Context()).First(&e, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no such audit entry.")
	}
	if err != nil {
		return fmt.Errorf("load audit entry %d: %w", id, err)
	}
	v := views.AuditDetailView{Item: s.auditItem(&e), Changes: auditChanges(e.Changes), BackURL: s.url(RouteAudit)}
	return Render(c, http.StatusOK, views.AuditDetail(s.page(c, "Console action", RouteSettings), v))
}

func (s *Server) auditItem(e *models.AuditEntry) views.AuditItem {
	it := views.AuditItem{At: e.At, Username: e.Username, Role: e.Role, IP: e.IP, Method: e.Method, Route: e.Route,
		Path: e.Path, Target: e.Target, Status: e.Status, Outcome: auditOutcome(e.Route, e.Status),
		URL: s.urlID(RouteAuditShow, e.ID)}
	if it.Username == "" {
		it.Username = "(unknown)"
	}
	cols := make([]string, 0)
	for _, ch := range auditChanges(e.Changes) {
		cols = append(cols, ch.Column)
	}
	it.Changed = strings.Join(cols, ", ")
	return it
}

// auditOutcome says in words how the action ended.
func auditOutcome(route string, status int) string {
	code := strconv.Itoa(status)
	switch {
	case route == RouteLoginSubmit && status == http.StatusSeeOther:
		return "logged in (" + code + ")"
	case route == RouteLoginSubmit && status == http.StatusTooManyRequests:
		return "throttled (" + code + ")"
	case route == RouteLoginSubmit && status < 300:
		return "wrong user name or password (" + code + ")"
	case status == http.StatusForbidden:
		return "refused (" + code + ")"
	case status == http.StatusUnprocessableEntity:
		return "form rejected (" + code + ")"
	case status >= 500:
		return "failed (" + code + ")"
	case status >= 400:
		return "refused (" + code + ")"
	}
	return "done (" + code + ")"
}

// auditChanges decodes an entry's {"column": [before, after]} into sorted rows; a JSON text
// column (the rules) is shown indented.
func auditChanges(js string) []views.AuditChange {
	if js == "" {
		return nil
	}
	var m map[string][2]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return []views.AuditChange{{Column: "(unreadable)", After: js}}
	}
	out := make([]views.AuditChange, 0, len(m))
	for col, ba := range m {
		out = append(out, views.AuditChange{Column: col, Before: auditValue(ba[0]), After: auditValue(ba[1])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Column < out[j].Column })
	return out
}

// auditValue shows one recorded value: strings as they are (JSON documents indented), the rest
// as JSON, null as "(none)".
func auditValue(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "(none)"
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return string(raw)
	}
	var doc any
	if strings.HasPrefix(strings.TrimSpace(s), "{") && json.Unmarshal([]byte(s), &doc) == nil {
		if b, err := json.MarshalIndent(doc, "", "  "); err == nil {
			return string(b)
		}
	}
	return s
}
