package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// securityConnEnv is A (levels Staff and Management; the sync user is in Staff only) and a
// relay whose project has the levels Partners and Public.
func securityConnEnv(t *testing.T) (*connEnv, *models.Connection) {
	t.Helper()
	ab := jirasim.DefaultSeed("AB")
	ab.Projects[0].SecurityLevels = []jirasim.SeedSecurityLevel{
		{ID: "10200", Name: "Partners", Users: []string{"admin", "airlock", "alice"}},
		{ID: "10201", Name: "Public", Users: []string{"admin", "airlock", "alice", "bob"}}}
	e := newConnEnvSeeded(t, ab)
	return e, e.connection(t, engine.DefaultRules())
}

func TestSecurityLevelPage(t *testing.T) {
	e, cn := securityConnEnv(t)
	if _, err := e.human(t, "A").CreateIssue(context.Background(), jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "staff <b>only</b>", "security": map[string]string{"name": "Staff"}}}); err != nil {
		t.Fatal(err)
	}
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/security"
	doc := parse(t, e.get(t, path, e.token))
	var rows []string
	doc.Find(`[data-testid="security-row"]`).Each(func(_ int, s *goquery.Selection) { rows = append(rows, squash(s.Find("td").First().Text())) })
	if strings.Join(rows, ",") != "Staff" {
		t.Errorf("local levels %v, want Staff (the sync user sees only its own levels)", rows)
	}
	var opts []string
	doc.Find(`[data-testid="security-remote-Staff"] option`).Each(func(_ int, s *goquery.Selection) { opts = append(opts, s.Text()) })
	if strings.Join(opts, ",") != "(stays home),Partners,Public" {
		t.Errorf("remote choices %v", opts)
	}
	if got := squash(doc.Find(`[data-testid="security-kept-home"]`).Text()); !strings.Contains(got, "1 issue stays home: security level (local: Staff)") {
		t.Errorf("kept home %q", got)
	}
	if doc.Find(`[data-testid="security-form"] input[name="_csrf"]`).Length() != 1 {
		t.Error("the form carries no CSRF token")
	}
	// The preview says it too, and links here.
	pdoc := parse(t, e.get(t, "/connections/"+strconv.Itoa(int(cn.ID))+"/preview", e.token))
	if got := squash(pdoc.Find(`[data-testid="preview-security-kept-home"]`).Text()); !strings.Contains(got, "1 issue stays home: security level") {
		t.Errorf("preview kept home %q", got)
	}
	// Saving maps Staff to Partners and leaves the rest of the rules alone.
	res := e.post(t, path, url.Values{"l0.local": {"Staff"}, "l0.remote": {"Partners"}}, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, bodyString(t, res))
	}
	stored := e.storedConnection(t)
	r, err := engine.ParseRules(stored.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Security.Levels, map[string]string{"Staff": "Partners"}) || len(r.Fields) != len(engine.DefaultRules().Fields) || !r.Comments.Enabled {
		t.Errorf("stored rules %s", stored.Rules)
	}
	doc = parse(t, e.get(t, path, e.token))
	if sel, _ := doc.Find(`[data-testid="security-remote-Staff"] option[selected]`).Attr("value"); sel != "Partners" {
		t.Errorf("saved choice shows %q", sel)
	}
	if got := squash(doc.Find(`[data-testid="security-unmapped"]`).Text()); !strings.Contains(got, "Public") {
		t.Errorf("unmapped remote levels %q", got)
	}
	// Without the token the save is refused.
	res = e.do(t, req{method: http.MethodPost, path: path, form: url.Values{"l0.local": {"Staff"}}, cookies: []*http.Cookie{{Name: sessionCookie, Value: e.token}}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("save without CSRF: %d", res.StatusCode)
	}
	// The mapping editor's save keeps the level map (it has its own page).
	mpath := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	mdoc := parse(t, e.get(t, mpath, e.token))
	if mdoc.Find(`[data-testid="mapping-security-link"] a`).Length() != 1 {
		t.Error("the mapping editor does not link the level map")
	}
	form := formValues(mdoc.Find(`[data-testid="mapping-form"]`))
	form.Set("op", "save")
	if res := e.post(t, mpath, form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("mapping save: %d %s", res.StatusCode, bodyString(t, res))
	}
	r, _ = engine.ParseRules(e.storedConnection(t).Rules)
	if r.Security.Levels["Staff"] != "Partners" {
		t.Errorf("the mapping editor's save dropped the level map: %+v", r.Security)
	}
}

func TestTwinPageSaysWithdrawnForSecurity(t *testing.T) {
	e := newConnEnv(t)
	_, tw := e.linkedPair(t)
	path := "/twins/" + strconv.Itoa(int(tw.ID))
	if parse(t, e.get(t, path, e.token)).Find(`[data-testid="twin-withdrawn-security"]`).Length() != 0 {
		t.Error("withdrawn shown for an active twin")
	}
	e.db.Model(tw).Updates(map[string]any{"state": models.TwinUnlinked, "last_error": `withdrawn: security level "Staff" on local issue ALPHA-1: it stays home`})
	doc := parse(t, e.get(t, path, e.token))
	if got := doc.Find(`[data-testid="twin-withdrawn-security"]`).Text(); !strings.Contains(got, "withdrawn: security level") {
		t.Errorf("twin page %q", got)
	}
	if !engine.Withdrawn(`withdrawn: security level "Staff" on local issue ALPHA-1: it stays home`) {
		t.Error("the engine's withdrawal message does not start as the twin page expects")
	}
}

// The estimates, watchers and assignee are offered with their kinds, and accepted as targets
// although no screen lists them (they are written through timetracking, the watcher resource
// and the assignee resource).
func TestMappingEditorTrackingFields(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	mpath := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	doc := parse(t, e.get(t, mpath, e.token))
	form := formValues(doc.Find(`[data-testid="mapping-form"]`))
	n := 0
	for form.Get("f"+strconv.Itoa(n)+".local") != "" {
		n++
	}
	add := func(name, kind, id string) {
		k := "f" + strconv.Itoa(n) + "."
		form.Set(k+"name", name)
		form.Set(k+"kind", kind)
		form.Set(k+"local", id)
		form.Set(k+"remote", id)
		form.Set(k+"dir", engine.DirBoth)
		n++
	}
	add("original", "", engine.FieldOriginalEstimate)
	add("remaining", "", engine.FieldRemainingEstimate)
	add("watchers", "", "watches")
	add("assignee", "", "assignee")
	form.Set("rows", strconv.Itoa(n))
	form.Set("op", "save")
	res := e.post(t, mpath, form, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, squash(parse(t, res).Find(`[role="alert"], .error, small`).Text()))
	}
	r, err := engine.ParseRules(e.storedConnection(t).Rules)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"original": engine.KindDuration, "remaining": engine.KindDuration, "watchers": engine.KindWatchers, "assignee": engine.KindUser}
	for _, f := range r.Fields {
		if k, ok := want[f.Name]; ok {
			if f.Kind != k {
				t.Errorf("%s saved as %q, want %q", f.Name, f.Kind, k)
			}
			delete(want, f.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("not saved: %v", want)
	}
	doc = parse(t, e.get(t, mpath, e.token))
	if note := doc.Find(`[data-testid="row-note"][data-kind="duration"]`).Text(); !strings.Contains(note, "seconds") {
		t.Errorf("estimate note %q", note)
	}
	// A duration rule on another field is refused.
	bad := engine.DefaultRules()
	bad.Fields = append(bad.Fields, engine.FieldRule{Name: "x", Kind: engine.KindDuration, Local: "summary", Remote: "summary"})
	if errs := bad.Validate(); len(errs) == 0 {
		t.Error("a duration on summary validates")
	}
}

// The YAML export carries the level map and the new kinds, and an import restores them.
func TestConfigRoundTripsTrackingAndSecurity(t *testing.T) {
	rules := engine.DefaultRules()
	rules.Fields = append(rules.Fields,
		engine.FieldRule{Name: "original", Kind: engine.KindDuration, Local: engine.FieldOriginalEstimate, Remote: engine.FieldOriginalEstimate},
		engine.FieldRule{Name: "watchers", Kind: engine.KindWatchers, Local: "watches", Remote: "watches"})
	rules.Security.Levels = map[string]string{"Staff": "Partners", "Legal": "Counsel"}
	doc, _ := json.Marshal(rules)
	src := newC1Env(t, nil)
	a := src.addInstance(t, "A", "https://a.example.com/jira", "airlock", "secret-of-a-123")
	ab := src.addInstance(t, "AB", "https://relay.example.com", "airlock", "secret-of-ab-456")
	src.db.Model(ab).Update("role", models.RoleRelay)
	conn := models.Connection{Name: "A-AB", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "ALPHA", RemoteProject: "RELAY",
		PollIntervalMS: 30000, ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteTwin, Rules: string(doc)}
	if err := src.db.Create(&conn).Error; err != nil {
		t.Fatal(err)
	}
	yml := bodyString(t, src.get(t, "/settings/export", src.token))
	for _, want := range []string{"Staff: Partners", "kind: duration", "kind: watchers"} {
		if !strings.Contains(yml, want) {
			t.Errorf("export lacks %q:\n%s", want, yml)
		}
	}
	dst := newC1Env(t, nil)
	pdoc := parse(t, dst.upload(t, yml))
	hidden := pdoc.Find(`[data-testid="import-apply-form"] textarea[name="yaml"]`).Text()
	if res := dst.post(t, "/settings/import/apply", url.Values{"yaml": {hidden}}, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d\n%s", res.StatusCode, bodyString(t, res))
	}
	var got models.Connection
	dst.db.Where("name = ?", "A-AB").First(&got)
	r, err := engine.ParseRules(got.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, rules) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", r, rules)
	}
}
