package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// First-sync choices (FieldRule.FirstSync): what a field does on the first reconcile of a twin
// after the field was newly mapped, or its direction, value map or user map changed.
const (
	// FirstSyncFill (the default) copies a value only where the target is empty; differing
	// non-empty values are left as they are until one side really changes.
	FirstSyncFill = "fill"
	// FirstSyncLocal and FirstSyncRemote take that side's value where it has one (overwriting
	// the other side), and fill that side where it is empty.
	FirstSyncLocal  = "local"
	FirstSyncRemote = "remote"
	// FirstSyncKeep writes nothing: both sides keep their values until the next real change.
	FirstSyncKeep = "keep"
)

// FirstSyncChoices lists the valid choices, the default first.
var FirstSyncChoices = []string{FirstSyncFill, FirstSyncLocal, FirstSyncRemote, FirstSyncKeep}

// Revision is the fingerprint of what decides how a field's values travel: its fields on each
// side, kind, direction, value maps, default and (for user fields) the user map. A twin's
// baseline records the revision each field was agreed under; a different revision means the
// field is on its first sync for that twin.
func (r *Rules) Revision(f *FieldRule) string {
	dir := f.Direction
	if dir == "" {
		dir = DirBoth
	}
	key := struct {
		Kind, Local, Remote, Direction string
		Values, ReverseValues          map[string]string
		Default                        string
		Users                          *UserMap `json:",omitempty"`
	}{f.Kind, f.Local, f.Remote, dir, nonIdentity(f.Values), nonIdentity(f.ReverseValues), f.Default, nil}
	if f.Kind == KindUser || f.Kind == KindParticipants {
		key.Users = &r.Users
	}
	b, _ := json.Marshal(key) // maps marshal in sorted key order
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// nonIdentity drops the entries that map a value to itself: a value without an entry passes
// unchanged, so they change nothing (the editor pre-fills them by matching names).
func nonIdentity(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if k != v {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// stamp records in b the revision of every field rule: the rules this agreement was made under.
// Fields in keep (held by a conflict) keep the revision they had.
func (r *Rules) stamp(b *Baseline, keep map[string]bool) {
	old := b.Rev
	b.Rev = make(map[string]string, len(r.Fields))
	for i := range r.Fields {
		f := &r.Fields[i]
		if keep[f.Name] {
			if v, ok := old[f.Name]; ok {
				b.Rev[f.Name] = v
			}
			continue
		}
		b.Rev[f.Name] = r.Revision(f)
	}
}

// FirstSyncFields returns the fields on their first sync for a twin with baseline b: fields the
// baseline holds no value for on a side, or that were agreed under another revision of their
// rule. A baseline written before revisions were recorded counts its fields as agreed.
func FirstSyncFields(r *Rules, b Baseline) map[string]bool {
	out := map[string]bool{}
	for i := range r.Fields {
		f := &r.Fields[i]
		_, okL := b.Local[f.Name]
		_, okR := b.Remote[f.Name]
		if !okL || !okR {
			out[f.Name] = true
			continue
		}
		if b.Rev != nil && b.Rev[f.Name] != r.Revision(f) {
			out[f.Name] = true
		}
	}
	return out
}

// firstSyncWrites decides a differing field's first sync (l and r are the current values in the
// remote vocabulary): whether the remote value goes to the local side and whether the local value
// goes to the remote side. Whatever the choice, an empty value never overwrites a non-empty one,
// and the field's direction is respected.
func firstSyncWrites(f *FieldRule, l, r string) (toLocal, toRemote bool) {
	if l == r {
		return false, false
	}
	canL, canR := f.Direction != DirOut, f.Direction != DirIn
	switch f.FirstSync {
	case FirstSyncKeep:
		return false, false
	case FirstSyncLocal:
		if l != "" {
			return false, canR
		}
	case FirstSyncRemote:
		if r != "" {
			return canL, false
		}
	}
	// Fill empty targets only.
	switch {
	case l == "":
		return canL, false
	case r == "":
		return false, canR
	}
	return false, false
}

// FirstSyncOverwrites reports whether a field's first sync with the current values l and r
// would overwrite or erase a non-empty target value (the count the mapping editor shows).
func FirstSyncOverwrites(f *FieldRule, l, r string) bool {
	toL, toR := firstSyncWrites(f, l, r)
	return (toL && l != "") || (toR && r != "")
}

// FirstSyncImpact is what a changed field's first sync would do to a connection's twins.
type FirstSyncImpact struct {
	// Twins counts the twins whose current values were known (read or from the baseline).
	Twins int
	// Overwrites counts the twins where a non-empty target value would be overwritten or erased.
	Overwrites int
	// Partial: some twins' values were not known (more issues than the one bounded read returns).
	Partial bool
}

// impactReadCap bounds the one read per side of FirstSyncImpact; impactTwinCap the twins it
// looks at.
const (
	impactReadCap = 500
	impactTwinCap = 20000
)

// FirstSyncImpact counts, for every field of next whose revision differs from the stored rules
// (newly mapped, direction, value map or user map changed), the twins where its first sync, with
// the rule's choice, would overwrite or erase a non-empty target value. It uses the stored
// baselines where the change leaves the values' projection as it was (only the direction or the
// choice changed), and otherwise one bounded search per side (the most recently updated issues
// of the scope): no full scan of Jira. Fields not changed are absent from the result.
func (e *Engine) FirstSyncImpact(ctx context.Context, connID uint, next Rules) (map[string]*FirstSyncImpact, error) {
	l, err := e.loadLink(ctx, connID)
	if err != nil {
		return nil, err
	}
	out := map[string]*FirstSyncImpact{}
	var changed []*FieldRule
	fromBase := map[string]bool{}
	read := [2]Rules{{Users: next.Users}, {Users: next.Users}}
	for i := range next.Fields {
		f := &next.Fields[i]
		old := l.Rules.field(f.Name)
		if old != nil && l.Rules.Revision(old) == next.Revision(f) {
			continue
		}
		changed = append(changed, f)
		out[f.Name] = &FirstSyncImpact{}
		if old != nil && old.Local == f.Local && old.Remote == f.Remote && old.Kind == f.Kind &&
			maps.Equal(old.Values, f.Values) && maps.Equal(old.ReverseValues, f.ReverseValues) && old.Default == f.Default &&
			((f.Kind != KindUser && f.Kind != KindParticipants) || l.Rules.Revision(&FieldRule{Kind: KindUser}) == next.Revision(&FieldRule{Kind: KindUser})) {
			fromBase[f.Name] = true
			continue
		}
		for s := range read {
			read[s].Fields = append(read[s].Fields, *f)
		}
	}
	if len(changed) == 0 {
		return out, nil
	}
	var twins []models.Twin
	if err := e.db(ctx).Where("connection_id = ? AND state IN ?", connID, []string{models.TwinActive, models.TwinQuarantined}).
		Order("id").Limit(impactTwinCap).Find(&twins).Error; err != nil {
		return nil, fmt.Errorf("first-sync impact: load twins: %w", err)
	}
	var values [2]map[string]Shared // issue id -> projection with the new rules
	if len(read[0].Fields) > 0 && len(twins) > 0 {
		for s, side := range []string{models.SideLocal, models.SideRemote} {
			j, err := e.client(ctx, l, side)
			if err != nil {
				return nil, err
			}
			fields := []string{"updated"}
			for i := range read[s].Fields {
				fields = append(fields, read[s].Fields[i].fieldID(side))
			}
			jql := strings.Replace(bulkScopeJQL(l, side, l.extraJQL(side)), " ORDER BY key ASC", " ORDER BY updated DESC", 1)
			issues, err := j.SearchAll(ctx, jira.SearchQuery{JQL: jql, Fields: fields}, jira.SearchAllOptions{MaxIssues: impactReadCap})
			if err != nil {
				return nil, fmt.Errorf("first-sync impact: read %s: %w", side, err)
			}
			values[s] = make(map[string]Shared, len(issues))
			for i := range issues {
				values[s][issues[i].ID] = Project(&issues[i], &read[s], side)
			}
		}
	}
	for i := range twins {
		tw := &twins[i]
		if tw.LocalIssueID == nil || tw.RemoteIssueID == nil {
			continue
		}
		base, _ := ParseBaseline(tw.Baseline)
		lv, lok := values[0][*tw.LocalIssueID]
		rv, rok := values[1][*tw.RemoteIssueID]
		skipped := SkippedFields(tw)
		for _, f := range changed {
			if slices.Contains(skipped, f.Name) {
				continue
			}
			im := out[f.Name]
			var l, r string
			switch {
			case fromBase[f.Name]:
				var okL, okR bool
				l, okL = base.Local[f.Name]
				r, okR = base.Remote[f.Name]
				if !okL || !okR {
					im.Partial = true
					continue
				}
			case lok && rok:
				l, r = lv[f.Name], rv[f.Name]
			default:
				im.Partial = true
				continue
			}
			im.Twins++
			if FirstSyncOverwrites(f, l, r) {
				im.Overwrites++
			}
		}
	}
	if len(twins) == impactTwinCap {
		for _, im := range out {
			im.Partial = true
		}
	}
	return out, nil
}

// StampLegacyBaselines records, on the connection's twins whose baseline predates rule
// revisions, the revision of the rules in force (stored) for every field the baseline holds.
// Called before new rules are saved, so that a field whose direction or maps change is on its
// first sync for those twins too, instead of merging as if nothing had changed.
func (e *Engine) StampLegacyBaselines(ctx context.Context, connID uint, stored Rules) (int, error) {
	var twins []models.Twin
	if err := e.db(ctx).Select("id", "baseline").Where("connection_id = ? AND state <> ?", connID, models.TwinUnlinked).
		Find(&twins).Error; err != nil {
		return 0, fmt.Errorf("stamp baselines: %w", err)
	}
	n := 0
	for _, tw := range twins {
		base, err := ParseBaseline(tw.Baseline)
		if err != nil || base.Rev != nil || strings.TrimSpace(tw.Baseline) == "" {
			continue
		}
		base.Rev = map[string]string{}
		for i := range stored.Fields {
			f := &stored.Fields[i]
			_, okL := base.Local[f.Name]
			_, okR := base.Remote[f.Name]
			if okL && okR {
				base.Rev[f.Name] = stored.Revision(f)
			}
		}
		// Only a baseline nobody rewrote meanwhile is stamped (a reconcile stamps its own).
		q := e.db(ctx).Model(&models.Twin{}).Where("id = ? AND baseline = ?", tw.ID, tw.Baseline).Update("baseline", base.String())
		if q.Error != nil {
			return n, fmt.Errorf("stamp baseline of twin %d: %w", tw.ID, q.Error)
		}
		n += int(q.RowsAffected)
	}
	return n, nil
}
