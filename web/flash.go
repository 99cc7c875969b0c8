package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/views"
)

const (
	flashCookie = "airlock_flash"
	// ctxFlashOut holds the flashes set during this request (a redirect carries them).
	ctxFlashOut = "airlock.flash.out"
)

// flash queues a typed message for the next page this browser renders (Post/Redirect/Get).
func (s *Server) flash(c echo.Context, kind views.FlashKind, msg string) {
	out, _ := c.Get(ctxFlashOut).([]views.Flash)
	out = append(out, views.Flash{Kind: kind, Message: msg})
	c.Set(ctxFlashOut, out)
	s.setCookie(c, flashCookie, s.encodeFlashes(out), 60)
}

// takeFlashes reads and clears the flashes the previous request left.
func (s *Server) takeFlashes(c echo.Context) []views.Flash {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	if _, pending := c.Get(ctxFlashOut).([]views.Flash); !pending {
		s.setCookie(c, flashCookie, "", -1)
	}
	return s.decodeFlashes(ck.Value)
}

// encodeFlashes serialises flashes as base64(JSON) "." base64(HMAC).
func (s *Server) encodeFlashes(fs []views.Flash) string {
	b, _ := json.Marshal(fs)
	body := base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.flashMAC(body))
}

// decodeFlashes returns the flashes of a cookie value, or nothing when it was not signed by us.
func (s *Server) decodeFlashes(v string) []views.Flash {
	body, sig, ok := strings.Cut(v, ".")
	if !ok {
		return nil
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.flashMAC(body)) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil
	}
	var fs []views.Flash
	if json.Unmarshal(b, &fs) != nil {
		return nil
	}
	return fs
}

func (s *Server) flashMAC(body string) []byte {
	m := hmac.New(sha256.New, s.flashKey)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// setCookie writes a console cookie: HttpOnly, SameSite=Lax, Path=/, Secure over TLS. A
// negative maxAge deletes it.
func (s *Server) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   c.Scheme() == "https",
		SameSite: http.SameSiteLaxMode,
	})
}
