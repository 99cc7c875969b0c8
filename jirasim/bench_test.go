package jirasim

import (
	"io"
	"net/http"
	"net/url"
	"testing"
)

func benchGet(b *testing.B, path string) {
	s, err := New(Options{Name: "A", ContextPath: "/jira"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	a := s.Instance("A")
	for range 20 {
		createIssue(b, a, map[string]any{"labels": []string{"x"}, "description": "some text"})
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	target := a.URL() + path
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", target, nil)
			req.SetBasicAuth("airlock", "airlock")
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkGetIssue measures GET /issue/{key} with parallel HTTP clients (target: >= 5000 req/s).
func BenchmarkGetIssue(b *testing.B) { benchGet(b, "/rest/api/2/issue/ALPHA-7") }

// BenchmarkServerInfo measures the cheapest authenticated call.
func BenchmarkServerInfo(b *testing.B) { benchGet(b, "/rest/api/2/serverInfo") }

// BenchmarkSearch measures a 20-issue JQL search with a short field list.
func BenchmarkSearch(b *testing.B) {
	benchGet(b, "/rest/api/2/search?fields=summary,updated&jql="+url.QueryEscape("project = ALPHA ORDER BY updated ASC, key ASC"))
}
