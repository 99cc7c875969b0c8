package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// settingsShow renders the console users and the effective configuration (no secrets).
func (s *Server) settingsShow(c echo.Context) error {
	var users []models.User
	if err := s.db.WithContext(c.Request().Context()).Order("username").Find(&users).Error; err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	var d views.SettingsData
	for _, u := range users {
		d.Users = append(d.Users, views.UserRow{Username: u.Username, IsAdmin: u.IsAdmin, Disabled: u.Disabled, LastLoginAt: u.LastLoginAt})
	}
	d.Settings = s.settingRows()
	return Render(c, http.StatusOK, views.Settings(s.page(c, "Settings", RouteSettings), d))
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
