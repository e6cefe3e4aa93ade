package bench

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

// Phases are the steps of a proxy's requests, read from an execution trace
// of the proxy serving one client, one request at a time (the traces
// `run --profile-dir` writes as *-one-client-router-trace.out and
// *-one-client-proxy-trace.out). Each slice has one duration per request
// found.
type Phases struct {
	// In: from the network waking the connection's goroutine with the
	// client's request to the write of the upstream request.
	In []time.Duration
	// UpstreamWrite: that write, a system call.
	UpstreamWrite []time.Duration
	// Upstream: from the end of that write to the network waking the
	// upstream connection's read loop with the answer; the upstream's own
	// time and the network's.
	Upstream []time.Duration
	// Out: from the network waking the upstream connection's read loop
	// with the answer to the write of the answer to the client.
	Out []time.Duration
	// ClientWrite: that write, a system call.
	ClientWrite []time.Duration
}

// Frames of net/http that tell the goroutines and writes apart.
const (
	frameServerConn  = "net/http.(*conn).serve"
	frameReadLoop    = "net/http.(*persistConn).readLoop"
	frameUpstreamOut = "net/http.persistConnWriter.Write"
	frameClientOut   = "net/http.checkConnErrorWriter.Write"
)

// ErrNoRequests is returned for a trace in which no whole request was found.
var ErrNoRequests = errors.New("no request found in the trace")

// phase is where a request is: waiting for the client, for the upstream
// write, for the answer, for the write to the client, or in that write.
type phase int

const (
	awaitRequest phase = iota
	awaitUpstreamWrite
	awaitAnswer
	awaitClientWrite
	inClientWrite
)

// ReadPhases reads an execution trace. Requests that overlap confuse it:
// it follows one request at a time.
func ReadPhases(r io.Reader) (Phases, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return Phases{}, fmt.Errorf("read trace: %w", err)
	}
	var (
		ph                     Phases
		role                   = map[trace.GoID]string{}
		at                     phase
		wake, upStart, upEnd   trace.Time
		answer, wOut           trace.Time
		upWriter, clientWriter trace.GoID = trace.NoGoroutine, trace.NoGoroutine
	)
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ph, fmt.Errorf("read trace: %w", err)
		}
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		g := st.Resource.Goroutine()
		from, to := st.Goroutine()
		// Woken by the network: no goroutine readied it.
		byNetwork := from == trace.GoWaiting && to == trace.GoRunnable && ev.Goroutine() == trace.NoGoroutine
		switch {
		case to == trace.GoWaiting && st.Reason == "network":
			switch {
			case hasFrame(st.Stack, frameServerConn):
				role[g] = frameServerConn
			case hasFrame(st.Stack, frameReadLoop):
				role[g] = frameReadLoop
			}
		case byNetwork && at == awaitRequest && role[g] == frameServerConn:
			wake, at = ev.Time(), awaitUpstreamWrite
		case to == trace.GoSyscall && at == awaitUpstreamWrite && hasFrame(st.Stack, frameUpstreamOut):
			upStart, upWriter, at = ev.Time(), g, awaitAnswer
			ph.In = append(ph.In, time.Duration(upStart-wake))
		case from == trace.GoSyscall && g == upWriter:
			upEnd, upWriter = ev.Time(), trace.NoGoroutine
			ph.UpstreamWrite = append(ph.UpstreamWrite, time.Duration(upEnd-upStart))
		case byNetwork && at == awaitAnswer && role[g] == frameReadLoop && upWriter != trace.NoGoroutine:
			// The writer was held up leaving its system call past the
			// answer's arrival: this request's wait is unknown, leave it out.
			ph.In, upWriter, at = ph.In[:len(ph.In)-1], trace.NoGoroutine, awaitRequest
		case byNetwork && at == awaitAnswer && role[g] == frameReadLoop:
			answer, at = ev.Time(), awaitClientWrite
			ph.Upstream = append(ph.Upstream, time.Duration(answer-upEnd))
		case to == trace.GoSyscall && at == awaitClientWrite && hasFrame(st.Stack, frameClientOut):
			wOut, clientWriter, at = ev.Time(), g, inClientWrite
			ph.Out = append(ph.Out, time.Duration(wOut-answer))
		case from == trace.GoSyscall && at == inClientWrite && g == clientWriter:
			ph.ClientWrite = append(ph.ClientWrite, time.Duration(ev.Time()-wOut))
			clientWriter, at = trace.NoGoroutine, awaitRequest
		}
	}
	// A trace that ends inside a request leaves its first phases only; the
	// phases before the client write come in order, so none is shorter.
	n := len(ph.ClientWrite)
	ph.In, ph.UpstreamWrite, ph.Upstream, ph.Out = ph.In[:n], ph.UpstreamWrite[:n], ph.Upstream[:n], ph.Out[:n]
	if n == 0 {
		return ph, ErrNoRequests
	}
	return ph, nil
}

func hasFrame(s trace.Stack, fn string) bool {
	for f := range s.Frames() {
		if f.Func == fn {
			return true
		}
	}
	return false
}

// Markdown is a table of the phases' p10, p50 and p90 in µs.
func (p Phases) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests\n\n| phase | p10 µs | p50 µs | p90 µs |\n|---|--:|--:|--:|\n", len(p.ClientWrite))
	for _, row := range []struct {
		name string
		d    []time.Duration
	}{
		{"request in → upstream write", p.In},
		{"upstream write (system call)", p.UpstreamWrite},
		{"upstream write → answer in", p.Upstream},
		{"answer in → client write", p.Out},
		{"client write (system call)", p.ClientWrite},
	} {
		s := slices.Clone(row.d)
		slices.Sort(s)
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.1f |\n", row.name, us(quantile(s, 0.1)), us(quantile(s, 0.5)), us(quantile(s, 0.9)))
	}
	return b.String()
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
