package fakeupstream

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInvalidOptions is wrapped by every Options validation error.
var ErrInvalidOptions = errors.New("fakeupstream: invalid options")

const (
	defaultRecordLimit = 256
	maxRecordLimit     = 1 << 20
	defaultMaxBody     = 32 << 20
	defaultDimensions  = 16
	maxDimensions      = 4096
	defaultTokens      = 16
	maxPooledBuf       = 1 << 20
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Keys are the accepted API keys; empty accepts any non-empty key.
	Keys []string
	// Models are listed by GET /v1/models (default: a few OpenAI names).
	// Requests for other models are served too.
	Models []string
	// Scenario applies to every request. ByModel and ByKey override it
	// option by option (key over model), and a URL scenario overrides all.
	Scenario Scenario
	ByModel  map[string]Scenario
	ByKey    map[string]Scenario
	// RecordLimit bounds the ring of recorded requests: 0 means 256,
	// negative disables recording (benchmarks).
	RecordLimit int
	// MaxBodyBytes bounds request bodies (413 above); 0 means 32 MiB.
	MaxBodyBytes int64
	// EmbeddingDimensions is the vector length when a request sets no
	// dimensions; 0 means 16.
	EmbeddingDimensions int
	// DefaultTokens is the answer length when the scenario sets neither
	// chunks nor body; 0 means 16.
	DefaultTokens int
}

// Validate reports every problem in o, joined.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...))
	}
	if err := o.Scenario.Validate(); err != nil {
		bad("Scenario: %w", err)
	}
	for _, m := range slices.Sorted(maps.Keys(o.ByModel)) {
		if err := o.ByModel[m].Validate(); err != nil {
			bad("ByModel[%q]: %w", m, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o.ByKey)) {
		if err := o.ByKey[k].Validate(); err != nil {
			bad("ByKey[%d chars]: %w", len(k), err)
		}
	}
	for i, k := range o.Keys {
		if strings.TrimSpace(k) == "" {
			bad("Keys[%d] is empty", i)
		}
	}
	for i, m := range o.Models {
		if m == "" {
			bad("Models[%d] is empty", i)
		}
	}
	if o.RecordLimit > maxRecordLimit {
		bad("RecordLimit %d above %d", o.RecordLimit, maxRecordLimit)
	}
	if o.MaxBodyBytes < 0 {
		bad("MaxBodyBytes %d is negative", o.MaxBodyBytes)
	}
	if o.EmbeddingDimensions < 0 || o.EmbeddingDimensions > maxDimensions {
		bad("EmbeddingDimensions %d outside [0, %d]", o.EmbeddingDimensions, maxDimensions)
	}
	if o.DefaultTokens < 0 || o.DefaultTokens > maxCount {
		bad("DefaultTokens %d outside [0, %d]", o.DefaultTokens, maxCount)
	}
	return errors.Join(errs...)
}

// route is one endpoint of one provider's wire format.
type route struct {
	method string
	d      *dialect
	handle func(*exchange)
}

// dialect is what differs between providers outside the endpoints: where the
// credential is and what an error looks like.
type dialect struct {
	credential  func(*http.Request) string
	appendError func(b []byte, status int, message string) []byte
	// authorize, when set, replaces the Options.Keys check: it answers a
	// rejected credential itself and reports whether to go on.
	authorize func(*exchange) bool
	// errorFor, when set, renders errors instead of appendError, for
	// shapes that carry per-request details (Google's RetryInfo).
	errorFor func(ex *exchange, b []byte, status int, message string) []byte
}

type overrides struct {
	def     Scenario
	byModel map[string]Scenario
	byKey   map[string]Scenario
}

func (o *overrides) plain() bool { return len(o.byModel) == 0 && len(o.byKey) == 0 }

// Server is the fake provider; it is an http.Handler.
type Server struct {
	opts     Options
	keys     map[string]struct{}
	routes   map[string]route
	fallback *dialect // answers unknown paths
	models   []byte   // pre-rendered GET /v1/models
	google   *googleState

	ov   atomic.Pointer[overrides]
	ovMu sync.Mutex // serializes copy-on-write updates of ov

	failMu     sync.Mutex
	failCounts map[string]int

	rec      *recorder
	seq      atomic.Uint64
	received atomic.Int64
	bufs     sync.Pool

	closed    chan struct{}
	closeOnce sync.Once
}

// New builds a Server. It panics if opts.Validate fails: options are
// programmer input; validate untrusted ones first.
func New(opts Options) *Server {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	if opts.RecordLimit == 0 {
		opts.RecordLimit = defaultRecordLimit
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = defaultMaxBody
	}
	if opts.EmbeddingDimensions == 0 {
		opts.EmbeddingDimensions = defaultDimensions
	}
	if opts.DefaultTokens == 0 {
		opts.DefaultTokens = defaultTokens
	}
	s := &Server{
		opts:       opts,
		routes:     make(map[string]route),
		failCounts: make(map[string]int),
		rec:        newRecorder(opts.RecordLimit),
		closed:     make(chan struct{}),
	}
	if len(opts.Keys) > 0 {
		s.keys = make(map[string]struct{}, len(opts.Keys))
		for _, k := range opts.Keys {
			s.keys[strings.TrimSpace(k)] = struct{}{}
		}
	}
	s.ov.Store(&overrides{def: opts.Scenario, byModel: maps.Clone(opts.ByModel), byKey: maps.Clone(opts.ByKey)})
	s.addOpenAI()
	s.addAnthropic()
	s.addGemini()
	return s
}

// SetScenario replaces the default scenario.
func (s *Server) SetScenario(sc Scenario) error {
	return s.update(sc, func(o *overrides) { o.def = sc })
}

// SetModelScenario overrides the scenario for requests naming model; the
// zero Scenario removes the override.
func (s *Server) SetModelScenario(model string, sc Scenario) error {
	return s.update(sc, func(o *overrides) { setOrDelete(&o.byModel, model, sc) })
}

// SetKeyScenario overrides the scenario for requests made with key; the
// zero Scenario removes the override.
func (s *Server) SetKeyScenario(key string, sc Scenario) error {
	return s.update(sc, func(o *overrides) { setOrDelete(&o.byKey, key, sc) })
}

func setOrDelete(m *map[string]Scenario, k string, sc Scenario) {
	if sc == (Scenario{}) {
		delete(*m, k)
		return
	}
	if *m == nil {
		*m = make(map[string]Scenario)
	}
	(*m)[k] = sc
}

func (s *Server) update(sc Scenario, f func(*overrides)) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	s.ovMu.Lock()
	defer s.ovMu.Unlock()
	cur := s.ov.Load()
	next := &overrides{def: cur.def, byModel: maps.Clone(cur.byModel), byKey: maps.Clone(cur.byKey)}
	f(next)
	s.ov.Store(next)
	return nil
}

// ResetCounters restarts every fail-first count.
func (s *Server) ResetCounters() {
	s.failMu.Lock()
	clear(s.failCounts)
	s.failMu.Unlock()
}

// failCount counts one more request under a fail-first scenario.
func (s *Server) failCount(key string) int {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	s.failCounts[key]++
	return s.failCounts[key]
}

// Close releases every request waiting in hang, latency or pace by dropping
// its connection, and makes later waits end at once. Close the Server before
// an httptest.Server that serves it, whose Close waits for active requests.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// splitScenario splits "/s/<scenario>/rest" into its parts.
func splitScenario(path string) (scenario, rest string, ok bool) {
	after, found := strings.CutPrefix(path, "/s/")
	if !found {
		return "", path, false
	}
	i := strings.IndexByte(after, '/')
	if i < 0 {
		return after, "/", true
	}
	return after[:i], after[i:], true
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.received.Add(1)
	rawSc, path, prefixed := splitScenario(r.URL.Path)
	rt, found := s.routes[path]
	if !found {
		if strings.HasPrefix(path, azurePrefix) {
			rt, found = s.azureRoute(path)
		} else {
			rt, found = s.googleRoute(path) // paths that embed a model name
		}
	}
	d := rt.d
	if d == nil {
		d = s.fallback
	}
	bp := s.getBuf()
	ex := &exchange{s: s, w: w, r: r, d: d, buf: (*bp)[:0], seq: s.seq.Add(1), start: time.Now()}
	defer s.putBuf(bp, ex)
	w.Header()["X-Request-Id"] = []string{"req_fake" + strconv.FormatUint(ex.seq, 10)}

	if prefixed {
		sc, err := ParseScenario(rawSc)
		if err != nil {
			ex.fail(http.StatusBadRequest, err.Error())
			return
		}
		ex.pathSc, ex.hasPathSc = sc, sc != (Scenario{})
	}
	if !found {
		ex.fail(http.StatusNotFound, "Invalid URL ("+r.Method+" "+path+")")
		return
	}
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		ex.fail(http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed on "+path)
		return
	}
	body, err := readBody(r, s.opts.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, errBodyTooLarge) {
			ex.fail(http.StatusRequestEntityTooLarge, "request body too large")
		} else {
			ex.fail(http.StatusBadRequest, "could not read request body")
		}
		return
	}
	if s.rec != nil {
		s.rec.add(r, rawSc, body)
	}
	ex.body = body
	ex.key = d.credential(r)
	if d.authorize != nil {
		if !d.authorize(ex) {
			return
		}
	} else if !s.keyAccepted(ex.key) {
		ex.fail(http.StatusUnauthorized, "Incorrect API key provided.")
		return
	}
	rt.handle(ex)
}

func (s *Server) keyAccepted(key string) bool {
	if key == "" {
		return false
	}
	if s.keys == nil {
		return true
	}
	_, ok := s.keys[key]
	return ok
}

var errBodyTooLarge = errors.New("body too large")

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	size := int64(512)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1 // +1 so the final read sees EOF without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 1)
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, errBodyTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (s *Server) getBuf() *[]byte {
	if bp, ok := s.bufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 4096)
	return &b
}

func (s *Server) putBuf(bp *[]byte, ex *exchange) {
	if cap(ex.buf) > maxPooledBuf {
		return
	}
	*bp = ex.buf[:0]
	s.bufs.Put(bp)
}
