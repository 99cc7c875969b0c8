package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/views"
)

// maxImportBytes bounds an imported configuration (the request body limit is 1 MB).
const maxImportBytes = 512 << 10

// settingsExport downloads the configuration as YAML: instances without secrets, connections
// with their rules.
func (s *Server) settingsExport(c echo.Context) error {
	now := time.Now()
	b, err := exportConfig(c.Request().Context(), s.db.DB, now)
	if err != nil {
		return err
	}
	name := "airlock-config-" + now.UTC().Format("20060102-1504") + ".yaml"
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	s.log.Info("configuration exported", "user", currentUserName(c))
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", b)
}

// importText reads the uploaded file or, without one, the pasted text.
func importText(c echo.Context) (string, string) {
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > maxImportBytes {
			return "", fmt.Sprintf("The file is larger than %d KB.", maxImportBytes>>10)
		}
		f, err := fh.Open()
		if err != nil {
			return "", "The uploaded file cannot be read."
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxImportBytes+1))
		if err != nil {
			return "", "The uploaded file cannot be read."
		}
		return string(b), ""
	}
	text := c.FormValue("yaml")
	if strings.TrimSpace(text) == "" {
		return "", "Choose a file or paste the YAML of an exported configuration."
	}
	if len(text) > maxImportBytes {
		return "", fmt.Sprintf("The text is larger than %d KB.", maxImportBytes>>10)
	}
	return text, ""
}

// settingsImport previews an import: what would be created or updated, and every problem
// per item. Nothing is written.
func (s *Server) settingsImport(c echo.Context) error {
	if me := currentUser(c); me == nil || !me.IsAdmin {
		return echo.NewHTTPError(http.StatusForbidden, "Only an administrator may import a configuration.")
	}
	text, msg := importText(c)
	if n := formLimitNotice(c); n != "" {
		msg = n
	}
	if msg != "" {
		return s.renderSettings(c, http.StatusUnprocessableEntity, views.UserForm{}, c.FormValue("yaml"), msg)
	}
	p, err := planImport(c.Request().Context(), s.db.DB, []byte(text), s.cfg.JiraAllowlist)
	if err != nil {
		return err
	}
	p.preview.YAML = text
	p.preview.ApplyURL = s.url(RouteSettingsApply)
	p.preview.BackURL = s.url(RouteSettings)
	status := http.StatusOK
	if !p.preview.Valid() {
		status = http.StatusUnprocessableEntity
	}
	return Render(c, status, views.ImportPreviewPage(s.page(c, "Import preview", RouteSettings), p.preview))
}

// settingsImportApply validates the previewed YAML again and writes it in one transaction.
func (s *Server) settingsImportApply(c echo.Context) error {
	if me := currentUser(c); me == nil || !me.IsAdmin {
		return echo.NewHTTPError(http.StatusForbidden, "Only an administrator may import a configuration.")
	}
	text := c.FormValue("yaml")
	ctx := c.Request().Context()
	p, err := planImport(ctx, s.db.DB, []byte(text), s.cfg.JiraAllowlist)
	if err != nil {
		return err
	}
	if !p.preview.Valid() {
		p.preview.YAML, p.preview.ApplyURL, p.preview.BackURL = text, s.url(RouteSettingsApply), s.url(RouteSettings)
		return Render(c, http.StatusUnprocessableEntity, views.ImportPreviewPage(s.page(c, "Import preview", RouteSettings), p.preview))
	}
	created, updated, err := applyImport(ctx, s.db.DB, p)
	if err != nil {
		return err
	}
	s.log.Info("configuration imported", "created", created, "updated", updated, "user", currentUserName(c))
	msg := fmt.Sprintf("Imported: %d created, %d updated.", created, updated)
	if n := countNeedsCredentials(p); n > 0 {
		msg += fmt.Sprintf(" %d new instance(s) need their password or token: edit them on the Instances page.", n)
	}
	s.flash(c, views.FlashSuccess, msg)
	return c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
}

func countNeedsCredentials(p *importPlan) int {
	n := 0
	for _, it := range p.preview.Items {
		if it.NeedsCredentials {
			n++
		}
	}
	return n
}
