package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func openSpool(t testing.TB, opts Options) *Spool {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func payload(i int) []byte { return fmt.Appendf(nil, "record-%06d", i) }

func appendN(t testing.TB, s *Spool, from, n int) []uint64 {
	t.Helper()
	ids := make([]uint64, 0, n)
	for i := from; i < from+n; i++ {
		id, err := s.Append(payload(i))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	return ids
}

func flush(t testing.TB, s *Spool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func readAll(t testing.TB, r *Reader) []Record {
	t.Helper()
	var all []Record
	for {
		n := len(all)
		var err error
		if all, err = r.Read(all, 1000); err != nil {
			t.Fatalf("Read: %v", err)
		}
		if len(all) == n {
			return all
		}
	}
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAppendReadAck(t *testing.T) {
	s := openSpool(t, Options{MaxSegmentBytes: 4096, MaxRecordBytes: 512, MaxBytes: 1 << 20})
	ids := appendN(t, s, 0, 500)
	flush(t, s)
	for i, id := range ids {
		if id != uint64(i) {
			t.Fatalf("id %d = %d, want dense ids", i, id)
		}
	}
	recs := readAll(t, s.NewReader())
	if len(recs) != len(ids) {
		t.Fatalf("read %d records, want %d", len(recs), len(ids))
	}
	for i, r := range recs {
		if r.ID != ids[i] || string(r.Data) != string(payload(i)) {
			t.Fatalf("record %d = {%d %q}, want {%d %q}", i, r.ID, r.Data, ids[i], payload(i))
		}
	}
	if st := s.Stats(); st.Records != 500 || st.Segments < 2 {
		t.Fatalf("stats %+v: want 500 records in several segments", st)
	}
	if err := s.Ack(ids...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(segFiles(t, s.opts.Dir)) == 0 }, "every segment deleted after acks")
	if st := s.Stats(); st.Records != 0 || st.DiskBytes != 0 {
		t.Fatalf("stats after acks %+v", st)
	}
	// The spool keeps working after its active segment was rolled away.
	more := appendN(t, s, 500, 3)
	flush(t, s)
	if got := readAll(t, s.NewReader()); len(got) != 3 || got[0].ID != more[0] {
		t.Fatalf("after roll: read %v, want ids %v", got, more)
	}
}

func waitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRewindSkipsAcked(t *testing.T) {
	s := openSpool(t, Options{MaxSegmentBytes: 1024, MaxRecordBytes: 128, MaxBytes: 1 << 20})
	ids := appendN(t, s, 0, 100)
	flush(t, s)
	r := s.NewReader()
	first := readAll(t, r)
	if len(first) != 100 {
		t.Fatalf("read %d", len(first))
	}
	if err := s.Ack(ids[:60]...); err != nil {
		t.Fatal(err)
	}
	if again := readAll(t, r); len(again) != 0 {
		t.Fatalf("cursor at the end returned %d records", len(again))
	}
	r.Rewind()
	again := readAll(t, r)
	if len(again) != 40 || again[0].ID != ids[60] {
		t.Fatalf("after rewind read %d records starting at %v, want 40 from %d", len(again), again, ids[60])
	}
}

func TestReadLimit(t *testing.T) {
	s := openSpool(t, Options{})
	appendN(t, s, 0, 10)
	flush(t, s)
	r := s.NewReader()
	var got []uint64
	for range 5 {
		recs, err := r.Read(nil, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 3 {
			t.Fatalf("Read returned %d records, limit 3", len(recs))
		}
		for _, rec := range recs {
			got = append(got, rec.ID)
		}
	}
	if len(got) != 10 {
		t.Fatalf("read ids %v, want 0..9", got)
	}
	for i, id := range got {
		if id != uint64(i) {
			t.Fatalf("read ids %v, want 0..9 in order", got)
		}
	}
}

func TestSpoolFull(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	rec := 100
	frame := frameHeaderSize + rec
	perSeg := 10
	opts := Options{
		MaxRecordBytes:  rec,
		MaxSegmentBytes: int64(segmentHeaderSize + perSeg*frame),
		MaxBytes:        int64(2 * (segmentHeaderSize + perSeg*frame)),
		MaxMemoryBytes:  int64(5 * frame),
		Metrics:         m,
	}
	s := openSpool(t, opts)
	body := make([]byte, rec)
	var accepted []uint64
	appendOne := func() error {
		id, err := s.Append(body)
		if err == nil {
			accepted = append(accepted, id)
		}
		return err
	}
	// Two segments fill the disk budget.
	// (Flushed one by one: the memory bound covers every unwritten record.)
	for range 2 * perSeg {
		if err := appendOne(); err != nil {
			t.Fatal(err)
		}
		flush(t, s)
	}
	// The next ones wait in memory, up to the bound.
	start := time.Now()
	for range 5 {
		if err := appendOne(); err != nil {
			t.Fatalf("append into memory: %v", err)
		}
	}
	waitFor(t, func() bool { return s.Stats().Full }, "spool reports full")
	if err := appendOne(); !errors.Is(err, ErrFull) {
		t.Fatalf("append beyond memory bound: %v, want ErrFull", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("appends on a full spool took %s", d)
	}
	st := s.Stats()
	if st.MemoryRecords != 5 || st.Records != 25 || st.Dropped != 1 {
		t.Fatalf("stats when full %+v", st)
	}
	if testutil.ToFloat64(m.full) != 1 || testutil.ToFloat64(m.dropped.WithLabelValues(dropFull)) != 1 {
		t.Fatal("full gauge or dropped counter not set")
	}
	// Acknowledging the first segment frees room for what is in memory.
	r := s.NewReader()
	first, err := r.Read(nil, perSeg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(ids(first)...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { st := s.Stats(); return !st.Full && st.MemoryRecords == 0 }, "memory written after room freed")
	rest := readAll(t, r)
	if got := len(first) + len(rest); got != len(accepted) {
		t.Fatalf("read %d records, accepted %d", got, len(accepted))
	}
	for i, rec := range append(first, rest...) {
		if rec.ID != accepted[i] {
			t.Fatalf("record %d has id %d, want %d", i, rec.ID, accepted[i])
		}
	}
	if testutil.ToFloat64(m.full) != 0 {
		t.Fatal("full gauge still set")
	}
}

func ids(recs []Record) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func TestGroupCommit(t *testing.T) {
	s := openSpool(t, Options{})
	const writers, each = 64, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id, err := s.Append(payload(w*each + i))
				if err == nil {
					err = s.Sync(context.Background(), id)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.Stats()
	n := uint64(writers * each)
	t.Logf("%d durable appends took %d group commits (%.1f records per fsync)", n, st.Commits, float64(n)/float64(st.Commits))
	if st.Records != int64(n) {
		t.Fatalf("records %d, want %d", st.Records, n)
	}
	if st.Commits == 0 || st.Commits > n/8 {
		t.Fatalf("%d commits for %d concurrent durable appends; group commit should batch them", st.Commits, n)
	}
}

// TestCommitDelay: records appended within the delay share one commit, and
// none is durable before the delay has passed.
func TestCommitDelay(t *testing.T) {
	const delay = 200 * time.Millisecond
	s := openSpool(t, Options{CommitDelay: delay})
	// The writer's first pass, as it starts, takes what is there at once.
	appendN(t, s, 0, 1)
	flush(t, s)
	// That pass may still be under way (it would take the next appends at
	// once), and the append's wake-up may still be pending (its delay would
	// start before the next appends): let both end.
	time.Sleep(delay + 50*time.Millisecond)
	before := s.Stats().Commits
	start := time.Now()
	ids := appendN(t, s, 1, 20)
	early, cancel := context.WithTimeout(context.Background(), delay/4)
	err := s.Sync(early, ids[0])
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) && time.Since(start) < delay {
		t.Fatalf("record durable %v after its append, before the commit delay: %v", time.Since(start), err)
	}
	flush(t, s)
	if took := time.Since(start); took < delay {
		t.Fatalf("flushed after %v, before the commit delay of %v", took, delay)
	}
	if n := s.Stats().Commits - before; n != 1 {
		t.Fatalf("%d commits for 20 appends within the commit delay, want 1", n)
	}
	if got := len(readAll(t, s.NewReader())); got != 21 {
		t.Fatalf("read %d records, want 21", got)
	}
}

// TestCommitDelayClose: Close writes what waits without sitting out the delay.
func TestCommitDelayClose(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, CommitDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 10)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("Close took %v: it waited for the commit delay", took)
	}
	s2 := openSpool(t, Options{Dir: dir})
	if got := len(readAll(t, s2.NewReader())); got != 10 {
		t.Fatalf("after Close and reopen read %d, want 10", got)
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, Options{Dir: dir, MaxRecordBytes: 16})
	if _, err := s.Append(make([]byte, 17)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized append: %v", err)
	}
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open of the directory: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after Close: %v", err)
	}
	if err := s.Ack(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("ack after Close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if got := s.Stats().Dropped; got != 2 {
		t.Fatalf("dropped %d, want 2", got)
	}
}

func TestCloseFlushes(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 1000) // no Flush: Close must write them
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openSpool(t, Options{Dir: dir})
	if got := len(readAll(t, s2.NewReader())); got != 1000 {
		t.Fatalf("after Close and reopen read %d, want 1000", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		errs int
	}{
		{"defaults", Options{Dir: "x"}, 0},
		{"no dir", Options{}, 1},
		{"segment below record", Options{Dir: "x", MaxRecordBytes: 1000, MaxSegmentBytes: 500, MaxBytes: 5000}, 1},
		{"too many segments", Options{Dir: "x", MaxRecordBytes: 100, MaxSegmentBytes: 1000, MaxBytes: 2000 * 1000}, 1},
		{"negative commit delay", Options{Dir: "x", CommitDelay: -time.Millisecond}, 1},
		{"commit delay too long", Options{Dir: "x", CommitDelay: 2 * time.Second}, 1},
		{"all wrong", Options{MaxRecordBytes: -1, MaxSegmentBytes: 10, MaxBytes: 5, MaxMemoryBytes: 1}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			var n int
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				n = len(j.Unwrap())
			}
			if n != tt.errs {
				t.Fatalf("Validate() = %v: %d problems, want %d", err, n, tt.errs)
			}
			if tt.errs > 0 && !errors.Is(err, ErrOptions) {
				t.Fatalf("error %v is not ErrOptions", err)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	s := openSpool(t, Options{Metrics: m})
	ids := appendN(t, s, 0, 7)
	flush(t, s)
	waitFor(t, func() bool { return testutil.ToFloat64(m.records) == 7 }, "records gauge")
	if testutil.ToFloat64(m.diskBytes) <= 0 || testutil.CollectAndCount(m.fsync) != 1 {
		t.Fatal("bytes gauge or fsync histogram empty")
	}
	time.Sleep(20 * time.Millisecond)
	age, err := testutil.GatherAndCount(reg, "burncloud_router_spool_oldest_record_age_seconds")
	if err != nil || age != 1 {
		t.Fatalf("oldest age series: %d %v", age, err)
	}
	if ns := m.oldest.Load(); ns == 0 || time.Since(time.Unix(0, ns)) < 20*time.Millisecond {
		t.Fatalf("oldest record time %d", ns)
	}
	if err := s.Ack(ids...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return testutil.ToFloat64(m.records) == 0 && m.oldest.Load() == 0 }, "gauges after acks")
}

func TestLargeRecords(t *testing.T) {
	s := openSpool(t, Options{MaxRecordBytes: 200 << 10, MaxSegmentBytes: 1 << 20, MaxBytes: 64 << 20})
	sizes := []int{10, 150 << 10, 3, readChunk - frameHeaderSize, readChunk, 200 << 10, 1}
	for i, n := range sizes {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(i + j)
		}
		if _, err := s.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, s)
	recs := readAll(t, s.NewReader())
	if len(recs) != len(sizes) {
		t.Fatalf("read %d records, want %d", len(recs), len(sizes))
	}
	for i, r := range recs {
		if len(r.Data) != sizes[i] || (sizes[i] > 0 && r.Data[sizes[i]-1] != byte(i+sizes[i]-1)) {
			t.Fatalf("record %d: %d bytes, want %d", i, len(r.Data), sizes[i])
		}
	}
}

// The newest commit is read from memory, not read back from the file: a
// byte flipped on disk after the commit does not reach the reader.
func TestNewestCommitReadFromMemory(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, Options{Dir: dir, MaxRecordBytes: 64})
	r := s.NewReader()
	appendN(t, s, 0, 1)
	flush(t, s)
	if recs, err := r.Read(nil, 10); err != nil || len(recs) != 1 {
		t.Fatalf("first read: %d records, %v", len(recs), err)
	}
	appendN(t, s, 1, 1)
	flush(t, s)
	files := segFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("%d segments, want 1", len(files))
	}
	f, err := os.OpenFile(files[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	second := int64(segmentHeaderSize + frameHeaderSize + len(payload(0)))
	if _, err := f.WriteAt([]byte{'X'}, second+frameHeaderSize); err != nil {
		t.Fatal(err)
	}
	f.Close()

	recs, err := r.Read(nil, 10)
	if err != nil || len(recs) != 1 || recs[0].ID != 1 || string(recs[0].Data) != string(payload(1)) {
		t.Fatalf("newest read = %+v, %v; want record 1 intact", recs, err)
	}
}

// fsyncs is how many fsyncs the spool has observed.
func fsyncs(t *testing.T, m *Metrics) uint64 {
	t.Helper()
	var pb dto.Metric
	if err := m.fsync.Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetHistogram().GetSampleCount()
}

// With a sync interval, the interval runs from the oldest unsynced write:
// writes spread over less than one interval share one fsync, which comes
// no later than one interval after the first of them.
func TestSyncIntervalFromOldestWrite(t *testing.T) {
	const interval = time.Second
	m := NewMetrics(prometheus.NewRegistry())
	s := openSpool(t, Options{Metrics: m, SyncInterval: interval})
	first := time.Now()
	appendN(t, s, 0, 1)
	flush(t, s)
	time.Sleep(interval / 5)
	appendN(t, s, 1, 1)
	flush(t, s)
	if n := fsyncs(t, m); n != 0 {
		t.Fatalf("%d fsyncs right after the writes, want 0: the interval has not passed", n)
	}
	waitFor(t, func() bool { return fsyncs(t, m) > 0 }, "the fsync")
	if took := time.Since(first); took > 3*interval {
		t.Errorf("fsync %s after the first write, want about %s", took, interval)
	}
	time.Sleep(interval)
	if n := fsyncs(t, m); n != 1 {
		t.Errorf("%d fsyncs for two writes within one interval, want 1", n)
	}
}
