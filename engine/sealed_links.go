package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/airlock-sync/airlock/jira"
)

// Issue links through a sealed relay (issue 15): AB holds no Jira link between sealed issues.
// A link is an entry of both ends' sealed state ("link:<id>", with its type and both ends), so
// its existence, type and direction travel only inside envelopes. Its id names both ends
// ("sealed-<source id>-<destination id>-<opaque>"), so a link can be looked up without an index,
// in either end's state: a run writing the other end's state at the same moment as that issue's
// own run may lose the entry there, never in both.

const entryLink = "link:"

// sealedLink is a link entry.
type sealedLink struct {
	Type   string `json:"type"`
	Src    string `json:"src"`
	Dst    string `json:"dst"`
	SrcKey string `json:"src_key"`
	DstKey string `json:"dst_key"`
}

func sealedLinkEnds(id string) (string, string, bool) {
	rest, ok := strings.CutPrefix(id, "sealed-")
	if !ok {
		return "", "", false
	}
	parts := strings.SplitN(rest, "-", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// IssueLinkTypes are AB's own: the mapping names them like a plaintext relay's.
func (d *sealedJira) IssueLinkTypes(ctx context.Context) ([]jira.IssueLinkType, error) {
	lj, ok := d.Jira.(linkJira)
	if !ok {
		return nil, configError("the relay's Jira client cannot carry issue links")
	}
	return lj.IssueLinkTypes(ctx)
}

// CreateIssueLink records the link in both ends' sealed state.
func (d *sealedJira) CreateIssueLink(ctx context.Context, in jira.IssueLinkInput) error {
	src, dst := in.InwardIssue.ID, in.OutwardIssue.ID
	if src == "" || dst == "" {
		return configError("a sealed relay links issues by id")
	}
	vs, err := d.view(ctx, src)
	if err != nil {
		return err
	}
	vd, err := d.view(ctx, dst)
	if err != nil {
		return err
	}
	id := "sealed-" + src + "-" + dst + "-" + newOpaqueID()
	raw, _ := json.Marshal(sealedLink{Type: in.Type.Name, Src: src, Dst: dst, SrcKey: vs.key, DstKey: vd.key})
	if err := d.store(ctx, src, vs, map[string]json.RawMessage{entryLink + id: raw}, nil); err != nil {
		return err
	}
	return d.store(ctx, dst, vd, map[string]json.RawMessage{entryLink + id: raw}, nil)
}

// IssueLink finds a link in its source's sealed state; absent there, it answers Jira's 404.
func (d *sealedJira) IssueLink(ctx context.Context, id string) (*jira.IssueLink, error) {
	l, err := d.findLink(ctx, id)
	if err != nil {
		return nil, err
	}
	return &jira.IssueLink{ID: id, Type: jira.IssueLinkType{Name: l.Type},
		InwardIssue: &jira.LinkedIssue{ID: l.Src, Key: l.SrcKey}, OutwardIssue: &jira.LinkedIssue{ID: l.Dst, Key: l.DstKey}}, nil
}

func (d *sealedJira) findLink(ctx context.Context, id string) (*sealedLink, error) {
	src, dst, ok := sealedLinkEnds(id)
	if !ok {
		return nil, linkNotFound(id)
	}
	for _, end := range []string{src, dst} {
		v, err := d.view(ctx, end)
		if err != nil {
			return nil, err
		}
		raw, ok := v.value(entryLink + id)
		if !ok {
			continue
		}
		var l sealedLink
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, refused(v.key, "sealed link "+id, err)
		}
		return &l, nil
	}
	return nil, linkNotFound(id)
}

func linkNotFound(id string) error {
	return &jira.Error{Status: http.StatusNotFound, Method: "GET", Template: "/rest/api/2/issueLink/{linkId}",
		ErrorMessages: []string{"No issue link with id '" + id + "' exists."}, Class: jira.ClassData}
}

// DeleteIssueLink removes the link from both ends' sealed state.
func (d *sealedJira) DeleteIssueLink(ctx context.Context, id string) error {
	l, err := d.findLink(ctx, id)
	if err != nil {
		return err
	}
	for _, end := range []string{l.Src, l.Dst} {
		v, err := d.view(ctx, end)
		if err != nil {
			return err
		}
		if _, live := v.value(entryLink + id); !live {
			continue
		}
		if err := d.store(ctx, end, v, map[string]json.RawMessage{entryLink + id: json.RawMessage("null")}, nil); err != nil {
			return err
		}
	}
	return nil
}

// projectLinks builds the issue's issuelinks from its link entries, as Jira shows them: the
// source's entry names the destination as outwardIssue, the destination's the source as
// inwardIssue. Links made on AB by hand are left out.
func projectLinks(is *jira.Issue, v *sealedView) {
	var ids []string
	for k := range v.e {
		if strings.HasPrefix(k, entryLink) {
			ids = append(ids, strings.TrimPrefix(k, entryLink))
		}
	}
	if len(ids) == 0 {
		if _, asked := is.Fields["issuelinks"]; asked {
			is.Fields["issuelinks"] = json.RawMessage("[]")
		}
		return
	}
	sort.Strings(ids)
	out := []jira.IssueLink{}
	for _, id := range ids {
		raw, ok := v.value(entryLink + id)
		if !ok {
			continue
		}
		var l sealedLink
		if json.Unmarshal(raw, &l) != nil {
			continue
		}
		il := jira.IssueLink{ID: id, Type: jira.IssueLinkType{Name: l.Type}}
		switch is.ID {
		case l.Src:
			il.OutwardIssue = &jira.LinkedIssue{ID: l.Dst, Key: l.DstKey}
		case l.Dst:
			il.InwardIssue = &jira.LinkedIssue{ID: l.Src, Key: l.SrcKey}
		default:
			continue
		}
		out = append(out, il)
	}
	b, _ := json.Marshal(out)
	is.Fields["issuelinks"] = b
}
