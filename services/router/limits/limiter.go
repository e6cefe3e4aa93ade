package limits

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

//go:embed script.lua
var scriptSource string

// Deps are the limiter's collaborators.
type Deps struct {
	// Redis shares limits across routers; nil keeps them local (one
	// process, e.g. burncloud dev). Build it with RedisOptions.
	Redis    redis.UniversalClient
	Logger   *zap.Logger
	Registry prometheus.Registerer
}

// Limiter admits requests and upstream attempts.
type Limiter struct {
	cfg    Config
	rdb    redis.UniversalClient
	script *redis.Script
	log    *zap.Logger
	m      *metrics
	local  *local
	// channels maps a channel name to its *channelState.
	channels sync.Map

	idPrefix string
	seq      atomic.Uint64

	degraded      atomic.Bool
	degradedSince atomic.Int64 // unix nanoseconds
	lastReplyLog  atomic.Int64 // unix nanoseconds

	liveMu sync.Mutex
	live   map[*Admission]struct{}

	pendingMu sync.Mutex
	pending   []settlement

	grants grants
	// bg counts the goroutines asking for grants.
	bg sync.WaitGroup
}

// New builds a limiter; call Run to renew reservations and to recover
// from Redis outages.
func New(cfg Config, d Deps) (*Limiter, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("limits: admission ids: %w", err)
	}
	l := &Limiter{
		cfg:      cfg,
		rdb:      d.Redis,
		script:   redis.NewScript(scriptSource),
		log:      d.Logger,
		m:        newMetrics(d.Registry),
		idPrefix: hex.EncodeToString(rnd[:]),
		live:     make(map[*Admission]struct{}),
		grants:   grants{slots: make(map[grantKey]*grantSlot)},
	}
	lease := cfg.Lease
	if d.Redis == nil {
		lease = 0 // the only router: its own view is complete
	}
	l.local = newLocal(cfg, lease)
	return l, nil
}

// Degraded reports whether Redis is unreachable and local limits apply.
func (l *Limiter) Degraded() bool { return l.degraded.Load() }

// Admit checks and counts every limit of r and reserves r.Reserve against
// the token's and the user's quota, all or nothing. A refusal is a
// *Refusal (errors.Is ErrRateLimited, ErrQuotaExhausted or
// ErrUnavailable). A nil Admission with a nil error means nothing was
// limited; its methods are no-ops.
func (l *Limiter) Admit(ctx context.Context, r Request) (*Admission, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	r.TokenQuota, r.UserQuota = r.TokenQuota.effective(), r.UserQuota.effective()
	r.Reserve = min(r.Reserve, maxMoney)
	if !r.TokenLimits.any() && !r.UserLimits.any() && !r.ModelLimits.any() &&
		!r.TokenQuota.Limited && !r.UserQuota.Limited {
		l.m.admitted.Inc()
		return nil, nil
	}
	if l.rdb != nil && !l.degraded.Load() {
		var slot *grantSlot
		if l.cfg.GrantMax > 0 {
			var a *Admission
			if a, slot = l.fromGrant(&r, time.Now()); a != nil {
				l.m.admitted.Inc()
				l.m.grantAdmitted.Inc()
				l.hold(a)
				return a, nil
			}
		}
		a, err := l.admitShared(ctx, &r, slot)
		var ref *Refusal
		switch {
		case err == nil:
			l.m.admitted.Inc()
			l.hold(a)
			return a, nil
		case errors.As(err, &ref):
			l.m.decision(ref.Limit, resultRefused)
			return nil, err
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case isReply(err) || errors.Is(err, errBadReply):
			// Redis answered, with an error: it is up, this request is
			// decided locally and the fault is reported.
			l.replyError(err)
		default:
			l.down(err)
		}
	}
	a, err := l.admitLocal(&r)
	if err != nil {
		// Limit kinds that failed closed were counted as such.
		var ref *Refusal
		if errors.As(err, &ref) && ref.Limit != limitRate && ref.Limit != limitConcurrencyKind && ref.Limit != limitQuotaKind {
			l.m.decision(ref.Limit, resultRefused)
		}
		return nil, err
	}
	l.m.admitted.Inc()
	if a != nil {
		l.hold(a)
	}
	return a, nil
}

func (l *Limiter) nextID() string {
	return l.idPrefix + strconv.FormatUint(l.seq.Add(1), 36)
}

// admitShared runs the script once; it may bring slot's key a grant.
func (l *Limiter) admitShared(ctx context.Context, r *Request, slot *grantSlot) (*Admission, error) {
	ask, slot := l.grantAsk(slot)
	res, call, err := l.runAdmit(ctx, r, ask, 1)
	var rep admitReply
	if err == nil {
		rep, err = decodeAdmit(res, r)
	}
	if slot != nil {
		var g *grant
		if err == nil {
			g = newGrant(rep, r, call.keys, call.grantID)
		}
		l.grantDone(slot, g)
	}
	if err != nil {
		return nil, err
	}
	return &Admission{
		l: l, start: time.Now(), shared: true, keys: call.keys, member: call.member, win: rep.win,
		remaining: rep.remaining, rate: rep.rate,
	}, nil
}

// admitCall is what one op 'a' sent: the user's keys, the request's
// member and the id of the grant it may bring.
type admitCall struct {
	keys            []string
	member, grantID string
}

// runAdmit runs op 'a': one is 1 to admit r, 0 to ask for a grant only;
// ask is the grant's size in requests (0: none).
func (l *Limiter) runAdmit(ctx context.Context, r *Request, ask, one int64) ([]any, admitCall, error) {
	var resT, resU int64
	if r.TokenQuota.Limited {
		resT = r.Reserve
	}
	if r.UserQuota.Limited {
		resU = r.Reserve
	}
	id := l.nextID()
	t := termsOf(r)
	call := admitCall{
		keys:    userKeys(l.cfg.KeyPrefix, r.User),
		member:  member(id, &t, grantKey{token: r.TokenID, model: r.Model}, 1, r.EstTokens, resT, resU),
		grantID: id + "g",
	}

	b := make([]byte, 0, 200)
	for _, v := range [...]int64{
		l.cfg.Window.Milliseconds(), l.cfg.ReservationTTL.Milliseconds(), l.cfg.StateTTL.Milliseconds(),
		int64(l.cfg.PurgeBatch), r.EstTokens, r.Revision,
	} {
		b = strconv.AppendInt(b, v, 10)
		b = append(b, ' ')
	}
	for _, q := range [...]Quota{r.TokenQuota, r.UserQuota} {
		if q.Limited {
			b = strconv.AppendInt(b, q.Limit, 10)
		} else {
			b = append(b, "-1"...)
		}
		b = append(b, ' ')
		b = strconv.AppendInt(b, q.Used, 10)
		b = append(b, ' ')
	}
	for _, lim := range [...]Limits{r.TokenLimits, r.UserLimits, r.ModelLimits} {
		for _, v := range [...]int64{lim.RPM, lim.TPM, lim.MaxConcurrency} {
			b = strconv.AppendInt(b, max(v, 0), 10)
			b = append(b, ' ')
		}
	}
	for _, v := range [...]int64{ask, one, grantShare} {
		b = strconv.AppendInt(b, v, 10)
		b = append(b, ' ')
	}

	cctx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout)
	start := time.Now()
	res, err := l.script.Run(cctx, l.rdb, call.keys, "a", call.member, string(b[:len(b)-1]), call.grantID).Slice()
	cancel()
	l.m.redisSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		l.m.redisErrors.Inc()
		if !isReply(err) && one == 1 {
			// The script may have run: release what it would have held.
			// A grant it may have made expires with the reservation TTL.
			l.enqueue(settlement{keys: call.keys, member: call.member, first: false})
		}
		return nil, call, err
	}
	return res, call, nil
}

// errBadReply marks a script reply the limiter cannot read.
var errBadReply = errors.New("limits: unexpected script reply")

// admitReply is an admission the script made.
type admitReply struct {
	win       int64
	remaining int64
	rate      RateState
	// grant is the size of the grant that came with it, grantMember its
	// member in Redis.
	grant       int64
	grantMember string
}

// decodeAdmit decodes {0, window, token available, user available, request
// limit, remaining, reset ms, token limit, remaining, reset ms, grant size,
// grant member} or {1, limit code, retry ms | remaining}; a refusal is a
// *Refusal.
func decodeAdmit(res []any, r *Request) (admitReply, error) {
	if len(res) < 3 {
		return admitReply{}, fmt.Errorf("%w: %d values", errBadReply, len(res))
	}
	status, _ := res[0].(int64)
	if status == 1 {
		code, _ := res[1].(int64)
		if code < 1 || int(code) > len(limitCodes) {
			return admitReply{}, fmt.Errorf("%w: refusal code %d", errBadReply, code)
		}
		ref := &Refusal{Limit: limitCodes[code-1], Max: r.limitOf(int(code - 1))}
		if ref.isQuota() {
			ref.Remaining, _ = strconv.ParseInt(str(res[2]), 10, 64)
		} else {
			ms, _ := res[2].(int64)
			ref.RetryAfter = time.Duration(ms) * time.Millisecond
		}
		return admitReply{}, ref
	}
	if len(res) < 4 {
		return admitReply{}, fmt.Errorf("%w: %d values", errBadReply, len(res))
	}
	win, err1 := strconv.ParseInt(str(res[1]), 10, 64)
	tokLeft, err2 := strconv.ParseInt(str(res[2]), 10, 64)
	userLeft, err3 := strconv.ParseInt(str(res[3]), 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return admitReply{}, fmt.Errorf("%w: %w", errBadReply, err)
	}
	rep := admitReply{win: win, remaining: remainingOf(tokLeft, userLeft)}
	if len(res) >= 10 {
		rep.rate = RateState{Requests: headroomOf(res[4:7]), Tokens: headroomOf(res[7:10])}
	}
	if len(res) >= 12 {
		rep.grant, _ = res[10].(int64)
		rep.grantMember = str(res[11])
	}
	return rep, nil
}

// headroomOf reads {limit, remaining, reset ms} of the script's reply.
func headroomOf(v []any) Headroom {
	lim, _ := v[0].(int64)
	left, _ := v[1].(int64)
	ms, _ := v[2].(int64)
	if lim <= 0 {
		return Headroom{}
	}
	return Headroom{Limit: lim, Remaining: max(left, 0), Reset: time.Duration(max(ms, 0)) * time.Millisecond}
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case int64:
		return strconv.FormatInt(s, 10)
	}
	return ""
}

// remainingOf is the smaller of the limited levels' availability; -1 is
// unlimited.
func remainingOf(a, b int64) int64 {
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}

// isReply reports an error Redis answered with while serving, as opposed
// to one of reaching it or of a server that cannot serve right now.
func isReply(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, p := range [...]string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY"} {
		if redis.HasErrorPrefix(err, p) {
			return false
		}
	}
	return true
}

// callFailed counts a failed Redis call: an error Redis answered with is
// logged, any other degrades the limiter.
func (l *Limiter) callFailed(err error) {
	l.m.redisErrors.Inc()
	if isReply(err) {
		l.replyError(err)
		return
	}
	l.down(err)
}

// replyError logs a script failure at most once per probe interval.
func (l *Limiter) replyError(err error) {
	now := time.Now().UnixNano()
	last := l.lastReplyLog.Load()
	if now-last < int64(l.cfg.ProbeInterval) || !l.lastReplyLog.CompareAndSwap(last, now) {
		return
	}
	l.log.Error("limits script failed; deciding locally", zap.Error(err))
}
