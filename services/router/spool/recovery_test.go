package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestReopenSkipsAcked(t *testing.T) {
	tests := []struct {
		name string
		ack  func(i int) bool
	}{
		{"none", func(int) bool { return false }},
		{"all", func(int) bool { return true }},
		{"odd", func(i int) bool { return i%2 == 1 }},
		{"first half", func(i int) bool { return i < 150 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Dir: dir, MaxSegmentBytes: 2048, MaxRecordBytes: 256, MaxBytes: 1 << 20}
			s, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			ids := appendN(t, s, 0, 300)
			flush(t, s)
			var acked []uint64
			want := map[uint64]bool{}
			for i, id := range ids {
				if tt.ack(i) {
					acked = append(acked, id)
				} else {
					want[id] = true
				}
			}
			if err := s.Ack(acked...); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := openSpool(t, opts)
			if st := s2.Stats(); st.Records != int64(len(want)) {
				t.Fatalf("reopened with %d records, want %d", st.Records, len(want))
			}
			got := readAll(t, s2.NewReader())
			if len(got) != len(want) {
				t.Fatalf("read %d, want %d", len(got), len(want))
			}
			for _, r := range got {
				if !want[r.ID] || string(r.Data) != string(payload(int(r.ID))) {
					t.Fatalf("unexpected record %d %q", r.ID, r.Data)
				}
			}
			// New ids never collide with recovered ones.
			id, err := s2.Append([]byte("next"))
			if err != nil {
				t.Fatal(err)
			}
			if len(want) > 0 && id <= ids[len(ids)-1] {
				t.Fatalf("new id %d reuses a recovered id (last %d)", id, ids[len(ids)-1])
			}
		})
	}
}

func TestTornTailTruncated(t *testing.T) {
	valid := appendFrame(nil, []byte("would have been record 5"))
	tests := []struct {
		name string
		tail []byte
	}{
		{"partial header", valid[:5]},
		{"partial payload", valid[:len(valid)-3]},
		{"bad checksum", func() []byte { b := append([]byte(nil), valid...); b[len(b)-1] ^= 0xff; return b }()},
		{"zeros", make([]byte, 64)},
		{"huge length", []byte{0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Dir: dir}
			s, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, s, 0, 5)
			flush(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			files := segFiles(t, dir)
			if len(files) != 1 {
				t.Fatalf("segments %v", files)
			}
			before := fileSize(t, files[0])
			f, err := os.OpenFile(files[0], os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(tt.tail); err != nil {
				t.Fatal(err)
			}
			_ = f.Close()

			reg := prometheus.NewRegistry()
			opts.Metrics = NewMetrics(reg)
			s2 := openSpool(t, opts)
			if after := fileSize(t, files[0]); after != before {
				t.Fatalf("segment is %d bytes after recovery, want the %d intact ones", after, before)
			}
			if got := testutil.ToFloat64(opts.Metrics.truncated); got != float64(len(tt.tail)) {
				t.Fatalf("truncated bytes metric %v, want %d", got, len(tt.tail))
			}
			recs := readAll(t, s2.NewReader())
			if len(recs) != 5 {
				t.Fatalf("recovered %d records, want 5", len(recs))
			}
			ids := appendN(t, s2, 5, 2)
			flush(t, s2)
			if ids[0] != 5 {
				t.Fatalf("next id %d, want 5", ids[0])
			}
			if all := readAll(t, s2.NewReader()); len(all) != 7 || string(all[6].Data) != string(payload(6)) {
				t.Fatalf("after recovery and appends read %d records", len(all))
			}
		})
	}
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestTornHeaderRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, segmentFileName(0))
	if err := os.WriteFile(path, []byte(segmentMagic[:5]), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openSpool(t, Options{Dir: dir})
	if st := s.Stats(); st.Records != 0 || st.Segments != 0 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("torn segment still there: %v", err)
	}
}

func TestForeignSegmentSetAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, segmentFileName(7))
	if err := os.WriteFile(path, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openSpool(t, Options{Dir: dir})
	if st := s.Stats(); st.Segments != 0 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := os.Stat(path + badExt); err != nil {
		t.Fatalf("unreadable segment not set aside: %v", err)
	}
}

func TestCorruptMiddleSegment(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, MaxSegmentBytes: 512, MaxRecordBytes: 64, MaxBytes: 1 << 18}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 60)
	flush(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files := segFiles(t, dir)
	if len(files) < 3 {
		t.Fatalf("want several segments, got %d", len(files))
	}
	// Flip a payload byte of the second record of the first segment.
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	_, n, err := decodeFrame(data[segmentHeaderSize:], 64)
	if err != nil {
		t.Fatal(err)
	}
	data[segmentHeaderSize+n+frameHeaderSize] ^= 1
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := openSpool(t, opts)
	recs := readAll(t, s2.NewReader())
	perSeg := (512 - segmentHeaderSize) / (frameHeaderSize + len(payload(0)))
	if want := 60 - perSeg + 1; len(recs) != want {
		t.Fatalf("recovered %d records, want %d (all but the damaged tail of the first segment)", len(recs), want)
	}
	if recs[0].ID != 0 || recs[1].ID != uint64(perSeg) {
		t.Fatalf("recovered ids start %d, %d; want 0, %d", recs[0].ID, recs[1].ID, perSeg)
	}
}

func TestTornAckEntryIgnored(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ids := appendN(t, s, 0, 10)
	flush(t, s)
	if err := s.Ack(ids[0], ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ackPath := filepath.Join(dir, fmt.Sprintf("%016x%s", 0, ackExt))
	f, err := os.OpenFile(ackPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A damaged entry claiming record 5 and a torn one.
	bad := encodeAckEntry(nil, 5)
	bad[7] ^= 0xff
	if _, err := f.Write(append(bad, 3, 0, 0)); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	s2 := openSpool(t, opts)
	if st := s2.Stats(); st.Records != 8 {
		t.Fatalf("records %d, want 8 (damaged acks ignored)", st.Records)
	}
	if got := fileSize(t, ackPath); got != 3*ackEntrySize {
		t.Fatalf("ack file %d bytes, want the torn entry cut to %d", got, 3*ackEntrySize)
	}
	if err := s2.Ack(ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s3 := openSpool(t, opts)
	if st := s3.Stats(); st.Records != 7 {
		t.Fatalf("records %d, want 7 (ack after the cut is aligned)", st.Records)
	}
}
