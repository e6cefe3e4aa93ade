package requestbody

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseRewrite checks that Parse never panics and that, on valid JSON,
// Rewrite yields valid JSON whose only differences are the two edits.
func FuzzParseRewrite(f *testing.F) {
	for _, s := range []string{
		`{"model":"m"}`,
		`{"model":"m","stream":true}`,
		`{"model":"m","stream":true,"stream_options":{"include_usage":false}}`,
		`{"model":"m","stream":true,"stream_options":null}`,
		`{"model":"m","stream":true,"stream_options":{}}`,
		`{"model":"gpt\u002d4o","messages":[{"content":"\"}{"}]}`,
		`{"mod\u0065l":"m","stream":true,"stream_options":{"x":[1,{"y":"}"}]}}`,
		`{"model":"m","max_tokens":12,"service_tier":"flex"}`,
		`[]`, `{`, `{"model":"a"`, `{"model":"a"}x`,
	} {
		f.Add([]byte(s), "upstream", true)
	}
	f.Fuzz(func(t *testing.T, body []byte, model string, addUsage bool) {
		r, err := Parse(body)
		if err != nil {
			return
		}
		out := r.Rewrite(nil, body, model, addUsage)
		var in map[string]any
		if json.Unmarshal(body, &in) != nil {
			return // the walker does not validate; the upstream refuses such bodies
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("Rewrite(%q) = %q: not JSON: %v", body, out, err)
		}
		if got["model"] != model && !hasInvalidUTF8(model) {
			t.Fatalf("model = %v, want %q", got["model"], model)
		}
		if addUsage && r.NeedsUsage() {
			opts, _ := got["stream_options"].(map[string]any)
			if opts["include_usage"] != true {
				t.Fatalf("include_usage not set in %q", out)
			}
			delete(got, "stream_options")
			delete(in, "stream_options")
		}
		delete(got, "model")
		delete(in, "model")
		if !reflect.DeepEqual(in, got) {
			t.Fatalf("other members changed:\n%q\n%q", body, out)
		}
	})
}

func hasInvalidUTF8(s string) bool {
	for _, r := range s {
		if r == 0xFFFD {
			return true
		}
	}
	return false
}
