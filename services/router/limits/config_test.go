package limits

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/services/router/snapshot"
)

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string // every problem is reported
	}{
		{"defaults", Config{}, nil},
		{"braces in prefix", Config{KeyPrefix: "a{b"}, []string{"braces"}},
		{"several at once", Config{Window: -1, FleetSize: -2, Lease: -5, QuotaFallback: "maybe"},
			[]string{"window", "fleet size", "lease", "quota fallback"}},
		{"state shorter than reservations", Config{ReservationTTL: time.Hour, StateTTL: time.Minute}, []string{"state TTL"}},
		{"adaptive backoff above one", Config{AdaptiveBackoff: 1.5, AdaptiveGap: -time.Second},
			[]string{"adaptive backoff", "adaptive gap"}},
		{"adaptive backoff negative", Config{AdaptiveBackoff: -0.5, AdaptiveForget: -1}, []string{"adaptive backoff", "adaptive forget"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, Deps{})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseFallback(t *testing.T) {
	cases := []struct {
		in   string
		want Fallback
		ok   bool
	}{
		{"", FallbackLocal, true},
		{"local", FallbackLocal, true},
		{" Open ", FallbackOpen, true},
		{"CLOSED", FallbackClosed, true},
		{"fail-open", "", false},
	}
	for _, tc := range cases {
		got, err := ParseFallback(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseFallback(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func FuzzParseFallback(f *testing.F) {
	for _, s := range []string{"", "local", "open", "closed", " OPEN", "clo\x00sed"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFallback(s)
		if err != nil {
			return
		}
		again, err := ParseFallback(string(got))
		if err != nil || again != got {
			t.Fatalf("%q parsed as %q, which does not parse back", s, got)
		}
	})
}

func TestRedisOptionsKeepPasswordsOutOfErrors(t *testing.T) {
	_, err := RedisOptions("redis://:hunter2@127.0.0.1:notaport")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
	o, err := RedisOptions("redis://127.0.0.1:6380/2")
	if err != nil || !o.ContextTimeoutEnabled || o.MaxRetries != -1 || o.DB != 2 {
		t.Fatalf("options %+v, %v", o, err)
	}
}

func TestRefusalStatuses(t *testing.T) {
	cases := []struct {
		r      Refusal
		status int
		is     error
	}{
		{Refusal{Limit: UserTPM, RetryAfter: 1500 * time.Millisecond}, 429, ErrRateLimited},
		{Refusal{Limit: TokenQuota, Remaining: 7}, 402, ErrQuotaExhausted},
		{Refusal{Limit: limitQuotaKind, Unavailable: true}, 503, ErrUnavailable},
	}
	for _, tc := range cases {
		if tc.r.Status() != tc.status || !errors.Is(&tc.r, tc.is) {
			t.Errorf("%v: status %d", &tc.r, tc.r.Status())
		}
	}
	if s := (&Refusal{RetryAfter: 1500 * time.Millisecond}).RetryAfterSeconds(); s != 2 {
		t.Errorf("retry after 1.5s rounds to %d", s)
	}
}

// unescapeTag inverts escapeTag for the fuzz target.
func unescapeTag(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 > len(s) {
			return "", false
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), true
}

func FuzzEscapeTag(f *testing.F) {
	for _, s := range []string{"alice", "a{b}", "%", "%7b", "}{%", "名字"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := escapeTag(s)
		if strings.ContainsAny(e, "{}") {
			t.Fatalf("escaped %q still has braces: %q", s, e)
		}
		if back, ok := unescapeTag(e); !ok || back != s {
			t.Fatalf("%q escaped to %q, which reads back as %q", s, e, back)
		}
	})
}

// The router converts the snapshot's limits with a plain conversion; this
// breaks the build if the two shapes drift apart.
var _ = Limits(snapshot.Limits{})
