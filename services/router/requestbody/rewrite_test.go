package requestbody

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestRewrite(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		model    string
		addUsage bool
		want     string
	}{
		{"untouched", `{"model":"m","stream":true}`, "m", false, `{"model":"m","stream":true}`},
		{"not a stream", `{"model":"m"}`, "m", true, `{"model":"m"}`},
		{"client asked", `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, "m", true,
			`{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{"model only", `{ "model" : "m" , "n":1 }`, "upstream-m", false, `{ "model" : "upstream-m" , "n":1 }`},
		{"model escaped for JSON", `{"model":"m"}`, `a"b\c`, false, `{"model":"a\"b\\c"}`},
		{"escaped model rewritten plain", `{"model":"gpt\u002d4o"}`, "gpt-4o", false, `{"model":"gpt-4o"}`},
		{"add options", `{"model":"m","stream":true}`, "m", true, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{"add options keeps whitespace", "{\n  \"model\": \"m\",\n  \"stream\": true\n}\n", "m", true,
			"{\n  \"model\": \"m\",\n  \"stream\": true,\"stream_options\":{\"include_usage\":true}\n}\n"},
		{"options null", `{"model":"m","stream_options":null,"stream":true}`, "m", true,
			`{"model":"m","stream_options":{"include_usage":true},"stream":true}`},
		{"options empty", `{"model":"m","stream":true,"stream_options":{ }}`, "m", true,
			`{"model":"m","stream":true,"stream_options":{"include_usage":true }}`},
		{"options other member", `{"model":"m","stream":true,"stream_options":{"x":1}}`, "m", true,
			`{"model":"m","stream":true,"stream_options":{"include_usage":true,"x":1}}`},
		{"include false", `{"model":"m","stream":true,"stream_options":{"include_usage":false,"x":1}}`, "m", true,
			`{"model":"m","stream":true,"stream_options":{"include_usage":true,"x":1}}`},
		{"include null", `{"model":"m","stream":true,"stream_options":{"include_usage":null}}`, "m", true,
			`{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{"both edits, options first", `{"stream_options":{},"stream":true,"model":"m"}`, "up", true,
			`{"stream_options":{"include_usage":true},"stream":true,"model":"up"}`},
		{"both edits, model first", `{"model":"m","stream":true,"messages":[{"content":"}"}]}`, "up", true,
			`{"model":"up","stream":true,"messages":[{"content":"}"}],"stream_options":{"include_usage":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			orig := bytes.Clone(body)
			r, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			got := r.Rewrite(nil, body, tt.model, tt.addUsage)
			if string(got) != tt.want {
				t.Errorf("Rewrite =\n%s\nwant\n%s", got, tt.want)
			}
			if !bytes.Equal(body, orig) {
				t.Error("Rewrite changed its input")
			}
			if !json.Valid(got) {
				t.Errorf("result is not valid JSON: %s", got)
			}
		})
	}
}

// TestRewriteKeepsOtherBytes checks byte identity on a realistic body: the
// result is the original with exactly the two edited spans changed.
func TestRewriteKeepsOtherBytes(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":"caf\u00e9 \"quoted\" \\ {not json} , ]"}],` +
		`"model":"alias","temperature":0.70,"stream":true,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"user":"u-1"}`)
	r, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	got := r.Rewrite(make([]byte, 0, 16), body, "real-model-2025", true)
	wantPrefix := bytes.Replace(body, []byte(`"model":"alias"`), []byte(`"model":"real-model-2025"`), 1)
	wantPrefix = wantPrefix[:len(wantPrefix)-1]
	want := string(wantPrefix) + `,"stream_options":{"include_usage":true}}`
	if string(got) != want {
		t.Fatalf("Rewrite =\n%s\nwant\n%s", got, want)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\`, "tab\tnl\n\x01", "café", "bad\xffutf8", "emoji 🚀"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, got, err)
		}
		want := s
		if s == "bad\xffutf8" {
			want = "bad\ufffdutf8"
		}
		if back != want {
			t.Errorf("round trip of %q = %q", s, back)
		}
	}
}

func BenchmarkRewrite(b *testing.B) {
	body := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}],"stream":true}`)
	r, err := Parse(body)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.Rewrite(buf, body, "gpt-4o-mini-2024-07-18", true)
	}
}
