package router

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/pkg/config"
)

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(nil, config.MapLookup(map[string]string{
		"BURNCLOUD_SECRET": "0123456789abcdef", "BURNCLOUD_INTERNAL_TOKEN": "tok",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.ControlURL != "http://127.0.0.1:8081" || cfg.NATSURL != "nats://127.0.0.1:4222" ||
		cfg.AllowPrivateUpstreams || cfg.MaxBodyBytes != DefaultMaxBodyBytes || cfg.MaxAttempts != DefaultMaxAttempts ||
		cfg.FirstByteTimeout != DefaultFirstByteTimeout || cfg.RouterID == "" || cfg.LogLevel != "info" {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestLoadConfigEnvAndFlags(t *testing.T) {
	env := config.MapLookup(map[string]string{
		"BURNCLOUD_SECRET": "0123456789abcdef", "BURNCLOUD_INTERNAL_TOKEN": "tok",
		"BURNCLOUD_ROUTER_ADDR": ":9000", "BURNCLOUD_ALLOW_PRIVATE_UPSTREAMS": "true",
		"BURNCLOUD_ROUTER_ID": "r-7", "BURNCLOUD_MAX_BODY_BYTES": "1024", "BURNCLOUD_UPSTREAM_IDLE_TIMEOUT": "5s",
		"BURNCLOUD_CONTROL_URL": "https://control.internal:8081", "BURNCLOUD_SPOOL_DIR": "/var/spool/bc",
	})
	cfg, err := LoadConfig([]string{"--addr", ":9100", "--max-attempts", "5"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9100" || !cfg.AllowPrivateUpstreams || cfg.RouterID != "r-7" || cfg.MaxBodyBytes != 1024 ||
		cfg.IdleTimeout != 5*time.Second || cfg.MaxAttempts != 5 || cfg.ControlURL != "https://control.internal:8081" ||
		cfg.SpoolDir != "/var/spool/bc" {
		t.Errorf("config: %+v", cfg)
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	env := config.MapLookup(map[string]string{
		"BURNCLOUD_SECRET": "short", "BURNCLOUD_CONTROL_URL": "ftp://x", "BURNCLOUD_MAX_BODY_BYTES": "0",
		"BURNCLOUD_UPSTREAM_CONNECT_TIMEOUT": "soon", "BURNCLOUD_LOG_LEVEL": "loud",
	})
	_, err := LoadConfig([]string{"--breaker-failures", "20", "--breaker-window", "10"}, env)
	if err == nil {
		t.Fatal("no error")
	}
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		t.Errorf("no FieldError in %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"BURNCLOUD_INTERNAL_TOKEN", "BURNCLOUD_CONTROL_URL", "BURNCLOUD_MAX_BODY_BYTES",
		"BURNCLOUD_UPSTREAM_CONNECT_TIMEOUT", "BURNCLOUD_LOG_LEVEL", "BURNCLOUD_SECRET", "breaker-window"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not name %s:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "short") {
		t.Errorf("error shows the secret:\n%s", msg)
	}
}

func TestLoadConfigBadCommandLine(t *testing.T) {
	_, err := LoadConfig([]string{"--no-such-flag"}, config.MapLookup(nil))
	if !errors.Is(err, config.ErrUsage) {
		t.Fatalf("err = %v, want ErrUsage", err)
	}
}

func TestLoadConfigLimits(t *testing.T) {
	base := map[string]string{"BURNCLOUD_SECRET": "0123456789abcdef", "BURNCLOUD_INTERNAL_TOKEN": "tok"}
	tests := []struct {
		name    string
		env     map[string]string
		bad     []string // variables the error must name; none: valid
		check   func(Config) bool
		noLeaks []string
	}{
		{name: "defaults", check: func(c Config) bool {
			return c.RedisURL == "" && c.FleetSize == 1 && c.LimitsWindow == time.Minute && c.LimitsFallback == "local"
		}},
		{name: "set", env: map[string]string{
			"BURNCLOUD_REDIS_URL": "redis://:pw@redis:6379/2", "BURNCLOUD_FLEET_SIZE": "4",
			"BURNCLOUD_LIMITS_WINDOW": "10s", "BURNCLOUD_LIMITS_FALLBACK": "closed",
		}, check: func(c Config) bool {
			return c.RedisURL == "redis://:pw@redis:6379/2" && c.FleetSize == 4 && c.LimitsWindow == 10*time.Second &&
				c.LimitsFallback == "closed"
		}},
		{name: "invalid", env: map[string]string{
			"BURNCLOUD_REDIS_URL": "http://user:hunter2@redis:6379", "BURNCLOUD_FLEET_SIZE": "0",
			"BURNCLOUD_LIMITS_WINDOW": "0s", "BURNCLOUD_LIMITS_FALLBACK": "maybe",
		}, bad: []string{"BURNCLOUD_REDIS_URL", "BURNCLOUD_FLEET_SIZE", "BURNCLOUD_LIMITS_WINDOW", "BURNCLOUD_LIMITS_FALLBACK"},
			noLeaks: []string{"hunter2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tt.env {
				vars[k] = v
			}
			cfg, err := LoadConfig(nil, config.MapLookup(vars))
			if len(tt.bad) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(cfg) {
					t.Errorf("config: redis %q fleet %d window %s fallback %q", cfg.RedisURL, cfg.FleetSize, cfg.LimitsWindow, cfg.LimitsFallback)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.bad {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not name %s:\n%v", want, err)
				}
			}
			for _, leak := range tt.noLeaks {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error shows %q:\n%v", leak, err)
				}
			}
		})
	}
}
