package fakeupstream

import (
	"strings"
	"testing"
)

func TestCountWords(t *testing.T) {
	for _, s := range []string{"", " ", "one", "  two  words ", "tab\tand\nnewline", "non\u00a0breaking space", "日本 語"} {
		if got, want := countWords(s), len(strings.Fields(s)); got != want {
			t.Errorf("countWords(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestWordsIn(t *testing.T) {
	tests := []struct {
		raw  string
		want int
	}{
		{`"a b c"`, 3},
		{`[{"type":"text","text":"a b"},{"type":"image_url","image_url":{"url":"u"}}]`, 2},
		{`[{"role":"user","content":"x y"},{"role":"user","content":[{"type":"input_text","text":"z"}]}]`, 3},
		{`["a b","c"]`, 3},
		{`[1,2,3]`, 3},
		{`[[1,2],[3]]`, 3},
		{`null`, 0},
		{``, 0},
		{`{"text":"broken"`, 0},
	}
	for _, tt := range tests {
		if got := wordsIn([]byte(tt.raw)); got != tt.want {
			t.Errorf("wordsIn(%s) = %d, want %d", tt.raw, got, tt.want)
		}
	}
}

func TestMakePlan(t *testing.T) {
	five := 5
	tests := []struct {
		name               string
		sc                 Scenario
		limit              *int
		tokens, chunks     int
		capped             bool
		prompt, completion int
	}{
		{"default", Scenario{}, nil, 16, 16, false, 10, 16},
		{"chunks", Scenario{Chunks: 4}, nil, 4, 4, false, 10, 4},
		{"body splits over chunks", Scenario{BodyBytes: 1000, Chunks: 3}, nil, 200, 3, false, 10, 200},
		{"limit", Scenario{Chunks: 9}, &five, 5, 5, true, 10, 5},
		{"reasoning", Scenario{ReasoningTokens: 7, PromptTokens: 2}, nil, 16, 16, false, 2, 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := makePlan(&tt.sc, 16, 10, tt.limit)
			if p.tokens != tt.tokens || p.chunks != tt.chunks || p.capped != tt.capped || p.u.prompt != tt.prompt || p.u.completion != tt.completion {
				t.Fatalf("plan %+v", p)
			}
			// Spans tile the answer exactly, none empty.
			next := 0
			for k := range p.chunks {
				from, to := p.span(k)
				if from != next || to <= from {
					t.Fatalf("chunk %d spans [%d,%d) after %d", k, from, to, next)
				}
				next = to
			}
			if next != p.tokens {
				t.Errorf("spans end at %d, want %d", next, p.tokens)
			}
		})
	}
}

func FuzzWordsIn(f *testing.F) {
	for _, s := range []string{`"a b"`, `[{"text":"x","content":[{"text":"y z"}]}]`, `[[1,2],[3]]`, `{"content":null}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		n := wordsIn(raw)
		if n < 0 || n > len(raw) {
			t.Fatalf("wordsIn(%q) = %d", raw, n)
		}
		if v := vectorCount(raw); v < 0 || v > len(raw) {
			t.Fatalf("vectorCount(%q) = %d", raw, v)
		}
	})
}
