package egress

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultConnectTimeout      = 10 * time.Second
	DefaultTLSHandshakeTimeout = 10 * time.Second
	DefaultIdleConnTimeout     = 90 * time.Second
	DefaultMaxIdleConnsPerHost = 512
	// DefaultMaxResponseHeaderBytes bounds what an upstream may send before
	// its body.
	DefaultMaxResponseHeaderBytes = 256 << 10
)

// Options tunes NewTransport.
type Options struct {
	// AllowPrivate lets channels reach loopback and private addresses
	// (self-hosted models, tests). Off by default.
	AllowPrivate           bool
	ConnectTimeout         time.Duration // default when the request carries none
	TLSHandshakeTimeout    time.Duration
	IdleConnTimeout        time.Duration
	MaxIdleConnsPerHost    int
	MaxResponseHeaderBytes int64

	// dial replaces the network dial in tests.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

type connectTimeoutKey struct{}

// WithConnectTimeout makes dials made for requests with ctx give up after d,
// so each channel can have its own connect timeout on the shared transport.
func WithConnectTimeout(ctx context.Context, d time.Duration) context.Context {
	if d <= 0 {
		return ctx
	}
	return context.WithValue(ctx, connectTimeoutKey{}, d)
}

// NewTransport returns the transport every upstream request shares.
//
// It never uses a proxy from the environment (the address check would then
// see the proxy, not the upstream), asks for identity encoding so usage can
// be read from the bytes as they pass, and keeps many idle connections per
// host because a few providers carry most of the traffic.
func NewTransport(opts Options) *http.Transport {
	d := &net.Dialer{
		Timeout:   orDefault(opts.ConnectTimeout, DefaultConnectTimeout),
		KeepAlive: 30 * time.Second,
	}
	if !opts.AllowPrivate {
		d.Control = control
	}
	netDial := d.DialContext
	if opts.dial != nil {
		netDial = opts.dial
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if t, ok := ctx.Value(connectTimeoutKey{}).(time.Duration); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, t)
			defer cancel()
		}
		return netDial(ctx, network, addr)
	}
	maxIdle := orDefault(opts.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            dial,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    orDefault(opts.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		IdleConnTimeout:        orDefault(opts.IdleConnTimeout, DefaultIdleConnTimeout),
		MaxIdleConns:           maxIdle * 4,
		MaxIdleConnsPerHost:    maxIdle,
		DisableCompression:     true,
		MaxResponseHeaderBytes: orDefault(opts.MaxResponseHeaderBytes, DefaultMaxResponseHeaderBytes),
		WriteBufferSize:        32 << 10,
		ReadBufferSize:         32 << 10,
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
