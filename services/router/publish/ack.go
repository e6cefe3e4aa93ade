package publish

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/burncloud/burncloud/pkg/jsonscan"
)

// JetStream answers each publish that carries a reply subject with a pub
// ack on that subject: {"stream":"S","seq":N} (with "duplicate":true when
// the message id was seen in the stream's window) or {"error":{...}}. The
// publisher sends every event with reply subject <inbox>.<record id> and
// reads the answers from one subscription, so an acknowledgement costs no
// goroutine or future of its own, and is read with jsonscan, not decoded.

// The headers of a status message from the server (NATS protocol).
const (
	statusHeader      = "Status"
	descriptionHeader = "Description"
)

var (
	errAckTimeout   = errors.New("publish: no acknowledgement in time")
	errNoStream     = errors.New("publish: no JetStream stream takes the usage subject")
	errPubAckRefuse = errors.New("publish: JetStream refused the event")
	errBadAck       = errors.New("publish: unreadable acknowledgement")
)

// replyTo is the reply subject of the publish of record id.
func (p *Publisher) replyTo(id uint64) string {
	return p.inbox + "." + strconv.FormatUint(id, 10)
}

// ackedID is the record id a reply subject names.
func (p *Publisher) ackedID(subject string) (uint64, bool) {
	rest, ok := strings.CutPrefix(subject, p.inbox)
	if !ok || len(rest) < 2 || rest[0] != '.' {
		return 0, false
	}
	id, err := strconv.ParseUint(rest[1:], 10, 64)
	return id, err == nil
}

// parseAck reads a pub ack: the result for the metric, or why the event was
// not stored.
func parseAck(msg *nats.Msg) (string, error) {
	if status := msg.Header.Get(statusHeader); status != "" {
		if status == "503" { // no responders
			return "", errNoStream
		}
		return "", fmt.Errorf("%w: status %s %s", errPubAckRefuse, status, msg.Header.Get(descriptionHeader))
	}
	data := msg.Data
	if _, ok := jsonscan.OpenObject(data); !ok {
		return "", fmt.Errorf("%w: %q", errBadAck, data)
	}
	if _, ok := jsonscan.Member(data, "error"); ok {
		return "", fmt.Errorf("%w: %s", errPubAckRefuse, data)
	}
	if _, ok := jsonscan.Member(data, "seq"); !ok {
		return "", fmt.Errorf("%w: %q", errBadAck, data)
	}
	if v, ok := jsonscan.Member(data, "duplicate"); ok && string(v) == "true" {
		return resultDuplicate, nil
	}
	return resultStored, nil
}

// ackCheckEvery is how often the collector looks for publishes whose
// acknowledgement is overdue.
func ackCheckEvery(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 10*time.Millisecond), time.Second)
}

// track records a publish about to be sent; settle takes it back when its
// acknowledgement (or its timeout) comes. A late ack of a publish that
// timed out finds nothing: the record is sent again, and JetStream drops
// the copy by its message id.
func (p *Publisher) track(id uint64, start time.Time) {
	p.mu.Lock()
	p.inflight[id] = start
	p.mu.Unlock()
}

func (p *Publisher) settle(id uint64) (time.Time, bool) {
	p.mu.Lock()
	start, ok := p.inflight[id]
	if ok {
		delete(p.inflight, id)
	}
	p.mu.Unlock()
	return start, ok
}

// overdue takes back the publishes sent before deadline.
func (p *Publisher) overdue(deadline time.Time) int {
	n := 0
	p.mu.Lock()
	for id, start := range p.inflight {
		if start.Before(deadline) {
			delete(p.inflight, id)
			n++
		}
	}
	p.mu.Unlock()
	return n
}
