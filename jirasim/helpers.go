package jirasim

import (
	"fmt"
	"strings"
	"time"
)

// Go helpers for tests: they change an instance directly, without HTTP, auth or the log.

// CreateUser adds a user account.
func (i *Instance) CreateUser(su SeedUser) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, err := i.st.addUser(su); err != nil {
		return fmt.Errorf("jirasim %s: create user: %w", i.opts.Name, err)
	}
	return nil
}

// CreateProject adds a project (default screens when none are given) and returns its id.
func (i *Instance) CreateProject(sp SeedProject) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	p, err := i.st.addProject(sp)
	if err != nil {
		return "", fmt.Errorf("jirasim %s: create project: %w", i.opts.Name, err)
	}
	return p.id, nil
}

// AddToken makes token a Personal Access Token of the user (Bearer auth).
func (i *Instance) AddToken(username, token string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	u := i.st.userByName[strings.ToLower(username)]
	if u == nil || token == "" {
		return fmt.Errorf("jirasim %s: add token: unknown user %q or empty token", i.opts.Name, username)
	}
	u.tokens = append(u.tokens, token)
	i.st.tokens[token] = u
	return nil
}

// SetUserTimeZone sets a user's profile zone ("" = the instance zone); JQL
// date literals of that user's searches are read in it.
func (i *Instance) SetUserTimeZone(username, zone string) error {
	if zone != "" {
		if _, err := time.LoadLocation(zone); err != nil {
			return fmt.Errorf("jirasim %s: time zone %q: %w", i.opts.Name, zone, err)
		}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	u := i.st.userByName[strings.ToLower(username)]
	if u == nil {
		return fmt.Errorf("jirasim %s: unknown user %q", i.opts.Name, username)
	}
	u.tz = zone
	return nil
}

// SetPassword changes a user's password.
func (i *Instance) SetPassword(username, password string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	u := i.st.userByName[strings.ToLower(username)]
	if u == nil {
		return fmt.Errorf("jirasim %s: unknown user %q", i.opts.Name, username)
	}
	u.password = password
	return nil
}

// SetScreens replaces a project's create and edit screens (field ids; nil keeps a screen).
func (i *Instance) SetScreens(projectKey string, create, edit []string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	p := i.st.project(projectKey)
	if p == nil {
		return fmt.Errorf("jirasim %s: unknown project %q", i.opts.Name, projectKey)
	}
	if create != nil {
		p.createScreen = screenSet(create, true, p.service())
	}
	if edit != nil {
		p.editScreen = screenSet(edit, false, p.service())
	}
	return nil
}

// IssueCount returns the number of live issues.
func (i *Instance) IssueCount() int {
	i.mu.RLock()
	defer i.mu.RUnlock()
	n := 0
	for _, is := range i.st.issues {
		if !is.deleted {
			n++
		}
	}
	return n
}

// Updated returns an issue's current `updated` time (false when it does not exist).
func (i *Instance) Updated(idOrKey string) (time.Time, bool) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	is := i.st.issue(idOrKey)
	if is == nil {
		return time.Time{}, false
	}
	return is.updated, true
}
