package router

import (
	"slices"
	"sync"
	"time"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

// EventSink receives the one usage event of every authenticated request,
// after its response is complete. Publish must not block: the router calls
// it from the request's goroutine, so an implementation hands the event to
// its own queue (the spool) and returns. It owns ev afterwards.
type EventSink interface {
	Publish(ev *usagev1.UsageEvent)
}

// EventRecorder is an EventSink that keeps every event in memory, for tests
// and for embedding the router where nothing consumes events.
type EventRecorder struct {
	mu     sync.Mutex
	events []*usagev1.UsageEvent
	added  chan struct{}
}

// NewEventRecorder returns an empty recorder.
func NewEventRecorder() *EventRecorder { return &EventRecorder{added: make(chan struct{}, 1)} }

// Publish implements EventSink.
func (r *EventRecorder) Publish(ev *usagev1.UsageEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.added <- struct{}{}:
	default:
	}
}

// Events returns the events received so far.
func (r *EventRecorder) Events() []*usagev1.UsageEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Reset forgets the events received so far.
func (r *EventRecorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// WaitFor waits until n events were received or the timeout passes, and
// returns the events held then.
func (r *EventRecorder) WaitFor(n int, timeout time.Duration) []*usagev1.UsageEvent {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if ev := r.Events(); len(ev) >= n {
			return ev
		}
		select {
		case <-r.added:
		case <-deadline.C:
			return r.Events()
		}
	}
}
