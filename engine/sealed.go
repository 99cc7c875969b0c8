package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
)

// sealedJira is the relay side's Jira of a sealed connection (issue 15). The engine above it
// reads and writes plaintext exactly as with any Jira: merge, comment and attachment twins, the
// ledger and recover do not know sealing exists. Below it, AB holds only what this file writes:
//   - an issue whose summary is "Sealed by Airlock · <opaque id>", whose description says it is
//     sealed, of the connection's first relay issue type, with no other field of the source;
//   - the shared fields, the status and the airlock.twin links in the state slots
//     (engine/sealed_state.go), written with one edit that also bumps `updated`;
//   - each comment as its own envelope in the comment body;
//   - each attachment as <opaque>.age (age-encrypted), its name, size and hash in the state.
//
// Anything on AB that is not a valid envelope of a trusted key is never applied: a forged,
// altered or replayed envelope is a data error on that twin, a comment or file written on AB by
// hand is left out.
type sealedJira struct {
	Jira
	e        *Engine
	conn     *models.Connection
	connKey  string           // the connection's key (engine/property.go): names this node's slot
	self     []*seal.Identity // current first, then previous and retired ones (they still open)
	previous bool             // a previous identity is in its overlap: announce the current one
	retired  map[string]bool  // fingerprints of this node's retired identities
	ring     *seal.Keyring
	ringMu   sync.Mutex

	mu       sync.Mutex
	views    map[string]*sealedView // AB issue id -> the state last opened or written
	files    map[string]fileMeta    // content URL -> the sealed file's entry
	comments map[string]commentSeal // AB comment id -> its envelope id and version
	worklogs map[string]commentSeal // AB worklog id -> its envelope id and version
}

// commentSeal is what a comment's envelope said.
type commentSeal struct {
	ID  string
	Seq uint64
}

// commentPayload is the plaintext of a comment envelope.
type commentPayload struct {
	Body string `json:"body"`
}

// sealedCommentHeader starts the body of a sealed comment on AB; the envelope's JSON follows.
const sealedCommentHeader = "Sealed by Airlock · comment\n"

// sealedSide wraps j, the relay client of a sealed connection.
func (e *Engine) sealedSide(ctx context.Context, l *link, j Jira) (Jira, error) {
	cp, _ := e.Clients.(*ClientPool)
	if cp == nil || cp.Sealer == nil {
		return nil, configError("connection %s is sealed but this node has no AIRLOCK_SECRET_KEY to keep its sealing identity", l.Conn.Name)
	}
	if p := SealedConnectionProblem(l.Conn, &l.Rules); p != "" {
		return nil, configError("connection %s: %s", l.Conn.Name, p)
	}
	self, err := SealIdentities(ctx, e.DB, cp.Sealer)
	if err != nil {
		return nil, err
	}
	if len(self) == 0 {
		return nil, configError("connection %s is sealed but this node has no sealing identity yet (it is made at start)", l.Conn.Name)
	}
	ring, err := SealKeyring(l.Conn)
	if err != nil {
		return nil, err
	}
	if len(ring.Trusted(e.now())) == 0 {
		why := ""
		for _, k := range ring.Keys {
			if k.State == seal.StateRevoked {
				why = " (its partner key " + k.Public.Fingerprint() + " was revoked: nothing signed by it is applied)"
			}
		}
		return nil, configError("connection %s is sealed but trusts no partner key%s: paste the partner node's public key into the connection", l.Conn.Name, why)
	}
	retired, err := retiredSealIdentities(ctx, e.DB, cp.Sealer)
	if err != nil {
		return nil, err
	}
	d := &sealedJira{Jira: j, e: e, conn: l.Conn, connKey: l.Key, self: self, previous: len(self) > 1, ring: ring, retired: map[string]bool{},
		views: map[string]*sealedView{}, files: map[string]fileMeta{}, comments: map[string]commentSeal{}, worklogs: map[string]commentSeal{}}
	for _, id := range retired {
		d.retired[id.Public().Fingerprint()] = true
		d.self = append(d.self, id) // opens what was sealed to it before; never signs
	}
	return d, nil
}

// Instance keeps the engine's per-instance caches (workflows, users, options) of the sealed view
// apart from a plaintext connection's view of the same Jira.
func (d *sealedJira) Instance() string { return d.Jira.Instance() + "#sealed" }

func (d *sealedJira) now() time.Time { return d.e.now() }

// trusted is every key whose envelopes this node accepts: the partner's and its own.
func (d *sealedJira) trusted() []seal.Public {
	d.ringMu.Lock()
	out := d.ring.Trusted(d.now())
	d.ringMu.Unlock()
	for _, id := range d.self {
		out = append(out, id.Public())
	}
	return out
}

// recipients is who can open what this node seals: the partner's trusted keys and itself.
func (d *sealedJira) recipients() []seal.Public {
	d.ringMu.Lock()
	out := d.ring.Trusted(d.now())
	d.ringMu.Unlock()
	return append(out, d.self[0].Public())
}

func (d *sealedJira) knows(trusted []seal.Public, fp string) bool {
	for _, p := range trusted {
		if p.Fingerprint() == fp {
			return true
		}
	}
	return false
}

// retiredOrRevoked reports a signer whose slot is left alone: a partner key retired after a
// rotation or revoked, or one of this node's retired identities.
func (d *sealedJira) retiredOrRevoked(fp string) bool {
	if d.retired[fp] {
		return true
	}
	d.ringMu.Lock()
	defer d.ringMu.Unlock()
	for _, k := range d.ring.Keys {
		if k.Public.Fingerprint() == fp {
			return k.State == seal.StateRetired || k.State == seal.StateRevoked ||
				(k.State == seal.StateOverlap && k.Until != nil && !d.now().Before(*k.Until))
		}
	}
	return false
}

// revoked reports a partner key revoked on this connection.
func (d *sealedJira) revoked(fp string) bool {
	d.ringMu.Lock()
	defer d.ringMu.Unlock()
	for _, k := range d.ring.Keys {
		if k.Public.Fingerprint() == fp {
			return k.State == seal.StateRevoked
		}
	}
	return false
}

// own reports one of this node's identities.
func (d *sealedJira) own(fp string) bool {
	for _, id := range d.self {
		if id.Public().Fingerprint() == fp {
			return true
		}
	}
	return false
}

// sealOf returns the envelope id and version of the comment or worklog item (from cache, the
// map of this run's reads), reading the list once (reload) when this run has not seen it.
func (d *sealedJira) sealOf(cache map[string]commentSeal, item string, reload func() error) (commentSeal, bool, error) {
	d.mu.Lock()
	s, ok := cache[item]
	d.mu.Unlock()
	if ok {
		return s, true, nil
	}
	if err := reload(); err != nil {
		return commentSeal{}, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok = cache[item]
	return s, ok, nil
}

// retiredPartner returns a partner key retired by a rotation (not revoked).
func (d *sealedJira) retiredPartner(fp string) (seal.Public, bool) {
	d.ringMu.Lock()
	defer d.ringMu.Unlock()
	for _, k := range d.ring.Keys {
		if k.Public.Fingerprint() == fp && (k.State == seal.StateRetired || k.State == seal.StateOverlap) {
			return k.Public, true
		}
	}
	return seal.Public{}, false
}

func (d *sealedJira) retiredOrRevokedSlot(slot string) bool {
	for fp := range d.retired {
		if slotOf(slot, fp) {
			return true
		}
	}
	d.ringMu.Lock()
	var fps []string
	for _, k := range d.ring.Keys {
		fps = append(fps, k.Public.Fingerprint())
	}
	d.ringMu.Unlock()
	for _, fp := range fps {
		if slotOf(slot, fp) && d.retiredOrRevoked(fp) {
			return true
		}
	}
	return false
}

// acceptRotation trusts the partner's new key announced in env (signed by a key this node
// trusts) and stores the keyring; it reports whether next is now trusted.
func (d *sealedJira) acceptRotation(ctx context.Context, env *seal.Envelope, next string) bool {
	d.ringMu.Lock()
	defer d.ringMu.Unlock()
	pub, err := d.ring.AcceptRotation(env, d.now(), seal.DefaultOverlap, d.self...)
	if err != nil || pub.Fingerprint() != next {
		return false
	}
	if err := SetSealKeyring(d.conn, d.ring); err != nil {
		return false
	}
	if err := d.e.DB.WithContext(ctx).Model(&models.Connection{}).Where("id = ?", d.conn.ID).
		Update("seal_keyring", d.conn.SealKeyring).Error; err != nil {
		d.e.log().Warn("cannot store the partner's rotated key", "connection", d.conn.ID, "err", err)
		return false
	}
	d.e.log().Info("sealed relay: the partner's new key is trusted (announced by its previous key)", "connection", d.conn.ID, "key", next)
	return true
}

// announcement is the rotation envelope this node attaches to its slots while its previous
// identity may still be the only one the partner knows.
func (d *sealedJira) announcement() *seal.Envelope {
	if !d.previous {
		return nil
	}
	env, err := seal.Announce(d.self[1], d.recipients(), d.self[0].Public(), uint64(d.now().Unix()))
	if err != nil {
		return nil
	}
	return env
}

// props asks for every property: the slots of all writers, whatever their keys.
func sealedProps(asked []string) []string { return []string{"*all"} }

// withSealedFields adds what the projection needs to a field list.
func withSealedFields(fs []string) []string {
	if len(fs) == 0 {
		return fs
	}
	out := append([]string(nil), fs...)
	for _, f := range []string{"summary", "attachment"} {
		if !containsString(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// GetIssue reads the AB issue and returns the plaintext the state and the comments hold.
func (d *sealedJira) GetIssue(ctx context.Context, id string, opt jira.GetIssueOptions) (*jira.Issue, error) {
	wantTwin := containsString(opt.Properties, TwinProperty)
	opt.Properties = sealedProps(opt.Properties)
	opt.Fields = withSealedFields(opt.Fields)
	is, err := d.Jira.GetIssue(ctx, id, opt)
	if err != nil {
		return nil, err
	}
	v, err := d.openView(ctx, is, true)
	if err != nil {
		return nil, err
	}
	d.remember(is.ID, v)
	if err := d.project(ctx, is, v, wantTwin); err != nil {
		return nil, err
	}
	return is, nil
}

func (d *sealedJira) remember(id string, v *sealedView) {
	d.mu.Lock()
	d.views[id] = v
	d.mu.Unlock()
}

// view returns the state of an issue as last read in this run, else reads it.
func (d *sealedJira) view(ctx context.Context, id string) (*sealedView, error) {
	d.mu.Lock()
	v := d.views[id]
	d.mu.Unlock()
	if v != nil {
		return v, nil
	}
	is, err := d.Jira.GetIssue(ctx, id, jira.GetIssueOptions{Fields: []string{"summary", "updated", "attachment"}, Properties: []string{"*all"}})
	if err != nil {
		return nil, err
	}
	if v, err = d.openView(ctx, is, true); err != nil {
		return nil, err
	}
	d.remember(is.ID, v)
	d.remember(id, v)
	return v, nil
}

// project replaces the AB bean's fields, comments, attachments and properties with the sealed
// view's plaintext.
func (d *sealedJira) project(ctx context.Context, is *jira.Issue, v *sealedView, wantTwin bool) error {
	props := map[string]json.RawMessage{}
	for k, raw := range is.Properties {
		if !strings.HasPrefix(k, sealedPropPrefix) && k != TwinProperty {
			props[k] = raw
		}
	}
	tv := TwinValue{V: 1, Links: map[string]TwinLink{}}
	for k, s := range v.e {
		switch {
		case strings.HasPrefix(k, entryField):
			if isJSONNull(s.V) {
				is.Fields[strings.TrimPrefix(k, entryField)] = json.RawMessage("null")
			} else {
				is.Fields[strings.TrimPrefix(k, entryField)] = d.readShape(strings.TrimPrefix(k, entryField), s.V)
			}
		case k == entryStatus && !isJSONNull(s.V):
			is.Fields["status"] = s.V
		case strings.HasPrefix(k, entryTwin) && !isJSONNull(s.V):
			var lk TwinLink
			if json.Unmarshal(s.V, &lk) == nil {
				tv.Links[strings.TrimPrefix(k, entryTwin)] = lk
			}
		}
	}
	if len(tv.Links) > 0 {
		b, _ := json.Marshal(tv)
		props[TwinProperty] = b
	}
	if wantTwin || is.Properties != nil {
		is.Properties = props
	}
	if _, ok := v.value(entryField + "summary"); !ok {
		is.Fields["summary"] = json.RawMessage(`""`)
	}
	// AB's own value of a field the sealed state does not hold is AB's default, not a shared
	// value: it reads as empty.
	for k := range is.Fields {
		if _, shared := v.e[entryField+k]; !shared && !sealedStructural[k] && k != "summary" {
			is.Fields[k] = json.RawMessage("null")
		}
	}
	if raw, ok := is.Fields["attachment"]; ok && !isJSONNull(raw) {
		var as []jira.Attachment
		if err := json.Unmarshal(raw, &as); err == nil {
			out := d.openAttachments(v, as)
			b, _ := json.Marshal(out)
			is.Fields["attachment"] = b
		}
	}
	projectLinks(is, v) // engine/sealed_links.go
	if err := openEmbedded(is, "worklog", func(p *jira.WorklogPage) (*[]jira.Worklog, *int, *int) { return &p.Worklogs, &p.Total, &p.MaxResults },
		func(ws []jira.Worklog) ([]jira.Worklog, error) { return d.openWorklogs(ctx, v, ws) }); err != nil {
		return err
	}
	if err := openEmbedded(is, "comment", func(p *jira.CommentPage) (*[]jira.Comment, *int, *int) { return &p.Comments, &p.Total, &p.MaxResults },
		func(cs []jira.Comment) ([]jira.Comment, error) { return d.openComments(ctx, v, cs) }); err != nil {
		return err
	}
	return nil
}

// openEmbedded replaces the page of comments or worklogs embedded in an issue bean (field) with
// its opened items; a partial page is dropped, so the engine reads the whole list itself.
func openEmbedded[P, T any](is *jira.Issue, field string, parts func(*P) (*[]T, *int, *int), open func([]T) ([]T, error)) error {
	raw, ok := is.Fields[field]
	if !ok || isJSONNull(raw) {
		return nil
	}
	var page P
	if json.Unmarshal(raw, &page) != nil {
		return nil
	}
	items, total, size := parts(&page)
	if *total > len(*items) {
		delete(is.Fields, field)
		return nil
	}
	opened, err := open(*items)
	if err != nil {
		return err
	}
	*items, *total, *size = opened, len(opened), max(*size, len(opened))
	b, _ := json.Marshal(page)
	is.Fields[field] = b
	return nil
}

// sealedStructural are the fields of AB's bean that describe AB's issue itself and are kept
// (the sealed state's entries replace the others): times, project and type, the status until
// the state holds one, and the lists the projection opens.
var sealedStructural = map[string]bool{"updated": true, "created": true, "project": true, "issuetype": true,
	"status": true, "resolution": true, "security": true, "parent": true, "attachment": true, "comment": true,
	"worklog": true, "issuelinks": true, "subtasks": true}

// readShape turns a value as the engine wrote it into the shape Jira reads back where they
// differ: a user written by name gains the e-mail the name carries, so the far node's
// e-mail lookup still works.
func (d *sealedJira) readShape(field string, raw json.RawMessage) json.RawMessage {
	var u map[string]any
	if json.Unmarshal(raw, &u) != nil || len(u) != 1 {
		return raw
	}
	name, ok := u["name"].(string)
	if !ok || !strings.Contains(name, "@") {
		return raw
	}
	b, _ := json.Marshal(map[string]any{"name": name, "emailAddress": name, "displayName": name, "active": true})
	return b
}

// SearchAll searches AB and projects every hit (the twin links come from the sealed state; a
// hit whose state cannot be opened keeps no link, and its reconcile reports why).
func (d *sealedJira) SearchAll(ctx context.Context, q jira.SearchQuery, opt jira.SearchAllOptions) ([]jira.Issue, error) {
	wantTwin := containsString(q.Properties, TwinProperty)
	q.Properties = sealedProps(q.Properties)
	q.Fields = withSealedFields(q.Fields)
	hits, err := d.Jira.SearchAll(ctx, q, opt)
	if err != nil {
		return hits, err
	}
	for i := range hits {
		h := &hits[i]
		v, err := d.openView(ctx, h, false)
		if err == nil {
			err = d.project(ctx, h, v, wantTwin)
		}
		if err != nil {
			// Nothing of it is trusted: no link, no values (its reconcile says why).
			d.e.log().Warn("sealed relay: a hit's state cannot be opened", "issue", h.Key, "err", err)
			h.Properties = map[string]json.RawMessage{}
			for k := range h.Fields {
				if !sealedStructural[k] {
					h.Fields[k] = json.RawMessage("null")
				}
			}
		}
	}
	return hits, nil
}

// GetProperty reads the sealed airlock.twin links (other properties pass through).
func (d *sealedJira) GetProperty(ctx context.Context, id, prop string) (json.RawMessage, error) {
	if prop != TwinProperty {
		return d.Jira.GetProperty(ctx, id, prop)
	}
	is, err := d.Jira.GetIssue(ctx, id, jira.GetIssueOptions{Fields: []string{"summary", "updated", "attachment"}, Properties: []string{"*all"}})
	if err != nil {
		return nil, err
	}
	v, err := d.openView(ctx, is, true)
	if err != nil {
		return nil, err
	}
	d.remember(is.ID, v)
	d.remember(id, v)
	if err := d.project(ctx, is, v, true); err != nil {
		return nil, err
	}
	raw, ok := is.Properties[TwinProperty]
	if !ok {
		return nil, &jira.Error{Status: 404, Method: "GET", Template: "/rest/api/2/issue/{key}/properties/{propertyKey}",
			ErrorMessages: []string{"The property with key airlock.twin does not exist."}, Class: jira.ClassData}
	}
	return raw, nil
}

// SetProperty writes the airlock.twin links into this node's slot.
func (d *sealedJira) SetProperty(ctx context.Context, id, prop string, value any) error {
	if prop != TwinProperty {
		return d.Jira.SetProperty(ctx, id, prop, value)
	}
	v, err := d.view(ctx, id)
	if err != nil {
		return err
	}
	changes, err := twinChanges(v, value)
	if err != nil {
		return err
	}
	return d.store(ctx, id, v, changes, nil)
}

// DeleteProperty removes this node's links (the engine's unlink and connection delete).
func (d *sealedJira) DeleteProperty(ctx context.Context, id, prop string) error {
	if prop != TwinProperty {
		if pd, ok := d.Jira.(propertyDeleter); ok {
			return pd.DeleteProperty(ctx, id, prop)
		}
		return nil
	}
	v, err := d.view(ctx, id)
	if err != nil {
		return err
	}
	changes, err := twinChanges(v, TwinValue{V: 1})
	if err != nil {
		return err
	}
	return d.store(ctx, id, v, changes, nil)
}

// twinChanges are the entries that turn the view's links into value's.
func twinChanges(v *sealedView, value any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	tv := ParseTwinValue(b)
	changes := map[string]json.RawMessage{}
	for k, lk := range tv.Links {
		raw, _ := json.Marshal(lk)
		if cur, ok := v.value(entryTwin + k); !ok || !jsonEqual(cur, raw) {
			changes[entryTwin+k] = raw
		}
	}
	for k := range v.e {
		if name, ok := strings.CutPrefix(k, entryTwin); ok {
			if _, keep := tv.Links[name]; !keep {
				if _, live := v.value(k); live {
					changes[k] = json.RawMessage("null")
				}
			}
		}
	}
	return changes, nil
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// store writes this node's slot with changes, in the one edit that also moves AB's
// description (so `updated` moves and the partner's poll sees it).
func (d *sealedJira) store(ctx context.Context, id string, v *sealedView, changes map[string]json.RawMessage, opt *jira.UpdateOptions) error {
	if len(changes) == 0 {
		return nil
	}
	old := v.files[d.mySlot()]
	prop, desc, err := d.write(ctx, id, v, changes)
	if err != nil {
		return err
	}
	o := jiraUpdateDefaults
	if opt != nil {
		o = *opt
	}
	if err := d.Jira.UpdateIssue(ctx, id, jiraSlotEdit(prop, desc), o); err != nil {
		return err
	}
	d.dropLargeSlot(ctx, v, old)
	return d.stored(ctx, v)
}

var jiraUpdateDefaults = jira.UpdateOptions{}

// jiraSlotEdit is the one edit that stores a slot and moves AB's description.
func jiraSlotEdit(prop jira.EntityProperty, desc string) jira.IssueInput {
	return jira.IssueInput{Fields: map[string]any{"description": desc}, Properties: []jira.EntityProperty{prop}}
}

// UpdateIssue writes the changed fields into the sealed state.
func (d *sealedJira) UpdateIssue(ctx context.Context, id string, in jira.IssueInput, opt jira.UpdateOptions) error {
	if len(in.Update) > 0 {
		return configError("a sealed relay cannot apply Jira update operations (%d given)", len(in.Update))
	}
	v, err := d.view(ctx, id)
	if err != nil {
		return err
	}
	changes, err := fieldChanges(v, in.Fields)
	if err != nil {
		return err
	}
	for _, p := range in.Properties {
		if p.Key != TwinProperty {
			return configError("a sealed relay keeps no plaintext property (%s)", p.Key)
		}
		tc, err := twinChanges(v, p.Value)
		if err != nil {
			return err
		}
		for k, raw := range tc {
			changes[k] = raw
		}
	}
	return d.store(ctx, id, v, changes, &opt)
}

// fieldChanges are the entries for the fields of an edit that differ from the view.
func fieldChanges(v *sealedView, fields map[string]any) (map[string]json.RawMessage, error) {
	changes := map[string]json.RawMessage{}
	for f, val := range fields {
		raw, err := json.Marshal(val)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f, err)
		}
		cur, ok := v.value(entryField + f)
		if ok && jsonEqual(cur, raw) || !ok && isJSONNull(raw) {
			continue
		}
		changes[entryField+f] = raw
	}
	return changes, nil
}

// CreateIssue makes the neutral AB issue whose first state holds the fields and the links.
func (d *sealedJira) CreateIssue(ctx context.Context, in jira.IssueInput) (*jira.CreatedIssue, error) {
	if _, ok := in.Fields["parent"]; ok {
		return nil, configError("a sealed relay does not carry sub-tasks yet: leave sub-task types out of this connection's scope")
	}
	if len(in.Update) > 0 {
		return nil, configError("a sealed relay cannot apply Jira update operations (%d given)", len(in.Update))
	}
	v := &sealedView{opaque: newOpaqueID(), e: map[string]stamped{}}
	fields := map[string]any{}
	for k, val := range in.Fields {
		if k != "project" {
			fields[k] = val
		}
	}
	changes, err := fieldChanges(v, fields)
	if err != nil {
		return nil, err
	}
	for _, p := range in.Properties {
		if p.Key != TwinProperty {
			return nil, configError("a sealed relay keeps no plaintext property (%s)", p.Key)
		}
		tc, err := twinChanges(v, p.Value)
		if err != nil {
			return nil, err
		}
		for k, raw := range tc {
			changes[k] = raw
		}
	}
	v.key = "a new issue"
	// A state over Jira's limit for a property goes into a file, which needs the issue: the issue
	// is made with its links only, then the whole state is stored.
	first, rest := changes, map[string]json.RawMessage(nil)
	if d.tooLarge(v, changes) {
		first, rest = map[string]json.RawMessage{}, map[string]json.RawMessage{}
		for k, raw := range changes {
			if strings.HasPrefix(k, entryTwin) {
				first[k] = raw
			} else {
				rest[k] = raw
			}
		}
	}
	prop, desc, err := d.write(ctx, "", v, first)
	if err != nil {
		return nil, err
	}
	typ := "Task"
	if its := splitList(d.conn.RemoteIssueTypes); len(its) > 0 {
		typ = its[0]
	}
	made, err := d.Jira.CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{
		"project":     in.Fields["project"],
		"issuetype":   map[string]string{"name": typ},
		"summary":     sealedSummaryPrefix + v.opaque,
		"description": desc,
	}, Properties: []jira.EntityProperty{prop}})
	if err != nil {
		return nil, err
	}
	v.key = made.Key
	if err := d.stored(ctx, v); err != nil {
		return nil, err
	}
	d.remember(made.ID, v)
	d.remember(made.Key, v)
	if len(rest) > 0 {
		if err := d.store(ctx, made.ID, v, rest, nil); err != nil {
			return nil, err
		}
	}
	return made, nil
}

// EditMeta: a sealed relay takes any shared field (they go into the envelope), so nothing is
// refused for AB's screens and no option list of AB's applies.
func (d *sealedJira) EditMeta(ctx context.Context, id string) (map[string]jira.FieldMeta, error) {
	return map[string]jira.FieldMeta{}, nil
}

// Transitions: AB's status never moves; SetStatus carries it.
func (d *sealedJira) Transitions(ctx context.Context, id string, expand bool) ([]jira.Transition, error) {
	return nil, nil
}

// SetStatus records the status in the sealed state (status.go calls it instead of walking a
// workflow).
func (d *sealedJira) SetStatus(ctx context.Context, id, name string) error {
	v, err := d.view(ctx, id)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(map[string]string{"name": name})
	if cur, ok := v.value(entryStatus); ok && jsonEqual(cur, raw) {
		return nil
	}
	return d.store(ctx, id, v, map[string]json.RawMessage{entryStatus: raw}, nil)
}

// User and SearchUsers: the relay's users play no part in a sealed relay (user values travel
// inside the envelope), so every name exists there as itself, and an e-mail as a login.
func (d *sealedJira) User(ctx context.Context, name string) (*jira.User, error) {
	return &jira.User{Name: name, Key: name, DisplayName: name, Active: true}, nil
}

func (d *sealedJira) SearchUsers(ctx context.Context, query string, opt jira.UserSearchOptions) ([]jira.User, error) {
	if !strings.Contains(query, "@") {
		return nil, nil
	}
	return []jira.User{{Name: query, Key: query, EmailAddress: query, DisplayName: query, Active: true}}, nil
}

// Comments reads AB's comments and opens the sealed ones.
func (d *sealedJira) Comments(ctx context.Context, id string, opt jira.CommentOptions) ([]jira.Comment, error) {
	cs, err := d.Jira.Comments(ctx, id, opt)
	if err != nil {
		return nil, err
	}
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.openComments(ctx, v, cs)
}

// openComments opens sealed comments: a comment that is not an envelope (written on AB by hand)
// is left out; one that is and fails is a data error.
func (d *sealedJira) openComments(ctx context.Context, v *sealedView, cs []jira.Comment) ([]jira.Comment, error) {
	out := make([]jira.Comment, 0, len(cs))
	seen := map[string]string{}
	present := map[string]bool{}
	trusted := d.trusted()
	for _, c := range cs {
		text, ok := strings.CutPrefix(c.Body, sealedCommentHeader)
		if !ok {
			continue
		}
		envText, rotText, _ := strings.Cut(strings.TrimSpace(text), "\n")
		env, err := seal.Unmarshal([]byte(envText))
		if err != nil {
			return nil, refused(v.key, "envelope of comment "+c.ID, err)
		}
		if !d.knows(trusted, env.From) && rotText != "" {
			// Written under the partner's new key: its announcement, signed by the old one, follows.
			if rot, err := seal.Unmarshal([]byte(strings.TrimSpace(rotText))); err == nil && d.acceptRotation(ctx, rot, env.From) {
				trusted = d.trusted()
			}
		}
		if env.Kind != seal.KindComment || !strings.HasPrefix(env.ID, v.opaque+"/") {
			return nil, refused(v.key, "envelope of comment "+c.ID, fmt.Errorf("it belongs to another issue or is not a comment"))
		}
		if other, dup := seen[env.ID]; dup {
			return nil, refused(v.key, "envelope of comment "+c.ID, fmt.Errorf("it repeats comment %s (copied on the relay)", other))
		}
		seen[env.ID] = c.ID
		keys := trusted
		if !d.knows(trusted, env.From) {
			// A key retired after a rotation still vouches for what this node accepted from it
			// before (the comments it signed are not resealed); nothing new is taken from it.
			if pub, ok := d.retiredPartner(env.From); ok {
				marks, err := d.e.DB.SealMarks(ctx, d.conn.ID, []string{"comment:" + env.ID})
				if err != nil {
					return nil, err
				}
				if m, seen := marks["comment:"+env.ID]; seen && env.Seq <= m {
					keys = append(append([]seal.Public(nil), trusted...), pub)
				}
			}
		}
		payload, _, err := seal.Open(env, keys, d.self...)
		if err != nil {
			return nil, refused(v.key, "envelope of comment "+c.ID, err)
		}
		var cp commentPayload
		if err := json.Unmarshal(payload, &cp); err != nil {
			return nil, refused(v.key, "envelope of comment "+c.ID, err)
		}
		d.mu.Lock()
		prev := d.comments[c.ID]
		d.comments[c.ID] = commentSeal{ID: env.ID, Seq: env.Seq}
		d.mu.Unlock()
		if prev.ID == env.ID && env.Seq < prev.Seq {
			return nil, refused(v.key, "envelope of comment "+c.ID, seal.CheckSeq(env, prev.Seq))
		}
		present[env.ID] = true
		if v.deleted(env.ID) {
			continue // a node deleted it: the DELETE on AB is still to come
		}
		c.Body = cp.Body
		c.RenderedBody = ""
		out = append(out, c)
	}
	if err := d.checkGone(ctx, v, "comment", present); err != nil { // engine/sealed_deletions.go
		return nil, err
	}
	return out, d.checkCommentMarks(ctx, v, out)
}

// checkCommentMarks refuses a comment envelope older than the version accepted here, and
// records the new versions.
func (d *sealedJira) checkCommentMarks(ctx context.Context, v *sealedView, cs []jira.Comment) error {
	if len(cs) == 0 {
		return nil
	}
	items := make([]string, 0, len(cs))
	d.mu.Lock()
	seals := make([]commentSeal, 0, len(cs))
	for _, c := range cs {
		s := d.comments[c.ID]
		seals = append(seals, s)
		items = append(items, "comment:"+s.ID)
	}
	d.mu.Unlock()
	marks, err := d.e.DB.SealMarks(ctx, d.conn.ID, items)
	if err != nil {
		return err
	}
	for i, s := range seals {
		if m := marks[items[i]]; s.Seq < m {
			return dataError("the envelope of comment %s on %s is refused: version %d is older than version %d accepted here (a replay, or an edit withheld by the relay)",
				cs[i].ID, v.key, s.Seq, m)
		} else if s.Seq > m {
			if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, items[i], s.Seq); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *sealedJira) sealComment(v *sealedView, envID string, seq uint64, body string) (string, error) {
	payload, err := json.Marshal(commentPayload{Body: body})
	if err != nil {
		return "", err
	}
	env, err := seal.Seal(d.self[0], d.recipients(), seal.KindComment, envID, seq, payload)
	if err != nil {
		return "", err
	}
	b, err := env.Marshal()
	if err != nil {
		return "", err
	}
	out := sealedCommentHeader + string(b)
	if rot := d.announcement(); rot != nil {
		rb, err := rot.Marshal()
		if err != nil {
			return "", err
		}
		out += "\n" + string(rb)
	}
	if len(out) > 32767 {
		return "", dataError("a comment on %s is too long for a sealed relay (%d characters sealed, Jira keeps 32,767)", v.key, len(out))
	}
	return out, nil
}

// AddComment posts the comment as an envelope.
func (d *sealedJira) AddComment(ctx context.Context, id string, in jira.CommentInput) (*jira.Comment, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	envID := v.opaque + "/" + newOpaqueID()
	plain := in.Body
	if in.Body, err = d.sealComment(v, envID, 1, plain); err != nil {
		return nil, err
	}
	c, err := d.Jira.AddComment(ctx, id, in)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.comments[c.ID] = commentSeal{ID: envID, Seq: 1}
	d.mu.Unlock()
	if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, "comment:"+envID, 1); err != nil {
		return nil, err
	}
	c.Body = plain
	return c, nil
}

// UpdateComment reseals the comment under its envelope id with the next version.
func (d *sealedJira) UpdateComment(ctx context.Context, id, cid string, in jira.CommentInput) (*jira.Comment, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	s, ok, err := d.sealOf(d.comments, cid, func() error { _, err := d.Comments(ctx, id, jira.CommentOptions{}); return err })
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, dataError("comment %s on %s is not a sealed comment", cid, v.key)
	}
	plain := in.Body
	seq := s.Seq + 1
	if in.Body, err = d.sealComment(v, s.ID, seq, plain); err != nil {
		return nil, err
	}
	c, err := d.Jira.UpdateComment(ctx, id, cid, in)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.comments[cid] = commentSeal{ID: s.ID, Seq: seq}
	d.mu.Unlock()
	if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, "comment:"+s.ID, seq); err != nil {
		return nil, err
	}
	c.Body = plain
	return c, nil
}

// openAttachments names AB's sealed files by their entries; files without one (uploaded on AB
// by hand, or an upload whose state write failed) are left out.
func (d *sealedJira) openAttachments(v *sealedView, as []jira.Attachment) []jira.Attachment {
	out := make([]jira.Attachment, 0, len(as))
	for _, a := range as {
		opaque, ok := strings.CutSuffix(a.Filename, ".age")
		if !ok {
			continue
		}
		raw, ok := v.value(entryFile + opaque)
		if !ok {
			continue
		}
		var m fileMeta
		if json.Unmarshal(raw, &m) != nil || m.Name == "" {
			continue
		}
		d.mu.Lock()
		d.files[a.Content] = m
		d.mu.Unlock()
		a.Filename, a.Size, a.MimeType = m.Name, m.Size, m.Mime
		out = append(out, a)
	}
	return out
}

// DownloadAttachment fetches a sealed file, decrypts it and checks its hash against the signed
// state.
func (d *sealedJira) DownloadAttachment(ctx context.Context, contentURL string) (io.ReadCloser, error) {
	d.mu.Lock()
	m, ok := d.files[contentURL]
	d.mu.Unlock()
	if !ok {
		return nil, dataError("a sealed attachment was asked for before its issue was read")
	}
	body, err := d.Jira.DownloadAttachment(ctx, contentURL)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	ct, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	var plain bytes.Buffer
	var last error
	for _, id := range d.self {
		plain.Reset()
		if last = seal.OpenFile(&plain, bytes.NewReader(ct), m.Sum, id); last == nil {
			break
		}
	}
	if last != nil {
		return nil, refused("the relay", "sealed file of "+m.Name, last)
	}
	return io.NopCloser(&plain), nil
}

// UploadAttachment seals the file as <opaque>.age and records its entry in the state.
func (d *sealedJira) UploadAttachment(ctx context.Context, id, filename string, r io.Reader) ([]jira.Attachment, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	var ct bytes.Buffer
	cr := &countReader{r: r}
	sum, _, err := seal.SealFile(&ct, cr, d.recipients())
	if err != nil {
		return nil, err
	}
	n := cr.n
	opaque := newOpaqueID()
	made, err := d.Jira.UploadAttachment(ctx, id, opaque+".age", &ct)
	if err != nil {
		return nil, err
	}
	m := fileMeta{Name: filename, Size: n, Mime: mime.TypeByExtension(path.Ext(filename)), Sum: sum}
	raw, _ := json.Marshal(m)
	if err := d.store(ctx, id, v, map[string]json.RawMessage{entryFile + opaque: raw}, nil); err != nil {
		for _, a := range made {
			_ = d.Jira.DeleteAttachment(ctx, a.ID)
		}
		return nil, err
	}
	for i := range made {
		d.mu.Lock()
		d.files[made[i].Content] = m
		d.mu.Unlock()
		made[i].Filename, made[i].Size, made[i].MimeType = m.Name, m.Size, m.Mime
	}
	return made, nil
}

// countReader counts the plaintext bytes a file had.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// sealedBinding refuses a sealed relay issue whose state names another twin: AB's admins cannot
// forge a state, but they can copy one issue's slots onto another issue, which would carry the
// first issue's content into the second's twin.
func sealedBinding(l *link, tw *models.Twin, s *Side, is *jira.Issue) error {
	if _, sealed := s.Jira.(*sealedJira); !sealed {
		return nil
	}
	lk, found, _ := issueLink(is, l.Key)
	if found && lk.SyncID != tw.SyncID {
		return dataError("the sealed state on %s belongs to another twin (sync id %s, this twin's is %s): it was copied from another issue on the relay", is.Key, lk.SyncID, tw.SyncID)
	}
	return nil
}
