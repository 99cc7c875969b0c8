package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Bulk link rules: how existing issue pairs are matched across a connection's two projects.
const (
	// LinkBySummary pairs issues whose summaries are the same (ignoring case and outer spaces).
	LinkBySummary = "summary"
	// LinkByField pairs an issue with the issue whose key one of its fields holds.
	LinkByField = "field"
)

// BulkInputError says which input of a bulk operation is wrong, for the console to show beside
// the field.
type BulkInputError struct {
	Field   string // "connection", "rule", "field", "side", "jql"
	Message string
}

func (e *BulkInputError) Error() string { return e.Field + ": " + e.Message }

// LinkRule is a matching rule for linking existing pairs.
type LinkRule struct {
	Kind string // LinkBySummary or LinkByField
	// Field is the Jira field id (summary, customfield_10100) that holds the other side's key,
	// on side Side (models.SideLocal or SideRemote); only for LinkByField.
	Field string
	Side  string
}

// Validate checks a rule before any Jira call.
func (r LinkRule) Validate() error {
	switch r.Kind {
	case LinkBySummary:
		return nil
	case LinkByField:
	default:
		return &BulkInputError{Field: "rule", Message: "choose a matching rule"}
	}
	if strings.TrimSpace(r.Field) == "" {
		return &BulkInputError{Field: "field", Message: "name the field that holds the other issue's key (for example customfield_10100)"}
	}
	if strings.ContainsAny(r.Field, " \t,\"'") {
		return &BulkInputError{Field: "field", Message: "a field id has no spaces or commas (for example customfield_10100)"}
	}
	if r.Side != models.SideLocal && r.Side != models.SideRemote {
		return &BulkInputError{Field: "side", Message: "choose the side whose field holds the key"}
	}
	return nil
}

// LinkCandidate is one row of a link preview: a local and a remote issue the rule pairs, or an
// issue the rule could not pair safely (Problem says why).
type LinkCandidate struct {
	LocalID, LocalKey, LocalSummary    string
	RemoteID, RemoteKey, RemoteSummary string
	Reason                             string
	// Problem is empty when the pair can be linked; otherwise it says why not (one-to-many,
	// missing issue).
	Problem string
}

// OK reports whether the candidate can be linked.
func (c LinkCandidate) OK() bool { return c.Problem == "" && c.LocalID != "" && c.RemoteID != "" }

// LinkPreview is what a matching rule would link, before anything is written.
type LinkPreview struct {
	Candidates    []LinkCandidate
	LocalScanned  int
	RemoteScanned int
	// AlreadyLinked counts scanned issues that already have a twin in this connection; they are
	// left out of the candidates.
	AlreadyLinked int
}

// Linkable counts the candidates that can be linked.
func (p *LinkPreview) Linkable() int {
	n := 0
	for _, c := range p.Candidates {
		if c.OK() {
			n++
		}
	}
	return n
}

// maxAmbiguousRows bounds the rows one ambiguous group adds to a preview.
const maxAmbiguousRows = 10

// PreviewLinks scans both projects of a connection (project and issue types, without the
// trigger JQL) and pairs their issues by the rule. Nothing is written. Issues already twinned
// in the connection are left out; one-to-many matches are flagged, never linked.
func (e *Engine) PreviewLinks(ctx context.Context, connID uint, rule LinkRule) (*LinkPreview, error) {
	if err := rule.Validate(); err != nil {
		return nil, err
	}
	l, err := e.loadLink(ctx, connID)
	if err != nil {
		return nil, err
	}
	fields := []string{"summary", "updated"}
	if rule.Kind == LinkByField && rule.Field != "summary" {
		fields = append(fields, rule.Field)
	}
	var scanned [2][]jira.Issue
	for i, side := range []string{models.SideLocal, models.SideRemote} {
		j, err := e.client(ctx, l, side)
		if err != nil {
			return nil, err
		}
		hits, err := j.SearchAll(ctx, jira.SearchQuery{JQL: bulkScopeJQL(l, side, ""), MaxResults: 500, Fields: fields},
			jira.SearchAllOptions{})
		if err != nil {
			return nil, fmt.Errorf("scan %s project %s: %w", side, l.project(side), err)
		}
		scanned[i] = hits
	}
	p := &LinkPreview{LocalScanned: len(scanned[0]), RemoteScanned: len(scanned[1])}
	for i, side := range []string{models.SideLocal, models.SideRemote} {
		linked, err := e.bulkTwinned(ctx, l.Conn.ID, side, scanned[i])
		if err != nil {
			return nil, err
		}
		kept := scanned[i][:0]
		for _, is := range scanned[i] {
			if linked[is.ID] {
				p.AlreadyLinked++
				continue
			}
			kept = append(kept, is)
		}
		scanned[i] = kept
	}
	if rule.Kind == LinkBySummary {
		p.Candidates = matchBySummary(scanned[0], scanned[1])
	} else {
		p.Candidates = matchByField(scanned[0], scanned[1], rule, l.project(otherSide(rule.Side)))
	}
	return p, nil
}

// syncScopeJQL is the query of a bulk sync: the side's scope with its own JQL filter (a bulk
// job never crosses an issue the connection's filter keeps home) and the request's JQL.
func syncScopeJQL(l *link, r SyncJQLRequest) string {
	extra := strings.TrimSpace(l.extraJQL(r.Side))
	if q := strings.TrimSpace(r.JQL); q != "" {
		if extra != "" {
			extra = "(" + extra + ") AND (" + q + ")"
		} else {
			extra = q
		}
	}
	return bulkScopeJQL(l, r.Side, extra)
}

// errDraft refuses bulk work on a draft connection.
var errDraft = &BulkInputError{Field: "connection", Message: "this connection is a draft: activate it first (a draft syncs nothing)"}

// bulkScopeJQL is a side's scope: project, issue types and optional extra JQL, by key.
func bulkScopeJQL(l *link, side, extra string) string {
	return ScopeJQL(l.project(side), l.issueTypes(side), extra) + " ORDER BY key ASC"
}

// ScopeJQL is the query of a scope without order: the project, the issue types (comma
// separated, empty = all) and the extra JQL ANDed in parentheses.
func ScopeJQL(project, issueTypes string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "project = %s", quoteJQL(project))
	if its := splitList(issueTypes); len(its) > 0 {
		q := make([]string, len(its))
		for i, t := range its {
			q[i] = quoteJQL(t)
		}
		fmt.Fprintf(&b, " AND issuetype in (%s)", strings.Join(q, ", "))
	}
	for _, x := range extra {
		if strings.TrimSpace(x) != "" {
			fmt.Fprintf(&b, " AND (%s)", x)
		}
	}
	return b.String()
}

// bulkTwinned returns the ids of issues on side that already have a twin in the connection.
func (e *Engine) bulkTwinned(ctx context.Context, connID uint, side string, issues []jira.Issue) (map[string]bool, error) {
	col := "local_issue_id"
	if side == models.SideRemote {
		col = "remote_issue_id"
	}
	ids := make([]string, 0, len(issues))
	for i := range issues {
		ids = append(ids, issues[i].ID)
	}
	out := map[string]bool{}
	for chunk := range chunks(ids, 500) {
		var got []string
		if err := e.db(ctx).Model(&models.Twin{}).Where("connection_id = ? AND "+col+" IN ?", connID, chunk).Pluck(col, &got).Error; err != nil {
			return nil, fmt.Errorf("look up twins: %w", err)
		}
		for _, id := range got {
			out[id] = true
		}
	}
	return out, nil
}

func bulkSummary(is *jira.Issue) string {
	s, _ := is.Summary()
	return s
}

func normSummary(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// matchBySummary pairs issues with the same normalised summary; groups with more than one issue
// on a side are flagged.
func matchBySummary(local, remote []jira.Issue) []LinkCandidate {
	group := func(is []jira.Issue) map[string][]*jira.Issue {
		m := map[string][]*jira.Issue{}
		for i := range is {
			if k := normSummary(bulkSummary(&is[i])); k != "" {
				m[k] = append(m[k], &is[i])
			}
		}
		return m
	}
	lm, rm := group(local), group(remote)
	keys := make([]string, 0, len(lm))
	for k := range lm {
		if len(rm[k]) > 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return lm[keys[i]][0].Key < lm[keys[j]][0].Key })
	var out []LinkCandidate
	for _, k := range keys {
		ls, rs := lm[k], rm[k]
		reason := fmt.Sprintf("same summary %q", bulkSummary(ls[0]))
		problem := ""
		if len(ls) > 1 || len(rs) > 1 {
			problem = fmt.Sprintf("one-to-many: %d local and %d remote issues have this summary", len(ls), len(rs))
		}
		n := 0
		for _, li := range ls {
			for _, ri := range rs {
				if n == maxAmbiguousRows {
					break
				}
				out = append(out, candidate(li, ri, reason, problem))
				n++
			}
		}
	}
	return out
}

func candidate(li, ri *jira.Issue, reason, problem string) LinkCandidate {
	c := LinkCandidate{Reason: reason, Problem: problem}
	if li != nil {
		c.LocalID, c.LocalKey, c.LocalSummary = li.ID, li.Key, bulkSummary(li)
	}
	if ri != nil {
		c.RemoteID, c.RemoteKey, c.RemoteSummary = ri.ID, ri.Key, bulkSummary(ri)
	}
	return c
}

// fieldText reads a field as text: a string, or an option's value or a reference's name.
func fieldText(is *jira.Issue, id string) string {
	raw, ok := is.Fields[id]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n named
	if json.Unmarshal(raw, &n) == nil {
		if n.Value != "" {
			return n.Value
		}
		return n.Name
	}
	return ""
}

// keyIn extracts an issue key from a field value: the value itself, or the end of a
// .../browse/KEY link.
func keyIn(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.LastIndex(v, "/browse/"); i >= 0 {
		v = v[i+len("/browse/"):]
	}
	v = strings.TrimRight(v, "/ ")
	if strings.ContainsAny(v, " \t\n") || !strings.Contains(v, "-") {
		return ""
	}
	return strings.ToUpper(v)
}

// matchByField pairs each issue of rule.Side with the other side's issue whose key its field
// holds; several holders of one key are flagged, and so are keys the other project lacks.
func matchByField(local, remote []jira.Issue, rule LinkRule, otherProject string) []LinkCandidate {
	holders, targets := local, remote
	if rule.Side == models.SideRemote {
		holders, targets = remote, local
	}
	byKey := map[string]*jira.Issue{}
	for i := range targets {
		byKey[strings.ToUpper(targets[i].Key)] = &targets[i]
	}
	type hit struct {
		holder *jira.Issue
		key    string
	}
	var hits []hit
	count := map[string]int{}
	for i := range holders {
		k := keyIn(fieldText(&holders[i], rule.Field))
		if k == "" {
			continue
		}
		hits = append(hits, hit{&holders[i], k})
		count[k]++
	}
	out := make([]LinkCandidate, 0, len(hits))
	for _, h := range hits {
		target := byKey[h.key]
		reason := fmt.Sprintf("%s of %s holds %s", rule.Field, h.holder.Key, h.key)
		problem := ""
		switch {
		case target == nil:
			problem = fmt.Sprintf("%s is not an unlinked issue of project %s", h.key, otherProject)
		case count[h.key] > 1:
			problem = fmt.Sprintf("one-to-many: %d issues name %s", count[h.key], h.key)
		}
		li, ri := h.holder, target
		if rule.Side == models.SideRemote {
			li, ri = target, h.holder
		}
		c := candidate(li, ri, reason, problem)
		if target == nil {
			if rule.Side == models.SideLocal {
				c.RemoteKey = h.key
			} else {
				c.LocalKey = h.key
			}
		}
		out = append(out, c)
	}
	return out
}

// LinkPair names two issues (by id) to link as a twin.
type LinkPair struct {
	LocalID, RemoteID string
	// Reason is recorded in the twin's history.
	Reason string
}

// BulkProgress counts a bulk operation's progress; the callback receives it after every item.
type BulkProgress struct {
	Total, Done, Failed, Skipped int
	// Errors holds the first few failures, in words.
	Errors []string
}

const maxBulkErrors = 20

func (p *BulkProgress) fail(msg string) {
	p.Failed++
	if len(p.Errors) < maxBulkErrors {
		p.Errors = append(p.Errors, msg)
	}
}

// ProgressFunc receives a copy of the progress after every item of a bulk operation.
type ProgressFunc func(BulkProgress)

func (p *BulkProgress) report(f ProgressFunc) {
	if f != nil {
		c := *p
		c.Errors = append([]string(nil), p.Errors...)
		f(c)
	}
}

// LinkPairs links existing issue pairs as active twins: it checks both issues exist and are not
// twinned yet, writes the airlock.twin property on both, and stores the twin with the current
// projections as its baseline and each side's current `updated`, so nothing is rewritten until
// someone edits one of them. Each pair succeeds or fails alone.
func (e *Engine) LinkPairs(ctx context.Context, connID uint, pairs []LinkPair, progress ProgressFunc) (BulkProgress, error) {
	res := BulkProgress{Total: len(pairs)}
	l, err := e.loadLink(ctx, connID)
	if err != nil {
		return res, err
	}
	if l.Conn.Draft {
		return res, errDraft
	}
	res.report(progress)
	for _, pr := range pairs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := e.linkPair(ctx, l, pr); err != nil {
			res.fail(err.Error())
		} else {
			res.Done++
		}
		res.report(progress)
	}
	return res, nil
}

func (e *Engine) linkPair(ctx context.Context, l *link, pr LinkPair) error {
	var n int64
	if err := e.db(ctx).Model(&models.Twin{}).Where("connection_id = ? AND (local_issue_id = ? OR remote_issue_id = ?)",
		l.Conn.ID, pr.LocalID, pr.RemoteID).Count(&n).Error; err != nil {
		return fmt.Errorf("look up twins: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("local issue %s or remote issue %s is already linked in %s", pr.LocalID, pr.RemoteID, l.Conn.Name)
	}
	tw := models.Twin{ConnectionID: l.Conn.ID, SyncID: uuid.NewString(), State: models.TwinActive}
	p, err := e.pair(ctx, l, &tw)
	if err != nil {
		return err
	}
	var issues [2]*jira.Issue
	for i, s := range []*Side{p.Local, p.Remote} {
		id := pr.LocalID
		if s.Name == models.SideRemote {
			id = pr.RemoteID
		}
		is, err := e.getIssue(ctx, s, id, &l.Rules, false)
		if err != nil {
			return err
		}
		issues[i] = is
		s.Issue = is
	}
	li, ri := issues[0], issues[1]
	if err := writeLink(ctx, p.Local.Jira, li.ID, l.Key, &TwinLink{SyncID: tw.SyncID, PeerBaseURL: l.Remote.BaseURL, PeerID: ri.ID, PeerKey: ri.Key}); err != nil {
		return fmt.Errorf("link %s: %w", li.Key, err)
	}
	if err := writeLink(ctx, p.Remote.Jira, ri.ID, l.Key, &TwinLink{SyncID: tw.SyncID, PeerBaseURL: l.Local.BaseURL, PeerID: li.ID, PeerKey: li.Key}); err != nil {
		if uerr := writeLink(context.WithoutCancel(ctx), p.Local.Jira, li.ID, l.Key, nil); uerr != nil {
			e.log().Warn("bulk link: cannot remove a half-written link", "issue", li.Key, "err", uerr)
		}
		return fmt.Errorf("link %s: %w", ri.Key, err)
	}
	now := e.now()
	base := Baseline{Local: Project(li, &l.Rules, models.SideLocal), Remote: Project(ri, &l.Rules, models.SideRemote)}
	l.Rules.stamp(&base, nil)
	lid, rid := li.ID, ri.ID
	tw.LocalIssueID, tw.LocalKey, tw.RemoteIssueID, tw.RemoteKey = &lid, li.Key, &rid, ri.Key
	tw.Baseline = base.String()
	tw.LastSyncedAt = &now
	if t, ok := issueUpdated(li); ok {
		tw.LocalUpdated = &t
	}
	if t, ok := issueUpdated(ri); ok {
		tw.RemoteUpdated = &t
	}
	reason := pr.Reason
	if reason == "" {
		reason = "bulk link"
	}
	err = e.db(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&tw).Error; err != nil {
			return err
		}
		return tx.Create(&models.Event{TwinID: tw.ID, ConnectionID: l.Conn.ID, At: now, Direction: models.DirLocalToRemote,
			Kind: "link", NewValue: clip(li.Key + " <-> " + ri.Key + ": " + reason)}).Error
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("%s or %s was linked meanwhile", li.Key, ri.Key)
	}
	if err != nil {
		return fmt.Errorf("store twin %s <-> %s: %w", li.Key, ri.Key, err)
	}
	return nil
}

// SyncJQLRequest asks to sync every issue a JQL finds on one side of a connection.
type SyncJQLRequest struct {
	ConnectionID uint
	Side         string // models.SideLocal or SideRemote: where the JQL runs
	JQL          string // ANDed to the side's scope (project, issue types and the scope's JQL filter)
	// Scope syncs the whole scope of the side (JQL may then be empty): a connection's backfill.
	Scope bool
	// Reconcile runs each twin's reconcile in the job itself (no queue); else the reconciles are
	// enqueued and the progress counts twins handed to the queue.
	Reconcile bool
}

// Validate checks the request's shape before any Jira call.
func (r SyncJQLRequest) Validate() error {
	if r.ConnectionID == 0 {
		return &BulkInputError{Field: "connection", Message: "choose a connection"}
	}
	if r.Side != models.SideLocal && r.Side != models.SideRemote {
		return &BulkInputError{Field: "side", Message: "choose the side the JQL runs on"}
	}
	if strings.TrimSpace(r.JQL) == "" && !r.Scope {
		return &BulkInputError{Field: "jql", Message: "enter a JQL query, for example: created >= -30d"}
	}
	if strings.Contains(strings.ToLower(r.JQL), "order by") {
		return &BulkInputError{Field: "jql", Message: "leave out ORDER BY: Airlock orders by key"}
	}
	return nil
}

// pager is the single-page search of *jira.Client, used to count hits cheaply.
type pager interface {
	Search(ctx context.Context, q jira.SearchQuery) (*jira.SearchPage, error)
}

// CheckSyncJQL runs the request's query once on Jira (one issue) and returns how many issues it
// finds; a query Jira rejects comes back as a *BulkInputError on "jql" with Jira's words. A
// client without single-page search answers -1.
func (e *Engine) CheckSyncJQL(ctx context.Context, r SyncJQLRequest) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	l, err := e.loadLink(ctx, r.ConnectionID)
	if err != nil {
		return 0, err
	}
	if l.Conn.Draft {
		return 0, errDraft
	}
	j, err := e.client(ctx, l, r.Side)
	if err != nil {
		return 0, err
	}
	pg, ok := j.(pager)
	if !ok {
		return -1, nil
	}
	page, err := pg.Search(ctx, jira.SearchQuery{JQL: syncScopeJQL(l, r), MaxResults: 1, Fields: []string{"updated"}})
	if err != nil {
		var je *jira.Error
		if errors.As(err, &je) && je.Status == 400 {
			msg := strings.Join(je.ErrorMessages, " ")
			for _, m := range je.Errors {
				msg = strings.TrimSpace(msg + " " + m)
			}
			if msg == "" {
				msg = "Jira rejected the query"
			}
			return 0, &BulkInputError{Field: "jql", Message: msg}
		}
		return 0, fmt.Errorf("check the query on %s: %w", l.inst(r.Side).Name, err)
	}
	return page.Total, nil
}

// SyncJQL syncs every issue the request's query finds: an issue with a twin is marked dirty, an
// issue without one gets a pending-create twin (or is adopted from its airlock.twin property),
// as a poll would; then each twin is reconciled in the job (Reconcile) or enqueued. Unlinked and
// quarantined twins are skipped (retry those from the Errors page).
func (e *Engine) SyncJQL(ctx context.Context, r SyncJQLRequest, progress ProgressFunc) (BulkProgress, error) {
	var res BulkProgress
	if err := r.Validate(); err != nil {
		return res, err
	}
	l, err := e.loadLink(ctx, r.ConnectionID)
	if err != nil {
		return res, err
	}
	if l.Conn.Draft {
		return res, errDraft
	}
	j, err := e.client(ctx, l, r.Side)
	if err != nil {
		return res, err
	}
	hits, err := j.SearchAll(ctx, jira.SearchQuery{JQL: syncScopeJQL(l, r), MaxResults: 500, Fields: []string{"updated"},
		Properties: []string{TwinProperty}}, jira.SearchAllOptions{})
	if err != nil {
		return res, fmt.Errorf("search %s: %w", l.inst(r.Side).Name, err)
	}
	res.Total = len(hits)
	res.report(progress)
	for i := range hits {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		h := &hits[i]
		id, skip, err := e.bulkMark(ctx, l, r.Side, h)
		switch {
		case err != nil:
			res.fail(fmt.Sprintf("%s: %v", h.Key, err))
		case skip != "":
			res.Skipped++
			if len(res.Errors) < maxBulkErrors {
				res.Errors = append(res.Errors, h.Key+": "+skip)
			}
		case r.Reconcile:
			if err := e.Reconcile(ctx, id); err != nil {
				res.fail(fmt.Sprintf("%s: %v", h.Key, err))
			} else {
				res.Done++
			}
		default:
			if e.Enqueuer != nil {
				if err := e.Enqueuer.EnqueueReconcile(ctx, id, l.Conn.ID); err != nil {
					e.log().Warn("bulk sync: cannot enqueue; the sweeper will", "twin", id, "err", err)
				}
			}
			res.Done++
		}
		res.report(progress)
	}
	return res, nil
}

// bulkMark marks the twin of a hit dirty, or makes (or adopts) one; skip says why a hit is left.
func (e *Engine) bulkMark(ctx context.Context, l *link, side string, h *jira.Issue) (id uint, skip string, err error) {
	col := "local_issue_id"
	if side == models.SideRemote {
		col = "remote_issue_id"
	}
	var tw models.Twin
	q := e.db(ctx).Where("connection_id = ? AND "+col+" = ?", l.Conn.ID, h.ID).Limit(1).Find(&tw)
	if q.Error != nil {
		return 0, "", fmt.Errorf("look up twin: %w", q.Error)
	}
	now := e.now()
	if q.RowsAffected > 0 {
		switch tw.State {
		case models.TwinUnlinked:
			return 0, "unlinked from its twin; left alone", nil
		case models.TwinQuarantined:
			return 0, "quarantined after an error; retry it from the Errors page", nil
		}
		upd := map[string]any{"dirty": true}
		if tw.DirtySince == nil {
			upd["dirty_since"] = now
		}
		if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(upd).Error; err != nil {
			return 0, "", fmt.Errorf("mark twin dirty: %w", err)
		}
		return tw.ID, "", nil
	}
	j, err := e.client(ctx, l, side)
	if err != nil {
		return 0, "", err
	}
	links := map[string]TwinLink{}
	lk, found, err := readLink(ctx, j, h, l.Key)
	if err != nil {
		return 0, "", err
	}
	if found {
		links[h.ID] = lk
	}
	err = e.db(ctx).Transaction(func(tx *gorm.DB) error {
		var terr error
		id, _, _, terr = e.newHit(ctx, tx, l, side, h, links, now)
		return terr
	})
	if err != nil {
		return 0, "", err
	}
	if id == 0 {
		return 0, "carries a link to a twin that is linked elsewhere; left alone", nil
	}
	return id, "", nil
}
