package fakeupstream

import (
	"net/http"
	"strconv"
	"time"
)

// exchange is one request being answered; the provider files build answers
// with it and it applies the scenario's faults.
type exchange struct {
	s         *Server
	w         http.ResponseWriter
	r         *http.Request
	d         *dialect
	body      []byte
	key       string
	pathSc    Scenario
	hasPathSc bool
	sc        Scenario // effective, set by admit
	started   bool     // response headers written
	seq       uint64
	buf       []byte    // pooled scratch for rendering
	start     time.Time // when the handler began
	stampAt   int       // offset of the timing stamp's digits in buf; 0 if none
}

// fail answers with an error in the dialect's shape.
func (ex *exchange) fail(status int, message string) {
	if ex.d.errorFor != nil {
		ex.buf = ex.d.errorFor(ex, ex.buf[:0], status, message)
	} else {
		ex.buf = ex.d.appendError(ex.buf[:0], status, message)
	}
	h := ex.w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(ex.buf))}
	ex.w.WriteHeader(status)
	_, _ = ex.w.Write(ex.buf)
}

// admit resolves the scenario for model and applies the faults due before
// an answer: latency, hang, fail-first and status. It reports whether the
// endpoint should answer.
func (ex *exchange) admit(model string) bool {
	ov := ex.s.ov.Load()
	sc := ov.def
	if !ov.plain() {
		if m, ok := ov.byModel[model]; ok {
			sc = sc.Merge(m)
		}
		if k, ok := ov.byKey[ex.key]; ok {
			sc = sc.Merge(k)
		}
	}
	if ex.hasPathSc {
		sc = sc.Merge(ex.pathSc)
	}
	ex.sc = sc
	if sc.Latency > 0 && !ex.wait(sc.Latency) {
		return false
	}
	if sc.Hang {
		select {
		case <-ex.r.Context().Done():
		case <-ex.s.closed:
		}
		ex.drop()
		return false
	}
	if sc.FailFirst > 0 && ex.s.failCount(sc.String()) <= sc.FailFirst {
		ex.fail(http.StatusInternalServerError, "fake upstream: injected failure (fail-first)")
		return false
	}
	if sc.Status != 0 {
		if sc.RetryAfter > 0 {
			ex.w.Header()["Retry-After"] = []string{strconv.Itoa(sc.RetryAfter)}
		}
		ex.fail(sc.Status, "fake upstream: injected status "+strconv.Itoa(sc.Status))
		return false
	}
	return true
}

// wait sleeps d; if the client leaves or the Server closes first it drops
// the connection and reports false.
func (ex *exchange) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ex.r.Context().Done():
	case <-ex.s.closed:
	}
	ex.drop()
	return false
}

// drop closes the connection without finishing the response: what the
// client sees is a provider whose connection died.
func (ex *exchange) drop() {
	rc := http.NewResponseController(ex.w)
	if ex.started {
		// Hijack discards what the writer still buffers; send it first. Before
		// the headers a flush would commit a 200, so skip it then.
		_ = rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		// HTTP/2 or a writer that cannot be hijacked: net/http resets the
		// stream or closes the connection for this panic.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// appendID appends prefix, "fake" and the request's sequence number.
func (ex *exchange) appendID(b []byte, prefix string) []byte {
	b = append(b, prefix...)
	b = append(b, "fake"...)
	return strconv.AppendUint(b, ex.seq, 10)
}

// reply sends a complete JSON answer, cut or truncated if the scenario says so.
func (ex *exchange) reply(body []byte) {
	if ex.stampAt > 0 && ex.stampAt+len(stampZeros) <= len(body) {
		putStamp(body[ex.stampAt:ex.stampAt+len(stampZeros)], time.Since(ex.start))
	}
	if ex.sc.Malformed {
		body = body[:len(body)/2]
	}
	h := ex.w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	ex.w.WriteHeader(http.StatusOK)
	ex.started = true
	if ex.sc.Cut {
		_, _ = ex.w.Write(body[:len(body)/2])
		ex.drop()
		return
	}
	_, _ = ex.w.Write(body)
}

// sse writes a server-sent event stream, one flush per event, applying
// pace, cut-after and malformed-after to content events.
type sse struct {
	ex            *exchange
	rc            *http.ResponseController
	sent          int    // content events written
	malformed     []byte // the dialect's broken event
	malformedDone bool
}

func (ex *exchange) openStream(malformed []byte) *sse {
	h := ex.w.Header()
	h["Content-Type"] = []string{"text/event-stream; charset=utf-8"}
	h["Cache-Control"] = []string{"no-cache"}
	ex.w.WriteHeader(http.StatusOK)
	ex.started = true
	return &sse{ex: ex, rc: http.NewResponseController(ex.w), malformed: malformed}
}

// event writes and flushes one event; false when the client is gone.
func (st *sse) event(b []byte) bool {
	if _, err := st.ex.w.Write(b); err != nil {
		return false
	}
	return st.rc.Flush() == nil
}

// begin marks the end of the opening events: faults at count 0 fire here.
func (st *sse) begin() bool { return st.faults() }

// content writes one content event, paced after the previous one.
func (st *sse) content(b []byte) bool {
	if st.sent > 0 && st.ex.sc.Pace > 0 && !st.ex.wait(st.ex.sc.Pace) {
		return false
	}
	if !st.event(b) {
		return false
	}
	st.sent++
	return st.faults()
}

func (st *sse) faults() bool {
	sc := &st.ex.sc
	if sc.Malformed && !st.malformedDone && st.sent == sc.MalformedAfter {
		st.malformedDone = true
		if !st.event(st.malformed) {
			return false
		}
	}
	if sc.Cut && st.sent == sc.CutAfter {
		st.ex.drop()
		return false
	}
	return true
}
