package jirasim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// serveAdmin answers the test harness at {base}/__sim/... (no Jira auth, JSON):
//
//	GET  /__sim/knobs            current KnobSettings
//	PUT  /__sim/knobs            replace KnobSettings (POST merges: only the keys sent change)
//	GET  /__sim/clock            {"now","frozen"}
//	POST /__sim/clock            {"set":"2024-01-02T03:04:05Z"} | {"advance":"90s"} | {"real":true}
//	POST /__sim/captcha/reset    {"username":"airlock"} ("" or no body = everyone)
//	GET  /__sim/captcha?username=airlock   {"captcha":true|false}
//	POST /__sim/reset            restore the seed, knobs off
//	GET  /__sim/log              {"entries":[...],"counts":{...}}
//	DELETE /__sim/log            clear the log
//	POST /__sim/users            SeedUser JSON: create a user
//	POST /__sim/projects         SeedProject JSON: create a project
//	POST /__sim/tokens           {"username","token"}: add a Personal Access Token
//	POST /__sim/timezone         {"username","timeZone"}: set a user's profile zone
//	POST /__sim/screens          {"project","create":[...],"edit":[...]}: set a project's screens
//	POST /__sim/move-subtask     {"subtask","parent","username"}: the web UI's "Change parent"
func (i *Instance) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, i.cp+"/__sim"), "/")
	bad := func(err error) { writeJSON(w, http.StatusBadRequest, errBody(err.Error())) }
	decode := func(v any) bool {
		if r.ContentLength == 0 {
			return true
		}
		if err := json.NewDecoder(r.Body).Decode(v); err != nil {
			bad(err)
			return false
		}
		return true
	}
	ok := func() { writeJSON(w, http.StatusOK, map[string]bool{"ok": true}) }
	switch r.Method + " " + path {
	case "GET /knobs":
		writeJSON(w, http.StatusOK, i.knobs.Get())
	case "PUT /knobs", "POST /knobs":
		s := KnobSettings{}
		if r.Method == http.MethodPost {
			s = i.knobs.Get()
		}
		if !decode(&s) {
			return
		}
		old := i.knobs.Get().RateLimit
		i.knobs.Set(s)
		if s.RateLimit != old {
			i.knobs.SetRateLimit(s.RateLimit)
		}
		writeJSON(w, http.StatusOK, i.knobs.Get())
	case "GET /clock":
		writeJSON(w, http.StatusOK, i.knobs.clockView())
	case "POST /clock":
		var cv clockView
		if !decode(&cv) {
			return
		}
		if cv.Real {
			i.knobs.RealClock()
		}
		if cv.Set != "" {
			t, err := parseAnyTime(cv.Set)
			if err != nil {
				bad(err)
				return
			}
			i.knobs.SetClock(t)
		}
		if cv.Advance != 0 {
			i.knobs.AdvanceClock(time.Duration(cv.Advance))
		}
		writeJSON(w, http.StatusOK, i.knobs.clockView())
	case "POST /captcha/reset":
		var in struct {
			Username string `json:"username"`
		}
		if !decode(&in) {
			return
		}
		i.knobs.ResetCaptcha(in.Username)
		ok()
	case "GET /captcha":
		writeJSON(w, http.StatusOK, map[string]bool{"captcha": i.knobs.CaptchaActive(r.URL.Query().Get("username"))})
	case "POST /reset":
		if err := i.Reset(); err != nil {
			writeJSON(w, http.StatusInternalServerError, errBody(err.Error()))
			return
		}
		ok()
	case "GET /log":
		writeJSON(w, http.StatusOK, map[string]any{"entries": i.log.Entries(), "counts": i.log.Counts()})
	case "DELETE /log":
		i.log.Clear()
		ok()
	case "POST /users":
		var su SeedUser
		if !decode(&su) {
			return
		}
		if err := i.CreateUser(su); err != nil {
			bad(err)
			return
		}
		ok()
	case "POST /projects":
		var sp SeedProject
		if !decode(&sp) {
			return
		}
		if _, err := i.CreateProject(sp); err != nil {
			bad(err)
			return
		}
		ok()
	case "POST /tokens":
		var in struct{ Username, Token string }
		if !decode(&in) {
			return
		}
		if err := i.AddToken(in.Username, in.Token); err != nil {
			bad(err)
			return
		}
		ok()
	case "POST /timezone":
		var in struct{ Username, TimeZone string }
		if !decode(&in) {
			return
		}
		if err := i.SetUserTimeZone(in.Username, in.TimeZone); err != nil {
			bad(err)
			return
		}
		ok()
	case "POST /screens":
		var in struct {
			Project      string
			Create, Edit []string
		}
		if !decode(&in) {
			return
		}
		if err := i.SetScreens(in.Project, in.Create, in.Edit); err != nil {
			bad(err)
			return
		}
		ok()
	case "POST /move-subtask":
		var in struct{ Subtask, Parent, Username string }
		if !decode(&in) {
			return
		}
		if err := i.MoveSubtask(in.Subtask, in.Parent, in.Username); err != nil {
			bad(err)
			return
		}
		ok()
	default:
		writeJSON(w, http.StatusNotFound, errBody("unknown /__sim endpoint: "+r.Method+" "+path))
	}
}
