package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
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
		if s := out.String(); !strings.HasPrefix(s, "Usage:") || !strings.Contains(s, "airlock "+c.name) {
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

// TestRecoverAndRetryCommands runs `airlock recover` and `airlock retry` against a data
// directory prepared like a dev node's: recover rebuilds the twin ledger after it was wiped,
// retry clears a quarantine.
func TestRecoverAndRetryCommands(t *testing.T) {
	sim, err := jirasim.New(jirasim.Options{Name: "A", Knobs: jirasim.NoIndexLag()}, jirasim.Options{Name: "AB", Knobs: jirasim.NoIndexLag()},
		jirasim.Options{Name: "B", Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	env := map[string]string{"AIRLOCK_DATA_DIR": t.TempDir(), "AIRLOCK_LOG_LEVEL": "error",
		"AIRLOCK_SECRET_KEY": base64.StdEncoding.EncodeToString(key)}
	ctx := context.Background()
	if code := run(ctx, envOf(env), []string{"migrate"}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	cfg, err := config.Load(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	open := func() *models.DB {
		db, err := models.Open(ctx, models.OpenOptions{SQLitePath: cfg.SQLitePath()})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	sealer, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	db := open()
	insts := map[string]uint{}
	for _, name := range []string{"A", "AB"} {
		in := &models.Instance{Name: name, BaseURL: sim.Instance(name).URL(), AuthType: models.AuthBasic, Username: "airlock"}
		if err := in.SetSecret(sealer, "airlock"); err != nil {
			t.Fatal(err)
		}
		if err := db.Create(in).Error; err != nil {
			t.Fatal(err)
		}
		insts[name] = in.ID
	}
	rules, _ := json.Marshal(engine.DefaultRules())
	conn := &models.Connection{Name: "A-AB", LocalInstanceID: insts["A"], RemoteInstanceID: insts["AB"], LocalProject: "ALPHA",
		RemoteProject: "RELAY", PollIntervalMS: 1000, Rules: string(rules)}
	if err := db.Create(conn).Error; err != nil {
		t.Fatal(err)
	}
	// Sync one issue A -> AB with the engine, as the worker would.
	e := &engine.Engine{DB: db, Clients: &engine.ClientPool{Sealer: sealer}, Logger: slog.New(slog.DiscardHandler)}
	if _, err := e.Poll(ctx, conn.ID, models.SideLocal); err != nil {
		t.Fatal(err)
	}
	alice, err := jira.New(jira.Config{BaseURL: sim.Instance("A").URL(), Auth: jira.BasicAuth{User: "alice", Password: "alice"}, Instance: "A"})
	if err != nil {
		t.Fatal(err)
	}
	created, err := alice.CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "kept through a database loss"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Poll(ctx, conn.ID, models.SideLocal)
	if err != nil || len(res.Dirty) != 1 {
		t.Fatalf("poll: %+v, %v", res, err)
	}
	if err := e.Reconcile(ctx, res.Dirty[0]); err != nil {
		t.Fatal(err)
	}
	var before models.Twin
	if err := db.First(&before).Error; err != nil || before.State != models.TwinActive || before.LocalKey != created.Key {
		t.Fatalf("twin after sync: %+v, %v", before, err)
	}
	// The ledger is lost.
	if err := db.Where("1 = 1").Delete(&models.Twin{}).Error; err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"recover"}, 2, ""},
		{[]string{"recover", "--connection", "x"}, 2, ""},
		{[]string{"recover", "--connection", fmt.Sprint(conn.ID)}, 0, "1 twins restored"},
		{[]string{"recover", "--connection", fmt.Sprint(conn.ID)}, 0, "0 twins restored, 1 skipped"},
	} {
		var out, errb bytes.Buffer
		if code := run(ctx, envOf(env), tc.args, &out, &errb); code != tc.code || !strings.Contains(out.String(), tc.out) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out.String(), errb.String(), tc.code, tc.out)
		}
	}
	db = open()
	var after models.Twin
	if err := db.First(&after).Error; err != nil {
		t.Fatal(err)
	}
	if after.LocalKey != before.LocalKey || after.RemoteKey != before.RemoteKey || after.SyncID != before.SyncID || after.State != models.TwinActive {
		t.Errorf("recovered twin %+v, was %+v", after, before)
	}

	// A quarantined twin with its open error: retry clears both.
	twinID := after.ID
	if err := db.Model(&models.Twin{}).Where("id = ?", twinID).Updates(map[string]any{"state": models.TwinQuarantined, "last_error": "no path", "error_count": 1}).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	se := &models.SyncError{TwinID: &twinID, ConnectionID: &conn.ID, Class: models.ClassConfig, Message: "no path", FirstSeen: now, LastSeen: now}
	if err := db.Create(se).Error; err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"retry"}, 2, ""},
		{[]string{"retry", "--twin", "1", "--all"}, 2, ""},
		{[]string{"retry", "--all", "--class", models.ClassConfig, "--connection", fmt.Sprint(conn.ID)}, 0, "retried 1, failed 0"},
	} {
		var out, errb bytes.Buffer
		if code := run(ctx, envOf(env), tc.args, &out, &errb); code != tc.code || !strings.Contains(out.String(), tc.out) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out.String(), errb.String(), tc.code, tc.out)
		}
	}
	db = open()
	defer db.Close()
	var tw models.Twin
	db.First(&tw, twinID)
	if tw.State != models.TwinActive || !tw.Dirty || tw.ErrorCount != 0 {
		t.Errorf("after retry: state %s dirty %v errors %d", tw.State, tw.Dirty, tw.ErrorCount)
	}
	var stillOpen int64
	db.Model(&models.SyncError{}).Where("resolved_at IS NULL").Count(&stillOpen)
	if stillOpen != 0 {
		t.Errorf("%d errors still open after retry", stillOpen)
	}
}
