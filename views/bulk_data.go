package views

import "time"

// BulkLinkForm is the "link existing pairs" form: the connection, the matching rule and, for
// the field rule, which field on which side holds the other key.
type BulkLinkForm struct {
	Connection, Rule, Field, Side string
	Errors                        map[string]string
}

// BulkSyncForm is the "sync every issue of a JQL" form.
type BulkSyncForm struct {
	Connection, Side, JQL string
	Errors                map[string]string
}

// BulkJobView is one background bulk job and its progress.
type BulkJobView struct {
	ID                           int
	Kind, Title, State           string
	Total, Done, Failed, Skipped int
	Errors                       []string
	Message                      string
	Started                      time.Time
	Finished                     *time.Time
	URL, ProgressURL, TwinsURL   string
	Running                      bool
}

// Handled counts the items the job is through with.
func (j BulkJobView) Handled() int { return j.Done + j.Failed + j.Skipped }

// BulkData is the Bulk page.
type BulkData struct {
	Connections         []ErrorsOption
	Link                BulkLinkForm
	Sync                BulkSyncForm
	Jobs                []BulkJobView
	PreviewURL, SyncURL string
	ConnectionsURL      string
	CanRun              bool
}

// BulkCandidate is one row of the link preview.
type BulkCandidate struct {
	LocalIssue, RemoteIssue     ErrorsLink
	LocalSummary, RemoteSummary string
	Reason, Problem             string
	// Value is the checkbox value ("localID:remoteID"); empty for rows that cannot be linked.
	Value string
}

// BulkPreviewData is the link preview: what the rule pairs, before anything is written.
type BulkPreviewData struct {
	Form                        BulkLinkForm
	Connection                  string
	LocalName, RemoteName       string
	RuleText                    string
	Candidates                  []BulkCandidate
	Linkable, Flagged           int
	LocalScanned, RemoteScanned int
	AlreadyLinked               int
	CommitURL, BackURL          string
}
