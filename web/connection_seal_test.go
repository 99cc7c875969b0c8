package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
)

// sealEnv is a connection A -> AB (a relay) on a node with a sealing identity, and a partner key.
func sealEnv(t *testing.T, rules engine.Rules) (*connEnv, *models.Connection, *models.NodeIdentity, seal.Public) {
	t.Helper()
	e := newConnEnv(t)
	own, err := engine.EnsureSealIdentity(context.Background(), e.db, e.s.sealer, "")
	if err != nil {
		t.Fatal(err)
	}
	partner, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return e, e.connection(t, rules), own, partner.Public()
}

func sealPath(cn *models.Connection) string {
	return "/connections/" + strconv.Itoa(int(cn.ID)) + "/seal"
}

func storedKeyring(t *testing.T, e *connEnv, id uint) (models.Connection, *seal.Keyring) {
	t.Helper()
	var c models.Connection
	if err := e.db.First(&c, id).Error; err != nil {
		t.Fatal(err)
	}
	k, err := engine.SealKeyring(&c)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

// TestConnectionSealSave: the page shows this node's public key; a good partner key with Seal
// ticked seals the connection and trusts the key; the list and the overview then show the
// "sealed" badge with both fingerprints.
func TestConnectionSealSave(t *testing.T) {
	e, cn, own, partner := sealEnv(t, engine.DefaultRules())
	doc := parse(t, e.get(t, sealPath(cn), e.token))
	if got := doc.Find(`[data-testid="seal-own-fingerprint"]`).Text(); got != own.Fingerprint {
		t.Errorf("own fingerprint %q, want %q", got, own.Fingerprint)
	}
	if got := strings.TrimSpace(doc.Find(`[data-testid="seal-own-public"]`).Text()); got != own.Public {
		t.Errorf("own public key %q", got)
	}
	if doc.Find(`[data-testid="seal-form"] input[name="_csrf"]`).Length() != 1 {
		t.Error("the form carries no CSRF token")
	}
	// The overview says it is not sealed and links here.
	ov := parse(t, e.get(t, "/connections/"+strconv.Itoa(int(cn.ID)), e.token))
	if ov.Find(`[data-testid="connection-seal-off"]`).Length() != 1 || ov.Find(`[data-testid="sealed-badge"]`).Length() != 0 {
		t.Error("the overview of an unsealed connection does not say so")
	}
	if href, _ := ov.Find(`[data-testid="connection-seal-link"]`).Attr("href"); href != sealPath(cn) {
		t.Errorf("overview links to %q", href)
	}

	res := e.post(t, sealPath(cn), url.Values{"partners": {"\n  " + partner.String() + "  \n"}, "sealed": {"on"}}, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, bodyString(t, res))
	}
	c, k := storedKeyring(t, e, cn.ID)
	if !c.Sealed || len(k.Keys) != 1 || k.Keys[0].State != seal.StateActive || k.Keys[0].Public.Fingerprint() != partner.Fingerprint() {
		t.Fatalf("stored: sealed %v, keyring %s", c.Sealed, c.SealKeyring)
	}
	doc = parse(t, e.get(t, sealPath(cn), e.token))
	if st, _ := doc.Find(`[data-testid="seal-key"]`).Attr("data-state"); st != seal.StateActive {
		t.Errorf("key state %q", st)
	}
	if _, ok := doc.Find(`[data-testid="seal-sealed"]`).Attr("checked"); !ok {
		t.Error("the Seal box is not ticked after the save")
	}
	for _, page := range []string{"/connections", "/connections/" + strconv.Itoa(int(cn.ID))} {
		d := parse(t, e.get(t, page, e.token))
		if d.Find(`[data-testid="sealed-badge"]`).Length() != 1 {
			t.Errorf("%s: no sealed badge", page)
		}
		fps := squash(d.Find(`[data-testid="sealed-fingerprints"]`).Text())
		if !strings.Contains(fps, own.Fingerprint) || !strings.Contains(fps, partner.Fingerprint()) {
			t.Errorf("%s: fingerprints %q, want %s and %s", page, fps, own.Fingerprint, partner.Fingerprint())
		}
	}
}

// TestConnectionSealRefusals: a bad key, no key, rules a sealed relay cannot carry, a remote
// that is not a relay, and a connection with twins are each a 422 with the reason, the form as
// posted, and nothing stored.
func TestConnectionSealRefusals(t *testing.T) {
	e, cn, _, partner := sealEnv(t, engine.DefaultRules())
	check := func(name string, path string, form url.Values, want string) *goquery.Document {
		t.Helper()
		res := e.post(t, path, form, false)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d, want 422", name, res.StatusCode)
		}
		doc := parse(t, res)
		if got := squash(doc.Find(`[data-testid="seal-error"]`).Text()); !strings.Contains(got, want) {
			t.Errorf("%s: error %q, want %q", name, got, want)
		}
		if got := doc.Find(`[data-testid="seal-partners"]`).Text(); got != form.Get("partners") {
			t.Errorf("%s: the pasted text was not kept: %q", name, got)
		}
		return doc
	}
	bad := partner.String() + "\nairlock-seal-1 not-a-key"
	if d := check("bad key", sealPath(cn), url.Values{"partners": {bad}, "sealed": {"on"}}, "line 2 is not a public key"); d.Find(`[data-testid="seal-key"]`).Length() != 0 {
		t.Error("a refused save lists keys it did not store")
	}
	check("no key", sealPath(cn), url.Values{"partners": {""}, "sealed": {"on"}}, "needs at least one trusted partner key")
	if c, k := storedKeyring(t, e, cn.ID); c.Sealed || len(k.Keys) != 0 {
		t.Fatalf("a refused save stored something: %+v", c)
	}

	rules := engine.DefaultRules()
	rules.Security.Levels = map[string]string{"Internal": "Internal"}
	doc, _ := json.Marshal(rules)
	e.db.Model(&models.Connection{}).Where("id = ?", cn.ID).Update("rules", string(doc))
	check("rules", sealPath(cn), url.Values{"partners": {partner.String()}, "sealed": {"on"}}, "a sealed relay does not carry security levels")
	e.db.Model(&models.Connection{}).Where("id = ?", cn.ID).Update("rules", "")

	// Keys may be added while there are twins; turning sealing on may not.
	lid, rid := "10000", "20000"
	e.db.Create(&models.Twin{ConnectionID: cn.ID, SyncID: "s1", State: models.TwinActive, LocalIssueID: &lid, LocalKey: "ALPHA-1", RemoteIssueID: &rid, RemoteKey: "RELAY-1"})
	if d := check("twins", sealPath(cn), url.Values{"partners": {partner.String()}, "sealed": {"on"}}, "already has 1 twin(s); turning sealing on now would mix"); d.Find(`[data-testid="seal-key"]`).Length() != 0 {
		t.Error("a refused save lists keys it did not store")
	}
	if res := e.post(t, sealPath(cn), url.Values{"partners": {partner.String()}}, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding a key with twins: %d", res.StatusCode)
	}
	if c, k := storedKeyring(t, e, cn.ID); c.Sealed || len(k.Keys) != 1 {
		t.Fatalf("after adding a key: sealed %v, %d keys", c.Sealed, len(k.Keys))
	}

	// A connection whose remote is not a relay cannot be sealed, and says so on the page.
	b := &models.Instance{Name: "B", BaseURL: "http://b.invalid", Role: models.RolePrivate, AuthType: models.AuthBasic, Username: "airlock", MaxConcurrent: 4}
	if err := b.SetSecret(e.s.sealer, "airlock"); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Create(b).Error; err != nil {
		t.Fatal(err)
	}
	priv := &models.Connection{Name: "A to B", LocalInstanceID: e.a.ID, RemoteInstanceID: b.ID, LocalProject: "ALPHA", RemoteProject: "BETA",
		PollIntervalMS: 5000, ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
	if err := e.db.Create(priv).Error; err != nil {
		t.Fatal(err)
	}
	if parse(t, e.get(t, sealPath(priv), e.token)).Find(`[data-testid="seal-not-relay"]`).Length() != 1 {
		t.Error("the page of a non-relay connection does not say it cannot be sealed")
	}
	res := e.post(t, sealPath(priv), url.Values{"partners": {partner.String()}, "sealed": {"on"}}, false)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bodyString(t, res), "does not have the relay role") {
		t.Errorf("sealing a non-relay connection: %d", res.StatusCode)
	}
	if ov := parse(t, e.get(t, "/connections/"+strconv.Itoa(int(priv.ID)), e.token)); ov.Find(`[data-testid="connection-seal"]`).Length() != 0 {
		t.Error("the overview of a non-relay connection shows the sealed relay box")
	}
}

// TestConnectionSealRevoke: Revoke (CSRF, confirm) turns an active key revoked, is audited, and
// the key cannot be pasted again.
func TestConnectionSealRevoke(t *testing.T) {
	e, cn, _, partner := sealEnv(t, engine.DefaultRules())
	if res := e.post(t, sealPath(cn), url.Values{"partners": {partner.String()}, "sealed": {"on"}}, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	doc := parse(t, e.get(t, sealPath(cn), e.token))
	form := doc.Find(`[data-testid="seal-key"] form`)
	if c, _ := form.Attr("data-confirm"); !strings.Contains(c, "Revoke the key "+partner.Fingerprint()) {
		t.Errorf("the revoke form asks %q", c)
	}
	if form.Find(`input[name="_csrf"]`).Length() != 1 {
		t.Error("the revoke form carries no CSRF token")
	}
	// Without the CSRF token the revocation is refused.
	res := e.do(t, req{method: http.MethodPost, path: sealPath(cn) + "/revoke", form: url.Values{"fingerprint": {partner.Fingerprint()}},
		cookies: []*http.Cookie{{Name: sessionCookie, Value: e.token}}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("revoke without CSRF: %d", res.StatusCode)
	}
	res = e.post(t, sealPath(cn)+"/revoke", url.Values{"fingerprint": {partner.Fingerprint()}}, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", res.StatusCode, bodyString(t, res))
	}
	if _, k := storedKeyring(t, e, cn.ID); k.Keys[0].State != seal.StateRevoked || len(k.Trusted(k.Keys[0].Added)) != 0 {
		t.Fatalf("after revoke: %+v", k.Keys)
	}
	doc = parse(t, e.get(t, sealPath(cn), e.token))
	if st, _ := doc.Find(`[data-testid="seal-key"]`).Attr("data-state"); st != seal.StateRevoked {
		t.Errorf("page shows state %q", st)
	}
	if doc.Find(`[data-testid="seal-revoke"]`).Length() != 0 {
		t.Error("a revoked key still has a Revoke button")
	}
	var n int64
	e.db.Model(&models.AuditEntry{}).Where("route = ? AND status = ?", RouteConnectionSealRevoke, http.StatusSeeOther).Count(&n)
	if n != 1 {
		t.Errorf("%d audit entries for the revocation, want 1", n)
	}
	res = e.post(t, sealPath(cn), url.Values{"partners": {partner.String()}}, false)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bodyString(t, res), "was revoked and cannot be trusted again") {
		t.Errorf("pasting a revoked key again: %d", res.StatusCode)
	}
	res = e.post(t, sealPath(cn)+"/revoke", url.Values{"fingerprint": {"NOPE-NOPE"}}, false)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("revoking an unknown key: %d", res.StatusCode)
	}
}

// TestTwinPageMarksSealedRelay: on a sealed connection the relay side of the twin page carries
// the "sealed" badge and says what the values are.
func TestTwinPageMarksSealedRelay(t *testing.T) {
	e, cn, own, _ := sealEnv(t, engine.DefaultRules())
	lid, rid := "10000", "20000"
	tw := &models.Twin{ConnectionID: cn.ID, SyncID: "s1", State: models.TwinActive, LocalIssueID: &lid, LocalKey: "ALPHA-1", RemoteIssueID: &rid, RemoteKey: "RELAY-1"}
	if err := e.db.Create(tw).Error; err != nil {
		t.Fatal(err)
	}
	path := e.s.twinURL(tw.ID)
	if parse(t, e.get(t, path, e.token)).Find(`[data-testid="twin-remote-sealed"]`).Length() != 0 {
		t.Error("a plaintext twin is marked sealed")
	}
	pub, err := seal.ParsePublic(own.Public)
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.SealConnection(context.Background(), e.db, cn.ID, pub); err != nil {
		t.Fatal(err)
	}
	doc := parse(t, e.get(t, path, e.token))
	if doc.Find(`[data-testid="twin-remote-sealed"]`).Length() != 1 || doc.Find(`[data-testid="twin-local-sealed"]`).Length() != 0 {
		t.Error("the relay side is not (or not only) marked sealed")
	}
	if got := squash(doc.Find(`[data-testid="twin-remote-sealed-note"]`).Text()); got != "AB holds only ciphertext; the values shown are what this node decrypted." {
		t.Errorf("note %q", got)
	}
}

// TestSealIdentityRotation: Settings lists the identities and leads to the rotation; rotating
// makes a new current identity and lists the old one as previous.
func TestSealIdentityRotation(t *testing.T) {
	e, _, own, _ := sealEnv(t, engine.DefaultRules())
	doc := parse(t, e.get(t, "/settings", e.token))
	href, _ := doc.Find(`[data-testid="seal-rotate-link"]`).Attr("href")
	if href != "/settings/seal/rotate" {
		t.Fatalf("rotate link %q", href)
	}
	confirm := parse(t, e.get(t, href, e.token))
	if confirm.Find(`[data-testid="seal-rotate-confirm"] input[name="_csrf"]`).Length() != 1 || !strings.Contains(confirm.Text(), own.Fingerprint) {
		t.Error("the confirmation page lacks the CSRF token or the current fingerprint")
	}
	res := e.post(t, href, nil, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d %s", res.StatusCode, bodyString(t, res))
	}
	cur, _ := e.db.CurrentIdentity(context.Background())
	if cur == nil || cur.Fingerprint == own.Fingerprint {
		t.Fatalf("current identity %+v after the rotation", cur)
	}
	doc = parse(t, e.get(t, "/settings", e.token))
	if got := doc.Find(`[data-testid="seal-fingerprint"]`).Text(); got != cur.Fingerprint {
		t.Errorf("settings shows %q, want the new %q", got, cur.Fingerprint)
	}
	prev := doc.Find(`[data-testid="seal-identity"][data-state="previous"]`)
	if prev.Length() != 1 || !strings.Contains(prev.Text(), own.Fingerprint) {
		t.Errorf("previous identities: %q", squash(prev.Text()))
	}
	if n, err := engine.RetireSealIdentities(context.Background(), e.db, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("retire: %d, %v", n, err)
	}
	doc = parse(t, e.get(t, "/settings", e.token))
	if doc.Find(`[data-testid="seal-identity"][data-state="retired"]`).Length() != 1 {
		t.Error("the retired identity is not listed")
	}
}
