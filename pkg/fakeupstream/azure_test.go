package fakeupstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAzureLayout(t *testing.T) {
	s := New(Options{Keys: []string{"azure-key"}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"one two"}]}`
	tests := []struct {
		name, path, key string
		status          int
		want            string
	}{
		{"chat", "/openai/deployments/gpt-prod/chat/completions?api-version=2024-10-21", "azure-key", 200, `"prompt_tokens":2`},
		{"no api-version", "/openai/deployments/gpt-prod/chat/completions", "azure-key", 404, "api-version"},
		{"wrong key", "/openai/deployments/gpt-prod/chat/completions?api-version=1", "other", 401, "Incorrect API key"},
		{"unknown operation", "/openai/deployments/gpt-prod/images?api-version=1", "azure-key", 404, "Invalid URL"},
		{"scenario prefix", "/s/status=503/openai/deployments/d/chat/completions?api-version=1", "azure-key", 503, "injected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(body))
			req.Header.Set("Api-Key", tt.key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
				t.Fatalf("status %d body %s; want %d containing %q", resp.StatusCode, b, tt.status, tt.want)
			}
		})
	}
}
