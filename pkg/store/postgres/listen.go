package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// hub fans wake-ups out to subscribers. Each has a buffer of one and sends
// never block, so a slow subscriber sees many commits as one wake-up.
type hub struct {
	mu   sync.Mutex
	next int
	subs map[int]chan struct{}
}

func (h *hub) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	id := h.next
	h.next++
	h.subs[id] = ch
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, id)
			h.mu.Unlock()
		})
	}
}

func (h *hub) wake() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Subscribe wakes the caller after any replica commits a change. The
// channel is never closed; cancel stops the wake-ups.
func (s *Store) Subscribe() (<-chan struct{}, func()) { return s.hub.subscribe() }

// listen keeps a dedicated connection LISTENing, reconnecting with
// exponential backoff and jitter until Close.
func (s *Store) listen(ctx context.Context) {
	defer s.wg.Done()
	backoff := s.opts.ListenBackoff
	for {
		err := s.listenOnce(ctx, func() { backoff = s.opts.ListenBackoff })
		if ctx.Err() != nil {
			return
		}
		s.listenPID.Store(0)
		// ±25% jitter keeps replicas from reconnecting in lockstep.
		delay := backoff + time.Duration((rand.Float64()-0.5)*0.5*float64(backoff))
		s.log.Warn("change listener disconnected", zap.Error(err), zap.Duration("retry_in", delay))
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		backoff = min(2*backoff, s.opts.ListenMaxBackoff)
	}
}

// listenOnce listens until the connection fails or ctx ends.
func (s *Store) listenOnce(ctx context.Context, connected func()) error {
	// A black-holed server must not stall reconnection for minutes.
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	conn, err := pgx.ConnectConfig(dialCtx, s.listenCfg)
	cancel()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	connected()
	// Changes committed while no connection listened were not announced:
	// wake everyone so they read the change log.
	s.hub.wake()
	s.listenPID.Store(conn.PgConn().PID())
	s.listenConnects.Add(1)
	for {
		wait, cancel := context.WithTimeout(ctx, s.opts.ListenPing)
		_, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			s.hub.wake()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: make sure the connection is still alive.
			if err := conn.Ping(ctx); err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}
