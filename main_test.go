package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestBadConfigExitsTwoWithOneClearLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"short key", []string{"migrate"}, map[string]string{"AIRLOCK_SECRET_KEY": base64.StdEncoding.EncodeToString(make([]byte, 16)), "AIRLOCK_DATA_DIR": t.TempDir()},
			"AIRLOCK_SECRET_KEY: expected 32 bytes encoded in base64 (openssl rand -base64 32): got 16 bytes"},
		{"web without redis", []string{"web"}, map[string]string{"AIRLOCK_DATA_DIR": t.TempDir()}, "REDIS_URL: expected a redis://host:port/db URL"},
		{"worker without key", []string{"worker"}, map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0", "AIRLOCK_DATA_DIR": t.TempDir()}, "AIRLOCK_SECRET_KEY: expected"},
		{"bad listen", []string{"dev"}, map[string]string{"AIRLOCK_LISTEN": "nope"}, "AIRLOCK_LISTEN=\"nope\": expected host:port"},
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), envOf(tc.env), tc.args, &out, &errb)
			if code != 2 {
				t.Errorf("exit code %d, want 2 (stderr %q)", code, errb.String())
			}
			lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr = %q, want one line containing %q", errb.String(), tc.want)
			}
		})
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands {
		var out bytes.Buffer
		if code := run(context.Background(), envOf(nil), []string{c.name, "--help"}, &out, io.Discard); code != 0 {
			t.Errorf("%s --help: exit %d", c.name, code)
		}
		if !strings.Contains(out.String(), "Usage: airlock "+c.name) {
			t.Errorf("%s --help printed %q", c.name, out.String())
		}
	}
}

// TestDevServesLoginAndReady is README's first command on a fresh machine: no Redis, no Postgres.
func TestDevServesLoginAndReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	env := map[string]string{"AIRLOCK_LISTEN": addr, "AIRLOCK_DATA_DIR": t.TempDir(), "AIRLOCK_LOG_LEVEL": "error"}
	done := make(chan int, 1)
	go func() { done <- run(ctx, envOf(env), []string{"dev"}, io.Discard, io.Discard) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("dev exited %d", code)
			}
		case <-time.After(20 * time.Second):
			t.Error("dev did not stop")
		}
	}()
	base := "http://" + addr
	var resp *http.Response
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err = http.Get(base + "/readyz"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/readyz = %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "password") {
		t.Fatalf("/login = %d %q", resp.StatusCode, body)
	}
}
