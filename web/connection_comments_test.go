package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// The connection form carries the service desk comment choices into the rules: off by default
// (internal notes stay home, arrivals are internal), saved per direction, the rest of the rules
// untouched.
func TestConnectionFormCommentOptions(t *testing.T) {
	e := newConnEnv(t)
	boxes := []string{"comments-internal-to-remote", "comments-internal-to-local", "comments-public-on-local", "comments-public-on-remote"}
	doc := parse(t, e.get(t, "/connections/new", e.token))
	opts := doc.Find(`[data-testid="conn-comment-options"]`)
	for _, id := range boxes {
		box := opts.Find(`[data-testid="` + id + `"]`)
		if box.Length() != 1 {
			t.Fatalf("no %s box", id)
		}
		if _, on := box.Attr("checked"); on {
			t.Errorf("%s is ticked by default", id)
		}
	}
	if txt := squash(opts.Text()); !strings.Contains(txt, "Internal comments of A may travel to AB") || !strings.Contains(txt, "service project of AB are public") {
		t.Errorf("the choices do not name the Jiras: %q", txt)
	}
	form := formValues(doc.Find(`[data-testid="connection-form"]`))
	form.Set("name", "Help to relay")
	form.Set("local_project", "ALPHA")
	form.Set("remote_project", "RELAY")
	if res := e.post(t, "/connections", form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: status %d: %s", res.StatusCode, squash(bodyString(t, res)))
	}
	cn := e.storedConnection(t)
	r, err := engine.ParseRules(cn.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Comments; c.InternalToRemote || c.InternalToLocal || c.PublicOnLocal || c.PublicOnRemote || !c.Enabled {
		t.Errorf("new connection comment rules %+v, want comments on and every service desk choice off", c)
	}
	fields := len(r.Fields)

	// Tick two boxes on the scope page.
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/scope"
	form = formValues(parse(t, e.get(t, path, e.token)).Find(`[data-testid="connection-form"]`))
	form.Set("comments_internal_to_remote", "1")
	form.Set("comments_public_on_local", "1")
	if res := e.post(t, path, form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("scope save: status %d: %s", res.StatusCode, squash(bodyString(t, res)))
	}
	cn = e.storedConnection(t)
	if r, err = engine.ParseRules(cn.Rules); err != nil {
		t.Fatal(err)
	}
	if c := r.Comments; !c.InternalToRemote || c.InternalToLocal || !c.PublicOnLocal || c.PublicOnRemote {
		t.Errorf("saved comment rules %+v, want internal to remote and public on local only", c)
	}
	if len(r.Fields) != fields || r.Comments.Attribution != engine.DefaultAttribution || !r.Comments.RewriteMentions {
		t.Errorf("the scope save changed other rules: %+v", r)
	}
	doc = parse(t, e.get(t, path, e.token))
	for id, want := range map[string]bool{boxes[0]: true, boxes[1]: false, boxes[2]: true, boxes[3]: false} {
		if _, on := doc.Find(`[data-testid="` + id + `"]`).Attr("checked"); on != want {
			t.Errorf("%s ticked = %v, want %v", id, on, want)
		}
	}
	// Saving the mapping editor (which does not show these choices) keeps them.
	mpath := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	mform := formValues(parse(t, e.get(t, mpath, e.token)).Find(`[data-testid="mapping-form"]`))
	mform.Set("op", "save")
	if res := e.post(t, mpath, mform, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("mapping save: status %d: %s", res.StatusCode, squash(bodyString(t, res)))
	}
	if r, _ = engine.ParseRules(e.storedConnection(t).Rules); !r.Comments.InternalToRemote || !r.Comments.PublicOnLocal {
		t.Errorf("a save of the mapping editor reset the service desk comment choices: %+v", r.Comments)
	}
	// Unticked boxes are saved as off.
	form = formValues(doc.Find(`[data-testid="connection-form"]`))
	form.Del("comments_internal_to_remote")
	e.post(t, path, form, false)
	if r, _ = engine.ParseRules(e.storedConnection(t).Rules); r.Comments.InternalToRemote || !r.Comments.PublicOnLocal {
		t.Errorf("after unticking: %+v", r.Comments)
	}
	// The overview says it in words.
	show := squash(bodyString(t, e.get(t, "/connections/"+strconv.Itoa(int(cn.ID)), e.token)))
	if want := "internal notes stay home, arrivals in a service project of A are public"; !strings.Contains(show, want) {
		t.Errorf("the overview does not say %q", want)
	}
}

// storedConnection reads the only connection back.
func (e *connEnv) storedConnection(t *testing.T) models.Connection {
	t.Helper()
	var cn models.Connection
	if err := e.db.First(&cn).Error; err != nil {
		t.Fatal(err)
	}
	return cn
}
