package billing

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

// ErrInvalidEvent marks an event that can never be settled; it goes to the DLQ.
var ErrInvalidEvent = errors.New("invalid usage event")

// maxTokens bounds every token count: far above any context window, far
// below what could overflow a sum over a batch.
const maxTokens = 1 << 40

// Validate checks what settlement relies on. Every problem is reported.
func Validate(ev *usagev1.UsageEvent) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, err := uuid.Parse(ev.GetId()); err != nil {
		bad("id %q is not a UUID", ev.GetId())
	}
	if ev.GetTime() == nil || ev.GetTime().AsTime().IsZero() || ev.GetTime().CheckValid() != nil {
		bad("time is missing or invalid")
	}
	if ev.GetUser() == "" {
		bad("user is empty")
	}
	if s := ev.GetHttpStatus(); s < 100 || s > 599 {
		bad("http_status %d is not an HTTP status", s)
	}
	if ev.GetCostNanoUsd() < 0 || ev.GetUpstreamCostNanoUsd() < 0 {
		bad("cost is negative")
	}
	u := ev.GetUsage()
	for _, n := range []struct {
		name string
		v    int64
	}{
		{"input_uncached", u.GetInputUncached()},
		{"input_cache_read", u.GetInputCacheRead()},
		{"input_cache_write", u.GetInputCacheWrite()},
		{"output", u.GetOutput()},
		{"reasoning", u.GetReasoning()},
	} {
		if n.v < 0 || n.v > maxTokens {
			bad("usage.%s %d is outside 0..2^40", n.name, n.v)
		}
	}
	if u.GetReasoning() > u.GetOutput() {
		bad("usage.reasoning %d exceeds output %d", u.GetReasoning(), u.GetOutput())
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidEvent, errors.Join(errs...))
}
