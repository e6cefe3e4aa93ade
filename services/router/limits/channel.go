package limits

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// channelState counts one channel's use on this router and the concurrency
// limit learned for it (see adaptive.go).
type channelState struct {
	mu       sync.Mutex
	rpm, tpm window
	// conc is the attempts in flight: counted for every attempt while
	// adaptive limits are on, else only under a configured concurrency.
	conc int64
	aimd aimd

	learnedGauge prometheus.Gauge
	decreases    [signalCount]prometheus.Counter
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

// channel is the state of the named channel, made (with its metric
// series) on first use. The state is complete before others can see it.
func (l *Limiter) channel(name string) *channelState {
	if v, ok := l.channels.Load(name); ok {
		return v.(*channelState)
	}
	st := &channelState{learnedGauge: l.m.learned.WithLabelValues(name)}
	for s := range signalCount {
		st.decreases[s] = l.m.decreases.WithLabelValues(name, signal(s).String())
	}
	v, _ := l.channels.LoadOrStore(name, st)
	return v.(*channelState)
}

// AdmitChannel admits one attempt on channel with its limits (this
// router's share of them: each limit divided by the fleet size) and the
// concurrency learned from the channel's upstream (ObserveUpstream). When
// it returns false the channel is full: skip it like an open breaker. A
// nil slot with true means nothing limits the channel. No I/O.
func (l *Limiter) AdmitChannel(channel string, lim Limits, estTokens int64) (*ChannelSlot, bool) {
	adaptive := !l.cfg.AdaptiveOff
	if !adaptive && !lim.any() {
		return nil, true
	}
	st := l.channel(channel)
	rpm, tpm := share(lim.RPM, l.cfg.FleetSize), share(lim.TPM, l.cfg.FleetSize)
	conc := share(lim.MaxConcurrency, l.cfg.FleetSize)
	now := time.Now()
	c := clockAt(now, l.cfg.Window)
	estTokens = max(estTokens, 0)
	counted := adaptive || conc > 0

	st.mu.Lock()
	learned := int64(0)
	if adaptive {
		if st.aimd.forget(now, l.cfg.AdaptiveForget) {
			st.learnedGauge.Set(0)
		}
		learned = st.aimd.admits()
	}
	var refused Limit
	switch {
	case rpm > 0 && st.rpm.wait(c, 1, rpm) > 0:
		refused = ChannelRPM
	case tpm > 0 && st.tpm.wait(c, estTokens, tpm) > 0:
		refused = ChannelTPM
	case conc > 0 && st.conc >= conc:
		refused = ChannelConcurrency
	case learned > 0 && st.conc >= learned:
		refused = ChannelAdaptive
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
	if counted {
		st.conc++
	}
	st.mu.Unlock()
	l.m.channelAdmitted.Inc()
	return &ChannelSlot{st: st, est: estTokens, n: c.n, conc: counted, tpm: tpm > 0}, true
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

// logLearned reports a channel's first learned limit (later changes are in
// the metrics).
func (l *Limiter) logLearned(channel string, sig signal, limit int64) {
	l.log.Info("upstream pushes back: channel concurrency limited",
		zap.String("channel", channel), zap.String("signal", sig.String()), zap.Int64("limit", limit))
}
