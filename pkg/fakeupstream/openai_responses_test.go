package fakeupstream

import (
	"net/http"
	"strings"
	"testing"
)

type responseUsage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

type outputText struct {
	Type        string
	Text        string
	Annotations []any
}

type messageItem struct {
	ID, Type, Status, Role string
	Content                []outputText
}

type responseObject struct {
	ID                string
	Object            string
	CreatedAt         int64 `json:"created_at"`
	Status            string
	Model             string
	IncompleteDetails *struct{ Reason string } `json:"incomplete_details"`
	Output            []messageItem
	Usage             *responseUsage
}

// outputTextOf checks the single message item and returns its text.
func outputTextOf(t *testing.T, r responseObject, status string) string {
	t.Helper()
	if len(r.Output) != 1 {
		t.Fatalf("output %+v", r.Output)
	}
	it := r.Output[0]
	if it.Type != "message" || it.Role != "assistant" || it.Status != status || !strings.HasPrefix(it.ID, "msg_") ||
		len(it.Content) != 1 || it.Content[0].Type != "output_text" || it.Content[0].Annotations == nil {
		t.Fatalf("item %+v", it)
	}
	return it.Content[0].Text
}

func TestResponsesJSON(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, scenario, body string
		prompt, tokens       int
		status               string
	}{
		{name: "string input", body: `{"model":"gpt-4.1","input":"tell me a joke"}`, prompt: 4, tokens: 16, status: "completed"},
		{name: "items and instructions", body: `{"model":"gpt-4.1","instructions":"be nice","input":[{"role":"user","content":"hi there"},` +
			`{"role":"user","content":[{"type":"input_text","text":"a b c"}]}]}`, prompt: 7, tokens: 16, status: "completed"},
		{name: "usage details", scenario: "chunks=3,cached=1,reasoning=4", body: `{"model":"gpt-4.1","input":"x y"}`, prompt: 2, tokens: 3, status: "completed"},
		{name: "incomplete", body: `{"model":"gpt-4.1","input":"x","max_output_tokens":3}`, prompt: 1, tokens: 3, status: "incomplete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v1/responses"
			if tt.scenario != "" {
				path = "/s/" + tt.scenario + path
			}
			status, _, raw := post(t, ts, path, tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, raw)
			}
			var r responseObject
			mustJSON(t, raw, &r)
			if !strings.HasPrefix(r.ID, "resp_") || r.Object != "response" || r.CreatedAt == 0 || r.Model != "gpt-4.1" || r.Status != tt.status {
				t.Errorf("envelope %s", raw)
			}
			if (tt.status == "incomplete") != (r.IncompleteDetails != nil && r.IncompleteDetails.Reason == "max_output_tokens") {
				t.Errorf("incomplete_details %s", raw)
			}
			checkContent(t, outputTextOf(t, r, tt.status), tt.tokens)
			cached, reasoning := 0, 0
			if tt.scenario != "" {
				cached, reasoning = 1, 4
			}
			u := r.Usage
			if u == nil || u.InputTokens != tt.prompt || u.OutputTokens != tt.tokens+reasoning || u.TotalTokens != tt.prompt+tt.tokens+reasoning ||
				u.InputTokensDetails.CachedTokens != cached || u.OutputTokensDetails.ReasoningTokens != reasoning {
				t.Errorf("usage %s", raw)
			}
		})
	}
}

func TestResponsesStream(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, scenario, extra string
		tokens, chunks        int
		final, status         string
		noUsage               bool
	}{
		{name: "default", tokens: 16, chunks: 16, final: "response.completed", status: "completed"},
		{name: "chunked body", scenario: "body=100b,chunks=4", tokens: 20, chunks: 4, final: "response.completed", status: "completed"},
		{name: "incomplete", extra: `,"max_output_tokens":2`, tokens: 2, chunks: 2, final: "response.incomplete", status: "incomplete"},
		{name: "no usage", scenario: "no-usage", tokens: 16, chunks: 16, final: "response.completed", status: "completed", noUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v1/responses"
			if tt.scenario != "" {
				path = "/s/" + tt.scenario + path
			}
			events, err := postStream(t, ts, path, `{"model":"gpt-4.1","input":"one two three","stream":true`+tt.extra+`}`)
			if err != nil {
				t.Fatal(err)
			}
			var deltas strings.Builder
			var doneText string
			var final responseObject
			nDelta := 0
			wantOrder := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"}
			for i, ev := range events {
				var head struct {
					Type     string
					Sequence *int `json:"sequence_number"`
					Delta    string
					Text     string
					Response *responseObject
					ItemID   string `json:"item_id"`
				}
				mustJSON(t, []byte(ev.Data), &head)
				if head.Type != ev.Event || head.Sequence == nil || *head.Sequence != i {
					t.Fatalf("event %d: name %q, data %s", i, ev.Event, ev.Data)
				}
				if i < len(wantOrder) && ev.Event != wantOrder[i] {
					t.Errorf("event %d is %s, want %s", i, ev.Event, wantOrder[i])
				}
				switch ev.Event {
				case "response.created", "response.in_progress":
					if head.Response == nil || head.Response.Status != "in_progress" || head.Response.Usage != nil || len(head.Response.Output) != 0 {
						t.Errorf("%s: %s", ev.Event, ev.Data)
					}
				case "response.output_text.delta":
					nDelta++
					deltas.WriteString(head.Delta)
					if !strings.HasPrefix(head.ItemID, "msg_") {
						t.Errorf("delta item_id: %s", ev.Data)
					}
				case "response.output_text.done":
					doneText = head.Text
				case tt.final:
					if i != len(events)-1 || head.Response == nil {
						t.Fatalf("final event %d of %d: %s", i, len(events), ev.Data)
					}
					final = *head.Response
				}
			}
			if nDelta != tt.chunks || deltas.String() != doneText || final.Status != tt.status {
				t.Errorf("%d deltas %q, done %q, final %+v", nDelta, deltas.String(), doneText, final)
			}
			checkContent(t, doneText, tt.tokens)
			if got := outputTextOf(t, final, tt.status); got != doneText {
				t.Errorf("final text %q != done text %q", got, doneText)
			}
			if tt.noUsage != (final.Usage == nil) {
				t.Fatalf("usage %+v, no-usage %v", final.Usage, tt.noUsage)
			}
			if u := final.Usage; u != nil && (u.InputTokens != 3 || u.OutputTokens != tt.tokens || u.TotalTokens != 3+tt.tokens) {
				t.Errorf("usage %+v", *u)
			}
		})
	}
}
