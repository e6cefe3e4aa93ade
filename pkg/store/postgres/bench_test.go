package postgres

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// BenchmarkSettle settles batches of fresh events spread over 50 users,
// 200 tokens, 3 models and 2 channels; workers stand for billing replicas.
// One op is one batch; events/s is the figure to watch.
func BenchmarkSettle(b *testing.B) {
	for _, bc := range []struct{ batch, workers int }{{100, 1}, {1000, 1}, {1000, 2}, {1000, 4}} {
		b.Run(fmt.Sprintf("batch=%d/workers=%d", bc.batch, bc.workers), func(b *testing.B) {
			s := openOn(b, migratedDSN(b), Options{Logger: zap.NewNop()})
			ctx := testCtx(b)
			batchOf := benchEvents(b, s, bc.batch)
			b.ReportAllocs()
			b.ResetTimer()
			begin := time.Now()
			var (
				next atomic.Int64
				wg   sync.WaitGroup
				fail atomic.Value
			)
			for range bc.workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						evs := batchOf()
						res, err := s.Settle(ctx, evs)
						if err != nil || res.Inserted != len(evs) {
							fail.Store(fmt.Errorf("settle: %+v, %v", res, err))
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(begin)
			b.StopTimer()
			if err, ok := fail.Load().(error); ok {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N*bc.batch)/elapsed.Seconds(), "events/s")
		})
	}
}

// benchEvents creates 50 users with 4 tokens each and returns a generator
// of batches of fresh events spread over them, 3 models and 2 channels.
func benchEvents(tb testing.TB, s *Store, batch int) func() []*usagev1.UsageEvent {
	ctx := testCtx(tb)
	var tokens []store.Token
	for u := range 50 {
		name := fmt.Sprintf("user-%02d", u)
		if _, err := s.CreateUser(ctx, &adminv1.User{Name: name}); err != nil {
			tb.Fatal(err)
		}
		for k := range 4 {
			tk, err := s.CreateToken(ctx, store.Token{
				Token:  &adminv1.Token{User: name, Name: fmt.Sprintf("t%d", k)},
				Digest: []byte(fmt.Sprintf("%s/%d", name, k)),
			})
			if err != nil {
				tb.Fatal(err)
			}
			tokens = append(tokens, tk)
		}
	}
	var seq atomic.Int64
	start := time.Now().UTC()
	return func() []*usagev1.UsageEvent {
		evs := make([]*usagev1.UsageEvent, batch)
		for i := range evs {
			n := seq.Add(1)
			tk := tokens[int(n*7919)%len(tokens)]
			evs[i] = &usagev1.UsageEvent{
				// UUIDv7-like: time-ordered.
				Id:   fmt.Sprintf("019a0000-0000-7000-8000-%012d", n),
				Time: timestamppb.New(start.Add(time.Duration(n) * time.Millisecond)),
				User: tk.Token.User, Token: tk.Token.Name, TokenId: tk.ID, RouterId: "router-1",
				Channel: []string{"c1", "c2"}[n%2], KeyId: "k1", RequestedModel: []string{"gpt-4o", "gpt-4o-mini", "claude"}[n%3],
				UpstreamModel: "upstream", Operation: "chat.completions", HttpStatus: 200,
				Usage:       &usagev1.Usage{InputUncached: 1200, InputCacheRead: 300, Output: 450, Reasoning: 100},
				CostNanoUsd: 1_234_567, UpstreamCostNanoUsd: 987_654, PricingRevision: 9,
				Latency: durationpb.New(800 * time.Millisecond), TimeToFirstToken: durationpb.New(120 * time.Millisecond),
				ClientIp: "203.0.113.9", Attempts: 1, Group: "default",
			}
		}
		return evs
	}
}
