package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"filippo.io/age"
)

// Format is the envelope format version this package writes and reads.
const Format = 1

// PadTo is the block payloads are padded to before encryption.
const PadTo = 256

// Kinds of sealed items.
const (
	KindState      = "state"      // the shared fields of one issue
	KindComment    = "comment"    // one comment
	KindWorklog    = "worklog"    // one worklog
	KindAttachment = "attachment" // the metadata (name, size, hash) of one sealed file
	KindRotate     = "rotate"     // a new identity, announced by the old one
)

// Envelope is one sealed item as the relay stores it (JSON). Only the header is readable:
// format, kind, the item's opaque id, its sequence number and the signer's fingerprint.
type Envelope struct {
	V    int    `json:"v"`
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Seq  uint64 `json:"seq"`
	From string `json:"from"`
	CT   []byte `json:"ct"`
	Sig  []byte `json:"sig"`
}

// Error is why an envelope was refused, in words for the twin's data error.
type Error struct {
	Reason string // e.g. "not signed by a key this node trusts"
	Err    error  // the cause, where there is one
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "sealed envelope refused: " + e.Reason + ": " + e.Err.Error()
	}
	return "sealed envelope refused: " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// The reasons Open refuses an envelope (compare with errors.Is).
var (
	ErrUnknownSigner = errors.New("not signed by a key this node trusts")
	ErrBadSignature  = errors.New("the signature does not match: the envelope was altered or forged")
	ErrUndecryptable = errors.New("this node's identity cannot decrypt it")
	ErrFormat        = errors.New("not an envelope this version reads")
	ErrReplay        = errors.New("older than the version already accepted (a replay or a withheld update)")
)

func refuse(reason error, cause error) error {
	return &Error{Reason: reason.Error(), Err: errors.Join(reason, cause)}
}

// signed is the byte string the signature covers: the header and the ciphertext's hash, so no
// part of an envelope can be swapped with another's.
func (e *Envelope) signed() []byte {
	h := sha256.Sum256(e.CT)
	var b bytes.Buffer
	b.WriteString("airlock-seal-envelope\n")
	for _, s := range []string{strconv.Itoa(e.V), e.Kind, e.ID, strconv.FormatUint(e.Seq, 10), e.From} {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.Write(h[:])
	return b.Bytes()
}

// Seal encrypts payload to every recipient (both nodes: the writer must read its own writes)
// and signs the envelope with the identity.
func Seal(from *Identity, to []Public, kind, id string, seq uint64, payload []byte) (*Envelope, error) {
	if len(to) == 0 {
		return nil, errors.New("seal: no recipients")
	}
	rs := make([]age.Recipient, 0, len(to))
	for _, p := range to {
		r, err := p.recipient()
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, rs...)
	if err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	if _, err := w.Write(pad(payload)); err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	e := &Envelope{V: Format, Kind: kind, ID: id, Seq: seq, From: from.Public().Fingerprint(), CT: ct.Bytes()}
	e.Sig = ed25519.Sign(from.sign, e.signed())
	return e, nil
}

// Open checks that the envelope is signed by one of the trusted keys, then decrypts it with the
// node's identities (the current one, and during a rotation the previous ones). It returns the
// payload and the signer.
func Open(e *Envelope, trusted []Public, self ...*Identity) ([]byte, Public, error) {
	if e == nil || e.V != Format {
		return nil, Public{}, refuse(ErrFormat, nil)
	}
	var signer *Public
	for i := range trusted {
		if trusted[i].Fingerprint() == e.From {
			signer = &trusted[i]
			break
		}
	}
	if signer == nil {
		return nil, Public{}, refuse(ErrUnknownSigner, fmt.Errorf("signer %s", e.From))
	}
	vk, err := signer.verifyKey()
	if err != nil {
		return nil, Public{}, err
	}
	if !ed25519.Verify(vk, e.signed(), e.Sig) {
		return nil, Public{}, refuse(ErrBadSignature, nil)
	}
	ids := make([]age.Identity, 0, len(self))
	for _, id := range self {
		ids = append(ids, id.box)
	}
	if len(ids) == 0 {
		return nil, Public{}, refuse(ErrUndecryptable, errors.New("no identity"))
	}
	r, err := age.Decrypt(bytes.NewReader(e.CT), ids...)
	if err != nil {
		return nil, Public{}, refuse(ErrUndecryptable, err)
	}
	padded, err := io.ReadAll(r)
	if err != nil {
		return nil, Public{}, refuse(ErrUndecryptable, err)
	}
	payload, err := unpad(padded)
	if err != nil {
		return nil, Public{}, refuse(ErrFormat, err)
	}
	return payload, *signer, nil
}

// CheckSeq refuses an envelope older than the last one accepted for the same item (equal is the
// same version, read again).
func CheckSeq(e *Envelope, accepted uint64) error {
	if e.Seq < accepted {
		return refuse(ErrReplay, fmt.Errorf("version %d, already accepted %d", e.Seq, accepted))
	}
	return nil
}

// Marshal and Unmarshal give the JSON text of an envelope (what an issue property or an issue
// description holds).
func (e *Envelope) Marshal() ([]byte, error) { return json.Marshal(e) }

// Unmarshal reads an envelope's JSON text.
func Unmarshal(b []byte) (*Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, refuse(ErrFormat, err)
	}
	return &e, nil
}

// pad frames the payload with its length and pads it to a multiple of PadTo.
func pad(p []byte) []byte {
	n := 4 + len(p)
	out := make([]byte, (n+PadTo-1)/PadTo*PadTo)
	binary.BigEndian.PutUint32(out, uint32(len(p)))
	copy(out[4:], p)
	return out
}

func unpad(b []byte) ([]byte, error) {
	if len(b) < 4 {
		return nil, errors.New("payload too short")
	}
	n := binary.BigEndian.Uint32(b)
	if int64(n) > int64(len(b)-4) {
		return nil, errors.New("payload length out of range")
	}
	return b[4 : 4+n], nil
}
