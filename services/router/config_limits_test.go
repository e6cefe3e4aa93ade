package router

import (
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/pkg/config"
	"github.com/burncloud/burncloud/services/router/limits"
)

func TestLoadConfigReservationTTL(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration // 0: refused
	}{
		{"", limits.DefaultReservationTTL},
		{"3s", 3 * time.Second},
		{"0s", 0},
		{"25h", 0},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			vars := map[string]string{"BURNCLOUD_SECRET": "0123456789abcdef", "BURNCLOUD_INTERNAL_TOKEN": "tok"}
			if tt.value != "" {
				vars["BURNCLOUD_LIMITS_RESERVATION_TTL"] = tt.value
			}
			cfg, err := LoadConfig(nil, config.MapLookup(vars))
			if tt.want == 0 {
				if err == nil || !strings.Contains(err.Error(), "BURNCLOUD_LIMITS_RESERVATION_TTL") {
					t.Fatalf("error %v, want one naming BURNCLOUD_LIMITS_RESERVATION_TTL", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.LimitsReservationTTL != tt.want || limitsConfig(cfg, limits.FallbackLocal).ReservationTTL != tt.want {
				t.Fatalf("reservation TTL %s, want %s", cfg.LimitsReservationTTL, tt.want)
			}
		})
	}
}

// The adaptive channel limits' constants come from the environment,
// checked, and reach the limiter; the defaults are the limiter's own.
func TestLoadConfigAdaptive(t *testing.T) {
	base := map[string]string{"BURNCLOUD_SECRET": "0123456789abcdef", "BURNCLOUD_INTERNAL_TOKEN": "tok"}
	load := func(extra map[string]string) (Config, error) {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range extra {
			vars[k] = v
		}
		return LoadConfig(nil, config.MapLookup(vars))
	}
	cfg, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	lc := limitsConfig(cfg, limits.FallbackLocal)
	if lc.AdaptiveOff || lc.AdaptiveBackoff != limits.DefaultAdaptiveBackoff ||
		lc.AdaptiveGap != limits.DefaultAdaptiveGap || lc.AdaptiveForget != limits.DefaultAdaptiveForget {
		t.Fatalf("defaults: off %v, backoff %v, gap %s, forget %s", lc.AdaptiveOff, lc.AdaptiveBackoff, lc.AdaptiveGap, lc.AdaptiveForget)
	}
	cfg, err = load(map[string]string{
		"BURNCLOUD_LIMITS_ADAPTIVE": "false", "BURNCLOUD_LIMITS_ADAPTIVE_BACKOFF_PERCENT": "50",
		"BURNCLOUD_LIMITS_ADAPTIVE_GAP": "250ms", "BURNCLOUD_LIMITS_ADAPTIVE_FORGET": "1h",
	})
	if err != nil {
		t.Fatal(err)
	}
	lc = limitsConfig(cfg, limits.FallbackLocal)
	if !lc.AdaptiveOff || lc.AdaptiveBackoff != 0.5 || lc.AdaptiveGap != 250*time.Millisecond || lc.AdaptiveForget != time.Hour {
		t.Fatalf("set: off %v, backoff %v, gap %s, forget %s", lc.AdaptiveOff, lc.AdaptiveBackoff, lc.AdaptiveGap, lc.AdaptiveForget)
	}
	_, err = load(map[string]string{
		"BURNCLOUD_LIMITS_ADAPTIVE_BACKOFF_PERCENT": "100", "BURNCLOUD_LIMITS_ADAPTIVE_GAP": "0s", "BURNCLOUD_LIMITS_ADAPTIVE_FORGET": "25h",
	})
	for _, name := range []string{"BURNCLOUD_LIMITS_ADAPTIVE_BACKOFF_PERCENT", "BURNCLOUD_LIMITS_ADAPTIVE_GAP", "BURNCLOUD_LIMITS_ADAPTIVE_FORGET"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}
