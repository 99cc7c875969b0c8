package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// connectionParam loads the connection named by the :id path parameter; an unknown id is a 404.
func (s *Server) connectionParam(c echo.Context) (*models.Connection, error) {
	id, err := pathID(c, "There is no such connection.")
	if err != nil {
		return nil, err
	}
	return s.connectionByID(c.Request().Context(), id)
}

// connectionByID loads one connection; an unknown id is a 404.
func (s *Server) connectionByID(ctx context.Context, id uint) (*models.Connection, error) {
	var cn models.Connection
	if err := s.db.WithContext(ctx).First(&cn, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, echo.NewHTTPError(http.StatusNotFound, "There is no such connection. It may have been deleted.")
		}
		return nil, fmt.Errorf("load connection %d: %w", id, err)
	}
	return &cn, nil
}

// connectionInstances loads both instances of a connection (local, remote); a missing one is
// an error the page reports.
func (s *Server) connectionInstances(ctx context.Context, cn *models.Connection) (local, remote *models.Instance, err error) {
	var insts []models.Instance
	if err := s.db.WithContext(ctx).Where("id IN ?", []uint{cn.LocalInstanceID, cn.RemoteInstanceID}).Find(&insts).Error; err != nil {
		return nil, nil, fmt.Errorf("load instances of connection %s: %w", cn.Name, err)
	}
	for i := range insts {
		if insts[i].ID == cn.LocalInstanceID {
			local = &insts[i]
		}
		if insts[i].ID == cn.RemoteInstanceID {
			remote = &insts[i]
		}
	}
	if local == nil || remote == nil {
		return nil, nil, fmt.Errorf("connection %s: an instance is missing", cn.Name)
	}
	return local, remote, nil
}

// connURL is the URL of a connection route with its id.
func (s *Server) connURL(name string, id uint) string { return s.e.Reverse(name, id) }

// connFiltered is a list page (twins, errors) filtered to one connection.
func (s *Server) connFiltered(route string, id uint) string {
	return s.url(route) + "?connection=" + strconv.FormatUint(uint64(id), 10)
}

// connNav is the tab strip of a connection's pages.
func (s *Server) connNav(cn *models.Connection, active string) views.ConnectionNav {
	return views.ConnectionNav{Name: cn.Name, Active: active, Paused: cn.Paused, Draft: cn.Draft,
		Overview: s.connURL(RouteConnectionShow, cn.ID), Scope: s.connURL(RouteConnectionScope, cn.ID),
		Mapping: s.connURL(RouteConnectionMapping, cn.ID), Preview: s.connURL(RouteConnectionPreview, cn.ID)}
}

// browseURL links an issue or project in Jira.
func browseURL(base, key string) string {
	if base == "" || key == "" {
		return ""
	}
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + "/browse/" + key
}
