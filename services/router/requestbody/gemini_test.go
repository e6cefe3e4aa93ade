package requestbody

import (
	"errors"
	"testing"
)

func TestParseGemini(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		max     int64
		wantErr string
	}{
		{"no config", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, 0, ""},
		{"max output", `{"contents":[],"generationConfig":{"temperature":0.2,"maxOutputTokens":512}}`, 512, ""},
		{"snake case", `{"generation_config":{"max_output_tokens":64}}`, 64, ""},
		{"text mentioning the field", `{"contents":[{"parts":[{"text":"\"maxOutputTokens\":9"}]}]}`, 0, ""},
		{"null config", `{"generationConfig":null}`, 0, ""},
		{"negative is absent", `{"generationConfig":{"maxOutputTokens":-5}}`, 0, ""},
		{"not an object", `[]`, 0, "invalid request body: must be a JSON object"},
		{"config not an object", `{"generationConfig":3}`, 0, "invalid request body: generationConfig must be an object"},
		{"twice", `{"generationConfig":{},"generationConfig":{}}`, 0, "invalid request body: generationConfig appears more than once"},
		{"max twice", `{"generationConfig":{"maxOutputTokens":1,"maxOutputTokens":2}}`, 0,
			"invalid request body: generationConfig.maxOutputTokens appears more than once"},
		{"truncated", `{"contents":[`, 0, "invalid request body: is not valid JSON"},
		{"trailing data", `{} {}`, 0, "invalid request body: has data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseGemini([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.MaxOutputTokens != tt.max || r.Model != "" {
				t.Fatalf("got %+v, want max %d", r, tt.max)
			}
		})
	}
}

func FuzzParseGemini(f *testing.F) {
	f.Add([]byte(`{"generationConfig":{"maxOutputTokens":512}}`))
	f.Add([]byte(`{"contents":[{"parts":[{"text":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseGemini(body)
		if err == nil && r.MaxOutputTokens < 0 {
			t.Fatalf("negative max output %d", r.MaxOutputTokens)
		}
	})
}
