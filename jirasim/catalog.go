package jirasim

// The fixed catalog every emulated instance shares: issue types, statuses,
// priorities, resolutions, workflow and field definitions (see doc.go).

type issueTypeDef struct {
	ID, Name, Description, Icon string
	Subtask                     bool
	AvatarID                    int
}

var issueTypes = []issueTypeDef{
	{"10000", "Epic", "A big user story that needs to be broken down.", "/images/icons/issuetypes/epic.svg", false, 10307},
	{"10001", "Story", "A user story. Created by Jira Software - do not edit or delete.", "/images/icons/issuetypes/story.svg", false, 10315},
	{"10002", "Task", "A task that needs to be done.", "/secure/viewavatar?size=xsmall&avatarId=10318&avatarType=issuetype", false, 10318},
	{"10003", "Sub-task", "The sub-task of the issue", "/secure/viewavatar?size=xsmall&avatarId=10316&avatarType=issuetype", true, 10316},
	{"10004", "Bug", "A problem which impairs or prevents the functions of the product.", "/secure/viewavatar?size=xsmall&avatarId=10303&avatarType=issuetype", false, 10303},
}

type statusCat struct {
	ID               int
	Key, Color, Name string
}

type statusDef struct {
	ID, Name, Description string
	Cat                   statusCat
}

var (
	catNew   = statusCat{2, "new", "blue-gray", "To Do"}
	catIndet = statusCat{4, "indeterminate", "yellow", "In Progress"}
	catDone  = statusCat{3, "done", "green", "Done"}
)

const (
	statusToDo       = "10000"
	statusInProgress = "3"
	statusDone       = "10001"
)

var statuses = []statusDef{
	{statusToDo, "To Do", "", catNew},
	{statusInProgress, "In Progress", "This issue is being actively worked on at the moment by the assignee.", catIndet},
	{statusDone, "Done", "", catDone},
}

type transitionDef struct {
	ID, Name string
	To       string
	From     []string // statuses offering it
}

// The default workflow: To Do -> In Progress -> Done and back.
var transitions = []transitionDef{
	{"11", "Start Progress", statusInProgress, []string{statusToDo}},
	{"21", "To Do", statusToDo, []string{statusInProgress, statusDone}},
	{"31", "Done", statusDone, []string{statusToDo, statusInProgress}},
}

type priorityDef struct{ ID, Name, Color, Icon, Description string }

var priorities = []priorityDef{
	{"1", "Highest", "#d04437", "/images/icons/priorities/highest.svg", "This problem will block progress."},
	{"2", "High", "#f15C75", "/images/icons/priorities/high.svg", "Serious problem that could block progress."},
	{"3", "Medium", "#f79232", "/images/icons/priorities/medium.svg", "Has the potential to affect progress."},
	{"4", "Low", "#707070", "/images/icons/priorities/low.svg", "Minor problem or easily worked around."},
	{"5", "Lowest", "#999999", "/images/icons/priorities/lowest.svg", "Trivial problem with little or no impact on progress."},
}

const defaultPriority = "3"

type resolutionDef struct{ ID, Name, Description string }

var resolutions = []resolutionDef{
	{"10000", "Done", "Work has been completed on this issue."},
	{"10001", "Won't Do", "This issue won't be actioned."},
	{"10002", "Duplicate", "The problem is a duplicate of an existing issue."},
}

const defaultResolution = "10000"

// groups and roles known to the emulator (for comment and worklog visibility).
var knownGroups = []string{"jira-administrators", "jira-software-users", "jira-users"}
var knownRoles = []string{"Administrators", "Developers", "Users"}

type fieldKind int

const (
	kReadOnly fieldKind = iota
	kString             // single-line text (summary, text custom field)
	kText               // multi-line wiki text
	kNumber
	kOption
	kOptions
	kDateTime
	kDate
	kUser
	kLabels
	kComponents
	kVersions
	kIssueType
	kPriority
	kResolution
	kProject
	kParent
	kComment
	kRequestType // JSM Customer Request Type (vp-origin): a request type id of the project
	kUsers       // multi-user picker (JSM Request participants): user keys
	kOrgs        // JSM Organizations: organization ids
	kSLA         // JSM SLA field: read-only, computed (servicedesk.go)
	kEpicLink    // Jira Software Epic Link: the epic's issue id (epics.go)
	kSecurity    // issue security level: the level id (security.go)
)

type optionDef struct{ ID, Value string }

type fieldDef struct {
	ID, Name    string
	Custom      bool
	Orderable   bool
	Navigable   bool
	Searchable  bool
	Clause      []string
	Type, Items string // schema type and items
	CustomType  string // schema custom (custom fields)
	CustomID    int
	Kind        fieldKind
	Options     []optionDef
	// JSM marks a Jira Service Management field: listed in /field only on an instance with a
	// service project, rendered and on the default screens only in service projects.
	JSM bool
}

// operations lists the update operations a field kind supports (editmeta/createmeta).
func (f *fieldDef) operations() []string {
	switch f.Kind {
	case kLabels, kComponents, kVersions, kOptions, kUsers, kOrgs:
		return []string{"add", "set", "remove"}
	case kComment:
		return []string{"add", "edit", "remove"}
	case kTimeTracking:
		return []string{"set", "edit"}
	case kReadOnly, kSLA:
		return []string{}
	}
	return []string{"set"}
}

func (f *fieldDef) settable() bool { return f.Kind != kReadOnly && f.Kind != kSLA }

const (
	cfText     = "customfield_10100"
	cfNumber   = "customfield_10101"
	cfSelect   = "customfield_10102"
	cfMulti    = "customfield_10103"
	cfDateTime = "customfield_10104"
	cfUser     = "customfield_10105"

	cfRequestType  = "customfield_10200"
	cfParticipants = "customfield_10201"
	cfOrgs         = "customfield_10202"
	cfSLAResponse  = "customfield_10203"
	cfSLAResolve   = "customfield_10204"
)

var fieldDefs = []*fieldDef{
	{ID: "summary", Name: "Summary", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"summary"}, Type: "string", Kind: kString},
	{ID: "issuetype", Name: "Issue Type", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"issuetype", "type"}, Type: "issuetype", Kind: kIssueType},
	{ID: "project", Name: "Project", Orderable: false, Navigable: true, Searchable: true, Clause: []string{"project"}, Type: "project", Kind: kProject},
	{ID: "status", Name: "Status", Navigable: true, Searchable: true, Clause: []string{"status"}, Type: "status", Kind: kReadOnly},
	{ID: "priority", Name: "Priority", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"priority"}, Type: "priority", Kind: kPriority},
	{ID: "resolution", Name: "Resolution", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"resolution"}, Type: "resolution", Kind: kResolution},
	{ID: "resolutiondate", Name: "Resolved", Navigable: true, Searchable: true, Clause: []string{"resolutiondate", "resolved"}, Type: "datetime", Kind: kReadOnly},
	{ID: "description", Name: "Description", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"description"}, Type: "string", Kind: kText},
	{ID: "environment", Name: "Environment", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"environment"}, Type: "string", Kind: kText},
	{ID: "assignee", Name: "Assignee", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"assignee"}, Type: "user", Kind: kUser},
	{ID: "reporter", Name: "Reporter", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"reporter"}, Type: "user", Kind: kUser},
	{ID: "creator", Name: "Creator", Navigable: true, Searchable: true, Clause: []string{"creator"}, Type: "user", Kind: kReadOnly},
	{ID: "labels", Name: "Labels", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"labels"}, Type: "array", Items: "string", Kind: kLabels},
	{ID: "components", Name: "Component/s", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"component"}, Type: "array", Items: "component", Kind: kComponents},
	{ID: "fixVersions", Name: "Fix Version/s", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"fixVersion"}, Type: "array", Items: "version", Kind: kVersions},
	{ID: "versions", Name: "Affects Version/s", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"affectedVersion"}, Type: "array", Items: "version", Kind: kVersions},
	{ID: "duedate", Name: "Due Date", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"due", "duedate"}, Type: "date", Kind: kDate},
	{ID: "security", Name: "Security Level", Orderable: true, Navigable: true, Searchable: true, Clause: []string{"level"}, Type: "securitylevel", Kind: kSecurity},
	{ID: "parent", Name: "Parent", Orderable: false, Navigable: true, Searchable: false, Clause: []string{"parent"}, Type: "issuelink", Kind: kParent},
	{ID: "created", Name: "Created", Navigable: true, Searchable: true, Clause: []string{"created", "createdDate"}, Type: "datetime", Kind: kReadOnly},
	{ID: "updated", Name: "Updated", Navigable: true, Searchable: true, Clause: []string{"updated", "updatedDate"}, Type: "datetime", Kind: kReadOnly},
	{ID: "lastViewed", Name: "Last Viewed", Navigable: true, Searchable: false, Clause: []string{"lastViewed"}, Type: "datetime", Kind: kReadOnly},
	{ID: "watches", Name: "Watchers", Navigable: true, Searchable: false, Clause: []string{"watchers"}, Type: "watches", Kind: kReadOnly},
	{ID: "votes", Name: "Votes", Navigable: true, Searchable: false, Clause: []string{"votes"}, Type: "votes", Kind: kReadOnly},
	{ID: "issuelinks", Name: "Linked Issues", Orderable: true, Navigable: true, Searchable: false, Clause: []string{}, Type: "array", Items: "issuelinks", Kind: kReadOnly},
	{ID: "subtasks", Name: "Sub-Tasks", Navigable: true, Searchable: false, Clause: []string{"subtasks"}, Type: "array", Items: "issuelinks", Kind: kReadOnly},
	{ID: "workratio", Name: "Work Ratio", Navigable: true, Searchable: true, Clause: []string{"workratio"}, Type: "number", Kind: kReadOnly},
	{ID: "progress", Name: "Progress", Navigable: true, Searchable: false, Clause: []string{"progress"}, Type: "progress", Kind: kReadOnly},
	{ID: "timespent", Name: "Time Spent", Navigable: true, Searchable: false, Clause: []string{"timespent"}, Type: "number", Kind: kReadOnly},
	{ID: "timeestimate", Name: "Remaining Estimate", Navigable: true, Searchable: false, Clause: []string{"remainingEstimate", "timeestimate"}, Type: "number", Kind: kReadOnly},
	{ID: "timeoriginalestimate", Name: "Original Estimate", Navigable: true, Searchable: false, Clause: []string{"originalEstimate", "timeoriginalestimate"}, Type: "number", Kind: kReadOnly},
	{ID: "aggregatetimespent", Name: "Σ Time Spent", Navigable: true, Searchable: false, Clause: []string{}, Type: "number", Kind: kReadOnly},
	{ID: "aggregatetimeestimate", Name: "Σ Remaining Estimate", Navigable: true, Searchable: false, Clause: []string{}, Type: "number", Kind: kReadOnly},
	{ID: "aggregatetimeoriginalestimate", Name: "Σ Original Estimate", Navigable: true, Searchable: false, Clause: []string{}, Type: "number", Kind: kReadOnly},
	{ID: "aggregateprogress", Name: "Σ Progress", Navigable: true, Searchable: false, Clause: []string{}, Type: "progress", Kind: kReadOnly},
	{ID: "timetracking", Name: "Time tracking", Orderable: true, Navigable: false, Searchable: true, Clause: []string{}, Type: "timetracking", Kind: kTimeTracking},
	{ID: "comment", Name: "Comment", Orderable: true, Navigable: false, Searchable: true, Clause: []string{"comment"}, Type: "comments-page", Kind: kComment},
	{ID: "attachment", Name: "Attachment", Orderable: true, Navigable: false, Searchable: true, Clause: []string{"attachments"}, Type: "array", Items: "attachment", Kind: kReadOnly},
	{ID: "worklog", Name: "Log Work", Orderable: true, Navigable: false, Searchable: true, Clause: []string{}, Type: "array", Items: "worklog", Kind: kReadOnly},
	{ID: cfText, Name: "Customer Reference", Custom: true, Orderable: true, Navigable: true, Searchable: true,
		Clause: []string{"cf[10100]", "Customer Reference"}, Type: "string", CustomType: "com.atlassian.jira.plugin.system.customfieldtypes:textfield", CustomID: 10100, Kind: kString},
	{ID: cfNumber, Name: "Effort Points", Custom: true, Orderable: true, Navigable: true, Searchable: true,
		Clause: []string{"cf[10101]", "Effort Points"}, Type: "number", CustomType: "com.atlassian.jira.plugin.system.customfieldtypes:float", CustomID: 10101, Kind: kNumber},
	{ID: cfSelect, Name: "Severity", Custom: true, Orderable: true, Navigable: true, Searchable: true,
		Clause: []string{"cf[10102]", "Severity"}, Type: "option", CustomType: "com.atlassian.jira.plugin.system.customfieldtypes:select", CustomID: 10102, Kind: kOption,
		Options: []optionDef{{"10200", "S1 - Critical"}, {"10201", "S2 - Major"}, {"10202", "S3 - Minor"}}},
	{ID: cfMulti, Name: "Platforms", Custom: true, Orderable: true, Navigable: true, Searchable: true,
		Clause: []string{"cf[10103]", "Platforms"}, Type: "array", Items: "option", CustomType: "com.atlassian.jira.plugin.system.customfieldtypes:multiselect", CustomID: 10103, Kind: kOptions,
		Options: []optionDef{{"10300", "Linux"}, {"10301", "macOS"}, {"10302", "Windows"}}},
	{ID: cfDateTime, Name: "Deadline At", Custom: true, Orderable: true, Navigable: true, Searchable: true,
		Clause: []string{"cf[10104]", "Deadline At"}, Type: "datetime", CustomType: "com.atlassian.jira.plugin.system.customfieldtypes:datetime", CustomID: 10104, Kind: kDateTime},
	{ID: cfUser, Name: "Reviewer", Custom: true, Orderable: true, Navigable: true, Searchable: true,
		Clause: []string{"cf[10105]", "Reviewer"}, Type: "user", CustomType: "com.atlassian.jira.plugin.system.customfieldtypes:userpicker", CustomID: 10105, Kind: kUser},
	{ID: cfEpicLink, Name: "Epic Link", Custom: true, Orderable: true, Navigable: true, Searchable: true,
		Clause: []string{"cf[10106]", "Epic Link"}, Type: "any", CustomType: "com.pyxis.greenhopper.jira:gh-epic-link", CustomID: 10106, Kind: kEpicLink},
	{ID: cfEpicName, Name: "Epic Name", Custom: true, Orderable: true, Navigable: true, Searchable: true,
		Clause: []string{"cf[10107]", "Epic Name"}, Type: "string", CustomType: "com.pyxis.greenhopper.jira:gh-epic-label", CustomID: 10107, Kind: kString},
	{ID: cfRequestType, Name: "Customer Request Type", Custom: true, Orderable: true, Navigable: true, Searchable: true, JSM: true,
		Clause: []string{"cf[10200]", "Customer Request Type"}, Type: "sd-customerrequesttype", CustomType: "com.atlassian.servicedesk:vp-origin", CustomID: 10200, Kind: kRequestType},
	{ID: cfParticipants, Name: "Request participants", Custom: true, Orderable: true, Navigable: true, Searchable: true, JSM: true,
		Clause: []string{"cf[10201]", "Request participants"}, Type: "array", Items: "user", CustomType: "com.atlassian.servicedesk:sd-request-participants", CustomID: 10201, Kind: kUsers},
	{ID: cfOrgs, Name: "Organizations", Custom: true, Orderable: true, Navigable: true, Searchable: true, JSM: true,
		Clause: []string{"cf[10202]", "Organizations"}, Type: "array", Items: "sd-customerorganization", CustomType: "com.atlassian.servicedesk:sd-customer-organizations", CustomID: 10202, Kind: kOrgs},
	{ID: cfSLAResponse, Name: "Time to first response", Custom: true, Orderable: true, Navigable: true, Searchable: true, JSM: true,
		Clause: []string{"cf[10203]", "Time to first response"}, Type: "sd-servicelevelagreement", CustomType: "com.atlassian.servicedesk:sd-sla-field", CustomID: 10203, Kind: kSLA},
	{ID: cfSLAResolve, Name: "Time to resolution", Custom: true, Orderable: true, Navigable: true, Searchable: true, JSM: true,
		Clause: []string{"cf[10204]", "Time to resolution"}, Type: "sd-servicelevelagreement", CustomType: "com.atlassian.servicedesk:sd-sla-field", CustomID: 10204, Kind: kSLA},
}

var fieldByID = func() map[string]*fieldDef {
	m := make(map[string]*fieldDef, len(fieldDefs))
	for _, f := range fieldDefs {
		m[f.ID] = f
	}
	return m
}()

// defaultScreen is the field list of the default create and edit screens:
// every editable field except resolution (which only the Done transition sets).
// JSM fields are on the screens of service projects only.
func defaultScreen(create, service bool) []string {
	var ids []string
	for _, f := range fieldDefs {
		switch {
		case !f.settable(), f.Kind == kResolution, f.JSM && !service:
			continue
		case f.Kind == kProject && !create:
			continue
		case f.Kind == kComment && create:
			continue
		}
		ids = append(ids, f.ID)
	}
	return ids
}

func findIssueType(ref string) *issueTypeDef {
	for i := range issueTypes {
		if issueTypes[i].ID == ref {
			return &issueTypes[i]
		}
	}
	return nil
}

func findStatus(id string) *statusDef {
	for i := range statuses {
		if statuses[i].ID == id {
			return &statuses[i]
		}
	}
	return nil
}

func findPriority(id string) *priorityDef {
	for i := range priorities {
		if priorities[i].ID == id {
			return &priorities[i]
		}
	}
	return nil
}

func findResolution(id string) *resolutionDef {
	for i := range resolutions {
		if resolutions[i].ID == id {
			return &resolutions[i]
		}
	}
	return nil
}
