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
