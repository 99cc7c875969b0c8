package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinChain builds the relay chain of a twin page (v's sides already filled): on a node with
// both connections A <-> AB <-> B with each hop's state and a link to the next hop's twin; on a
// split node the relay issue, when it was last updated and the other node's link to it.
func (s *Server) twinChain(ctx context.Context, tw *models.Twin, v *views.TwinView) *views.TwinChain {
	if s.engine == nil {
		return nil
	}
	rc, err := s.engine.RelayChain(ctx, tw.ID)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	if err != nil {
		s.log.Warn("twin page: relay chain", "twin", tw.ID, "err", err)
		return &views.TwinChain{Note: "The relay chain could not be worked out: " + err.Error()}
	}
	here := v.Local
	if rc.RelaySide == models.SideLocal {
		here = v.Remote
	}
	ch := &views.TwinChain{
		Issues: []views.ChainIssue{{Instance: here.Instance, Key: here.Key, URL: here.URL},
			{Instance: rc.RelayInstance, Key: rc.RelayKey, URL: twinBrowseURL(rc.RelayBaseURL, rc.RelayKey), Relay: true}},
		Hops: []views.ChainHop{{Connection: v.Connection, State: v.State, Current: true}},
	}
	if rc.Unlinked {
		ch.Note = "The relay issue is not created yet: the next reconcile of this twin creates it."
		return ch
	}
	if len(rc.Next) > 0 {
		n := rc.Next[0]
		ch.Hops = append(ch.Hops, views.ChainHop{Connection: n.Connection, State: n.Twin.State, TwinURL: s.twinURL(n.Twin.ID)})
		ch.Issues = append(ch.Issues, views.ChainIssue{Instance: n.FarInstance, Key: n.FarKey, URL: twinBrowseURL(n.FarBaseURL, n.FarKey)})
		if len(rc.Next) > 1 {
			names := make([]string, 0, len(rc.Next)-1)
			for _, o := range rc.Next[1:] {
				names = append(names, fmt.Sprintf("%s (%s)", o.Connection, o.FarKey))
			}
			ch.Note = "The relay issue is also twinned by " + strings.Join(names, ", ") + "."
		}
		return ch
	}
	ch.Split = true
	if rc.ReadErr != nil {
		ch.Note = twinReadError(rc.RelayInstance, rc.ReadErr)
		return ch
	}
	if rc.Updated != nil {
		ch.RelayUpdated = rc.Updated.UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, p := range rc.Peers {
		ch.Peers = append(ch.Peers, views.ChainPeer{Key: p.PeerKey, BaseURL: p.PeerBaseURL, URL: peerBrowseURL(p)})
	}
	return ch
}

// peerBrowseURL links another node's issue only when the relay's property names an http(s)
// address: the property is written on the relay, so it is not trusted further.
func peerBrowseURL(p engine.TwinLink) string {
	u, err := url.Parse(p.PeerBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || p.PeerKey == "" {
		return ""
	}
	return twinBrowseURL(p.PeerBaseURL, p.PeerKey)
}
