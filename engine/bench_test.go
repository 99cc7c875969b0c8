package engine

import (
	"fmt"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

// BenchmarkReconcilePlan measures the pure part of one twin's reconcile (issue 6 item 5):
// project both issues, merge against the baseline, build both writes. Reported per twin.
func BenchmarkReconcilePlan(b *testing.B) {
	rules := DefaultRules()
	rules.Fields[3].Values = map[string]string{"High": "Highest"}
	rules.Fields = append(rules.Fields, FieldRule{Name: "assignee", Kind: KindUser, Local: "assignee", Remote: "assignee"},
		FieldRule{Name: "severity", Kind: KindSelect, Local: "customfield_10102", Remote: "customfield_10102"},
		FieldRule{Name: "platforms", Kind: KindMultiSelect, Local: "customfield_10103", Remote: "customfield_10103"})
	mk := func(summary, prio string) string {
		return fmt.Sprintf(`{"summary":%q,"description":"Some *wiki* text\nwith lines","labels":["b","a"],"priority":{"name":%q},
			"issuetype":{"name":"Task"},"duedate":"2024-06-01","status":{"name":"In Progress"},"assignee":{"name":"alice"},
			"customfield_10102":{"value":"S2 - Major"},"customfield_10103":[{"value":"Linux"},{"value":"macOS"}],
			"updated":"2024-06-01T10:00:00.000+0000"}`, summary, prio)
	}
	local := issueWith(&testing.T{}, mk("Local summary, edited", "High"))
	remote := issueWith(&testing.T{}, mk("Original summary", "Highest"))
	base := Baseline{Local: Project(remote, &rules, models.SideRemote), Remote: Project(remote, &rules, models.SideRemote)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l := Project(local, &rules, models.SideLocal)
		r := Project(remote, &rules, models.SideRemote)
		p := Merge(rules.Fields, base, l, r, MergeOptions{})
		if len(p.ToRemote) == 0 {
			b.Fatal("nothing to write")
		}
		if _, err := BuildUpdate(p.ToRemote, models.SideRemote, &rules, &WriteMeta{}); err != nil {
			b.Fatal(err)
		}
		if _, err := BuildUpdate(p.ToLocal, models.SideLocal, &rules, &WriteMeta{}); err != nil {
			b.Fatal(err)
		}
	}
}
