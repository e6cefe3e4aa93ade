package spool

import (
	"errors"
	"fmt"
	"sort"

	"go.uber.org/zap"
)

// Record is one durable record.
type Record struct {
	ID uint64
	// Data is the payload. Nothing writes to it later, so it may be kept.
	Data []byte
}

// readChunk is what a read asks of a segment in one go; a larger record
// is read on its own. Records alias the chunk, so it stays small.
const readChunk = 64 << 10

// Reader walks the durable, unacknowledged records in id order. It is not
// safe for concurrent use; a Spool may have several.
type Reader struct {
	s          *Spool
	positioned bool
	base       uint64 // segment the cursor is in
	off        int64  // next frame's offset in it
	ord        uint32 // next frame's ordinal
}

// NewReader returns a reader positioned at the oldest record.
func (s *Spool) NewReader() *Reader { return &Reader{s: s} }

// Rewind moves the cursor back to the oldest record; records acknowledged
// since are skipped. Used to retry what failed to publish.
func (r *Reader) Rewind() { r.positioned = false }

// Read appends to dst up to max records that are durable, not yet
// acknowledged and after the cursor, and moves the cursor past them. It
// returns what is available now and never waits; see Spool.Notify. Damaged
// data in a segment (which only bit rot can cause) is reported with
// ErrCorrupt and the rest of that segment is skipped.
func (r *Reader) Read(dst []Record, limit int) ([]Record, error) {
	s := r.s
	for limit > 0 {
		s.mu.Lock()
		g := r.locateLocked()
		if g == nil {
			s.mu.Unlock()
			return dst, nil
		}
		size, count, sealed := g.size, g.count, g.sealed
		if r.off >= size {
			next := r.nextLocked(g)
			s.mu.Unlock()
			if !sealed || next == nil {
				return dst, nil
			}
			r.base, r.off, r.ord = next.base, segmentHeaderSize, 0
			continue
		}
		buf, fromTail := s.tail.at(g, r.off)
		s.mu.Unlock()

		var err error
		if !fromTail {
			buf, err = r.readAt(g, min(size-r.off, readChunk))
			if err == nil && len(buf) >= frameHeaderSize && frameLen(buf) > len(buf) && int64(frameLen(buf)) <= size-r.off {
				buf, err = r.readAt(g, int64(frameLen(buf))) // one record larger than a chunk
			}
		}
		if errors.Is(err, errDeleted) {
			continue // everything in it was acknowledged meanwhile
		}
		if err != nil {
			return dst, err
		}

		start, startOrd := len(dst), r.ord
		var derr error
		for off := 0; off < len(buf) && limit > 0; {
			p, n, err := decodeFrame(buf[off:], s.opts.MaxRecordBytes)
			if errors.Is(err, ErrTruncated) && off > 0 {
				break // the chunk ends inside a frame; the next pass reads it
			}
			if err != nil {
				derr = fmt.Errorf("spool: %s at offset %d: %w", g.path, r.off, err)
				break
			}
			dst = append(dst, Record{ID: g.base + uint64(r.ord), Data: p[:len(p):len(p)]})
			off += n
			r.off += int64(n)
			r.ord++
			limit--
		}

		// Drop what was acknowledged (after a Rewind).
		s.mu.Lock()
		kept := dst[:start]
		for i, rec := range dst[start:] {
			if g.isAcked(startOrd + uint32(i)) {
				limit++
				continue
			}
			kept = append(kept, rec)
		}
		s.mu.Unlock()
		clear(dst[len(kept):])
		dst = kept
		if derr != nil {
			r.skip(g, size, count, derr)
			return dst, derr
		}
	}
	return dst, nil
}

var errDeleted = errors.New("spool: segment deleted")

// maxTailBytes bounds the copy of the last commit kept for readers: under
// load a commit holds many records, and those are read back from the file.
const maxTailBytes = readChunk

// tail is the last commit: frames written at offset off of segment g. It
// is never changed once set, so records may alias it.
type tail struct {
	g      *segment
	off    int64
	frames []byte
}

// at returns the committed frames of g from offset off, when the last
// commit holds them. mu held.
func (t tail) at(g *segment, off int64) ([]byte, bool) {
	if t.g != g || t.frames == nil || off < t.off || off >= t.off+int64(len(t.frames)) {
		return nil, false
	}
	return t.frames[off-t.off:], true
}

// readAt reads n bytes of g at the cursor.
func (r *Reader) readAt(g *segment, n int64) ([]byte, error) {
	buf := make([]byte, n)
	r.s.fileMu.RLock()
	defer r.s.fileMu.RUnlock()
	if g.deleted {
		return nil, errDeleted
	}
	if g.f == nil {
		return nil, ErrClosed
	}
	if _, err := g.f.ReadAt(buf, r.off); err != nil {
		return nil, fmt.Errorf("spool: read %s: %w", g.path, err)
	}
	return buf, nil
}

// skip gives up on the records of g from the cursor up to size (count
// records in all): they cannot be decoded, so they are acknowledged as lost
// rather than kept forever.
func (r *Reader) skip(g *segment, size int64, count uint32, cause error) {
	lost := make([]uint64, 0, count-r.ord)
	for ord := r.ord; ord < count; ord++ {
		lost = append(lost, g.base+uint64(ord))
	}
	r.s.log.Error("spool: records lost to damaged data", zap.String("file", g.path), zap.Int("records", len(lost)), zap.Error(cause))
	r.s.dropped.Add(uint64(len(lost)))
	r.s.m.dropped.WithLabelValues(dropCorrupt).Add(float64(len(lost)))
	r.off, r.ord = size, count
	_ = r.s.Ack(lost...)
}

// locateLocked returns the segment under the cursor, moving the cursor to
// the next segment when its own was deleted. mu held.
func (r *Reader) locateLocked() *segment {
	segs := r.s.segs
	if len(segs) == 0 {
		return nil
	}
	if !r.positioned {
		r.positioned = true
		r.base, r.off, r.ord = segs[0].base, segmentHeaderSize, 0
		return segs[0]
	}
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base >= r.base })
	if i == len(segs) {
		return nil
	}
	if g := segs[i]; g.base != r.base {
		r.base, r.off, r.ord = g.base, segmentHeaderSize, 0
	}
	return segs[i]
}

// nextLocked returns the segment after g, or nil. mu held.
func (r *Reader) nextLocked(g *segment) *segment {
	segs := r.s.segs
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > g.base })
	if i == len(segs) {
		return nil
	}
	return segs[i]
}
