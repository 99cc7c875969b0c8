package jirasim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// The instance-wide worklog feeds of Jira Server/DC (REST v2, since Jira 7), which a poller
// uses to see worklog edits and deletes without reading every issue:
//
//	GET  /worklog/updated?since=<epoch ms>  {values:[{worklogId, updatedTime, properties:[]}],
//	GET  /worklog/deleted?since=<epoch ms>   since, until, self, nextPage?, lastPage}
//	POST /worklog/list {"ids":[...]}         the worklog beans (at most 1000 ids)
//
// Values are ordered by time, at most 1000 a page; until is the time of the last value (since
// when there is none) and nextPage, present when lastPage is false, asks from there. As Jira
// does, a feed leaves out what changed in the minute before the request, so that a poller
// never misses a change committed a moment late. The feeds list only worklogs the caller may
// see (issue and worklog visibility); deleting an issue does not list its worklogs as deleted.

type wlDeletion struct {
	id, issue int64
	at        time.Time
}

const worklogFeedPage = 1000

type feedEntry struct {
	id int64
	at time.Time
}

func (c *rc) worklogFeed(deleted bool) {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	since := int64(0)
	if s := c.q("since"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			c.fail(http.StatusBadRequest, "The 'since' parameter must be a number of milliseconds since the epoch.")
			return
		}
		since = n
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	cutoff := c.i.now().Add(-time.Minute)
	from := time.UnixMilli(since)
	var all []feedEntry
	keep := func(id int64, at time.Time) {
		if !at.Before(from) && at.Before(cutoff) {
			all = append(all, feedEntry{id, at})
		}
	}
	if deleted {
		for _, d := range st.wlDeleted {
			if is := st.issues[d.issue]; is != nil && c.visibleIssue(st, strconv.FormatInt(is.id, 10)) != nil {
				keep(d.id, d.at)
			}
		}
	} else {
		for _, is := range st.issues {
			if c.visibleIssue(st, strconv.FormatInt(is.id, 10)) == nil {
				continue
			}
			for _, w := range c.visibleWorklogs(is) {
				keep(w.id, w.updated)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].at.Equal(all[j].at) {
			return all[i].at.Before(all[j].at)
		}
		return all[i].id < all[j].id
	})
	last := len(all) <= worklogFeedPage
	if !last {
		all = all[:worklogFeedPage]
	}
	until := since
	values := make([]any, 0, len(all))
	for _, e := range all {
		values = append(values, obj{"worklogId": e.id, "updatedTime": e.at.UnixMilli(), "properties": []any{}})
		until = e.at.UnixMilli()
	}
	kind := "updated"
	if deleted {
		kind = "deleted"
	}
	self := c.base + "/rest/api/2/worklog/" + kind + "?since="
	o := obj{"values": values, "since": since, "until": until, "self": self + strconv.FormatInt(since, 10), "lastPage": last}
	if !last {
		o["nextPage"] = self + strconv.FormatInt(until, 10)
	}
	c.json(http.StatusOK, o)
}

func (c *rc) worklogsUpdated() { c.worklogFeed(false) }
func (c *rc) worklogsDeleted() { c.worklogFeed(true) }

func (c *rc) worklogList() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	var in struct {
		IDs []json.Number `json:"ids"`
	}
	if !c.decode(&in) {
		return
	}
	if len(in.IDs) > 1000 {
		c.fail(http.StatusBadRequest, "The request contains more than 1000 worklog ids.")
		return
	}
	want := map[int64]bool{}
	for _, n := range in.IDs {
		if id, err := n.Int64(); err == nil {
			want[id] = true
		}
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	out := []any{}
	for _, is := range st.sortedIssues() {
		if is.deleted || c.visibleIssue(st, strconv.FormatInt(is.id, 10)) == nil {
			continue
		}
		for _, w := range c.visibleWorklogs(is) {
			if want[w.id] {
				out = append(out, c.worklogBean(is, w, st))
			}
		}
	}
	c.json(http.StatusOK, out)
}
