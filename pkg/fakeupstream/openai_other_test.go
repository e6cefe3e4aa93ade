package fakeupstream

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCompletions(t *testing.T) {
	_, ts := newFake(t, Options{})
	body := `{"model":"gpt-3.5-turbo-instruct","prompt":["say this","and that too"]}`
	t.Run("json", func(t *testing.T) {
		status, _, raw := post(t, ts, "/s/chunks=6/v1/completions", body)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, raw)
		}
		var c struct {
			ID, Object, Model string
			Created           int64
			Choices           []struct {
				Text         string
				Index        int
				Logprobs     any
				FinishReason string `json:"finish_reason"`
			}
			Usage chatUsage
		}
		mustJSON(t, raw, &c)
		if !strings.HasPrefix(c.ID, "cmpl-") || c.Object != "text_completion" || c.Model != "gpt-3.5-turbo-instruct" || c.Created == 0 {
			t.Errorf("envelope %s", raw)
		}
		if len(c.Choices) != 1 || c.Choices[0].FinishReason != "stop" {
			t.Fatalf("choices %s", raw)
		}
		checkContent(t, c.Choices[0].Text, 6)
		if c.Usage.PromptTokens != 5 || c.Usage.CompletionTokens != 6 || c.Usage.TotalTokens != 11 {
			t.Errorf("usage %+v", c.Usage)
		}
	})
	t.Run("stream", func(t *testing.T) {
		events, err := postStream(t, ts, "/s/chunks=6/v1/completions",
			withFields(body, `"stream":true,"stream_options":{"include_usage":true}`))
		if err != nil {
			t.Fatal(err)
		}
		res := checkChatStream(t, events, "text_completion", "gpt-3.5-turbo-instruct", true)
		checkContent(t, res.content, 6)
		if res.contentChunks != 6 || res.finish != "stop" || res.usage.PromptTokens != 5 || res.usage.CompletionTokens != 6 {
			t.Errorf("stream result %+v usage %+v", res, res.usage)
		}
	})
	t.Run("token prompt", func(t *testing.T) {
		status, _, raw := post(t, ts, "/v1/completions", `{"model":"x","prompt":[1,2,3,4],"max_tokens":2}`)
		var c struct {
			Usage   chatUsage
			Choices []struct {
				FinishReason string `json:"finish_reason"`
			}
		}
		mustJSON(t, raw, &c)
		if status != 200 || c.Usage.PromptTokens != 4 || c.Usage.CompletionTokens != 2 || c.Choices[0].FinishReason != "length" {
			t.Errorf("status %d %s", status, raw)
		}
	})
}

type embeddingList struct {
	Object string
	Model  string
	Data   []struct {
		Object    string
		Index     int
		Embedding json.RawMessage
	}
	Usage *struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	}
}

func TestEmbeddings(t *testing.T) {
	_, ts := newFake(t, Options{EmbeddingDimensions: 12})
	tests := []struct {
		name, input, extra string
		vectors, dims      int
		prompt             int
	}{
		{name: "string", input: `"the quick fox"`, vectors: 1, dims: 12, prompt: 3},
		{name: "strings", input: `["a b","c","d e f"]`, vectors: 3, dims: 12, prompt: 6},
		{name: "token ids", input: `[5,6,7]`, vectors: 1, dims: 12, prompt: 3},
		{name: "token arrays", input: `[[5,6],[7]]`, vectors: 2, dims: 12, prompt: 3},
		{name: "dimensions", input: `"x"`, extra: `,"dimensions":5`, vectors: 1, dims: 5, prompt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"text-embedding-3-small","input":` + tt.input + tt.extra
			floats := fetchEmbeddings(t, ts, body+`}`, tt.vectors, tt.prompt)
			b64 := fetchEmbeddings(t, ts, body+`,"encoding_format":"base64"}`, tt.vectors, tt.prompt)
			for i := range tt.vectors {
				var fs []float64
				mustJSON(t, floats.Data[i].Embedding, &fs)
				var enc string
				mustJSON(t, b64.Data[i].Embedding, &enc)
				raw, err := base64.StdEncoding.DecodeString(enc)
				if err != nil {
					t.Fatal(err)
				}
				if len(fs) != tt.dims || len(raw) != 4*tt.dims {
					t.Fatalf("vector %d: %d floats, %d bytes, want %d dims", i, len(fs), len(raw), tt.dims)
				}
				for j, f := range fs {
					got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
					if got != float32(f) || f < -1 || f > 1 {
						t.Errorf("vector %d[%d]: float %v, base64 %v", i, j, f, got)
					}
				}
			}
		})
	}
	for _, bad := range []string{`{"model":"m"}`, `{"model":"m","input":[]}`, `{"model":"m","input":"x","encoding_format":"hex"}`} {
		if status, _, raw := post(t, ts, "/v1/embeddings", bad); status != http.StatusBadRequest {
			t.Errorf("%s: status %d %s", bad, status, raw)
		}
	}
}

func fetchEmbeddings(t *testing.T, ts *httptest.Server, body string, vectors, prompt int) embeddingList {
	t.Helper()
	status, _, raw := post(t, ts, "/v1/embeddings", body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, raw)
	}
	var e embeddingList
	mustJSON(t, raw, &e)
	if e.Object != "list" || e.Model != "text-embedding-3-small" || len(e.Data) != vectors || e.Usage == nil ||
		e.Usage.PromptTokens != prompt || e.Usage.TotalTokens != prompt {
		t.Fatalf("list %s", raw)
	}
	for i, d := range e.Data {
		if d.Object != "embedding" || d.Index != i {
			t.Errorf("item %d: %+v", i, d)
		}
	}
	return e
}

func TestModels(t *testing.T) {
	_, ts := newFake(t, Options{Models: []string{"alpha", "be\"ta"}})
	resp, err := call(t, context.Background(), ts.Client(), http.MethodGet, ts.URL+"/v1/models", testKey, "")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var l struct {
		Object string
		Data   []struct {
			ID, Object string
			Created    int64
			OwnedBy    string `json:"owned_by"`
		}
	}
	mustJSON(t, raw, &l)
	if resp.StatusCode != 200 || l.Object != "list" || len(l.Data) != 2 || l.Data[0].ID != "alpha" || l.Data[1].ID != `be"ta` ||
		l.Data[0].Object != "model" || l.Data[0].Created == 0 || l.Data[0].OwnedBy == "" {
		t.Errorf("status %d %s", resp.StatusCode, raw)
	}
}
