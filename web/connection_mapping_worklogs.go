package web

import (
	"net/url"
	"strings"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/views"
)

// worklogInput is the Worklogs section of the mapping editor (engine.WorklogRules).
type worklogInput struct {
	On           bool
	Visibilities string // one restriction per line
	Attribution  string
}

// worklogInputOf is the editor state of stored worklog rules.
func worklogInputOf(r engine.WorklogRules) worklogInput {
	return worklogInput{On: r.Enabled, Visibilities: strings.Join(r.AllowVisibilities, "\n"), Attribution: r.Attribution}
}

// readWorklogInput reads the section from the submitted form.
func readWorklogInput(form url.Values) worklogInput {
	return worklogInput{On: form.Get("worklogs_on") != "", Visibilities: form.Get("worklogs_visibilities"),
		Attribution: form.Get("worklogs_attribution")}
}

// rules turns the section into engine.WorklogRules (checked by engine.Rules.Validate).
func (in worklogInput) rules() engine.WorklogRules {
	r := engine.WorklogRules{Enabled: in.On, Attribution: strings.TrimSpace(in.Attribution)}
	for _, line := range strings.Split(in.Visibilities, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			r.AllowVisibilities = append(r.AllowVisibilities, line)
		}
	}
	return r
}

// view is the section as the editor shows it, with its problem from errs.
func (in worklogInput) view(errs map[string]string) views.MappingWorklogs {
	return views.MappingWorklogs{On: in.On, Visibilities: in.Visibilities, Attribution: in.Attribution, Err: errs["worklogs.visibilities"]}
}
