package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/views"
)

// commentOptions are the service desk comment choices of the connection form: whether internal
// notes may leave each side, and whether comments arriving in a service project are public.
// Every one is off by default: internal notes stay home and arrivals are internal.
type commentOptions struct {
	InternalToRemote, InternalToLocal bool
	PublicOnLocal, PublicOnRemote     bool
}

// readCommentOptions reads the four boxes of the form.
func readCommentOptions(form url.Values) commentOptions {
	on := func(name string) bool { return form.Get(name) != "" }
	return commentOptions{InternalToRemote: on("comments_internal_to_remote"), InternalToLocal: on("comments_internal_to_local"),
		PublicOnLocal: on("comments_public_on_local"), PublicOnRemote: on("comments_public_on_remote")}
}

// commentOptionsOf reads the choices from a connection's rules document (best effort: unreadable
// rules show every box off, the safe state).
func commentOptionsOf(rules string) commentOptions {
	var r engine.Rules
	if strings.TrimSpace(rules) == "" || json.Unmarshal([]byte(rules), &r) != nil {
		return commentOptions{}
	}
	c := r.Comments
	return commentOptions{InternalToRemote: c.InternalToRemote, InternalToLocal: c.InternalToLocal,
		PublicOnLocal: c.PublicOnLocal, PublicOnRemote: c.PublicOnRemote}
}

// withCommentOptions writes the choices into a rules document and leaves everything else in it
// as it was (an empty document stands for the default rules).
func withCommentOptions(rules string, o commentOptions) (string, error) {
	return editRulesDoc(rules, func(doc map[string]json.RawMessage) error {
		var comments map[string]json.RawMessage
		if raw, ok := doc["comments"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &comments); err != nil {
				return fmt.Errorf("read comment rules: %w", err)
			}
		}
		if comments == nil {
			comments = map[string]json.RawMessage{}
		}
		for key, on := range map[string]bool{"internal_to_remote": o.InternalToRemote, "internal_to_local": o.InternalToLocal,
			"public_on_local": o.PublicOnLocal, "public_on_remote": o.PublicOnRemote} {
			if on {
				comments[key] = json.RawMessage("true")
			} else {
				delete(comments, key) // omitempty: off is the absence
			}
		}
		raw, err := json.Marshal(comments)
		if err != nil {
			return fmt.Errorf("encode comment rules: %w", err)
		}
		doc["comments"] = raw
		return nil
	})
}

// editRulesDoc lets edit change a rules document's top-level keys and leaves everything else in
// it as it was, byte for byte (an empty document stands for the default rules): a page that owns
// one block of the rules never drops another page's.
func editRulesDoc(rules string, edit func(doc map[string]json.RawMessage) error) (string, error) {
	if strings.TrimSpace(rules) == "" {
		b, err := json.Marshal(engine.DefaultRules())
		if err != nil {
			return "", fmt.Errorf("encode default rules: %w", err)
		}
		rules = string(b)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rules), &doc); err != nil {
		return "", fmt.Errorf("read rules: %w", err)
	}
	if err := edit(doc); err != nil {
		return "", err
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode rules: %w", err)
	}
	return string(out), nil
}

// commentForm is the view of the choices, naming each side by its Jira when one is chosen.
func commentForm(o commentOptions, local, remote string) views.ConnCommentForm {
	if local == "" {
		local = "the local side"
	}
	if remote == "" {
		remote = "the remote side"
	}
	return views.ConnCommentForm{Local: local, Remote: remote, InternalToRemote: o.InternalToRemote, InternalToLocal: o.InternalToLocal,
		PublicOnLocal: o.PublicOnLocal, PublicOnRemote: o.PublicOnRemote}
}

// serviceDeskSummary says in one phrase what happens to service desk comments on a connection.
func serviceDeskSummary(c engine.CommentRules, local, remote string) string {
	var travel []string
	if c.InternalToRemote {
		travel = append(travel, local+" to "+remote)
	}
	if c.InternalToLocal {
		travel = append(travel, remote+" to "+local)
	}
	out := "internal notes stay home"
	if len(travel) > 0 {
		out = "internal notes travel from " + strings.Join(travel, " and from ")
	}
	var public []string
	if c.PublicOnLocal {
		public = append(public, local)
	}
	if c.PublicOnRemote {
		public = append(public, remote)
	}
	if len(public) == 0 {
		return out + ", arrivals in a service project are internal"
	}
	return out + ", arrivals in a service project of " + strings.Join(public, " and ") + " are public"
}
