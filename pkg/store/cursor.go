package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

// Listings of settled usage are ordered by (event time, event id), newest
// first. Their keyset cursor carries both; it is opaque to API clients so
// that the encoding can change without breaking page tokens in flight for
// long.

// RequestLogCursor is the Page.After that continues ListRequestLogs after e.
func RequestLogCursor(e *usagev1.UsageEvent) string {
	return EventCursor(e.GetTime().AsTime(), e.GetId())
}

// LedgerCursor is the Page.After that continues ListLedger after e.
func LedgerCursor(e *adminv1.LedgerEntry) string {
	return EventCursor(e.GetTime().AsTime(), e.GetEventId())
}

// EventCursor encodes a position in a listing ordered by (time, id).
func EventCursor(t time.Time, id string) string {
	raw := strconv.FormatInt(t.UnixNano(), 10) + "/" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseEventCursor decodes EventCursor's output; errors wrap ErrBadPage.
func ParseEventCursor(s string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: %v", ErrBadPage, err)
	}
	ns, id, ok := strings.Cut(string(raw), "/")
	if !ok {
		return time.Time{}, "", fmt.Errorf("%w: no separator", ErrBadPage)
	}
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: bad time", ErrBadPage)
	}
	return time.Unix(0, n).UTC(), id, nil
}

// TokenCursor is the Page.After that continues ListTokens after the token
// (user, name).
func TokenCursor(user, name string) string { return user + "/" + name }

// ParseTokenCursor splits TokenCursor's output; errors wrap ErrBadPage.
func ParseTokenCursor(s string) (user, name string, err error) {
	user, name, ok := strings.Cut(s, "/")
	if !ok {
		return "", "", fmt.Errorf("%w: token cursor %q is not user/name", ErrBadPage, s)
	}
	return user, name, nil
}

// PageSize is p.Size, or DefaultPageSize when it is not positive.
func PageSize(p Page) int {
	if p.Size <= 0 {
		return DefaultPageSize
	}
	return p.Size
}
