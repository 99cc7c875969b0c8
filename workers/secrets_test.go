package workers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/workers"
	"github.com/airlock-sync/airlock/workers/workerstest"
)

// lockedBuffer collects log lines from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// secretForms are the ways a secret could leak: as is, inside a JSON string, and for passwords
// the Basic Authorization value.
func secretForms(name, secret, basicUser string) map[string]string {
	out := map[string]string{name: secret}
	if b, _ := json.Marshal(secret); string(b) != `"`+secret+`"` {
		out[name+" (JSON)"] = strings.Trim(string(b), `"`)
	}
	if basicUser != "" {
		out[name+" (Basic header)"] = base64.StdEncoding.EncodeToString([]byte(basicUser + ":" + secret))
	}
	return out
}

// TestSecretsNeverLeak runs a full sync on one node (worker server, queue, sweeper, engine) over
// the emulator with a PAT on A, a password on AB and a wrong password on B (so auth errors are
// recorded), plus injected 5xx on AB, with every log line captured at debug level. Afterwards
// no known secret (Jira passwords and token, AIRLOCK_SECRET_KEY, the console admin password)
// appears in the logs, in the SQLite files (database and WAL, before and after a checkpoint)
// or in any SyncError row.
func TestSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("full sync")
	}
	var (
		patA      = "pat-A-" + strings.Repeat("q7", 12)
		pwAB      = "pw-AB-Zr4!xV9#mK2$"
		pwB       = "pw-B-wrong-Hq8%Lp3&"
		adminPw   = "console-admin-Pw-5tG8"
		keyBytes  = make([]byte, 32)
		logs      = &lockedBuffer{}
		ctx, stop = context.WithCancel(context.Background())
	)
	defer stop()
	rand.Read(keyBytes)
	keyB64 := base64.StdEncoding.EncodeToString(keyBytes)

	sim, err := jirasim.New()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Instance("A").AddToken("airlock", patA); err != nil {
		t.Fatal(err)
	}
	if err := sim.Instance("AB").SetPassword("airlock", pwAB); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	dbPath := filepath.Join(dir, "airlock.db")
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := models.Open(ctx, models.OpenOptions{SQLitePath: dbPath, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureAdmin(ctx, "admin", adminPw); err != nil {
		t.Fatal(err)
	}
	sealer, err := models.NewSealer(keyBytes)
	if err != nil {
		t.Fatal(err)
	}
	insts := map[string]*models.Instance{}
	for _, in := range []struct {
		name, auth, user, secret string
	}{{"A", models.AuthPAT, "", patA}, {"AB", models.AuthBasic, "airlock", pwAB}, {"B", models.AuthBasic, "airlock", pwB}} {
		row := &models.Instance{Name: in.name, BaseURL: sim.Instance(in.name).URL(), AuthType: in.auth, Username: in.user}
		if in.name == "AB" {
			row.Role = models.RoleRelay
		}
		if err := row.SetSecret(sealer, in.secret); err != nil {
			t.Fatal(err)
		}
		if err := db.Create(row).Error; err != nil {
			t.Fatal(err)
		}
		insts[in.name] = row
	}
	rules := engine.DefaultRules()
	rules.Attachments.Enabled = false
	rj, _ := json.Marshal(rules)
	for _, p := range [][2]string{{"A", "AB"}, {"B", "AB"}} {
		c := &models.Connection{Name: p[0] + "-" + p[1], LocalInstanceID: insts[p[0]].ID, RemoteInstanceID: insts[p[1]].ID,
			LocalProject: jirasim.DefaultProjectKey(p[0]), RemoteProject: jirasim.DefaultProjectKey(p[1]), PollIntervalMS: 200,
			Rules: string(rj), ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
		if err := db.Create(c).Error; err != nil {
			t.Fatal(err)
		}
	}
	eng := &engine.Engine{DB: db, Logger: logger, MinPollInterval: 50 * time.Millisecond, CreateSearchGrace: 100 * time.Millisecond,
		Clients: &engine.ClientPool{Sealer: sealer, Configure: func(c *jira.Config) {
			c.BackoffBase, c.BackoffMax = 5*time.Millisecond, 50*time.Millisecond
		}}}
	broker := workerstest.Broker(t)
	q := workers.NewQueue(broker)
	defer q.Close()
	srv := workers.NewServer(broker, db, logger, workers.ServerOptions{Concurrency: 4, ShutdownTimeout: 2 * time.Second})
	stopSync, err := workers.StartSync(ctx, srv, eng, q, 100*time.Millisecond, logger)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stopSync()
		}
	}()

	time.Sleep(300 * time.Millisecond)
	a := simClient(t, sim, "A")
	ci := createOn(t, a, "ALPHA", "secrets run")
	if _, err := a.AddComment(ctx, ci.Key, jira.CommentInput{Body: "a comment that crosses"}); err != nil {
		t.Fatal(err)
	}
	sim.Instance("AB").Knobs().FailNext(3, 500)
	ab := simClient(t, sim, "AB")
	waitFor(t, "A's issue and comment on AB", 30*time.Second, func() bool {
		is := findBySummary(t, ab, "RELAY", "secrets run")
		if len(is) != 1 {
			return false
		}
		cs, err := ab.Comments(ctx, is[0].Key, jira.CommentOptions{})
		return err == nil && len(cs) == 1
	})
	waitFor(t, "B's auth error recorded", 30*time.Second, func() bool {
		var n int64
		db.Model(&models.SyncError{}).Where("class = ?", models.ClassAuth).Count(&n)
		return n > 0
	})
	stopSync()
	stopped = true

	secrets := map[string]string{"AIRLOCK_SECRET_KEY": keyB64, "AIRLOCK_SECRET_KEY (hex)": hex.EncodeToString(keyBytes)}
	for _, m := range []map[string]string{
		secretForms("A's token", patA, ""), secretForms("AB's password", pwAB, "airlock"),
		secretForms("B's (wrong) password", pwB, "airlock"), secretForms("console admin password", adminPw, ""),
	} {
		for k, v := range m {
			secrets[k] = v
		}
	}
	scan := func(where string, data []byte) {
		t.Helper()
		for name, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s contains %s", where, name)
			}
		}
		if bytes.Contains(data, keyBytes) {
			t.Errorf("%s contains the raw AIRLOCK_SECRET_KEY bytes", where)
		}
	}

	logged := logs.Bytes()
	if !bytes.Contains(logged, []byte("level=")) {
		t.Fatal("nothing was logged: the scan proves nothing")
	}
	scan("the log", logged)

	var errs []models.SyncError
	if err := db.Find(&errs).Error; err != nil {
		t.Fatal(err)
	}
	if len(errs) == 0 {
		t.Fatal("no SyncError row: the scan proves nothing")
	}
	for _, e := range errs {
		scan("SyncError "+e.Class, []byte(strings.Join([]string{e.Message, e.Request, e.Response, e.TaskID, e.Fingerprint}, "\n")))
	}
	var twins []models.Twin
	db.Find(&twins)
	for _, tw := range twins {
		scan("twin "+tw.LocalKey, []byte(tw.LastError+tw.Baseline))
	}

	files := func(stage string) {
		t.Helper()
		matches, _ := filepath.Glob(dbPath + "*")
		if len(matches) == 0 {
			t.Fatal("no database file")
		}
		for _, f := range matches {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			scan(filepath.Base(f)+" "+stage, b)
		}
	}
	files("before the checkpoint")
	if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		t.Fatal(err)
	}
	files("after the checkpoint")
	db.Close()
	files("after close")
}
