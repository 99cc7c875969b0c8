package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// TestMappingSaveKeepsEveryRuleBlock: saving the mapping editor as it was shown changes no rule
// block: not the ones it shows (worklogs, sub-tasks and epics, issue links) and not the ones
// other pages own (the service desk comment choices, the security level map). Four helpers
// added blocks side by side; a block the save forgot would be reset to off.
func TestMappingSaveKeepsEveryRuleBlock(t *testing.T) {
	e := newConnEnv(t)
	rules := engine.DefaultRules()
	rules.Comments.InternalToRemote = true
	rules.Worklogs = engine.WorklogRules{Enabled: true, AllowVisibilities: []string{"role:Developers"}, Attribution: "_{author} worked on {instance}:_"}
	rules.Structure = engine.StructureRules{OutOfScopeParent: engine.ParentOutOfScopeStandalone, StandaloneType: "Task"}
	rules.Links = engine.LinkRules{Enabled: true, Types: map[string]string{"Blocks": "Duplicate"}}
	rules.Security = engine.SecurityRules{Levels: map[string]string{"Internal": "Internal"}}
	cn := e.connection(t, rules)
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	doc := parse(t, e.get(t, path, e.token))
	form := formValues(doc.Find(`[data-testid="mapping-form"]`))
	form.Set("op", "save")
	if res := e.post(t, path, form, false); res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusOK {
		t.Fatalf("save: status %d", res.StatusCode)
	}
	var stored models.Connection
	e.db.First(&stored, cn.ID)
	got, err := engine.ParseRules(stored.Rules)
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{
		"comments.internal_to_remote": {got.Comments.InternalToRemote, true},
		"worklogs":                    {got.Worklogs, rules.Worklogs},
		"structure":                   {got.Structure, rules.Structure},
		"links":                       {got.Links, rules.Links},
		"security":                    {got.Security, rules.Security},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			a, _ := json.Marshal(pair[0])
			b, _ := json.Marshal(pair[1])
			t.Errorf("%s after an unchanged save: %s, want %s", name, a, b)
		}
	}
}

// On a sealed connection the mapping editor refuses rules a sealed relay cannot carry (here
// security levels) with a 422 that says why, and stores nothing.
func TestMappingSaveOnASealedConnectionRefusesWhatSealingCannotCarry(t *testing.T) {
	e := newConnEnv(t)
	rules := engine.DefaultRules()
	rules.Security = engine.SecurityRules{Levels: map[string]string{"Internal": "Internal"}}
	cn := e.connection(t, rules)
	e.db.Model(&models.Connection{}).Where("id = ?", cn.ID).Update("sealed", true)
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	form := formValues(parse(t, e.get(t, path, e.token)).Find(`[data-testid="mapping-form"]`))
	form.Set("op", "save")
	res := e.post(t, path, form, false)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("save: status %d, want 422", res.StatusCode)
	}
	if body := parse(t, res).Text(); !strings.Contains(body, "This connection is sealed: a sealed relay does not carry security levels") {
		t.Errorf("the page does not say why")
	}
	var stored models.Connection
	e.db.First(&stored, cn.ID)
	if stored.Rules != cn.Rules {
		t.Errorf("the refused rules were stored")
	}
}
