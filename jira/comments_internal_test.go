package jira

import (
	"encoding/json"
	"testing"
)

// A service desk's internal note is told by its sd.public.comment property (Server/DC, read with
// expand=properties) or by jsdPublic (Cloud); anything else is an ordinary comment.
func TestCommentInternal(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{`{"id":"1","body":"x","properties":[{"key":"sd.public.comment","value":{"internal":true}}]}`, true},
		{`{"id":"1","body":"x","properties":[{"key":"sd.public.comment","value":{"internal":"true"}}]}`, true},
		{`{"id":"1","body":"x","properties":[{"key":"sd.public.comment","value":{"internal":false}}]}`, false},
		{`{"id":"1","body":"x","properties":[{"key":"other","value":{"internal":true}}]}`, false},
		{`{"id":"1","body":"x","jsdPublic":false}`, true},
		{`{"id":"1","body":"x","jsdPublic":true}`, false},
		{`{"id":"1","body":"x"}`, false},
	} {
		var c Comment
		if err := json.Unmarshal([]byte(tc.raw), &c); err != nil {
			t.Fatal(err)
		}
		if got := c.Internal(); got != tc.want {
			t.Errorf("%s: internal %v, want %v", tc.raw, got, tc.want)
		}
	}
	in, _ := json.Marshal(CommentInput{Body: "b", Properties: []EntityProperty{InternalComment(true)}})
	if want := `{"body":"b","properties":[{"key":"sd.public.comment","value":{"internal":true}}]}`; string(in) != want {
		t.Errorf("create body %s, want %s", in, want)
	}
}
