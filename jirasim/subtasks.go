package jirasim

import (
	"fmt"
	"net/http"
	"strings"
)

// Sub-tasks as Jira Server/DC has them: create with "parent":{"key"|"id"} and a sub-task
// issue type (400 without a parent, or with a parent on a standard type, or a parent in
// another project, or a parent that is itself a sub-task); "subtasks" in the parent's bean,
// "parent" in the sub-task's; DELETE of a parent needs deleteSubtasks=true.
//
// Moving a sub-task to another parent: Jira DC has no REST call for it. PUT /issue/{k} with
// fields.parent is refused (400 "Field 'parent' cannot be set. It is not on the appropriate
// screen, or unknown."), and /issue/{k}/subtask/move only reorders the sub-tasks of one
// parent. Users move sub-tasks with the "Change parent" wizard of the web UI, which
// Instance.MoveSubtask stands in for.

// listSubtasks answers GET /issue/{id}/subtask: the sub-tasks in the short issue shape.
func (c *rc) listSubtasks() {
	c.withIssue(false, func(st *state, is *issue) {
		out := []any{}
		for _, s := range st.subtasks(is) {
			if c.visibleIssue(st, s.key) != nil {
				out = append(out, c.issueRef(st, s))
			}
		}
		c.json(http.StatusOK, out)
	})
}

// MoveSubtask moves sub-task subKey under newParentKey as the web UI's "Change parent"
// wizard does (Jira DC offers no REST call for it), acting as user: the sub-task's parent
// changes, its updated is bumped and a parent changelog item is written.
func (i *Instance) MoveSubtask(subKey, newParentKey, username string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	st := i.st
	sub, np := st.issue(subKey), st.issue(newParentKey)
	u := st.userByName[strings.ToLower(username)]
	switch {
	case sub == nil || np == nil || u == nil:
		return fmt.Errorf("jirasim %s: move sub-task: %q, %q or user %q not found", i.opts.Name, subKey, newParentKey, username)
	case !findIssueType(sub.str("issuetype")).Subtask:
		return fmt.Errorf("jirasim %s: move sub-task: %s is not a sub-task", i.opts.Name, subKey)
	case findIssueType(np.str("issuetype")).Subtask || np.proj != sub.proj:
		return fmt.Errorf("jirasim %s: move sub-task: %s cannot be the parent of %s", i.opts.Name, newParentKey, subKey)
	}
	if sub.fields["parent"] == np.id {
		return nil
	}
	c := &rc{i: i, u: u}
	next := make(map[string]any, len(sub.fields))
	for k, v := range sub.fields {
		next[k] = v
	}
	next["parent"] = np.id
	items := c.diffItems(st, sub.proj, sub.fields, next)
	sub.fields = next
	c.touch(st, sub, items)
	return nil
}
