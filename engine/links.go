package engine

// Issue links between twinned issues (issue 14) travel through link twins (models.LinkTwin: local
// link id <-> remote link id, one row per connection and link, whichever end's reconcile made it).
//
// Each entry of an issue's issuelinks is seen from that issue: an entry with outwardIssue says
// "this issue <outward> other" (this issue is the link's source), one with inwardIssue says
// "other <outward> this issue". A copy keeps the direction: "A-1 blocks A-2" arrives as
// "B-1 blocks B-2", the request naming the source inwardIssue and the destination outwardIssue,
// as Jira reads it (jira.IssueLinkInput: the names are those seen from the other issue).
//
// On each reconcile of a twin, for the links of both its issues:
//   - a twinned link present on both sides: nothing;
//   - a twinned link gone on one side (confirmed with GET /issueLink/{id}, so a stale read of an
//     issue never removes a link another reconcile just made) is deleted on the other, and its
//     row with it;
//   - an untwinned link whose other end has no twin in this connection stays home and is counted
//     (Twin.*LinksKeptHome); nothing about that issue is sent anywhere;
//   - an untwinned link whose other end's twin has no issue on the target yet waits: that twin's
//     own reconcile (its create) carries it;
//   - otherwise a link of the mapped type between the same two twins in the same direction is
//     looked for on the target and adopted (a copy whose row was lost, or the copy the other end's
//     reconcile made), else created. Jira adds nothing for a link that exists, so two reconciles
//     racing on one link make one link, and the second row insert is a no-op.
//
// Link types are mapped by name (LinkRules.Types, local name -> remote name; an unmapped type
// keeps its name). A type the target does not have is a config error on the twin that names the
// type and says where to map it: silently leaving a link behind would be a divergence nobody sees.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// LinkRules governs issue links.
type LinkRules struct {
	Enabled bool `json:"enabled"`
	// Types maps a local link type name to the remote one ("Blocks" -> "Hindert"); a type not
	// in the map keeps its name. Links coming back map through the same table in reverse.
	Types map[string]string `json:"types,omitempty"`
}

// validate reports type map entries without a name on either side.
func (r *LinkRules) validate() []*RuleError {
	var errs []*RuleError
	for _, k := range sortedKeys(r.Types) {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(r.Types[k]) == "" {
			errs = append(errs, &RuleError{"links.types", fmt.Sprintf("%q -> %q: a link type name is required on both sides", k, r.Types[k])})
		}
	}
	return errs
}

// RemoteType is the remote name of a local link type.
func (r *LinkRules) RemoteType(local string) string {
	if t := r.Types[local]; t != "" {
		return t
	}
	return local
}

// LocalType is the local name of a remote link type: the first local name (in name order) mapped
// to it, else the same name.
func (r *LinkRules) LocalType(remote string) string {
	for _, k := range sortedKeys(r.Types) {
		if r.Types[k] == remote {
			return k
		}
	}
	return remote
}

// targetType is the name on side dst of a link type named typ on the other side.
func (r *LinkRules) targetType(dst, typ string) string {
	if dst == models.SideLocal {
		return r.LocalType(typ)
	}
	return r.RemoteType(typ)
}

// linkFields are the issue fields the link sync reads.
func linkFields(r *Rules) []string {
	if !r.Links.Enabled {
		return nil
	}
	return []string{"issuelinks"}
}

// linkJira is what the link sync needs of a Jira client beyond the engine's Jira interface.
type linkJira interface {
	IssueLinkTypes(ctx context.Context) ([]jira.IssueLinkType, error)
	CreateIssueLink(ctx context.Context, in jira.IssueLinkInput) error
	IssueLink(ctx context.Context, id string) (*jira.IssueLink, error)
	DeleteIssueLink(ctx context.Context, id string) error
}

// linkEnd is one entry of an issue's issuelinks, seen from the twin's issue on side.
type linkEnd struct {
	side    *Side
	id      string
	typ     string
	other   jira.LinkedIssue
	source  bool // the twin's issue is the link's source ("this issue blocks other")
	twinned bool
}

// linkRun is the state of one syncLinks call.
type linkRun struct {
	e     *Engine
	p     *Pair
	ends  map[*Side][]*linkEnd
	types map[*Side]map[string]bool
	kept  [2]int
	wrote [2]bool
}

// syncLinks carries issue links between twinned issues; wrote[0] reports a write on the local
// side, wrote[1] on the remote side.
func (e *Engine) syncLinks(ctx context.Context, p *Pair) (wrote [2]bool, err error) {
	if !p.Rules.Links.Enabled || p.Local == nil || p.Remote == nil || p.Local.Issue == nil || p.Remote.Issue == nil {
		return wrote, nil
	}
	r := &linkRun{e: e, p: p, ends: map[*Side][]*linkEnd{}, types: map[*Side]map[string]bool{}}
	var ids [2][]string
	for i, s := range []*Side{p.Local, p.Remote} {
		r.ends[s] = endsOf(s, s.Issue)
		for _, v := range r.ends[s] {
			ids[i] = append(ids[i], v.id)
		}
	}
	var rows []models.LinkTwin
	q := e.db(ctx).Where("connection_id = ?", p.Conn.ID).
		Where(e.db(ctx).Where("from_twin_id = ? OR to_twin_id = ?", p.Twin.ID, p.Twin.ID).
			Or("local_link_id IN ?", append(ids[0], "")).Or("remote_link_id IN ?", append(ids[1], "")))
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return wrote, fmt.Errorf("link twins of twin %d: %w", p.Twin.ID, err)
	}
	for i := range rows {
		if err := r.settle(ctx, &rows[i]); err != nil {
			return r.wrote, err
		}
	}
	for _, s := range []*Side{p.Local, p.Remote} {
		for _, v := range r.ends[s] {
			if v.twinned {
				continue
			}
			if err := r.carry(ctx, v); err != nil {
				return r.wrote, err
			}
		}
	}
	return r.wrote, e.recordLinksKeptHome(ctx, p, r.kept[0], r.kept[1])
}

// endsOf reads the issuelinks of an issue of side s.
func endsOf(s *Side, is *jira.Issue) []*linkEnd {
	links, _ := is.IssueLinks()
	var out []*linkEnd
	for _, l := range links {
		v := &linkEnd{side: s, id: l.ID, typ: l.Type.Name}
		switch {
		case l.OutwardIssue != nil:
			v.other, v.source = *l.OutwardIssue, true
		case l.InwardIssue != nil:
			v.other = *l.InwardIssue
		default:
			continue
		}
		out = append(out, v)
	}
	return out
}

func (r *linkRun) find(s *Side, id string) *linkEnd {
	for _, v := range r.ends[s] {
		if v.id == id {
			return v
		}
	}
	return nil
}

// settle handles a recorded link: a link gone on one side is deleted on the other.
func (r *linkRun) settle(ctx context.Context, row *models.LinkTwin) error {
	p := r.p
	var present [2]bool
	var gone [2]bool
	for i, s := range []*Side{p.Local, p.Remote} {
		id := linkTwinID(row, s.Name)
		if v := r.find(s, id); v != nil {
			v.twinned, present[i] = true, true
		}
	}
	if present[0] && present[1] {
		return nil
	}
	for i, s := range []*Side{p.Local, p.Remote} {
		if present[i] {
			continue
		}
		// Absent from this issue's links: gone, or only not in a read older than the row (the
		// other end's reconcile made it meanwhile), or a link of two other issues found by id.
		g, err := r.gone(ctx, s, linkTwinID(row, s.Name))
		if err != nil {
			return err
		}
		gone[i] = g
	}
	if !gone[0] && !gone[1] {
		return nil
	}
	for i, s := range []*Side{p.Local, p.Remote} {
		if gone[i] {
			continue
		}
		id := linkTwinID(row, s.Name)
		lj, err := linkClient(s)
		if err != nil {
			return err
		}
		if err := lj.DeleteIssueLink(ctx, id); err != nil && !jira.IsNotFound(err) {
			return fmt.Errorf("delete %s link %s: %w", s.Name, id, err)
		}
		r.wrote[i] = true
		r.e.event(ctx, p, p.Other(s).Name, "issuelink", linkTypeOf(row, s.Name), r.describe(ctx, row, s.Name), "(deleted)")
	}
	if err := r.e.db(ctx).Delete(&models.LinkTwin{}, row.ID).Error; err != nil {
		return fmt.Errorf("forget link twin %d: %w", row.ID, err)
	}
	return nil
}

// describe is a recorded link as it reads on side ("RELAY-1 Blocks RELAY-2"), for the audit.
func (r *linkRun) describe(ctx context.Context, row *models.LinkTwin, side string) string {
	var ends []models.Twin
	if err := r.e.db(ctx).Where("id IN ?", []uint{row.FromTwinID, row.ToTwinID}).Find(&ends).Error; err != nil {
		return "link " + linkTwinID(row, side)
	}
	key := map[uint]string{}
	for i := range ends {
		key[ends[i].ID] = twinKey(&ends[i], side)
	}
	return key[row.FromTwinID] + " " + linkTypeOf(row, side) + " " + key[row.ToTwinID]
}

// gone reports whether the link id no longer exists on side s.
func (r *linkRun) gone(ctx context.Context, s *Side, id string) (bool, error) {
	lj, err := linkClient(s)
	if err != nil {
		return false, err
	}
	_, err = lj.IssueLink(ctx, id)
	if jira.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s link %s: %w", s.Name, id, err)
	}
	return false, nil
}

// carry copies an untwinned link to the other side, adopts its copy there, stays home (its other
// end is not shared) or waits (its other end's twin has no issue on the target yet).
func (r *linkRun) carry(ctx context.Context, v *linkEnd) error {
	p := r.p
	other, err := r.e.twinOf(ctx, p.Conn.ID, v.side.Name, v.other.ID)
	if err != nil {
		return err
	}
	if other == nil || other.State == models.TwinUnlinked {
		r.kept[sideIndex(v.side.Name)]++
		return nil
	}
	dst := p.Other(v.side)
	otherID := twinIssueID(other, dst.Name)
	if otherID == nil {
		return nil // pending: the other end's create carries the link
	}
	typ := p.Rules.Links.targetType(dst.Name, v.typ)
	row := models.LinkTwin{ConnectionID: p.Conn.ID, FromTwinID: p.Twin.ID, ToTwinID: other.ID}
	if !v.source {
		row.FromTwinID, row.ToTwinID = other.ID, p.Twin.ID
	}
	setLinkTwin(&row, v.side.Name, v.id, v.typ)
	// A copy already on the target (a lost row, or the other end's reconcile): adopt it.
	if u := r.match(r.ends[dst], typ, *otherID, v.source); u != nil {
		u.twinned = true
		setLinkTwin(&row, dst.Name, u.id, u.typ)
		return r.record(ctx, &row)
	}
	ok, err := r.typeExists(ctx, dst, typ)
	if err != nil {
		return err
	}
	if !ok {
		return configError("issue link type %q (from %s's %q) does not exist on %s: map it to one of %s's link types under Issue links in the connection's mapping",
			typ, instanceName(v.side), v.typ, instanceName(dst), instanceName(dst))
	}
	lj, err := linkClient(dst)
	if err != nil {
		return err
	}
	in := linkRequest(typ, dst.Issue.ID, *otherID)
	if !v.source {
		in = linkRequest(typ, *otherID, dst.Issue.ID)
	}
	if err := lj.CreateIssueLink(ctx, in); err != nil {
		return fmt.Errorf("carry link %s to %s: %w", v.id, dst.Name, err)
	}
	r.wrote[sideIndex(dst.Name)] = true
	// Jira answers 201 without the new link's id: read it from the issue's links.
	is, err := dst.Jira.GetIssue(ctx, dst.Issue.ID, jira.GetIssueOptions{Fields: []string{"issuelinks"}})
	if err != nil {
		return fmt.Errorf("read %s issue %s links: %w", dst.Name, dst.Issue.Key, err)
	}
	fresh := endsOf(dst, is)
	for _, u := range r.ends[dst] {
		for _, f := range fresh {
			if f.id == u.id {
				f.twinned = u.twinned
			}
		}
	}
	u := r.match(fresh, typ, *otherID, v.source)
	if u == nil {
		return fmt.Errorf("the %s link between %s and %s was made on %s but is not among the issue's links", typ, dst.Issue.Key, twinKey(other, dst.Name), instanceName(dst))
	}
	u.twinned = true
	r.ends[dst] = fresh
	setLinkTwin(&row, dst.Name, u.id, u.typ)
	if err := r.record(ctx, &row); err != nil {
		return err
	}
	srcKey, dstKey := dst.Issue.Key, twinKey(other, dst.Name)
	if !v.source {
		srcKey, dstKey = dstKey, srcKey
	}
	r.e.event(ctx, p, v.side.Name, "issuelink", typ, "", srcKey+" "+typ+" "+dstKey)
	return nil
}

// linkRequest is the request that makes "source <typ's outward> destination". Jira reads
// POST /issueLink as "inwardIssue <outward> outwardIssue", the opposite of what the names
// suggest (jira.IssueLinkInput).
func linkRequest(typ, sourceID, destID string) jira.IssueLinkInput {
	return jira.IssueLinkInput{Type: jira.IssueLinkType{Name: typ},
		InwardIssue: jira.IssueRefInput{ID: sourceID}, OutwardIssue: jira.IssueRefInput{ID: destID}}
}

// match finds an untwinned link of type typ to issue otherID in the given direction.
func (r *linkRun) match(ends []*linkEnd, typ, otherID string, source bool) *linkEnd {
	for _, u := range ends {
		if !u.twinned && u.typ == typ && u.other.ID == otherID && u.source == source {
			return u
		}
	}
	return nil
}

// record stores a link twin; a row another reconcile stored for the same link first stands.
func (r *linkRun) record(ctx context.Context, row *models.LinkTwin) error {
	if err := r.e.db(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(row).Error; err != nil {
		return fmt.Errorf("record link twin: %w", err)
	}
	return nil
}

// linkTypesTTL is how long an instance's issue link types are kept between reads; a name that
// is not among them is read again at once (an admin may just have added it).
const linkTypesTTL = 5 * time.Minute

// linkTypesEntry is the issue link type names of one instance, as read at a time.
type linkTypesEntry struct {
	names map[string]bool
	at    time.Time
}

// typeExists reports whether side s has a link type of that name. The types are read once per
// instance and kept for linkTypesTTL (a bulk sync of a thousand linked issues reads them once,
// not once per issue); a name missing from a kept list is looked up again before it counts as
// missing.
func (r *linkRun) typeExists(ctx context.Context, s *Side, name string) (bool, error) {
	c, key := r.e.caches(), strings.TrimRight(s.Jira.BaseURL(), "/")
	c.mu.Lock()
	ent, ok := c.linkTypes[key]
	c.mu.Unlock()
	if ok && time.Since(ent.at) < linkTypesTTL && (ent.names[name] || r.types[s] != nil) {
		return ent.names[name], nil
	}
	lj, err := linkClient(s)
	if err != nil {
		return false, err
	}
	ts, err := lj.IssueLinkTypes(ctx)
	if err != nil {
		return false, fmt.Errorf("link types of %s: %w", s.Name, err)
	}
	ent = linkTypesEntry{names: map[string]bool{}, at: time.Now()}
	for _, t := range ts {
		ent.names[t.Name] = true
	}
	c.mu.Lock()
	c.linkTypes[key] = ent
	c.mu.Unlock()
	r.types[s] = ent.names // read fresh in this run: a missing name is missing
	return ent.names[name], nil
}

func linkClient(s *Side) (linkJira, error) {
	lj, ok := s.Jira.(linkJira)
	if !ok {
		return nil, fmt.Errorf("the %s client (%T) cannot manage issue links", s.Name, s.Jira)
	}
	return lj, nil
}

func linkTwinID(row *models.LinkTwin, side string) string {
	id := row.RemoteLinkID
	if side == models.SideLocal {
		id = row.LocalLinkID
	}
	if id == nil {
		return ""
	}
	return *id
}

func linkTypeOf(row *models.LinkTwin, side string) string {
	if side == models.SideLocal {
		return row.LocalType
	}
	return row.RemoteType
}

func setLinkTwin(row *models.LinkTwin, side, id, typ string) {
	if side == models.SideLocal {
		row.LocalLinkID, row.LocalType = &id, typ
		return
	}
	row.RemoteLinkID, row.RemoteType = &id, typ
}

// recordLinksKeptHome stores how many links stayed on each side, only when it changed.
func (e *Engine) recordLinksKeptHome(ctx context.Context, p *Pair, local, remote int) error {
	tw := p.Twin
	if tw == nil || tw.ID == 0 || (tw.LocalLinksKeptHome == local && tw.RemoteLinksKeptHome == remote) {
		return nil
	}
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).
		Updates(map[string]any{"local_links_kept_home": local, "remote_links_kept_home": remote}).Error; err != nil {
		return fmt.Errorf("record links kept home: %w", err)
	}
	tw.LocalLinksKeptHome, tw.RemoteLinksKeptHome = local, remote
	return nil
}

// previewLinks says in notes what the link sync would do with the source issue's links: carry
// them (naming the type they arrive as), leave them home (other end not shared), or wait for the
// other end's twin. Only the database is read: the links are in the issue already read.
func (e *Engine) previewLinks(ctx context.Context, p *Pair, src *Side, res *PreviewResult) error {
	if !p.Rules.Links.Enabled {
		return nil
	}
	dst := p.Other(src)
	var home, waiting, twinned int
	for _, v := range endsOf(src, src.Issue) {
		var n int64
		if err := e.db(ctx).Model(&models.LinkTwin{}).Where("connection_id = ? AND "+src.Name+"_link_id = ?", p.Conn.ID, v.id).Count(&n).Error; err != nil {
			return fmt.Errorf("link twin of link %s: %w", v.id, err)
		}
		if n > 0 {
			twinned++
			continue
		}
		other, err := e.twinOf(ctx, p.Conn.ID, src.Name, v.other.ID)
		if err != nil {
			return err
		}
		switch {
		case other == nil || other.State == models.TwinUnlinked:
			home++
		case twinIssueID(other, dst.Name) == nil:
			waiting++
		default:
			from, to := src.Issue.Key, v.other.Key
			if !v.source {
				from, to = to, from
			}
			res.Notes = append(res.Notes, fmt.Sprintf("The link %q %s %s would be made on %s as %q between their twins.",
				v.typ, from, to, instanceName(dst), p.Rules.Links.targetType(dst.Name, v.typ)))
		}
	}
	if twinned > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("Issue links of %s already on %s: %d.", src.Issue.Key, instanceName(dst), twinned))
	}
	if waiting > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("Issue links of %s waiting for their other issue to be created on %s (they travel then): %d.",
			src.Issue.Key, instanceName(dst), waiting))
	}
	if home > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("Issue links of %s that stay on %s because their other issue is not shared with %s (nothing about it leaves): %d.",
			src.Issue.Key, instanceName(src), instanceName(dst), home))
	}
	return nil
}
