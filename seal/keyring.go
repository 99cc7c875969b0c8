package seal

import (
	"errors"
	"fmt"
	"time"
)

// DefaultOverlap is how long a rotated-out key is still accepted.
const DefaultOverlap = 7 * 24 * time.Hour

// Key states in a Keyring.
const (
	StateActive  = "active"  // accepted
	StateOverlap = "overlap" // replaced by a rotation, accepted until Until
	StateRetired = "retired" // replaced and past its overlap: refused
	StateRevoked = "revoked" // refused at once (compromised)
)

// Key is one partner key the node knows, with its state.
type Key struct {
	Public  Public     `json:"public"`
	State   string     `json:"state"`
	Added   time.Time  `json:"added"`
	Until   *time.Time `json:"until,omitempty"`   // end of the overlap
	Revoked *time.Time `json:"revoked,omitempty"` // when it was revoked
	Reason  string     `json:"reason,omitempty"`  // why it was revoked, or which key replaced it
}

// Keyring is the partner keys of one sealed connection (stored with the connection as JSON).
type Keyring struct {
	Keys []Key `json:"keys"`
}

// Trusted returns the keys whose envelopes are accepted at now: active ones, and overlapping
// ones before the end of their overlap.
func (k *Keyring) Trusted(now time.Time) []Public {
	var out []Public
	for _, key := range k.Keys {
		switch {
		case key.State == StateActive:
			out = append(out, key.Public)
		case key.State == StateOverlap && key.Until != nil && now.Before(*key.Until):
			out = append(out, key.Public)
		}
	}
	return out
}

func (k *Keyring) find(fp string) *Key {
	for i := range k.Keys {
		if k.Keys[i].Public.Fingerprint() == fp {
			return &k.Keys[i]
		}
	}
	return nil
}

// Add trusts a key the admin pasted (after comparing its fingerprint with the partner's). A
// revoked key cannot be trusted again.
func (k *Keyring) Add(p Public, now time.Time) error {
	if cur := k.find(p.Fingerprint()); cur != nil {
		if cur.State == StateRevoked {
			return fmt.Errorf("seal: key %s was revoked and cannot be trusted again", p.Fingerprint())
		}
		cur.State, cur.Until = StateActive, nil
		return nil
	}
	k.Keys = append(k.Keys, Key{Public: p, State: StateActive, Added: now.UTC()})
	return nil
}

// Revoke refuses a key from now on.
func (k *Keyring) Revoke(fp string, now time.Time, reason string) error {
	cur := k.find(fp)
	if cur == nil {
		return fmt.Errorf("seal: no key %s in this connection", fp)
	}
	t := now.UTC()
	cur.State, cur.Revoked, cur.Reason, cur.Until = StateRevoked, &t, reason, nil
	return nil
}

// Retire moves keys past their overlap to retired and reports whether any changed.
func (k *Keyring) Retire(now time.Time) bool {
	changed := false
	for i := range k.Keys {
		if key := &k.Keys[i]; key.State == StateOverlap && key.Until != nil && !now.Before(*key.Until) {
			key.State, changed = StateRetired, true
		}
	}
	return changed
}

// rotationID is the opaque id of rotation announcements.
const rotationID = "rotation"

// Announce is the rotation envelope by which old introduces next to the partners (to): signed
// by the old identity, so a partner that trusts old can trust next without a new paste.
func Announce(old *Identity, to []Public, next Public, seq uint64) (*Envelope, error) {
	return Seal(old, to, KindRotate, rotationID, seq, []byte(next.String()))
}

// AcceptRotation opens a rotation announcement with the node's identities, and when a trusted
// key signed it, trusts the announced key and lets the signer overlap until now+overlap. It
// returns the announced key. A revoked key's announcement is refused (it is not trusted).
func (k *Keyring) AcceptRotation(e *Envelope, now time.Time, overlap time.Duration, self ...*Identity) (Public, error) {
	if e.Kind != KindRotate {
		return Public{}, refuse(ErrFormat, fmt.Errorf("kind %q, want %q", e.Kind, KindRotate))
	}
	payload, signer, err := Open(e, k.Trusted(now), self...)
	if err != nil {
		return Public{}, err
	}
	next, err := ParsePublic(string(payload))
	if err != nil {
		return Public{}, refuse(ErrFormat, err)
	}
	if next.Fingerprint() == signer.Fingerprint() {
		return Public{}, refuse(ErrFormat, errors.New("a key cannot replace itself"))
	}
	if err := k.Add(next, now); err != nil {
		return Public{}, err
	}
	if old := k.find(signer.Fingerprint()); old != nil && old.State == StateActive {
		until := now.Add(overlap).UTC()
		old.State, old.Until, old.Reason = StateOverlap, &until, "replaced by "+next.Fingerprint()
	}
	return next, nil
}
