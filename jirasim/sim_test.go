package jirasim

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestConcurrentUse(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, nil)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gt := goroutineT{t}
			for n := range 10 {
				var r resp
				want := 200
				switch g % 4 {
				case 0:
					r, want = call(gt, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{"summary": fmt.Sprint(g, n)}}), 204
				case 1:
					r = call(gt, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape("project = ALPHA"), "airlock", nil)
				case 2:
					r, want = call(gt, a, "POST", "/rest/api/2/issue/"+key+"/comment", "alice", map[string]any{"body": "c"}), 201
				default:
					a.Knobs().SetIndexLag(time.Duration(n) * time.Millisecond)
					r = call(gt, a, "GET", "/rest/api/2/issue/"+key+"?expand=changelog", "bob", nil)
				}
				if r.status != want {
					t.Errorf("goroutine %d call %d: status %d, want %d: %s", g, n, r.status, want, r.raw)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(call(t, a, "GET", "/rest/api/2/issue/"+key+"/comment", "airlock", nil).obj(t)["comments"].([]any)); n != 10 {
		t.Errorf("%d comments, want 10", n)
	}
}

func TestHandlerMountedAndServe(t *testing.T) {
	inst, err := NewInstance(Options{Name: "AB", ContextPath: "/jira", TimeZone: "Asia/Kolkata"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(inst.Handler())
	defer srv.Close()
	inst.base = srv.URL + "/jira" // what a mounting caller would pass as BaseURL
	m := call(t, inst, "GET", "/rest/api/2/serverInfo", "", nil).obj(t)
	if m["baseUrl"] != srv.URL+"/jira" {
		t.Errorf("baseUrl %v", m["baseUrl"])
	}
	_, key := createIssue(t, inst, nil)
	if key != "RELAY-1" {
		t.Errorf("key %s", key)
	}
	created := dig(call(t, inst, "GET", "/rest/api/2/issue/"+key, "admin", nil).obj(t), "fields", "created").(string)
	if created[len(created)-5:] != "+0530" {
		t.Errorf("created %s not in the instance zone", created)
	}
	if _, err := NewInstance(Options{Name: "X", TimeZone: "Nowhere/City"}); err == nil {
		t.Error("bad zone accepted")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, map[string]string{"A": "127.0.0.1:0"}, Options{Name: "A"}) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if err := Serve(context.Background(), map[string]string{}, Options{Name: "A"}); err == nil {
		t.Error("Serve without an address should fail")
	}
}

// goroutineT lets helpers that call Fatal run outside the test's goroutine: Fatal records the
// failure with Error (safe from any goroutine) and ends only that goroutine.
type goroutineT struct{ testing.TB }

func (g goroutineT) Fatal(args ...any) { g.Error(args...); runtime.Goexit() }
func (g goroutineT) Fatalf(format string, args ...any) {
	g.Errorf(format, args...)
	runtime.Goexit()
}
