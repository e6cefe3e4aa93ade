package spool

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"go.uber.org/zap"
)

// Ack marks records as acknowledged. Unknown ids (already deleted, or never
// durable) are ignored. A segment whose records are all acknowledged is
// deleted; the active one is first sealed by the writer.
func (s *Spool) Ack(ids ...uint64) error {
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	var touched []*segment
	s.mu.Lock()
	if s.shut {
		s.mu.Unlock()
		return ErrClosed
	}
	var g *segment
	for _, id := range ids {
		if g == nil || id < g.base || id-g.base >= uint64(g.count) {
			if g = s.findLocked(id); g == nil {
				continue
			}
		}
		ord := uint32(id - g.base)
		if !g.markAcked(ord) {
			continue
		}
		s.unacked--
		if len(g.ackBuf) == 0 {
			touched = append(touched, g)
		}
		g.ackBuf = encodeAckEntry(g.ackBuf, ord)
	}
	s.mu.Unlock()

	s.collectLocked()
	var errs []error
	for _, g := range touched {
		errs = append(errs, s.writeAcks(g))
	}
	return errors.Join(errs...)
}

// findLocked returns the segment holding durable record id, or nil.
func (s *Spool) findLocked(id uint64) *segment {
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].base > id }) - 1
	if i < 0 {
		return nil
	}
	if g := s.segs[i]; id-g.base < uint64(g.count) {
		return g
	}
	return nil
}

// writeAcks appends the segment's new ack entries to its ack file. No
// fsync: a lost entry only causes a republish (see the package comment).
func (s *Spool) writeAcks(g *segment) error {
	buf := g.ackBuf
	g.ackBuf = buf[:0]
	if g.deleted {
		return nil
	}
	// Kept open: segments are few (MaxBytes / MaxSegmentBytes), acks many.
	if g.ackF == nil {
		f, err := os.OpenFile(g.ackPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		g.ackF = f
	}
	g.ackDirty = true
	if _, err := g.ackF.Write(buf); err != nil {
		return fmt.Errorf("spool: write %s: %w", g.ackPath, err)
	}
	return nil
}

// collect takes ackMu and deletes fully acknowledged sealed segments.
func (s *Spool) collect() {
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	s.collectLocked()
}

// collectLocked deletes fully acknowledged sealed segments and asks the
// writer to seal the active one when it is fully acknowledged. ackMu held.
func (s *Spool) collectLocked() {
	s.mu.Lock()
	if s.shut {
		s.mu.Unlock()
		return
	}
	var dead []*segment
	keep := s.segs[:0]
	for _, g := range s.segs {
		if g.sealed && g.fullyAcked() {
			dead = append(dead, g)
			s.diskBytes -= g.size
			continue
		}
		keep = append(keep, g)
	}
	clear(s.segs[len(keep):])
	s.segs = keep
	wake := len(dead) > 0
	if wake && s.full && len(s.pending) == 0 {
		s.full = false // nothing waits in memory and space was freed
		s.log.Info("spool has room again", zap.Int64("disk_bytes", s.diskBytes))
	}
	if g := s.active; g != nil && g.count > 0 && g.fullyAcked() {
		s.rollWanted = true
		wake = true
	}
	s.updateGaugesLocked()
	s.mu.Unlock()

	for _, g := range dead {
		s.fileMu.Lock()
		g.deleted = true
		f := g.f
		g.f = nil
		s.fileMu.Unlock()
		if f != nil {
			_ = f.Close()
		}
		if g.ackF != nil {
			_ = g.ackF.Close()
			g.ackF = nil
		}
		removeSegmentFiles(g)
	}
	if wake {
		// Space freed or a segment to roll: the writer may have work.
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}
