package main

import (
	"bytes"
	"context"
	"io"
	"runtime/debug"
	"strings"
	"testing"
)

// `airlock version` prints the module version and the VCS revision from the build information
// (issue 12.10), and says so when the revision is unknown.
func TestVersionPrintsModuleAndRevision(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/airlock-sync/airlock", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	out := versionText(bi, true)
	for _, want := range []string{"module   github.com/airlock-sync/airlock v1.4.0", "revision 0123456789abcdef0123456789abcdef01234567 (modified)",
		"time     2026-12-01T10:00:00Z", "go       go1.26.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	out = versionText(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/airlock-sync/airlock", Version: "(devel)"}}, true)
	if !strings.Contains(out, "revision unknown") || !strings.Contains(out, "(devel)") {
		t.Errorf("without VCS stamp:\n%s", out)
	}

	// The command itself reads this binary's build information.
	var stdout bytes.Buffer
	if code := run(context.Background(), envOf(nil), []string{"version"}, &stdout, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	real, _ := debug.ReadBuildInfo()
	if !strings.HasPrefix(stdout.String(), "airlock ") || !strings.Contains(stdout.String(), "module   "+real.Main.Path) ||
		!strings.Contains(stdout.String(), "go       "+real.GoVersion) {
		t.Errorf("airlock version:\n%s", stdout.String())
	}
}
