package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// TwinProperty is the issue entity property that holds Airlock's ledger in Jira itself.
const TwinProperty = "airlock.twin"

// TwinLink is one connection's entry in an issue's airlock.twin property: the twin's sync id and
// the issue it is linked to on the other side.
type TwinLink struct {
	SyncID      string `json:"sync_id"`
	PeerBaseURL string `json:"peer_base_url"`
	PeerID      string `json:"peer_id"`
	PeerKey     string `json:"peer_key"`
	// Digests are keyed digests of the shared values last agreed (engine/digests.go), from which
	// recover rebuilds the baseline; written on the connection's local issue.
	Digests *FieldDigests `json:"d,omitempty"`
}

// same tells whether two links say the same.
func (l TwinLink) same(o TwinLink) bool {
	return l.SyncID == o.SyncID && l.PeerBaseURL == o.PeerBaseURL && l.PeerID == o.PeerID && l.PeerKey == o.PeerKey &&
		l.Digests.equal(o.Digests)
}

// TwinValue is the airlock.twin property value: links per connection key. An AB issue carries
// the links of both nodes.
type TwinValue struct {
	V     int                 `json:"v"`
	Links map[string]TwinLink `json:"links"`
}

// ParseTwinValue decodes a property value; absent or malformed values give an empty value.
func ParseTwinValue(raw json.RawMessage) TwinValue {
	v := TwinValue{V: 1}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &v)
	}
	if v.Links == nil {
		v.Links = map[string]TwinLink{}
	}
	v.V = 1
	return v
}

// ConnectionKey identifies a connection in Jira properties deterministically from its identity
// (both base URLs and projects), so it survives the loss of the database.
func ConnectionKey(local, remote *models.Instance, c *models.Connection) string {
	norm := func(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }
	sum := sha256.Sum256([]byte(norm(local.BaseURL) + "\n" + c.LocalProject + "\n" + norm(remote.BaseURL) + "\n" + c.RemoteProject))
	return hex.EncodeToString(sum[:])[:16]
}

// issueLink returns the link for connKey carried by an issue read with properties=airlock.twin;
// known is false when the answer did not include properties at all (the caller must GET it).
func issueLink(is *jira.Issue, connKey string) (link TwinLink, found, known bool) {
	if is.Properties == nil {
		return TwinLink{}, false, false
	}
	raw, ok := is.Properties[TwinProperty]
	if !ok {
		return TwinLink{}, false, true
	}
	l, ok := ParseTwinValue(raw).Links[connKey]
	return l, ok, true
}

// readLink returns an issue's link for connKey, from the search answer when it carried
// properties, else by reading the property.
func readLink(ctx context.Context, j Jira, is *jira.Issue, connKey string) (TwinLink, bool, error) {
	if l, found, known := issueLink(is, connKey); known {
		return l, found, nil
	}
	raw, err := j.GetProperty(ctx, is.ID, TwinProperty)
	if jira.IsNotFound(err) {
		return TwinLink{}, false, nil
	}
	if err != nil {
		return TwinLink{}, false, fmt.Errorf("read %s of %s: %w", TwinProperty, is.Key, err)
	}
	l, ok := ParseTwinValue(raw).Links[connKey]
	return l, ok, nil
}

// writeLink merges (link != nil) or removes (link == nil) this connection's entry in an issue's
// property, keeping the other connections' links.
func writeLink(ctx context.Context, j Jira, issueID, connKey string, link *TwinLink) error {
	raw, err := j.GetProperty(ctx, issueID, TwinProperty)
	if err != nil && !jira.IsNotFound(err) {
		return fmt.Errorf("read %s: %w", TwinProperty, err)
	}
	v := ParseTwinValue(raw)
	if link == nil {
		if _, ok := v.Links[connKey]; !ok {
			return nil
		}
		delete(v.Links, connKey)
	} else {
		next := *link
		cur, ok := v.Links[connKey]
		if ok && next.Digests == nil && cur.SyncID == next.SyncID && cur.PeerID == next.PeerID {
			next.Digests = cur.Digests // the same link rewritten without digests keeps the ones it had
		}
		if ok && cur.same(next) {
			return nil
		}
		v.Links[connKey] = next
	}
	if err := j.SetProperty(ctx, issueID, TwinProperty, v); err != nil {
		return fmt.Errorf("write %s: %w", TwinProperty, err)
	}
	return nil
}
