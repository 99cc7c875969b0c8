package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// The mapping editor's Worklogs section shows the stored worklog rules, saves what is typed,
// round-trips on a plain re-save and checks the restrictions.
func TestMappingWorklogsSection(t *testing.T) {
	e := newConnEnv(t)
	r := engine.DefaultRules()
	r.Worklogs = engine.WorklogRules{Enabled: true, AllowVisibilities: []string{"group:jira-users"}, Attribution: "{author} on {instance}"}
	cn := e.connection(t, r)
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	doc := parse(t, e.get(t, path, e.token))
	sec := doc.Find(`[data-testid="mapping-worklogs"]`)
	if sec.Length() != 1 {
		t.Fatal("no Worklogs section in the mapping editor")
	}
	if _, on := sec.Find(`[data-testid="worklogs-on"]`).Attr("checked"); !on {
		t.Error("worklogs shown off though the rules have them on")
	}
	if got := sec.Find(`[data-testid="worklogs-visibilities"]`).Text(); got != "group:jira-users" {
		t.Errorf("visibilities shown %q", got)
	}
	if got, _ := sec.Find(`[data-testid="worklogs-attribution"]`).Attr("value"); got != "{author} on {instance}" {
		t.Errorf("attribution shown %q", got)
	}
	form := formValues(doc.Find(`[data-testid="mapping-form"]`))
	form.Set("worklogs_visibilities", "role:Developers\n group:jira-users ")
	form.Set("worklogs_attribution", "<b>{author}</b> logged on {instance}")
	form.Set("op", "save")
	if res := e.post(t, path, form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	stored := func() engine.WorklogRules {
		t.Helper()
		var got models.Connection
		e.db.First(&got, cn.ID)
		rules, err := engine.ParseRules(got.Rules)
		if err != nil {
			t.Fatal(err)
		}
		return rules.Worklogs
	}
	w := stored()
	if !w.Enabled || strings.Join(w.AllowVisibilities, "|") != "role:Developers|group:jira-users" || w.Attribution != "<b>{author}</b> logged on {instance}" {
		t.Errorf("saved worklog rules %+v", w)
	}
	// A plain re-save keeps them; the attribution is shown escaped.
	res := e.get(t, path, e.token)
	body := bodyString(t, res)
	if strings.Contains(body, "<b>{author}</b>") {
		t.Error("the attribution is rendered unescaped")
	}
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(body))
	form = formValues(doc.Find(`[data-testid="mapping-form"]`))
	form.Set("op", "save")
	if res := e.post(t, path, form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second save: %d", res.StatusCode)
	}
	if again := stored(); strings.Join(again.AllowVisibilities, "|") != strings.Join(w.AllowVisibilities, "|") || again.Attribution != w.Attribution || !again.Enabled {
		t.Errorf("re-save changed the worklog rules: %+v -> %+v", w, again)
	}
	// Off is saved as off.
	form.Del("worklogs_on")
	if res := e.post(t, path, form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save off: %d", res.StatusCode)
	}
	if stored().Enabled {
		t.Error("worklogs still on after unticking")
	}
	// A bad restriction is shown beside its field, and nothing is saved.
	form.Set("worklogs_visibilities", "everyone")
	res = e.post(t, path, form, false)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad visibility: %d, want 422", res.StatusCode)
	}
	doc = parse(t, res)
	ta := doc.Find(`textarea[name="worklogs_visibilities"][aria-invalid="true"]`)
	if ta.Length() != 1 || !strings.Contains(squash(ta.Parent().Find("small").Text()), "group:NAME") {
		t.Errorf("no error beside the worklog visibilities: %q", squash(doc.Find(`[data-testid="mapping-worklogs"]`).Text()))
	}
	if len(stored().AllowVisibilities) != 2 {
		t.Error("the invalid form was saved")
	}
}

// The YAML export carries the worklog rules and an import brings them back unchanged.
func TestConfigExportImportKeepsWorklogRules(t *testing.T) {
	src := newC1Env(t, nil)
	a := src.addInstance(t, "A", "https://a.example.com/jira", "airlock", "secret-a")
	ab := src.addInstance(t, "AB", "https://relay.example.com", "airlock", "secret-ab")
	r := engine.DefaultRules()
	r.Worklogs = engine.WorklogRules{Enabled: true, AllowVisibilities: []string{"role:Developers"}, Attribution: "{author} @ {instance} {started}"}
	doc, _ := json.Marshal(r)
	conn := models.Connection{Name: "A-AB", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "ALPHA", RemoteProject: "RELAY",
		PollIntervalMS: 30000, ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore, Rules: string(doc)}
	if err := src.db.Create(&conn).Error; err != nil {
		t.Fatal(err)
	}
	yml := bodyString(t, src.get(t, "/settings/export", src.token))
	if !strings.Contains(yml, "worklogs:") || !strings.Contains(yml, "role:Developers") {
		t.Fatalf("export lacks the worklog rules:\n%s", yml)
	}
	dst := newC1Env(t, nil)
	res := dst.upload(t, yml)
	page, _ := goquery.NewDocumentFromReader(strings.NewReader(bodyString(t, res)))
	hidden := page.Find(`[data-testid="import-apply-form"] textarea[name="yaml"]`).Text()
	if res := dst.post(t, "/settings/import/apply", url.Values{"yaml": {hidden}}, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", res.StatusCode)
	}
	var got models.Connection
	if err := dst.db.Where("name = ?", "A-AB").First(&got).Error; err != nil {
		t.Fatal(err)
	}
	back, err := engine.ParseRules(got.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Worklogs.Enabled || back.Worklogs.Attribution != r.Worklogs.Attribution || strings.Join(back.Worklogs.AllowVisibilities, ",") != "role:Developers" {
		t.Errorf("imported worklog rules %+v, want %+v", back.Worklogs, r.Worklogs)
	}
}
