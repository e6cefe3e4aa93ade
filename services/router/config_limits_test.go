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
