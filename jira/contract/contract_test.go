package contract

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
)

// The tests in this file hold against a real Jira Server/DC as well as the
// emulator: they assert only what JIRA-API.md says Jira guarantees.

func TestServerInfoAndMyself(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		si, err := e.c.ServerInfo(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if si.Version == "" || len(si.VersionNumbers) != 3 || si.BuildNumber == 0 || si.ServerTime.IsZero() || si.BaseURL == "" {
			t.Errorf("serverInfo = %+v", si)
		}
		if d := time.Since(si.ServerTime.Time); tg.Sim != nil && (d < -time.Minute || d > time.Minute) {
			t.Errorf("serverTime %v is not now", si.ServerTime)
		}
		if tg.Sim != nil && si.BaseURL != tg.BaseURL {
			t.Errorf("baseUrl = %q, want %q (context path included)", si.BaseURL, tg.BaseURL)
		}
		if e.me.TimeZone == "" {
			t.Error("myself has no timeZone")
		}
		if e.me.Name == "" || e.me.Key == "" || !e.me.Active || !strings.Contains(e.me.Self, "/rest/api/2/user?") {
			t.Errorf("myself = %+v", e.me)
		}
		if tg.Sim != nil && (e.me.Name != "airlock" || e.me.TimeZone != "Europe/Berlin" || !strings.HasPrefix(e.me.Self, tg.BaseURL+"/")) {
			t.Errorf("myself = %+v", e.me)
		}
	})
}

func TestMetaLists(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		fields, err := e.c.Fields(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]jira.Field{}
		for _, f := range fields {
			ids[f.ID] = f
			if f.Custom && (!strings.HasPrefix(f.ID, "customfield_") || f.Schema == nil || f.Schema.CustomID == 0) {
				t.Errorf("custom field %+v", f)
			}
		}
		for _, want := range []string{"summary", "status", "updated", "labels", "description"} {
			if _, ok := ids[want]; !ok {
				t.Errorf("field %s missing", want)
			}
		}
		projects, err := e.c.Projects(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range projects {
			if !numeric(p.ID) || p.Key == "" || p.Self == "" {
				t.Errorf("project %+v", p)
			}
			found = found || p.Key == tg.Project
		}
		if !found {
			t.Errorf("project %s not listed in %+v", tg.Project, projects)
		}
		p, err := e.c.Project(e.ctx, tg.Project)
		if err != nil || p.Key != tg.Project || len(p.IssueTypes) == 0 {
			t.Errorf("project = %+v, %v", p, err)
		}
		check := func(kind string, n int, idOf func(int) string) {
			t.Helper()
			if n == 0 {
				t.Errorf("no %s", kind)
			}
			for i := range n {
				if id := idOf(i); !numeric(id) {
					t.Errorf("%s %d id %q is not a numeric string", kind, i, id)
				}
			}
		}
		pr, err := e.c.Priorities(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		check("priorities", len(pr), func(i int) string { return pr[i].ID })
		st, err := e.c.Statuses(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		check("statuses", len(st), func(i int) string { return st[i].ID })
		for _, s := range st {
			if s.StatusCategory == nil || s.StatusCategory.ID == 0 || !slices.Contains([]string{"new", "indeterminate", "done", "undefined"}, s.StatusCategory.Key) {
				t.Errorf("status %s category %+v", s.Name, s.StatusCategory)
			}
		}
		it, err := e.c.IssueTypes(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		check("issue types", len(it), func(i int) string { return it[i].ID })
		rs, err := e.c.Resolutions(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		check("resolutions", len(rs), func(i int) string { return rs[i].ID })
	})
}

func TestSearchPagingAndCap(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		const n = 5
		var want []string
		for i := range n {
			want = append(want, e.create(t, "paging "+strconv.Itoa(i), nil).Key)
		}
		jql := "project = " + tg.Project + " AND labels = " + e.runs + " ORDER BY key ASC"
		e.eventually(t, "search sees the new issues", func() (bool, error) {
			p, err := e.c.Search(e.ctx, jira.SearchQuery{JQL: jql, Fields: []string{"key"}})
			return err == nil && p.Total == n, err
		})

		// GET, paged by what came back.
		e.rec.Reset()
		got, err := e.c.SearchAll(e.ctx, jira.SearchQuery{JQL: jql, MaxResults: 2, Fields: []string{"summary", "updated"}}, jira.SearchAllOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, is := range got {
			keys = append(keys, is.Key)
			if _, ok := is.Fields["description"]; ok {
				t.Errorf("%s: description returned though not asked for", is.Key)
			}
			if s, ok := is.Summary(); !ok || !strings.HasPrefix(s, "paging ") {
				t.Errorf("%s: summary %q", is.Key, s)
			}
			if !numeric(is.ID) {
				t.Errorf("%s: id %q", is.Key, is.ID)
			}
		}
		if !slices.Equal(keys, want) {
			t.Errorf("SearchAll keys = %v, want %v", keys, want)
		}
		var starts []string
		for _, ex := range e.rec.Find("GET", "/rest/api/2/search") {
			starts = append(starts, strings.Join(ex.Query["startAt"], ""))
		}
		if !slices.Equal(starts, []string{"", "2", "4"}) {
			t.Errorf("startAt sequence = %q, want [\"\" 2 4]", starts)
		}

		// POST gives the same answer.
		e.rec.Reset()
		page, err := e.c.SearchPost(e.ctx, jira.SearchQuery{JQL: jql, MaxResults: 3, Fields: []string{"summary"}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != n || page.MaxResults != 3 || len(page.Issues) != 3 || page.Issues[0].Key != want[0] || len(e.rec.Find("POST", "/rest/api/2/search")) != 1 {
			t.Errorf("POST page = total %d max %d len %d", page.Total, page.MaxResults, len(page.Issues))
		}
		all, err := e.c.SearchAll(e.ctx, jira.SearchQuery{JQL: jql, MaxResults: 2}, jira.SearchAllOptions{Post: true})
		if err != nil || len(all) != n {
			t.Errorf("SearchAll POST = %d issues, %v", len(all), err)
		}

		// The cap: ask 5000, Jira applies at most 1000 and says so.
		page, err = e.c.Search(e.ctx, jira.SearchQuery{JQL: jql, MaxResults: 5000, Fields: []string{"key"}})
		if err != nil {
			t.Fatal(err)
		}
		if page.MaxResults > 1000 || page.MaxResults < n || len(page.Issues) != n {
			t.Errorf("maxResults echoed %d for 5000 asked (%d issues)", page.MaxResults, len(page.Issues))
		}
		if tg.Sim != nil && page.MaxResults != 1000 {
			t.Errorf("emulator maxResults = %d, want 1000", page.MaxResults)
		}
		// Default page size is 50.
		page, err = e.c.Search(e.ctx, jira.SearchQuery{JQL: jql, Fields: []string{"key"}})
		if err != nil || page.MaxResults != 50 {
			t.Errorf("default maxResults = %+v, %v", page, err)
		}

		// Invalid JQL is a 400 of class Config.
		_, err = e.c.Search(e.ctx, jira.SearchQuery{JQL: "project = = " + tg.Project})
		if je := asError(t, err); je.Status != 400 || je.Class != jira.ClassConfig || len(je.ErrorMessages) == 0 {
			t.Errorf("bad JQL error = %v (class %v)", je, je.Class)
		}
	})
}

// TestJQLTimeZone proves that JQL date literals are read in the sync user's
// profile zone: a one-minute window built by jira.JQLTime in Myself().TimeZone
// selects the new issue, the same instant formatted in UTC does not (unless the
// user's zone is at UTC's offset then).
func TestJQLTimeZone(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		ci := e.create(t, "time zone", nil)
		created, ok := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"created"}}).Created()
		if !ok {
			t.Fatal("no created")
		}
		window := func(loc *time.Location) string {
			from := jira.JQLTime(created, loc)
			to := jira.JQLTime(created.Add(time.Minute), loc)
			return "key = " + ci.Key + " AND created >= " + from + " AND created < " + to
		}
		count := func(jql string) (int, error) {
			p, err := e.c.Search(e.ctx, jira.SearchQuery{JQL: jql, Fields: []string{"created"}})
			if err != nil {
				return 0, err
			}
			return p.Total, nil
		}
		e.eventually(t, "user-zone window selects the issue", func() (bool, error) {
			n, err := count(window(e.loc))
			return n == 1, err
		})
		if _, off := created.In(e.loc).Zone(); off == 0 {
			t.Logf("user zone %s is at UTC's offset at %v: the UTC contrast is not observable", e.me.TimeZone, created)
			return
		}
		n, err := count(window(time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("the UTC-built window (%s) selected the issue too: literals are not read in %s", window(time.UTC), e.me.TimeZone)
		}
		// Without the explicit zone, a literal at minute precision still selects it.
		n, err = count("key = " + ci.Key + " AND updated >= " + jira.JQLTime(created, e.loc))
		if err != nil || n != 1 {
			t.Errorf("updated >= literal: %d, %v", n, err)
		}
	})
}

// TestIssueLifecycle: create, get, update with notifyUsers, `updated` bumped by an
// edit, a comment, an attachment and a transition, the changelog, delete.
func TestIssueLifecycle(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		ci := e.create(t, "lifecycle", map[string]any{"description": "h1. Wiki *markup* stays {code}as is{code}"})
		is := e.get(t, ci.Key, jira.GetIssueOptions{})
		if is.ID != ci.ID || is.Key != ci.Key || is.Self == "" {
			t.Errorf("issue = %s %s %s", is.ID, is.Key, is.Self)
		}
		if tg.Sim != nil && !strings.HasPrefix(is.Self, tg.BaseURL+"/rest/api/2/issue/") {
			t.Errorf("self %q lacks the base URL %q", is.Self, tg.BaseURL)
		}
		if d, _ := is.Description(); d != "h1. Wiki *markup* stays {code}as is{code}" {
			t.Errorf("description = %q", d)
		}
		if st, ok := is.Status(); !ok || !numeric(st.ID) || st.StatusCategory == nil {
			t.Errorf("status = %+v", st)
		}
		if u, ok := is.Reporter(); !ok || u.Name != e.me.Name {
			t.Errorf("reporter = %+v", u)
		}
		if l, _ := is.Labels(); !slices.Equal(l, []string{e.runs}) {
			t.Errorf("labels = %v", l)
		}
		var rawUpdated string
		_ = json.Unmarshal(is.Fields["updated"], &rawUpdated)
		if _, err := time.Parse(jira.TimeLayout, rawUpdated); err != nil {
			t.Errorf("updated %q is not in Jira's format: %v", rawUpdated, err)
		}
		last, _ := is.Updated()

		bumped := func(what string) {
			t.Helper()
			up := e.updated(t, ci.Key)
			if !up.After(last) {
				t.Errorf("%s did not bump updated: %v then %v", what, last, up)
			}
			last = up
		}

		// Edit with notifyUsers=false.
		e.tick()
		e.rec.Reset()
		err := e.c.UpdateIssue(e.ctx, ci.Key, jira.IssueInput{
			Fields: map[string]any{"summary": "lifecycle edited"},
			Update: map[string][]map[string]any{"labels": {{"add": "second"}}},
		}, jira.UpdateOptions{NotifyUsers: ptr(false)})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		puts := e.rec.Find("PUT", "/rest/api/2/issue/"+ci.Key)
		if len(puts) != 1 || strings.Join(puts[0].Query["notifyUsers"], "") != "false" || puts[0].Status != 204 {
			t.Errorf("PUT exchange = %+v", puts)
		}
		bumped("edit")
		got := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"summary", "labels"}})
		if s, _ := got.Summary(); s != "lifecycle edited" {
			t.Errorf("summary = %q", s)
		}
		if l, _ := got.Labels(); !slices.Contains(l, "second") || !slices.Contains(l, e.runs) {
			t.Errorf("labels = %v", l)
		}

		e.tick()
		if _, err := e.c.AddComment(e.ctx, ci.Key, jira.CommentInput{Body: "a comment"}); err != nil {
			t.Fatal(err)
		}
		bumped("comment")

		e.tick()
		if _, err := e.c.UploadAttachment(e.ctx, ci.Key, "note.txt", strings.NewReader("hello")); err != nil {
			t.Fatal(err)
		}
		bumped("attachment")

		e.tick()
		tr := moveOn(t, e, ci.Key)
		bumped("transition")

		is = e.get(t, ci.Key, jira.GetIssueOptions{Expand: []string{"changelog"}})
		if is.Changelog == nil {
			t.Fatal("no changelog")
		}
		fields := map[string]jira.ChangeItem{}
		for _, h := range is.Changelog.Histories {
			if !numeric(h.ID) || h.Created.IsZero() || h.Author == nil || h.Author.Name != e.me.Name {
				t.Errorf("history %+v", h)
			}
			for _, it := range h.Items {
				fields[it.Field] = it
			}
		}
		if it := fields["summary"]; it.FromString != "lifecycle" || it.ToString != "lifecycle edited" || it.FieldType != "jira" {
			t.Errorf("summary change = %+v", it)
		}
		if it := fields["status"]; it.To != tr.To.ID || it.ToString != tr.To.Name {
			t.Errorf("status change = %+v, want to %s %s", it, tr.To.ID, tr.To.Name)
		}
		if it, ok := fields["Attachment"]; !ok || it.ToString != "note.txt" {
			t.Errorf("attachment change = %+v", it)
		}
		if _, ok := fields["labels"]; !ok {
			t.Errorf("no labels change in %v", fields)
		}

		if err := e.c.DeleteIssue(e.ctx, ci.Key, false); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.GetIssue(e.ctx, ci.Key, jira.GetIssueOptions{})
		if !jira.IsNotFound(err) {
			t.Errorf("get after delete: %v", err)
		}
	})
}

// moveOn makes the first transition of key that leads to another status and
// checks the issue got there.
func moveOn(t *testing.T, e *env, key string) jira.Transition {
	t.Helper()
	is := e.get(t, key, jira.GetIssueOptions{Fields: []string{"status"}})
	from, _ := is.Status()
	trs, err := e.c.Transitions(e.ctx, key, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trs {
		if tr.To.ID == from.ID {
			continue
		}
		if err := e.c.DoTransition(e.ctx, key, jira.TransitionInput{ID: tr.ID}); err != nil {
			t.Fatalf("transition %s %q: %v", tr.ID, tr.Name, err)
		}
		st, _ := e.get(t, key, jira.GetIssueOptions{Fields: []string{"status"}}).Status()
		if st.ID != tr.To.ID {
			t.Fatalf("after %q status is %s, want %s", tr.Name, st.Name, tr.To.Name)
		}
		return tr
	}
	t.Fatalf("no transition leaves %s: %+v", from.Name, trs)
	return jira.Transition{}
}

func TestTransitions(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		ci := e.create(t, "workflow", nil)
		trs, err := e.c.Transitions(e.ctx, ci.Key, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(trs) == 0 {
			t.Fatal("no transitions")
		}
		for _, tr := range trs {
			if !numeric(tr.ID) || tr.Name == "" || !numeric(tr.To.ID) || tr.To.StatusCategory == nil {
				t.Errorf("transition %+v", tr)
			}
		}
		_, err = e.c.Transitions(e.ctx, ci.Key+"0000", false)
		if !jira.IsNotFound(err) {
			t.Errorf("transitions of a missing issue: %v", err)
		}
		err = e.c.DoTransition(e.ctx, ci.Key, jira.TransitionInput{ID: "987654"})
		if je := asError(t, err); je.Status != 400 {
			t.Errorf("unknown transition: %v", je)
		}
		if tg.Sim == nil {
			moveOn(t, e, ci.Key)
			return
		}
		// The emulator's default workflow: To Do -> In Progress -> Done -> To Do.
		names := func() []string {
			trs, err := e.c.Transitions(e.ctx, ci.Key, false)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, tr := range trs {
				out = append(out, tr.ID+" "+tr.Name)
			}
			return out
		}
		steps := []struct {
			id, status string
			resolved   bool
			offered    []string
		}{
			{"11", "In Progress", false, []string{"11 Start Progress", "31 Done"}},
			{"31", "Done", true, []string{"21 To Do", "31 Done"}},
			{"21", "To Do", false, []string{"21 To Do"}},
		}
		for _, s := range steps {
			if got := names(); !slices.Equal(got, s.offered) {
				t.Errorf("before %s offered %v, want %v", s.id, got, s.offered)
			}
			if err := e.c.DoTransition(e.ctx, ci.Key, jira.TransitionInput{ID: s.id}); err != nil {
				t.Fatalf("transition %s: %v", s.id, err)
			}
			is := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"status", "resolution"}})
			st, _ := is.Status()
			_, resolved := is.Resolution()
			if st.Name != s.status || resolved != s.resolved {
				t.Errorf("after %s: status %s resolved %v", s.id, st.Name, resolved)
			}
		}
	})
}

func TestComments(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		ci := e.create(t, "comments", nil)
		var ids []string
		for i := range 3 {
			in := jira.CommentInput{Body: "comment *" + strconv.Itoa(i) + "*"}
			if i == 2 {
				in.Visibility = &jira.Visibility{Type: "role", Value: tg.Role}
			}
			cm, err := e.c.AddComment(e.ctx, ci.Key, in)
			if err != nil {
				t.Fatalf("add comment %d: %v", i, err)
			}
			if !numeric(cm.ID) || cm.Body != in.Body || cm.Author == nil || cm.Author.Name != e.me.Name || cm.Created.IsZero() || !strings.Contains(cm.Self, "/comment/"+cm.ID) {
				t.Errorf("comment = %+v", cm)
			}
			ids = append(ids, cm.ID)
		}
		e.rec.Reset()
		all, err := e.c.Comments(e.ctx, ci.Key, jira.CommentOptions{OrderBy: "created", MaxResults: 2})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, cm := range all {
			got = append(got, cm.ID)
		}
		if !slices.Equal(got, ids) {
			t.Errorf("comments = %v, want %v", got, ids)
		}
		if n := len(e.rec.Find("GET", "/comment")); n != 2 {
			t.Errorf("%d comment pages read, want 2 (page size 2, 3 comments)", n)
		}
		if v := all[2].Visibility; v == nil || v.Type != "role" || v.Value != tg.Role {
			t.Errorf("visibility = %+v", v)
		}
		if all[0].Visibility != nil {
			t.Errorf("unrestricted comment has visibility %+v", all[0].Visibility)
		}

		e.tick()
		upd, err := e.c.UpdateComment(e.ctx, ci.Key, ids[0], jira.CommentInput{Body: "edited"})
		if err != nil {
			t.Fatal(err)
		}
		if upd.ID != ids[0] || upd.Body != "edited" || !upd.Updated.After(upd.Created.Time) || upd.UpdateAuthor == nil {
			t.Errorf("updated comment = %+v", upd)
		}
		one, err := e.c.Comment(e.ctx, ci.Key, ids[0])
		if err != nil || one.Body != "edited" {
			t.Errorf("comment = %+v, %v", one, err)
		}
		if err := e.c.DeleteComment(e.ctx, ci.Key, ids[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.Comment(e.ctx, ci.Key, ids[1]); !jira.IsNotFound(err) {
			t.Errorf("deleted comment: %v", err)
		}
		all, err = e.c.Comments(e.ctx, ci.Key, jira.CommentOptions{})
		if err != nil || len(all) != 2 {
			t.Errorf("after delete: %d comments, %v", len(all), err)
		}
		// The first comments are embedded in the issue.
		is := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"comment"}})
		if cp, ok := is.Comments(); !ok || cp.Total != 2 || len(cp.Comments) != 2 {
			t.Errorf("fields.comment = %+v", cp)
		}
	})
}

func TestAttachments(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		meta, err := e.c.AttachmentMeta(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !meta.Enabled || meta.UploadLimit <= 0 {
			t.Fatalf("attachment meta = %+v", meta)
		}
		ci := e.create(t, "attachments", nil)
		data := make([]byte, 300<<10)
		_, _ = rand.Read(data)
		e.rec.Reset()
		list, err := e.c.UploadAttachment(e.ctx, ci.Key, "report 1.bin", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 {
			t.Fatalf("upload answered %d attachments", len(list))
		}
		a := list[0]
		if !numeric(a.ID) || a.Filename != "report 1.bin" || a.Size != int64(len(data)) || a.Content == "" || a.Author == nil || a.Created.IsZero() {
			t.Errorf("attachment = %+v", a)
		}
		if ex := e.rec.Find("POST", "/attachments"); len(ex) != 1 || ex[0].Status != 200 {
			t.Errorf("upload exchange = %+v", ex)
		}
		u, err := url.Parse(a.Content)
		if err != nil || !strings.Contains(u.EscapedPath(), "/secure/attachment/"+a.ID+"/") {
			t.Errorf("content URL %q", a.Content)
		}
		if tg.Sim != nil && !strings.HasPrefix(a.Content, tg.BaseURL+"/secure/attachment/") {
			t.Errorf("content URL %q lacks the base URL %q", a.Content, tg.BaseURL)
		}
		m, err := e.c.Attachment(e.ctx, a.ID)
		if err != nil || m.ID != a.ID || m.Size != a.Size || m.Content != a.Content {
			t.Errorf("attachment meta = %+v, %v", m, err)
		}
		read := func(rc io.ReadCloser, err error) []byte {
			t.Helper()
			if err != nil {
				t.Fatalf("download: %v", err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("read download: %v", err)
			}
			return b
		}
		if b := read(e.c.DownloadAttachment(e.ctx, a.Content)); !bytes.Equal(b, data) {
			t.Errorf("downloaded %d bytes, differ from the %d uploaded", len(b), len(data))
		}
		if b := read(e.c.DownloadAttachmentByID(e.ctx, a.ID, a.Filename)); !bytes.Equal(b, data) {
			t.Errorf("download by id: %d bytes differ", len(b))
		}
		is := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"attachment"}})
		if as, ok := is.Attachments(); !ok || len(as) != 1 || as[0].ID != a.ID {
			t.Errorf("fields.attachment = %+v", as)
		}
		if err := e.c.DeleteAttachment(e.ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.Attachment(e.ctx, a.ID); !jira.IsNotFound(err) {
			t.Errorf("deleted attachment: %v", err)
		}
	})
}

func TestProperties(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		ci := e.create(t, "properties", nil)
		before := e.updated(t, ci.Key)
		const prop = "airlock.twin"
		e.rec.Reset()
		if err := e.c.SetProperty(e.ctx, ci.Key, prop, map[string]any{"twin": "t-1", "n": 1}); err != nil {
			t.Fatal(err)
		}
		if err := e.c.SetProperty(e.ctx, ci.Key, prop, json.RawMessage(`{"twin":"t-1","n":2}`)); err != nil {
			t.Fatal(err)
		}
		var codes []int
		for _, ex := range e.rec.Find("PUT", "/properties/"+prop) {
			codes = append(codes, ex.Status)
		}
		if !slices.Equal(codes, []int{201, 200}) {
			t.Errorf("PUT property statuses = %v, want [201 200]", codes)
		}
		v, err := e.c.GetProperty(e.ctx, ci.Key, prop)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(v, &got); err != nil || got["twin"] != "t-1" || got["n"] != float64(2) {
			t.Errorf("property = %s, %v", v, err)
		}
		keys, err := e.c.PropertyKeys(e.ctx, ci.Key)
		if err != nil || !slices.Contains(keys, prop) {
			t.Errorf("property keys = %v, %v", keys, err)
		}
		is := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"updated"}, Properties: []string{prop}})
		if len(is.Properties[prop]) == 0 {
			t.Errorf("GET issue ?properties= did not return %s: %v", prop, is.Properties)
		}
		if tg.Sim != nil {
			if up, _ := is.Updated(); !up.Equal(before) {
				t.Errorf("emulator: a property write changed updated (%v -> %v)", before, up)
			}
		}
		if err := e.c.DeleteProperty(e.ctx, ci.Key, prop); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.GetProperty(e.ctx, ci.Key, prop); !jira.IsNotFound(err) {
			t.Errorf("deleted property: %v", err)
		}
	})
}

func TestRemoteLinks(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		ci := e.create(t, "remote links", nil)
		link := jira.RemoteLink{
			GlobalID:     "airlock:" + e.runs,
			Application:  &jira.RemoteLinkApplication{Type: "io.airlock", Name: "Airlock"},
			Relationship: "synced with",
			Object:       jira.RemoteLinkObject{URL: "https://relay.example.com/browse/RELAY-1", Title: "RELAY-1"},
		}
		e.rec.Reset()
		ref, err := e.c.CreateRemoteLink(e.ctx, ci.Key, link)
		if err != nil {
			t.Fatal(err)
		}
		if ref.ID == 0 || !strings.Contains(ref.Self, "/remotelink/"+strconv.FormatInt(ref.ID, 10)) {
			t.Errorf("ref = %+v", ref)
		}
		link.Object.Title = "RELAY-1 (moved)"
		ref2, err := e.c.CreateRemoteLink(e.ctx, ci.Key, link)
		if err != nil {
			t.Fatal(err)
		}
		if ref2.ID != ref.ID {
			t.Errorf("same globalId made a new link: %d then %d", ref.ID, ref2.ID)
		}
		var codes []int
		for _, ex := range e.rec.Find("POST", "/remotelink") {
			codes = append(codes, ex.Status)
		}
		if !slices.Equal(codes, []int{201, 200}) {
			t.Errorf("remote link POST statuses = %v, want [201 200]", codes)
		}
		second, err := e.c.CreateRemoteLink(e.ctx, ci.Key, jira.RemoteLink{Object: jira.RemoteLinkObject{URL: "https://example.com/x", Title: "x"}})
		if err != nil {
			t.Fatal(err)
		}
		links, err := e.c.RemoteLinks(e.ctx, ci.Key)
		if err != nil {
			t.Fatal(err)
		}
		if len(links) != 2 || links[0].GlobalID != link.GlobalID || links[0].Object.Title != "RELAY-1 (moved)" || links[0].Application == nil || links[0].Relationship != "synced with" {
			t.Errorf("links = %+v", links)
		}
		if err := e.c.DeleteRemoteLinkByGlobalID(e.ctx, ci.Key, link.GlobalID); err != nil {
			t.Fatal(err)
		}
		if err := e.c.DeleteRemoteLink(e.ctx, ci.Key, second.ID); err != nil {
			t.Fatal(err)
		}
		links, err = e.c.RemoteLinks(e.ctx, ci.Key)
		if err != nil || len(links) != 0 {
			t.Errorf("after delete: %+v, %v", links, err)
		}
	})
}

func TestCreateMetaAndEditMeta(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		types, err := e.c.CreateMetaIssueTypes(e.ctx, tg.Project)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range types {
			if !numeric(it.ID) || it.Name == "" {
				t.Errorf("issue type %+v", it)
			}
		}
		e.rec.Reset()
		fields, err := e.c.CreateMetaFields(e.ctx, tg.Project, e.typ)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]jira.FieldMeta{}
		for _, f := range fields {
			byID[f.FieldID] = f
		}
		if f := byID["summary"]; !f.Required || f.Schema.Type != "string" || f.Name == "" {
			t.Errorf("createmeta summary = %+v", f)
		}
		if f, ok := byID["issuetype"]; ok && len(f.AllowedValues) == 0 {
			t.Errorf("createmeta issuetype without allowed values: %+v", f)
		}
		ex := e.rec.Find("GET", "/issue/createmeta/"+tg.Project+"/issuetypes/"+e.typ)
		if len(ex) == 0 || ex[0].Status != 200 {
			t.Errorf("createmeta exchanges = %+v", ex)
		}
		// The pre-9.0 global createmeta is gone (emulator: 9.12).
		if tg.Sim != nil {
			_, err := e.c.CreateMetaFields(e.ctx, tg.Project+"NOPE", e.typ)
			if !jira.IsNotFound(err) {
				t.Errorf("createmeta of a missing project: %v", err)
			}
		}

		ci := e.create(t, "editmeta", nil)
		em, err := e.c.EditMeta(e.ctx, ci.Key)
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := em["summary"]; !ok || !slices.Contains(f.Operations, "set") {
			t.Errorf("editmeta summary = %+v", f)
		}
		if f, ok := em["labels"]; !ok || !slices.Contains(f.Operations, "add") {
			t.Errorf("editmeta labels = %+v", f)
		}
		if _, ok := em["resolution"]; ok && tg.Sim != nil {
			t.Error("emulator: resolution is on the edit screen")
		}
	})
}

// TestFieldNotOnScreen: a field that is not on the edit screen (or unknown) is a
// 400 with Jira's wording, classified Config so the engine quarantines the twin.
func TestFieldNotOnScreen(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		ci := e.create(t, "screens", nil)
		em, err := e.c.EditMeta(e.ctx, ci.Key)
		if err != nil {
			t.Fatal(err)
		}
		cases := map[string]any{"customfield_1999999": "x"}
		if _, ok := em["resolution"]; !ok {
			cases["resolution"] = map[string]any{"name": "Done"}
		}
		for field, value := range cases {
			err := e.c.UpdateIssue(e.ctx, ci.Key, jira.IssueInput{Fields: map[string]any{field: value}}, jira.UpdateOptions{})
			je := asError(t, err)
			if je.Status != 400 || je.Class != jira.ClassConfig || !strings.Contains(je.Errors[field], "It is not on the appropriate screen, or unknown.") {
				t.Errorf("%s: %v (class %v, errors %v)", field, je, je.Class, je.Errors)
			}
		}
		// Create with an unknown field fails the same way.
		_, err = e.c.CreateIssue(e.ctx, jira.IssueInput{Fields: map[string]any{
			"project": map[string]any{"key": tg.Project}, "issuetype": map[string]any{"id": e.typ},
			"summary": "never", "customfield_1999999": "x",
		}})
		if je := asError(t, err); je.Status != 400 || je.Class != jira.ClassConfig {
			t.Errorf("create with unknown field: %v (class %v)", je, je.Class)
		}
		// A missing required field is a data error.
		_, err = e.c.CreateIssue(e.ctx, jira.IssueInput{Fields: map[string]any{
			"project": map[string]any{"key": tg.Project}, "issuetype": map[string]any{"id": e.typ},
		}})
		if je := asError(t, err); je.Status != 400 || je.Errors["summary"] == "" {
			t.Errorf("create without summary: %v", je)
		}
	})
}

func TestNotFound(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		_, err := e.c.GetIssue(e.ctx, tg.Project+"-987654321", jira.GetIssueOptions{})
		if !jira.IsNotFound(err) {
			t.Fatalf("missing issue: %v", err)
		}
		je := asError(t, err)
		if je.Status != 404 || je.Class != jira.ClassData || len(je.ErrorMessages) == 0 {
			t.Errorf("404 error = %v (class %v)", je, je.Class)
		}
		if !strings.HasPrefix(je.ErrorMessages[0], "Issue") {
			t.Errorf("404 wording %q", je.ErrorMessages[0])
		}
		ci := e.create(t, "not found", nil)
		checks := map[string]error{}
		_, checks["comment"] = e.c.Comment(e.ctx, ci.Key, "987654321")
		_, checks["attachment"] = e.c.Attachment(e.ctx, "987654321")
		_, checks["property"] = e.c.GetProperty(e.ctx, ci.Key, "no.such.property")
		_, checks["user"] = e.c.User(e.ctx, "no-such-user-"+e.runs)
		checks["update"] = e.c.UpdateIssue(e.ctx, tg.Project+"-987654321", jira.IssueInput{Fields: map[string]any{"summary": "x"}}, jira.UpdateOptions{})
		for what, err := range checks {
			if !jira.IsNotFound(err) {
				t.Errorf("%s: %v", what, err)
			}
		}
	})
}

func TestUsers(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		u, err := e.c.User(e.ctx, e.me.Name)
		if err != nil || u.Key != e.me.Key || u.Name != e.me.Name || u.DisplayName == "" {
			t.Errorf("user by name = %+v, %v", u, err)
		}
		u, err = e.c.UserByKey(e.ctx, e.me.Key)
		if err != nil || u.Name != e.me.Name {
			t.Errorf("user by key = %+v, %v", u, err)
		}
		us, err := e.c.SearchUsers(e.ctx, e.me.Name, jira.UserSearchOptions{MaxResults: 5000})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, x := range us {
			found = found || x.Key == e.me.Key
			if x.Name == "" || x.Key == "" {
				t.Errorf("user %+v", x)
			}
		}
		if !found {
			t.Errorf("search %q did not find the user: %+v", e.me.Name, us)
		}
		if tg.Sim != nil {
			us, err := e.c.SearchUsers(e.ctx, "bo", jira.UserSearchOptions{})
			if err != nil || len(us) != 1 || us[0].Name != "bob" {
				t.Errorf("search bo = %+v, %v", us, err)
			}
		}
	})
}
