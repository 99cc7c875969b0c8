package engine

// Field digests let `recover` tell which side changed while the ledger was lost. After every
// reconcile that changes a twin's baseline, the connection's local issue carries, in its
// airlock.twin link, a keyed digest of each side's agreed value of each shared field:
// HMAC-SHA256 under a key derived from AIRLOCK_SECRET_KEY, truncated to 128 bits. Whoever reads
// the property (the relay's admins, its backups) learns nothing of the values; only a node with
// the secret key can check a value against its digest.
//
// Recover compares each side's current value with its digest: a match means that side did not
// change since the last agreement. A side that does not match changed during the outage, and the
// merge carries it (or applies the conflict policy when both changed). Where the digests are
// missing (links written before digests existed) or were made under another key, fields whose
// values differ become Conflicts for the admin to decide: never silently kept apart.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// digestLabel names the digest key among the keys derived from AIRLOCK_SECRET_KEY.
const digestLabel = "airlock.twin field digests v1"

// unknownBase stands in a rebuilt baseline for a side that changed during an outage: no real
// projection equals it, so the merge sees that side as changed.
const unknownBase = "\x00airlock:changed-while-the-ledger-was-lost"

// FieldDigests are the keyed digests of one twin's agreed values: K identifies the key, L and R
// map each shared field to the digest of the local and the remote side's value.
type FieldDigests struct {
	K string            `json:"k"`
	L map[string]string `json:"l,omitempty"`
	R map[string]string `json:"r,omitempty"`
	// Items is true when C, A and W list every live comment, attachment and worklog twin
	// (engine/digests_items.go); links written without them leave recover to adopt by marker.
	Items bool         `json:"i,omitempty"`
	C     []ItemDigest `json:"c,omitempty"`
	A     []ItemDigest `json:"a,omitempty"`
	W     []ItemDigest `json:"w,omitempty"`
}

func (d *FieldDigests) equal(o *FieldDigests) bool {
	if d == nil || o == nil {
		return d == o
	}
	return d.K == o.K && maps.Equal(d.L, o.L) && maps.Equal(d.R, o.R) && d.Items == o.Items &&
		itemsEqual(d.C, o.C) && itemsEqual(d.A, o.A) && itemsEqual(d.W, o.W)
}

// digester computes digests under the node's digest key.
type digester struct{ key []byte }

// digester uses the key derived from the client pool's sealer (AIRLOCK_SECRET_KEY); it returns
// nil when the engine has no sealer (some tests): then no digests are written.
func (e *Engine) digester() *digester {
	cp, ok := e.Clients.(*ClientPool)
	if !ok || cp.Sealer == nil {
		return nil
	}
	return &digester{key: cp.Sealer.DeriveKey(digestLabel)}
}

func (g *digester) mac(parts ...string) string {
	m := hmac.New(sha256.New, g.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// keyID identifies the key without revealing it, so recover can tell "made under another key".
func (g *digester) keyID() string { return g.mac("key id")[:8] }

// value is the digest of one side's value of one field in one connection.
func (g *digester) value(connKey, side, field, v string) string {
	return g.mac(connKey, side, field, v)
}

// of returns the digests of a baseline.
func (g *digester) of(connKey string, b Baseline) *FieldDigests {
	d := &FieldDigests{K: g.keyID(), L: map[string]string{}, R: map[string]string{}}
	for name, v := range b.Local {
		d.L[name] = g.value(connKey, models.SideLocal, name, v)
	}
	for name, v := range b.Remote {
		d.R[name] = g.value(connKey, models.SideRemote, name, v)
	}
	return d
}

// recordDigests writes the digests of the twin's stored baseline (p.Twin, as finish left it) and
// of its comment and attachment twins into the local issue's link when they changed. local is
// the local issue as read by this reconcile with its properties, so an unchanged ledger costs no
// Jira call (two indexed database queries) and a changed one a single property write.
func (e *Engine) recordDigests(ctx context.Context, l *link, p *Pair, local *jira.Issue) error {
	g := e.digester()
	if g == nil || local == nil {
		return nil
	}
	tw := p.Twin // as finish stored it
	if tw.RemoteIssueID == nil {
		return nil
	}
	base, err := ParseBaseline(tw.Baseline)
	if err != nil {
		return nil // an unreadable baseline is reported by the merge; nothing to digest
	}
	d := g.of(l.Key, base)
	var err2 error
	if d.C, d.A, d.W, d.Items, err2 = e.itemDigests(ctx, g, l.Key, p); err2 != nil {
		return err2
	}
	link := TwinLink{SyncID: tw.SyncID, PeerBaseURL: l.Remote.BaseURL, PeerID: *tw.RemoteIssueID, PeerKey: tw.RemoteKey,
		Digests: d}
	cur, found, known := issueLink(local, l.Key)
	if known && found && cur.same(link) {
		return nil
	}
	if !known {
		return writeLink(ctx, p.Local.Jira, local.ID, l.Key, &link)
	}
	v := ParseTwinValue(local.Properties[TwinProperty])
	v.Links[l.Key] = link
	if err := p.Local.Jira.SetProperty(ctx, local.ID, TwinProperty, v); err != nil {
		return fmt.Errorf("write %s digests on %s: %w", TwinProperty, local.Key, err)
	}
	return nil
}

// rebuiltBaseline is recover's baseline of one twin from its current projections and digests
// (nil when there are none). conflicts lists the fields to hand to the admin: values that differ
// where no digest can tell which side changed.
func (g *digester) rebuiltBaseline(connKey string, fields []FieldRule, cur [2]Shared, d *FieldDigests) (base Baseline, conflicts []string) {
	base = Baseline{Local: Shared{}, Remote: Shared{}}
	usable := g != nil && d != nil && d.K == g.keyID()
	for i := range fields {
		name := fields[i].Name
		dl, okL := "", false
		dr, okR := "", false
		if usable {
			dl, okL = d.L[name]
			dr, okR = d.R[name]
		}
		if !okL || !okR {
			base.Local[name], base.Remote[name] = cur[0][name], cur[1][name]
			if cur[0][name] != cur[1][name] {
				conflicts = append(conflicts, name)
			}
			continue
		}
		base.Local[name], base.Remote[name] = cur[0][name], cur[1][name]
		if g.value(connKey, models.SideLocal, name, cur[0][name]) != dl {
			base.Local[name] = unknownBase
		}
		if g.value(connKey, models.SideRemote, name, cur[1][name]) != dr {
			base.Remote[name] = unknownBase
		}
	}
	return base, conflicts
}
