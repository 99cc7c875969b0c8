package jirasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// browse serves Jira's issue page, GET {base}/browse/KEY, as a read-only HTML view: the
// fields, comments, attachments and history the caller may see (a project key lists the
// project's issues). Like Jira it asks an anonymous visitor to log in: here with a Basic
// challenge, since the emulator has no login form. Everything is escaped by html/template.
func (c *rc) browse() {
	if c.u == nil {
		c.w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm="jirasim %s (log in, e.g. as alice/alice)", charset="UTF-8"`, c.i.opts.Name))
		c.i.unauthorized(c.w, c.r, "AUTHENTICATION_DENIED", "")
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	key := c.r.PathValue("key")
	var page browsePage
	page.Instance, page.Base = c.i.opts.Name, c.base
	if is := st.issue(key); is != nil && !is.deleted && strings.EqualFold(is.key, key) {
		page.Issue = c.browseIssue(st, is)
	} else if p := st.project(key); p != nil && strings.EqualFold(p.key, key) {
		page.Project = c.browseProject(st, p)
	} else {
		page.Missing = key
	}
	var buf bytes.Buffer
	if err := browseTmpl.Execute(&buf, page); err != nil {
		http.Error(c.w, "render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/html;charset=UTF-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
	h.Set("Cache-Control", "no-store")
	status := http.StatusOK
	if page.Missing != "" {
		status = http.StatusNotFound
	}
	c.w.WriteHeader(status)
	_, _ = c.w.Write(buf.Bytes())
}

type browsePage struct {
	Instance, Base string
	Issue          *browseIssue
	Project        *browseProject
	Missing        string
}

type browseIssue struct {
	Key, Summary, Project string
	Fields                []browseField
	Comments              []browseComment
	Attachments           []browseAttachment
	History               []browseHistory
}

type browseField struct{ Name, ID, Value string }

type browseComment struct{ Author, Created, Visibility, Body string }

type browseAttachment struct {
	Filename, Mime, Author, Created, URL string
	Size                                 int
}

type browseHistory struct {
	Author, Created string
	Items           []histItem
}

type browseProject struct {
	Key, Name string
	Issues    []browseRow
}

type browseRow struct{ Key, Summary, Status string }

func (c *rc) browseIssue(st *state, is *issue) *browseIssue {
	out := &browseIssue{Key: is.key, Summary: is.str("summary"), Project: is.proj.key}
	for _, f := range fieldDefs {
		if f.ID == "summary" || f.ID == "comment" || f.ID == "attachment" || f.ID == "worklog" {
			continue
		}
		v, ok := c.renderField(st, is, f)
		if !ok {
			continue
		}
		if s := displayValue(v); s != "" {
			out.Fields = append(out.Fields, browseField{Name: f.Name, ID: f.ID, Value: s})
		}
	}
	sort.SliceStable(out.Fields, func(i, j int) bool { return out.Fields[i].Name < out.Fields[j].Name })
	for _, cm := range c.visibleComments(is) {
		bc := browseComment{Author: displayValue(c.userByKey(st, cm.author)), Created: c.fmtTime(cm.created), Body: cm.body}
		if cm.visType != "" {
			bc.Visibility = cm.visType + ": " + cm.visValue
		}
		out.Comments = append(out.Comments, bc)
	}
	for _, a := range is.attachments {
		b := c.attachmentBean(is, a, st)
		out.Attachments = append(out.Attachments, browseAttachment{Filename: a.filename, Mime: a.mime, Size: len(a.data),
			Author: displayValue(c.userByKey(st, a.author)), Created: c.fmtTime(a.created), URL: b["content"].(string)})
	}
	for _, h := range is.histories {
		out.History = append(out.History, browseHistory{Author: displayValue(c.userByKey(st, h.author)), Created: c.fmtTime(h.created), Items: h.items})
	}
	return out
}

func (c *rc) browseProject(st *state, p *project) *browseProject {
	out := &browseProject{Key: p.key, Name: p.name}
	for _, is := range st.sortedIssues() {
		if is.proj == p && !is.deleted {
			out.Issues = append(out.Issues, browseRow{Key: is.key, Summary: is.str("summary"), Status: displayValue(c.statusBean(is.str("status")))})
		}
	}
	return out
}

// displayValue turns a rendered REST value into the text Jira's issue page shows: a user's
// display name, an option's value, a list joined by commas.
func displayValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case obj:
		for _, k := range []string{"displayName", "name", "value", "key", "summary"} {
			if s, ok := x[k].(string); ok && s != "" {
				if child, ok := x["child"].(obj); ok {
					return s + " - " + displayValue(child)
				}
				return s
			}
		}
		if p, ok := x["progress"]; ok {
			return displayValue(p)
		}
		return ""
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := displayValue(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	case []obj:
		list := make([]any, len(x))
		for i, e := range x {
			list[i] = e
		}
		return displayValue(list)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

var browseTmpl = template.Must(template.New("browse").Funcs(template.FuncMap{"deref": deref}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{with .Issue}}[{{.Key}}] {{.Summary}}{{else}}{{with .Project}}{{.Key}}: {{.Name}}{{else}}Issue Does Not Exist{{end}}{{end}} - Jira {{.Instance}} (jirasim)</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap;margin:0}.note{color:#666}</style>
</head><body id="jira" data-instance="{{.Instance}}">
<p class="note">Emulated Jira {{.Instance}} (jirasim): a read-only view. Change issues through the REST API.</p>
{{with .Issue}}
<h1 data-testid="issue-key">{{.Key}}</h1>
<h2 data-testid="summary">{{.Summary}}</h2>
<p>Project <a href="{{$.Base}}/browse/{{.Project}}">{{.Project}}</a></p>
<h3>Details</h3>
<table data-testid="fields">{{range .Fields}}<tr><th title="{{.ID}}">{{.Name}}</th><td data-field="{{.ID}}"><pre>{{.Value}}</pre></td></tr>{{end}}</table>
<h3>Attachments ({{len .Attachments}})</h3>
<ul data-testid="attachments">{{range .Attachments}}<li><a href="{{.URL}}">{{.Filename}}</a> ({{.Size}} bytes, {{.Mime}}) by {{.Author}}, {{.Created}}</li>{{end}}</ul>
<h3>Comments ({{len .Comments}})</h3>
{{range .Comments}}<div class="comment" data-testid="comment"><p><b>{{.Author}}</b> {{.Created}}{{with .Visibility}} <span class="note">(restricted to {{.}})</span>{{end}}</p><pre>{{.Body}}</pre></div>{{end}}
<h3>History ({{len .History}})</h3>
<table data-testid="history">{{range .History}}{{$h := .}}{{range .Items}}<tr><td>{{$h.Created}}</td><td>{{$h.Author}}</td><td>{{.Field}}</td><td>{{deref .FromString}}</td><td>&rarr;</td><td>{{deref .ToString}}</td></tr>{{end}}{{end}}</table>
{{else}}{{with .Project}}
<h1>{{.Key}}: {{.Name}}</h1>
<table data-testid="issues">{{range .Issues}}<tr><td><a href="{{$.Base}}/browse/{{.Key}}">{{.Key}}</a></td><td>{{.Summary}}</td><td>{{.Status}}</td></tr>{{end}}</table>
{{else}}
<h1>Issue Does Not Exist</h1>
<p>The issue or project {{.Missing}} does not exist on this Jira, or you do not have permission to see it.</p>
{{end}}{{end}}
</body></html>
`))
