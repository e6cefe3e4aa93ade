package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of one measured stream.
var (
	ErrStatus     = errors.New("bench: unexpected status")
	ErrNoContent  = errors.New("bench: stream ended without a content event")
	ErrNoDone     = errors.New("bench: stream ended without [DONE]")
	ErrIdleFailed = errors.New("bench: not every idle stream opened")
)

// Streams is the client-side view of streamed answers from one target.
type Streams struct {
	Target    string  `json:"target"`
	OneClient bool    `json:"one_client"`
	Rate      int     `json:"rate,omitempty"` // streams started per second (load)
	Seconds   float64 `json:"seconds"`
	Streams   int     `json:"streams"`
	Errors    int     `json:"errors"`
	// TTFT is from sending the request to reading the first content event.
	TTFT Dist `json:"ttft"`
	// Gap is between consecutive content events of a stream.
	Gap        Dist     `json:"gap"`
	ErrorKinds []string `json:"error_kinds,omitempty"`
}

// streamTimes are one stream's observations.
type streamTimes struct {
	ttft time.Duration
	gaps []time.Duration
}

// contentMark starts an OpenAI chat chunk that carries generated text.
var contentMark = []byte(`"delta":{"content":"`)

// readStream sends one streaming request and times its content events as a
// client sees them: each event's time is when its last line was read.
func readStream(ctx context.Context, cl *http.Client, ep endpoint) (streamTimes, error) {
	var st streamTimes
	req, err := ep.request()
	if err != nil {
		return st, err
	}
	t0 := time.Now()
	resp, err := cl.Do(req.WithContext(ctx))
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return st, fmt.Errorf("%w %d", ErrStatus, resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	var last time.Time
	seen, done := false, false
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && bytes.HasPrefix(line, []byte("data: ")) {
			now := time.Now()
			switch {
			case bytes.Contains(line, contentMark):
				if !seen {
					st.ttft, seen = now.Sub(t0), true
				} else {
					st.gaps = append(st.gaps, now.Sub(last))
				}
				last = now
			case bytes.HasPrefix(line, []byte("data: [DONE]")):
				done = true
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case !seen:
		return st, ErrNoContent
	case !done:
		return st, ErrNoDone
	}
	return st, nil
}

// measureStreams times streams from one target: one at a time for d
// (one client), or started open-loop at rate per second for d.
// It returns the raw TTFTs and gaps too, unsorted.
func measureStreams(ctx context.Context, cl *http.Client, target string, ep endpoint, oneClient bool, rate int, d time.Duration) (Streams, []time.Duration, []time.Duration) {
	res := Streams{Target: target, OneClient: oneClient, Seconds: d.Seconds()}
	var mu sync.Mutex
	var ttfts, gaps []time.Duration
	kinds := map[string]bool{}
	record := func(st streamTimes, err error) {
		mu.Lock()
		defer mu.Unlock()
		res.Streams++
		if err != nil {
			res.Errors++
			if len(kinds) < 5 {
				kinds[err.Error()] = true
			}
			return
		}
		ttfts = append(ttfts, st.ttft)
		gaps = append(gaps, st.gaps...)
	}
	end := time.Now().Add(d)
	if oneClient {
		for time.Now().Before(end) && ctx.Err() == nil {
			record(readStream(ctx, cl, ep))
		}
	} else {
		res.Rate = rate
		var wg sync.WaitGroup
		start := time.Now()
		interval := time.Second / time.Duration(rate)
		for i := 0; ctx.Err() == nil; i++ {
			at := start.Add(time.Duration(i) * interval)
			if !at.Before(end) {
				break
			}
			time.Sleep(time.Until(at))
			wg.Go(func() { record(readStream(ctx, cl, ep)) })
		}
		wg.Wait()
	}
	for k := range kinds {
		res.ErrorKinds = append(res.ErrorKinds, k)
	}
	slices.Sort(res.ErrorKinds)
	rawT, rawG := slices.Clone(ttfts), slices.Clone(gaps)
	res.TTFT, res.Gap = distOf(ttfts), distOf(gaps)
	return res, rawT, rawG
}

// merge adds b, streams of the same target and mode, to s.
func (s *Streams) merge(b Streams, ttft, gap, bttft, bgap []time.Duration) ([]time.Duration, []time.Duration) {
	ttft, gap = append(ttft, bttft...), append(gap, bgap...)
	if s.Streams == 0 && s.Seconds == 0 {
		*s = b
		return ttft, gap
	}
	s.Seconds += b.Seconds
	s.Streams += b.Streams
	s.Errors += b.Errors
	for _, k := range b.ErrorKinds {
		if !slices.Contains(s.ErrorKinds, k) {
			s.ErrorKinds = append(s.ErrorKinds, k)
		}
	}
	s.TTFT, s.Gap = distOf(slices.Clone(ttft)), distOf(slices.Clone(gap))
	return ttft, gap
}

// Idle is the memory a target holds per open, idle stream.
type Idle struct {
	Target    string `json:"target"`
	Streams   int    `json:"streams"`
	Opened    int    `json:"opened"`
	RSSBefore int64  `json:"rss_before_bytes"`
	RSSAfter  int64  `json:"rss_after_bytes"`
	// PerStream is (RSSAfter - RSSBefore) / Opened.
	PerStream float64 `json:"per_stream_bytes"`
}

// measureIdle opens n streams to target at openRate per second, waits until
// each delivered its first content event (so every hop holds the stream),
// lets the process settle and reads its RSS; then closes them all.
func measureIdle(ctx context.Context, target string, ep endpoint, pid, n, openRate int, settle time.Duration) (Idle, error) {
	res := Idle{Target: target, Streams: n}
	cl := newClient(0)
	cl.Timeout = 0 // the streams stay open until cancelled
	defer cl.CloseIdleConnections()
	sleepCtx(ctx, settle)
	before, err := stableRSS(ctx, pid)
	if err != nil {
		return res, err
	}
	res.RSSBefore = before

	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	var opened, failed atomic.Int64
	interval := time.Second / time.Duration(openRate)
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		wg.Go(func() {
			if err := holdStream(sctx, cl, ep, &opened); err != nil && sctx.Err() == nil {
				failed.Add(1)
			}
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for opened.Load()+failed.Load() < int64(n) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	res.Opened = int(opened.Load())
	if res.Opened < n {
		return res, fmt.Errorf("%w: %s: %d of %d (%d failed)", ErrIdleFailed, target, res.Opened, n, failed.Load())
	}
	sleepCtx(ctx, settle)
	after, err := stableRSS(ctx, pid)
	if err != nil {
		return res, err
	}
	res.RSSAfter = after
	res.PerStream = float64(after-before) / float64(res.Opened)
	return res, nil
}

// holdStream opens a stream, counts it once its first content event
// arrived, then reads (nothing, while idle) until ctx ends.
func holdStream(ctx context.Context, cl *http.Client, ep endpoint, opened *atomic.Int64) error {
	req, err := ep.request()
	if err != nil {
		return err
	}
	resp, err := cl.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w %d", ErrStatus, resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadSlice('\n')
		if bytes.Contains(line, contentMark) {
			opened.Add(1)
			_, _ = io.Copy(io.Discard, br)
			return nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return ErrNoContent
		}
	}
}

// stableRSS is the median of three RSS readings a little apart.
func stableRSS(ctx context.Context, pid int) (int64, error) {
	var r [3]int64
	for i := range r {
		v, err := processRSS(pid)
		if err != nil {
			return 0, err
		}
		r[i] = v
		sleepCtx(ctx, 200*time.Millisecond)
	}
	a, b, c := r[0], r[1], r[2]
	return max(min(a, b), min(max(a, b), c)), nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
