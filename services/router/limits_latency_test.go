package router

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/services/router/limits"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

// BenchmarkLimiterAddedLatency measures what the shared limiter adds to a
// request: each iteration sends one chat completion through the handler
// for a key whose token and user have RPM, TPM, concurrency and a quota
// (one script call to the machine's Redis to admit, one to settle) and one
// for a key with none (no Redis at all), with an in-memory upstream. Run it with
// -benchtime=2000x for 2000 sequential requests of each.
func BenchmarkLimiterAddedLatency(b *testing.B) {
	o, err := limits.RedisOptions("redis://127.0.0.1:6379/0")
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(o)
	b.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		b.Fatalf("redis: %v", err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	prefix := "bcbench:" + hex.EncodeToString(rnd[:]) + ":"
	b.Cleanup(func() {
		ctx := context.Background()
		for it := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator(); it.Next(ctx); {
			rdb.Del(ctx, it.Val())
		}
	})
	lim, err := limits.New(limits.Config{KeyPrefix: prefix, CallTimeout: time.Second},
		limits.Deps{Redis: rdb, Logger: zap.NewNop(), Registry: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}

	kr, err := secrets.New([]byte(testMaster))
	if err != nil {
		b.Fatal(err)
	}
	e := &env{kr: kr, root: "https://api.openai.example"}
	big := &adminv1.Limits{Rpm: ptrTo(int64(1 << 40)), Tpm: ptrTo(int64(1 << 50)), MaxConcurrency: ptrTo(int64(1 << 20))}
	ents := append(e.fixture(),
		userE("alice", "default", func(u *snapshotv1.User) { u.Limits, u.QuotaNanoUsd = big, ptrTo(int64(1<<50)) }),
		tokenE(1, "laptop", "alice", e.digest(keyAlice), func(t *snapshotv1.Token) { t.Limits, t.QuotaNanoUsd = big, ptrTo(int64(1<<50)) }),
	)
	x, problems := snapshot.Build(1, ents)
	if len(problems) != 0 {
		b.Fatal(problems)
	}
	store := snapshot.NewStore()
	store.Publish(x)
	s, err := New(testConfig(b, nil), Deps{Logger: zap.NewNop(), Sink: &countingSink{}, Store: store, Keyring: kr,
		Transport: &cannedTransport{contentType: "application/json", body: []byte(cannedWhole)},
		Registry:  prometheus.NewRegistry(), Health: new(ops.Health), Limiter: lim})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()

	serve := func(key string) (time.Duration, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, "http://router/v1/chat/completions", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "192.0.2.1:5555"
		rb := &byteBody{}
		rb.Reset([]byte(miniBody))
		req.Body, req.ContentLength = io.NopCloser(rb), int64(len(miniBody))
		w := &sinkWriter{h: make(http.Header, 16)}
		start := time.Now()
		h.ServeHTTP(w, req)
		took := time.Since(start)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
		return took, w.h
	}
	// Warm both paths (connections, script cache).
	for range 50 {
		serve(keyAlice)
		serve(keyBob)
	}
	if _, hdr := serve(keyAlice); hdr.Get(hdrLimitRequests) == "" || lim.Degraded() {
		b.Fatalf("the limited key is not limited through Redis: %v", hdr)
	}
	var on, off []time.Duration
	for b.Loop() {
		d, _ := serve(keyAlice)
		on = append(on, d)
		d, _ = serve(keyBob)
		off = append(off, d)
	}
	if lim.Degraded() {
		b.Fatal("the limiter degraded during the run")
	}
	pOn50, pOn99 := percentiles(on)
	pOff50, pOff99 := percentiles(off)
	b.ReportMetric(float64(pOn50.Microseconds()), "on-p50-µs")
	b.ReportMetric(float64(pOn99.Microseconds()), "on-p99-µs")
	b.ReportMetric(float64(pOff50.Microseconds()), "off-p50-µs")
	b.ReportMetric(float64(pOff99.Microseconds()), "off-p99-µs")
	b.ReportMetric(float64((pOn50 - pOff50).Microseconds()), "added-p50-µs")
	b.ReportMetric(float64((pOn99 - pOff99).Microseconds()), "added-p99-µs")
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)/2], s[(len(s)-1)*99/100]
}

func ptrTo[T any](v T) *T { return &v }
