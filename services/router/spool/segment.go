package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A segment file starts with a 32-byte header, integers little endian:
//
//	[0:8)    magic "BCSPOOL1" (the digit is the format version)
//	[8:16)   id of the segment's first record (uint64); record k has id base+k
//	[16:24)  creation time, Unix nanoseconds (int64): the age of its oldest record
//	[24:28)  reserved, zero
//	[28:32)  CRC-32C of bytes [0:28)
//
// followed by frames (record.go). The file is named after its base id in
// 16 hex digits, so names sort in id order. Frames are only ever appended;
// a segment is deleted whole once every record in it is acknowledged.
const (
	segmentHeaderSize = 32
	segmentMagic      = "BCSPOOL1"
	segmentExt        = ".seg"
	ackExt            = ".ack"
	badExt            = ".bad"
)

// An ack file sits beside its segment and lists acknowledged records as
// 8-byte entries: ordinal within the segment (uint32) and the CRC-32C of
// those 4 bytes. A bad entry is ignored, which only means a republish.
const ackEntrySize = 8

var errSegmentHeader = errors.New("spool: bad segment header")

type segment struct {
	base    uint64
	created time.Time
	path    string
	ackPath string

	// f is shared: the writer appends with WriteAt while it is active,
	// readers ReadAt under Spool.fileMu; closed when the segment is deleted.
	f *os.File
	// ackBuf, ackDirty (acks written since open, not fsynced) and ackF
	// belong to Spool.ackMu.
	ackBuf   []byte
	ackDirty bool
	// ackF is the open ack file, closed with the segment.
	ackF *os.File
	// unsynced: written since the last fsync (SyncInterval > 0); writer only.
	unsynced bool

	// Under Spool.mu.
	size    int64  // durable bytes, header included
	count   uint32 // durable records
	acked   []uint64
	nacked  uint32
	sealed  bool // no more appends; may be deleted once fully acked
	deleted bool // also written under Spool.fileMu
}

func segmentFileName(base uint64) string {
	return fmt.Sprintf("%016x%s", base, segmentExt)
}

// parseSegmentName returns the base id a segment file name carries.
func parseSegmentName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	base, err := strconv.ParseUint(hex, 16, 64)
	return base, err == nil
}

func newSegment(dir string, base uint64, created time.Time) *segment {
	name := segmentFileName(base)
	return &segment{
		base:    base,
		created: created,
		path:    filepath.Join(dir, name),
		ackPath: filepath.Join(dir, strings.TrimSuffix(name, segmentExt)+ackExt),
	}
}

func encodeSegmentHeader(base uint64, created time.Time) []byte {
	h := make([]byte, segmentHeaderSize)
	copy(h, segmentMagic)
	binary.LittleEndian.PutUint64(h[8:16], base)
	binary.LittleEndian.PutUint64(h[16:24], uint64(created.UnixNano()))
	binary.LittleEndian.PutUint32(h[28:32], crc32.Checksum(h[:28], castagnoli))
	return h
}

func decodeSegmentHeader(h []byte) (base uint64, created time.Time, err error) {
	if len(h) < segmentHeaderSize {
		return 0, time.Time{}, fmt.Errorf("%w: %d bytes", errSegmentHeader, len(h))
	}
	if string(h[:8]) != segmentMagic {
		return 0, time.Time{}, fmt.Errorf("%w: magic %q", errSegmentHeader, h[:8])
	}
	if want, got := binary.LittleEndian.Uint32(h[28:32]), crc32.Checksum(h[:28], castagnoli); want != got {
		return 0, time.Time{}, fmt.Errorf("%w: checksum", errSegmentHeader)
	}
	base = binary.LittleEndian.Uint64(h[8:16])
	created = time.Unix(0, int64(binary.LittleEndian.Uint64(h[16:24])))
	return base, created, nil
}

// scanFrames walks the frames after the header and returns how many are
// intact, where the intact prefix ends, and why the walk stopped early
// (nil when it reached the end of data). At most limit frames are taken.
func scanFrames(data []byte, limit uint64, maxPayload int) (count uint32, end int64, err error) {
	off := segmentHeaderSize
	for off < len(data) && uint64(count) < limit {
		_, n, ferr := decodeFrame(data[off:], maxPayload)
		if ferr != nil {
			return count, int64(off), fmt.Errorf("at offset %d: %w", off, ferr)
		}
		off += n
		count++
	}
	if off < len(data) {
		return count, int64(off), fmt.Errorf("at offset %d: %d bytes beyond the records the next segment allows", off, len(data)-off)
	}
	return count, int64(off), nil
}

func encodeAckEntry(dst []byte, ord uint32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, ord)
	return binary.LittleEndian.AppendUint32(dst, checksumUint32(ord))
}

// decodeAckEntries calls fn for every intact entry and reports how many
// bytes form whole entries (a torn last entry is cut off by the caller).
func decodeAckEntries(data []byte, fn func(ord uint32)) (whole int, bad int) {
	whole = len(data) - len(data)%ackEntrySize
	for off := 0; off < whole; off += ackEntrySize {
		e := data[off : off+ackEntrySize]
		if binary.LittleEndian.Uint32(e[4:8]) != crc32.Checksum(e[0:4], castagnoli) {
			bad++
			continue
		}
		fn(binary.LittleEndian.Uint32(e[0:4]))
	}
	return whole, bad
}

func (g *segment) setCount(n uint32) {
	g.count = n
	if words := int(n+63) / 64; words > len(g.acked) {
		g.acked = append(g.acked, make([]uint64, words-len(g.acked))...)
	}
}

// markAcked records ord as acknowledged and reports whether it was new.
func (g *segment) markAcked(ord uint32) bool {
	if ord >= g.count {
		return false
	}
	w, bit := ord/64, uint64(1)<<(ord%64)
	if g.acked[w]&bit != 0 {
		return false
	}
	g.acked[w] |= bit
	g.nacked++
	return true
}

func (g *segment) isAcked(ord uint32) bool {
	return ord < g.count && g.acked[ord/64]&(uint64(1)<<(ord%64)) != 0
}

func (g *segment) fullyAcked() bool { return g.nacked == g.count }

// syncFile fsyncs a file or directory by name.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	serr := f.Sync()
	return errors.Join(serr, f.Close())
}
