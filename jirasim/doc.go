// Package jirasim emulates Jira Server/Data Center 9.12 over REST API v2, with
// several instances in one process, for tests, the demo and benchmarks.
//
// Start instances like httptest servers:
//
//	sim, err := jirasim.New(jirasim.Options{Name: "A", ContextPath: "/jira"}, jirasim.Options{Name: "B"})
//	defer sim.Close()
//	base := sim.Instance("A").URL() // http://127.0.0.1:PORT/jira
//
// or mount Instance.Handler() yourself (NewInstance), or run Serve for
// `airlock jirasim`. Everything is in memory behind one RWMutex per instance.
//
// # Seed (DefaultSeed)
//
// Users (login / password, key, notes):
//
//	admin   / admin    key admin          Jira administrator
//	airlock / airlock  key JIRAUSER10100  the sync user; profile zone Europe/Berlin;
//	                                      PAT "airlock-pat-<instance name>"; project admin
//	alice   / alice    key JIRAUSER10101
//	bob     / bob      key JIRAUSER10102
//
// One project per instance: ALPHA (instance A), RELAY (AB), BETA (B), DEMO
// (any other name); id 10000, lead admin, components Backend/Frontend/Docs
// (ids 10100..), versions 1.0/1.1/2.0 (ids 10100..). Issue ids start at 10000
// (A), 20000 (AB), 30000 (B) so an id sent to the wrong Jira answers 404.
//
// Every instance also has SIMPLE "Simple Flow" (id 10002), a software project on Jira
// Software's simplified workflow: global transitions 11 To Do, 21 In Progress, 31 Done,
// each available from every status including the current one (workflow.go). ALPHA and
// BETA have an issue security scheme: levels Staff 10100 (admin, airlock, alice) and
// Management 10101 (admin, alice); bob is in neither (security.go).
//
// Instance A also has HELP "Help Desk" (id 10001), a service project (projectTypeKey
// "service_desk", Jira Service Management): service desk 1, portal key "help", request types Get
// IT help 1 (help/getithelp), Fix an account problem 2, Report a system problem 3, organizations
// Acme Corp 1 and Globex 2. On an instance with a service project, /field lists JSM's fields:
// customfield_10200 "Customer Request Type" (vp-origin; write "help/getithelp" or the request type
// id), customfield_10201 "Request participants" (users), customfield_10202 "Organizations" (ids),
// customfield_10203 "Time to first response" and customfield_10204 "Time to resolution"
// (sd-sla-field, read-only; goals 4h and 8h on a 24/7 calendar). They are rendered and on the
// screens of service projects only. /rest/servicedeskapi has servicedesk, servicedesk/{id}/
// requesttype, organization and request/{key}/comment (GET, POST {"body","public"}).
//
// Issue types: Epic 10000, Story 10001, Task 10002, Sub-task 10003 (subtask), Bug 10004.
// Priorities: Highest 1, High 2, Medium 3 (default), Low 4, Lowest 5.
// Statuses: To Do 10000 (category new), In Progress 3 (indeterminate), Done 10001 (done).
// Resolutions: Done 10000, Won't Do 10001, Duplicate 10002.
//
// Workflow (transition id, name: from -> to):
//
//	11 Start Progress: To Do -> In Progress
//	21 To Do:          In Progress, Done -> To Do
//	31 Done:           To Do, In Progress -> Done (sets resolution, default Done; optional
//	                   resolution field on its screen)
//
// Moving to a status other than Done clears the resolution. Done -> In Progress
// needs two steps (21 then 11).
//
// Custom fields: customfield_10100 "Customer Reference" (text), customfield_10101
// "Effort Points" (number), customfield_10102 "Severity" (select: S1 - Critical
// 10200, S2 - Major 10201, S3 - Minor 10202), customfield_10103 "Platforms"
// (multi select: Linux 10300, macOS 10301, Windows 10302), customfield_10104
// "Deadline At" (datetime), customfield_10105 "Reviewer" (user picker), and Jira Software's
// customfield_10106 "Epic Link" (gh-epic-link; the epic's key; not on epics and sub-tasks)
// and customfield_10107 "Epic Name" (gh-epic-label; on epics only, required there; see
// epics.go). JQL accepts custom fields by name ("Epic Link" = KEY) as well as cf[id].
//
// Issue links (links.go): types Blocks 10000, Cloners 10001, Duplicate 10002, Relates 10003;
// POST /issueLink reads "inwardIssue <outward> outwardIssue", as real Jira does. Sub-tasks: subtasks.go (DC has
// no REST move; Instance.MoveSubtask stands in for the web UI's Change parent).
//
// Screens: the create and edit screens hold every editable field except
// resolution (set it through the Done transition), so PUT {"fields":{"resolution":..}}
// answers 400 "Field 'resolution' cannot be set. It is not on the appropriate
// screen, or unknown." as on a stock Jira. Change screens with SetScreens.
//
// # Behaviour worth knowing
//
//   - Response datetimes carry the instance zone (Options.TimeZone, default UTC);
//     JQL date literals are read in the calling user's profile zone.
//   - Search: maxResults default 50, capped at 1000 and echoed; fields default
//     *navigable (comment, attachment, worklog, timetracking are not navigable).
//   - updated is bumped by field edits, transitions, comments, attachments,
//     worklogs and remote links. Changelog entries are written for field edits,
//     transitions (resolution, status), attachments (Attachment), worklogs
//     (timeestimate, timespent, WorklogId; WorklogTimeSpent on delete), estimate edits
//     (timeoriginalestimate, timeestimate) and remote links (RemoteIssueLink). Comments bump
//     updated but write no changelog entry, as on real Jira. Issue entity properties
//     neither bump updated nor write history. Comment properties (set on create, read
//     with expand=properties, changed at /rest/api/2/comment/{id}/properties) write no
//     history and leave the comment's updated alone, but bump the updated so a
//     poll sees a service desk comment turned internal or public (commentprops.go says why).
//   - Time tracking (timetracking.go): timetracking is settable on create and edit
//     (originalEstimate, remainingEstimate); worklogs move the remaining estimate per
//     adjustEstimate (worklogs.go). Watchers, PUT /issue/{k}/assignee (watchers.go) and
//     POST /issue/bulk (bulk.go) behave as their files say; creator and reporter watch a
//     new issue. The worklog feeds /worklog/updated, /worklog/deleted and /worklog/list
//     (worklogfeed.go) leave out the last minute, as Jira does.
//   - Anonymous requests (no Authorization) see nothing: /myself and user
//     endpoints answer 401 JSON, issues 404, search an empty page, /project [].
//   - Bad credentials: 401 HTML with X-Seraph-LoginReason: AUTHENTICATED_FAILED.
//     After CaptchaThreshold (default 3) consecutive failures of one login, every
//     basic-auth request for it answers 401 AUTHENTICATION_DENIED with
//     X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE; login-url=<base>/login.jsp
//     until Knobs.ResetCaptcha. Bearer PATs are never subject to CAPTCHA.
//   - notifyUsers=false needs Jira admin or project admin (admin, airlock), else 403.
//   - Query-string booleans (deleteSubtasks, notifyUsers, includeInactive, public, internal)
//     read as Java's Boolean.valueOf: "true" in any case is true, any other value false.
//   - GET /rest/api/2/issue/createmeta (the pre-9.0 global form) answers 404
//     "Issue Does Not Exist", as 9.x does.
//
// # Test knobs
//
// An instance starts on Realistic() (unstable paging, normalisation and a 1 s index lag, as
// production Jira), or on Options.Knobs (NoIndexLag, StillWorld). Instance.Knobs() in Go, or JSON at {base}/__sim/ without Jira auth (see
// serveAdmin for the list): latency, 5xx rate or next-N failures (503/500),
// hangs until the client gives up (bounded, then 504), a FaultEndpoint filter,
// index lag (search sees the state of N seconds ago, by the emulator clock),
// unstable paging (each page evaluated against the current state, optional
// skew; off = later pages reuse the order of the scan's first page), value
// normalisation (trim text, sort and dedupe labels), clock set/advance/real,
// the rate-limit token bucket (429 with X-RateLimit-* and Retry-After), CAPTCHA
// threshold and reset, reset to seed, request log read and clear.
//
// The request log (Instance.Log()) records time, method, path, query, status,
// user and a body excerpt per request, and counts per endpoint key such as
// "GET /rest/api/2/issue/{id}".
//
// Responses for which no public capture exists (429 body, 413 body, 9.x
// createmeta pages, transitions.fields) are synthetic, built from the
// documented shapes.
package jirasim
