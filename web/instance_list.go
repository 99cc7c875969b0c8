package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// instanceList renders the Jira instances with their health and actions, or the empty state.
func (s *Server) instanceList(c echo.Context) error {
	ctx := c.Request().Context()
	var insts []models.Instance
	if err := s.db.WithContext(ctx).Order("name").Limit(listLimit).Find(&insts).Error; err != nil {
		return fmt.Errorf("list instances: %w", err)
	}
	used, err := s.instanceConnections(ctx)
	if err != nil {
		return err
	}
	d := views.InstanceList{NewURL: s.url(RouteInstanceNew)}
	for i := range insts {
		d.Items = append(d.Items, s.instanceItem(&insts[i], used[insts[i].ID]))
	}
	return Render(c, http.StatusOK, views.Instances(s.page(c, "Instances", RouteInstances), d))
}

// instanceItem is the list view of one instance (never its secret).
func (s *Server) instanceItem(i *models.Instance, conns []string) views.InstanceItem {
	return views.InstanceItem{
		ID: i.ID, Name: i.Name, BaseURL: i.BaseURL, Role: i.Role, AuthType: i.AuthType, Username: i.Username,
		TimeZone: i.TimeZone, JiraVersion: i.JiraVersion, HasSecret: len(i.SecretEnc) > 0,
		LastOKAt: i.LastOKAt, LastError: i.LastError, LastErrorAt: i.LastErrorAt,
		ConsecutiveErrors: i.ConsecutiveErrors, AuthBlocked: i.AuthBlocked, Connections: conns,
		EditURL:   s.urlID(RouteInstanceEdit, i.ID),
		DeleteURL: s.urlID(RouteInstanceDeleteShow, i.ID),
		TestURL:   s.urlID(RouteInstanceTest, i.ID),
		ResumeURL: s.urlID(RouteInstanceResume, i.ID),
	}
}

// urlID is the path of a named route with one :id parameter.
func (s *Server) urlID(name string, id uint) string {
	return s.e.Reverse(name, strconv.FormatUint(uint64(id), 10))
}

// loadInstance reads the instance of the :id parameter; a bad or unknown id is a 404.
func (s *Server) loadInstance(c echo.Context) (*models.Instance, error) {
	return loadRow[models.Instance](s, c, "There is no such Jira instance. It may have been deleted.")
}

// instanceConnections maps instance ids to the names of the connections that use them.
func (s *Server) instanceConnections(ctx context.Context) (map[uint][]string, error) {
	var conns []models.Connection
	if err := s.db.WithContext(ctx).Select("id", "name", "local_instance_id", "remote_instance_id").Order("name").Find(&conns).Error; err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	m := map[uint][]string{}
	for _, c := range conns {
		m[c.LocalInstanceID] = append(m[c.LocalInstanceID], c.Name)
		if c.RemoteInstanceID != c.LocalInstanceID {
			m[c.RemoteInstanceID] = append(m[c.RemoteInstanceID], c.Name)
		}
	}
	return m, nil
}
