package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// connectionPreview is the dry run: with ?key= it reads the issue and its twin and shows what
// would leave and what would be written on the other side. Only GET requests reach Jira.
func (s *Server) connectionPreview(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	d := views.ConnectionPreviewData{Nav: s.connNav(cn, "preview"), Action: s.connURL(RouteConnectionPreview, cn.ID),
		Key: strings.TrimSpace(c.QueryParam("key")), SecurityKeptHome: s.keptHomeSentence(ctx, cn), SecurityURL: s.connURL(RouteConnectionSecurity, cn.ID)}
	status := http.StatusOK
	switch {
	case d.Key == "":
	case s.engine == nil:
		d.Problem = "The sync engine does not run in this process, so the preview is not available here. Use a node started with `airlock dev` or `airlock web` together with its worker configuration."
		status = http.StatusServiceUnavailable
	default:
		local, remote, err := s.connectionInstances(ctx, cn)
		if err != nil {
			return err
		}
		pctx, cancel := s.jiraDeadline(ctx)
		defer cancel()
		res, err := s.engine.Preview(pctx, cn.ID, d.Key)
		switch {
		case err != nil && engine.IsPreviewInput(err):
			d.KeyError = "No issue " + strings.ToUpper(d.Key) + " in " + cn.LocalProject + " on " + local.Name + " or in " +
				cn.RemoteProject + " on " + remote.Name + " (or the sync user cannot see it). Enter the key of an issue on either side."
			status = http.StatusUnprocessableEntity
		case err != nil:
			s.log.Warn("preview failed", "connection", cn.ID, "key", d.Key, "err", err)
			d.Problem = "The preview could not read Jira: " + jiraProblem(err)
			status = http.StatusBadGateway
		default:
			d.Result = previewView(res, local, remote)
		}
	}
	// htmx swaps only successful answers: the message must still reach the page.
	if isHTMX(c) {
		status = http.StatusOK
	}
	return Render(c, status, views.ConnectionPreview(s.page(c, cn.Name+": preview", RouteConnections), d))
}

// previewView turns the engine's dry run into the page's view, with links into both Jiras.
func previewView(res *engine.PreviewResult, local, remote *models.Instance) *views.ConnPreviewResult {
	base := func(side string) string {
		if side == models.SideLocal {
			return local.BaseURL
		}
		return remote.BaseURL
	}
	name := func(side string) string {
		if side == models.SideLocal {
			return local.Name
		}
		return remote.Name
	}
	other := models.SideRemote
	if res.Side == models.SideRemote {
		other = models.SideLocal
	}
	v := &views.ConnPreviewResult{Side: res.Side, Key: res.Key, URL: browseURL(base(res.Side), res.Key), Summary: res.Summary,
		OtherKey: res.OtherKey, OtherURL: browseURL(base(other), res.OtherKey), TwinState: res.TwinState, Notes: res.Notes}
	for _, f := range res.Leaving {
		v.Leaving = append(v.Leaving, views.ConnPreviewField{Name: f.Name, Kind: f.Kind, FieldID: f.FieldID, From: f.From, To: f.To})
	}
	for _, c := range res.Conflicts {
		v.Conflicts = append(v.Conflicts, views.ConnPreviewConflict{Field: c.Field, Base: c.Base, Local: c.Local, Remote: c.Remote})
	}
	for _, w := range res.Writes {
		wv := views.ConnPreviewWrite{Side: w.Side, Key: w.Key, URL: browseURL(base(w.Side), w.Key), Create: w.Create,
			Payload: w.Payload, Err: w.Err}
		if w.Create {
			wv.Title = "Would create a new issue on " + name(w.Side) + " (" + w.Side + ")"
		} else {
			wv.Title = "Would update on " + name(w.Side) + " (" + w.Side + ")"
		}
		for _, f := range w.Fields {
			wv.Fields = append(wv.Fields, views.ConnPreviewField{Name: f.Name, Kind: f.Kind, FieldID: f.FieldID, From: f.From, To: f.To})
		}
		if w.Status != nil {
			wv.HasStatus, wv.StatusFrom, wv.StatusTo, wv.StatusPath, wv.StatusNote = true, w.Status.From, w.Status.To, w.Status.Path, w.Status.Note
		}
		v.Writes = append(v.Writes, wv)
	}
	return v
}
