package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

func TestEpicLinkKindSuggested(t *testing.T) {
	f := jira.Field{ID: "customfield_10106", Name: "Epic Link", Custom: true,
		Schema: &jira.FieldSchema{Type: "any", Custom: ghEpicLink}}
	if k := suggestKind(f); k != engine.KindEpicLink {
		t.Errorf("Epic Link suggests %q", k)
	}
}

func TestMappingEditorStructureChoices(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	doc := parse(t, e.get(t, path, e.token))
	if _, ok := doc.Find(`[data-testid="structure-error"]`).Attr("checked"); !ok {
		t.Error("the default choice (error) is not checked")
	}
	base := formValues(doc.Find(`[data-testid="mapping-form"]`))
	base.Set("structure_out_of_scope", engine.ParentOutOfScopeStandalone)
	base.Set("structure_standalone_type", "Task")
	base.Set("op", "save")
	if res := e.post(t, path, base, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d", res.StatusCode)
	}
	var stored models.Connection
	e.db.First(&stored, cn.ID)
	r, err := engine.ParseRules(stored.Rules)
	if err != nil || r.Structure != (engine.StructureRules{OutOfScopeParent: engine.ParentOutOfScopeStandalone, StandaloneType: "Task"}) {
		t.Fatalf("stored structure %+v (%v)", r.Structure, err)
	}
	doc = parse(t, e.get(t, path, e.token))
	if _, ok := doc.Find(`[data-testid="structure-standalone"]`).Attr("checked"); !ok {
		t.Error("the saved choice is not shown")
	}
	if v, _ := doc.Find(`[data-testid="structure-standalone-type"]`).Attr("value"); v != "Task" {
		t.Errorf("standalone type %q", v)
	}
	// A choice the engine does not know is refused beside the field.
	base.Set("structure_out_of_scope", "drop")
	res := e.post(t, path, base, false)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown choice: status %d", res.StatusCode)
	}
	// The YAML export carries the choice and an import reads it back.
	yml, err := exportConfig(context.Background(), e.db.DB, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(yml), "out_of_scope_parent: standalone") {
		t.Errorf("export lacks the structure rules:\n%s", yml)
	}
	plan, err := planImport(context.Background(), e.db.DB, yml, nil)
	if err != nil || !plan.preview.Valid() || len(plan.conns) != 1 {
		t.Fatalf("import plan: %v %+v", err, plan.preview)
	}
	back, err := engine.ParseRules(plan.conns[0].conn.Rules)
	if err != nil || back.Structure != r.Structure {
		t.Errorf("imported structure %+v (%v)", back.Structure, err)
	}
}

func TestScopeOffersSubtaskTypes(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	doc := parse(t, e.get(t, "/connections/"+strconv.Itoa(int(cn.ID))+"/scope", e.token))
	if n := doc.Find(`input[data-testid="local-issuetype-Sub-task"]`).Length(); n == 0 {
		t.Error("the scope form does not offer the Sub-task type")
	}
}

func TestTwinPageShowsParentAndEpic(t *testing.T) {
	w := newTwinWorld(t)
	rules := engine.DefaultRules()
	rules.Fields = append(rules.Fields, engine.FieldRule{Name: "epic", Kind: engine.KindEpicLink, Local: "customfield_10106", Remote: "customfield_10106"})
	doc, _ := json.Marshal(rules)
	must(t, w.db.Model(&w.conn).Update("rules", string(doc)).Error)
	_, epKey := w.issue(t, "A", map[string]any{"issuetype": map[string]string{"name": "Epic"}, "summary": "the epic", "customfield_10107": "E"})
	_, parKey := w.issue(t, "A", map[string]any{"summary": "the <b>parent</b>", "customfield_10106": epKey})
	lid, lkey := w.issue(t, "A", map[string]any{"issuetype": map[string]string{"name": "Sub-task"}, "parent": map[string]string{"key": parKey}, "summary": "child"})
	rid, rkey := w.issue(t, "AB", map[string]any{"summary": "relay copy"})
	tw := models.Twin{ConnectionID: w.conn.ID, SyncID: "s-" + lkey, State: models.TwinActive, LocalIssueID: &lid, LocalKey: lkey,
		RemoteIssueID: &rid, RemoteKey: rkey}
	must(t, w.db.Create(&tw).Error)
	token, _ := w.session(t)
	res := w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token)
	raw := bodyString(t, res)
	if strings.Contains(raw, "<b>parent</b>") {
		t.Fatal("the parent's summary rendered unescaped")
	}
	page := parse(t, w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token))
	if got := squash(page.Find(`[data-testid="twin-structure-parent"]`).Text()); !strings.Contains(got, parKey) {
		t.Errorf("parent row %q, want %s", got, parKey)
	}
	// The parent story's twin page shows its epic.
	pid := ""
	if is, err := w.alice["A"].GetIssue(context.Background(), parKey, jira.GetIssueOptions{}); err == nil {
		pid = is.ID
	}
	rid2, rkey2 := w.issue(t, "AB", map[string]any{"summary": "relay parent"})
	tw2 := models.Twin{ConnectionID: w.conn.ID, SyncID: "s-" + parKey, State: models.TwinActive, LocalIssueID: &pid, LocalKey: parKey,
		RemoteIssueID: &rid2, RemoteKey: rkey2}
	must(t, w.db.Create(&tw2).Error)
	page = parse(t, w.get(t, fmt.Sprintf("/twins/%d", tw2.ID), token))
	if got := squash(page.Find(`[data-testid="twin-structure-epic"]`).Text()); !strings.Contains(got, epKey) {
		t.Errorf("epic row %q, want %s", got, epKey)
	}
}
