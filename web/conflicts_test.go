package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// conflictsWorld is a console whose engine syncs A <-> AB of an emulated Jira pair.
type conflictsWorld struct {
	e    *env
	sim  *jirasim.Sim
	eng  *engine.Engine
	conn models.Connection
}

func newConflictsWorld(t *testing.T, policy string) *conflictsWorld {
	t.Helper()
	sim, err := jirasim.New(jirasim.Options{Name: "A", Knobs: jirasim.NoIndexLag()}, jirasim.Options{Name: "AB", Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	key := make([]byte, 32)
	rand.Read(key)
	sealer, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	w := &conflictsWorld{e: newEnv(t), sim: sim}
	insts := map[string]*models.Instance{}
	for _, name := range []string{"A", "AB"} {
		in := &models.Instance{Name: name, BaseURL: sim.Instance(name).URL(), AuthType: models.AuthBasic, Username: "airlock"}
		must(t, in.SetSecret(sealer, "airlock"), w.e.db.Create(in).Error)
		insts[name] = in
	}
	rules := engine.DefaultRules()
	rules.Comments.Enabled, rules.Attachments.Enabled = false, false
	rj, _ := jsonString(rules)
	w.conn = models.Connection{Name: "A-AB", LocalInstanceID: insts["A"].ID, RemoteInstanceID: insts["AB"].ID,
		LocalProject: jirasim.DefaultProjectKey("A"), RemoteProject: jirasim.DefaultProjectKey("AB"), Rules: rj, ConflictPolicy: policy}
	must(t, w.e.db.Create(&w.conn).Error)
	errorsWithEngine(t, w.e, func(db *models.DB) *engine.Engine {
		w.eng = &engine.Engine{DB: db, Logger: slog.New(slog.DiscardHandler), MinPollInterval: time.Millisecond, CreateSearchGrace: time.Millisecond,
			Clients: &engine.ClientPool{Sealer: sealer, Configure: func(c *jira.Config) {
				c.MaxRetries, c.BackoffBase, c.BackoffMax = 3, 5*time.Millisecond, 20*time.Millisecond
			}}}
		return w.eng
	})
	return w
}

// human is a Jira client acting as alice.
func (w *conflictsWorld) human(t *testing.T, inst string) *jira.Client {
	t.Helper()
	c, err := jira.New(jira.Config{BaseURL: w.sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: "alice", Password: "alice"}, Instance: inst + "-alice"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *conflictsWorld) create(t *testing.T, inst string, fields map[string]any) *jira.CreatedIssue {
	t.Helper()
	f := map[string]any{"project": map[string]string{"key": jirasim.DefaultProjectKey(inst)}, "issuetype": map[string]string{"name": "Task"}}
	for k, v := range fields {
		f[k] = v
	}
	c, err := w.human(t, inst).CreateIssue(context.Background(), jira.IssueInput{Fields: f})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *conflictsWorld) summary(t *testing.T, inst, key string) string {
	t.Helper()
	is, err := w.human(t, inst).GetIssue(context.Background(), key, jira.GetIssueOptions{Fields: []string{"summary"}})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := is.Summary()
	return s
}

// settle polls both sides and reconciles dirty twins until a round finds nothing; any poll or
// reconcile error, or no quiet round within the bound, fails the test.
func (w *conflictsWorld) settle(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for range 20 {
		work := 0
		for _, side := range []string{models.SideLocal, models.SideRemote} {
			res, err := w.eng.Poll(ctx, w.conn.ID, side)
			if err != nil {
				t.Fatalf("poll %s: %v", side, err)
			}
			work += len(res.Dirty)
		}
		var ids []uint
		w.e.db.Model(&models.Twin{}).Where("dirty = ? AND state IN ?", true, []string{models.TwinActive, models.TwinPendingCreate}).Pluck("id", &ids)
		for _, id := range ids {
			if err := w.eng.Reconcile(ctx, id); err != nil {
				t.Fatalf("reconcile %d: %v", id, err)
			}
		}
		if work+len(ids) == 0 {
			return
		}
	}
	t.Fatal("no quiet round after 20 rounds of poll and reconcile")
}

func TestConflictDecisionReachesBothJiras(t *testing.T) {
	w := newConflictsWorld(t, models.PolicyManual)
	a := w.create(t, "A", map[string]any{"summary": "agreed"})
	w.settle(t)
	var tw models.Twin
	must(t, w.e.db.Where("local_key = ?", a.Key).First(&tw).Error)
	ctx := context.Background()
	must(t, w.human(t, "A").UpdateIssue(ctx, a.Key, jira.IssueInput{Fields: map[string]any{"summary": "from A <script>alert(1)</script>"}}, jira.UpdateOptions{}),
		w.human(t, "AB").UpdateIssue(ctx, tw.RemoteKey, jira.IssueInput{Fields: map[string]any{"summary": "from AB"}}, jira.UpdateOptions{}))
	w.settle(t)

	token, sess := w.e.session(t)
	res := w.e.get(t, "/conflicts", token)
	body := bodyString(t, res)
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("conflict value rendered unescaped")
	}
	doc := parseString(t, body)
	assertLayout(t, doc, sess.CSRFToken, "Conflicts")
	card := doc.Find(`[data-testid="conflict-row"]`)
	if card.Length() != 1 {
		t.Fatalf("%d conflict cards", card.Length())
	}
	for id, want := range map[string]string{"conflict-baseline": "agreed", "conflict-local": "from A <script>alert(1)</script>", "conflict-remote": "from AB"} {
		if got := card.Find(`[data-testid="` + id + `"] pre`).Text(); got != want {
			t.Errorf("%s %q, want %q", id, got, want)
		}
	}
	if href, _ := card.Find(`[data-testid="conflict-remote-issue"]`).Attr("href"); href != w.sim.Instance("AB").URL()+"/browse/"+tw.RemoteKey {
		t.Errorf("remote issue link %q", href)
	}
	action, _ := card.Find("form").First().Attr("action")

	// An over-long edited value is refused beside the field, and what was typed stays.
	long := strings.Repeat("x", engine.MaxDecidedValue+1)
	res, doc = errorsPost(t, w.e, token, sess.CSRFToken, action, url.Values{"take": {"edited"}, "value": {long}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("long value: status %d", res.StatusCode)
	}
	if got := doc.Find(`[data-testid="conflict-value-error"]`).Text(); !strings.Contains(got, "longer than Jira accepts") {
		t.Errorf("value error %q", got)
	}
	if got := doc.Find(`[data-testid="conflict-value"]`).Text(); got != long {
		t.Errorf("typed value lost (%d chars)", len(got))
	}
	if _, open := doc.Find(`details.conflict-edit`).Attr("open"); !open {
		t.Error("edit box closed after a refused value")
	}
	res, doc = errorsPost(t, w.e, token, sess.CSRFToken, action, url.Values{"take": {"neither"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="conflict-take-error"]`).Length() != 1 {
		t.Errorf("unknown take: status %d", res.StatusCode)
	}

	_, doc = errorsPost(t, w.e, token, sess.CSRFToken, action, url.Values{"take": {"edited"}, "value": {"settled by the admin"}})
	if got := flashText(doc, "success"); !strings.Contains(got, `Decided "summary": your value`) {
		t.Errorf("flash %q", got)
	}
	if doc.Find(`[data-testid="empty-conflicts"]`).Length() != 1 {
		t.Error("the decided conflict is still in the open inbox")
	}
	_, doc = errorsPost(t, w.e, token, sess.CSRFToken, action, url.Values{"take": {"local"}})
	if got := flashText(doc, "warning"); !strings.Contains(got, "already decided by admin") {
		t.Errorf("second decision flash %q", got)
	}
	if err := w.eng.Reconcile(ctx, tw.ID); err != nil {
		t.Fatal(err)
	}
	for inst, key := range map[string]string{"A": tw.LocalKey, "AB": tw.RemoteKey} {
		if got := w.summary(t, inst, key); got != "settled by the admin" {
			t.Errorf("%s %s summary %q", inst, key, got)
		}
	}
	doc = parse(t, w.e.get(t, "/conflicts?show=decided", token))
	dec := squash(doc.Find(`[data-testid="conflict-decision"]`).Text())
	if !strings.Contains(dec, "edited value") || !strings.Contains(dec, "applied") || !strings.Contains(dec, "settled by the admin") {
		t.Errorf("decided card %q", dec)
	}
}

func TestConflictDecideTakeSide(t *testing.T) {
	for _, take := range []string{"local", "remote"} {
		t.Run(take, func(t *testing.T) {
			e := newEnv(t)
			sd := seedErrors(t, e.db)
			cf := models.Conflict{TwinID: sd.twinOK.ID, Field: "priority", Baseline: "Low", LocalValue: "High", RemoteValue: "Highest", CreatedAt: time.Now()}
			must(t, e.db.Create(&cf).Error)
			q := &errorsEnqueuer{}
			errorsWithEngine(t, e, func(db *models.DB) *engine.Engine { return &engine.Engine{DB: db, Enqueuer: q} })
			token, sess := e.session(t)
			res, doc := errorsPost(t, e, token, sess.CSRFToken, fmt.Sprintf("/conflicts/%d/decide", cf.ID), url.Values{"take": {take}})
			if res.StatusCode != http.StatusSeeOther || flashText(doc, "success") == "" {
				t.Fatalf("status %d, flashes %q", res.StatusCode, squash(doc.Find(`[data-testid="flashes"]`).Text()))
			}
			var got models.Conflict
			e.db.First(&got, cf.ID)
			want := map[string]string{"local": "High", "remote": "Highest"}[take]
			if got.Decision != take || got.Value != want || got.DecidedBy != testAdmin || got.DecidedAt == nil {
				t.Errorf("conflict %+v", got)
			}
			var tw models.Twin
			e.db.First(&tw, sd.twinOK.ID)
			if !tw.Dirty {
				t.Error("twin not dirty")
			}
			if res := e.do(t, req{method: http.MethodPost, path: "/conflicts/99999/decide", form: url.Values{"_csrf": {sess.CSRFToken}, "take": {"local"}},
				cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}}); res.StatusCode != http.StatusNotFound {
				t.Errorf("missing conflict: %d", res.StatusCode)
			}
		})
	}
}
