package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
)

// sealedJira is the relay side's Jira of a sealed connection (issue 15). The engine above it
// reads and writes plaintext exactly as with any Jira: merge, comment and attachment twins, the
// ledger and recover do not know sealing exists. Below it, AB holds only what these files write:
//   - an issue whose summary is "Sealed by Airlock · <opaque id>", whose description says it is
//     sealed, of the connection's first relay issue type, with no other field of the source;
//   - the shared fields, the status and the airlock.twin links in the state slots
//     (engine/sealed_state.go, sealed_large.go), written with one edit that also bumps `updated`;
//   - each comment and worklog as its own envelope (sealed_comments.go, sealed_worklogs.go);
//   - each attachment as <opaque>.age, its name, size and hash in the state (sealed_files.go);
//   - issue links and deletions as entries of the state (sealed_links.go, sealed_deletions.go).
//
// Whom it trusts is in sealed_trust.go; re-sealing after a rotation in sealed_reseal.go.
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

// allProperties asks for every property: the slots of all writers, whatever their keys.
var allProperties = []string{"*all"}

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
	opt.Properties = allProperties
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
	is, err := d.Jira.GetIssue(ctx, id, jira.GetIssueOptions{Fields: []string{"summary", "updated", "attachment"}, Properties: allProperties})
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
	q.Properties = allProperties
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
	is, err := d.Jira.GetIssue(ctx, id, jira.GetIssueOptions{Fields: []string{"summary", "updated", "attachment"}, Properties: allProperties})
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
