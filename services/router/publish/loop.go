package publish

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/burncloud/burncloud/services/router/spool"
)

// ackBatch bounds the acknowledgements handed to the spool at once.
const ackBatch = 256

// run reads durable records and publishes them. After a failure it lets
// every publish in flight settle, waits, and starts again from the oldest
// unacknowledged record (acknowledged ones are skipped), so nothing is
// lost and order is mostly kept.
func (p *Publisher) run() {
	defer close(p.loopDone)
	r := p.sp.NewReader()
	recs := make([]spool.Record, 0, p.cfg.MaxInFlight)
	var backoff time.Duration
	for {
		if p.failed.Load() || !p.nc.IsConnected() {
			if !p.waitIdle() {
				return
			}
			if p.acks.Swap(0) > 0 {
				backoff = 0 // progress was made: retry soon
			}
			backoff = min(max(2*backoff, p.cfg.MinBackoff), p.cfg.MaxBackoff)
			if !p.sleep(jitter(backoff)) {
				return
			}
			p.failed.Store(false)
			r.Rewind()
			continue
		}
		backoff = 0
		notify := p.sp.Notify()
		var err error
		recs, err = r.Read(recs[:0], p.cfg.MaxInFlight)
		if errors.Is(err, spool.ErrClosed) {
			return
		}
		if err != nil {
			p.log.Error("reading the spool", zap.Error(err)) // damaged records were skipped
		}
		if len(recs) == 0 {
			// Poll now and then: a NATS outage must be noticed with nothing new to send.
			t := time.NewTimer(p.cfg.MaxBackoff)
			select {
			case <-notify:
				t.Stop()
				// Durable already, so nothing waits on the send: a moment's
				// wait lets one write to NATS carry the events of many
				// requests, and keeps the send, its acknowledgement and
				// their wake-ups off the request that follows this one.
				if !p.linger() {
					return
				}
			case <-t.C:
			case <-p.stop:
				t.Stop()
				return
			}
			t.Stop()
			continue
		}
		for _, rec := range recs {
			if p.failed.Load() {
				break // the rest is picked up after the rewind
			}
			select {
			case p.slots <- struct{}{}:
			case <-p.stop:
				return
			}
			p.publish(rec)
		}
		clear(recs) // let payloads go with their messages
	}
}

// publish sends one record; its slot is already taken.
func (p *Publisher) publish(rec spool.Record) {
	msg := &nats.Msg{Subject: p.subject, Data: rec.Data}
	if id := eventID(rec.Data); id != "" {
		msg.Header = nats.Header{jetstream.MsgIDHeader: []string{id}}
	} else {
		// Publish gates on the id, so only foreign or damaged data gets
		// here; billing dead-letters it with a reason.
		p.log.Warn("spooled usage event has no id", zap.Uint64("record", rec.ID))
	}
	msg.Reply = p.replyTo(rec.ID)
	p.m.inFlight.Inc()
	p.track(rec.ID, time.Now())
	if err := p.nc.PublishMsg(msg); err != nil {
		if _, ok := p.settle(rec.ID); ok {
			p.m.inFlight.Dec()
			<-p.slots
		}
		p.fail(err)
	}
}

func (p *Publisher) fail(err error) {
	p.m.errors.Inc()
	p.failed.Store(true)
	if rateOK(&p.lastErrLog) {
		p.log.Warn("publishing usage events failed; they stay spooled and are retried", zap.Error(err))
	}
}

// publishLinger is how long durable events gather before they are sent:
// one send and one round of wake-ups (publisher, NATS client, NATS server,
// acknowledgements) per batch instead of per request (decision 0017).
const publishLinger = 50 * time.Millisecond

// ackLinger is how long acknowledgements gather before the spool records
// them: one ack-file write per batch instead of per event. A batch lost to a
// crash only republishes its events, which JetStream and billing drop as
// duplicates.
const ackLinger = 100 * time.Millisecond

// collect reads acknowledgements, frees their slots and removes the
// acknowledged records from the spool in batches; publishes unanswered
// for AckTimeout fail.
func (p *Publisher) collect() {
	defer close(p.collectorDone)
	acks := make([]uint64, 0, ackBatch)
	flush := func() {
		if len(acks) > 0 {
			if err := p.sp.Ack(acks...); err != nil {
				p.log.Error("acknowledging spooled usage events", zap.Error(err))
			}
			acks = acks[:0]
		}
	}
	defer flush()
	linger := time.NewTimer(ackLinger)
	linger.Stop()
	armed := false
	check := time.NewTicker(ackCheckEvery(p.cfg.AckTimeout))
	defer check.Stop()
	// nil once Close began: from then on each ack is recorded at once.
	draining := p.draining
	release := func(n int) {
		for range n {
			p.m.inFlight.Dec()
			<-p.slots
		}
	}
	for {
		var msg *nats.Msg
		select {
		case msg = <-p.replies:
		case <-linger.C:
			armed = false
			flush()
			continue
		case <-draining:
			draining = nil
			flush()
			continue
		case now := <-check.C:
			if n := p.overdue(now.Add(-p.cfg.AckTimeout)); n > 0 {
				// Before a rewind re-reads the spool, what was acknowledged
				// is recorded, so it is not sent twice.
				flush()
				p.fail(fmt.Errorf("%w: %d events", errAckTimeout, n))
				release(n)
			}
			continue
		case <-p.stop:
			return
		}
		id, ok := p.ackedID(msg.Subject)
		if !ok {
			continue
		}
		start, ok := p.settle(id)
		if !ok {
			continue // the publish timed out; the record is sent again
		}
		result, err := parseAck(msg)
		if err != nil {
			flush()
			p.fail(err)
			release(1)
			continue
		}
		p.m.published.WithLabelValues(result).Inc()
		p.m.latency.Observe(time.Since(start).Seconds())
		acks = append(acks, id)
		p.acks.Add(1)
		if len(acks) >= ackBatch || draining == nil {
			flush()
		} else if !armed {
			linger.Reset(ackLinger)
			armed = true
		}
		release(1)
	}
}

// waitIdle waits until nothing is in flight; false when stopping.
func (p *Publisher) waitIdle() bool {
	for len(p.slots) > 0 {
		if !p.sleep(5 * time.Millisecond) {
			return false
		}
	}
	return true
}

// sleep waits d; false when stopping.
func (p *Publisher) sleep(d time.Duration) bool { return p.wait(d, nil) }

// linger waits publishLinger, or less once Close began; false when stopping.
func (p *Publisher) linger() bool { return p.wait(publishLinger, p.draining) }

// wait waits d or until early is closed; false when stopping.
func (p *Publisher) wait(d time.Duration, early <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-early:
	case <-p.stop:
		return false
	}
	return true
}

// jitter spreads retries of many routers over [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// eventID reads field 1 (id) of a marshalled UsageEvent without
// unmarshalling the rest; "" when absent or malformed. Like protobuf, the
// last occurrence wins.
func eventID(b []byte) string {
	var id []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return ""
			}
			id, b = v, b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return ""
		}
		b = b[m:]
	}
	return string(id)
}
