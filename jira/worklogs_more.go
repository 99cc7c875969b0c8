package jira

import (
	"context"
	"fmt"
	"net/http"
)

// WorklogEdit is the body of ReplaceWorklog: unlike WorklogInput every field is sent, so a
// comment can be emptied; TimeSpentSeconds is exact.
type WorklogEdit struct {
	Comment          string      `json:"comment"`
	Started          Time        `json:"started"`
	TimeSpentSeconds int64       `json:"timeSpentSeconds"`
	Visibility       *Visibility `json:"visibility,omitempty"`
}

// ReplaceWorklog sets a worklog's comment, start, time spent and visibility (PUT).
func (c *Client) ReplaceWorklog(ctx context.Context, idOrKey, id string, in WorklogEdit, est Estimate) (*Worklog, error) {
	var out Worklog
	if err := c.write(ctx, http.MethodPut, "/issue/{key}/worklog/{id}", escape("/issue/%s/worklog/%s", idOrKey, id), est.query("update"), in, &out); err != nil {
		return nil, fmt.Errorf("replace worklog %s of %s: %w", id, idOrKey, err)
	}
	return &out, nil
}
