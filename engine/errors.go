package engine

import (
	"errors"
	"fmt"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// ClassedError is an engine failure that knows its DESIGN.md class (config or data: the console
// says what to change), so workers.Classify needs no message parsing.
type ClassedError struct {
	Class   string // models.Class*
	Message string
}

func (e *ClassedError) Error() string { return e.Message }

// ErrorClass implements workers.Classed.
func (e *ClassedError) ErrorClass() string { return e.Class }

func configError(format string, args ...any) error {
	return &ClassedError{Class: models.ClassConfig, Message: fmt.Sprintf(format, args...)}
}

func dataError(format string, args ...any) error {
	return &ClassedError{Class: models.ClassData, Message: fmt.Sprintf(format, args...)}
}

func transientError(format string, args ...any) error {
	return &ClassedError{Class: models.ClassTransient, Message: fmt.Sprintf(format, args...)}
}

// AuthBlockedError is returned, without any Jira call, for work on an instance whose credentials
// failed: retrying would lock the account behind a CAPTCHA.
type AuthBlockedError struct{ Instance string }

func (e *AuthBlockedError) Error() string {
	return fmt.Sprintf("instance %s is blocked after an authentication failure: fix its credentials, then retry", e.Instance)
}

// ErrorClass implements workers.Classed.
func (e *AuthBlockedError) ErrorClass() string { return models.ClassAuth }

// TwinError reports a failed reconcile; Quarantined tells the queue not to retry (the twin waits
// for an operator's retry).
type TwinError struct {
	TwinID      uint
	Quarantined bool
	Err         error
}

func (e *TwinError) Error() string {
	if e.Quarantined {
		return fmt.Sprintf("twin %d quarantined: %v", e.TwinID, e.Err)
	}
	return fmt.Sprintf("twin %d: %v", e.TwinID, e.Err)
}

func (e *TwinError) Unwrap() error { return e.Err }

// Permanent reports whether retrying err through the queue is pointless: the twin is quarantined,
// or the failure is an auth, config or data error.
func Permanent(err error) bool {
	var te *TwinError
	if errors.As(err, &te) && te.Quarantined {
		return true
	}
	switch ClassOf(err) {
	case models.ClassAuth, models.ClassConfig, models.ClassData:
		return true
	}
	return false
}

// classed is what the engine's and the Jira client's errors implement.
type classed interface{ ErrorClass() string }

// ClassOf returns the DESIGN.md class of err (models.Class*), as workers.Classify would.
func ClassOf(err error) string {
	var c classed
	if errors.As(err, &c) {
		return c.ErrorClass()
	}
	if models.ConnectionLost(err) {
		return models.ClassTransient
	}
	switch jira.ClassOf(err) {
	case jira.ClassTransient:
		return models.ClassTransient
	case jira.ClassRateLimited:
		return models.ClassRateLimited
	case jira.ClassAuth:
		return models.ClassAuth
	case jira.ClassConfig:
		return models.ClassConfig
	case jira.ClassData:
		return models.ClassData
	}
	return models.ClassInternal
}
