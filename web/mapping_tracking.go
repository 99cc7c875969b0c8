package web

import "github.com/airlock-sync/airlock/engine"

// writableVia reports whether a field that is on no screen is written another way: the
// estimates through the timetracking field, watchers through the watcher resource, the
// assignee through PUT /issue/{k}/assignee.
func writableVia(writable map[string]bool, id string) bool {
	switch id {
	case engine.FieldOriginalEstimate, engine.FieldRemainingEstimate:
		return writable["timetracking"]
	case "watches", "assignee":
		return true
	}
	return false
}

// trackingKindNote is the sentence under a row of an estimate or watchers rule.
func trackingKindNote(kind string) string {
	switch kind {
	case engine.KindDuration:
		return "Estimate: compared in seconds (\"1h 30m\" and \"90m\" are the same) and written in minutes through Jira's time tracking field, so days and weeks never depend on either Jira's working-day setting. Share Original Estimate (timeoriginalestimate) and Remaining Estimate (timeestimate) as two rows; a change of one never resets the other."
	case engine.KindWatchers:
		return "Watchers: the people watching the issue, through the user map; the sync user itself is never counted. Jira does not mark an issue updated when someone starts or stops watching, so a watcher change travels with the issue's next change."
	}
	return ""
}
