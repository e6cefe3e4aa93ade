package spool

import (
	"context"
	"testing"
	"time"
)

// eventSize is about a marshalled usage event.
const eventSize = 400

// BenchmarkAppend is the request path: copy into memory, no waiting.
// Every 4096 appends the timer stops while the writer catches up and the
// records are acknowledged, so the spool neither fills nor drops.
func BenchmarkAppend(b *testing.B) {
	s := openSpool(b, Options{})
	r := s.NewReader()
	body := make([]byte, eventSize)
	var recs []Record
	ids := make([]uint64, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(eventSize)
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Append(body); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 4095 {
			b.StopTimer()
			if err := s.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			recs, _ = r.Read(recs[:0], 1<<20)
			ids = ids[:0]
			for _, rec := range recs {
				ids = append(ids, rec.ID)
			}
			if err := s.Ack(ids...); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}

// BenchmarkDurableAppend measures throughput when every caller waits for
// its record to be fsynced: group commit is what makes this scale.
func BenchmarkDurableAppend(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(map[int]string{1: "writers=1", 64: "writers=64"}[writers], func(b *testing.B) {
			s := openSpool(b, Options{})
			body := make([]byte, eventSize)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(writers)
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id, err := s.Append(body)
					if err == nil {
						err = s.Sync(ctx, id)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			st := s.Stats()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
			b.ReportMetric(float64(b.N)/float64(max(st.Commits, 1)), "records/fsync")
		})
	}
}
