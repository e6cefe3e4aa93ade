// Package billing settles usage events from JetStream exactly once into the
// ledger, the balances and the request logs.
package billing

import (
	"errors"
	"fmt"
	"time"

	"github.com/burncloud/burncloud/pkg/config"
)

// Config is burncloud-billing's configuration.
type Config struct {
	Addr         string
	DatabaseURL  string
	NATSURL      string
	LogLevel     string
	PyroscopeURL string

	Consumer consumerSettings
	// RequestLogRetention drops request logs older than this; 0 keeps them.
	RequestLogRetention time.Duration
	DrainTimeout        time.Duration
}

type consumerSettings = ConsumerOptions

// Defaults is the configuration LoadConfig starts from, without the
// addresses and the database; `burncloud dev` embeds billing with it.
func Defaults() Config {
	return Config{
		Consumer: ConsumerOptions{
			Durable:       "billing",
			BatchSize:     1000,
			BatchWait:     200 * time.Millisecond,
			AckWait:       30 * time.Second,
			MaxDeliver:    50,
			MaxAckPending: 20000,
		},
		RequestLogRetention: 90 * 24 * time.Hour,
		DrainTimeout:        20 * time.Second,
	}
}

// LoadConfig reads flags and BURNCLOUD_* variables and reports every problem at once.
func LoadConfig(args []string, env config.Lookup) (Config, error) {
	var c Config
	d := Defaults()
	s := config.NewSet("burncloud-billing", env)
	s.Addr(&c.Addr, "addr", "BURNCLOUD_BILLING_ADDR", ":8082", "listen address for /metrics, /healthz and /readyz")
	s.URL(&c.DatabaseURL, "database-url", "BURNCLOUD_DATABASE_URL", "", "Postgres URL",
		config.Required, config.Secret, config.Schemes("postgres", "postgresql"))
	s.URL(&c.NATSURL, "nats-url", "BURNCLOUD_NATS_URL", "nats://127.0.0.1:4222", "NATS URL", config.Schemes("nats", "tls"))
	s.LogLevel(&c.LogLevel, "log-level", "BURNCLOUD_LOG_LEVEL", "info", "debug, info, warn or error")
	s.URL(&c.PyroscopeURL, "pyroscope-url", "BURNCLOUD_PYROSCOPE_URL", "", "Pyroscope server; empty disables profiling",
		config.Secret, config.Schemes("http", "https"))
	s.String(&c.Consumer.Durable, "consumer", "BURNCLOUD_BILLING_CONSUMER", d.Consumer.Durable, "durable consumer name")
	s.Int(&c.Consumer.BatchSize, "batch-size", "BURNCLOUD_BILLING_BATCH_SIZE", d.Consumer.BatchSize, "events settled per transaction at most")
	s.Duration(&c.Consumer.BatchWait, "batch-wait", "BURNCLOUD_BILLING_BATCH_WAIT", d.Consumer.BatchWait, "longest wait to fill a batch")
	s.Duration(&c.Consumer.AckWait, "ack-wait", "BURNCLOUD_BILLING_ACK_WAIT", d.Consumer.AckWait, "redelivery delay of unacknowledged events")
	s.Int(&c.Consumer.MaxDeliver, "max-deliver", "BURNCLOUD_BILLING_MAX_DELIVER", d.Consumer.MaxDeliver, "deliveries of one event before JetStream gives up")
	s.Int(&c.Consumer.MaxAckPending, "max-ack-pending", "BURNCLOUD_BILLING_MAX_ACK_PENDING", d.Consumer.MaxAckPending, "events in flight across replicas")
	s.Duration(&c.RequestLogRetention, "request-log-retention", "BURNCLOUD_REQUEST_LOG_RETENTION", d.RequestLogRetention, "drop request logs older than this; 0 keeps them")
	s.Duration(&c.DrainTimeout, "drain-timeout", "BURNCLOUD_DRAIN_TIMEOUT", d.DrainTimeout, "longest graceful shutdown")
	err := s.Parse(args)
	return c, errors.Join(err, c.Consumer.validate())
}

func (o ConsumerOptions) validate() error {
	var errs []error
	if o.BatchSize < 1 || o.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("BURNCLOUD_BILLING_BATCH_SIZE (--batch-size): %d is outside 1..10000", o.BatchSize))
	}
	if o.MaxDeliver < 2 {
		errs = append(errs, fmt.Errorf("BURNCLOUD_BILLING_MAX_DELIVER (--max-deliver): %d is below 2", o.MaxDeliver))
	}
	if o.MaxAckPending < o.BatchSize {
		errs = append(errs, fmt.Errorf("BURNCLOUD_BILLING_MAX_ACK_PENDING (--max-ack-pending): %d is below the batch size %d", o.MaxAckPending, o.BatchSize))
	}
	if o.AckWait < time.Second {
		errs = append(errs, fmt.Errorf("BURNCLOUD_BILLING_ACK_WAIT (--ack-wait): %s is below 1s", o.AckWait))
	}
	return errors.Join(errs...)
}
