package jirasim

import "strings"

// Seed is the initial content of one emulated instance. Reset restores it.
type Seed struct {
	Users    []SeedUser
	Projects []SeedProject
	// IssueIDStart is the first issue id handed out (ids differ per instance so
	// that an id used against the wrong Jira answers 404 instead of a wrong issue).
	IssueIDStart int64
}

// SeedUser is one user account of the seed.
type SeedUser struct {
	Name        string // login, e.g. "alice"
	Key         string // user key; newer Jira uses "JIRAUSER10100"
	Password    string
	DisplayName string
	Email       string
	TimeZone    string   // IANA zone of the user's profile; "" = the instance zone
	Admin       bool     // member of jira-administrators
	Tokens      []string // Personal Access Tokens accepted as Bearer for this user
	Inactive    bool
}

// SeedProject is one project of the seed with its components, versions and screens.
type SeedProject struct {
	ID         string
	Key        string
	Name       string
	Lead       string   // user name
	Admins     []string // user names with project-admin rights (besides Jira admins)
	Components []string
	Versions   []string
	// CreateScreen and EditScreen list the field ids on the project's screens;
	// nil means the default screens (every editable field except resolution).
	CreateScreen []string
	EditScreen   []string
	// ProjectTypeKey is "software" (the default) or "service_desk", a Jira Service Management
	// project with JSM's fields, request types, organizations and SLAs (servicedesk.go).
	ProjectTypeKey string
	// RequestTypes of a service project (nil = DefaultRequestTypes).
	RequestTypes []SeedRequestType
	// Organizations associated with a service project (created instance-wide by name).
	Organizations []string
	// SecurityLevels is the project's issue security scheme (nil = none, security.go).
	SecurityLevels []SeedSecurityLevel
	// Workflow is "" (the default workflow) or "simplified": Jira Software's simplified
	// workflow, whose global transitions reach every status from any status (workflow.go).
	Workflow string
}

// SeedRequestType is one request type of a service project.
type SeedRequestType struct {
	ID          string // e.g. "1"; "" = next free id
	Key         string // e.g. "getithelp"; written as "<portal key>/<key>" in the Customer Request Type field
	Name        string
	Description string
}

// DefaultRequestTypes are the request types a service project gets when its seed names none.
func DefaultRequestTypes() []SeedRequestType {
	return []SeedRequestType{
		{Key: "getithelp", Name: "Get IT help", Description: "Get assistance for general IT problems and questions."},
		{Key: "fixaccount", Name: "Fix an account problem", Description: "Having trouble accessing certain websites or systems?"},
		{Key: "systemproblem", Name: "Report a system problem", Description: "Let us know if something isn't working properly."},
	}
}

// ServiceProjectKey is the key of the service project (Jira Service Management) DefaultSeed
// gives instance A beside ALPHA.
const ServiceProjectKey = "HELP"

// DefaultProjectKey is the key of the project DefaultSeed creates for an instance name.
func DefaultProjectKey(name string) string {
	switch strings.ToUpper(name) {
	case "A":
		return "ALPHA"
	case "AB":
		return "RELAY"
	case "B":
		return "BETA"
	}
	return "DEMO"
}

// DefaultSeed returns the documented seed for an instance name (see the package doc).
func DefaultSeed(name string) *Seed {
	key := DefaultProjectKey(name)
	start := int64(10000)
	switch strings.ToUpper(name) {
	case "AB":
		start = 20000
	case "B":
		start = 30000
	}
	projects := []SeedProject{{
		ID: "10000", Key: key, Name: titleCase(key) + " Project", Lead: "admin", Admins: []string{"airlock"},
		Components: []string{"Backend", "Frontend", "Docs"},
		Versions:   []string{"1.0", "1.1", "2.0"},
	}}
	if u := strings.ToUpper(name); u == "A" || u == "B" {
		projects[0].SecurityLevels = DefaultSecurityLevels()
	}
	if strings.ToUpper(name) == "A" {
		projects = append(projects, SeedProject{ID: "10001", Key: ServiceProjectKey, Name: "Help Desk", Lead: "admin",
			Admins: []string{"airlock"}, ProjectTypeKey: "service_desk", Organizations: []string{"Acme Corp", "Globex"}})
	}
	projects = append(projects, SeedProject{ID: "10002", Key: SimpleProjectKey, Name: "Simple Flow", Lead: "admin",
		Admins: []string{"airlock"}, Workflow: "simplified"})
	return &Seed{
		IssueIDStart: start,
		Users: []SeedUser{
			{Name: "admin", Key: "admin", Password: "admin", DisplayName: "Administrator", Email: "admin@example.com", Admin: true},
			{Name: "airlock", Key: "JIRAUSER10100", Password: "airlock", DisplayName: "Airlock Sync", Email: "airlock@example.com",
				TimeZone: "Europe/Berlin", Tokens: []string{"airlock-pat-" + name}},
			{Name: "alice", Key: "JIRAUSER10101", Password: "alice", DisplayName: "Alice Able", Email: "alice@example.com"},
			{Name: "bob", Key: "JIRAUSER10102", Password: "bob", DisplayName: "Bob Baker", Email: "bob@example.com"},
		},
		Projects: projects,
	}
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return s[:1] + strings.ToLower(s[1:])
}
