package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// instanceList renders the Jira instances with their health, or the empty state.
func (s *Server) instanceList(c echo.Context) error {
	var insts []models.Instance
	if err := s.db.WithContext(c.Request().Context()).Order("name").Limit(listLimit).Find(&insts).Error; err != nil {
		return fmt.Errorf("list instances: %w", err)
	}
	rows := make([]views.InstanceRow, 0, len(insts))
	for _, i := range insts {
		rows = append(rows, views.InstanceRow{
			Name: i.Name, BaseURL: i.BaseURL, Role: i.Role, AuthType: i.AuthType, Username: i.Username,
			LastOKAt: i.LastOKAt, LastError: i.LastError, ConsecutiveErrors: i.ConsecutiveErrors, AuthBlocked: i.AuthBlocked,
		})
	}
	return Render(c, http.StatusOK, views.Instances(s.page(c, "Instances", RouteInstances), rows))
}
