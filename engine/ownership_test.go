package engine

import (
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

// Two connections A/ALPHA -> AB stored directly (as an import or an older version could): the
// first shares only issues labelled "shared", the second has no filter. An issue without the
// label must never reach AB through the second one.
func TestOwnershipOverlapLeak(t *testing.T) {
	w := newSimWorld(t)
	i := 0
	n := w.newNode(testRules(), func(c *models.Connection) {
		i++
		if i == 1 {
			c.Name, c.LocalJQL = "shared-only", "labels = shared"
		} else {
			c.Name = "everything"
		}
	}, [2]string{"A", "AB"}, [2]string{"A", "AB"})
	before := len(w.issues("AB"))
	shared := w.createIssue("A", map[string]any{"summary": "Shared one", "labels": []string{"shared"}})
	private := w.createIssue("A", map[string]any{"summary": "Not shared"})
	// The overlapping connection's polls fail with a config error naming both: that is the point.
	n.expect = func(err error) bool {
		return ClassOf(err) == models.ClassConfig && strings.Contains(err.Error(), "overlaps")
	}
	settle(t, n)

	ab := w.issues("AB")
	if len(ab) != before+1 {
		keys := []string{}
		for _, is := range ab {
			keys = append(keys, is.Key+" "+fieldString(&is, "summary"))
		}
		t.Fatalf("AB has %d new issues, want 1 (the shared one): %v", len(ab)-before, keys)
	}
	for _, is := range ab {
		if fieldString(&is, "summary") == "Not shared" {
			t.Fatalf("%s reached AB as %s", private.Key, is.Key)
		}
	}
	if n.peer(shared.Key) == "" {
		t.Errorf("%s has no twin on AB", shared.Key)
	}
	// The younger connection's poll says why it syncs nothing.
	_, err := n.e.Poll(w.ctx, n.conns[1].ID, models.SideLocal)
	if err == nil || ClassOf(err) != models.ClassConfig || !strings.Contains(err.Error(), "shared-only") || !strings.Contains(err.Error(), "everything") {
		t.Fatalf("poll of the overlapping connection: %v (class %s), want a config error naming both", err, ClassOf(err))
	}
	var twins int64
	n.db.Model(&models.Twin{}).Where("connection_id = ?", n.conns[1].ID).Count(&twins)
	if twins != 0 {
		t.Errorf("the overlapping connection made %d twins", twins)
	}

	// Once the admin allows the overlap, the second connection syncs.
	n.db.Model(&models.Connection{}).Where("id = ?", n.conns[1].ID).Update("allow_overlap", true)
	settle(t, n)
	if got := len(w.issues("AB")); got != before+2 {
		t.Errorf("with overlap allowed AB has %d new issues, want 2", got-before)
	}
}

func TestOverlapsRule(t *testing.T) {
	base := models.Connection{ID: 1, Name: "c1", LocalInstanceID: 1, RemoteInstanceID: 2, LocalProject: "ALPHA", RemoteProject: "RELAY", LocalIssueTypes: "Task,Story"}
	cases := []struct {
		name string
		mut  func(*models.Connection)
		want int
	}{
		{"same scope", func(c *models.Connection) {}, 2}, // both sides overlap
		{"other relay", func(c *models.Connection) { c.RemoteInstanceID = 3; c.RemoteProject = "X" }, 0},
		{"other project", func(c *models.Connection) { c.LocalProject = "OTHER"; c.RemoteProject = "R2" }, 0},
		{"disjoint types", func(c *models.Connection) { c.LocalIssueTypes = "Bug"; c.RemoteProject = "R2" }, 0},
		{"intersecting types", func(c *models.Connection) { c.LocalIssueTypes = "Bug,Task"; c.RemoteProject = "R2" }, 1},
		{"jql does not separate", func(c *models.Connection) { c.LocalJQL = "labels = x"; c.RemoteProject = "R2" }, 1},
		{"reversed direction", func(c *models.Connection) {
			c.LocalInstanceID, c.RemoteInstanceID, c.LocalProject, c.RemoteProject = 2, 1, "RELAY", "ALPHA"
		}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.ID, c.Name = 2, "c2"
			tc.mut(&c)
			if got := len(Overlaps(&c, []models.Connection{base})); got != tc.want {
				t.Errorf("overlaps = %d, want %d", got, tc.want)
			}
		})
	}
	c := base
	c.ID, c.LocalIssueTypes = 2, "Bug,Task"
	o := Overlaps(&c, []models.Connection{{ID: 1, Name: "c1", LocalInstanceID: 1, RemoteInstanceID: 2, LocalProject: "alpha", LocalIssueTypes: "task", LocalJQL: "labels = s"}})
	if len(o) != 1 || o[0].CountJQL() != `project = "ALPHA" AND issuetype in ("Task") AND (labels = s)` {
		t.Fatalf("overlap = %+v", o)
	}
}
