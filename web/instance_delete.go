package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// instanceDeleteShow asks for confirmation, or explains which connections stop the delete.
func (s *Server) instanceDeleteShow(c echo.Context) error {
	inst, err := s.loadInstance(c)
	if err != nil {
		return err
	}
	used, err := s.instanceConnections(c.Request().Context())
	if err != nil {
		return err
	}
	d := views.InstanceDelete{Name: inst.Name, Connections: used[inst.ID], Action: s.urlID(RouteInstanceDelete, inst.ID),
		CancelURL: s.url(RouteInstances), ConnectionsURL: s.url(RouteConnections)}
	var conns []models.Connection
	if err := s.db.WithContext(c.Request().Context()).Select("id", "name").Where("local_instance_id = ? OR remote_instance_id = ?", inst.ID, inst.ID).
		Order("name").Find(&conns).Error; err != nil {
		return fmt.Errorf("list connections of instance %s: %w", inst.Name, err)
	}
	for _, cn := range conns {
		d.Links = append(d.Links, views.InstanceConnLink{Name: cn.Name, ShowURL: s.connURL(RouteConnectionShow, cn.ID),
			DeleteURL: s.connURL(RouteConnectionDelete, cn.ID)})
	}
	return Render(c, http.StatusOK, views.InstanceDeletePage(s.page(c, "Delete "+inst.Name, RouteInstances), d))
}

// instanceDelete removes an instance no connection uses.
func (s *Server) instanceDelete(c echo.Context) error {
	inst, err := s.loadInstance(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	used, err := s.instanceConnections(ctx)
	if err != nil {
		return err
	}
	if conns := used[inst.ID]; len(conns) > 0 {
		s.flash(c, views.FlashError, fmt.Sprintf("%s was not deleted: %d connection(s) use it. Delete or change them first.", inst.Name, len(conns)))
		return c.Redirect(http.StatusSeeOther, s.urlID(RouteInstanceDeleteShow, inst.ID))
	}
	if err := s.db.WithContext(ctx).Delete(&models.Instance{}, inst.ID).Error; err != nil {
		return fmt.Errorf("delete instance %s: %w", inst.Name, err)
	}
	s.log.Info("instance deleted", "instance", inst.Name, "user", currentUserName(c))
	s.flash(c, views.FlashSuccess, fmt.Sprintf("Deleted %s.", inst.Name))
	return c.Redirect(http.StatusSeeOther, s.url(RouteInstances))
}
