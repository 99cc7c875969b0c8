package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
)

// auditedPages are GET routes that are actions in their own right (a download of the
// configuration), audited like a button press.
var auditedPages = map[string]bool{RouteSettingsExport: true}

// auditTargets are the rows whose columns an audit entry records before and after the action,
// by the first part of the route's path. Secret columns are never recorded (auditColumns).
var auditTargets = map[string]struct {
	noun string
	load func(ctx context.Context, db *models.DB, id uint) (any, error)
}{
	"connections": {"connection", loadAuditRow[models.Connection]},
	"instances":   {"instance", loadAuditRow[models.Instance]},
	"settings":    {"user", loadAuditRow[models.User]}, // /settings/users/:id
}

// auditNouns name the :id of the other areas for the entry's target.
var auditNouns = map[string]string{"errors": "error", "twins": "twin", "conflicts": "conflict", "bulk": "bulk job"}

func loadAuditRow[T any](ctx context.Context, db *models.DB, id uint) (any, error) {
	var row T
	if err := db.WithContext(ctx).First(&row, id).Error; err != nil {
		return nil, err
	}
	return &row, nil
}

// secretColumn matches the columns that hold or lead to a credential.
var secretColumn = regexp.MustCompile(`(?i)secret|password|passwd|token|enc$|hash`)

// auditColumns flattens a row into its recordable columns: no secrets, no bookkeeping times.
func auditColumns(row any) map[string]any {
	out := map[string]any{}
	v := reflect.ValueOf(row)
	if !v.IsValid() || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return out
	}
	v = reflect.Indirect(v)
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || secretColumn.MatchString(f.Name) || f.Name == "UpdatedAt" || f.Name == "CreatedAt" {
			continue
		}
		out[f.Name] = v.Field(i).Interface()
	}
	return out
}

// auditDiff returns {"column": [before, after]} for the columns that differ.
func auditDiff(before, after any) map[string][2]any {
	b, a := auditColumns(before), auditColumns(after)
	out := map[string][2]any{}
	for k, bv := range b {
		if av, ok := a[k]; !ok || !reflect.DeepEqual(bv, av) {
			out[k] = [2]any{bv, a[k]}
		}
	}
	for k, av := range a {
		if _, ok := b[k]; !ok {
			out[k] = [2]any{nil, av}
		}
	}
	return out
}

// audit records every unsafe request of the route (and the audited pages) after its handler:
// who, when, what, the outcome, and for configuration rows the changed columns. It runs after
// requireSession and before requireRole, so refused operator attempts are recorded too. A
// failure to record is logged; it never changes the answer.
func (s *Server) audit(name, path string) echo.MiddlewareFunc {
	area, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	target, hasTarget := auditTargets[area]
	hasID := strings.Contains(path, "/:id")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !unsafeMethod(c.Request().Method) && !auditedPages[name] {
				// A page refused by the role is an attempt worth recording; other reads are not.
				err := next(c)
				if errors.Is(err, errAdminOnly) {
					s.writeAudit(c, models.AuditEntry{Status: http.StatusForbidden, Target: s.auditTarget(c, area, 0)}, name)
				}
				return err
			}
			var id uint
			if hasID {
				n, _ := strconv.ParseUint(c.Param("id"), 10, 64)
				id = uint(n)
			}
			ctx := context.WithoutCancel(c.Request().Context())
			var before any
			if hasTarget && id > 0 {
				before, _ = target.load(ctx, s.db, id)
			}
			// Read the user first: logout ends the session and login starts one.
			u := currentUser(c)
			err := next(c)
			entry := models.AuditEntry{}
			entry.Status = c.Response().Status
			if err != nil {
				entry.Status, _, _ = classify(err)
			}
			entry.Target = s.auditTarget(c, area, id)
			if hasTarget && id > 0 && before != nil {
				after, aerr := target.load(ctx, s.db, id)
				if aerr != nil {
					after = nil
				}
				if d := auditDiff(before, after); len(d) > 0 {
					if js, jerr := json.Marshal(d); jerr == nil {
						entry.Changes = string(js)
					}
				}
			}
			if u != nil {
				entry.UserID, entry.Username, entry.Role = &u.ID, u.Username, u.Role()
			}
			s.writeAudit(c, entry, name)
			return err
		}
	}
}

// writeAudit completes the entry from the request (time, method, route, path, address, and the
// user when the entry has none) and stores it; a failure is logged, never answered.
func (s *Server) writeAudit(c echo.Context, entry models.AuditEntry, name string) {
	entry.At, entry.Method, entry.Route, entry.Path, entry.IP = time.Now().UTC(), c.Request().Method, name, c.Request().URL.Path, c.RealIP()
	if u := currentUser(c); entry.UserID == nil && u != nil {
		entry.UserID, entry.Username, entry.Role = &u.ID, u.Username, u.Role()
	}
	if name == RouteLoginSubmit {
		entry.UserID, entry.Role = nil, ""
		entry.Username = auditLoginName(c.FormValue("username"))
	}
	if err := s.db.WithContext(context.WithoutCancel(c.Request().Context())).Create(&entry).Error; err != nil {
		s.log.Error("audit entry not written", "route", name, "user", entry.Username, "err", err)
	}
}

// auditTarget names the row of the request: its :id, or the row a create redirected to.
func (s *Server) auditTarget(c echo.Context, area string, id uint) string {
	noun := auditNouns[area]
	if t, ok := auditTargets[area]; ok {
		noun = t.noun
	}
	if noun == "" {
		return ""
	}
	if id > 0 {
		return noun + " " + strconv.FormatUint(uint64(id), 10)
	}
	// A create answers 303 to the new row's page: /connections/7 or /connections/7/mapping.
	if c.Response().Status == http.StatusSeeOther {
		loc := strings.TrimPrefix(c.Response().Header().Get(echo.HeaderLocation), "/"+area+"/")
		digits, _, _ := strings.Cut(loc, "/")
		if n, err := strconv.ParseUint(digits, 10, 64); err == nil && n > 0 {
			return noun + " " + digits
		}
	}
	return ""
}

// auditLoginName is the user name a login attempt gave, bounded like the limiter's key.
func auditLoginName(u string) string {
	u = strings.TrimSpace(u)
	if len(u) > 64 {
		u = u[:64]
	}
	return u
}

// errAuditNotFound is the 404 of an unknown audit entry.
var errAuditNotFound = echo.NewHTTPError(http.StatusNotFound, "There is no such audit entry.")
