package web

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// A console page that reads Jira metadata from a Jira that stops answering mid-body gives up
// after AIRLOCK_CONSOLE_JIRA_TIMEOUT and says so, naming the instance and the endpoint, instead
// of holding the request open.
func TestConsoleJiraDeadline(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("["))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer stall.Close()
	if err := e.db.Model(&models.Instance{}).Where("id = ?", e.a.ID).Update("base_url", stall.URL).Error; err != nil {
		t.Fatal(err)
	}
	e.s.cfg.ConsoleJiraTimeout = time.Second
	start := time.Now()
	res := e.get(t, "/connections/"+strconv.Itoa(int(cn.ID))+"/scope", e.token)
	took := time.Since(start)
	body := bodyString(t, res)
	if took > 5*time.Second {
		t.Errorf("the scope page took %s with a stalled Jira, want about 1s", took)
	}
	for _, want := range []string{"jira A: GET /rest/api/2/project", "answer too slow", "AIRLOCK_CONSOLE_JIRA_TIMEOUT"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
}
