package fakeupstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	_, open := newFake(t, Options{})
	_, strict := newFake(t, Options{Keys: []string{"sk-a", "sk-b"}})
	tests := []struct {
		name   string
		strict bool
		header string
		status int
	}{
		{"missing", false, "", 401},
		{"not bearer", false, "Basic c2stYQ==", 401},
		{"empty bearer", false, "Bearer  ", 401},
		{"any key", false, "Bearer whatever", 200},
		{"lower-case scheme", false, "bearer whatever", 200},
		{"listed key", true, "Bearer sk-b", 200},
		{"unlisted key", true, "Bearer sk-c", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := open
			if tt.strict {
				ts = strict
			}
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/chat/completions", strings.NewReader(chatBody))
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 401 {
				e := checkError(t, body, "invalid_request_error")
				if e.Error.Code == nil || *e.Error.Code != "invalid_api_key" || strings.Contains(string(body), "whatever") {
					t.Errorf("401 body %s", body)
				}
			}
		})
	}
}

func TestRoutingErrors(t *testing.T) {
	_, ts := newFake(t, Options{MaxBodyBytes: 200})
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"unknown path", "POST", "/v1/nothing", chatBody, 404, "Invalid URL"},
		{"wrong method", "GET", "/v1/chat/completions", "", 405, "not allowed"},
		{"bad scenario", "POST", "/s/status=200,bogus/v1/chat/completions", chatBody, 400, "bogus"},
		{"bad json", "POST", "/v1/chat/completions", "{", 400, "parse"},
		{"no model", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, 400, "model"},
		{"no messages", "POST", "/v1/chat/completions", `{"model":"m"}`, 400, "messages"},
		{"too large", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("x", 300) + `"}]}`, 413, "large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := call(t, context.Background(), ts.Client(), tt.method, ts.URL+tt.path, testKey, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.contains) {
				t.Fatalf("status %d body %s, want %d containing %q", resp.StatusCode, body, tt.status, tt.contains)
			}
			checkError(t, body, "invalid_request_error")
			if tt.status == 405 && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow %q", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestRecording(t *testing.T) {
	s, ts := newFake(t, Options{RecordLimit: 3})
	send := func(i int, key string) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/s/chunks=2/v1/chat/completions?x=1",
			strings.NewReader(fmt.Sprintf(`{"model":"mapped-%d","messages":[{"role":"user","content":"hi"}]}`, i)))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Trace", fmt.Sprint(i))
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for i := range 5 {
		send(i, fmt.Sprintf("sk-%d", i))
	}
	reqs := s.Requests()
	if len(reqs) != 3 || s.Received() != 5 {
		t.Fatalf("%d recorded, %d received; want 3, 5", len(reqs), s.Received())
	}
	for j, r := range reqs {
		i := j + 2 // the ring keeps the latest three, oldest first
		if r.Method != "POST" || r.Path != "/s/chunks=2/v1/chat/completions" || r.RawQuery != "x=1" || r.Scenario != "chunks=2" ||
			r.BearerKey() != fmt.Sprintf("sk-%d", i) || r.Header.Get("X-Trace") != fmt.Sprint(i) ||
			!strings.Contains(string(r.Body), fmt.Sprintf(`"mapped-%d"`, i)) || r.Time.IsZero() {
			t.Errorf("request %d: %+v body %s", j, r, r.Body)
		}
	}
	// Copies: changing them must not change the ring.
	reqs[2].Body[0], reqs[2].Header["X-Trace"] = 'X', nil
	last, ok := s.LastRequest()
	if !ok || last.Body[0] != '{' || last.Header.Get("X-Trace") != "4" {
		t.Errorf("ring changed through a copy: %+v", last)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
	// Rejected requests are recorded too: tests check what credentials arrived.
	send(9, "")
	if last, _ := s.LastRequest(); last.Header.Get("X-Trace") != "9" || last.BearerKey() != "" {
		t.Errorf("unauthenticated request not recorded: %+v", last)
	}

	off, offTS := newFake(t, Options{RecordLimit: -1})
	if status, _, _ := post(t, offTS, "/v1/chat/completions", chatBody); status != 200 || off.Requests() != nil || off.Received() != 1 {
		t.Errorf("disabled recorder: status %d, %d requests", status, len(off.Requests()))
	}
}

func TestScenarioLayers(t *testing.T) {
	s, ts := newFake(t, Options{
		Scenario: Scenario{Chunks: 3},
		ByModel:  map[string]Scenario{"m-five": {Chunks: 5}},
		ByKey:    map[string]Scenario{"sk-seven": {Chunks: 7}},
	})
	tokens := func(model, key, scenario string) int {
		t.Helper()
		path := "/v1/chat/completions"
		if scenario != "" {
			path = "/s/" + scenario + path
		}
		resp, err := call(t, context.Background(), ts.Client(), http.MethodPost, ts.URL+path, key,
			`{"model":"`+model+`","messages":[{"role":"user","content":"x"}]}`)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return -resp.StatusCode
		}
		var c chatCompletion
		mustJSON(t, raw, &c)
		return c.Usage.CompletionTokens
	}
	tests := []struct {
		model, key, scenario string
		want                 int
	}{
		{"m", "sk-x", "", 3},
		{"m-five", "sk-x", "", 5},
		{"m-five", "sk-seven", "", 7},
		{"m-five", "sk-seven", "chunks=9", 9},
		{"m", "sk-x", "reasoning=1", 4}, // merged option by option
	}
	for _, tt := range tests {
		if got := tokens(tt.model, tt.key, tt.scenario); got != tt.want {
			t.Errorf("%s/%s/%q: %d tokens, want %d", tt.model, tt.key, tt.scenario, got, tt.want)
		}
	}
	if err := s.SetModelScenario("m", Scenario{Status: 503}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeyScenario("sk-x", Scenario{Chunks: 2}); err != nil {
		t.Fatal(err)
	}
	if got := tokens("m", "sk-x", ""); got != -503 {
		t.Errorf("model override: %d, want -503", got)
	}
	if got := tokens("other", "sk-x", ""); got != 2 {
		t.Errorf("key override: %d, want 2", got)
	}
	if err := s.SetModelScenario("m", Scenario{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetScenario(Scenario{Chunks: 11}); err != nil {
		t.Fatal(err)
	}
	if got := tokens("m", "sk-y", ""); got != 11 {
		t.Errorf("after removing the override: %d, want 11", got)
	}
	if err := s.SetScenario(Scenario{Status: 200}); !errors.Is(err, ErrInvalidScenario) {
		t.Errorf("invalid scenario accepted: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	opts := Options{
		Keys:                []string{"ok", " "},
		Models:              []string{""},
		Scenario:            Scenario{RetryAfter: 3},
		ByModel:             map[string]Scenario{"m": {NoUsage: true, ZeroUsage: true}},
		MaxBodyBytes:        -1,
		EmbeddingDimensions: maxDimensions + 1,
		DefaultTokens:       -1,
		RecordLimit:         maxRecordLimit + 1,
	}
	err := opts.Validate()
	if !errors.Is(err, ErrInvalidOptions) || !errors.Is(err, ErrInvalidScenario) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"Keys[1]", "Models[0]", "retry-after", `ByModel["m"]`, "MaxBodyBytes", "EmbeddingDimensions", "DefaultTokens", "RecordLimit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("New accepted invalid options")
		}
	}()
	New(opts)
}

func TestListen(t *testing.T) {
	s := New(Options{})
	t.Cleanup(s.Close)
	run, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			run.Close()
		}
	})
	if want := run.URL + "/s/chunks=2/v1"; run.BaseURL("chunks=2") != want || BaseURL(run.URL+"/", "") != run.URL+"/v1" {
		t.Errorf("BaseURL %q", run.BaseURL("chunks=2"))
	}
	client := &http.Client{}
	resp, err := call(t, context.Background(), client, http.MethodPost, run.BaseURL("chunks=2")+"/chat/completions", testKey, chatBody)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"completion_tokens":2`) {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
	// Close must not wait for a hanging request.
	go func() {
		r, err := call(t, context.Background(), client, http.MethodPost, run.BaseURL("hang")+"/chat/completions", testKey, chatBody)
		if err == nil {
			r.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- run.Close() }()
	select {
	case err := <-done:
		closed = true
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hanging request")
	}
	if _, err := call(t, context.Background(), client, http.MethodGet, run.URL+"/v1/models", testKey, ""); err == nil {
		t.Error("served after Close")
	}
}
