package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/config"
)

// TestReadmeListsEveryVariable keeps README's environment table in step with Options.
func TestReadmeListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range config.Options {
		if !strings.Contains(string(b), "| `"+o.Var+"` |") {
			t.Errorf("README.md has no table row for %s; add: %s", o.Var, row(o))
		}
	}
}

// row is the README table row for an option.
func row(o config.Option) string {
	d := "—"
	if o.Default != "" {
		d = "`" + o.Default + "`"
	}
	return "| `" + o.Var + "` | " + d + " | " + o.Help + " |"
}
