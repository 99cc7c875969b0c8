package views

import "time"

// ConflictCard is one conflict in the inbox: the baseline and both values side by side, and
// the decision form (or the decision taken).
type ConflictCard struct {
	ID                                uint
	Twin, TwinURL, Connection         string
	Field                             string
	Baseline, LocalValue, RemoteValue string
	LocalName, RemoteName             string
	LocalIssue, RemoteIssue           ErrorsLink
	CreatedAt                         time.Time
	DecideURL                         string
	// Decided conflicts: what was chosen, by whom, and whether it reached both issues.
	Decision, Value, DecidedBy string
	DecidedAt                  *time.Time
	Applied                    bool
	// Form state after a refused decision: the typed value and the messages.
	EditValue, EditError, TakeError string
	EditOpen                        bool
}

// ConflictsData is the Conflicts page.
type ConflictsData struct {
	Decided                 bool
	OpenCount, DecidedCount int64
	OpenURL, DecidedURL     string
	Cards                   []ConflictCard
	Total                   int64
	CanDecide               bool
	Back                    string
}
