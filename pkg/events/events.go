// Package events holds the names and configuration of the JetStream streams
// that carry usage events from the routers to billing. Control creates and
// updates the streams at start; routers and billing only use them.
//
// Only features of NATS 2.9 are used, so the server Debian ships works.
package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The contract of §3.3. Routers publish to SubjectPrefix + router id.
const (
	StreamUsage   = "BURNCLOUD_USAGE"
	SubjectsUsage = "burncloud.usage.v1.>"
	SubjectPrefix = "burncloud.usage.v1."
	StreamDLQ     = "BURNCLOUD_USAGE_DLQ"
	SubjectDLQ    = "burncloud.dlq.usage.v1"
)

// Defaults for the limits of the usage stream.
const (
	DefaultMaxAge = 7 * 24 * time.Hour
	// DefaultMaxBytes bounds the disk the stream may take. With DiscardNew a
	// full stream refuses events, which the routers keep in their spool, so
	// the bound must hold MaxAge worth of traffic.
	DefaultMaxBytes = 10 << 30
	DefaultReplicas = 1
)

// ErrOptions is returned for limits JetStream would refuse.
var ErrOptions = errors.New("events: invalid stream options")

// Options names and sizes the streams. The zero value is the production
// configuration; tests sharing a NATS server set Prefix to stay apart.
type Options struct {
	// Prefix is prepended to stream names and subjects, e.g. "T1234_".
	// Empty in production.
	Prefix string
	// MaxAge of a usage event in the stream; zero means DefaultMaxAge.
	MaxAge time.Duration
	// MaxBytes of the usage stream; zero means DefaultMaxBytes, -1 unlimited.
	MaxBytes int64
	// Replicas of both streams; zero means DefaultReplicas.
	Replicas int
}

func (o Options) withDefaults() Options {
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Replicas == 0 {
		o.Replicas = DefaultReplicas
	}
	return o
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("%w: max age %s is negative", ErrOptions, o.MaxAge))
	}
	if o.MaxBytes < -1 {
		errs = append(errs, fmt.Errorf("%w: max bytes %d is below -1 (unlimited)", ErrOptions, o.MaxBytes))
	}
	if o.Replicas < 1 || o.Replicas > 5 {
		errs = append(errs, fmt.Errorf("%w: replicas %d not in 1..5", ErrOptions, o.Replicas))
	}
	for _, c := range o.Prefix {
		if c == '.' || c == '*' || c == '>' || c == ' ' || c == '\t' || c == '/' || c == '\\' {
			errs = append(errs, fmt.Errorf("%w: prefix %q may not contain %q", ErrOptions, o.Prefix, c))
			break
		}
	}
	return errors.Join(errs...)
}

// UsageStream is the usage stream's name.
func (o Options) UsageStream() string { return o.Prefix + StreamUsage }

// DLQStream is the dead-letter stream's name.
func (o Options) DLQStream() string { return o.Prefix + StreamDLQ }

// UsageSubjects is the wildcard the usage stream captures.
func (o Options) UsageSubjects() string { return o.Prefix + SubjectsUsage }

// UsageSubject is where the router routerID publishes.
func (o Options) UsageSubject(routerID string) string {
	return o.Prefix + SubjectPrefix + routerID
}

// DLQSubject is where billing sends events it cannot settle.
func (o Options) DLQSubject() string { return o.Prefix + SubjectDLQ }

// UsageStreamConfig is the configuration of the usage stream.
func UsageStreamConfig(o Options) jetstream.StreamConfig {
	o = o.withDefaults()
	return jetstream.StreamConfig{
		Name:        o.UsageStream(),
		Description: "BurnCloud usage events, published by routers, settled by billing",
		Subjects:    []string{o.UsageSubjects()},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      o.MaxAge,
		MaxBytes:    o.MaxBytes,
		MaxMsgs:     -1,
		// Refusing new events keeps the ones not yet settled; routers spool
		// what is refused and retry.
		Discard:  jetstream.DiscardNew,
		Replicas: o.Replicas,
	}
}

// DLQStreamConfig is the configuration of the dead-letter stream. It keeps
// events until an operator removes them; it is small by nature.
func DLQStreamConfig(o Options) jetstream.StreamConfig {
	o = o.withDefaults()
	return jetstream.StreamConfig{
		Name:        o.DLQStream(),
		Description: "BurnCloud usage events billing refused, with the reason",
		Subjects:    []string{o.DLQSubject()},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Discard:     jetstream.DiscardOld,
		Replicas:    o.Replicas,
	}
}

// EnsureStreams creates both streams or updates them to the configuration.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	for _, cfg := range []jetstream.StreamConfig{UsageStreamConfig(o), DLQStreamConfig(o)} {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("events: ensure stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}
