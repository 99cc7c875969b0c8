package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// userCacheTTL bounds how long a user lookup is trusted.
const userCacheTTL = 10 * time.Minute

type userHit struct {
	name string // login found on the instance, "" when none
	at   time.Time
}

// userNote records a user that could not be matched and was replaced by the default user.
type userNote struct {
	Field, Original, Replacement string
}

// resolveUsers decides, for every user value the plan writes to dst, which login to write:
// the explicit map, else the same login on dst (ByName), else the same e-mail (ByEmail), else
// the side's default user (the original display name is then noted for the Event), else empty.
func (e *Engine) resolveUsers(ctx context.Context, p *Pair, values map[string]string, src, dst *Side) (map[string]string, []userNote, error) {
	out := map[string]string{}
	var notes []userNote
	for i := range p.Rules.Fields {
		f := &p.Rules.Fields[i]
		v, ok := values[f.Name]
		if (f.Kind != KindUser && f.Kind != KindParticipants && f.Kind != KindWatchers) || !ok || v == "" {
			continue
		}
		vs := []string{v}
		if f.Kind == KindParticipants || f.Kind == KindWatchers {
			vs = decodeSet(v)
		}
		for _, v := range vs {
			found, note, err := e.resolveUser(ctx, p, f, v, src, dst, out)
			if err != nil {
				return nil, nil, err
			}
			if note != nil {
				notes = append(notes, *note)
			}
			if found != nil {
				out[found[0]] = found[1]
			}
		}
	}
	return out, notes, nil
}

// resolveUser resolves one user value of field f for resolveUsers: the (name, login) pair to
// record, nil when already known or explicitly mapped, with a note when the default replaced it.
func (e *Engine) resolveUser(ctx context.Context, p *Pair, f *FieldRule, v string, src, dst *Side, out map[string]string) (*[2]string, *userNote, error) {
	um := p.Rules.Users
	name := v
	explicit := false
	if dst.Name == models.SideLocal {
		name = reverseUser(um.Map, v)
		explicit = name != v
	} else {
		for _, r := range um.Map {
			if r == v {
				explicit = true
				break
			}
		}
	}
	if _, done := out[name]; done || explicit {
		return nil, nil, nil
	}
	var bean jira.User
	if src != nil && src.Issue != nil {
		if f.Kind == KindParticipants || f.Kind == KindWatchers {
			var us []jira.User
			_, _ = src.Issue.Field(f.fieldID(src.Name), &us)
			for _, u := range us {
				if u.Name == v || um.Map[u.Name] == v {
					bean = u
					break
				}
			}
		} else {
			_, _ = src.Issue.Field(f.fieldID(src.Name), &bean)
		}
	}
	found := ""
	if um.ByName {
		n, err := e.lookupUser(ctx, dst.Jira, name, "")
		if err != nil {
			return nil, nil, err
		}
		found = n
	}
	if found == "" && um.ByEmail && bean.EmailAddress != "" {
		n, err := e.lookupUser(ctx, dst.Jira, "", bean.EmailAddress)
		if err != nil {
			return nil, nil, err
		}
		found = n
	}
	var note *userNote
	if found == "" {
		def := um.DefaultRemote
		if dst.Name == models.SideLocal {
			def = um.DefaultLocal
		}
		found = def
		orig := bean.DisplayName
		if orig == "" {
			orig = name
		}
		note = &userNote{Field: f.Name, Original: orig, Replacement: def}
	}
	return &[2]string{name, found}, note, nil
}

// lookupUser finds a login on an instance by login name or by e-mail, through the cache.
func (e *Engine) lookupUser(ctx context.Context, j Jira, name, email string) (string, error) {
	c := e.caches()
	key := j.Instance() + "\x00" + name
	if email != "" {
		key = j.Instance() + "\x00@" + strings.ToLower(email)
	}
	c.mu.Lock()
	hit, ok := c.users[key]
	c.mu.Unlock()
	if ok && e.now().Sub(hit.at) < userCacheTTL {
		return hit.name, nil
	}
	found := ""
	if email == "" {
		u, err := j.User(ctx, name)
		switch {
		case jira.IsNotFound(err):
		case err != nil:
			return "", fmt.Errorf("look up user %s: %w", name, err)
		case !u.Deleted:
			found = u.Name
		}
	} else {
		us, err := j.SearchUsers(ctx, email, jira.UserSearchOptions{MaxResults: 50})
		if err != nil && !jira.IsNotFound(err) {
			return "", fmt.Errorf("look up user by e-mail: %w", err)
		}
		for _, u := range us {
			if strings.EqualFold(u.EmailAddress, email) && u.Active {
				found = u.Name
				break
			}
		}
	}
	c.mu.Lock()
	c.users[key] = userHit{name: found, at: e.now()}
	c.mu.Unlock()
	return found, nil
}
