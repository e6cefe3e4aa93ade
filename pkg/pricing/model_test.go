package pricing

import (
	"errors"
	"strings"
	"testing"
)

func TestModelValidate(t *testing.T) {
	tests := []struct {
		name   string
		model  Model
		fields []string // every field the error must name, in order
		errs   []error
	}{
		{"valid", Model{Input: 1, Output: 2, CacheRead: Price(0), MaxOutputTokens: 4096,
			Tiers: []Tier{{AboveInputTokens: 128_000, Input: 2, Output: 4}, {AboveInputTokens: 200_000, Input: 3, Output: 6}}},
			nil, nil},
		{"zero prices", Model{}, nil, nil},
		{"prices at the bounds", Model{Input: MaxPriceNano, Output: MaxPriceNano, RequestFee: MaxFeeNano}, nil, nil},
		{"every problem at once", Model{
			Input: -1, Output: MaxPriceNano + 1, CacheWrite: Price(-5), AudioInput: Price(-1),
			RequestFee: MaxFeeNano + 1, MaxOutputTokens: -1,
			Tiers: []Tier{
				{AboveInputTokens: 200_000, Input: 1, Output: 1},
				{AboveInputTokens: 200_000, Input: 1, Output: -1},
				{AboveInputTokens: 0, Input: 1, Output: 1, Reasoning: Price(MaxPriceNano + 1)},
			},
		},
			[]string{"input", "output", "cache_write", "audio_input", "request_fee", "max_output_tokens",
				"tiers[1].above_input_tokens", "tiers[1].output", "tiers[2].above_input_tokens", "tiers[2].reasoning"},
			[]error{ErrNegative, ErrOutOfRange, ErrNegative, ErrNegative, ErrOutOfRange, ErrNegative,
				ErrTierOrder, ErrNegative, ErrTierOrder, ErrOutOfRange}},
		{"unset optional is not checked", Model{CacheRead: Optional{Nano: -1}}, nil, nil},
		{"negative threshold", Model{Tiers: []Tier{{AboveInputTokens: -1}}},
			[]string{"tiers[0].above_input_tokens"}, []error{ErrTierOrder}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.model.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("Validate = %v, want %d joined errors", err, len(tt.fields))
			}
			got := joined.Unwrap()
			if len(got) != len(tt.fields) {
				t.Fatalf("Validate found %d problems, want %d:\n%v", len(got), len(tt.fields), err)
			}
			for i, e := range got {
				var fe *FieldError
				if !errors.As(e, &fe) || fe.Field != tt.fields[i] || !errors.Is(e, tt.errs[i]) {
					t.Errorf("problem %d = %v, want %s: %v", i, e, tt.fields[i], tt.errs[i])
				}
				if !strings.HasPrefix(e.Error(), tt.fields[i]+": ") {
					t.Errorf("problem %d message %q does not start with the field", i, e)
				}
			}
		})
	}
}

func TestParseServiceTier(t *testing.T) {
	tests := []struct {
		in   string
		want ServiceTier
		ppm  int64
		err  bool
	}{
		{"", ServiceStandard, OnePPM, false},
		{"standard", ServiceStandard, OnePPM, false},
		{"default", ServiceStandard, OnePPM, false},
		{"auto", ServiceStandard, OnePPM, false},
		{"batch", ServiceBatch, DefaultBatchPPM, false},
		{"Batch", ServiceBatch, DefaultBatchPPM, false},
		{"flex", ServiceBatch, DefaultBatchPPM, false},
		{"priority", ServicePriority, DefaultPriorityPPM, false},
		{"PRIORITY", ServicePriority, DefaultPriorityPPM, false},
		{"scale", ServiceStandard, 0, true},
		{"batch ", ServiceStandard, 0, true},
	}
	for _, tt := range tests {
		got, err := ParseServiceTier(tt.in)
		if tt.err {
			if !errors.Is(err, ErrServiceTier) {
				t.Errorf("ParseServiceTier(%q) error = %v, want ErrServiceTier", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseServiceTier(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
		if got.DefaultPPM() != tt.ppm {
			t.Errorf("%v.DefaultPPM() = %d, want %d", got, got.DefaultPPM(), tt.ppm)
		}
		if back, err := ParseServiceTier(got.String()); err != nil || back != got {
			t.Errorf("ParseServiceTier(%q) = %v, %v, want %v", got.String(), back, err, got)
		}
	}
	if s := ServiceTier(9).String(); s != "ServiceTier(9)" {
		t.Errorf("unknown tier String() = %q", s)
	}
}

func TestModifiersValidate(t *testing.T) {
	tests := []struct {
		name   string
		mod    Modifiers
		fields []string
	}{
		{"list price", ListPrice(), nil},
		{"zero ratios allowed", Modifiers{TierPPM: 1}, nil},
		{"at the bound", Modifiers{TierPPM: MaxModifierPPM, GroupRatioPPM: MaxModifierPPM, ChannelCostRatioPPM: MaxModifierPPM}, nil},
		{"zero value", Modifiers{}, []string{"tier_ppm"}},
		{"all wrong", Modifiers{TierPPM: MaxModifierPPM + 1, GroupRatioPPM: -1, ChannelCostRatioPPM: MaxModifierPPM + 1},
			[]string{"tier_ppm", "group_ratio_ppm", "channel_cost_ratio_ppm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.mod.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %+v", tt.mod)
			}
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f+": ") {
					t.Errorf("error %q does not name %s", err, f)
				}
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tt.fields) {
				t.Errorf("error has %d lines, want %d: %v", got, len(tt.fields), err)
			}
		})
	}
}
