package web

import (
	"encoding/json"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// page builds what the layout needs for this request: the user, CSRF token, navigation with
// the active entry, flashes and the embedded-queue notice.
func (s *Server) page(c echo.Context, title, active string) views.Page {
	p := views.Page{
		Title:         title,
		HomeURL:       s.url(RouteDashboard),
		LogoutURL:     s.url(RouteLogout),
		Flashes:       s.takeFlashes(c),
		EmbeddedQueue: s.queue.Embedded(),
		Version:       s.version,
		Asset:         s.assets.URL,
	}
	if msg := formLimitNotice(c); msg != "" {
		p.Flashes = append(p.Flashes, views.Flash{Kind: views.FlashError, Message: msg})
	}
	if u, sess := currentUser(c), currentSession(c); u != nil && sess != nil {
		p.User = u.Username
		p.Role = u.Role()
		p.CSRF = sess.CSRFToken
		if b, err := json.Marshal(map[string]string{csrfHeader: sess.CSRFToken}); err == nil {
			p.HXHeaders = string(b)
		}
		var blocked []models.Instance
		if err := s.db.WithContext(c.Request().Context()).Select("id", "name").Where("auth_blocked = ?", true).Order("name").
			Find(&blocked).Error; err != nil {
			s.log.Warn("cannot list blocked instances for the banner", "err", err)
		}
		for _, in := range blocked {
			p.Blocked = append(p.Blocked, views.BlockedInstance{Name: in.Name, EditURL: s.urlID(RouteInstanceEdit, in.ID)})
		}
		for _, n := range navOrder {
			p.Nav = append(p.Nav, views.NavItem{Label: n.label, URL: s.url(n.route), Name: n.route, Active: n.route == active})
		}
	}
	return p
}
