package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// MinPasswordLen is the shortest console password accepted.
const MinPasswordLen = 10

// SetPassword hashes and stores a console password with bcrypt.
func (u *User) SetPassword(pw string) error {
	if len(pw) < MinPasswordLen {
		return fmt.Errorf("the password needs at least %d characters", MinPasswordLen)
	}
	if len(pw) > 72 {
		return fmt.Errorf("the password may have at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	u.PasswordHash = string(h)
	return nil
}

// CheckPassword reports whether pw matches the stored hash.
func (u *User) CheckPassword(pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) == nil
}

// dummyHash keeps the time of a login for an unknown user close to that of a known one.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("airlock-timing-equaliser"), bcrypt.DefaultCost)

// Authenticate returns the enabled user with that name and password, or ErrNotFound.
func (db *DB) Authenticate(ctx context.Context, username, pw string) (*User, error) {
	var u User
	err := db.WithContext(ctx).Where("username = ?", username).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !u.CheckPassword(pw) || u.Disabled {
		return nil, ErrNotFound
	}
	return &u, nil
}

// EnsureAdmin creates the first console user when there is none. With an empty password it
// generates one and returns it, so the caller can print it once; otherwise it returns "".
func (db *DB) EnsureAdmin(ctx context.Context, username, password string) (generated string, err error) {
	var n int64
	if err := db.WithContext(ctx).Model(&User{}).Count(&n).Error; err != nil {
		return "", err
	}
	if n > 0 {
		return "", nil
	}
	if password == "" {
		password = RandomToken(15)
		generated = password
	}
	u := User{Username: username, IsAdmin: true}
	if err := u.SetPassword(password); err != nil {
		return "", fmt.Errorf("AIRLOCK_ADMIN_PASSWORD: %w", err)
	}
	if err := db.WithContext(ctx).Create(&u).Error; err != nil {
		return "", fmt.Errorf("create admin: %w", err)
	}
	return generated, nil
}

// RandomToken returns n random bytes, URL-safe base64 encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how a session cookie token is stored: only its SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a session for u and returns the cookie token (never stored in clear).
func (db *DB) CreateSession(ctx context.Context, u *User, ip, ua string, ttl time.Duration) (string, *Session, error) {
	token := RandomToken(32)
	now := time.Now().UTC()
	if len(ua) > 300 {
		ua = ua[:300]
	}
	s := &Session{ID: HashToken(token), UserID: u.ID, CSRFToken: RandomToken(32), IP: ip, UserAgent: ua,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ttl)}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(s).Error; err != nil {
			return err
		}
		return tx.Model(u).Update("last_login_at", now).Error
	})
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, s, nil
}

// SessionUser returns the live session for a cookie token and its enabled user, sliding its
// expiry forward; ErrNotFound when expired, unknown or the user is disabled.
func (db *DB) SessionUser(ctx context.Context, token string, ttl time.Duration) (*Session, *User, error) {
	if token == "" {
		return nil, nil, ErrNotFound
	}
	var s Session
	now := time.Now().UTC()
	err := db.WithContext(ctx).Where("id = ? AND expires_at > ?", HashToken(token), now).First(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	var u User
	if err := db.WithContext(ctx).First(&u, s.UserID).Error; err != nil || u.Disabled {
		return nil, nil, ErrNotFound
	}
	// Write the sliding expiry at most once a minute, not on every request.
	if now.Sub(s.LastSeenAt) > time.Minute {
		s.LastSeenAt, s.ExpiresAt = now, now.Add(ttl)
		db.WithContext(ctx).Model(&s).Updates(map[string]any{"last_seen_at": s.LastSeenAt, "expires_at": s.ExpiresAt})
	}
	return &s, &u, nil
}

// DeleteSession ends a session (logout).
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	return db.WithContext(ctx).Where("id = ?", HashToken(token)).Delete(&Session{}).Error
}

// DeleteExpiredSessions removes sessions past their expiry.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	r := db.WithContext(ctx).Where("expires_at <= ?", time.Now().UTC()).Delete(&Session{})
	return r.RowsAffected, r.Error
}
