package spool

import (
	"testing"
	"time"
)

// TestSteadyLoadKeepsSegment: records acknowledged right after each group
// commit, as under steady load with JetStream up, go on into the same
// segment instead of a new file per commit; once the traffic stops the
// fully acknowledged segment still goes away.
func TestSteadyLoadKeepsSegment(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxSegment int64
		maxBytes   int64
		rounds     int
		maxCreated uint64 // segment files created at most
	}{
		// 200 commits of ~30 bytes stay far below 1/16 of 16 MiB.
		{"small records, default segments", 0, 0, 200, 2},
		// 1/16 of 16 KiB is 1 KiB: a roll every ~35 commits.
		{"rolls by size", 16 << 10, 1 << 20, 200, 200/35 + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSpool(t, Options{MaxSegmentBytes: tc.maxSegment, MaxBytes: tc.maxBytes, MaxRecordBytes: 512})
			r := s.NewReader()
			start := time.Now()
			for i := range tc.rounds {
				ids := appendN(t, s, i, 1)
				flush(t, s)
				if got := readAll(t, r); len(got) != 1 || got[0].ID != ids[0] {
					t.Fatalf("round %d: read %v, want id %d", i, got, ids[0])
				}
				if err := s.Ack(ids...); err != nil {
					t.Fatal(err)
				}
			}
			st := s.Stats()
			// Every commit fsyncs once; every segment file created once more.
			created := st.Fsyncs - st.Commits
			if st.Commits != uint64(tc.rounds) {
				t.Fatalf("%d commits, want %d", st.Commits, tc.rounds)
			}
			// A slow disk may let a segment reach rollMaxAge meanwhile.
			allowed := tc.maxCreated + uint64(time.Since(start)/rollMaxAge)
			if created > allowed {
				t.Errorf("%d segment files created for %d acknowledged commits, want at most %d", created, tc.rounds, allowed)
			}
			if st.Records != 0 || !st.Oldest.IsZero() {
				t.Errorf("stats %+v: want no record and no oldest record while the acknowledged segment waits", st)
			}
			waitFor(t, func() bool { return len(segFiles(t, s.opts.Dir)) == 0 }, "the acknowledged segment deleted once idle")
			if st := s.Stats(); st.DiskBytes != 0 || st.Segments != 0 {
				t.Errorf("stats after the roll %+v", st)
			}
		})
	}
}

// TestUnackedSegmentStays: a segment with a record not acknowledged is
// neither rolled nor deleted, however old, and is the oldest record.
func TestUnackedSegmentStays(t *testing.T) {
	s := openSpool(t, Options{})
	ids := appendN(t, s, 0, 3)
	flush(t, s)
	if err := s.Ack(ids[0], ids[2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(rollMaxAge + 200*time.Millisecond)
	st := s.Stats()
	if st.Records != 1 || st.Segments != 1 || st.Oldest.IsZero() || len(segFiles(t, s.opts.Dir)) != 1 {
		t.Fatalf("stats %+v: want the segment kept with one record", st)
	}
	if err := s.Ack(ids[1]); err != nil {
		t.Fatal(err)
	}
	// Older than rollMaxAge already: it goes at once.
	waitFor(t, func() bool { return len(segFiles(t, s.opts.Dir)) == 0 }, "segment deleted after the last ack")
}
