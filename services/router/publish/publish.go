// Package publish moves usage events from the request path to JetStream
// through the spool: Publish marshals and spools an event without waiting,
// and a background loop publishes durable records asynchronously, removing
// each from the spool only once JetStream acknowledged it (a duplicate ack
// counts). When NATS is unreachable events stay spooled and publishing is
// retried with backoff; on start the spool is replayed.
package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/burncloud/burncloud/pkg/events"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/services/router/spool"
)

// Defaults for Config.
const (
	DefaultMaxInFlight = 256
	DefaultAckTimeout  = 5 * time.Second
	DefaultMinBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Second
)

var (
	// ErrConfig: the configuration is invalid.
	ErrConfig = errors.New("publish: invalid configuration")
	// ErrClosed: Close was already called.
	ErrClosed = errors.New("publish: closed")
)

// Config configures a Publisher. Zero durations and counts take defaults.
type Config struct {
	// RouterID names the subject: burncloud.usage.v1.<router-id>.
	RouterID string
	// Events carries the subject prefix (tests use private ones).
	Events events.Options
	// MaxInFlight bounds publishes awaiting JetStream's ack.
	MaxInFlight int
	// AckTimeout fails a publish whose ack did not come; it is retried.
	AckTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between retry rounds.
	MinBackoff time.Duration
	MaxBackoff time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	return c
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.RouterID == "" {
		errs = append(errs, fmt.Errorf("%w: router id is empty", ErrConfig))
	}
	for _, r := range c.RouterID {
		if r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f {
			errs = append(errs, fmt.Errorf("%w: router id %q is not a single subject token", ErrConfig, c.RouterID))
			break
		}
	}
	if err := c.Events.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrConfig, err))
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 1<<16 {
		errs = append(errs, fmt.Errorf("%w: max in flight %d not in 1..65536", ErrConfig, c.MaxInFlight))
	}
	if c.AckTimeout < 0 {
		errs = append(errs, fmt.Errorf("%w: ack timeout %s is negative", ErrConfig, c.AckTimeout))
	}
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("%w: backoff %s..%s is not a range", ErrConfig, c.MinBackoff, c.MaxBackoff))
	}
	return errors.Join(errs...)
}

// Publisher is the router's EventSink. Safe for concurrent use.
type Publisher struct {
	cfg     Config
	subject string
	sp      *spool.Spool
	nc      *nats.Conn
	log     *zap.Logger
	// inbox prefixes the reply subjects; acks arrive on replies.
	inbox   string
	sub     *nats.Subscription
	replies chan *nats.Msg
	m       *Metrics

	bufs        sync.Pool // *[]byte for marshalling
	closed      atomic.Bool
	lastDropLog atomic.Int64
	lastErrLog  atomic.Int64

	slots    chan struct{} // one per publish in flight
	mu       sync.Mutex
	inflight map[uint64]time.Time // record id → when it was sent
	failed   atomic.Bool          // a publish failed: rewind after the in-flight settle
	acks     atomic.Uint64        // acknowledgements since the last rewind

	stop          chan struct{}
	draining      chan struct{} // closed by Close: send and record acks without lingering
	loopDone      chan struct{}
	collectorDone chan struct{}
}

// maxPooledBuffer keeps one unusually large event from pinning memory.
const maxPooledBuffer = 64 << 10

// New starts a publisher over an open spool and replays what the spool
// holds. Once New succeeds the publisher owns sp (Close closes it); nc
// stays the caller's. m may be nil.
func New(nc *nats.Conn, sp *spool.Spool, cfg Config, log *zap.Logger, m *Metrics) (*Publisher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if nc == nil || sp == nil {
		return nil, fmt.Errorf("%w: a NATS connection and a spool are required", ErrConfig)
	}
	// At most MaxInFlight acks are awaited at once; the room beyond takes
	// late acks of publishes that timed out.
	inbox := nc.NewInbox()
	replies := make(chan *nats.Msg, 2*cfg.MaxInFlight)
	sub, err := nc.ChanSubscribe(inbox+".*", replies)
	if err != nil {
		return nil, fmt.Errorf("publish: subscribe to acknowledgements: %w", err)
	}
	// The server knows the subscription before the first ack is due; if
	// NATS is away now, acks missed meanwhile time out and are retried.
	_ = nc.FlushTimeout(time.Second)
	if log == nil {
		log = zap.NewNop()
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	p := &Publisher{
		cfg:           cfg,
		subject:       cfg.Events.UsageSubject(cfg.RouterID),
		sp:            sp,
		nc:            nc,
		log:           log,
		inbox:         inbox,
		sub:           sub,
		replies:       replies,
		inflight:      make(map[uint64]time.Time, cfg.MaxInFlight),
		m:             m,
		slots:         make(chan struct{}, cfg.MaxInFlight),
		stop:          make(chan struct{}),
		draining:      make(chan struct{}),
		loopDone:      make(chan struct{}),
		collectorDone: make(chan struct{}),
	}
	p.bufs.New = func() any {
		b := make([]byte, 0, 1024)
		return &b
	}
	if st := sp.Stats(); st.Records > 0 {
		log.Info("replaying spooled usage events", zap.Int64("events", st.Records), zap.Time("oldest", st.Oldest))
	}
	go p.run()
	go p.collect()
	return p, nil
}

// Publish spools ev for publishing and returns at once: it never waits for
// the disk or NATS. Events it cannot spool are counted and logged.
func (p *Publisher) Publish(ev *usagev1.UsageEvent) {
	if p.closed.Load() {
		p.drop(dropClosed, ErrClosed)
		return
	}
	if ev.GetId() == "" {
		p.drop(dropInvalid, errors.New("usage event without id"))
		return
	}
	bp := p.bufs.Get().(*[]byte)
	b, err := proto.MarshalOptions{}.MarshalAppend((*bp)[:0], ev)
	if err != nil {
		p.bufs.Put(bp)
		p.drop(dropMarshal, err)
		return
	}
	_, err = p.sp.Append(b)
	if cap(b) <= maxPooledBuffer {
		*bp = b[:0]
		p.bufs.Put(bp)
	}
	switch {
	case err == nil:
	case errors.Is(err, spool.ErrFull):
		p.drop(dropSpoolFull, err)
	case errors.Is(err, spool.ErrTooLarge):
		p.drop(dropTooLarge, err)
	case errors.Is(err, spool.ErrClosed):
		p.drop(dropClosed, err)
	default:
		p.drop(dropSpool, err)
	}
}

func (p *Publisher) drop(reason string, err error) {
	p.m.dropped.WithLabelValues(reason).Inc()
	if rateOK(&p.lastDropLog) {
		p.log.Error("usage event dropped", zap.String("reason", reason), zap.Error(err))
	}
}

// rateOK allows one log line per second per call site.
func rateOK(last *atomic.Int64) bool {
	now := time.Now().UnixNano()
	prev := last.Load()
	return now-prev >= int64(time.Second) && last.CompareAndSwap(prev, now)
}

// Flush waits until every event published so far is durable in the spool.
func (p *Publisher) Flush(ctx context.Context) error {
	return p.sp.Flush(ctx)
}

// Close stops accepting events, makes the spooled ones durable, keeps
// publishing until the spool is empty or ctx ends, and closes the spool.
// What is left stays on disk for the next start.
func (p *Publisher) Close(ctx context.Context) error {
	if !p.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	close(p.draining)
	var errs []error
	if err := p.sp.Flush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("publish: flush spool: %w", err))
	}
	tick := time.NewTicker(5 * time.Millisecond)
wait:
	for p.sp.Stats().Records > 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			break wait
		}
	}
	tick.Stop()
	close(p.stop)
	<-p.loopDone
	<-p.collectorDone
	_ = p.sub.Unsubscribe()
	if left := p.sp.Stats().Records; left > 0 {
		p.log.Warn("usage events left in the spool for the next start", zap.Int64("events", left))
	}
	if err := p.sp.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
