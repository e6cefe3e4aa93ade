package billing

import (
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/pkg/config"
)

func TestLoadConfigValid(t *testing.T) {
	cfg, err := LoadConfig([]string{"--batch-size", "50"}, config.MapLookup(map[string]string{
		"BURNCLOUD_DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
		"BURNCLOUD_BILLING_ADDR": "127.0.0.1:9999",
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.Addr != "127.0.0.1:9999" || cfg.Consumer.BatchSize != 50 || cfg.Consumer.Durable != "billing" {
		t.Fatalf("unexpected config: %+v", cfg)
	}
	if cfg.Consumer.AckWait != 30*time.Second {
		t.Fatalf("AckWait = %s", cfg.Consumer.AckWait)
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := LoadConfig([]string{"--batch-size", "0", "--max-deliver", "1"}, config.MapLookup(map[string]string{
		"BURNCLOUD_NATS_URL":     "http://wrong",
		"BURNCLOUD_BILLING_ADDR": "nope",
		"BURNCLOUD_LOG_LEVEL":    "loud",
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, want := range []string{
		"BURNCLOUD_DATABASE_URL", "BURNCLOUD_NATS_URL", "BURNCLOUD_BILLING_ADDR",
		"BURNCLOUD_LOG_LEVEL", "BURNCLOUD_BILLING_BATCH_SIZE", "BURNCLOUD_BILLING_MAX_DELIVER",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not name %s:\n%s", want, msg)
		}
	}
}

func TestLoadConfigHidesDatabasePassword(t *testing.T) {
	_, err := LoadConfig(nil, config.MapLookup(map[string]string{
		"BURNCLOUD_DATABASE_URL": "mysql://user:hunter2@db/x",
	}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("want an error without the password, got %v", err)
	}
}
