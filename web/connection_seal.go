package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
	"github.com/airlock-sync/airlock/views"
)

// Route names of the sealed relay page (issue 15). The page is a configuration form ("edit"),
// so it is for administrators like the mapping.
const (
	RouteConnectionSeal       = "connections.seal.edit"
	RouteConnectionSealSave   = "connections.seal.update"
	RouteConnectionSealRevoke = "connections.seal.revoke"
)

// sealRoutes is a connection's sealed relay page: this node's public key, the partner's keys,
// the Seal switch and the revocation of a partner key.
func (s *Server) sealRoutes() []route {
	return []route{
		{http.MethodGet, "/connections/:id/seal", RouteConnectionSeal, false, s.connectionSeal, nil},
		{http.MethodPost, "/connections/:id/seal", RouteConnectionSealSave, false, s.connectionSealSave, nil},
		{http.MethodPost, "/connections/:id/seal/revoke", RouteConnectionSealRevoke, false, s.connectionSealRevoke, nil},
	}
}

// sealTime is how the seal pages write a time.
func sealTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// sealKeyRows lists a keyring's keys for the page, with their state in words.
func sealKeyRows(k *seal.Keyring, now time.Time) []views.ConnSealKey {
	var out []views.ConnSealKey
	for _, key := range k.Keys {
		r := views.ConnSealKey{Fingerprint: key.Public.Fingerprint(), State: key.State, StateText: key.State,
			Added: sealTime(key.Added), Reason: key.Reason}
		switch key.State {
		case seal.StateActive:
			r.Revocable = true
		case seal.StateOverlap:
			if key.Until != nil && now.Before(*key.Until) {
				r.StateText, r.Revocable = "overlap until "+sealTime(*key.Until), true
			} else {
				r.State, r.StateText = seal.StateRetired, seal.StateRetired // past its overlap: refused
			}
		case seal.StateRevoked:
			if key.Revoked != nil {
				r.StateText = "revoked " + sealTime(*key.Revoked)
			}
		}
		out = append(out, r)
	}
	return out
}

// sealSummary is a connection's seal state for the list and the overview: this node's current
// fingerprint (own) and the partner's trusted ones.
func (s *Server) sealSummary(cn *models.Connection, relay bool, own string) views.ConnSealSummary {
	sum := views.ConnSealSummary{Relay: relay, Sealed: cn.Sealed, Own: own, URL: s.connURL(RouteConnectionSeal, cn.ID)}
	if k, err := engine.SealKeyring(cn); err == nil {
		for _, p := range k.Trusted(time.Now()) {
			sum.Partners = append(sum.Partners, p.Fingerprint())
		}
	}
	return sum
}

// ownFingerprint is this node's current sealing fingerprint ("" when it has none).
func (s *Server) ownFingerprint(ctx context.Context) string {
	cur, err := s.db.CurrentIdentity(ctx)
	if err != nil || cur == nil {
		return ""
	}
	return cur.Fingerprint
}

// sealView builds the page from the stored connection and the keyring k (the stored one, or
// the one being saved).
func (s *Server) sealView(ctx context.Context, cn *models.Connection, k *seal.Keyring) (views.ConnSealData, error) {
	_, remote, err := s.connectionInstances(ctx, cn)
	if err != nil {
		return views.ConnSealData{}, err
	}
	d := views.ConnSealData{Nav: s.connNav(cn, "overview"), Action: s.connURL(RouteConnectionSealSave, cn.ID),
		RevokeURL: s.connURL(RouteConnectionSealRevoke, cn.ID), Relay: remote.Role == models.RoleRelay, Remote: remote.Name,
		Sealed: cn.Sealed, SettingsURL: s.url(RouteSettings)}
	cur, err := s.db.CurrentIdentity(ctx)
	if err != nil {
		return d, err
	}
	if cur != nil {
		d.OwnFingerprint, d.OwnPublic = cur.Fingerprint, cur.Public
	}
	d.Keys = sealKeyRows(k, time.Now())
	if d.Twins, err = s.twinCount(ctx, cn.ID); err != nil {
		return d, err
	}
	return d, nil
}

// twinCount counts a connection's twins (every state: an unlinked twin's issues were shared too).
func (s *Server) twinCount(ctx context.Context, connID uint) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.Twin{}).Where("connection_id = ?", connID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count twins of connection %d: %w", connID, err)
	}
	return n, nil
}

func (s *Server) sealPage(c echo.Context, status int, cn *models.Connection, d views.ConnSealData) error {
	return Render(c, status, views.ConnectionSealPage(s.page(c, cn.Name+": sealed relay", RouteConnections), d))
}

func (s *Server) connectionSeal(c echo.Context) error {
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	k, err := engine.SealKeyring(cn)
	if err != nil {
		return err
	}
	d, err := s.sealView(c.Request().Context(), cn, k)
	if err != nil {
		return err
	}
	return s.sealPage(c, http.StatusOK, cn, d)
}

// parsePartnerKeys reads the pasted keys, one a line; the error names the line.
func parsePartnerKeys(text string) ([]seal.Public, error) {
	var out []seal.Public
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		p, err := seal.ParsePublic(line)
		if err != nil {
			return nil, fmt.Errorf("line %d is not a public key as the partner's console shows it (%v)", i+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// connectionSealSave adds the pasted partner keys and turns sealing on or off. Every refusal is
// a 422 with the form as it was posted and the reason in words.
func (s *Server) connectionSealSave(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	k, err := engine.SealKeyring(cn)
	if err != nil {
		return err
	}
	text := c.FormValue("partners")
	sealed := c.FormValue("sealed") != ""
	refuse := func(msg string) error {
		// The page lists the stored keys, not the ones this refused save would have added.
		stored, kerr := engine.SealKeyring(cn)
		if kerr != nil {
			return kerr
		}
		d, verr := s.sealView(ctx, cn, stored)
		if verr != nil {
			return verr
		}
		d.Partners, d.Sealed = text, sealed
		d.Error = "Nothing was saved: " + msg
		return s.sealPage(c, http.StatusUnprocessableEntity, cn, d)
	}
	_, remote, err := s.connectionInstances(ctx, cn)
	if err != nil {
		return err
	}
	if remote.Role != models.RoleRelay {
		return refuse(remote.Name + " does not have the relay role: only a connection through a relay Jira can be sealed.")
	}
	keys, err := parsePartnerKeys(text)
	if err != nil {
		return refuse(err.Error() + ".")
	}
	now := time.Now()
	for _, p := range keys {
		if err := k.Add(p, now); err != nil {
			return refuse(strings.TrimPrefix(err.Error(), "seal: ") + ".")
		}
	}
	if sealed != cn.Sealed {
		n, err := s.twinCount(ctx, cn.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			verb := "on"
			if !sealed {
				verb = "off"
			}
			return refuse(fmt.Sprintf("this connection already has %d twin(s); turning sealing %s now would mix plaintext and sealed issues on %s. Sealing is chosen before the first issue travels: make a new connection for the other mode.", n, verb, remote.Name))
		}
	}
	if sealed {
		if len(k.Trusted(now)) == 0 {
			return refuse("a sealed connection needs at least one trusted partner key: paste the partner node's public key.")
		}
		rules, err := engine.ParseRules(cn.Rules)
		if err != nil {
			return refuse("the saved rules cannot be used: " + err.Error() + ".")
		}
		if p := engine.SealedConnectionProblem(cn, &rules); p != "" {
			return refuse(p + ".")
		}
	}
	if err := engine.SetSealKeyring(cn, k); err != nil {
		return err
	}
	if err := s.db.WithContext(ctx).Model(&models.Connection{}).Where("id = ?", cn.ID).
		Updates(map[string]any{"sealed": sealed, "seal_keyring": cn.SealKeyring}).Error; err != nil {
		return fmt.Errorf("save the sealing of connection %d: %w", cn.ID, err)
	}
	s.log.Info("connection sealing saved", "connection", cn.Name, "id", cn.ID, "sealed", sealed, "keys_added", len(keys), "user", userName(c))
	msg := fmt.Sprintf("%s: %d partner key(s) added; ", cn.Name, len(keys))
	if sealed {
		msg += "sealed: the relay holds only envelopes. The partner node must seal its connection too."
	} else {
		msg += "not sealed."
	}
	s.flash(c, views.FlashSuccess, msg)
	return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionSeal, cn.ID))
}

// connectionSealRevoke refuses one partner key from now on (a compromise): envelopes it signs
// are refused and it can never be trusted again.
func (s *Server) connectionSealRevoke(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	k, err := engine.SealKeyring(cn)
	if err != nil {
		return err
	}
	fp := strings.TrimSpace(c.FormValue("fingerprint"))
	if err := k.Revoke(fp, time.Now(), "revoked from the console by "+userName(c)); err != nil {
		d, verr := s.sealView(ctx, cn, k)
		if verr != nil {
			return verr
		}
		d.Error = "Nothing was revoked: this connection has no partner key " + strconv.Quote(fp) + "."
		return s.sealPage(c, http.StatusUnprocessableEntity, cn, d)
	}
	if err := engine.SetSealKeyring(cn, k); err != nil {
		return err
	}
	if err := s.db.WithContext(ctx).Model(&models.Connection{}).Where("id = ?", cn.ID).Update("seal_keyring", cn.SealKeyring).Error; err != nil {
		return fmt.Errorf("revoke a partner key of connection %d: %w", cn.ID, err)
	}
	s.log.Info("connection partner key revoked", "connection", cn.Name, "id", cn.ID, "fingerprint", fp, "user", userName(c))
	msg := fmt.Sprintf("Key %s revoked on %s: envelopes it signs are refused from now on.", fp, cn.Name)
	if cn.Sealed && len(k.Trusted(time.Now())) == 0 {
		msg += " No partner key is trusted now: nothing from the partner is accepted until you paste its new key."
	}
	s.flash(c, views.FlashSuccess, msg)
	return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionSeal, cn.ID))
}
