package cli

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{in: "24h", want: now.Add(-24 * time.Hour)},
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "1d12h", want: now.Add(-36 * time.Hour)},
		{in: "2026-01-01", want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: "2026-01-01T10:00:00+02:00", want: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)},
		{in: "-1h", err: true},
		{in: "d", err: true},
		{in: "yesterday", err: true},
		{in: "", err: true},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, now)
		if tt.err {
			if err == nil || !errors.Is(err, ErrBadSince) {
				t.Errorf("parseSince(%q) = %v, %v; want ErrBadSince", tt.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseMap(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{in: "", want: map[string]string{}},
		{in: "gpt-4o=gpt-4o-2024-11-20", want: map[string]string{"gpt-4o": "gpt-4o-2024-11-20"}},
		{in: " a = b , c=d ", want: map[string]string{"a": "b", "c": "d"}},
		{in: "a=b=c", want: map[string]string{"a": "b=c"}},
		{in: "a", err: true},
		{in: "=b", err: true},
		{in: "a=", err: true},
		{in: "a=b,a=c", err: true},
	}
	for _, tt := range tests {
		got, err := parseMap(tt.in)
		if (err != nil) != tt.err || (!tt.err && !maps.Equal(got, tt.want)) {
			t.Errorf("parseMap(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseEnum(t *testing.T) {
	if v, err := parseEnum("Admin", "ROLE_", adminv1.Role_value); err != nil || v != int32(adminv1.Role_ROLE_ADMIN) {
		t.Errorf("parseEnum(Admin) = %v, %v", v, err)
	}
	for _, bad := range []string{"unspecified", "", "role_admin"} {
		if _, err := parseEnum(bad, "ROLE_", adminv1.Role_value); err == nil {
			t.Errorf("parseEnum(%q) accepted", bad)
		}
	}
	if got := enumChoices("ROLE_", adminv1.Role_value); !slices.Equal(got, []string{"owner", "admin", "viewer", "user"}) {
		t.Errorf("enumChoices = %v", got)
	}
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", "a", "a,b", " a , ,b,", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, item := range parseList(s) {
			if item == "" || strings.Contains(item, ",") || strings.TrimSpace(item) != item {
				t.Fatalf("parseList(%q) gave item %q", s, item)
			}
		}
	})
}

func FuzzParseMap(f *testing.F) {
	for _, s := range []string{"", "a=b", "a=b,c=d", "a", "=", "a==b", "a=b,a=c", " x = y "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMap(s)
		if err != nil {
			return
		}
		// What was accepted reads back the same from its canonical form.
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if k == "" || m[k] == "" {
				t.Fatalf("parseMap(%q) gave an empty key or value: %v", s, m)
			}
			parts = append(parts, k+"="+m[k])
		}
		again, err := parseMap(strings.Join(parts, ","))
		if err != nil || !maps.Equal(m, again) {
			t.Fatalf("parseMap(%q) = %v, but its canonical form reads %v, %v", s, m, again, err)
		}
	})
}

func FuzzParseTier(f *testing.F) {
	for _, s := range []string{"above=200000,input=5.00,output=15.00", "above=1,input=0,output=0,cache_read=0.1,cache_write=1,reasoning=2",
		"above=0,input=1,output=1", "input=1", "above=1,input=1,output=1,input=2", "above=1,input=x,output=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tier, err := parseTier(s)
		if err != nil {
			if !errors.Is(err, ErrBadTier) {
				t.Fatalf("parseTier(%q) error %v is not ErrBadTier", s, err)
			}
			return
		}
		p := tier.GetPrice()
		if tier.AboveInputTokens <= 0 || p == nil || p.InputNanoUsd < 0 || p.OutputNanoUsd < 0 {
			t.Fatalf("parseTier(%q) = %v", s, tier)
		}
	})
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"24h", "7d", "1d12h", "2026-01-01", "2026-01-01T00:00:00Z", "-1h", "d", "99999999d"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, now)
		if err != nil {
			return
		}
		if _, derr := parseDays(strings.TrimSpace(s)); derr == nil && got.After(now) {
			t.Fatalf("parseSince(%q) = %v, after now", s, got)
		}
	})
}
