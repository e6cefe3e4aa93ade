package fakeupstream

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseScenario(t *testing.T) {
	tests := []struct {
		in        string
		want      Scenario
		canonical string
	}{
		{"", Scenario{}, ""},
		{"status=500", Scenario{Status: 500}, "status=500"},
		{"retry-after=2,status=429", Scenario{Status: 429, RetryAfter: 2}, "status=429,retry-after=2"},
		{"latency=20ms", Scenario{Latency: 20 * time.Millisecond}, "latency=20ms"},
		{"chunks=50,pace=5ms", Scenario{Chunks: 50, Pace: 5 * time.Millisecond}, "chunks=50,pace=5ms"},
		{"cut-after=3", Scenario{Cut: true, CutAfter: 3}, "cut-after=3"},
		{"cut-after=0", Scenario{Cut: true}, "cut-after=0"},
		{"malformed-after=2", Scenario{Malformed: true, MalformedAfter: 2}, "malformed-after=2"},
		{"hang", Scenario{Hang: true}, "hang"},
		{"body=10kb", Scenario{BodyBytes: 10 << 10}, "body=10kb"},
		{"body=1MB", Scenario{BodyBytes: 1 << 20}, "body=1mb"},
		{"body=1500", Scenario{BodyBytes: 1500}, "body=1500b"},
		{"body=2048b", Scenario{BodyBytes: 2048}, "body=2kb"},
		{"no-usage", Scenario{NoUsage: true}, "no-usage"},
		{"zero-usage", Scenario{ZeroUsage: true}, "zero-usage"},
		{"fail-first=2", Scenario{FailFirst: 2}, "fail-first=2"},
		{"tools,prompt-tokens=7,cached=3,reasoning=4", Scenario{Tools: true, PromptTokens: 7, CachedTokens: 3, ReasoningTokens: 4}, "tools,prompt-tokens=7,cached=3,reasoning=4"},
		{"timing", Scenario{Timing: true}, "timing"},
		{"latency=0", Scenario{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseScenario(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.canonical {
				t.Errorf("String() = %q, want %q", s, tt.canonical)
			}
		})
	}
}

func TestParseScenarioErrors(t *testing.T) {
	tests := []struct {
		in      string
		mention []string
	}{
		{"bogus", []string{`"bogus"`, "unknown"}},
		{"status=200", []string{"status", "out of range"}},
		{"status=abc", []string{"status", "bad value"}},
		{"status", []string{"needs a value"}},
		{"hang=1", []string{"takes no value"}},
		{"chunks=0", []string{"chunks"}},
		{"chunks=1,chunks=2", []string{"more than once"}},
		{"latency=-1ms", []string{"latency"}},
		{"latency=2h", []string{"latency"}},
		{"pace=fast", []string{"pace"}},
		{"body=100gb", []string{"body"}},
		{"body=0", []string{"body"}},
		{"retry-after=2", []string{"needs status"}},
		{"no-usage,zero-usage", []string{"conflicts"}},
		{"cut-after=-1", []string{"cut-after"}},
		{"status=500,", []string{`""`}},
		{",", []string{`""`}},
		{"bogus,status=1,hang=x", []string{"bogus", "status", "hang"}}, // every problem reported
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseScenario(tt.in)
			if !errors.Is(err, ErrInvalidScenario) {
				t.Fatalf("err %v, want ErrInvalidScenario", err)
			}
			var se *ScenarioError
			if !errors.As(err, &se) || got != (Scenario{}) {
				t.Errorf("want a *ScenarioError and a zero Scenario, got %T %+v", err, got)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestScenarioMerge(t *testing.T) {
	base := Scenario{Status: 500, RetryAfter: 1, Chunks: 3, NoUsage: true, Cut: true, CutAfter: 4}
	tests := []struct {
		name    string
		overlay Scenario
		want    Scenario
	}{
		{"empty keeps", Scenario{}, base},
		{"replaces set fields", Scenario{Chunks: 9, CutAfter: 0, Cut: true},
			Scenario{Status: 500, RetryAfter: 1, Chunks: 9, NoUsage: true, Cut: true}},
		{"usage modes exclude", Scenario{ZeroUsage: true},
			Scenario{Status: 500, RetryAfter: 1, Chunks: 3, ZeroUsage: true, Cut: true, CutAfter: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := base.Merge(tt.overlay); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseScenario(f *testing.F) {
	for _, seed := range []string{
		"", "status=500", "status=429,retry-after=2", "latency=20ms", "chunks=50,pace=5ms", "cut-after=3",
		"malformed-after=2", "hang", "body=10kb", "no-usage", "zero-usage", "fail-first=2", "tools,cached=1",
		"prompt-tokens=9,reasoning=3", "body=1.5kb", "latency=1h", ",,", "status=500,status=500", "pace=1.5µs",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sc, err := ParseScenario(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidScenario) {
				t.Fatalf("error %v does not wrap ErrInvalidScenario", err)
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("parsed %q but Validate fails: %v", in, err)
		}
		canon := sc.String()
		again, err := ParseScenario(canon)
		if err != nil || again != sc {
			t.Fatalf("%q -> %q -> %+v, %v; want %+v", in, canon, again, err, sc)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q vs %q", canon, again.String())
		}
	})
}
