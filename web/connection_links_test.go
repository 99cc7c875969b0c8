package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// The mapping editor's Issue links section: off by default, every link type of the local Jira
// listed with the relay's type of the same name pre-selected; a save stores the switch and the
// one type mapped to another name, shows them again, and the YAML export carries them through
// an import.
func TestMappingEditorLinks(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	doc := parse(t, e.get(t, path, e.token))
	sec := doc.Find(`[data-testid="mapping-links"]`)
	if sec.Length() != 1 {
		t.Fatal("no Issue links section")
	}
	if _, on := sec.Find(`[data-testid="links-on"]`).Attr("checked"); on {
		t.Error("links are on by default")
	}
	chosen := linkTypeChoices(sec)
	for _, name := range []string{"Blocks", "Cloners", "Duplicate", "Relates"} {
		if chosen[name] != name {
			t.Errorf("%s pre-selects %q, want the same name", name, chosen[name])
		}
	}
	form := formValues(doc.Find(`[data-testid="mapping-form"]`))
	form.Set("links_on", "1")
	for i, l := range form["link_l"] {
		if l == "Blocks" {
			form["link_r"][i] = "Duplicate"
		}
	}
	form.Set("op", "save")
	if res := e.post(t, path, form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", res.StatusCode, squash(bodyString(t, res)))
	}
	stored := e.storedConnection(t)
	r, err := engine.ParseRules(stored.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Links.Enabled || len(r.Links.Types) != 1 || r.Links.Types["Blocks"] != "Duplicate" {
		t.Errorf("saved link rules %+v, want on with Blocks -> Duplicate only", r.Links)
	}
	sec = parse(t, e.get(t, path, e.token)).Find(`[data-testid="mapping-links"]`)
	if _, on := sec.Find(`[data-testid="links-on"]`).Attr("checked"); !on {
		t.Error("links shown off after saving them on")
	}
	if got := linkTypeChoices(sec)["Blocks"]; got != "Duplicate" {
		t.Errorf("Blocks shows %q after the save, want Duplicate", got)
	}

	yml, err := exportConfig(context.Background(), e.db.DB, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(yml), "Blocks: Duplicate") {
		t.Errorf("the export lacks the link type map:\n%s", yml)
	}
	plan, err := planImport(context.Background(), e.db.DB, yml, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.conns) != 1 {
		t.Fatalf("import plans %d connections", len(plan.conns))
	}
	back, err := engine.ParseRules(plan.conns[0].conn.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Links.Enabled || back.Links.Types["Blocks"] != "Duplicate" {
		t.Errorf("imported link rules %+v", back.Links)
	}
}

// linkTypeChoices maps each local link type of the section to the remote type selected for it.
func linkTypeChoices(sec *goquery.Selection) map[string]string {
	out := map[string]string{}
	sec.Find(`[data-testid="link-type-pair"]`).Each(func(_ int, row *goquery.Selection) {
		l := squash(row.Find(`[data-testid="link-type-local"]`).Text())
		out[l] = row.Find(`[data-testid="link-type-remote"] option[selected]`).AttrOr("value", "")
	})
	return out
}

// The twin page lists the twin's links as they read on both sides, and how many stayed home.
func TestTwinPageLinks(t *testing.T) {
	w := newTwinWorld(t)
	one := w.linkedTwin(t, "One", "One", "One")
	two := w.linkedTwin(t, "Two", "Two", "Two")
	lid, rid := "10600", "20600"
	must(t, w.db.Create(&models.LinkTwin{ConnectionID: w.conn.ID, LocalLinkID: &lid, RemoteLinkID: &rid, FromTwinID: one.ID, ToTwinID: two.ID,
		LocalType: "Blocks", RemoteType: "Duplicate"}).Error)
	must(t, w.db.Model(&one).Updates(map[string]any{"local_links_kept_home": 2}).Error)
	token, _ := w.session(t)
	for _, tw := range []models.Twin{one, two} {
		doc := parse(t, w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token))
		local := squash(doc.Find(`[data-testid="twin-link-local"]`).Text())
		remote := squash(doc.Find(`[data-testid="twin-link-remote"]`).Text())
		if local != one.LocalKey+" Blocks "+two.LocalKey || remote != one.RemoteKey+" Duplicate "+two.RemoteKey {
			t.Errorf("twin %s shows the link as %q / %q", tw.LocalKey, local, remote)
		}
	}
	doc := parse(t, w.get(t, fmt.Sprintf("/twins/%d", one.ID), token))
	if got := squash(doc.Find(`[data-testid="twin-links-local-kept-home"]`).Text()); !strings.HasPrefix(got, "2 links stayed on A") {
		t.Errorf("kept home line %q", got)
	}
	if n := doc.Find(`[data-testid="twin-links-remote-kept-home"]`).Length(); n != 0 {
		t.Error("a remote kept-home line with nothing kept home")
	}
}
