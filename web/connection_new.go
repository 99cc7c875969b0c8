package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// connectionNew shows the guided setup. With two instances, the private one is proposed as
// the local side and the relay as the remote side.
func (s *Server) connectionNew(c echo.Context) error {
	ctx := c.Request().Context()
	in := scopeInput{PollSeconds: strconv.Itoa(defaultPollSeconds)}
	in.Sides[0].Side, in.Sides[1].Side = models.SideLocal, models.SideRemote
	var insts []models.Instance
	if err := s.db.WithContext(ctx).Order("name").Find(&insts).Error; err != nil {
		return fmt.Errorf("list instances: %w", err)
	}
	for _, inst := range insts {
		id := strconv.FormatUint(uint64(inst.ID), 10)
		if inst.Role == models.RoleRelay && in.Sides[1].InstanceID == "" {
			in.Sides[1].InstanceID = id
		}
		if inst.Role != models.RoleRelay && in.Sides[0].InstanceID == "" {
			in.Sides[0].InstanceID = id
		}
	}
	st, err := s.loadScope(ctx, in)
	if err != nil {
		return err
	}
	return s.renderNew(c, http.StatusOK, st, nil)
}

func (s *Server) renderNew(c echo.Context, status int, st *scopeState, errs map[string]string) error {
	f := s.scopeForm(st, 0, errs)
	f.Action, f.CancelURL = s.url(RouteConnectionCreate), s.url(RouteConnections)
	return Render(c, status, views.ConnectionNew(s.page(c, "New connection", RouteConnections), f))
}

// connectionCreate validates the guided setup against the database and both Jiras, and stores
// the connection with the default rules; step 2 is the mapping editor.
func (s *Server) connectionCreate(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := readScope(c)
	if err != nil {
		return err
	}
	st, err := s.loadScope(ctx, in)
	if err != nil {
		return err
	}
	errs, pollMS, err := s.validateScope(ctx, st, 0)
	if err != nil {
		return err
	}
	errs = formLimitErrors(c, errs)
	if len(errs) > 0 {
		return s.renderNew(c, http.StatusUnprocessableEntity, st, errs)
	}
	defaults, err := json.Marshal(engine.DefaultRules())
	if err != nil {
		return fmt.Errorf("encode default rules: %w", err)
	}
	rules, err := withCommentOptions(string(defaults), in.Comments)
	if err != nil {
		return err
	}
	// A new connection is a draft: it syncs nothing until activated after the mapping step.
	cn := models.Connection{Rules: rules, ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore, Draft: true}
	st.apply(&cn, pollMS)
	if err := s.db.WithContext(ctx).Create(&cn).Error; err != nil {
		return fmt.Errorf("create connection %s: %w", cn.Name, err)
	}
	s.log.Info("connection created", "connection", cn.Name, "id", cn.ID, "user", userName(c))
	s.flash(c, views.FlashSuccess, fmt.Sprintf("Connection %s created as a draft: it syncs nothing yet. Step 2: check which fields are shared and how their values map, save, then activate it from its overview.", cn.Name))
	return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionMapping, cn.ID))
}

// userName is the logged-in user's name for logs.
func userName(c echo.Context) string {
	if u := currentUser(c); u != nil {
		return u.Username
	}
	return ""
}
