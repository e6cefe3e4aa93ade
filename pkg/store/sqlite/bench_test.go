package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// BenchmarkSettle settles batches of new events of one token, as billing
// does; events/s is the figure to compare.
func BenchmarkSettle(b *testing.B) {
	for _, size := range []int{1, 10, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			ctx := ctxT(b)
			s := openAt(b, filepath.Join(b.TempDir(), "bench.db"))
			defer s.Close()
			_, err := s.CreateUser(ctx, &adminv1.User{Name: "alice"})
			must(b, err)
			tk, err := s.CreateToken(ctx, store.Token{Token: &adminv1.Token{User: "alice", Name: "t"}, Digest: []byte("d")})
			must(b, err)
			batch := make([]*usagev1.UsageEvent, size)
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for b.Loop() {
				for i := range batch {
					batch[i] = ev(fmt.Sprintf("ev-%012d", n), "alice", tk.ID, 1000)
					n++
				}
				res, err := s.Settle(ctx, batch)
				if err != nil || res.Inserted != size {
					b.Fatalf("settle: %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
