package views

import "time"

// ErrorsOption is one choice of a filter or form select.
type ErrorsOption struct {
	Value, Label string
}

// ErrorsGroup is one class and connection with its count of errors.
type ErrorsGroup struct {
	Class, Connection string
	Count             int64
	LastSeen          time.Time
	// FilterURL lists this group's errors.
	FilterURL string
	// RetryClass and RetryConnection are the retry-all form's fields for this group.
	RetryClass, RetryConnection string
}

// ErrorsRow is one sync error in the list.
type ErrorsRow struct {
	ID                        uint
	Class, Message, Scope     string
	Attempts                  int
	LastSeen                  time.Time
	URL, RetryURL, DismissURL string
	Resolution                string
}

// ErrorsData is the Errors page: groups, the filter, one page of errors and the actions.
type ErrorsData struct {
	// Resolved shows resolved errors instead of open ones.
	Resolved                 bool
	OpenCount, ResolvedCount int64
	OpenURL, ResolvedURL     string
	Groups                   []ErrorsGroup
	// Filter values as typed (class, connection id, twin id or issue key).
	Class, Connection, Twin string
	// TwinProblem explains a twin filter that matched no twin.
	TwinProblem string
	Classes     []ErrorsOption
	Connections []ErrorsOption
	Rows        []ErrorsRow
	// Total counts the errors matching the filter; Page is 1-based.
	Total             int64
	Page, Pages       int
	PrevURL, NextURL  string
	ListURL           string
	RetryAllURL       string
	Back              string
	CanRetry          bool
	Filtered          bool
	ClearFilterURL    string
	FirstRow, LastRow int64
}

// ErrorsLink is a named link (twin, connection, instance, Jira issue); an empty URL shows the
// label alone.
type ErrorsLink struct {
	Label, URL string
}

// ErrorDetail is one sync error's page.
type ErrorDetail struct {
	ID                   uint
	Class                string
	ClassHelp, Advice    string
	Message              string
	Request, Response    string
	Attempts             int
	FirstSeen, LastSeen  time.Time
	TaskType, TaskID     string
	ResolvedAt           *time.Time
	Resolution           string
	Twin                 ErrorsLink
	LocalIssue           ErrorsLink
	RemoteIssue          ErrorsLink
	Connection, Instance ErrorsLink
	RetryURL, DismissURL string
	ListURL              string
	SameGroupURL         string
	CanRetry             bool
	// Skip offers "skip this field for this twin" (config and data errors of a twin); URL empty: not offered.
	Skip ErrorSkip
}
