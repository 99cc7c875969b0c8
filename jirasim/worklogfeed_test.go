package jirasim

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

func TestWorklogFeeds(t *testing.T) {
	_, a := tsim(t)
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	a.Knobs().SetClock(t0)
	_, key := createIssue(t, a, nil)
	add := func(user string, body map[string]any) string {
		r := call(t, a, "POST", "/rest/api/2/issue/"+key+"/worklog", user, body)
		mustStatus(t, r, 201)
		return dig(r.obj(t), "id").(string)
	}
	w1 := add("airlock", map[string]any{"timeSpent": "1h"})
	a.Knobs().AdvanceClock(10 * time.Second)
	w2 := add("admin", map[string]any{"timeSpent": "1h", "visibility": map[string]string{"type": "group", "value": "jira-administrators"}})
	a.Knobs().AdvanceClock(2 * time.Minute)
	w3 := add("airlock", map[string]any{"timeSpent": "1h"}) // within the last minute: not listed yet
	ids := func(path, user string) (string, map[string]any) {
		o := call(t, a, "GET", path, user, nil).obj(t)
		var out []string
		for _, v := range o["values"].([]any) {
			out = append(out, fmt.Sprint(dig(v, "worklogId")))
		}
		return fmt.Sprint(out), o
	}
	if got, o := ids("/rest/api/2/worklog/updated?since=0", "admin"); got != fmt.Sprint([]string{w1, w2}) || o["lastPage"] != true ||
		o["until"] != float64(t0.Add(10*time.Second).UnixMilli()) || o["since"] != 0.0 {
		t.Errorf("updated feed %s %v", got, o)
	}
	if got, _ := ids("/rest/api/2/worklog/updated?since=0", "bob"); got != fmt.Sprint([]string{w1}) {
		t.Errorf("bob's updated feed %s", got)
	}
	since := strconv.FormatInt(t0.Add(time.Second).UnixMilli(), 10)
	if got, _ := ids("/rest/api/2/worklog/updated?since="+since, "admin"); got != fmt.Sprint([]string{w2}) {
		t.Errorf("updated since %s: %s", since, got)
	}
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+key+"/worklog/"+w1, "airlock", nil), 204)
	if got, _ := ids("/rest/api/2/worklog/deleted?since=0", "airlock"); got != "[]" {
		t.Errorf("deleted feed before a minute passed: %s", got)
	}
	a.Knobs().AdvanceClock(61 * time.Second)
	if got, _ := ids("/rest/api/2/worklog/deleted?since=0", "airlock"); got != fmt.Sprint([]string{w1}) {
		t.Errorf("deleted feed %s", got)
	}
	if got, _ := ids("/rest/api/2/worklog/updated?since=0", "airlock"); got != fmt.Sprint([]string{w3}) {
		t.Errorf("updated feed after the delete %s", got)
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/worklog/updated?since=yesterday", "airlock", nil), 400)
	l := call(t, a, "POST", "/rest/api/2/worklog/list", "bob", map[string]any{"ids": []any{w1, w2, w3, 1}}).arr(t)
	if len(l) != 1 || dig(l[0], "id") != w3 {
		t.Errorf("list for bob %v", l)
	}
}
