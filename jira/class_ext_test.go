package jira_test

import (
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// The client's classes must name the SyncError classes exactly: the workers store ErrorClass()
// as models.Class*, and a drift would file errors under a class the console never shows.
// (An external test package: jira itself imports nothing of ours.)
func TestErrorClassNamesMatchTheWorkersClasses(t *testing.T) {
	for c, want := range map[jira.Class]string{jira.ClassNone: models.ClassInternal, jira.ClassTransient: models.ClassTransient,
		jira.ClassRateLimited: models.ClassRateLimited, jira.ClassAuth: models.ClassAuth, jira.ClassConfig: models.ClassConfig,
		jira.ClassData: models.ClassData, jira.ClassInternal: models.ClassInternal} {
		if got := (&jira.Error{Class: c}).ErrorClass(); got != want {
			t.Errorf("class %d: ErrorClass() = %q, want %q", c, got, want)
		}
	}
}
