package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// settingsShow renders the Settings page.
func (s *Server) settingsShow(c echo.Context) error {
	return s.renderSettings(c, http.StatusOK, views.UserForm{}, "", "")
}

// renderSettings renders the Settings page with the add-user form and the import box as typed.
func (s *Server) renderSettings(c echo.Context, status int, nu views.UserForm, importText, importErr string) error {
	var users []models.User
	if err := s.db.WithContext(c.Request().Context()).Order("username").Find(&users).Error; err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	me := currentUser(c)
	d := views.SettingsPage{
		IsAdmin: me != nil && me.IsAdmin, NewUser: nu, AddUserURL: s.url(RouteUserCreate),
		Settings: s.settingRows(), ExportURL: s.url(RouteSettingsExport), ImportURL: s.url(RouteSettingsImport),
		ImportText: importText, ImportError: importErr, QueuesURL: s.queuesURL(), EmbeddedQueue: s.queue.Embedded(),
		AuditURL: s.url(RouteAudit), NotifyURL: s.url(RouteNotify), Seal: s.sealKeys(c.Request().Context()),
	}
	for _, u := range users {
		self := me != nil && me.ID == u.ID
		it := views.UserItem{ID: u.ID, Username: u.Username, IsAdmin: u.IsAdmin, Disabled: u.Disabled, IsSelf: self, LastLoginAt: u.LastLoginAt}
		if self || d.IsAdmin {
			it.PasswordURL = s.urlID(RouteUserPassword, u.ID)
		}
		if d.IsAdmin && !self {
			it.ToggleURL = s.urlID(RouteUserToggle, u.ID)
			it.RoleURL = s.urlID(RouteUserRole, u.ID)
		}
		d.Users = append(d.Users, it)
	}
	return Render(c, status, views.Settings(s.page(c, "Settings", RouteSettings), d))
}

// settingRows describes the configuration without revealing any secret or URL credentials.
func (s *Server) settingRows() []views.SettingRow {
	cfg := s.cfg
	db := "SQLite: " + cfg.SQLitePath()
	if cfg.DatabaseURL != "" {
		db = "Postgres (DATABASE_URL)"
	}
	queue := "Redis (REDIS_URL)"
	if s.queue.Embedded() {
		queue = "embedded, in memory (dev only, not durable)"
	}
	key := "not set"
	if len(cfg.SecretKey) > 0 {
		key = "set"
	}
	return []views.SettingRow{
		{Name: "Listen address", Value: cfg.Listen, Help: "AIRLOCK_LISTEN"},
		{Name: "Database", Value: db, Help: "DATABASE_URL, AIRLOCK_DATA_DIR"},
		{Name: "Queue", Value: queue, Help: "REDIS_URL"},
		{Name: "Credential encryption key", Value: key, Help: "AIRLOCK_SECRET_KEY"},
		{Name: "Session lifetime", Value: cfg.SessionTTL.String(), Help: "AIRLOCK_SESSION_TTL: how long a login lasts without activity"},
		{Name: "Worker concurrency", Value: strconv.Itoa(cfg.WorkerConcurrency), Help: "AIRLOCK_WORKER_CONCURRENCY"},
		{Name: "Sweep interval", Value: cfg.SweepInterval.String(), Help: "AIRLOCK_SWEEP_INTERVAL"},
		{Name: "Log level", Value: cfg.LogLevel.String() + " (" + cfg.LogFormat + ")", Help: "AIRLOCK_LOG_LEVEL, AIRLOCK_LOG_FORMAT"},
	}
}
