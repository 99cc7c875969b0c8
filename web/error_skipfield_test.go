package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// TestErrorSkipFieldAndUnskip: the error page of a twin's config error offers "skip this field
// for this twin" with the rejected field selected; the POST (CSRF) skips it, releases the
// twin and resolves its errors; the twin page lists the field with Un-skip, which undoes it.
func TestErrorSkipFieldAndUnskip(t *testing.T) {
	e := newEnv(t)
	sd := seedErrors(t, e.db)
	rules := engine.DefaultRules()
	rules.Fields = append(rules.Fields, engine.FieldRule{Name: "ref", Kind: engine.KindText, Local: "customfield_1", Remote: "customfield_1"})
	rj, _ := json.Marshal(rules)
	must(t, e.db.Model(&models.Connection{}).Where("id = ?", sd.conn1.ID).Update("rules", string(rj)).Error)
	q := &errorsEnqueuer{}
	errorsWithEngine(t, e, func(db *models.DB) *engine.Engine {
		return &engine.Engine{DB: db, Enqueuer: q, Clients: &engine.ClientPool{}}
	})
	token, sess := e.session(t)

	doc := parse(t, e.get(t, fmt.Sprintf("/errors/%d", sd.errQ.ID), token))
	sel := doc.Find(`[data-testid="error-skip-field"] option[selected]`)
	if v, _ := sel.Attr("value"); sel.Length() != 1 || v != "ref" {
		t.Fatalf("selected skip option %q (%d), want the rejected field ref", v, sel.Length())
	}
	if doc.Find(`[data-testid="error-skip"] input[name="_csrf"]`).Length() != 1 {
		t.Error("the skip form carries no CSRF token")
	}
	// Without the CSRF token the POST is refused.
	if res := e.do(t, req{method: http.MethodPost, path: fmt.Sprintf("/errors/%d/skip-field", sd.errQ.ID), form: url.Values{"field": {"ref"}},
		cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("skip without CSRF: status %d", res.StatusCode)
	}

	res, page := errorsPost(t, e, token, sess.CSRFToken, fmt.Sprintf("/errors/%d/skip-field", sd.errQ.ID), url.Values{"field": {"ref"}})
	if loc := res.Header.Get("Location"); loc != fmt.Sprintf("/twins/%d", sd.twinQ.ID) {
		t.Errorf("redirect to %q, want the twin page", loc)
	}
	if got := flashText(page, "success"); !strings.Contains(got, "ref is skipped") {
		t.Errorf("flash %q", got)
	}
	var tw models.Twin
	e.db.First(&tw, sd.twinQ.ID)
	if tw.State != models.TwinActive || tw.SkipFields != `["ref"]` || len(q.enqueued()) != 1 {
		t.Errorf("twin state %s skip %q enqueued %v", tw.State, tw.SkipFields, q.enqueued())
	}
	var open int64
	e.db.Model(&models.SyncError{}).Where("twin_id = ? AND resolved_at IS NULL", tw.ID).Count(&open)
	if open != 0 {
		t.Errorf("%d errors of the twin still open", open)
	}
	if page.Find(`[data-testid="twin-skipped"]`).Length() != 1 || page.Find(`[data-testid="twin-unskip-ref"]`).Length() != 1 {
		t.Fatalf("the twin page does not list the skipped field with Un-skip: %s", e.logs.String())
	}

	_, page = errorsPost(t, e, token, sess.CSRFToken, fmt.Sprintf("/twins/%d/unskip", tw.ID), url.Values{"field": {"ref"}})
	e.db.First(&tw, sd.twinQ.ID)
	if tw.SkipFields != "" || !tw.Dirty || page.Find(`[data-testid="twin-skipped"]`).Length() != 0 {
		t.Errorf("after un-skip: skip %q dirty %v", tw.SkipFields, tw.Dirty)
	}

	// A field the connection does not share is refused with a message.
	_, page = errorsPost(t, e, token, sess.CSRFToken, fmt.Sprintf("/errors/%d/skip-field", sd.errU.ID), url.Values{"field": {"nonesuch"}})
	if got := flashText(page, "error"); !strings.Contains(got, "shares no field") {
		t.Errorf("flash for an unknown field: %q", got)
	}
}
