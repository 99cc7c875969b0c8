package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// errorsClassText explains each class and what the administrator should do about it.
var errorsClassText = map[string][2]string{
	models.ClassTransient: {"Jira or the network failed for a moment (a timeout, a 5xx answer, maintenance).",
		"Nothing to fix: Airlock retries on its own with a growing pause. Press Retry to try again now."},
	models.ClassRateLimited: {"Jira asked Airlock to slow down (429 Too Many Requests).",
		"Nothing to fix: Airlock waits as Jira told it. If this keeps coming back, raise the sync user's rate limit in Jira, or lower the instance's calls per second."},
	models.ClassAuth: {"Jira refused the sync user's credentials (a wrong password, an expired token, or a CAPTCHA after failed logins).",
		"Airlock stopped calling this instance so the account is not locked. Fix the password or token on the instance page (after a CAPTCHA, log in once in the browser as the sync user), then press Retry."},
	models.ClassConfig: {"The configuration does not fit this Jira: a field that is not on the screen, a status with no transition path, an unknown option or permission.",
		"Fix the mapping in the connection, or add the field to the Jira screen (or the transition to the workflow), then press Retry. Only this twin waits; the others keep syncing."},
	models.ClassData: {"Jira rejected a value (too long, not allowed, or a user, version or option that does not exist there).",
		"Correct the value in the issue, or add a value map for it in the connection, then press Retry. Only this twin waits."},
	models.ClassInternal: {"An unexpected failure inside Airlock.",
		"It was retried a few times and then the twin was put aside. Press Retry once; if it comes back, report it with the request and response below."},
}

// errorShow renders one sync error with its request and response excerpt, its twin,
// connection and instance, and what to do.
func (s *Server) errorShow(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := errorsParseID(c, "error")
	if err != nil {
		return err
	}
	var e models.SyncError
	q := s.db.WithContext(ctx).Limit(1).Find(&e, id)
	if q.Error != nil {
		return fmt.Errorf("load error %d: %w", id, q.Error)
	}
	if q.RowsAffected == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "This error does not exist (any more).")
	}
	help, ok := errorsClassText[e.Class]
	if !ok {
		help = errorsClassText[models.ClassInternal]
	}
	d := views.ErrorDetail{ID: e.ID, Class: e.Class, ClassHelp: help[0], Advice: help[1], Message: e.Message,
		Request: e.Request, Response: e.Response, Attempts: e.Attempts, FirstSeen: e.FirstSeen, LastSeen: e.LastSeen,
		TaskType: e.TaskType, TaskID: e.TaskID, ResolvedAt: e.ResolvedAt, Resolution: e.Resolution,
		RetryURL: s.e.Reverse(RouteErrorRetry, e.ID), DismissURL: s.e.Reverse(RouteErrorDismiss, e.ID),
		ListURL: s.url(RouteErrors), CanRetry: s.engine != nil}
	same := errorsFilter{Class: e.Class, Connection: errorsNoConnection}
	connID := e.ConnectionID
	if e.TwinID != nil {
		var tw models.Twin
		if s.db.WithContext(ctx).Limit(1).Find(&tw, *e.TwinID).RowsAffected > 0 {
			d.Twin = views.ErrorsLink{Label: twinLabel(tw.LocalKey, tw.RemoteKey), URL: s.errorsTwinURL(tw.ID, firstNonEmpty(tw.LocalKey, tw.RemoteKey))}
			if connID == nil {
				connID = &tw.ConnectionID
			}
			var conn models.Connection
			if s.db.WithContext(ctx).Limit(1).Find(&conn, tw.ConnectionID).RowsAffected > 0 {
				bases, err := s.errorsBaseURLs(c, conn.LocalInstanceID, conn.RemoteInstanceID)
				if err != nil {
					return err
				}
				if tw.LocalKey != "" {
					d.LocalIssue = views.ErrorsLink{Label: tw.LocalKey, URL: errorsBrowseURL(bases[conn.LocalInstanceID], tw.LocalKey)}
				}
				if tw.RemoteKey != "" {
					d.RemoteIssue = views.ErrorsLink{Label: tw.RemoteKey, URL: errorsBrowseURL(bases[conn.RemoteInstanceID], tw.RemoteKey)}
				}
			}
		} else {
			d.Twin = views.ErrorsLink{Label: fmt.Sprintf("#%d (removed)", *e.TwinID)}
		}
	}
	if connID != nil {
		names, err := s.connectionNames(ctx)
		if err != nil {
			return err
		}
		d.Connection = views.ErrorsLink{Label: nameOr(names, *connID), URL: s.errorsRouteOr(s.url(RouteConnections), "connections.show", *connID)}
		if e.ConnectionID != nil {
			same.Connection = strconv.FormatUint(uint64(*e.ConnectionID), 10)
		}
	}
	if e.InstanceID != nil {
		names, err := s.instanceNames(ctx)
		if err != nil {
			return err
		}
		d.Instance = views.ErrorsLink{Label: nameOr(names, *e.InstanceID), URL: s.errorsRouteOr(s.url(RouteInstances), "instances.edit", *e.InstanceID)}
	}
	d.SameGroupURL = s.errorsListURL(same.values(1))
	s.errorSkipOffer(ctx, &e, &d)
	return Render(c, http.StatusOK, views.ErrorShow(s.page(c, fmt.Sprintf("Error #%d", e.ID), RouteErrors), d))
}

// errorsBaseURLs maps instance ids to base URLs (for links into Jira).
func (s *Server) errorsBaseURLs(c echo.Context, ids ...uint) (map[uint]string, error) {
	var rows []models.Instance
	if err := s.db.WithContext(c.Request().Context()).Select("id", "base_url").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load instances: %w", err)
	}
	m := make(map[uint]string, len(rows))
	for _, r := range rows {
		m[r.ID] = r.BaseURL
	}
	return m, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
