package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	}{f.Kind, f.Local, f.Remote, dir, f.Values, f.ReverseValues, f.Default, nil}
	if f.Kind == KindUser {
		key.Users = &r.Users
	}
	b, _ := json.Marshal(key) // maps marshal in sorted key order
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
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
