package jirasim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
)

// POST /rest/api/2/issue/bulk, as Jira Server/DC has it: {"issueUpdates":[<create body>...]}.
// Each element is created as POST /issue would create it (same validation, same codes), one
// after the other, not atomically. The answer is 201 {"issues":[{id,key,self}],"errors":[
// {"status":400,"elementErrors":{errorMessages,errors},"failedElementNumber":n}]} (n counts
// from 0) when at least one element was created, 400 with the same body when none was. More
// than bulkLimit elements (jira.bulk.create.max.issues.per.request, 50 by default) is a 400;
// its wording is synthetic.

const bulkLimit = 50

func (c *rc) bulkCreate() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	var in struct {
		IssueUpdates []json.RawMessage `json:"issueUpdates"`
	}
	if !c.decode(&in) {
		return
	}
	if len(in.IssueUpdates) > bulkLimit {
		c.fail(http.StatusBadRequest, "The number of issues in the bulk request exceeds the limit of 50 (jira.bulk.create.max.issues.per.request).")
		return
	}
	issues, errs := []any{}, []any{}
	for n, raw := range in.IssueUpdates {
		rec := httptest.NewRecorder()
		r := c.r.Clone(c.r.Context())
		r.Body = io.NopCloser(bytes.NewReader(raw))
		one := &rc{i: c.i, w: rec, r: r, u: c.u, base: c.base}
		one.createIssue()
		var out map[string]json.RawMessage
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code == http.StatusCreated {
			issues = append(issues, out)
			continue
		}
		errs = append(errs, obj{"status": rec.Code, "elementErrors": out, "failedElementNumber": n})
	}
	status := http.StatusCreated
	if len(issues) == 0 && len(errs) > 0 {
		status = http.StatusBadRequest
	}
	c.json(status, obj{"issues": issues, "errors": errs})
}
