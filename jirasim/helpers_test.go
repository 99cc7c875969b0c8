package jirasim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// tsim starts instance A with context path /jira and instance B without one.
func tsim(t testing.TB) (*Sim, *Instance) {
	t.Helper()
	s, err := New(Options{Name: "A", ContextPath: "/jira", Knobs: StillWorld()}, Options{Name: "B", Knobs: StillWorld()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, s.Instance("A")
}

type resp struct {
	status int
	header http.Header
	raw    []byte
}

func (r resp) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		t.Fatalf("decode %q: %v", r.raw, err)
	}
	return m
}

func (r resp) arr(t testing.TB) []any {
	t.Helper()
	var a []any
	if err := json.Unmarshal(r.raw, &a); err != nil {
		t.Fatalf("decode %q: %v", r.raw, err)
	}
	return a
}

// call sends a request as user ("" = anonymous; "pat:TOKEN" = bearer; "name:pw" or "name").
func call(t testing.TB, inst *Instance, method, path, user string, body any) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, inst.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	setAuth(req, user)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, raw: raw}
}

func setAuth(req *http.Request, user string) {
	switch {
	case user == "":
	case strings.HasPrefix(user, "pat:"):
		req.Header.Set("Authorization", "Bearer "+strings.TrimPrefix(user, "pat:"))
	default:
		name, pw, ok := strings.Cut(user, ":")
		if !ok {
			pw = name
		}
		req.SetBasicAuth(name, pw)
	}
}

func mustStatus(t testing.TB, r resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.raw)
	}
}

// createIssue creates a Task in the instance's project and returns its key.
func createIssue(t testing.TB, inst *Instance, fields map[string]any) (id, key string) {
	t.Helper()
	f := map[string]any{"project": map[string]string{"key": inst.ProjectKey()}, "issuetype": map[string]string{"name": "Task"}, "summary": "hello"}
	for k, v := range fields {
		f[k] = v
	}
	r := call(t, inst, "POST", "/rest/api/2/issue", "airlock", map[string]any{"fields": f})
	mustStatus(t, r, 201)
	m := r.obj(t)
	return m["id"].(string), m["key"].(string)
}

func dig(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}
