package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
	"github.com/airlock-sync/airlock/views"
)

// Route names of the sealing identity rotation (issue 15): a confirmation page, then the POST.
const (
	RouteSealRotateConfirm = "settings.seal.rotate.confirm"
	RouteSealRotate        = "settings.seal.rotate"
)

// sealSettingsRoutes is the rotation of this node's sealing identity (admin only: roles deny
// unsafe requests by default and "confirm" marks the page as configuration).
func (s *Server) sealSettingsRoutes() []route {
	return []route{
		{http.MethodGet, "/settings/seal/rotate", RouteSealRotateConfirm, false, s.sealRotateConfirm, nil},
		{http.MethodPost, "/settings/seal/rotate", RouteSealRotate, false, s.sealRotate, nil},
	}
}

func sealKeyOf(r *models.NodeIdentity) views.SealKey {
	k := views.SealKey{Fingerprint: r.Fingerprint, Public: r.Public, Created: sealTime(r.CreatedAt)}
	if r.RetiredAt != nil {
		k.Retired = sealTime(*r.RetiredAt)
	}
	return k
}

// sealKeys reads the public half of the node's sealing identities for the Settings page.
func (s *Server) sealKeys(ctx context.Context) views.SealKeys {
	d := views.SealKeys{RotateURL: s.url(RouteSealRotateConfirm)}
	var rows []models.NodeIdentity
	if err := s.db.WithContext(ctx).Select("id", "public", "fingerprint", "state", "created_at", "retired_at").
		Order("id DESC").Find(&rows).Error; err != nil {
		s.log.Warn("cannot read the sealing identities", "err", err)
		return d
	}
	for i := range rows {
		k := sealKeyOf(&rows[i])
		switch {
		case d.Current == nil && rows[i].State == models.IdentityCurrent:
			d.Current = &k
		case rows[i].State == models.IdentityRetired:
			d.Retired = append(d.Retired, k)
		default:
			d.Previous = append(d.Previous, k)
		}
	}
	return d
}

func (s *Server) sealRotateView(ctx context.Context) (views.SealRotateData, error) {
	d := views.SealRotateData{Action: s.url(RouteSealRotate), CancelURL: s.url(RouteSettings),
		Overlap: fmt.Sprintf("%d days", int(seal.DefaultOverlap/(24*time.Hour)))}
	cur, err := s.db.CurrentIdentity(ctx)
	if err != nil {
		return d, err
	}
	if cur != nil {
		k := sealKeyOf(cur)
		d.Current = &k
	}
	return d, nil
}

func (s *Server) sealRotateConfirm(c echo.Context) error {
	d, err := s.sealRotateView(c.Request().Context())
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.SealRotatePage(s.page(c, "Rotate the sealing identity", RouteSettings), d))
}

// sealRotate makes a new current identity; the old one stays previous until its overlap ends.
func (s *Server) sealRotate(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := engine.RotateSealIdentity(ctx, s.db, s.sealer)
	if err != nil {
		d, verr := s.sealRotateView(ctx)
		if verr != nil {
			return verr
		}
		d.Error = "The identity was not rotated: " + err.Error()
		return Render(c, http.StatusUnprocessableEntity, views.SealRotatePage(s.page(c, "Rotate the sealing identity", RouteSettings), d))
	}
	s.log.Info("sealing identity rotated", "fingerprint", n.Fingerprint, "user", userName(c))
	if s.engine != nil {
		// Rewrite this node's state slots under the new identity before the overlap ends.
		go func(eng *engine.Engine) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			done, err := eng.Reseal(ctx)
			if err != nil {
				s.log.Warn("resealing after the rotation is incomplete (the next start tries again)", "resealed", done, "err", err)
				return
			}
			s.log.Info("sealed issues resealed under the new identity", "issues", done)
		}(s.engine)
	}
	s.flash(c, views.FlashSuccess, "This node's sealing identity was rotated: the new fingerprint is "+n.Fingerprint+
		". Partner nodes learn it from the announcement attached to this node's envelopes; read it to their administrators all the same.")
	return c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
}
