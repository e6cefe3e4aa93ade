package control

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/pkg/config"
)

func goodEnv() map[string]string {
	return map[string]string{
		"BURNCLOUD_DATABASE_URL":   "postgres://postgres@127.0.0.1:5432/burncloud",
		"BURNCLOUD_SECRET":         "0123456789abcdef0123",
		"BURNCLOUD_INTERNAL_TOKEN": "internal-token-0123456789",
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(nil, config.MapLookup(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8081" || c.NATSURL != DefaultNATSURL || c.CoalesceWindow != 100*time.Millisecond ||
		c.Heartbeat != 5*time.Second || c.PollInterval != time.Second || c.PageSize != DefaultPageSize ||
		c.Streams.MaxAge != 7*24*time.Hour || c.Streams.Replicas != 1 || c.Streams.MaxBytes <= 0 || c.LogLevel != "info" {
		t.Errorf("defaults = %+v", c)
	}
	if c.Env == nil {
		t.Error("Env not set")
	}
}

func TestLoadConfigOverrides(t *testing.T) {
	env := with(goodEnv(), "BURNCLOUD_CONTROL_COALESCE_WINDOW", "250ms", "BURNCLOUD_USAGE_MAX_BYTES", "-1", "BURNCLOUD_USAGE_REPLICAS", "3")
	c, err := LoadConfig([]string{"--addr", "127.0.0.1:9000", "--heartbeat", "1s"}, config.MapLookup(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.Heartbeat != time.Second || c.CoalesceWindow != 250*time.Millisecond ||
		c.Streams.MaxBytes != -1 || c.Streams.Replicas != 3 {
		t.Errorf("overrides = %+v", c)
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"empty environment", map[string]string{},
			nil, []string{"BURNCLOUD_DATABASE_URL", "BURNCLOUD_SECRET", "BURNCLOUD_INTERNAL_TOKEN"}},
		{"short secrets", with(goodEnv(), "BURNCLOUD_SECRET", "short", "BURNCLOUD_INTERNAL_TOKEN", "tiny", "BURNCLOUD_ADMIN_KEY", "abc"),
			nil, []string{"BURNCLOUD_SECRET", "BURNCLOUD_INTERNAL_TOKEN", "BURNCLOUD_ADMIN_KEY"}},
		{"bad values everywhere", with(goodEnv(),
			"BURNCLOUD_DATABASE_URL", "mysql://x/y",
			"BURNCLOUD_CONTROL_ADDR", "nonsense",
			"BURNCLOUD_LOG_LEVEL", "loud",
			"BURNCLOUD_CONTROL_HEARTBEAT", "often",
			"BURNCLOUD_CONTROL_COALESCE_WINDOW", "0s",
			"BURNCLOUD_SNAPSHOT_PAGE_SIZE", "0",
			"BURNCLOUD_USAGE_MAX_BYTES", "-7",
			"BURNCLOUD_USAGE_REPLICAS", "9"),
			nil, []string{"BURNCLOUD_DATABASE_URL", "BURNCLOUD_CONTROL_ADDR", "BURNCLOUD_LOG_LEVEL", "BURNCLOUD_CONTROL_HEARTBEAT",
				"BURNCLOUD_CONTROL_COALESCE_WINDOW", "BURNCLOUD_SNAPSHOT_PAGE_SIZE", "BURNCLOUD_USAGE_MAX_BYTES", "BURNCLOUD_USAGE_REPLICAS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(tt.args, config.MapLookup(tt.env))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %s:\n%v", w, err)
				}
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tt.want) {
				t.Errorf("%d problems reported, want %d:\n%v", got, len(tt.want), err)
			}
			// Secrets never appear in the message.
			for _, k := range []string{"BURNCLOUD_SECRET", "BURNCLOUD_INTERNAL_TOKEN", "BURNCLOUD_ADMIN_KEY"} {
				if v := tt.env[k]; len(v) > 2 && strings.Contains(err.Error(), v) {
					t.Errorf("error shows the value of %s", k)
				}
			}
		})
	}
}

func TestLoadConfigCommandLine(t *testing.T) {
	if _, err := LoadConfig([]string{"--no-such-flag"}, config.MapLookup(goodEnv())); !errors.Is(err, config.ErrUsage) {
		t.Errorf("unknown flag: %v", err)
	}
	if _, err := LoadConfig([]string{"--help"}, config.MapLookup(goodEnv())); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
}

func TestLoadMigrateConfig(t *testing.T) {
	c, err := LoadMigrateConfig(nil, config.MapLookup(map[string]string{"BURNCLOUD_DATABASE_URL": "postgres://h/db"}))
	if err != nil || c.DatabaseURL != "postgres://h/db" {
		t.Errorf("migrate config = %+v, %v", c, err)
	}
	if _, err := LoadMigrateConfig(nil, config.MapLookup(nil)); !errors.Is(err, config.ErrRequired) {
		t.Errorf("migrate without a database: %v", err)
	}
}
