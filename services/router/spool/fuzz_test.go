package spool

import (
	"bytes"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func FuzzDecodeFrame(f *testing.F) {
	good := appendFrame(nil, []byte("usage event"))
	f.Add(good, 64)
	f.Add(good[:5], 64)
	f.Add(good[:len(good)-1], 64)
	f.Add(appendFrame(nil, nil), 0)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, 1<<20)
	f.Add(make([]byte, 16), 8)
	f.Fuzz(func(t *testing.T, b []byte, maxPayload int) {
		if maxPayload < 0 {
			maxPayload = -maxPayload
		}
		p, n, err := decodeFrame(b, maxPayload)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("unexpected error class: %v", err)
			}
			if p != nil || n != 0 {
				t.Fatal("error with a result")
			}
			return
		}
		if n > len(b) || len(p) > maxPayload || n != frameHeaderSize+len(p) {
			t.Fatalf("n=%d len(p)=%d len(b)=%d max=%d", n, len(p), len(b), maxPayload)
		}
		if !bytes.Equal(appendFrame(nil, p), b[:n]) {
			t.Fatal("decoded frame does not re-encode to its bytes")
		}
	})
}

func FuzzScanFrames(f *testing.F) {
	seg := encodeSegmentHeader(0, time.Unix(1, 0))
	for i := range 3 {
		seg = appendFrame(seg, payload(i))
	}
	f.Add(seg, uint64(10))
	f.Add(seg[:len(seg)-4], uint64(10))
	f.Add(seg, uint64(1))
	f.Add(seg[:segmentHeaderSize], uint64(10))
	f.Fuzz(func(t *testing.T, data []byte, limit uint64) {
		if len(data) < segmentHeaderSize {
			return
		}
		count, end, err := scanFrames(data, limit, 1<<10)
		if end < segmentHeaderSize || end > int64(len(data)) || uint64(count) > limit {
			t.Fatalf("count=%d end=%d len=%d limit=%d", count, end, len(data), limit)
		}
		if (err == nil) != (end == int64(len(data))) {
			t.Fatalf("err=%v but end=%d of %d", err, end, len(data))
		}
		// The intact prefix rescans to the same result.
		c2, e2, err2 := scanFrames(data[:end], limit, 1<<10)
		if c2 != count || e2 != end || err2 != nil {
			t.Fatalf("rescan of prefix: %d %d %v, want %d %d nil", c2, e2, err2, count, end)
		}
	})
}

func FuzzAckEntries(f *testing.F) {
	f.Add(encodeAckEntry(encodeAckEntry(nil, 1), 7))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		var n int
		whole, bad := decodeAckEntries(data, func(uint32) { n++ })
		if whole%ackEntrySize != 0 || whole > len(data) || len(data)-whole >= ackEntrySize {
			t.Fatalf("whole=%d of %d", whole, len(data))
		}
		if n+bad != whole/ackEntrySize {
			t.Fatalf("%d good + %d bad entries in %d bytes", n, bad, whole)
		}
	})
}

// FuzzRecover opens a spool whose only segment holds arbitrary bytes after
// a valid header: recovery must never fail or panic, and what it keeps
// must read back cleanly.
func FuzzRecover(f *testing.F) {
	var frames []byte
	for i := range 3 {
		frames = appendFrame(frames, payload(i))
	}
	f.Add(frames)
	f.Add(frames[:len(frames)-2])
	f.Add([]byte{9, 0, 0, 0, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, body []byte) {
		dir := t.TempDir()
		data := append(encodeSegmentHeader(5, time.Now()), body...)
		if err := os.WriteFile(filepath.Join(dir, segmentFileName(5)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(Options{Dir: dir, MaxRecordBytes: 256, MaxSegmentBytes: 4096, MaxBytes: 1 << 20})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		recs, err := s.NewReader().Read(nil, 1<<20)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if int64(len(recs)) != s.Stats().Records {
			t.Fatalf("read %d records, stats say %d", len(recs), s.Stats().Records)
		}
		for i, r := range recs {
			if r.ID != 5+uint64(i) {
				t.Fatalf("record %d has id %d", i, r.ID)
			}
		}
	})
}

func FuzzChecksumUint32(f *testing.F) {
	f.Add(uint32(0))
	f.Add(uint32(0xffffffff))
	f.Add(uint32(400))
	f.Fuzz(func(t *testing.T, v uint32) {
		b := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
		if got, want := checksumUint32(v), crc32.Checksum(b, castagnoli); got != want {
			t.Fatalf("checksumUint32(%d) = %08x, want %08x", v, got, want)
		}
	})
}
