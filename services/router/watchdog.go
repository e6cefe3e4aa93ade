package router

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/burncloud/burncloud/services/router/snapshot"
)

// Causes of an attempt's cancellation by its watchdog.
var (
	errFirstByteTimeout = errors.New("upstream first-byte timeout")
	errIdleTimeout      = errors.New("upstream idle timeout")
	errTotalTimeout     = errors.New("upstream total timeout")
)

type timeouts struct {
	connect, firstByte, idle, total time.Duration
}

// timeoutsOf takes a channel's own timeouts where it sets them.
func (s *Server) timeoutsOf(ch *snapshot.Channel) timeouts {
	pick := func(own, def time.Duration) time.Duration {
		if own > 0 {
			return own
		}
		return def
	}
	return timeouts{
		connect:   pick(ch.Timeouts.Connect, s.cfg.ConnectTimeout),
		firstByte: pick(ch.Timeouts.FirstByte, s.cfg.FirstByteTimeout),
		idle:      pick(ch.Timeouts.Idle, s.cfg.IdleTimeout),
		total:     pick(ch.Timeouts.Total, s.cfg.TotalTimeout),
	}
}

// watchdog cancels one upstream attempt when it waits too long for its
// response headers (first byte), between two reads of its body (idle), or
// in all (total). One timer serves all three.
type watchdog struct {
	timer   *time.Timer
	cancel  context.CancelCauseFunc
	idle    time.Duration
	end     time.Time
	reading atomic.Bool
}

func startWatchdog(cancel context.CancelCauseFunc, t timeouts) *watchdog {
	wd := &watchdog{cancel: cancel, idle: t.idle, end: time.Now().Add(t.total)}
	wd.timer = time.AfterFunc(min(t.firstByte, t.total), wd.fire)
	return wd
}

func (wd *watchdog) fire() {
	switch {
	case !time.Now().Before(wd.end):
		wd.cancel(errTotalTimeout)
	case wd.reading.Load():
		wd.cancel(errIdleTimeout)
	default:
		wd.cancel(errFirstByteTimeout)
	}
}

// touch restarts the idle wait after the headers or a read arrived.
func (wd *watchdog) touch() {
	wd.reading.Store(true)
	wd.timer.Reset(min(wd.idle, time.Until(wd.end)))
}

func (wd *watchdog) stop() { wd.timer.Stop() }

// watchedBody touches the watchdog on every read of an upstream body.
type watchedBody struct {
	r  io.Reader
	wd *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.wd.touch()
	}
	return n, err
}
