package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// sealVersion prefixes every sealed value, so a later key rotation can tell formats apart.
const sealVersion byte = 1

// Sealer encrypts credentials at rest with AES-256-GCM under AIRLOCK_SECRET_KEY.
type Sealer struct {
	aead cipher.AEAD
	prk  []byte // HKDF pseudo-random key of AIRLOCK_SECRET_KEY, for DeriveKey
}

// NewSealer builds a Sealer from a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, key, []byte("airlock derived keys"))
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, prk: prk}, nil
}

// DeriveKey returns a 32-byte key for one purpose (label), derived from AIRLOCK_SECRET_KEY with
// HKDF-SHA256: other uses of the secret (the field digests in Jira, for instance) never see it.
func (s *Sealer) DeriveKey(label string) []byte {
	k, err := hkdf.Expand(sha256.New, s.prk, label, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce; 32 always fits
	}
	return k
}

// Seal encrypts plaintext; aad binds the ciphertext to its owner (for example "instance:3"), so a
// sealed value copied to another row does not open.
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plaintext, aad), nil
}

// ErrSealed is returned when a sealed value cannot be opened (wrong key or tampering).
var ErrSealed = errors.New("cannot decrypt the stored secret: wrong AIRLOCK_SECRET_KEY or damaged value")

// Open decrypts a value sealed with the same aad.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrSealed
	}
	pt, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], aad)
	if err != nil {
		return nil, ErrSealed
	}
	return pt, nil
}

func instanceAAD(name string) []byte { return []byte("airlock:instance:" + name) }

// SetSecret stores the instance's password or token, sealed. The name binds it to the row.
func (i *Instance) SetSecret(s *Sealer, secret string) error {
	sealed, err := s.Seal([]byte(secret), instanceAAD(i.Name))
	if err != nil {
		return fmt.Errorf("seal secret of %s: %w", i.Name, err)
	}
	i.SecretEnc = sealed
	return nil
}

// Secret opens the instance's stored password or token.
func (i *Instance) Secret(s *Sealer) (string, error) {
	if len(i.SecretEnc) == 0 {
		return "", nil
	}
	pt, err := s.Open(i.SecretEnc, instanceAAD(i.Name))
	if err != nil {
		return "", fmt.Errorf("instance %s: %w", i.Name, err)
	}
	return string(pt), nil
}
