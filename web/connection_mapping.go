package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// maxMappingRows bounds the rows one form may carry.
const maxMappingRows = 200

// mappingInput is the mapping editor's state: from the stored rules, or as typed.
type mappingInput struct {
	Rows      []ruleInput
	Users     map[string]string // local login -> remote login
	UsersSeen []string          // local logins listed in the submitted form
	// UsersReviewed: the user map was saved before, so a user without an entry was left
	// unmapped on purpose and is not pre-filled.
	UsersReviewed bool
	ByName        bool
	ByEmail       bool
	DefaultLocal  string
	DefaultRemote string
	CommentsOn    bool
	Visibilities  string
	Attribution   string
	Mentions      bool
	AttachmentsOn bool
	MaxMiB        string
	Resolution    string
	Conflict      string
	Deletion      string
	Notify        bool
	Worklogs      worklogInput
	Structure     engine.StructureRules // sub-tasks and epics (web/mapping_structure.go)
	Links         linkInput
}

// ruleInput is one row of the field table.
type ruleInput struct {
	Name, Kind, Local, Remote, Dir, Default string
	Values                                  map[string]string // local value -> remote value
	// Seen lists the local values the submitted form showed: a value seen without a mapping was
	// left unmapped on purpose and is not pre-filled again.
	Seen []string
	// Reviewed: the value map was saved before, so a value without an entry was left unmapped
	// on purpose and is not pre-filled (a saved map loads back exactly as it was saved).
	Reviewed      bool
	ReverseValues map[string]string
	// FirstSync is the first-sync choice of the rule (engine.FirstSync*; "" = fill).
	FirstSync string
}

// mappingOf is the editor state of stored rules.
func mappingOf(cn *models.Connection, r engine.Rules) mappingInput {
	in := mappingInput{Users: map[string]string{}, ByName: r.Users.ByName, ByEmail: r.Users.ByEmail,
		DefaultLocal: r.Users.DefaultLocal, DefaultRemote: r.Users.DefaultRemote,
		CommentsOn: r.Comments.Enabled, Visibilities: strings.Join(r.Comments.AllowVisibilities, "\n"),
		Attribution: r.Comments.Attribution, Mentions: r.Comments.RewriteMentions,
		AttachmentsOn: r.Attachments.Enabled, Resolution: r.Resolution,
		Conflict: cn.ConflictPolicy, Deletion: cn.DeletionPolicy, Notify: r.NotifyUsers == nil || *r.NotifyUsers, Worklogs: worklogInputOf(r.Worklogs)}
	if r.Attachments.MaxBytes > 0 {
		in.MaxMiB = strconv.FormatFloat(float64(r.Attachments.MaxBytes)/(1<<20), 'f', -1, 64)
	}
	for k, v := range r.Users.Map {
		in.Users[k] = v
	}
	in.UsersReviewed = r.Users.Map != nil
	in.Structure = r.Structure
	in.Links = linkInputOf(r.Links)
	for _, f := range r.Fields {
		in.Rows = append(in.Rows, ruleInput{Name: f.Name, Kind: f.Kind, Local: f.Local, Remote: f.Remote, Dir: f.Direction,
			Default: f.Default, Values: f.Values, ReverseValues: f.ReverseValues, Reviewed: f.Values != nil, FirstSync: f.FirstSync})
	}
	return in
}

var removeOp = regexp.MustCompile(`^remove-(\d+)$`)

// readMapping reads the editor form; op is save, add, refresh or remove-N.
func readMapping(c echo.Context, stored engine.Rules) (mappingInput, string, error) {
	form, err := c.FormParams()
	if err != nil {
		return mappingInput{}, "", echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	on := func(k string) bool { return form.Get(k) != "" }
	in := mappingInput{Users: map[string]string{}, ByName: on("users_by_name"), ByEmail: on("users_by_email"),
		DefaultLocal: get("users_default_local"), DefaultRemote: get("users_default_remote"),
		CommentsOn: on("comments_on"), Visibilities: form.Get("comments_visibilities"), Attribution: form.Get("comments_attribution"),
		Mentions: on("comments_mentions"), AttachmentsOn: on("attachments_on"), MaxMiB: get("attachments_max"),
		Resolution: get("resolution"), Conflict: get("conflict"), Deletion: get("deletion"), Notify: on("notify_users"), Worklogs: readWorklogInput(form),
		Structure: readStructure(form)}
	in.Links = readLinkInput(form)
	ls, rs := form["user_l"], form["user_r"]
	for i, l := range ls {
		in.UsersSeen = append(in.UsersSeen, l)
		if i < len(rs) && strings.TrimSpace(rs[i]) != "" {
			in.Users[l] = strings.TrimSpace(rs[i])
		}
	}
	n, _ := strconv.Atoi(form.Get("rows"))
	n = min(max(n, 0), maxMappingRows)
	reverse := map[string]map[string]string{}
	for _, f := range stored.Fields {
		reverse[f.Name] = f.ReverseValues
	}
	op := form.Get("op")
	drop := -1
	if m := removeOp.FindStringSubmatch(op); m != nil {
		drop, _ = strconv.Atoi(m[1])
	}
	for i := range n {
		if i == drop {
			continue
		}
		r := rowInput(form, i)
		r.ReverseValues = reverse[r.Name]
		in.Rows = append(in.Rows, r)
	}
	if op == "add" && len(in.Rows) < maxMappingRows {
		in.Rows = append(in.Rows, ruleInput{Dir: engine.DirBoth})
	}
	switch {
	case op == "add", op == "refresh", drop >= 0:
	default:
		op = "save"
	}
	return in, op, nil
}

func rowInput(form url.Values, i int) ruleInput {
	k := func(name string) string { return "f" + strconv.Itoa(i) + "." + name }
	get := func(name string) string { return strings.TrimSpace(form.Get(k(name))) }
	r := ruleInput{Name: get("name"), Kind: get("kind"), Local: get("local"), Remote: get("remote"), Dir: get("dir"), Default: get("default"),
		FirstSync: get("first")}
	if form.Get(k("vfor")) != valueMapFor(r) {
		// The kind or a field changed since the value map was shown: it no longer applies,
		// and the new one is pre-filled afresh.
		return r
	}
	vl, vr := form[k("vl")], form[k("vr")]
	for j, l := range vl {
		r.Seen = append(r.Seen, l)
		if j < len(vr) && strings.TrimSpace(vr[j]) != "" {
			if r.Values == nil {
				r.Values = map[string]string{}
			}
			r.Values[l] = strings.TrimSpace(vr[j])
		}
	}
	return r
}

// valueMapFor identifies what a shown value map was built for (kind and both fields).
func valueMapFor(r ruleInput) string { return r.Kind + "|" + r.Local + "|" + r.Remote }

// mappingMeta is what both Jiras report for the editor, read at once.
func (s *Server) mappingMeta(ctx context.Context, cn *models.Connection, local, remote *models.Instance) [2]sideMeta {
	var out [2]sideMeta
	var wg sync.WaitGroup
	for i, inst := range []*models.Instance{local, remote} {
		project, types := cn.LocalProject, cn.LocalIssueTypes
		if i == 1 {
			project, types = cn.RemoteProject, cn.RemoteIssueTypes
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.loadMappingMeta(ctx, inst, project, types)
		}()
	}
	wg.Wait()
	return out
}

// connectionMapping shows the mapping editor with the stored rules and what both Jiras report.
func (s *Server) connectionMapping(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	local, remote, err := s.connectionInstances(ctx, cn)
	if err != nil {
		return err
	}
	rules, perr := engine.ParseRules(cn.Rules)
	errs := map[string]string{}
	if perr != nil {
		// Show what can be read; the problem is named at the top and fixed by saving.
		_ = json.Unmarshal([]byte(cn.Rules), &rules)
		errs["rules"] = "The saved rules are not valid: " + perr.Error()
	}
	meta := s.mappingMeta(ctx, cn, local, remote)
	return s.renderMapping(c, http.StatusOK, cn, local, remote, mappingOf(cn, rules), meta, errs)
}

// connectionMappingSave adds or removes a row (re-rendering the table), or validates and saves
// the rules: every problem is shown beside its field with status 422 and nothing is lost.
func (s *Server) connectionMappingSave(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	local, remote, err := s.connectionInstances(ctx, cn)
	if err != nil {
		return err
	}
	stored, _ := engine.ParseRules(cn.Rules)
	in, op, err := readMapping(c, stored)
	if err != nil {
		return err
	}
	meta := s.mappingMeta(ctx, cn, local, remote)
	if op != "save" {
		return s.renderMapping(c, http.StatusOK, cn, local, remote, in, meta, nil)
	}
	rules, errs := buildRules(in, meta, &stored)
	errs = formLimitErrors(c, errs)
	if cn.Sealed {
		if p := engine.SealedConnectionProblem(cn, &rules); p != "" {
			if errs == nil {
				errs = map[string]string{}
			}
			errs["rules"] = "This connection is sealed: " + p + "."
		}
	}
	if len(errs) > 0 {
		return s.renderMapping(c, http.StatusUnprocessableEntity, cn, local, remote, in, meta, errs)
	}
	doc, err := json.Marshal(rules)
	if err != nil {
		return fmt.Errorf("encode rules: %w", err)
	}
	if _, perr := engine.ParseRules(cn.Rules); perr == nil && s.engine != nil {
		// Baselines older than rule revisions learn the rules they were agreed under, so the
		// fields this save changes start their first sync on those twins too.
		if _, err := s.engine.StampLegacyBaselines(ctx, cn.ID, stored); err != nil {
			return err
		}
	}
	if err := s.db.WithContext(ctx).Model(&models.Connection{}).Where("id = ?", cn.ID).Updates(map[string]any{
		"rules": string(doc), "conflict_policy": in.Conflict, "deletion_policy": in.Deletion}).Error; err != nil {
		return fmt.Errorf("save rules of connection %d: %w", cn.ID, err)
	}
	s.log.Info("connection rules saved", "connection", cn.Name, "id", cn.ID, "fields", len(rules.Fields), "user", userName(c))
	msg := fmt.Sprintf("Mapping and rules of %s saved: %d shared field(s). The next sync of each twin uses them.", cn.Name, len(rules.Fields))
	var unchecked []string
	for i, m := range meta {
		if m.Err != "" {
			unchecked = append(unchecked, []string{local.Name, remote.Name}[i])
		}
	}
	if len(unchecked) > 0 {
		s.flash(c, views.FlashWarning, msg+" The fields could not be checked against "+strings.Join(unchecked, " and ")+", which did not answer.")
	} else {
		s.flash(c, views.FlashSuccess, msg)
	}
	return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionShow, cn.ID))
}

// buildRules turns the editor state into engine.Rules and checks them: the engine's own
// validation, fields that must exist on both sides, numbers and policies. Problems are keyed
// by form field. What the editor does not show is kept from stored (the service desk comment
// choices, which the connection form edits: web/connection_comments.go).
func buildRules(in mappingInput, meta [2]sideMeta, stored *engine.Rules) (engine.Rules, map[string]string) {
	errs := map[string]string{}
	c := stored.Comments
	c.Enabled, c.Attribution, c.RewriteMentions, c.AllowVisibilities = in.CommentsOn, strings.TrimSpace(in.Attribution), in.Mentions, nil
	r := engine.Rules{Users: engine.UserMap{ByName: in.ByName, ByEmail: in.ByEmail, DefaultLocal: in.DefaultLocal, DefaultRemote: in.DefaultRemote},
		Comments: c, Resolution: in.Resolution, Worklogs: in.Worklogs.rules(), Structure: in.Structure,
		Security: stored.Security} // the level map has its own page (connection_security.go)
	if len(in.Users) > 0 {
		r.Users.Map = map[string]string{}
		for k, v := range in.Users {
			r.Users.Map[k] = v
		}
	}
	for _, line := range strings.Split(in.Visibilities, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			r.Comments.AllowVisibilities = append(r.Comments.AllowVisibilities, line)
		}
	}
	r.Attachments.Enabled = in.AttachmentsOn
	r.Links = in.Links.rules()
	if in.MaxMiB != "" {
		v, err := strconv.ParseFloat(in.MaxMiB, 64)
		switch {
		case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
			errs["attachments.max"] = "Enter a size in MiB, for example 10."
		case v < 0:
			errs["attachments.max"] = "The size cap cannot be negative."
		case v > 2048:
			errs["attachments.max"] = "At most 2048 MiB."
		default:
			r.Attachments.MaxBytes = int64(v * (1 << 20))
		}
	}
	if !in.Notify {
		f := false
		r.NotifyUsers = &f
	}
	if !slices.ContainsFunc(conflictChoices, func(c views.MappingChoice) bool { return c.Value == in.Conflict }) {
		errs["conflict"] = "Choose what happens when both sides change the same field."
	}
	if !slices.ContainsFunc(deletionChoices, func(c views.MappingChoice) bool { return c.Value == in.Deletion }) {
		errs["deletion"] = "Choose what happens when an issue is deleted."
	}
	fields := [2]map[string]jira.Field{{}, {}}
	for i := range meta {
		for _, f := range meta[i].Fields {
			fields[i][f.ID] = f
		}
	}
	for i, row := range in.Rows {
		key := func(name string) string { return "f" + strconv.Itoa(i) + "." + name }
		kind := row.Kind
		if kind == "" {
			kind = suggestRowKind(row, fields)
			if kind == "" && (row.Local != "" || row.Remote != "") {
				errs[key("kind")] = "Choose a kind: Airlock cannot tell from this field's type how to carry its values."
			}
		}
		name := row.Name
		if name == "" {
			name = row.Local
		}
		fr := engine.FieldRule{Name: name, Kind: kind, Local: row.Local, Remote: row.Remote, Direction: row.Dir, Default: row.Default,
			FirstSync: row.FirstSync}
		if fr.Direction == engine.DirBoth {
			fr.Direction = ""
		}
		if fr.FirstSync == engine.FirstSyncFill {
			fr.FirstSync = ""
		}
		if mappableKind(kind) {
			fr.Values, fr.ReverseValues = row.Values, row.ReverseValues
		}
		for side, id := range []string{row.Local, row.Remote} {
			k := key([]string{"local", "remote"}[side])
			if id == "" {
				errs[k] = "Choose the field on this side."
				continue
			}
			if meta[side].Err == "" && len(fields[side]) > 0 {
				if _, ok := fields[side][id]; !ok {
					errs[k] = fmt.Sprintf("This Jira has no field %q.", id)
				} else if msg := fieldAccessProblem(&meta[side], fields[side][id], rowWrites(row.Dir, side)); msg != "" {
					errs[k] = msg
				}
			}
		}
		if kind == engine.KindStatus && (row.Local != "status" || row.Remote != "status") && row.Local != "" && row.Remote != "" {
			errs[key("kind")] = "The status kind only works with the Status field on both sides (it moves issues by transitions)."
		}
		if kind == engine.KindIssueType && (row.Local != "issuetype" || row.Remote != "issuetype") && row.Local != "" && row.Remote != "" {
			errs[key("kind")] = "The issue type kind only works with the Issue Type field on both sides."
		}
		if kind != engine.KindSLA && (isSLA(fields[0][row.Local]) || isSLA(fields[1][row.Remote])) {
			errs[key("kind")] = "An SLA field is read with the SLA kind (as a sentence such as \"Time to resolution: met\"); choose it or automatic."
		}
		r.Fields = append(r.Fields, fr)
	}
	for _, re := range r.Validate() {
		k := ruleErrorKey(re.Path)
		if _, taken := errs[k]; !taken {
			errs[k] = sentence(re.Message)
		}
	}
	return r, errs
}

// ruleErrorKey maps an engine.RuleError path to the form field that shows it.
func ruleErrorKey(path string) string {
	var i int
	var rest string
	if n, _ := fmt.Sscanf(path, "fields[%d]%s", &i, &rest); n >= 1 {
		switch rest {
		case ".name":
			return "f" + strconv.Itoa(i) + ".name"
		case ".kind":
			return "f" + strconv.Itoa(i) + ".kind"
		case ".direction":
			return "f" + strconv.Itoa(i) + ".dir"
		}
		return "f" + strconv.Itoa(i) + ".local"
	}
	switch {
	case strings.HasPrefix(path, "comments.allow_visibilities"):
		return "comments.visibilities"
	case strings.HasPrefix(path, "worklogs"):
		return "worklogs.visibilities"
	case strings.HasPrefix(path, "attachments"):
		return "attachments.max"
	}
	return "rules"
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// suggestRowKind is the kind the row's fields suggest: the local field's, else the remote's.
func suggestRowKind(row ruleInput, fields [2]map[string]jira.Field) string {
	// An SLA on either side decides: it is read as a sentence into whatever field the other
	// side has.
	for side, id := range []string{row.Local, row.Remote} {
		if f, ok := fields[side][id]; ok && isSLA(f) {
			return engine.KindSLA
		}
	}
	for side, id := range []string{row.Local, row.Remote} {
		if f, ok := fields[side][id]; ok {
			if k := suggestKind(f); k != "" {
				return k
			}
		}
		if k, ok := systemKinds[id]; ok {
			return k
		}
	}
	return ""
}

// renderMapping builds the editor view: field pickers from both Jiras, rows with their value
// maps pre-filled by matching names, the user map and the settings.
func (s *Server) renderMapping(c echo.Context, status int, cn *models.Connection, local, remote *models.Instance,
	in mappingInput, meta [2]sideMeta, errs map[string]string) error {
	f := views.MappingForm{Nav: s.connNav(cn, "mapping"), SecurityURL: s.connURL(RouteConnectionSecurity, cn.ID), Action: s.connURL(RouteConnectionMappingSave, cn.ID),
		LocalName: local.Name, RemoteName: remote.Name, Errors: errs,
		ByName: in.ByName, ByEmail: in.ByEmail, DefaultLocal: in.DefaultLocal, DefaultRemote: in.DefaultRemote,
		CommentsOn: in.CommentsOn, Visibilities: in.Visibilities, Attribution: in.Attribution, RewriteMentions: in.Mentions,
		AttachmentsOn: in.AttachmentsOn, MaxMiB: in.MaxMiB, Resolution: in.Resolution,
		Conflict: in.Conflict, Deletion: in.Deletion, Conflicts: conflictChoices, Deletions: deletionChoices, NotifyUsers: in.Notify, Worklogs: in.Worklogs.view(errs),
		Structure: structureView(in.Structure, meta)}
	if msg := errs["rules"]; msg != "" {
		f.MetaProblems = append(f.MetaProblems, msg)
	}
	for i, m := range meta {
		if m.Err != "" {
			f.MetaProblems = append(f.MetaProblems, fmt.Sprintf("Could not read %s, so its fields and values are not listed: %s",
				[]string{local.Name, remote.Name}[i], m.Err))
		}
	}
	for _, k := range kindLabels {
		f.Kinds = append(f.Kinds, views.ConnOption{Value: k.Kind, Label: k.Label})
	}
	fields := [2]map[string]jira.Field{{}, {}}
	for i := range meta {
		for _, fd := range meta[i].Fields {
			fields[i][fd.ID] = fd
		}
	}
	f.LocalFields, f.RemoteFields = fieldOptions(&meta[0], false), fieldOptions(&meta[1], false)
	for i := range meta {
		for _, fd := range meta[i].Fields {
			if fd.Schema != nil && jsmKinds[fd.Schema.Custom] != "" {
				f.ServiceDesk = true
			}
		}
	}
	firstSync := s.firstSyncRows(c.Request().Context(), cn, in, meta)
	for i, row := range in.Rows {
		v := views.MappingRow{Index: i, Name: row.Name, Kind: row.Kind, Local: row.Local, Remote: row.Remote, Direction: row.Dir,
			Default: row.Default, SuggestedKind: suggestRowKind(row, fields), ValuesFor: valueMapFor(row), FirstSync: row.FirstSync,
			LocalFields: fieldOptions(&meta[0], rowWrites(row.Dir, 0)), RemoteFields: fieldOptions(&meta[1], rowWrites(row.Dir, 1))}
		if fs, ok := firstSync[i]; ok {
			v.FirstSyncShown, v.Impact = true, fs
		}
		// A field the row may not write (an SLA chosen as a target) stays chosen, named for what
		// it is, so the form keeps what was typed beside its error.
		v.LocalFields = keepChosen(v.LocalFields, fields[0], row.Local)
		v.RemoteFields = keepChosen(v.RemoteFields, fields[1], row.Remote)
		kind := row.Kind
		if kind == "" {
			kind = v.SuggestedKind
		}
		v.Note, v.NoteKind = kindNote(kind), kind
		if v.Note == "" {
			v.NoteKind = ""
		}
		if mappableKind(kind) {
			v.Mappable = true
			v.Pairs, v.RemoteValues, v.RemoteOnly = valuePairs(row, valuesOf(&meta[0], kind, row.Local), valuesOf(&meta[1], kind, row.Remote))
		}
		f.Rows = append(f.Rows, v)
	}
	f.Users, f.LocalUsers, f.RemoteUsers = userPairs(in, meta[0].Users, meta[1].Users)
	f.Links = s.mappingLinks(c.Request().Context(), in.Links, local, remote)
	title := cn.Name + ": mapping"
	return Render(c, status, views.ConnectionMapping(s.page(c, title, RouteConnections), f))
}

// valuePairs builds a row's value map: every local value with its remote value, taken from the
// saved map, else pre-filled by the same name (ignoring case) unless the administrator left it
// unmapped; saved entries whose local value is gone are kept and marked; remote values that no
// local value reaches are listed.
func valuePairs(row ruleInput, localVals, remoteVals []string) ([]views.MappingValuePair, []string, []string) {
	var pairs []views.MappingValuePair
	reached := map[string]bool{}
	for _, lv := range localVals {
		p := views.MappingValuePair{Local: lv, Remote: row.Values[lv]}
		if _, saved := row.Values[lv]; !saved && !row.Reviewed && !slices.Contains(row.Seen, lv) {
			if m, ok := matchName(remoteVals, lv); ok {
				p.Remote = m
			}
		}
		target := p.Remote
		if target == "" {
			target = lv
		}
		reached[target] = true
		p.Unmapped = p.Remote == "" && len(remoteVals) > 0 && !slices.Contains(remoteVals, lv)
		pairs = append(pairs, p)
	}
	var stale []string
	for lv := range row.Values {
		if !slices.Contains(localVals, lv) {
			stale = append(stale, lv)
		}
	}
	slices.Sort(stale)
	for _, lv := range stale {
		pairs = append(pairs, views.MappingValuePair{Local: lv, Remote: row.Values[lv], Stale: len(localVals) > 0})
		reached[row.Values[lv]] = true
	}
	var remoteOnly []string
	for _, rv := range remoteVals {
		if !reached[rv] {
			remoteOnly = append(remoteOnly, rv)
		}
	}
	return pairs, remoteVals, remoteOnly
}

// userPairs builds the user map: each local user with the remote user it becomes (saved, else
// the same login, else the same e-mail address), and the pickers of both sides.
func userPairs(in mappingInput, local, remote []jira.User) ([]views.MappingUserPair, []views.ConnOption, []views.ConnOption) {
	label := func(u jira.User) string {
		if u.DisplayName != "" && u.DisplayName != u.Name {
			return u.DisplayName + " (" + u.Name + ")"
		}
		return u.Name
	}
	var lopts, ropts []views.ConnOption
	for _, u := range local {
		lopts = append(lopts, views.ConnOption{Value: u.Name, Label: label(u)})
	}
	for _, u := range remote {
		ropts = append(ropts, views.ConnOption{Value: u.Name, Label: label(u)})
	}
	var pairs []views.MappingUserPair
	listed := map[string]bool{}
	for _, u := range local {
		listed[u.Name] = true
		p := views.MappingUserPair{Local: u.Name, LocalLabel: label(u), Remote: in.Users[u.Name]}
		if _, saved := in.Users[u.Name]; !saved && !in.UsersReviewed && !slices.Contains(in.UsersSeen, u.Name) {
			for _, r := range remote {
				if strings.EqualFold(r.Name, u.Name) {
					p.Remote = r.Name
					break
				}
			}
			if p.Remote == "" && u.EmailAddress != "" {
				for _, r := range remote {
					if strings.EqualFold(r.EmailAddress, u.EmailAddress) {
						p.Remote = r.Name
						break
					}
				}
			}
		}
		p.Unmapped = p.Remote == ""
		pairs = append(pairs, p)
	}
	var extra []string
	for l := range in.Users {
		if !listed[l] {
			extra = append(extra, l)
		}
	}
	slices.Sort(extra)
	for _, l := range extra {
		pairs = append(pairs, views.MappingUserPair{Local: l, LocalLabel: l, Remote: in.Users[l]})
	}
	return pairs, lopts, ropts
}

// keepChosen adds the chosen field to a picker that does not offer it (read-only where the row
// writes), labelled so, so a refused choice is shown as it was made.
func keepChosen(opts []views.MappingFieldOption, fields map[string]jira.Field, id string) []views.MappingFieldOption {
	fd, ok := fields[id]
	if id == "" || !ok || slices.ContainsFunc(opts, func(o views.MappingFieldOption) bool { return o.ID == id }) {
		return opts
	}
	return append(opts, views.MappingFieldOption{ID: id, Label: fieldLabel(fd) + ", read-only here", Kind: suggestKind(fd)})
}
