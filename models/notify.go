package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// NotifySettings is the one row (ID 1) of notification settings, edited under Settings. The
// SMTP password and the webhook URL (which is itself a credential for Slack and Teams) are
// stored sealed and never shown, logged or exported.
type NotifySettings struct {
	ID          uint   `gorm:"primaryKey"`
	MailEnabled bool   `gorm:"not null;default:false"`
	SMTPHost    string `gorm:"size:200"`
	SMTPPort    int    `gorm:"not null;default:587"`
	// SMTPTLS is "starttls" (default), "tls" (implicit, port 465) or "none".
	SMTPTLS        string `gorm:"size:20;not null;default:starttls"`
	SMTPUser       string `gorm:"size:200"`
	SMTPPassEnc    []byte
	MailFrom       string `gorm:"size:200"`
	MailTo         string `gorm:"size:1000"` // comma separated
	WebhookEnabled bool   `gorm:"not null;default:false"`
	WebhookURLEnc  []byte
	// LagMinutes is the lag threshold of a connection side; 0 disables lag notices.
	LagMinutes int `gorm:"not null;default:30"`
	// WindowMinutes is the rate limit: one notice per event key per window.
	WindowMinutes int `gorm:"not null;default:15"`
	UpdatedAt     time.Time
}

// Default notification settings.
const (
	DefaultNotifyLagMinutes    = 30
	DefaultNotifyWindowMinutes = 15
)

// NotifyState remembers, per event key ("auth:instance:3", "errors:connection:2:config",
// "lag:connection:2:local"), whether the condition held at the last check and when a notice
// last went out, so a restart neither resends nor forgets the rate window.
type NotifyState struct {
	EventKey   string `gorm:"primaryKey;size:200"`
	Active     bool   `gorm:"not null;default:false"`
	LastSentAt *time.Time
	LastError  string `gorm:"type:text"`
	UpdatedAt  time.Time
}

func notifyAAD(what string) []byte { return []byte("airlock:notify:" + what) }

// LoadNotifySettings returns the settings row, or the defaults when none was saved yet.
func (db *DB) LoadNotifySettings(ctx context.Context) (*NotifySettings, error) {
	var ns NotifySettings
	err := db.WithContext(ctx).First(&ns, 1).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &NotifySettings{ID: 1, SMTPPort: 587, SMTPTLS: "starttls", LagMinutes: DefaultNotifyLagMinutes, WindowMinutes: DefaultNotifyWindowMinutes}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load notification settings: %w", err)
	}
	return &ns, nil
}

// SetSMTPPassword seals the SMTP password ("" clears it).
func (ns *NotifySettings) SetSMTPPassword(s *Sealer, pw string) error {
	return sealInto(s, &ns.SMTPPassEnc, pw, "smtp")
}

// SMTPPassword opens the SMTP password ("" when none is stored).
func (ns *NotifySettings) SMTPPassword(s *Sealer) (string, error) {
	return openFrom(s, ns.SMTPPassEnc, "smtp")
}

// SetWebhookURL seals the webhook URL ("" clears it).
func (ns *NotifySettings) SetWebhookURL(s *Sealer, u string) error {
	return sealInto(s, &ns.WebhookURLEnc, u, "webhook")
}

// WebhookURL opens the webhook URL ("" when none is stored).
func (ns *NotifySettings) WebhookURL(s *Sealer) (string, error) {
	return openFrom(s, ns.WebhookURLEnc, "webhook")
}

func sealInto(s *Sealer, dst *[]byte, v, what string) error {
	if v == "" {
		*dst = nil
		return nil
	}
	if s == nil {
		return errors.New("no secret key: cannot store a notification secret")
	}
	sealed, err := s.Seal([]byte(v), notifyAAD(what))
	if err != nil {
		return err
	}
	*dst = sealed
	return nil
}

func openFrom(s *Sealer, sealed []byte, what string) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	if s == nil {
		return "", errors.New("no secret key: cannot open a notification secret")
	}
	pt, err := s.Open(sealed, notifyAAD(what))
	if err != nil {
		return "", fmt.Errorf("open notification %s secret: %w", what, err)
	}
	return string(pt), nil
}
