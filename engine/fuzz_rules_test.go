package engine

import (
	"encoding/json"
	"testing"
)

// FuzzParseRules feeds arbitrary documents to the mapping and value-map configuration: it must
// never panic, and what it accepts must validate and survive a JSON round trip.
func FuzzParseRules(f *testing.F) {
	def, _ := json.Marshal(DefaultRules())
	f.Add(string(def))
	f.Add("")
	f.Add("{}")
	f.Add(`{"fields":[{"name":"sev","kind":"select","local":"customfield_10102","remote":"customfield_10102","direction":"out",` +
		`"values":{"S1":"Critical"}}],"comments":{"enabled":true,"allow_visibilities":["group:jira-users","role:Developers"]}}`)
	f.Add(`{"fields":[{"name":"","kind":"nope"}],"attachments":{"max_bytes":-1}}`)
	f.Add(`{"comments":{"allow_visibilities":["nocolon"]}}`)
	f.Add(`{"fields":null,"users":{"by_name":true,"map":{"alice":"bob"}}}`)
	f.Add(`[1,2,3]`)
	f.Add(`{"fields":[{"name":"a","kind":"text","local":"summary","remote":"summary"},{"name":"a","kind":"text","local":"x","remote":"y"}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		r, err := ParseRules(doc)
		if err != nil {
			return
		}
		if errs := r.Validate(); len(errs) > 0 {
			t.Fatalf("ParseRules accepted rules that do not validate: %v", errs[0])
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("accepted rules do not encode: %v", err)
		}
		if _, err := ParseRules(string(b)); err != nil {
			t.Fatalf("accepted rules do not parse back: %v\n%s", err, b)
		}
	})
}
