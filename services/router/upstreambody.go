package router

import (
	"bytes"
	"io"
	"net/url"
	"sync/atomic"
)

// The transport may go on reading an attempt's request body after
// RoundTrip returned (an upstream that answers before it read the whole
// request), and closes the body when it is done with it. The body's bytes
// are the call's pooled buffers: were they reused for the next request
// while the transport still sent them, one request's prompt could reach
// another request's upstream. A call's buffers are therefore reused only
// once every body made over them was closed.

// inlineBodyMax is the largest upstream request body sent from a copy of
// its own. net/http writes a body it knows to be in memory (an io.NopCloser
// over a *bytes.Reader) with the headers, in one write, and any other body
// in a second write after flushing the headers; the upstream then often
// wakes twice for one request. A copy needs no tracking, so a request up to
// this size goes out in one write for the price of copying its body.
const inlineBodyMax = 16 << 10

// sentBody is one attempt's URL and request body; GetBody is again.
type sentBody struct {
	u       *url.URL
	body    io.ReadCloser
	again   func() (io.ReadCloser, error)
	tracked *upstreamBody // nil for a copied body
}

// attemptBody makes the attempt's body over b: a copy when it is small,
// else a body over the call's buffer counted by its flight.
func (c *call) attemptBody(b []byte) sentBody {
	if len(b) > 0 && len(b) <= inlineBodyMax {
		cb := &copiedBody{data: bytes.Clone(b)}
		cb.rd.Reset(cb.data)
		return sentBody{u: &cb.url, body: io.NopCloser(&cb.rd), again: cb.again}
	}
	ub := c.flight.body(b)
	return sentBody{u: &ub.url, body: ub, again: ub.again, tracked: ub}
}

// abandon releases a body that will not be sent.
func (s sentBody) abandon() {
	if s.tracked != nil {
		_ = s.tracked.Close()
	}
}

// copiedBody is a small request body copied out of the call's buffers, with
// the attempt's URL in the same allocation.
type copiedBody struct {
	url  url.URL
	rd   bytes.Reader
	data []byte
}

// again is the request's GetBody.
func (b *copiedBody) again() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// bodyFlight counts a call's upstream bodies the transport has not closed.
// A call whose bodies are all closed keeps its flight; otherwise both are
// let go, and late Closes count down a flight no call uses any more.
type bodyFlight struct{ open atomic.Int32 }

// upstreamBody is one attempt's request body; it carries the attempt's URL
// so that both take one allocation.
type upstreamBody struct {
	bytes.Reader
	data   []byte
	url    url.URL
	flight *bodyFlight
	closed atomic.Bool
}

// body returns a request body over b counted by f.
func (f *bodyFlight) body(b []byte) *upstreamBody {
	f.open.Add(1)
	ub := &upstreamBody{data: b, flight: f}
	ub.Reset(b)
	return ub
}

// settled reports whether every body f counted was closed.
func (f *bodyFlight) settled() bool { return f.open.Load() == 0 }

// Close implements io.Closer; only the first call counts.
func (b *upstreamBody) Close() error {
	if b.closed.CompareAndSwap(false, true) {
		b.flight.open.Add(-1)
	}
	return nil
}

// again is the request's GetBody: a fresh body over the same bytes, for a
// transport that resends the request on a new connection.
func (b *upstreamBody) again() (io.ReadCloser, error) {
	return b.flight.body(b.data), nil
}
