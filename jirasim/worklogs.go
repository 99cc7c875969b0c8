package jirasim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Worklogs as Jira Server/DC 9 has them (REST v2 /issue/{k}/worklog):
//
//   - POST, PUT and DELETE take adjustEstimate: auto (the default: the remaining estimate
//     moves by the time logged, never below 0; an issue without an estimate gets 0 on its
//     first worklog, as the Jira 8 capture shows: timeestimate 0 with timespent 120), leave,
//     new (with newEstimate), manual (POST with reduceBy, DELETE with increaseBy; PUT has no
//     manual mode).
//   - The changelog entry holds timeestimate (when it moved), timespent (when it moved) and
//     WorklogId (to on create, from on delete); a delete also writes WorklogTimeSpent.
//   - Visibility (group or role) hides a worklog from users outside it, in the list, the
//     single GET (404) and the issue bean, as for comments.
//   - Editing or deleting another user's worklog needs the "Edit/Delete All Worklogs"
//     permission, which the default scheme gives to project administrators (and here Jira
//     administrators): others get 403.

type worklogIn struct {
	Comment          *string     `json:"comment"`
	Started          *string     `json:"started"`
	TimeSpent        *string     `json:"timeSpent"`
	TimeSpentSeconds *int64      `json:"timeSpentSeconds"`
	Visibility       *visibility `json:"visibility"`
}

func (c *rc) readWorklog(w *worklog, create bool) bool {
	var in worklogIn
	if !c.decode(&in) {
		return false
	}
	errs := map[string]string{}
	switch {
	case in.TimeSpentSeconds != nil:
		if *in.TimeSpentSeconds <= 0 {
			errs["timeLogged"] = "You must indicate the time spent working."
		}
		w.seconds = *in.TimeSpentSeconds
	case in.TimeSpent != nil:
		s, ok := parseSpent(*in.TimeSpent)
		if !ok {
			errs["timeLogged"] = "Invalid time duration entered."
		}
		w.seconds = s
	case create:
		errs["timeLogged"] = "You must indicate the time spent working."
	}
	if in.Started != nil {
		t, err := time.Parse(jiraTime, *in.Started)
		if err != nil {
			errs["startDate"] = "You must specify a valid start date."
		}
		w.started = t
	}
	if in.Comment != nil {
		w.comment = *in.Comment
	}
	if in.Visibility != nil {
		if msg := validVisibility(in.Visibility.Type, in.Visibility.Value); msg != "" {
			errs["commentLevel"] = msg
		}
		w.visType, w.visValue = in.Visibility.Type, in.Visibility.Value
	}
	if len(errs) > 0 {
		c.json(http.StatusBadRequest, fieldErrs(errs))
		return false
	}
	return true
}

// adjustRemaining computes the remaining estimate after a worklog operation (op is create,
// update or delete) that changes the time spent by delta seconds. keep=true means leave the
// estimate alone. It writes Jira's 400 and returns ok=false on a bad parameter.
func (c *rc) adjustRemaining(is *issue, op string, delta int64) (remain int64, keep, ok bool) {
	cur, _ := is.fields["timeestimate"].(int64)
	bad := func(field, msg string) (int64, bool, bool) {
		c.json(http.StatusBadRequest, fieldErrs(map[string]string{field: msg}))
		return 0, false, false
	}
	switch mode := strings.ToLower(c.q("adjustEstimate")); mode {
	case "", "auto":
		return max(0, cur-delta), false, true
	case "leave":
		return 0, true, true
	case "new":
		s, good := parseEstimate(c.q("newEstimate"))
		if !good {
			return bad("newEstimate", "You must supply a valid new estimate.")
		}
		return s, false, true
	case "manual":
		param := map[string]string{"create": "reduceBy", "delete": "increaseBy"}[op]
		if param == "" {
			break
		}
		s, good := parseEstimate(c.q(param))
		if !good {
			return bad("adjustmentAmount", "You must supply a valid amount of time to adjust the estimate by.")
		}
		if op == "create" {
			return max(0, cur-s), false, true
		}
		return cur + s, false, true
	}
	c.fail(http.StatusBadRequest, "Invalid value for adjustEstimate: '"+c.q("adjustEstimate")+"'.")
	return 0, false, false
}

// worklogItems builds the changelog items of a worklog operation, in Jira's order.
func worklogItems(is *issue, beforeEst any, beforeSpent int64, add, del string, delSpent int64) []histItem {
	num := func(v any) *string {
		if n, ok := v.(int64); ok {
			return sp(strconv.FormatInt(n, 10))
		}
		return nil
	}
	spent := func(s int64) any {
		if s == 0 {
			return nil
		}
		return s
	}
	var items []histItem
	if after := is.fields["timeestimate"]; !valueEqual(beforeEst, after) {
		items = append(items, histItem{Field: "timeestimate", FieldType: "jira", From: num(beforeEst), FromString: num(beforeEst), To: num(after), ToString: num(after)})
	}
	if after := is.timeSpent(); after != beforeSpent {
		f, t := num(spent(beforeSpent)), num(spent(after))
		items = append(items, histItem{Field: "timespent", FieldType: "jira", From: f, FromString: f, To: t, ToString: t})
	}
	if add != "" {
		items = append(items, histItem{Field: "WorklogId", FieldType: "jira", To: sp(add), ToString: sp(add)})
	}
	if del != "" {
		s := sp(strconv.FormatInt(delSpent, 10))
		items = append(items, histItem{Field: "WorklogTimeSpent", FieldType: "jira", From: s, FromString: s},
			histItem{Field: "WorklogId", FieldType: "jira", From: sp(del), FromString: sp(del)})
	}
	return items
}

func setRemaining(is *issue, remain int64, keep bool) {
	if !keep {
		is.fields["timeestimate"] = remain
	}
}

func (c *rc) visibleWorklogs(is *issue) []*worklog {
	out := make([]*worklog, 0, len(is.worklogs))
	for _, w := range is.worklogs {
		if c.canSee(is.proj, w.visType, w.visValue) {
			out = append(out, w)
		}
	}
	return out
}

func (c *rc) listWorklogs() {
	c.withIssue(false, func(st *state, is *issue) {
		startAt := max(0, c.intParam("startAt", 0))
		maxResults := c.intParam("maxResults", 5000)
		if maxResults <= 0 || maxResults > 5000 {
			maxResults = 5000
		}
		vis := c.visibleWorklogs(is)
		pg := page(vis, startAt, maxResults)
		out := make([]any, 0, len(pg))
		for _, w := range pg {
			out = append(out, c.worklogBean(is, w, st))
		}
		if c.q("maxResults") == "" {
			maxResults = len(vis)
		}
		c.json(http.StatusOK, obj{"startAt": startAt, "maxResults": maxResults, "total": len(vis), "worklogs": out})
	})
}

func (c *rc) addWorklog() {
	now := c.i.now()
	w := &worklog{started: now}
	if !c.readWorklog(w, true) {
		return
	}
	c.withIssue(true, func(st *state, is *issue) {
		remain, keep, ok := c.adjustRemaining(is, "create", w.seconds)
		if !ok {
			return
		}
		beforeEst, beforeSpent := is.fields["timeestimate"], is.timeSpent()
		w.id, w.author, w.updateAuthor, w.created, w.updated = st.next("worklog"), c.u.key, c.u.key, now, now
		setRemaining(is, remain, keep)
		is.worklogs = append(is.worklogs, w)
		c.touch(st, is, worklogItems(is, beforeEst, beforeSpent, strconv.FormatInt(w.id, 10), "", 0))
		c.json(http.StatusCreated, c.worklogBean(is, w, st))
	})
}

func (c *rc) findWorklog(is *issue) int {
	for n, w := range is.worklogs {
		if strconv.FormatInt(w.id, 10) == c.r.PathValue("id2") && c.canSee(is.proj, w.visType, w.visValue) {
			return n
		}
	}
	c.fail(http.StatusNotFound, "Cannot find worklog with id: '"+c.r.PathValue("id2")+"'.")
	return -1
}

// mayChangeWorklog answers 403 unless the caller wrote the worklog or administers the project.
func (c *rc) mayChangeWorklog(is *issue, w *worklog, verb string) bool {
	if w.author == c.u.key || c.u.admin || is.proj.admins[c.u.key] {
		return true
	}
	c.fail(http.StatusForbidden, "You do not have the permission to "+verb+" this worklog.")
	return false
}

func (c *rc) getWorklog() {
	c.withIssue(false, func(st *state, is *issue) {
		if n := c.findWorklog(is); n >= 0 {
			c.json(http.StatusOK, c.worklogBean(is, is.worklogs[n], st))
		}
	})
}

func (c *rc) updateWorklog() {
	c.withIssue(true, func(st *state, is *issue) {
		n := c.findWorklog(is)
		if n < 0 || !c.mayChangeWorklog(is, is.worklogs[n], "edit") {
			return
		}
		w := *is.worklogs[n]
		if !c.readWorklog(&w, false) {
			return
		}
		remain, keep, ok := c.adjustRemaining(is, "update", w.seconds-is.worklogs[n].seconds)
		if !ok {
			return
		}
		beforeEst, beforeSpent := is.fields["timeestimate"], is.timeSpent()
		w.updateAuthor, w.updated = c.u.key, c.i.now()
		setRemaining(is, remain, keep)
		is.worklogs = append(append(is.worklogs[:n:n], &w), is.worklogs[n+1:]...)
		c.touch(st, is, worklogItems(is, beforeEst, beforeSpent, "", "", 0))
		c.json(http.StatusOK, c.worklogBean(is, &w, st))
	})
}

func (c *rc) deleteWorklog() {
	c.withIssue(true, func(st *state, is *issue) {
		n := c.findWorklog(is)
		if n < 0 || !c.mayChangeWorklog(is, is.worklogs[n], "delete") {
			return
		}
		w := is.worklogs[n]
		remain, keep, ok := c.adjustRemaining(is, "delete", -w.seconds)
		if !ok {
			return
		}
		beforeEst, beforeSpent := is.fields["timeestimate"], is.timeSpent()
		setRemaining(is, remain, keep)
		is.worklogs = append(is.worklogs[:n:n], is.worklogs[n+1:]...)
		st.wlDeleted = append(st.wlDeleted, wlDeletion{id: w.id, issue: is.id, at: c.i.now()})
		c.touch(st, is, worklogItems(is, beforeEst, beforeSpent, "", strconv.FormatInt(w.id, 10), w.seconds))
		c.noContent()
	})
}
