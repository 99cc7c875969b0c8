package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// appVersion is the version the console and /metrics show: the -ldflags value when set, else
// the module version go install stamped (v1.2.3), else "dev".
func appVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// versionText is what `airlock version` prints: the version, then the module, its version and
// the VCS revision, time and dirty flag that go build records, and the Go release.
func versionText(bi *debug.BuildInfo, ok bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "airlock %s\n", appVersion())
	if !ok || bi == nil {
		b.WriteString("no build information (built without module support)\n")
		return b.String()
	}
	mod := bi.Main.Version
	if mod == "" {
		mod = "(devel)"
	}
	fmt.Fprintf(&b, "module   %s %s\n", bi.Main.Path, mod)
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	rev := vcs["vcs.revision"]
	if rev == "" {
		rev = "unknown (not built from a VCS checkout, or with -buildvcs=false)"
	} else if vcs["vcs.modified"] == "true" {
		rev += " (modified)"
	}
	fmt.Fprintf(&b, "revision %s\n", rev)
	if t := vcs["vcs.time"]; t != "" {
		fmt.Fprintf(&b, "time     %s\n", t)
	}
	fmt.Fprintf(&b, "go       %s\n", bi.GoVersion)
	return b.String()
}

func runVersion(_ context.Context, _ func(string) string, _ []string, stdout, _ io.Writer) error {
	bi, ok := debug.ReadBuildInfo()
	_, err := io.WriteString(stdout, versionText(bi, ok))
	return err
}
