package engine

import (
	"context"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
)

// Whom a sealed relay trusts (issue 15): this node's identities, the partner keys of the
// connection's keyring, their rotation and revocation.

// trusted is every key whose envelopes this node accepts: the partner's and its own.
func (d *sealedJira) trusted() []seal.Public {
	d.ringMu.Lock()
	out := d.ring.Trusted(d.now())
	d.ringMu.Unlock()
	for _, id := range d.self {
		out = append(out, id.Public())
	}
	return out
}

// recipients is who can open what this node seals: the partner's trusted keys and itself.
func (d *sealedJira) recipients() []seal.Public {
	d.ringMu.Lock()
	out := d.ring.Trusted(d.now())
	d.ringMu.Unlock()
	return append(out, d.self[0].Public())
}

func (d *sealedJira) knows(trusted []seal.Public, fp string) bool {
	for _, p := range trusted {
		if p.Fingerprint() == fp {
			return true
		}
	}
	return false
}

// retiredOrRevoked reports a signer whose slot is left alone: a partner key retired after a
// rotation or revoked, or one of this node's retired identities.
func (d *sealedJira) retiredOrRevoked(fp string) bool {
	if d.retired[fp] {
		return true
	}
	d.ringMu.Lock()
	defer d.ringMu.Unlock()
	for _, k := range d.ring.Keys {
		if k.Public.Fingerprint() == fp {
			return k.State == seal.StateRetired || k.State == seal.StateRevoked ||
				(k.State == seal.StateOverlap && k.Until != nil && !d.now().Before(*k.Until))
		}
	}
	return false
}

// revoked reports a partner key revoked on this connection.
func (d *sealedJira) revoked(fp string) bool {
	d.ringMu.Lock()
	defer d.ringMu.Unlock()
	for _, k := range d.ring.Keys {
		if k.Public.Fingerprint() == fp {
			return k.State == seal.StateRevoked
		}
	}
	return false
}

// own reports one of this node's identities.
func (d *sealedJira) own(fp string) bool {
	for _, id := range d.self {
		if id.Public().Fingerprint() == fp {
			return true
		}
	}
	return false
}

// retiredPartner returns a partner key retired by a rotation (not revoked).
func (d *sealedJira) retiredPartner(fp string) (seal.Public, bool) {
	d.ringMu.Lock()
	defer d.ringMu.Unlock()
	for _, k := range d.ring.Keys {
		if k.Public.Fingerprint() == fp && (k.State == seal.StateRetired || k.State == seal.StateOverlap) {
			return k.Public, true
		}
	}
	return seal.Public{}, false
}

func (d *sealedJira) retiredOrRevokedSlot(slot string) bool {
	for fp := range d.retired {
		if slotOf(slot, fp) {
			return true
		}
	}
	d.ringMu.Lock()
	var fps []string
	for _, k := range d.ring.Keys {
		fps = append(fps, k.Public.Fingerprint())
	}
	d.ringMu.Unlock()
	for _, fp := range fps {
		if slotOf(slot, fp) && d.retiredOrRevoked(fp) {
			return true
		}
	}
	return false
}

// acceptRotation trusts the partner's new key announced in env (signed by a key this node
// trusts) and stores the keyring; it reports whether next is now trusted.
func (d *sealedJira) acceptRotation(ctx context.Context, env *seal.Envelope, next string) bool {
	d.ringMu.Lock()
	defer d.ringMu.Unlock()
	pub, err := d.ring.AcceptRotation(env, d.now(), seal.DefaultOverlap, d.self...)
	if err != nil || pub.Fingerprint() != next {
		return false
	}
	if err := SetSealKeyring(d.conn, d.ring); err != nil {
		return false
	}
	if err := d.e.DB.WithContext(ctx).Model(&models.Connection{}).Where("id = ?", d.conn.ID).
		Update("seal_keyring", d.conn.SealKeyring).Error; err != nil {
		d.e.log().Warn("cannot store the partner's rotated key", "connection", d.conn.ID, "err", err)
		return false
	}
	d.e.log().Info("sealed relay: the partner's new key is trusted (announced by its previous key)", "connection", d.conn.ID, "key", next)
	return true
}

// announcement is the rotation envelope this node attaches to its slots while its previous
// identity may still be the only one the partner knows.
func (d *sealedJira) announcement() *seal.Envelope {
	if !d.previous {
		return nil
	}
	env, err := seal.Announce(d.self[1], d.recipients(), d.self[0].Public(), uint64(d.now().Unix()))
	if err != nil {
		return nil
	}
	return env
}
