package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// RelayChain is where a twin sits on the path A <-> AB <-> B: its relay issue and, on a node
// that runs both connections (single topology), the twins of the next hop that share that
// relay issue. On a node that runs one side only (split), Next is empty and the relay issue is
// read once with its airlock.twin property to tell what the other node last did with it.
type RelayChain struct {
	// RelaySide is the side of this twin's connection that is the relay (remote unless only
	// the local instance has the relay role).
	RelaySide     string
	RelayInstance string
	RelayBaseURL  string
	RelayKey      string
	// Next are the twins of other connections on this node linked to the same relay issue.
	Next []ChainTwin
	// Split only: the relay issue as read live.
	Read     bool
	Updated  *time.Time
	Peers    []TwinLink // other connections' links in the relay issue's airlock.twin property
	ReadErr  error
	Unlinked bool // the relay issue has no issue yet (pending create)
}

// ChainTwin is a twin of the next hop with the far issue.
type ChainTwin struct {
	Twin       models.Twin
	Connection string
	// FarInstance, FarBaseURL and FarKey are its issue that is not the relay issue.
	FarInstance, FarBaseURL, FarKey string
}

// RelayChainTimeout bounds the split topology's read of the relay issue.
const RelayChainTimeout = 10 * time.Second

// RelayChain finds the rest of a twin's relay chain (see RelayChain).
func (e *Engine) RelayChain(ctx context.Context, twinID uint) (*RelayChain, error) {
	tw, err := e.loadTwin(ctx, twinID)
	if err != nil {
		return nil, err
	}
	l, err := e.loadLink(ctx, tw.ConnectionID)
	if err != nil {
		return nil, fmt.Errorf("relay chain of twin %d: %w", twinID, err)
	}
	rc := &RelayChain{RelaySide: models.SideRemote}
	if l.Local.Role == models.RoleRelay && l.Remote.Role != models.RoleRelay {
		rc.RelaySide = models.SideLocal
	}
	relay := l.inst(rc.RelaySide)
	rc.RelayInstance, rc.RelayBaseURL, rc.RelayKey = relay.Name, strings.TrimRight(relay.BaseURL, "/"), twinKey(tw, rc.RelaySide)
	relayID := twinIssueID(tw, rc.RelaySide)
	if relayID == nil {
		rc.Unlinked = true
		return rc, nil
	}
	// The same relay issue, twinned by another connection of this node on either side.
	var next []models.Twin
	err = e.db(ctx).Model(&models.Twin{}).Joins("JOIN connections ON connections.id = twins.connection_id").
		Where("twins.connection_id <> ? AND ((connections.remote_instance_id = ? AND twins.remote_issue_id = ?) OR (connections.local_instance_id = ? AND twins.local_issue_id = ?))",
			tw.ConnectionID, relay.ID, *relayID, relay.ID, *relayID).
		Order("twins.id").Find(&next).Error
	if err != nil {
		return nil, fmt.Errorf("relay chain of twin %d: %w", twinID, err)
	}
	for i := range next {
		nl, err := e.loadLink(ctx, next[i].ConnectionID)
		if err != nil {
			continue
		}
		far := models.SideLocal
		if nl.Local.ID == relay.ID && twinIssueID(&next[i], models.SideLocal) != nil && *twinIssueID(&next[i], models.SideLocal) == *relayID {
			far = models.SideRemote
		}
		fi := nl.inst(far)
		rc.Next = append(rc.Next, ChainTwin{Twin: next[i], Connection: nl.Conn.Name, FarInstance: fi.Name,
			FarBaseURL: strings.TrimRight(fi.BaseURL, "/"), FarKey: twinKey(&next[i], far)})
	}
	if len(rc.Next) > 0 {
		return rc, nil
	}
	// Split: one GET of the relay issue with its property.
	rc.Read = true
	j, err := e.client(ctx, l, rc.RelaySide)
	if err != nil {
		rc.ReadErr = err
		return rc, nil
	}
	gctx, cancel := context.WithTimeout(ctx, RelayChainTimeout)
	defer cancel()
	is, err := j.GetIssue(gctx, *relayID, jira.GetIssueOptions{Fields: []string{"updated"}, Properties: []string{TwinProperty}})
	if err != nil {
		if errors.Is(gctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("%s did not answer within %s: %w", relay.Name, RelayChainTimeout, err)
		}
		rc.ReadErr = err
		return rc, nil
	}
	rc.RelayKey = is.Key
	if t, ok := is.Updated(); ok {
		rc.Updated = &t
	}
	v := ParseTwinValue(is.Properties[TwinProperty])
	keys := make([]string, 0, len(v.Links))
	for k := range v.Links {
		if k != l.Key {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		rc.Peers = append(rc.Peers, v.Links[k])
	}
	return rc, nil
}
