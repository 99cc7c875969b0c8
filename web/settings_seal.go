package web

import (
	"context"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// sealKeys reads the public half of the node's sealing identities for the Settings page.
func (s *Server) sealKeys(ctx context.Context) views.SealKeys {
	var d views.SealKeys
	rows, err := s.db.Identities(ctx)
	if err != nil {
		s.log.Warn("cannot read the sealing identities", "err", err)
		return d
	}
	for _, r := range rows {
		k := views.SealKey{Fingerprint: r.Fingerprint, Public: r.Public, Created: r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")}
		if d.Current == nil && r.State == models.IdentityCurrent {
			d.Current = &k
			continue
		}
		d.Previous = append(d.Previous, k)
	}
	return d
}
