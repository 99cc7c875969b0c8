package models

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one console action: who pressed which button or changed which setting, when,
// on what, with which outcome, and for configuration rows the columns it changed (never a
// secret). Written by the console's audit middleware (web/audit.go), migration 9.
type AuditEntry struct {
	ID       uint      `gorm:"primaryKey"`
	At       time.Time `gorm:"not null;index"`
	UserID   *uint     `gorm:"index"`
	Username string    `gorm:"size:64;index"`
	Role     string    `gorm:"size:20"`
	IP       string    `gorm:"size:64"`
	Method   string    `gorm:"size:10;not null"`
	Route    string    `gorm:"size:100;not null"`
	Path     string    `gorm:"size:500;not null"`
	// Target names the row acted on ("connection 3"), when the path or the redirect names one.
	Target string `gorm:"size:200"`
	// Status is the HTTP status of the answer: 2xx/3xx done, 403 refused, 422 rejected form.
	Status int `gorm:"not null"`
	// Changes is a JSON object {"column": [before, after]} of the target row's changed columns.
	Changes string `gorm:"type:text"`
}

// AuditPage lists audit entries newest first, optionally of one user, with the total count.
func (db *DB) AuditPage(ctx context.Context, username string, offset, limit int) ([]AuditEntry, int64, error) {
	q := db.WithContext(ctx).Model(&AuditEntry{})
	if username != "" {
		q = q.Where("username = ?", username)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", err)
	}
	var out []AuditEntry
	if err := q.Order("at DESC, id DESC").Offset(offset).Limit(limit).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	return out, n, nil
}

// AuditUsers lists the user names that appear in the audit, for the filter.
func (db *DB) AuditUsers(ctx context.Context) ([]string, error) {
	var out []string
	err := db.WithContext(ctx).Model(&AuditEntry{}).Where("username <> ''").Distinct("username").Order("username").Pluck("username", &out).Error
	return out, err
}
