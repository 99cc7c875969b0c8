package main

import (
	"context"
	"fmt"
	"io"

	"github.com/airlock-sync/airlock/jirasim"
)

// runJirasim serves three emulated Jira instances A, AB and B until interrupted.
func runJirasim(ctx context.Context, env func(string) string, _ []string, stdout, _ io.Writer) error {
	get := func(name, def string) string {
		if v := env(name); v != "" {
			return v
		}
		return def
	}
	cp := get("JIRASIM_CONTEXT_PATH", "/jira")
	if cp == "/" {
		cp = ""
	}
	addrs := map[string]string{
		"A":  get("JIRASIM_A_ADDR", "127.0.0.1:8081"),
		"AB": get("JIRASIM_AB_ADDR", "127.0.0.1:8082"),
		"B":  get("JIRASIM_B_ADDR", "127.0.0.1:8083"),
	}
	var opts []jirasim.Options
	for _, name := range []string{"A", "AB", "B"} {
		opts = append(opts, jirasim.Options{Name: name, ContextPath: cp})
		fmt.Fprintf(stdout, "jirasim %-2s http://%s%s  (users admin/admin, airlock/airlock, alice/alice, bob/bob)\n", name, addrs[name], cp)
	}
	return jirasim.Serve(ctx, addrs, opts...)
}
