package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1/adminv1connect"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/usage"
	"github.com/burncloud/burncloud/services/burncloud/internal/proctest"
)

// The limits of §4 step 3 across two real routers sharing a private Redis.
// Requests here are plain HTTP with fixed bodies: the tests compute the
// token estimate and the reservation from the exact bytes the routers see.

// limitsWindow is the routers' RPM/TPM window: long next to a burst (so a
// burst sits in one window, where limits hold exactly), short enough that
// nothing waits for it.
const limitsWindow = "10s"

// useRedis restarts every router of g sharing redisURL, as a fleet of
// len(g.routers), with env on top.
func (g *gateway) useRedis(redisURL string, env map[string]string) {
	g.t.Helper()
	for _, r := range g.routers {
		r.p.Stop(15 * time.Second)
		r.env["BURNCLOUD_REDIS_URL"] = redisURL
		r.env["BURNCLOUD_FLEET_SIZE"] = strconv.Itoa(len(g.routers))
		r.env["BURNCLOUD_LIMITS_WINDOW"] = limitsWindow
		// A burst of 50 on two shared cores can starve a 50 ms call: these
		// tests are about exact limits, not about degrading on slow Redis.
		r.env["BURNCLOUD_LIMITS_CALL_TIMEOUT"] = "2s"
		for k, v := range env {
			r.env[k] = v
		}
		g.startRouter(r)
	}
}

func (g *gateway) models() adminv1connect.ModelServiceClient {
	return adminv1connect.NewModelServiceClient(http.DefaultClient, g.ctlURL, connect.WithInterceptors(bearer(adminKey)))
}

// newUser creates a user with limits and a token, and returns the token's
// secret once every router knows it.
func (g *gateway) newUser(t *testing.T, name string, limits *adminv1.Limits) string {
	t.Helper()
	ctx := context.Background()
	if _, err := g.users().CreateUser(ctx, connect.NewRequest(&adminv1.CreateUserRequest{User: &adminv1.User{
		Name: name, Group: "default", Role: adminv1.Role_ROLE_USER, Status: adminv1.Status_STATUS_ACTIVE, Limits: limits,
	}})); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	res, err := g.tokens().CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{
		Token: &adminv1.Token{User: name, Name: "t", Status: adminv1.Status_STATUS_ACTIVE},
	}))
	if err != nil {
		t.Fatalf("create token of %s: %v", name, err)
	}
	key := res.Msg.GetSecret()
	// GET /v1/models authenticates without counting against any limit.
	for _, r := range g.routers {
		eventually(t, 5*time.Second, r.id+" knows "+name+"'s key", func() (bool, string) {
			code, _, _ := send(r, key, http.MethodGet, "/v1/models", "")
			return code == http.StatusOK, "status " + strconv.Itoa(code)
		})
	}
	return key
}

// send makes one request and returns its status, headers and body.
func send(r *router, key, method, path, body string) (int, http.Header, []byte) {
	req, err := http.NewRequest(method, r.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, nil
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := limitsClient.Do(req)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// limitsClient keeps enough connections for a burst.
var limitsClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64},
}

// answer is one response of a burst.
type answer struct {
	router string
	status int
	header http.Header
	body   []byte
}

// burst sends n chat requests at once, request i to routers[i%len(routers)].
func burst(n int, key, body string, routers ...*router) []answer {
	out := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		r := routers[i%len(routers)]
		wg.Go(func() {
			<-start
			code, h, b := send(r, key, http.MethodPost, "/v1/chat/completions", body)
			out[i] = answer{router: r.id, status: code, header: h, body: b}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// tally counts a burst's statuses and which limit its 429s named.
func tally(t *testing.T, as []answer) (map[int]int, map[string]int) {
	t.Helper()
	statuses, limits := map[int]int{}, map[string]int{}
	re := regexp.MustCompile(`\(([a-z_]+)\)`)
	for _, a := range as {
		statuses[a.status]++
		if a.status == http.StatusTooManyRequests || a.status == http.StatusPaymentRequired {
			var e struct {
				Error struct{ Message string } `json:"error"`
			}
			if err := json.Unmarshal(a.body, &e); err != nil {
				t.Fatalf("refusal body %q: %v", a.body, err)
			}
			if m := re.FindStringSubmatch(e.Error.Message); m != nil {
				limits[m[1]]++
			}
		}
	}
	return statuses, limits
}

// reservation is what the routers hold of a quota for body: its input
// upper bound and max_tokens at gpt-4o-mini's list price (DESIGN §4 step 3).
func reservation(t *testing.T, body string, maxTokens int64) int64 {
	t.Helper()
	res, err := pricing.Cost(miniPrice, usage.Usage{InputUncached: usage.InputUpperBound(len(body)), Output: maxTokens}, pricing.ListPrice())
	if err != nil {
		t.Fatal(err)
	}
	return max(res.CostNano, 1)
}

// §5 Quota: 50 concurrent requests spread over two routers on a balance
// that covers one request admit exactly one; the others get 402, and the
// balance settles at that one request's cost.
func TestQuotaFiftyConcurrentOverTwoRouters(t *testing.T) {
	const body = `{"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"only one of us gets in"}]}`
	redis := proctest.StartRedis(t)
	// The balance is exactly one reservation: whatever the admitted request
	// costs, the rest of the balance no longer covers another.
	quota := reservation(t, body, 100)
	g := startGateway(t, gatewayOptions{routers: 2, quota: pricing.FormatUSD(quota)})
	g.useRedis(redis.URL(), nil)

	as := burst(50, userKey, body, g.routers...)
	statuses, limits := tally(t, as)
	if statuses[http.StatusOK] != 1 || statuses[http.StatusPaymentRequired] != 49 || limits["user_quota"] != 49 {
		t.Fatalf("statuses %v, refusals %v; want one 200 and 49 402 user_quota", statuses, limits)
	}
	perRouter := map[string]int{}
	for _, a := range as {
		perRouter[a.router]++
	}
	if perRouter["router-1"] != 25 || perRouter["router-2"] != 25 {
		t.Fatalf("requests per router %v", perRouter)
	}

	// Billing settles all 50 events; only the admitted one costs anything.
	g.streamHolds(t, 50)
	g.settled(t, nil)
	var cost int64
	costly := 0
	for _, e := range g.ledger() {
		if e.GetCostNanoUsd() > 0 {
			costly++
			cost = e.GetCostNanoUsd()
		}
	}
	if costly != 1 || cost <= 0 {
		t.Fatalf("%d ledger rows with a cost, want 1", costly)
	}
	if used := g.userUsed("alice"); used != cost {
		t.Fatalf("alice used %s, want the one request's cost %s", pricing.FormatUSD(used), pricing.FormatUSD(cost))
	}
	t.Logf("reservation %s USD, settled %s USD", pricing.FormatUSD(quota), pricing.FormatUSD(cost))
}

// RPM, TPM and concurrency hold to the configured numbers across two
// routers: the token, user and per-user model limits are shared through
// Redis, and each answer's x-ratelimit-* headers show the shared count.
func TestRateLimitsHoldAcrossTwoRouters(t *testing.T) {
	const (
		maxTokens = 40
		body      = `{"model":"gpt-4o-mini","max_tokens":40,"messages":[{"role":"user","content":"count me"}]}`
	)
	redis := proctest.StartRedis(t)
	// The upstream answers after 1.5 s, so every request of a burst is
	// decided while the admitted ones are still in flight.
	g := startGateway(t, gatewayOptions{routers: 2, primary: "latency=1500ms"})
	g.useRedis(redis.URL(), nil)
	est := usage.InputUpperBound(len(body)) + maxTokens

	cases := []struct {
		name   string
		user   *adminv1.Limits
		model  *adminv1.Limits // gpt-4o-mini's per-user limits
		want   int
		limit  string
		header string // x-ratelimit-remaining-* the successes must show, "" none
	}{
		{"user rpm", &adminv1.Limits{Rpm: proto.Int64(7)}, nil, 7, "user_rpm", "X-Ratelimit-Remaining-Requests"},
		{"user concurrency", &adminv1.Limits{MaxConcurrency: proto.Int64(3)}, nil, 3, "user_concurrency", ""},
		{"per-user model tpm", nil, &adminv1.Limits{Tpm: proto.Int64(5 * est)}, 5, "user_model_tpm", "X-Ratelimit-Remaining-Tokens"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g.setPerUserLimits(t, tc.model)
			key := g.newUser(t, strings.ReplaceAll(tc.name, " ", "-"), tc.user)
			as := burst(20, key, body, g.routers...)
			statuses, limits := tally(t, as)
			if statuses[http.StatusOK] != tc.want || statuses[http.StatusTooManyRequests] != 20-tc.want ||
				limits[tc.limit] != 20-tc.want {
				t.Fatalf("statuses %v, refusals %v; want %d admitted and the rest refused by %s", statuses, limits, tc.want, tc.limit)
			}
			var remaining []int
			for _, a := range as {
				if a.status != http.StatusOK {
					if a.header.Get("Retry-After") == "" {
						t.Errorf("429 without Retry-After")
					}
					continue
				}
				if tc.header != "" {
					n, err := strconv.Atoi(a.header.Get(tc.header))
					if err != nil {
						t.Fatalf("%s: %q", tc.header, a.header.Get(tc.header))
					}
					remaining = append(remaining, n)
				}
			}
			// Each admission saw the shared count: what remained after it
			// takes every value from the limit down to none exactly once.
			if tc.header != "" {
				sort.Ints(remaining)
				unit := 1
				if tc.header == "X-Ratelimit-Remaining-Tokens" {
					unit = int(est)
				}
				var want []int
				for i := range tc.want {
					want = append(want, i*unit)
				}
				if !slices.Equal(remaining, want) {
					t.Errorf("remaining after each admission %v, want %v", remaining, want)
				}
			}
		})
	}
	g.setPerUserLimits(t, nil)
}

// setPerUserLimits sets gpt-4o-mini's per-user limits through the admin API.
func (g *gateway) setPerUserLimits(t *testing.T, l *adminv1.Limits) {
	t.Helper()
	_, err := g.models().UpdateModel(context.Background(), connect.NewRequest(&adminv1.UpdateModelRequest{
		Model:      &adminv1.Model{Name: "gpt-4o-mini", PerUserLimits: l},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"per_user_limits"}},
	}))
	if err != nil {
		t.Fatalf("update per-user limits: %v", err)
	}
}

// gauge reads an unlabelled gauge from a router's /metrics.
func gauge(t *testing.T, r *router, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(scrape(t, r.URL))
	if m == nil {
		return ""
	}
	return m[1]
}

// §5 Resilience: with Redis killed the routers keep serving, each within
// its share of the limits; once Redis is back the fleet-wide limit holds
// again.
func TestRedisOutageFallsBackAndResumes(t *testing.T) {
	const body = `{"model":"gpt-4o-mini","max_tokens":20,"messages":[{"role":"user","content":"still here"}]}`
	redis := proctest.StartRedis(t)
	g := startGateway(t, gatewayOptions{routers: 2})
	g.useRedis(redis.URL(), nil)
	key := g.newUser(t, "outage", &adminv1.Limits{Rpm: proto.Int64(10)})
	free := g.newUser(t, "unlimited", nil)
	r1, r2 := g.routers[0], g.routers[1]

	statuses, _ := tally(t, burst(16, key, body, r1, r2))
	if statuses[http.StatusOK] != 10 {
		t.Fatalf("with Redis: statuses %v, want 10 admitted at 10 rpm", statuses)
	}

	redis.Kill()
	// Every router decides alone, within its share: 10 rpm over 2 routers.
	for _, r := range []*router{r1, r2} {
		statuses, limits := tally(t, burst(12, key, body, r))
		if statuses[http.StatusOK] != 5 || limits["user_rpm"] != 7 {
			t.Fatalf("%s without Redis: statuses %v, refusals %v; want 5 admitted", r.id, statuses, limits)
		}
		if code, _, b := send(r, free, http.MethodPost, "/v1/chat/completions", body); code != http.StatusOK {
			t.Fatalf("%s without Redis, unlimited user: %d %s", r.id, code, b)
		}
		if v := gauge(t, r, "burncloud_limits_degraded"); v != "1" {
			t.Fatalf("%s: burncloud_limits_degraded %q without Redis", r.id, v)
		}
	}

	redis.Start() // empty: the shared counts start over
	for _, r := range []*router{r1, r2} {
		eventually(t, 10*time.Second, r.id+" back on Redis", func() (bool, string) {
			v := gauge(t, r, "burncloud_limits_degraded")
			return v == "0", "degraded " + v
		})
	}
	// Shared again: one router admits the fleet-wide 10, not its share of 5.
	statuses, _ = tally(t, burst(16, key, body, r1))
	if statuses[http.StatusOK] != 10 {
		t.Fatalf("after Redis returned: statuses %v, want 10 admitted on one router", statuses)
	}
}

// §5 Quota: a router killed while holding a reservation frees it by TTL,
// and the other router admits again; a client that disconnects frees its
// reservation at once.
func TestReservationsFreedAcrossRouters(t *testing.T) {
	const body = `{"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"hold on"}]}`
	const ttl = 2 * time.Second
	redis := proctest.StartRedis(t)
	quota := reservation(t, body, 100) // room for one request in flight
	g := startGateway(t, gatewayOptions{routers: 2, quota: pricing.FormatUSD(quota), primary: "hang"})
	g.useRedis(redis.URL(), map[string]string{"BURNCLOUD_LIMITS_RESERVATION_TTL": ttl.String()})
	r1, r2 := g.routers[0], g.routers[1]

	// hold starts a request on r that the upstream never answers and
	// waits until it reached the upstream, so its reservation is held.
	hold := func(r *router) context.CancelFunc {
		t.Helper()
		before := g.fake.Received()
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			// A probe of the previous step may still hold the balance for a
			// moment: a 402 is retried until the request is admitted.
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+userKey)
				resp, err := limitsClient.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusPaymentRequired {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		eventually(t, 5*time.Second, "the held request upstream", func() (bool, string) {
			return g.fake.Received() > before, "not yet"
		})
		if g.available(t, r2, body) {
			t.Fatal("the other router admits while the balance is reserved")
		}
		return cancel
	}

	t.Run("client disconnect", func(t *testing.T) {
		cancel := hold(r1)
		cancel()
		eventually(t, 2*time.Second, "reservation released on disconnect", func() (bool, string) {
			return g.available(t, r2, body), "still reserved"
		})
	})
	t.Run("router killed", func(t *testing.T) {
		cancel := hold(r1)
		defer cancel()
		killed := time.Now()
		r1.p.Kill()
		eventually(t, ttl+5*time.Second, "reservation expired", func() (bool, string) {
			return g.available(t, r2, body), "still reserved"
		})
		if waited := time.Since(killed); waited < ttl/2 {
			t.Fatalf("freed after %s, before the TTL could pass", waited)
		}
		t.Logf("freed %s after the router died (TTL %s)", time.Since(killed).Round(10*time.Millisecond), ttl)
	})
}

// available reports whether r would admit body now: the quota refusal is
// gone. It holds the admission only for the moment the upstream needs to
// hang; the request is cancelled at once.
func (g *gateway) available(t *testing.T, r *router, body string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/v1/chat/completions", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+userKey)
	resp, err := limitsClient.Do(req)
	if err != nil {
		// Admitted: the upstream hangs until the client gives up.
		return true
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusPaymentRequired
}
