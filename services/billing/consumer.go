package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/burncloud/burncloud/pkg/events"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// Settler records a batch exactly once; store.Store is one.
type Settler interface {
	Settle(ctx context.Context, evs []*usagev1.UsageEvent) (store.SettleResult, error)
}

// ConsumerOptions shape the durable pull consumer.
type ConsumerOptions struct {
	Durable       string
	BatchSize     int
	BatchWait     time.Duration
	AckWait       time.Duration
	MaxDeliver    int
	MaxAckPending int
	// Stream and DLQSubject default to the contract's names; tests use their own.
	Stream     string
	DLQSubject string
	// AfterCommit runs after a batch committed and before it is acknowledged.
	// A non-nil error stops Run there, as a crash between commit and ack would.
	AfterCommit func() error
}

// Headers on a dead-lettered event.
const (
	HeaderDLQReason  = "Burncloud-Dlq-Reason"
	HeaderDLQSubject = "Burncloud-Original-Subject"
)

// errStopped is returned by Run when AfterCommit asked it to stop.
var errStopped = errors.New("stopped after commit")

// Consumer settles events from the usage stream.
type Consumer struct {
	js   jetstream.JetStream
	cons jetstream.Consumer
	s    Settler
	opts ConsumerOptions
	log  *zap.Logger
	m    *Metrics
}

// NewConsumer creates or updates the durable consumer and returns a Consumer
// ready to Run.
func NewConsumer(ctx context.Context, js jetstream.JetStream, s Settler, opts ConsumerOptions, log *zap.Logger, m *Metrics) (*Consumer, error) {
	if opts.Stream == "" {
		opts.Stream = events.StreamUsage
	}
	if opts.DLQSubject == "" {
		opts.DLQSubject = events.SubjectDLQ
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, opts.Stream, jetstream.ConsumerConfig{
		Durable:       opts.Durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait:       opts.AckWait,
		MaxDeliver:    opts.MaxDeliver,
		MaxAckPending: opts.MaxAckPending,
		// Fetch requests may ask for a whole batch at once.
		MaxRequestBatch: opts.BatchSize,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s on %s: %w", opts.Durable, opts.Stream, err)
	}
	return &Consumer{js: js, cons: cons, s: s, opts: opts, log: log, m: m}, nil
}

// Run settles batches until ctx ends. The batch in progress when ctx ends is
// finished (committed and acknowledged) before Run returns.
func (c *Consumer) Run(ctx context.Context) error {
	lastInfo := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastInfo) > 5*time.Second {
			c.updatePending(ctx)
			lastInfo = time.Now()
		}
		batch, err := c.cons.Fetch(c.opts.BatchSize, jetstream.FetchMaxWait(c.opts.BatchWait))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.log.Warn("fetch failed", zap.Error(err))
			sleep(ctx, time.Second)
			continue
		}
		msgs := make([]jetstream.Msg, 0, c.opts.BatchSize)
		for msg := range batch.Messages() {
			msgs = append(msgs, msg)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			c.log.Warn("fetch ended early", zap.Error(err))
		}
		if len(msgs) == 0 {
			continue
		}
		if err := c.process(ctx, msgs); err != nil {
			if errors.Is(err, errStopped) {
				return err
			}
			c.log.Error("batch not settled; it will be redelivered", zap.Error(err))
		}
	}
	return nil
}

func (c *Consumer) updatePending(ctx context.Context) {
	ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	info, err := c.cons.Info(ictx)
	if err != nil {
		return
	}
	c.m.pending.Set(float64(info.NumPending) + float64(info.NumAckPending))
}

// process settles one fetched batch: bad events to the DLQ, the rest in one
// transaction, then acknowledgements.
func (c *Consumer) process(ctx context.Context, msgs []jetstream.Msg) error {
	evs := make([]*usagev1.UsageEvent, 0, len(msgs))
	toAck := make([]jetstream.Msg, 0, len(msgs))
	seen := make(map[string]struct{}, len(msgs))
	for _, msg := range msgs {
		ev := new(usagev1.UsageEvent)
		err := proto.Unmarshal(msg.Data(), ev)
		if err == nil {
			err = Validate(ev)
		} else {
			err = fmt.Errorf("%w: not a UsageEvent: %w", ErrInvalidEvent, err)
		}
		if err != nil {
			c.deadLetter(ctx, msg, err)
			continue
		}
		toAck = append(toAck, msg)
		if _, dup := seen[ev.GetId()]; dup {
			continue // a republished copy in the same batch
		}
		seen[ev.GetId()] = struct{}{}
		evs = append(evs, ev)
	}
	if len(evs) > 0 {
		if err := c.settle(ctx, evs, toAck); err != nil {
			return err
		}
	}
	if c.opts.AfterCommit != nil {
		if err := c.opts.AfterCommit(); err != nil {
			return fmt.Errorf("%w: %w", errStopped, err)
		}
	}
	for _, msg := range toAck {
		if err := msg.Ack(); err != nil {
			// Redelivery is harmless: the ledger ignores a settled event.
			c.log.Warn("ack failed", zap.Error(err))
		}
	}
	return nil
}

// settle retries until the batch commits or ctx ends, keeping the messages
// from being redelivered meanwhile, so a database outage does not use up
// their deliveries.
func (c *Consumer) settle(ctx context.Context, evs []*usagev1.UsageEvent, msgs []jetstream.Msg) error {
	backoff := 100 * time.Millisecond
	for {
		start := time.Now()
		// A batch under way finishes even when shutdown begins.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		res, err := c.s.Settle(sctx, evs)
		cancel()
		if err == nil {
			c.m.batchDuration.Observe(time.Since(start).Seconds())
			c.m.batches.WithLabelValues("ok").Inc()
			c.m.events.WithLabelValues(resultSettled).Add(float64(res.Inserted))
			c.m.events.WithLabelValues(resultDuplicate).Add(float64(res.Duplicates))
			now := time.Now()
			for _, ev := range evs {
				c.m.settleDelay.Observe(now.Sub(ev.GetTime().AsTime()).Seconds())
			}
			return nil
		}
		c.m.batches.WithLabelValues("error").Inc()
		c.log.Error("settlement failed; retrying", zap.Int("events", len(evs)), zap.Error(err))
		for _, msg := range msgs {
			_ = msg.InProgress()
		}
		if !sleep(ctx, backoff) {
			return fmt.Errorf("settle: %w", err)
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// deadLetter moves an event that can never settle to the DLQ stream with its
// reason, then terminates it. If the DLQ is unreachable the event is left
// for redelivery: nothing is dropped.
func (c *Consumer) deadLetter(ctx context.Context, msg jetstream.Msg, reason error) {
	out := nats.NewMsg(c.opts.DLQSubject)
	out.Data = msg.Data()
	out.Header.Set(HeaderDLQReason, reason.Error())
	out.Header.Set(HeaderDLQSubject, msg.Subject())
	if md, err := msg.Metadata(); err == nil {
		out.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s-%d", md.Stream, md.Sequence.Stream))
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.js.PublishMsg(pctx, out); err != nil {
		c.log.Error("dead-lettering failed; leaving the event for redelivery", zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
		return
	}
	c.log.Warn("event dead-lettered", zap.String("subject", msg.Subject()), zap.String("reason", reason.Error()))
	c.m.events.WithLabelValues(resultDLQ).Inc()
	_ = msg.Term()
}

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
