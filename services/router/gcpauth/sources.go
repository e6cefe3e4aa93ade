package gcpauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"
)

// Defaults for Options fields left zero.
const (
	DefaultRefreshMargin = 5 * time.Minute
	DefaultMaxKeys       = 256
	DefaultIdleTTL       = time.Hour
	DefaultFetchTimeout  = 30 * time.Second
	DefaultRetryBackoff  = time.Second
	// assumedLifetime is used when a token answer has no expires_in.
	assumedLifetime = 10 * time.Minute
	// maxGuard bounds how close to its expiry a token is still handed out.
	maxGuard = 10 * time.Second
	// touchEvery limits how often a hit records its time (a shared write).
	touchEvery = int64(time.Second)
)

var (
	// ErrGrantRefused is wrapped when the token endpoint answered with a
	// client error (4xx but 408 and 429): the key is revoked, disabled or
	// not trusted, the clock is off, and so on. Retrying will not help soon.
	ErrGrantRefused = errors.New("gcpauth: token endpoint refused the grant")
	// ErrTokenUnavailable is wrapped when no token could be had for a
	// passing reason: connection failure, timeout, 5xx, 408, 429, a broken
	// answer, or a recent failure still within Options.RetryBackoff.
	ErrTokenUnavailable = errors.New("gcpauth: token endpoint unavailable")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("gcpauth: sources closed")
)

// GrantError is a failed token request.
type GrantError struct {
	Status      int    // HTTP status of the answer, 0 when there was none
	Code        string // OAuth error code of the answer, e.g. "invalid_grant"
	Description string // its error_description
	kind        error  // ErrGrantRefused or ErrTokenUnavailable
	cause       error
}

func (e *GrantError) Error() string {
	msg := e.kind.Error()
	if e.Status != 0 {
		msg += ": HTTP " + strconv.Itoa(e.Status)
	}
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

// Unwrap gives the kind (ErrGrantRefused or ErrTokenUnavailable) and the
// cause, e.g. the transport's error or context.DeadlineExceeded.
func (e *GrantError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// Options configure Sources. The zero value is usable.
type Options struct {
	// TokenURL, when set, is where every grant is posted instead of the key
	// file's token_uri (tests, air-gapped or private-access setups). The
	// assertion's audience stays the key file's token_uri.
	TokenURL string
	// Scopes requested; default [Scope].
	Scopes []string
	// RefreshMargin: a token with less lifetime left is refreshed in the
	// background while it is still served; default 5 minutes, and never more
	// than half a token's lifetime.
	RefreshMargin time.Duration
	// MaxKeys bounds the cached token sources (one per distinct key file);
	// the least recently used goes first. Default 256.
	MaxKeys int
	// IdleTTL drops a key's source once unused this long, so rotated keys do
	// not linger; default one hour.
	IdleTTL time.Duration
	// FetchTimeout bounds one token request; default 30 seconds.
	FetchTimeout time.Duration
	// RetryBackoff: after a failed request, callers without a usable token
	// get that failure at once for this long instead of a new request;
	// default one second.
	RetryBackoff time.Duration
}

// Validate reports every problem in o, joined.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("gcpauth: "+format, args...)) }
	if o.TokenURL != "" && !isHTTPURL(o.TokenURL) {
		bad("TokenURL %q is not an http(s) URL", o.TokenURL)
	}
	for i, s := range o.Scopes {
		if s == "" {
			bad("Scopes[%d] is empty", i)
		}
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"RefreshMargin", o.RefreshMargin}, {"IdleTTL", o.IdleTTL}, {"FetchTimeout", o.FetchTimeout}, {"RetryBackoff", o.RetryBackoff}} {
		if f.d < 0 {
			bad("%s %v is negative", f.name, f.d)
		}
	}
	if o.MaxKeys < 0 {
		bad("MaxKeys %d is negative", o.MaxKeys)
	}
	return errors.Join(errs...)
}

func (o *Options) defaults() {
	if len(o.Scopes) == 0 {
		o.Scopes = []string{Scope}
	}
	if o.RefreshMargin == 0 {
		o.RefreshMargin = DefaultRefreshMargin
	}
	if o.MaxKeys == 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.IdleTTL == 0 {
		o.IdleTTL = DefaultIdleTTL
	}
	if o.FetchTimeout == 0 {
		o.FetchTimeout = DefaultFetchTimeout
	}
	if o.RetryBackoff == 0 {
		o.RetryBackoff = DefaultRetryBackoff
	}
}

// Sources hands out access tokens for service-account keys.
type Sources struct {
	opts   Options
	client *http.Client

	m     sync.Map // key file JSON -> *source
	mu    sync.Mutex
	count int // entries in m, under mu

	base   context.Context // ends at Close, and with it every grant
	cancel context.CancelFunc
	closed atomic.Bool
	wg     sync.WaitGroup
}

// NewSources builds Sources that send grants with client (the router's
// egress client; nil means http.DefaultClient).
func NewSources(client *http.Client, opts Options) (*Sources, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.defaults()
	if client == nil {
		client = http.DefaultClient
	}
	base, cancel := context.WithCancel(context.Background())
	return &Sources{
		opts:   opts,
		client: client,
		base:   base,
		cancel: cancel,
	}, nil
}

// Close ends the grants in flight and waits for them; Token fails with
// ErrClosed afterwards.
func (s *Sources) Close() {
	s.closed.Store(true)
	s.cancel()
	s.wg.Wait()
}

// token is one access token and when to renew it.
type token struct {
	access    string
	header    string // "Bearer " + access
	expiry    time.Time
	refreshAt time.Time
	serveTill time.Time // after this, callers wait for a new token
}

// source is the cached state of one key file.
type source struct {
	err  error       // the key's KeyError; nothing else is set then
	conf *jwt.Config // the grant
	cur  atomic.Pointer[token]
	used atomic.Int64 // unix nanoseconds of the last use, coarse

	mu        sync.Mutex
	fetching  chan struct{} // closed when the grant in flight ends
	lastErr   error
	lastErrAt time.Time
}

// Token returns an access token for the key file, the value to send as
// "Authorization: Bearer <token>". A key that cannot be used gives an error
// wrapping ErrInvalidKey; a failed grant a *GrantError wrapping
// ErrGrantRefused or ErrTokenUnavailable; ctx ending first, its error.
func (s *Sources) Token(ctx context.Context, serviceAccountJSON string) (string, error) {
	t, err := s.get(ctx, serviceAccountJSON)
	if err != nil {
		return "", err
	}
	return t.access, nil
}

// Authorization is Token as the whole header value, "Bearer <token>".
func (s *Sources) Authorization(ctx context.Context, serviceAccountJSON string) (string, error) {
	t, err := s.get(ctx, serviceAccountJSON)
	if err != nil {
		return "", err
	}
	return t.header, nil
}

func (s *Sources) get(ctx context.Context, keyJSON string) (*token, error) {
	now := time.Now()
	src := s.lookup(keyJSON, now)
	if src.err != nil {
		return nil, src.err
	}
	if t := src.cur.Load(); t != nil && now.Before(t.refreshAt) {
		return t, nil
	}
	return s.slow(ctx, src, now)
}

// slow serves a token due for refresh while starting the refresh, or
// waits for a new one when none is usable.
func (s *Sources) slow(ctx context.Context, src *source, now time.Time) (*token, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if t := src.cur.Load(); t != nil && now.Before(t.serveTill) {
		_, _ = s.start(src) // a failure is kept for the callers that must wait
		return t, nil
	}
	done, err := s.start(src)
	if err != nil {
		return nil, err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if t := src.cur.Load(); t != nil && time.Now().Before(t.serveTill) {
		return t, nil
	}
	src.mu.Lock()
	err = src.lastErr
	src.mu.Unlock()
	if err == nil {
		err = &GrantError{kind: ErrTokenUnavailable, cause: errors.New("token expired at once")}
	}
	return nil, err
}

// start begins a grant unless one is in flight, returning a channel closed
// when it ends; within RetryBackoff of a failure it returns that failure.
func (s *Sources) start(src *source) (<-chan struct{}, error) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.fetching != nil {
		return src.fetching, nil
	}
	if src.lastErr != nil && time.Since(src.lastErrAt) < s.opts.RetryBackoff {
		return nil, src.lastErr
	}
	done := make(chan struct{})
	src.fetching = done
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t, err := s.grant(src)
		src.mu.Lock()
		if err == nil {
			src.cur.Store(t)
			src.lastErr = nil
		} else {
			src.lastErr, src.lastErrAt = err, time.Now()
		}
		src.fetching = nil
		src.mu.Unlock()
		close(done)
	}()
	return done, nil
}

// grant runs the JWT bearer grant, bounded by FetchTimeout and Close.
func (s *Sources) grant(src *source) (*token, error) {
	ctx, cancel := context.WithTimeout(s.base, s.opts.FetchTimeout)
	defer cancel()
	// x/oauth2/jwt posts without a context; the transport adds ours and
	// keeps the transport's own error, which the library flattens.
	rt := &ctxTransport{base: s.client.Transport, ctx: ctx}
	if rt.base == nil {
		rt.base = http.DefaultTransport
	}
	client := *s.client
	client.Transport = rt
	ot, err := src.conf.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, &client)).Token()
	if err != nil {
		return nil, grantError(ctx, err, rt.err)
	}
	if ot.AccessToken == "" {
		return nil, &GrantError{kind: ErrTokenUnavailable, cause: errors.New("answer has no access_token")}
	}
	now := time.Now()
	expiry := ot.Expiry
	if expiry.IsZero() {
		expiry = now.Add(assumedLifetime)
	}
	// Short-lived tokens get proportionate margins, so a lifetime below
	// RefreshMargin does not mean a grant per call.
	margin := min(s.opts.RefreshMargin, expiry.Sub(now)/2)
	return &token{
		access:    ot.AccessToken,
		header:    "Bearer " + ot.AccessToken,
		expiry:    expiry,
		refreshAt: expiry.Add(-margin),
		serveTill: expiry.Add(-min(maxGuard, margin/2)),
	}, nil
}

// grantError classifies a failed grant.
func grantError(ctx context.Context, err, transportErr error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		ge := &GrantError{Status: re.Response.StatusCode, kind: ErrTokenUnavailable}
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			ge.Code, ge.Description = body.Error, body.Description
		}
		if st := ge.Status; st >= 400 && st < 500 && st != http.StatusRequestTimeout && st != http.StatusTooManyRequests {
			ge.kind = ErrGrantRefused
		}
		return ge
	}
	switch {
	case ctx.Err() != nil:
		if context.Cause(ctx) == context.Canceled {
			return &GrantError{kind: ErrTokenUnavailable, cause: ErrClosed}
		}
		return &GrantError{kind: ErrTokenUnavailable, cause: ctx.Err()}
	case transportErr != nil:
		return &GrantError{kind: ErrTokenUnavailable, cause: transportErr}
	}
	return &GrantError{kind: ErrTokenUnavailable, cause: err}
}

// ctxTransport sends with ctx and remembers the last transport error.
type ctxTransport struct {
	base http.RoundTripper
	ctx  context.Context
	err  error
}

func (t *ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req.WithContext(t.ctx))
	if err != nil {
		t.err = err
	}
	return resp, err
}

// lookup finds or makes the source of a key file.
func (s *Sources) lookup(keyJSON string, now time.Time) *source {
	ns := now.UnixNano()
	if v, ok := s.m.Load(keyJSON); ok {
		src := v.(*source)
		if ns-src.used.Load() > touchEvery {
			src.used.Store(ns)
		}
		return src
	}
	src := s.newSource(keyJSON)
	src.used.Store(ns)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, loaded := s.m.LoadOrStore(keyJSON, src); loaded {
		return v.(*source)
	}
	s.count++
	if s.count > s.opts.MaxKeys {
		s.evict(keyJSON, ns)
	}
	return src
}

func (s *Sources) newSource(keyJSON string) *source {
	kf, err := parseKeyFile([]byte(keyJSON))
	if err != nil {
		return &source{err: err}
	}
	conf := &jwt.Config{
		Email:        kf.ClientEmail,
		PrivateKey:   []byte(kf.PrivateKey),
		PrivateKeyID: kf.PrivateKeyID,
		Scopes:       s.opts.Scopes,
		TokenURL:     kf.TokenURI,
	}
	if s.opts.TokenURL != "" {
		conf.TokenURL, conf.Audience = s.opts.TokenURL, kf.TokenURI
	}
	return &source{conf: conf}
}

// evict drops sources idle longer than IdleTTL and, if still over
// MaxKeys, the least recently used; keep is the one just added. Under mu.
func (s *Sources) evict(keep string, now int64) {
	idle := int64(s.opts.IdleTTL)
	var oldest string
	oldestAt := int64(math.MaxInt64)
	s.m.Range(func(k, v any) bool {
		key := k.(string)
		if key == keep {
			return true
		}
		at := v.(*source).used.Load()
		if now-at > idle {
			s.m.Delete(key)
			s.count--
			return true
		}
		if at < oldestAt {
			oldest, oldestAt = key, at
		}
		return true
	})
	if s.count > s.opts.MaxKeys && oldest != "" {
		s.m.Delete(oldest)
		s.count--
	}
}

// Len is the number of cached key sources.
func (s *Sources) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}
