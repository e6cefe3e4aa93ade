package limits

import (
	"sync"
	"sync/atomic"
	"time"
)

// channelState counts one channel's use on this router.
type channelState struct {
	mu       sync.Mutex
	rpm, tpm window
	conc     int64
}

// ChannelSlot is one admitted upstream attempt. Done ends it; later calls,
// and calls on a nil slot, do nothing.
type ChannelSlot struct {
	st   *channelState
	est  int64
	n    int64
	conc bool
	tpm  bool
	done atomic.Bool
}

// AdmitChannel admits one attempt on channel with its limits (this
// router's share of them: each limit divided by the fleet size). When it
// returns false the channel is full: skip it like an open breaker. A nil
// slot with true means the channel has no limits. No I/O.
func (l *Limiter) AdmitChannel(channel string, lim Limits, estTokens int64) (*ChannelSlot, bool) {
	if !lim.any() {
		return nil, true
	}
	v, ok := l.channels.Load(channel)
	if !ok {
		v, _ = l.channels.LoadOrStore(channel, &channelState{})
	}
	st := v.(*channelState)
	rpm, tpm := share(lim.RPM, l.cfg.FleetSize), share(lim.TPM, l.cfg.FleetSize)
	conc := share(lim.MaxConcurrency, l.cfg.FleetSize)
	c := clockAt(time.Now(), l.cfg.Window)
	estTokens = max(estTokens, 0)

	st.mu.Lock()
	var refused Limit
	switch {
	case rpm > 0 && st.rpm.wait(c, 1, rpm) > 0:
		refused = ChannelRPM
	case tpm > 0 && st.tpm.wait(c, estTokens, tpm) > 0:
		refused = ChannelTPM
	case conc > 0 && st.conc >= conc:
		refused = ChannelConcurrency
	}
	if refused != "" {
		st.mu.Unlock()
		l.m.decision(refused, resultRefused)
		return nil, false
	}
	if rpm > 0 {
		st.rpm.cur++
	}
	if tpm > 0 {
		st.tpm.cur += estTokens
	}
	if conc > 0 {
		st.conc++
	}
	st.mu.Unlock()
	l.m.channelAdmitted.Inc()
	return &ChannelSlot{st: st, est: estTokens, n: c.n, conc: conc > 0, tpm: tpm > 0}, true
}

// Done ends the attempt: the concurrency slot is freed and TPM counts
// actualTokens instead of the estimate (0 for an attempt that failed
// before the upstream produced output).
func (s *ChannelSlot) Done(actualTokens int64) {
	if s == nil || !s.done.CompareAndSwap(false, true) {
		return
	}
	s.st.mu.Lock()
	if s.conc {
		s.st.conc = max(s.st.conc-1, 0)
	}
	if s.tpm {
		s.st.tpm.add(s.n, max(actualTokens, 0)-s.est)
	}
	s.st.mu.Unlock()
}
