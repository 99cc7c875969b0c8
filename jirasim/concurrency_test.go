package jirasim

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestMaxConcurrentQueuesAndRecords(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		limit, calls         int
		wantActive, wantWait int
	}{
		{"capped", 2, 6, 2, 4},
		{"uncapped", 0, 4, 4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := New(Options{Name: "A"})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			in := sim.Instance("A")
			in.Knobs().SetLatency(60 * time.Millisecond)
			in.Knobs().SetMaxConcurrent(tc.limit)
			in.Knobs().ResetConcurrencyStats()
			var wg sync.WaitGroup
			start := time.Now()
			for range tc.calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequest(http.MethodGet, in.URL()+"/rest/api/2/serverInfo", nil)
					req.SetBasicAuth("admin", "admin")
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						t.Errorf("status %d", res.StatusCode)
					}
				}()
			}
			wg.Wait()
			st := in.Knobs().ConcurrencyStats()
			if st.MaxActive != tc.wantActive || st.MaxInFlight != tc.calls || st.Queued != int64(tc.wantWait) || st.Limit != tc.limit {
				t.Errorf("stats = %+v, want active %d, in flight %d, queued %d", st, tc.wantActive, tc.calls, tc.wantWait)
			}
			if tc.limit > 0 {
				if min := time.Duration((tc.calls+tc.limit-1)/tc.limit) * 60 * time.Millisecond; time.Since(start) < min {
					t.Errorf("%d calls under a cap of %d took %s, want at least %s", tc.calls, tc.limit, time.Since(start), min)
				}
			}
		})
	}
}
