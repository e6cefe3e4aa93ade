package store

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

func TestEventCursorRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		id   string
	}{
		{"uuid", time.Date(2026, 3, 10, 22, 30, 0, 123456000, time.UTC), "019a0000-0000-7000-8000-000000000001"},
		{"id with slash", time.Unix(0, 1), "a/b/c"},
		{"empty id", time.Unix(1700000000, 0).UTC(), ""},
		{"before 1970", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, id, err := ParseEventCursor(EventCursor(tc.at, tc.id))
			if err != nil || !at.Equal(tc.at) || id != tc.id {
				t.Fatalf("round trip gave %v %q %v, want %v %q", at, id, err, tc.at, tc.id)
			}
		})
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	if got := RequestLogCursor(&usagev1.UsageEvent{Id: "e", Time: timestamppb.New(at)}); got != EventCursor(at, "e") {
		t.Errorf("RequestLogCursor = %q, want %q", got, EventCursor(at, "e"))
	}
	if got := LedgerCursor(&adminv1.LedgerEntry{EventId: "e", Time: timestamppb.New(at)}); got != EventCursor(at, "e") {
		t.Errorf("LedgerCursor = %q, want %q", got, EventCursor(at, "e"))
	}
}

func TestParseEventCursorRejects(t *testing.T) {
	for _, in := range []string{"!!!", "bm8tc2VwYXJhdG9y" /* "no-separator" */, "eC95" /* "x/y" */, "=="} {
		if _, _, err := ParseEventCursor(in); !errors.Is(err, ErrBadPage) {
			t.Errorf("ParseEventCursor(%q) = %v, want ErrBadPage", in, err)
		}
	}
}

func TestTokenCursor(t *testing.T) {
	tests := []struct {
		in         string
		user, name string
		ok         bool
	}{
		{"alice/laptop", "alice", "laptop", true},
		{"/", "", "", true},
		{"alice", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		u, n, err := ParseTokenCursor(tc.in)
		if (err == nil) != tc.ok || u != tc.user || n != tc.name {
			t.Errorf("ParseTokenCursor(%q) = %q %q %v", tc.in, u, n, err)
		}
		if tc.ok && TokenCursor(u, n) != tc.in {
			t.Errorf("TokenCursor(%q, %q) = %q, want %q", u, n, TokenCursor(u, n), tc.in)
		}
	}
}

func TestPageSize(t *testing.T) {
	for _, tc := range []struct{ size, want int }{{0, DefaultPageSize}, {-3, DefaultPageSize}, {1, 1}, {5000, 5000}} {
		if got := PageSize(Page{Size: tc.size}); got != tc.want {
			t.Errorf("PageSize(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
}

func FuzzParseEventCursor(f *testing.F) {
	f.Add(EventCursor(time.Unix(1700000000, 5), "019a0000-0000-7000-8000-000000000001"))
	f.Add("!!!")
	f.Add("")
	f.Add("eC95")
	f.Fuzz(func(t *testing.T, s string) {
		at, id, err := ParseEventCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadPage) {
				t.Fatalf("error %v does not wrap ErrBadPage", err)
			}
			return
		}
		// Whatever parses re-encodes to something that parses the same.
		at2, id2, err := ParseEventCursor(EventCursor(at, id))
		if err != nil || !at2.Equal(at) || id2 != id {
			t.Fatalf("re-encoding %v %q gave %v %q %v", at, id, at2, id2, err)
		}
	})
}
