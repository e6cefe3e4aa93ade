package requestbody

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Request // only the exported fields are compared
	}{
		{"minimal", `{"model":"gpt-4o"}`, Request{Model: "gpt-4o"}},
		{"whitespace", " \n{ \"model\" : \"m\" , \"stream\" : true }\n", Request{Model: "m", Stream: true}},
		{"stream false", `{"model":"m","stream":false}`, Request{Model: "m"}},
		{"stream null", `{"model":"m","stream":null}`, Request{Model: "m"}},
		{"include usage", `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`,
			Request{Model: "m", Stream: true, IncludeUsage: true}},
		{"include usage false", `{"model":"m","stream":true,"stream_options":{"include_usage":false}}`,
			Request{Model: "m", Stream: true}},
		{"tier", `{"model":"m","service_tier":"priority"}`, Request{Model: "m", ServiceTier: "priority"}},
		{"tier null", `{"model":"m","service_tier":null}`, Request{Model: "m"}},
		{"max tokens", `{"model":"m","max_tokens":100}`, Request{Model: "m", MaxOutputTokens: 100}},
		{"max completion wins", `{"max_tokens":100,"model":"m","max_completion_tokens":50}`, Request{Model: "m", MaxOutputTokens: 50}},
		{"max output", `{"model":"m","max_output_tokens":7}`, Request{Model: "m", MaxOutputTokens: 7}},
		{"bad max ignored", `{"model":"m","max_tokens":"x"}`, Request{Model: "m"}},
		{"escaped model", `{"model":"gpt\u002d4o"}`, Request{Model: "gpt-4o"}},
		{"escaped key", `{"mod\u0065l":"m"}`, Request{Model: "m"}},
		{"model text inside prompt", `{"messages":[{"content":"\"model\":\"x\""}],"model":"m"}`, Request{Model: "m"}},
		{"nested model ignored", `{"model":"m","metadata":{"model":"other","stream":true}}`, Request{Model: "m"}},
		{"escaped quotes", `{"messages":"a\\\"b\\","model":"m"}`, Request{Model: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Model != tt.want.Model || got.Stream != tt.want.Stream || got.IncludeUsage != tt.want.IncludeUsage ||
				got.ServiceTier != tt.want.ServiceTier || got.MaxOutputTokens != tt.want.MaxOutputTokens {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, ""},
		{"array", `[1]`, ""},
		{"string", `"model"`, ""},
		{"no model", `{"stream":true}`, "model"},
		{"model number", `{"model":4}`, "model"},
		{"model empty", `{"model":""}`, "model"},
		{"model null", `{"model":null}`, "model"},
		{"duplicate model", `{"model":"a","model":"b"}`, "model"},
		{"duplicate escaped model", `{"model":"a","mod\u0065l":"b"}`, "model"},
		{"duplicate stream", `{"model":"a","stream":false,"stream":true}`, "stream"},
		{"duplicate tier", `{"model":"a","service_tier":"a","service_tier":"b"}`, "service_tier"},
		{"stream string", `{"model":"a","stream":"true"}`, "stream"},
		{"options string", `{"model":"a","stream_options":"x"}`, "stream_options"},
		{"include usage string", `{"model":"a","stream_options":{"include_usage":"yes"}}`, "stream_options.include_usage"},
		{"include usage twice", `{"model":"a","stream_options":{"include_usage":false,"include_usage":true}}`, "stream_options.include_usage"},
		{"tier number", `{"model":"a","service_tier":1}`, "service_tier"},
		{"unterminated", `{"model":"a"`, ""},
		{"trailing comma", `{"model":"a",}`, ""},
		{"trailing data", `{"model":"a"} {}`, ""},
		{"missing colon", `{"model" "a"}`, ""},
		{"missing comma", `{"model":"a" "stream":true}`, ""},
		{"unterminated string", `{"model":"a`, ""},
		{"bad escape in key", `{"mod\x":"a"}`, ""},
		{"unclosed array", `{"model":"a","messages":[}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body))
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) err = %v, want a FieldError", tt.body, err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	body := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say \"hi\" to the model and stream it."}],"stream":true,"temperature":0.2,"max_tokens":256}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}
