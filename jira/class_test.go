package jira

import "testing"

func TestErrorClassNamesMatchTheWorkersClasses(t *testing.T) {
	for c, want := range map[Class]string{ClassNone: "internal", ClassTransient: "transient", ClassRateLimited: "rate-limited",
		ClassAuth: "auth", ClassConfig: "config", ClassData: "data", ClassInternal: "internal"} {
		if got := (&Error{Class: c}).ErrorClass(); got != want {
			t.Errorf("class %d: ErrorClass() = %q, want %q", c, got, want)
		}
	}
}
