package seal

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// identityPrefix and publicPrefix start the text forms of an Identity and a Public.
const (
	identityPrefix = "AIRLOCK-SEAL-IDENTITY-1"
	publicPrefix   = "airlock-seal-1"
)

// Identity is a node's secret sealing key pair. Its text form (String) is a secret: store it
// encrypted at rest and never log it.
type Identity struct {
	box  *age.HybridIdentity
	sign ed25519.PrivateKey
}

// Generate makes a new identity.
func Generate() (*Identity, error) {
	box, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, fmt.Errorf("seal: generate encryption key: %w", err)
	}
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal: generate signing key: %w", err)
	}
	return &Identity{box: box, sign: sign}, nil
}

// ParseIdentity reads the text form made by Identity.String (AIRLOCK_SEAL_IDENTITY).
func ParseIdentity(s string) (*Identity, error) {
	f := strings.Fields(s)
	if len(f) != 3 || f[0] != identityPrefix {
		return nil, errors.New("seal: not an Airlock sealing identity (want " + identityPrefix + " followed by two keys)")
	}
	box, err := age.ParseHybridIdentity(f[1])
	if err != nil {
		return nil, fmt.Errorf("seal: the encryption key of the identity: %w", err)
	}
	seed, err := base64.RawStdEncoding.DecodeString(f[2])
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("seal: the signing key of the identity is not a base64 Ed25519 seed")
	}
	return &Identity{box: box, sign: ed25519.NewKeyFromSeed(seed)}, nil
}

// String is the secret text form: the prefix, the age identity and the Ed25519 seed.
func (id *Identity) String() string {
	return identityPrefix + " " + id.box.String() + " " + base64.RawStdEncoding.EncodeToString(id.sign.Seed())
}

// Public returns the half of the identity a partner needs.
func (id *Identity) Public() Public {
	return Public{Recipient: id.box.Recipient().String(), SignKey: base64.RawStdEncoding.EncodeToString(id.sign.Public().(ed25519.PublicKey))}
}

// Public is a node's public sealing keys: the age hybrid recipient envelopes are encrypted to,
// and the Ed25519 key its envelopes are signed with.
type Public struct {
	Recipient string // age1pq1...
	SignKey   string // base64 (no padding) of the Ed25519 public key
}

// ParsePublic reads the one-line text form made by Public.String, as an admin pastes it.
func ParsePublic(s string) (Public, error) {
	f := strings.Fields(s)
	if len(f) != 3 || f[0] != publicPrefix {
		return Public{}, errors.New("seal: not an Airlock public key (want a line starting with " + publicPrefix + ")")
	}
	p := Public{Recipient: f[1], SignKey: f[2]}
	if _, err := p.recipient(); err != nil {
		return Public{}, err
	}
	if _, err := p.verifyKey(); err != nil {
		return Public{}, err
	}
	return p, nil
}

// String is the one-line text form to hand to the partner.
func (p Public) String() string { return publicPrefix + " " + p.Recipient + " " + p.SignKey }

// Fingerprint is a short, readable digest of both public keys (16 characters of base32 in four
// groups, 80 bits), to compare over the phone before trusting a pasted key.
func (p Public) Fingerprint() string {
	sum := sha256.Sum256([]byte(publicPrefix + "\n" + p.Recipient + "\n" + p.SignKey))
	s := base32.StdEncoding.EncodeToString(sum[:10])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

func (p Public) recipient() (*age.HybridRecipient, error) {
	r, err := age.ParseHybridRecipient(p.Recipient)
	if err != nil {
		return nil, fmt.Errorf("seal: the encryption key is not an age post-quantum (hybrid) recipient: %w", err)
	}
	return r, nil
}

func (p Public) verifyKey() (ed25519.PublicKey, error) {
	b, err := base64.RawStdEncoding.DecodeString(p.SignKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("seal: the signing key is not a base64 Ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}
