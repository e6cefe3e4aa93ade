package spool

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
)

// errNoRoom: the disk budget cannot take the next record now.
var errNoRoom = errors.New("spool: no room")

const (
	minWriteBackoff = 10 * time.Millisecond
	maxWriteBackoff = 5 * time.Second
	// The writer's two buffers alternate between appenders and the disk;
	// one that grew past maxSpareBytes (a burst, a full spool) is let go.
	initialBufferBytes = 64 << 10
	maxSpareBytes      = 4 << 20
)

type drainResult int

const (
	drained drainResult = iota // nothing left in memory
	blocked                    // disk budget exhausted
	failed                     // write or fsync error
)

// run is the writer goroutine: every pass writes all that accumulated with
// one fsync per segment touched (group commit).
func (s *Spool) run() {
	defer close(s.writerDone)
	var backoff time.Duration
	var delay *time.Timer
	if s.opts.CommitDelay > 0 {
		delay = time.NewTimer(s.opts.CommitDelay)
		delay.Stop()
	}
	for {
		res, err := s.drain()
		wait := s.maybeRoll(time.Now())
		s.mu.Lock()
		closing := s.closed
		s.mu.Unlock()
		if closing {
			// Appends stopped when closed was set; one more pass takes
			// whatever arrived between the last drain and that moment.
			if res == drained {
				res, err = s.drain()
			}
			if len(s.unsynced) > 0 {
				s.syncNow()
			}
			s.finish(res, err)
			return
		}
		if res == failed {
			backoff = min(max(2*backoff, minWriteBackoff), maxWriteBackoff)
			s.log.Error("spool write failed; keeping events in memory and retrying",
				zap.Duration("retry_in", backoff), zap.Error(err))
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.closeCh:
				t.Stop()
			}
			continue
		}
		backoff = 0
		if sw := s.syncDue(time.Now()); sw > 0 && (wait <= 0 || sw < wait) {
			wait = sw
		}
		var rollTimer *time.Timer
		var rollC <-chan time.Time
		if wait > 0 {
			rollTimer = time.NewTimer(wait)
			rollC = rollTimer.C
		}
		woken := false
		select {
		case <-s.wake:
			woken = true
		case <-s.closeCh:
		case <-rollC:
		}
		if rollTimer != nil {
			rollTimer.Stop()
		}
		if woken && delay != nil {
			delay.Reset(s.opts.CommitDelay)
			select {
			case <-delay.C:
			case <-s.closeCh:
				delay.Stop()
			}
		}
	}
}

// syncDue fsyncs the segments written since the last sync once
// SyncInterval has passed, and returns how long until the next is due (0:
// nothing waits). Writer only.
func (s *Spool) syncDue(now time.Time) time.Duration {
	if len(s.unsynced) == 0 {
		return 0
	}
	if left := s.opts.SyncInterval - now.Sub(s.unsyncedSince); left > 0 && !s.closingOrSealed() {
		return left
	}
	s.syncNow()
	return 0
}

// closingOrSealed: a sealed segment or a closing spool is synced at once.
func (s *Spool) closingOrSealed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	for _, g := range s.unsynced {
		if g.sealed {
			return true
		}
	}
	return false
}

// syncNow fsyncs every segment written since the last sync. Writer only;
// a segment deleted meanwhile (fully acknowledged) needs none.
func (s *Spool) syncNow() {
	start := time.Now()
	for _, g := range s.unsynced {
		if !g.unsynced {
			continue
		}
		g.unsynced = false
		// Shared: readers go on during the fsync; only deletion waits.
		s.fileMu.RLock()
		f := g.f
		var err error
		if f != nil {
			err = f.Sync()
		}
		s.fileMu.RUnlock()
		if err != nil {
			s.m.writeErrors.Inc()
			s.log.Error("spool fsync failed", zap.String("file", g.path), zap.Error(err))
		}
	}
	clear(s.unsynced)
	s.unsynced = s.unsynced[:0]
	s.m.fsync.Observe(time.Since(start).Seconds())
}

// finish runs once Close was called and the last drain is done.
func (s *Spool) finish(res drainResult, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lost := s.memRecords
	if lost > 0 {
		reason := "spool full"
		if res == failed {
			reason = err.Error()
		}
		s.closeErr = fmt.Errorf("%w: %d records in memory could not be written: %s", ErrClosed, lost, reason)
		s.log.Error("spool closed with unwritten events", zap.Int64("records", lost), zap.String("reason", reason))
		s.dropped.Add(uint64(lost))
		s.m.dropped.WithLabelValues(dropClosed).Add(float64(lost))
		s.pending, s.writing, s.memRecords = nil, 0, 0
	}
	s.exited = true
	close(s.commitCh)
	s.updateGaugesLocked()
}

// drain writes what is in memory until nothing is left, the disk budget is
// exhausted or a write fails.
func (s *Spool) drain() (drainResult, error) {
	for {
		s.mu.Lock()
		if len(s.pending) == 0 {
			s.updateGaugesLocked()
			s.mu.Unlock()
			return drained, nil
		}
		if !s.roomLocked(s.needLocked(frameLen(s.pending))) {
			s.setFullLocked()
			s.updateGaugesLocked()
			s.mu.Unlock()
			return blocked, nil
		}
		buf := s.pending
		if s.spare == nil {
			s.spare = make([]byte, 0, initialBufferBytes)
		}
		s.pending, s.spare = s.spare[:0], nil
		s.writing = int64(len(buf))
		s.mu.Unlock()

		n, err := s.writeFrames(buf)

		s.mu.Lock()
		if n < len(buf) {
			// Keep order: the unwritten rest goes before what arrived since.
			rest := make([]byte, 0, len(buf)-n+len(s.pending))
			rest = append(rest, buf[n:]...)
			s.pending = append(rest, s.pending...)
		} else if cap(buf) <= maxSpareBytes {
			s.spare = buf[:0]
		}
		s.writing = 0
		s.updateGaugesLocked()
		s.mu.Unlock()
		switch {
		case errors.Is(err, errNoRoom):
			s.mu.Lock()
			s.setFullLocked()
			s.updateGaugesLocked()
			s.mu.Unlock()
			return blocked, nil
		case err != nil:
			s.m.writeErrors.Inc()
			return failed, err
		}
	}
}

// needLocked is the disk space the next frame of size n takes, a new
// segment's header included when one must be started.
func (s *Spool) needLocked(n int) int64 {
	g := s.active
	if g == nil || g.size+int64(n) > s.opts.MaxSegmentBytes {
		return segmentHeaderSize + int64(n)
	}
	return int64(n)
}

func (s *Spool) roomLocked(need int64) bool {
	return s.diskBytes+need <= s.opts.MaxBytes
}

func (s *Spool) setFullLocked() {
	if s.full {
		return
	}
	s.full = true
	s.log.Error("spool full: holding new usage events in memory until JetStream acknowledges older ones; beyond the memory bound they are dropped",
		zap.String("dir", s.opts.Dir), zap.Int64("disk_bytes", s.diskBytes), zap.Int64("max_bytes", s.opts.MaxBytes),
		zap.Int64("max_memory_bytes", s.opts.MaxMemoryBytes))
}

// writeFrames writes the frames in buf, sealing and starting segments as
// they fill, and returns how many bytes of buf are durable.
func (s *Spool) writeFrames(buf []byte) (int, error) {
	off := 0
	for off < len(buf) {
		first := frameLen(buf[off:])
		s.mu.Lock()
		g := s.active
		if g != nil && g.size+int64(first) > s.opts.MaxSegmentBytes {
			g.sealed = true
			s.active, g = nil, nil
			s.rollWanted = true // collect it if already fully acknowledged
		}
		room := s.roomLocked(s.needLocked(first))
		s.mu.Unlock()
		if !room {
			return off, errNoRoom
		}
		if g == nil {
			var err error
			if g, err = s.createSegment(); err != nil {
				return off, err
			}
		}
		s.mu.Lock()
		budget := s.opts.MaxBytes - s.diskBytes
		s.mu.Unlock()
		end, n, size := off, uint32(0), g.size
		for end < len(buf) {
			fl := int64(frameLen(buf[end:]))
			if size+fl > s.opts.MaxSegmentBytes || fl > budget {
				break
			}
			size += fl
			budget -= fl
			end += int(fl)
			n++
		}
		if n == 0 {
			return off, errNoRoom
		}
		start := time.Now()
		_, err := g.f.WriteAt(buf[off:end], g.size)
		if err == nil {
			if s.opts.SyncInterval > 0 {
				if len(s.unsynced) == 0 {
					// The interval runs from the oldest unsynced write, so
					// a lone write waits with the ones that follow it.
					s.unsyncedSince = start
				}
				if !g.unsynced {
					g.unsynced = true
					s.unsynced = append(s.unsynced, g)
				}
			} else {
				err = g.f.Sync()
				s.m.fsync.Observe(time.Since(start).Seconds())
			}
		}
		if err != nil {
			s.abandon(g, err)
			return off, fmt.Errorf("spool: write %s: %w", g.path, err)
		}
		s.commit(g, size, n, buf[off:end])
		off = end
	}
	return off, nil
}

// createSegment starts the segment the next record goes to. The file and
// its directory entry are fsynced so a later commit cannot outlive them.
func (s *Spool) createSegment() (*segment, error) {
	s.mu.Lock()
	base := s.durableNext
	s.mu.Unlock()
	g := newSegment(s.opts.Dir, base, time.Now())
	f, err := os.OpenFile(g.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: create segment: %w", err)
	}
	_, err = f.Write(encodeSegmentHeader(g.base, g.created))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncFile(s.opts.Dir)
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(g.path)
		return nil, fmt.Errorf("spool: create segment %s: %w", g.path, err)
	}
	g.f = f
	g.size = segmentHeaderSize
	g.setCount(0)
	s.mu.Lock()
	s.segs = append(s.segs, g)
	s.active = g
	s.diskBytes += segmentHeaderSize
	s.fsyncs++
	s.updateGaugesLocked()
	s.mu.Unlock()
	return g, nil
}

// commit publishes a durable write: readers and Sync waiters see it.
func (s *Spool) commit(g *segment, size int64, n uint32, frames []byte) {
	bytes := int64(len(frames))
	var kept []byte
	if bytes <= maxTailBytes {
		kept = append([]byte(nil), frames...) // buf is reused; readers keep records
	}
	s.mu.Lock()
	s.tail = tail{g: g, off: g.size, frames: kept}
	g.size = size
	g.setCount(g.count + n)
	s.diskBytes += bytes
	s.durableNext += uint64(n)
	s.unacked += int64(n)
	s.writing -= bytes
	s.memRecords -= int64(n)
	s.fsyncs++
	s.commits++
	if s.full {
		s.full = false
		s.log.Info("spool has room again", zap.Int64("disk_bytes", s.diskBytes))
	}
	close(s.commitCh)
	s.commitCh = make(chan struct{})
	s.updateGaugesLocked()
	s.mu.Unlock()
	s.m.commitSize.Observe(float64(n))
}

// abandon gives up on a segment whose write failed: it is cut back to its
// durable size and sealed, and the records are retried in a new segment.
// fsync errors leave the page cache in an unknown state, so the file is
// never written again.
func (s *Spool) abandon(g *segment, cause error) {
	if err := g.f.Truncate(g.size); err != nil {
		s.log.Error("spool: cannot cut back failed segment; recovery will", zap.String("file", g.path), zap.Error(err))
	}
	s.mu.Lock()
	g.sealed = true
	if s.active == g {
		s.active = nil
	}
	s.mu.Unlock()
	s.log.Error("spool: segment write failed, sealing it", zap.String("file", g.path), zap.Error(cause))
	s.collect() // an empty one goes right away
}

// Rolling a fully acknowledged active segment waits until it holds
// rollMinBytes or is rollMaxAge old. Under steady load every group commit
// is acknowledged within milliseconds; rolling each time would create,
// fsync and delete a segment file per commit, most of the spool's cost.
const rollMaxAge = time.Second

// rollMinBytes is the size from which a fully acknowledged active segment
// is rolled at once.
func (s *Spool) rollMinBytes() int64 { return max(s.opts.MaxSegmentBytes/16, segmentHeaderSize+1) }

// maybeRoll seals the active segment once everything in it is acknowledged
// so that it can be deleted; the next record starts a new one. A small,
// young segment is kept until rollMaxAge: maybeRoll then returns how long
// the writer should wait before calling it again (0: nothing to wait for).
func (s *Spool) maybeRoll(now time.Time) time.Duration {
	s.mu.Lock()
	g := s.active
	roll := s.rollWanted
	if roll && g != nil && g.count > 0 && g.fullyAcked() && len(s.pending) == 0 {
		if age := now.Sub(g.created); g.size < s.rollMinBytes() && age < rollMaxAge {
			s.mu.Unlock() // rollWanted stays set for the next pass
			return rollMaxAge - age
		}
		g.sealed = true
		s.active = nil
	}
	s.rollWanted = false
	s.mu.Unlock()
	if roll {
		s.collect()
	}
	return 0
}
