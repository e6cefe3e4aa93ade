package limits

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"
)

// benchRequest limits every scope and both quotas, far from refusing.
func benchRequest(user string) Request {
	big := Limits{RPM: 1 << 40, TPM: 1 << 50, MaxConcurrency: 1 << 20}
	return Request{TokenID: 42, User: user, Model: "gpt-4o-mini", EstTokens: 2_000, Reserve: 30_000, Revision: 7,
		TokenLimits: big, UserLimits: big, ModelLimits: big,
		TokenQuota: Quota{Limited: true, Limit: 1 << 52, Used: 1_000},
		UserQuota:  Quota{Limited: true, Limit: 1 << 52, Used: 5_000}}
}

// BenchmarkAdmitFinish is the limiter's whole cost on a request decided
// request by request: one Admit and one Finish round trip to the
// machine's Redis. It reports the latency percentiles of the pair.
func BenchmarkAdmitFinish(b *testing.B) {
	benchAdmitFinish(b, noGrants)
}

// BenchmarkAdmitFinishGrants is the same with grants, as routers run: most
// admissions draw from a grant, and reports go to Redis in the background.
func BenchmarkAdmitFinishGrants(b *testing.B) {
	benchAdmitFinish(b, DefaultGrantMax)
}

func benchAdmitFinish(b *testing.B, grantMax int) {
	c := machineRedis(b)
	l := newTestLimiter(b, Config{KeyPrefix: testPrefix(b, c), CallTimeout: time.Second, GrantMax: grantMax}, c, true)
	ctx := context.Background()
	reqs := make([]Request, 64)
	for i := range reqs {
		reqs[i] = benchRequest("bench-" + strconv.Itoa(i))
	}
	var lat, admit []time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		a, err := l.Admit(ctx, reqs[i%len(reqs)])
		if err != nil {
			b.Fatal(err)
		}
		admitted := time.Now()
		a.Finish(ctx, 12_345, 1_500)
		lat = append(lat, time.Since(start))
		admit = append(admit, admitted.Sub(start))
	}
	reportPercentiles(b, "", lat)
	// Admit is what a request waits for; Finish runs after the answer.
	reportPercentiles(b, "admit-", admit)
	if l.Degraded() {
		b.Fatal("degraded during the benchmark")
	}
}

// BenchmarkRedisTwoPings is the baseline of BenchmarkAdmitFinish: two bare
// round trips to the same Redis with the same client options.
func BenchmarkRedisTwoPings(b *testing.B) {
	c := machineRedis(b)
	ctx := context.Background()
	var lat []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		for range 2 {
			if err := c.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, "", lat)
}

// BenchmarkAdmitFinishParallel drives the same pair from many goroutines,
// as a busy router does.
func BenchmarkAdmitFinishParallel(b *testing.B) {
	c := machineRedis(b)
	l := newTestLimiter(b, Config{KeyPrefix: testPrefix(b, c), CallTimeout: time.Second}, c, false)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := benchRequest("bench-" + l.nextID())
		for pb.Next() {
			a, err := l.Admit(ctx, req)
			if err != nil {
				b.Error(err)
				return
			}
			a.Finish(ctx, 12_345, 1_500)
		}
	})
}

func BenchmarkAdmitChannel(b *testing.B) {
	l := newTestLimiter(b, Config{FleetSize: 4}, nil, false)
	lim := Limits{RPM: 1 << 40, TPM: 1 << 50, MaxConcurrency: 1 << 20}
	b.ReportAllocs()
	for b.Loop() {
		s, ok := l.AdmitChannel("openai-main", lim, 2_000)
		if !ok {
			b.Fatal("refused")
		}
		s.Done(1_500)
	}
}

func BenchmarkAdmitLocalOnly(b *testing.B) {
	l := newTestLimiter(b, Config{}, nil, false)
	ctx := context.Background()
	req := benchRequest("local")
	b.ReportAllocs()
	for b.Loop() {
		a, err := l.Admit(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		a.Finish(ctx, 12_345, 1_500)
	}
}

func reportPercentiles(b *testing.B, name string, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1))].Microseconds())
	}
	b.ReportMetric(at(0.50), name+"p50-µs")
	b.ReportMetric(at(0.99), name+"p99-µs")
}
