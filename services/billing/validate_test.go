package billing

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

func validEvent() *usagev1.UsageEvent {
	return &usagev1.UsageEvent{
		Id:         "0190b6a8-7c2e-7b1a-9c3d-1f2e3d4c5b6a",
		Time:       timestamppb.New(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)),
		User:       "alice",
		HttpStatus: 200,
		Usage:      &usagev1.Usage{InputUncached: 10, Output: 20, Reasoning: 5},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*usagev1.UsageEvent)
		want   string // substring of the error; "" = valid
	}{
		{"valid", func(*usagev1.UsageEvent) {}, ""},
		{"bad id", func(e *usagev1.UsageEvent) { e.Id = "x" }, "not a UUID"},
		{"no time", func(e *usagev1.UsageEvent) { e.Time = nil }, "time"},
		{"no user", func(e *usagev1.UsageEvent) { e.User = "" }, "user is empty"},
		{"status", func(e *usagev1.UsageEvent) { e.HttpStatus = 0 }, "http_status"},
		{"negative cost", func(e *usagev1.UsageEvent) { e.CostNanoUsd = -1 }, "cost is negative"},
		{"negative tokens", func(e *usagev1.UsageEvent) { e.Usage.Output = -3 }, "usage.output"},
		{"huge tokens", func(e *usagev1.UsageEvent) { e.Usage.InputUncached = 1 << 41 }, "usage.input_uncached"},
		{"reasoning above output", func(e *usagev1.UsageEvent) { e.Usage.Reasoning = 21 }, "exceeds output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := validEvent()
			tt.mutate(ev)
			err := Validate(ev)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("valid event refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidEvent mentioning %q", err, tt.want)
			}
		})
	}
}
