package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/seal"
)

// The shared state of a sealed relay issue (issue 15). Each node writes its own slot: the issue
// property airlock.sealed.<its fingerprint>, holding one signed envelope of the whole state as
// that node last saw it, every entry stamped with a Lamport counter and its writer. A reader
// opens every slot it trusts and keeps, per entry, the highest stamp: two nodes writing at once
// never overwrite each other (each writes only its own property), and both converge on the same
// view. The envelope's sequence number is the slot's highest stamp, so an older envelope put
// back on AB is refused against the version this node accepted last (models.SealMark).

// Names on AB.
const (
	sealedPropPrefix    = "airlock.sealed."
	sealedSummaryPrefix = "Sealed by Airlock · "
	sealedFormat        = 1
)

// Entry keys of a state document.
const (
	entryField  = "f:"     // a field by its relay field id, the JSON the engine wrote
	entryStatus = "status" // the status name (AB's own status never moves)
	entryTwin   = "twin:"  // one connection's airlock.twin link, by connection key
	entryFile   = "att:"   // a sealed attachment's metadata, by its opaque file name
)

// stamped is one entry: its value (JSON null for a removed one), stamp and writer.
type stamped struct {
	V json.RawMessage `json:"v"`
	S uint64          `json:"s"`
	W string          `json:"w"`
}

// newer reports whether a wins over b.
func (a stamped) newer(b stamped) bool {
	if a.S != b.S {
		return a.S > b.S
	}
	return a.W > b.W
}

// sealedDoc is the plaintext of a state envelope.
type sealedDoc struct {
	V     int                `json:"v"`
	Issue string             `json:"issue"` // the issue's opaque id: binds the document to its issue
	E     map[string]stamped `json:"e"`
}

// slotValue is what an airlock.sealed.* property holds: the envelope, and during a key rotation
// the announcement of the writer's new key signed by its previous one.
type slotValue struct {
	Env      *seal.Envelope `json:"env"`
	Rotation *seal.Envelope `json:"rotation,omitempty"`
}

// fileMeta is a sealed attachment's entry: what AB's copy really is.
type fileMeta struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Mime string `json:"mime,omitempty"`
	Sum  []byte `json:"sum"`
}

// sealedView is the merged state of one relay issue as this node opened it.
type sealedView struct {
	key    string // AB's issue key, for messages
	opaque string
	e      map[string]stamped
	maxS   uint64
}

func (v *sealedView) value(k string) (json.RawMessage, bool) {
	s, ok := v.e[k]
	if !ok || isJSONNull(s.V) {
		return nil, false
	}
	return s.V, true
}

func isJSONNull(b json.RawMessage) bool {
	t := bytes.TrimSpace(b)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// slotKey is the property a node writes with identity fingerprint fp.
func slotKey(fp string) string {
	return sealedPropPrefix + strings.ToLower(strings.ReplaceAll(fp, "-", ""))
}

func newOpaqueID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sealedDescription is AB's description of a sealed issue; it changes with every write so that
// Jira bumps `updated` and the partner's poll sees the change.
func sealedDescription(seq uint64, writer string) string {
	return fmt.Sprintf("Sealed by Airlock. Only the two Airlock nodes of this connection can read this issue; "+
		"its content is in encrypted, signed envelopes. Version %d by %s.", seq, writer)
}

// refused is a data error for an envelope on an issue, in words.
func refused(key, what string, err error) error {
	var se *seal.Error
	if errors.As(err, &se) {
		return dataError("the %s on %s is refused: %s", what, key, se.Reason)
	}
	return dataError("the %s on %s is refused: %v", what, key, err)
}

// isSealedIssue reports whether an AB issue bean looks sealed: a slot property or the neutral
// summary.
func isSealedIssue(is *jira.Issue) bool {
	for k := range is.Properties {
		if strings.HasPrefix(k, sealedPropPrefix) {
			return true
		}
	}
	s, _ := is.Summary()
	return strings.HasPrefix(s, sealedSummaryPrefix)
}

// openView opens the state of an AB issue read with properties=*all. strict checks the versions
// against the marks this node accepted (and records the new ones); a search's projection is not
// strict (the reconcile that follows is).
func (d *sealedJira) openView(ctx context.Context, is *jira.Issue, strict bool) (*sealedView, error) {
	v := &sealedView{key: is.Key, e: map[string]stamped{}}
	summary, _ := is.Summary()
	if o, ok := strings.CutPrefix(summary, sealedSummaryPrefix); ok {
		v.opaque = strings.TrimSpace(o)
	}
	keys := make([]string, 0, len(is.Properties))
	for k := range is.Properties {
		if strings.HasPrefix(k, sealedPropPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 && v.opaque == "" {
		return nil, configError("%s is a plaintext issue where this sealed connection expects a sealed one: "+
			"the partner node does not seal this connection (both nodes must seal it), or the issue was made by hand on the relay", is.Key)
	}
	trusted := d.trusted()
	seen := map[string]uint64{}
	docOpaque := ""
	for _, k := range keys {
		var sv slotValue
		if err := json.Unmarshal(is.Properties[k], &sv); err != nil || sv.Env == nil {
			return nil, refused(is.Key, "sealed state", fmt.Errorf("%s is not an envelope", k))
		}
		if sv.Env.Kind != seal.KindState {
			return nil, refused(is.Key, "sealed state", fmt.Errorf("%s holds a %q envelope", k, sv.Env.Kind))
		}
		if !d.knows(trusted, sv.Env.From) {
			if sv.Rotation != nil && d.acceptRotation(ctx, sv.Rotation, sv.Env.From) {
				trusted = d.trusted()
			} else if d.retiredOrRevoked(sv.Env.From) {
				continue // an old key's slot: what it held is in its writer's new slot
			}
		}
		payload, signer, err := seal.Open(sv.Env, trusted, d.self...)
		if err != nil {
			return nil, refused(is.Key, "sealed state written by "+sv.Env.From, err)
		}
		if slotKey(signer.Fingerprint()) != k {
			return nil, refused(is.Key, "sealed state", fmt.Errorf("%s holds an envelope signed by %s", k, signer.Fingerprint()))
		}
		var doc sealedDoc
		if err := json.Unmarshal(payload, &doc); err != nil || doc.V != sealedFormat {
			return nil, refused(is.Key, "sealed state", fmt.Errorf("not a state document this version reads"))
		}
		if sv.Env.ID != doc.Issue || (docOpaque != "" && doc.Issue != docOpaque) {
			return nil, refused(is.Key, "sealed state", fmt.Errorf("its envelopes belong to different issues (copied from another issue?)"))
		}
		docOpaque = doc.Issue
		seen[k] = sv.Env.Seq
		for name, s := range doc.E {
			if cur, ok := v.e[name]; !ok || s.newer(cur) {
				v.e[name] = s
			}
			v.maxS = max(v.maxS, s.S)
		}
	}
	if docOpaque != "" {
		v.opaque = docOpaque
	}
	if !strict || v.opaque == "" {
		return v, nil
	}
	marks, err := d.e.DB.SealMarksPrefix(ctx, d.conn.ID, "state:"+v.opaque+":")
	if err != nil {
		return nil, err
	}
	for item, mark := range marks {
		k := strings.TrimPrefix(item, "state:"+v.opaque+":")
		seq, ok := seen[k]
		if !ok {
			if d.retiredOrRevokedSlot(k) {
				continue
			}
			return nil, dataError("the sealed state of %s written under %s is missing: it was deleted on the relay (version %d was accepted here)", is.Key, k, mark)
		}
		if seq < mark {
			return nil, dataError("the sealed state of %s written under %s is refused: version %d is older than version %d accepted here (a replay, or an update withheld by the relay)", is.Key, k, seq, mark)
		}
	}
	for k, seq := range seen {
		if seq > marks["state:"+v.opaque+":"+k] {
			if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, "state:"+v.opaque+":"+k, seq); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// write merges changes into the view with new stamps and builds this node's slot: the property
// to store and the description that makes Jira bump `updated`.
func (d *sealedJira) write(ctx context.Context, v *sealedView, changes map[string]json.RawMessage) (jira.EntityProperty, string, error) {
	me := d.self[0].Public().Fingerprint()
	seq := v.maxS + 1
	for k, raw := range changes {
		v.e[k] = stamped{V: raw, S: seq, W: me}
	}
	v.maxS = seq
	doc := sealedDoc{V: sealedFormat, Issue: v.opaque, E: v.e}
	payload, err := json.Marshal(doc)
	if err != nil {
		return jira.EntityProperty{}, "", err
	}
	env, err := seal.Seal(d.self[0], d.recipients(), seal.KindState, v.opaque, seq, payload)
	if err != nil {
		return jira.EntityProperty{}, "", err
	}
	sv := slotValue{Env: env, Rotation: d.announcement()}
	b, err := json.Marshal(sv)
	if err != nil {
		return jira.EntityProperty{}, "", err
	}
	if len(b) > sealedMaxProperty {
		return jira.EntityProperty{}, "", dataError("the sealed state of %s would be %d bytes, over Jira's %d-byte limit for an issue property: "+
			"shorten the largest text fields or share fewer fields through this sealed relay", v.key, len(b), sealedMaxProperty)
	}
	k := slotKey(me)
	if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, "state:"+v.opaque+":"+k, seq); err != nil {
		return jira.EntityProperty{}, "", err
	}
	return jira.EntityProperty{Key: k, Value: json.RawMessage(b)}, sealedDescription(seq, me), nil
}

// sealedMaxProperty is Jira's limit for an entity property value (jira.entity.property.value.max
// defaults to 32,768 characters).
const sealedMaxProperty = 32768
