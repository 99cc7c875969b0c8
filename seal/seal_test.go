package seal

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func mustGen(t *testing.T) *Identity {
	t.Helper()
	id, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestIdentityAndPublicRoundTrip(t *testing.T) {
	id := mustGen(t)
	back, err := ParseIdentity(id.String())
	if err != nil {
		t.Fatal(err)
	}
	if back.Public() != id.Public() {
		t.Fatal("identity text form does not round-trip")
	}
	pub := id.Public()
	if !strings.HasPrefix(pub.Recipient, "age1pq1") {
		t.Errorf("recipient %.20s... is not an age post-quantum hybrid recipient", pub.Recipient)
	}
	p2, err := ParsePublic("  " + pub.String() + "\n")
	if err != nil || p2 != pub {
		t.Fatalf("public round trip: %v", err)
	}
	if !regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`).MatchString(pub.Fingerprint()) {
		t.Errorf("fingerprint %q is not four groups of four", pub.Fingerprint())
	}
	if mustGen(t).Public().Fingerprint() == pub.Fingerprint() {
		t.Error("two identities share a fingerprint")
	}
	if strings.Contains(pub.String(), "AGE-SECRET") || strings.Contains(pub.String(), id.String()[len(identityPrefix)+1:][:30]) {
		t.Error("the public form carries secret material")
	}
	for _, bad := range []string{"", "airlock-seal-1 age1xyz abc", "AIRLOCK-SEAL-IDENTITY-1 nope nope"} {
		if _, err := ParsePublic(bad); err == nil {
			t.Errorf("ParsePublic(%q) accepted", bad)
		}
		if _, err := ParseIdentity(bad); err == nil {
			t.Errorf("ParseIdentity(%q) accepted", bad)
		}
	}
}

func TestSealOpenBetweenTwoNodes(t *testing.T) {
	a, b, mallory := mustGen(t), mustGen(t), mustGen(t)
	both := []Public{a.Public(), b.Public()}
	payload := []byte(`{"summary":"the secret plan"}`)
	e, err := Seal(a, both, KindState, "op-1", 3, payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := e.Marshal()
	if bytes.Contains(raw, []byte("secret plan")) {
		t.Fatal("plaintext in the envelope")
	}
	e2, err := Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, self := range map[string]*Identity{"B": b, "A (its own write)": a} {
		got, signer, err := Open(e2, []Public{a.Public()}, self)
		if err != nil || !bytes.Equal(got, payload) || signer != a.Public() {
			t.Errorf("%s cannot open: %v %q", name, err, got)
		}
	}
	if _, _, err := Open(e2, []Public{a.Public()}, mallory); !errors.Is(err, ErrUndecryptable) {
		t.Errorf("a third identity opened it: %v", err)
	}
	if _, _, err := Open(e2, []Public{b.Public()}, b); !errors.Is(err, ErrUnknownSigner) {
		t.Errorf("accepted from an untrusted signer: %v", err)
	}
	// Mallory can encrypt to A and B, but cannot sign as A.
	forged, _ := Seal(mallory, both, KindState, "op-1", 4, []byte(`{"summary":"forged"}`))
	forged.From = a.Public().Fingerprint()
	if _, _, err := Open(forged, []Public{a.Public()}, b); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a forged envelope was accepted: %v", err)
	}
	// Any change to the header or the ciphertext breaks the signature.
	for name, mutate := range map[string]func(*Envelope){
		"seq":  func(x *Envelope) { x.Seq = 9 },
		"id":   func(x *Envelope) { x.ID = "op-2" },
		"kind": func(x *Envelope) { x.Kind = KindComment },
		"ct":   func(x *Envelope) { x.CT = append([]byte(nil), x.CT...); x.CT[len(x.CT)-1] ^= 1 },
	} {
		x := *e
		mutate(&x)
		if _, _, err := Open(&x, []Public{a.Public()}, b); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s altered: %v", name, err)
		}
	}
	if err := CheckSeq(e, 4); !errors.Is(err, ErrReplay) {
		t.Errorf("an older envelope passed the sequence check: %v", err)
	}
	if err := CheckSeq(e, 3); err != nil {
		t.Errorf("the same version refused: %v", err)
	}
	var se *Error
	if _, _, err := Open(forged, []Public{a.Public()}, b); !errors.As(err, &se) || !strings.Contains(err.Error(), "altered or forged") {
		t.Errorf("the refusal does not say why in words: %v", err)
	}
}

func TestPaddingHidesLength(t *testing.T) {
	a := mustGen(t)
	short, _ := Seal(a, []Public{a.Public()}, KindComment, "c", 1, []byte("ok"))
	long, _ := Seal(a, []Public{a.Public()}, KindComment, "c", 1, bytes.Repeat([]byte("x"), PadTo-10))
	if len(short.CT) != len(long.CT) {
		t.Errorf("ciphertexts of 2 and %d bytes differ in length: %d vs %d", PadTo-10, len(short.CT), len(long.CT))
	}
	longer, _ := Seal(a, []Public{a.Public()}, KindComment, "c", 1, bytes.Repeat([]byte("x"), PadTo))
	if len(longer.CT) <= len(long.CT) {
		t.Error("padding does not grow by blocks")
	}
	got, _, err := Open(longer, []Public{a.Public()}, a)
	if err != nil || len(got) != PadTo {
		t.Errorf("unpadded %d bytes: %v", len(got), err)
	}
}

func TestSealedFile(t *testing.T) {
	a, b := mustGen(t), mustGen(t)
	data := bytes.Repeat([]byte("attachment bytes "), 10000)
	var sealed bytes.Buffer
	sum, n, err := SealFile(&sealed, bytes.NewReader(data), []Public{a.Public(), b.Public()})
	if err != nil || n != int64(sealed.Len()) {
		t.Fatal(err, n)
	}
	if bytes.Contains(sealed.Bytes(), []byte("attachment bytes")) {
		t.Fatal("plaintext in the sealed file")
	}
	var out bytes.Buffer
	if err := OpenFile(&out, bytes.NewReader(sealed.Bytes()), sum, b); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("open file: %v", err)
	}
	bad := append([]byte(nil), sealed.Bytes()...)
	bad[len(bad)/2] ^= 1
	out.Reset()
	if err := OpenFile(&out, bytes.NewReader(bad), sum, b); !errors.Is(err, ErrBadSignature) || out.Len() != 0 {
		t.Errorf("a tampered file: %v, %d bytes written", err, out.Len())
	}
}

func TestKeyRotationAndRevocation(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	a1, a2, b := mustGen(t), mustGen(t), mustGen(t)
	var ring Keyring // B's keyring of A's keys
	if err := ring.Add(a1.Public(), now); err != nil {
		t.Fatal(err)
	}
	ann, err := Announce(a1, []Public{b.Public(), a1.Public()}, a2.Public(), 1)
	if err != nil {
		t.Fatal(err)
	}
	next, err := ring.AcceptRotation(ann, now, time.Hour, b)
	if err != nil || next != a2.Public() {
		t.Fatalf("rotation: %v", err)
	}
	fps := func(ps []Public) (out []string) {
		for _, p := range ps {
			out = append(out, p.Fingerprint())
		}
		return out
	}
	if got := fps(ring.Trusted(now.Add(30 * time.Minute))); len(got) != 2 {
		t.Errorf("during the overlap trusted %v, want both keys", got)
	}
	if ring.Retire(now.Add(2 * time.Hour)); len(ring.Trusted(now.Add(2*time.Hour))) != 1 {
		t.Error("the old key is still trusted after its overlap")
	}
	old, _ := Seal(a1, []Public{b.Public()}, KindState, "x", 5, []byte("late"))
	if _, _, err := Open(old, ring.Trusted(now.Add(2*time.Hour)), b); !errors.Is(err, ErrUnknownSigner) {
		t.Errorf("a retired key's envelope was accepted: %v", err)
	}
	// A forged announcement (signed by a stranger) is refused.
	m := mustGen(t)
	fake, _ := Announce(m, []Public{b.Public()}, m.Public(), 2)
	if _, err := ring.AcceptRotation(fake, now, time.Hour, b); err == nil {
		t.Error("a stranger's rotation was accepted")
	}
	// Revocation takes effect at once, and a revoked key cannot come back.
	if err := ring.Revoke(a2.Public().Fingerprint(), now, "laptop stolen"); err != nil {
		t.Fatal(err)
	}
	if len(ring.Trusted(now)) != 0 {
		t.Error("a revoked key is trusted")
	}
	if err := ring.Add(a2.Public(), now); err == nil {
		t.Error("a revoked key was trusted again")
	}
}
