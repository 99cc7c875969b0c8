package engine

import (
	"time"

	"github.com/airlock-sync/airlock/models"
)

// MergeOptions carries what the three-way merge needs besides the values.
type MergeOptions struct {
	// Policy is the conflict policy (models.Policy*); empty means newest wins.
	Policy string
	// UpdatedLocal and UpdatedRemote are each issue's Jira `updated`, for the newest-wins policy.
	UpdatedLocal, UpdatedRemote time.Time
	// Held lists fields with an open manual conflict: nothing is written for them and their
	// baseline stays as it is until the conflict is decided.
	Held map[string]bool
	// Decided maps fields with a decided, not yet applied conflict to the value both sides must
	// end up with (in the remote vocabulary).
	Decided map[string]string
	// FirstSync lists the fields on their first sync for this twin (FirstSyncFields): they follow
	// their rule's first-sync choice instead of the three-way merge.
	FirstSync map[string]bool
}

// FieldConflict is a field both sides changed differently under the manual policy.
type FieldConflict struct {
	Field  string
	Base   string // the local side's baseline entry ("" when missing)
	Local  string
	Remote string
}

// Plan is the outcome of a merge: the values to write on each side (field name -> value in the
// remote vocabulary) and the manual conflicts to record.
type Plan struct {
	ToLocal   map[string]string
	ToRemote  map[string]string
	Conflicts []FieldConflict
	// Held lists the fields whose baseline must not move (open or new manual conflicts).
	Held map[string]bool
}

// Empty reports whether the plan writes nothing.
func (p *Plan) Empty() bool { return len(p.ToLocal) == 0 && len(p.ToRemote) == 0 }

// Merge is the pure three-way merge of one twin, field by field: only one side changed, its value
// goes to the other; both changed to the same value, nothing; both changed differently, the
// policy decides (newest `updated`, a fixed side, or a manual conflict that holds the field). A
// field missing from the baseline counts as changed on both sides. Direction restricts which
// way a field may travel; issue types are written at create only.
func Merge(rules []FieldRule, base Baseline, local, remote Shared, opt MergeOptions) Plan {
	p := Plan{ToLocal: map[string]string{}, ToRemote: map[string]string{}, Held: map[string]bool{}}
	for i := range rules {
		f := &rules[i]
		name := f.Name
		l, r := local[name], remote[name]
		if f.Kind == KindIssueType {
			continue
		}
		if v, ok := opt.Decided[name]; ok {
			if v != l && f.Direction != DirOut {
				p.ToLocal[name] = v
			}
			if v != r && f.Direction != DirIn {
				p.ToRemote[name] = v
			}
			continue
		}
		if opt.Held[name] {
			p.Held[name] = true
			continue
		}
		if l == r {
			continue
		}
		if opt.FirstSync[name] {
			toL, toR := firstSyncWrites(f, l, r)
			if toL {
				p.ToLocal[name] = r
			}
			if toR {
				p.ToRemote[name] = l
			}
			continue
		}
		bl, okL := base.Local[name]
		br, okR := base.Remote[name]
		changedL := !okL || bl != l
		changedR := !okR || br != r
		switch f.Direction {
		case DirOut:
			if changedL {
				p.ToRemote[name] = l
			}
			continue
		case DirIn:
			if changedR {
				p.ToLocal[name] = r
			}
			continue
		}
		switch {
		case changedL && !changedR:
			p.ToRemote[name] = l
		case changedR && !changedL:
			p.ToLocal[name] = r
		case changedL && changedR:
			switch winner(opt) {
			case models.SideLocal:
				p.ToRemote[name] = l
			case models.SideRemote:
				p.ToLocal[name] = r
			default:
				p.Held[name] = true
				p.Conflicts = append(p.Conflicts, FieldConflict{Field: name, Base: bl, Local: l, Remote: r})
			}
		}
	}
	return p
}

// winner is the side whose value wins a conflict, or "" for a manual decision.
func winner(opt MergeOptions) string {
	switch opt.Policy {
	case models.PolicyLocalWins:
		return models.SideLocal
	case models.PolicyRemoteWins:
		return models.SideRemote
	case models.PolicyManual:
		return ""
	}
	if opt.UpdatedRemote.After(opt.UpdatedLocal) {
		return models.SideRemote
	}
	return models.SideLocal
}
