package web

import (
	"fmt"
	"testing"
)

// The twin page says how many internal comments stayed on each side at the last comment sync.
func TestTwinPageInternalCommentsKeptHome(t *testing.T) {
	w := newTwinWorld(t)
	tw := w.linkedTwin(t, "Agreed", "Agreed", "Agreed")
	token, _ := w.session(t)
	doc := parse(t, w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token))
	if n := doc.Find(`[data-testid$="-kept-home"]`).Length(); n != 0 {
		t.Errorf("%d kept-home lines with nothing kept home", n)
	}
	must(t, w.db.Model(&tw).Updates(map[string]any{"local_comments_kept_home": 2, "remote_comments_kept_home": 1}).Error)
	doc = parse(t, w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token))
	for id, want := range map[string]string{
		"twin-local-kept-home":  "2 internal comments stayed on A",
		"twin-remote-kept-home": "1 internal comment stayed on AB",
	} {
		got := squash(doc.Find(`[data-testid="` + id + `"]`).Text())
		if len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("%s = %q, want it to start with %q", id, got, want)
		}
	}
}
