package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// recover loads the segments in the directory. Every recovered segment is
// sealed: new records always go to a new segment, so a file that might
// end in a torn write is never appended to.
func (s *Spool) recover() error {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	var bases []uint64
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
		if base, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			bases = append(bases, base)
		}
	}
	for name := range names {
		// A crash between deleting a segment and its ack file leaves the latter.
		if stem, ok := strings.CutSuffix(name, ackExt); ok && !names[stem+segmentExt] {
			_ = os.Remove(filepath.Join(s.opts.Dir, name))
		}
	}
	slices.Sort(bases)
	var segs, dead []*segment
	for i, base := range bases {
		// Ids are dense across segments, so a segment holds at most the ids
		// below the next one's base. More can only come from a write that
		// failed and was retried in a new segment; those copies are cut.
		limit := uint64(math.MaxUint64)
		if i+1 < len(bases) {
			limit = bases[i+1] - base
		}
		g, err := s.loadSegment(base, limit, i == len(bases)-1)
		if err != nil {
			for _, g := range append(segs, dead...) {
				_ = g.f.Close()
			}
			return err
		}
		if g == nil {
			continue
		}
		s.nextID = max(s.nextID, g.base+uint64(g.count))
		if g.fullyAcked() {
			dead = append(dead, g)
			continue
		}
		segs = append(segs, g)
	}
	for _, g := range dead {
		_ = g.f.Close()
		removeSegmentFiles(g)
	}
	s.durableNext = s.nextID
	s.segs = segs
	for _, g := range segs {
		s.diskBytes += g.size
		s.unacked += int64(g.count - g.nacked)
	}
	if len(segs) > 0 {
		s.log.Info("spool recovered", zap.String("dir", s.opts.Dir), zap.Int("segments", len(segs)),
			zap.Int64("records", s.unacked), zap.Int64("bytes", s.diskBytes))
	}
	return nil
}

// loadSegment opens one segment, cuts off a torn or corrupt tail and reads
// its ack file. It returns nil for files it set aside.
func (s *Spool) loadSegment(base, limit uint64, last bool) (*segment, error) {
	g := newSegment(s.opts.Dir, base, time.Time{})
	f, err := os.OpenFile(g.path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("spool: read %s: %w", g.path, err)
	}
	hbase, created, herr := decodeSegmentHeader(data)
	if herr == nil && hbase != base {
		herr = fmt.Errorf("%w: base %d in a file named for %d", errSegmentHeader, hbase, base)
	}
	if herr != nil {
		_ = f.Close()
		if len(data) < segmentHeaderSize && last {
			// Created, then the process died before the header was synced.
			s.log.Warn("spool: removing segment with a torn header", zap.String("file", g.path))
			removeSegmentFiles(g)
			return nil, nil
		}
		// Not ours or damaged beyond framing: keep it for a human, out of the way.
		s.log.Error("spool: setting aside unreadable segment", zap.String("file", g.path), zap.Error(herr))
		if err := os.Rename(g.path, g.path+badExt); err != nil {
			return nil, fmt.Errorf("spool: set aside %s: %w", g.path, err)
		}
		return nil, nil
	}
	g.created = created
	count, end, serr := scanFrames(data, limit, s.opts.MaxRecordBytes)
	if serr != nil {
		cut := int64(len(data)) - end
		fields := []zap.Field{zap.String("file", g.path), zap.Int64("offset", end), zap.Int64("bytes", cut), zap.Error(serr)}
		if last && (errors.Is(serr, ErrTruncated) || errors.Is(serr, ErrCorrupt)) {
			s.log.Warn("spool: cutting off torn tail after a crash", fields...)
		} else {
			s.log.Error("spool: cutting off corrupt records", fields...)
		}
		if err := f.Truncate(end); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("spool: truncate %s: %w", g.path, err)
		}
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("spool: sync %s: %w", g.path, err)
		}
		s.m.truncated.Add(float64(cut))
	}
	g.f = f
	g.size = end
	g.setCount(count)
	g.sealed = true
	if err := s.loadAcks(g); err != nil {
		_ = f.Close()
		return nil, err
	}
	return g, nil
}

func (s *Spool) loadAcks(g *segment) error {
	data, err := os.ReadFile(g.ackPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	whole, bad := decodeAckEntries(data, func(ord uint32) { g.markAcked(ord) })
	if bad > 0 {
		s.log.Warn("spool: ignoring damaged ack entries; those records will be republished",
			zap.String("file", g.ackPath), zap.Int("entries", bad))
	}
	if whole < len(data) {
		// A torn entry: cut it so later entries stay aligned.
		if err := os.Truncate(g.ackPath, int64(whole)); err != nil {
			return fmt.Errorf("spool: truncate %s: %w", g.ackPath, err)
		}
	}
	return nil
}

// removeSegmentFiles deletes the segment before its ack file: a crash in
// between leaves an orphan ack file (removed at the next open), never a
// segment without its acks.
func removeSegmentFiles(g *segment) {
	_ = os.Remove(g.path)
	_ = os.Remove(g.ackPath)
}
