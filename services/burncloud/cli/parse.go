package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

// Errors of the flag value parsers.
var (
	ErrBadList   = errors.New("bad list")
	ErrBadMap    = errors.New("bad map: want key=value,key=value")
	ErrBadTier   = errors.New("bad tier: want above=N,input=USD,output=USD[,cache_read=USD,cache_write=USD,reasoning=USD]")
	ErrBadNumber = errors.New("bad number")
	ErrBadTime   = errors.New("bad time: want RFC 3339 (2027-01-01T00:00:00Z) or a date (2027-01-01)")
	ErrBadSince  = errors.New("bad time: want a duration back from now (24h, 7d, 90m) or a time (2026-01-01, RFC 3339)")
)

// none reports whether s asks to remove an optional value.
func none(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none", "unlimited", "never":
		return true
	}
	return false
}

// parseList splits "a, b,c" into its non-empty items; "" is the empty list.
func parseList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseMap reads "k=v,k2=v2"; "" is the empty map.
func parseMap(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range parseList(s) {
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%w: %q", ErrBadMap, item)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%w: %q given twice", ErrBadMap, k)
		}
		out[k] = v
	}
	return out, nil
}

// parseCount reads a non-negative integer.
func parseCount(s string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%w: %q is not a non-negative integer", ErrBadNumber, s)
	}
	return v, nil
}

// parseOptCount reads a non-negative integer, or "none" for absent.
func parseOptCount(s string) (*int64, error) {
	if none(s) {
		return nil, nil
	}
	v, err := parseCount(s)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// parseOptUSD reads a USD amount, or "none"/"unlimited" for absent.
func parseOptUSD(s string) (*int64, error) {
	if none(s) {
		return nil, nil
	}
	v, err := pricing.ParseUSD(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// parseOptPPM reads a decimal ratio ("1.0", "0.8"), or "none" for absent.
func parseOptPPM(s string) (*int64, error) {
	if none(s) {
		return nil, nil
	}
	v, err := pricing.ParsePPM(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// parseTime reads an RFC 3339 time or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: %q", ErrBadTime, s)
}

// parseSince reads a point in time: a duration back from now ("24h", "7d",
// "1d12h") or an absolute time.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, err := parseDays(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%w: %q is negative", ErrBadSince, s)
		}
		return now.Add(-d), nil
	}
	if t, err := parseTime(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: %q", ErrBadSince, s)
}

// parseDays is time.ParseDuration with a leading "Nd" for days.
func parseDays(s string) (time.Duration, error) {
	days := time.Duration(0)
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("%w: %q", ErrBadSince, s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return days + d, nil
}

// parseTier reads "above=200000,input=5.00,output=15.00[,cache_read=…]".
func parseTier(s string) (*adminv1.PriceTier, error) {
	t := &adminv1.PriceTier{Price: &adminv1.Price{}}
	seen := map[string]bool{}
	for _, item := range parseList(s) {
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" || seen[k] {
			return nil, fmt.Errorf("%w: %q", ErrBadTier, item)
		}
		seen[k] = true
		if k == "above" {
			n, err := parseCount(v)
			if err != nil || n == 0 {
				return nil, fmt.Errorf("%w: above must be a positive token count, got %q", ErrBadTier, v)
			}
			t.AboveInputTokens = n
			continue
		}
		nano, err := pricing.ParseUSD(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadTier, k, err)
		}
		switch k {
		case "input":
			t.Price.InputNanoUsd = nano
		case "output":
			t.Price.OutputNanoUsd = nano
		case "cache_read":
			t.Price.CacheReadNanoUsd = &nano
		case "cache_write":
			t.Price.CacheWriteNanoUsd = &nano
		case "reasoning":
			t.Price.ReasoningNanoUsd = &nano
		default:
			return nil, fmt.Errorf("%w: unknown key %q", ErrBadTier, k)
		}
	}
	for _, k := range []string{"above", "input", "output"} {
		if !seen[k] {
			return nil, fmt.Errorf("%w: %s is missing", ErrBadTier, k)
		}
	}
	return t, nil
}

// parseEnum reads a lower-case enum name ("owner") into its number, given
// the generated name→number map and the enum's prefix ("ROLE_").
func parseEnum(s, prefix string, values map[string]int32) (int32, error) {
	full := prefix + strings.ToUpper(strings.TrimSpace(s))
	if v, ok := values[full]; ok && v != 0 {
		return v, nil
	}
	return 0, fmt.Errorf("unknown value %q: want one of %s", s, strings.Join(enumChoices(prefix, values), ", "))
}

// enumChoices lists the names parseEnum accepts, in number order.
func enumChoices(prefix string, values map[string]int32) []string {
	byNum := make([]string, len(values))
	for name, v := range values {
		if int(v) < len(byNum) {
			byNum[v] = strings.ToLower(strings.TrimPrefix(name, prefix))
		}
	}
	var out []string
	for i, n := range byNum {
		if i > 0 && n != "" {
			out = append(out, n)
		}
	}
	return out
}
