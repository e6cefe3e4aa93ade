// Package spool is the router's durable, append-only log of usage events.
//
// Appends never block on I/O: they are copied into memory and one writer
// goroutine writes everything that accumulated, fsyncs once and wakes every
// waiter (group commit). Records are only handed to readers once durable.
// A record is removed by acknowledging its id; a segment file is deleted
// when every record in it is acknowledged, never rewritten.
//
// Acknowledgements are appended to a small ack file per segment without
// fsync (Close syncs them). Losing some on a crash only republishes events
// that were already settled, which the stream's Nats-Msg-Id and the
// ledger's event-id key both ignore.
package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Defaults for Options.
const (
	DefaultMaxBytes        = 1 << 30
	DefaultMaxSegmentBytes = 16 << 20
	// Below NATS's default max_payload (1 MiB) with room for headers.
	DefaultMaxRecordBytes = 256 << 10
	DefaultMaxMemoryBytes = 64 << 20

	maxSegments = 1024
	// A longer commit delay only holds events back from publishing.
	maxCommitDelay = time.Second
)

var (
	// ErrFull: the disk budget is used up and the memory buffer too; the
	// record was dropped.
	ErrFull = errors.New("spool: full, record dropped")
	// ErrTooLarge: the record is above MaxRecordBytes.
	ErrTooLarge = errors.New("spool: record too large")
	// ErrClosed: the spool is closed.
	ErrClosed = errors.New("spool: closed")
	// ErrLocked: another process holds the spool directory.
	ErrLocked = errors.New("spool: directory in use by another process")
	// ErrOptions: the options are invalid.
	ErrOptions = errors.New("spool: invalid options")
)

// Options configure a spool. Zero sizes take the defaults.
type Options struct {
	// Dir holds the segment files (BURNCLOUD_SPOOL_DIR). Created if missing.
	Dir string
	// MaxBytes bounds the segment files on disk. When reached, new records
	// wait in memory (see MaxMemoryBytes) until acknowledgements free space.
	MaxBytes int64
	// MaxSegmentBytes is the size at which a segment is sealed and a new one
	// started; space is reclaimed a whole segment at a time.
	MaxSegmentBytes int64
	// MaxRecordBytes bounds one record's payload.
	MaxRecordBytes int
	// MaxMemoryBytes bounds records accepted but not yet written. Beyond it
	// Append drops the record with ErrFull rather than block its caller.
	MaxMemoryBytes int64
	// SyncInterval, when positive, fsyncs written records at most this
	// often instead of on every group commit: a record is readable (and
	// survives the process) once written, and survives the machine once
	// synced. Zero fsyncs every commit.
	SyncInterval time.Duration
	// CommitDelay, when positive, is how long the writer waits after an
	// append woke it before it writes, so that the records appended
	// meanwhile share the write and the wakeups that follow it (readers,
	// publishing). Zero writes at once. Close and a write already under
	// way do not wait.
	CommitDelay time.Duration
	Logger      *zap.Logger
	// Metrics may be shared by successive spools; nil: unregistered ones.
	Metrics *Metrics
}

func (o Options) withDefaults() Options {
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxSegmentBytes == 0 {
		o.MaxSegmentBytes = DefaultMaxSegmentBytes
	}
	if o.MaxRecordBytes == 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.MaxMemoryBytes == 0 {
		o.MaxMemoryBytes = DefaultMaxMemoryBytes
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	return o
}

// Validate reports every problem at once. Zero sizes are valid (defaults).
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.Dir == "" {
		errs = append(errs, fmt.Errorf("%w: directory is empty", ErrOptions))
	}
	if o.SyncInterval < 0 || o.SyncInterval > time.Minute {
		errs = append(errs, fmt.Errorf("%w: sync interval %s not in 0..1m", ErrOptions, o.SyncInterval))
	}
	if o.CommitDelay < 0 || o.CommitDelay > maxCommitDelay {
		errs = append(errs, fmt.Errorf("%w: commit delay %s not in 0..%s", ErrOptions, o.CommitDelay, maxCommitDelay))
	}
	if o.MaxRecordBytes < 1 || o.MaxRecordBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("%w: max record bytes %d not in 1..1GiB", ErrOptions, o.MaxRecordBytes))
	}
	frame := int64(frameHeaderSize + o.MaxRecordBytes)
	if o.MaxSegmentBytes < segmentHeaderSize+frame {
		errs = append(errs, fmt.Errorf("%w: max segment bytes %d cannot hold a record of %d bytes", ErrOptions, o.MaxSegmentBytes, o.MaxRecordBytes))
	}
	if o.MaxBytes < o.MaxSegmentBytes {
		errs = append(errs, fmt.Errorf("%w: max bytes %d below max segment bytes %d", ErrOptions, o.MaxBytes, o.MaxSegmentBytes))
	} else if o.MaxSegmentBytes > 0 && o.MaxBytes/o.MaxSegmentBytes > maxSegments {
		// Every segment keeps a file open.
		errs = append(errs, fmt.Errorf("%w: max bytes %d over max segment bytes %d allows more than %d segments", ErrOptions, o.MaxBytes, o.MaxSegmentBytes, maxSegments))
	}
	if o.MaxMemoryBytes < frame {
		errs = append(errs, fmt.Errorf("%w: max memory bytes %d cannot hold a record of %d bytes", ErrOptions, o.MaxMemoryBytes, o.MaxRecordBytes))
	}
	return errors.Join(errs...)
}

// Spool is safe for concurrent use.
type Spool struct {
	opts Options
	log  *zap.Logger
	m    *Metrics
	lock *os.File // flock on the directory

	// Lock order: ackMu, then fileMu, then mu. mu is held only for memory
	// bookkeeping, never across I/O, because Append runs on the request path.
	ackMu  sync.Mutex   // ack files, segment deletion
	fileMu sync.RWMutex // segment file handles: readers share, deletion excludes
	mu     sync.Mutex

	segs        []*segment // on disk, by base id
	active      *segment   // the writer appends here; nil until the next write
	pending     []byte     // frames waiting for the writer
	spare       []byte     // the writer's last buffer, reused
	writing     int64      // bytes the writer took and has not made durable
	memRecords  int64      // records in pending or writing
	nextID      uint64     // id of the next Append
	durableNext uint64     // every id below is durable
	diskBytes   int64
	unacked     int64 // durable records not acknowledged
	commitCh    chan struct{}
	closed      bool // Append refuses
	exited      bool // writer gone: no more durability
	shut        bool // files closed (under ackMu)
	full        bool
	rollWanted  bool
	fsyncs      uint64
	commits     uint64
	// tail is a copy of the last commit's frames, from which readers take
	// the newest records without reading the file back.
	tail        tail
	dropped     atomic.Uint64
	lastDropLog atomic.Int64

	// unsynced segments and the time of the oldest write they hold belong
	// to the writer (SyncInterval).
	unsynced      []*segment
	unsyncedSince time.Time

	wake       chan struct{}
	closeCh    chan struct{}
	writerDone chan struct{}
	closeErr   error
}

// Stats is a snapshot of the spool's state.
type Stats struct {
	// Records not yet acknowledged, on disk and in memory.
	Records       int64
	MemoryRecords int64
	DiskBytes     int64
	MemoryBytes   int64
	Segments      int
	// Fsyncs counts every fsync of a segment (headers included); Commits the
	// group commits among them.
	Fsyncs  uint64
	Commits uint64
	Dropped uint64
	Full    bool
	// Oldest is the creation time of the oldest segment on disk that still
	// holds a record not acknowledged.
	Oldest time.Time
}

// Open opens or creates the spool in opts.Dir and recovers its content:
// torn tails are cut off, acknowledged records skipped, and every other
// record is available to readers.
func Open(opts Options) (*Spool, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{
		opts:       opts,
		log:        opts.Logger,
		m:          opts.Metrics,
		lock:       lock,
		commitCh:   make(chan struct{}),
		wake:       make(chan struct{}, 1),
		closeCh:    make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	if err := s.recover(); err != nil {
		s.closeFiles()
		_ = lock.Close()
		return nil, err
	}
	s.mu.Lock()
	s.updateGaugesLocked()
	s.mu.Unlock()
	go s.run()
	return s, nil
}

func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("spool: lock %s: %w", dir, err)
	}
	return f, nil
}

// Append queues payload and returns its record id. It never waits for I/O;
// use Sync to wait until the record is durable. The payload is copied.
func (s *Spool) Append(payload []byte) (uint64, error) {
	if len(payload) > s.opts.MaxRecordBytes {
		s.drop(dropTooLarge)
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(payload), s.opts.MaxRecordBytes)
	}
	h := frameHeader(payload)
	size := int64(frameHeaderSize + len(payload))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.drop(dropClosed)
		return 0, ErrClosed
	}
	if int64(len(s.pending))+s.writing+size > s.opts.MaxMemoryBytes {
		s.mu.Unlock()
		s.drop(dropFull)
		return 0, ErrFull
	}
	s.pending = append(s.pending, h[:]...)
	s.pending = append(s.pending, payload...)
	s.memRecords++
	id := s.nextID
	s.nextID++
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return id, nil
}

func (s *Spool) drop(reason string) {
	s.dropped.Add(1)
	s.m.dropped.WithLabelValues(reason).Inc()
	// One line per second at most: a full spool drops every event.
	now := time.Now().UnixNano()
	last := s.lastDropLog.Load()
	if now-last >= int64(time.Second) && s.lastDropLog.CompareAndSwap(last, now) {
		s.log.Error("spool dropped usage events", zap.String("reason", reason), zap.Uint64("dropped_total", s.dropped.Load()))
	}
}

// Sync waits until record id is durable.
func (s *Spool) Sync(ctx context.Context, id uint64) error {
	for {
		s.mu.Lock()
		if id < s.durableNext {
			s.mu.Unlock()
			return nil
		}
		if s.exited || id >= s.nextID {
			s.mu.Unlock()
			return fmt.Errorf("%w: record %d will not become durable", ErrClosed, id)
		}
		ch := s.commitCh
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Flush waits until every record appended so far is durable.
func (s *Spool) Flush(ctx context.Context) error {
	s.mu.Lock()
	last, any := s.nextID-1, s.nextID > s.durableNext
	s.mu.Unlock()
	if !any {
		return nil
	}
	return s.Sync(ctx, last)
}

// Notify returns a channel closed at the next group commit (or when the
// spool shuts down). Take it before reading so no commit is missed.
func (s *Spool) Notify() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitCh
}

// Stats returns the spool's current state.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Records:       s.unacked + s.memRecords,
		MemoryRecords: s.memRecords,
		DiskBytes:     s.diskBytes,
		MemoryBytes:   int64(len(s.pending)) + s.writing,
		Segments:      len(s.segs),
		Fsyncs:        s.fsyncs,
		Commits:       s.commits,
		Dropped:       s.dropped.Load(),
		Full:          s.full,
	}
	if g := s.oldestUnackedLocked(); g != nil {
		st.Oldest = g.created
	}
	return st
}

// oldestUnackedLocked is the oldest segment still holding a record not
// acknowledged, or nil. A fully acknowledged segment waiting to be rolled
// or deleted holds no event.
func (s *Spool) oldestUnackedLocked() *segment {
	for _, g := range s.segs {
		if !g.fullyAcked() {
			return g
		}
	}
	return nil
}

func (s *Spool) updateGaugesLocked() {
	s.m.records.Set(float64(s.unacked + s.memRecords))
	s.m.diskBytes.Set(float64(s.diskBytes))
	s.m.memoryBytes.Set(float64(int64(len(s.pending)) + s.writing))
	s.m.segments.Set(float64(len(s.segs)))
	if g := s.oldestUnackedLocked(); g != nil {
		s.m.oldest.Store(g.created.UnixNano())
	} else {
		s.m.oldest.Store(0)
	}
	if s.full {
		s.m.full.Set(1)
	} else {
		s.m.full.Set(0)
	}
}

// Close stops accepting records, writes and fsyncs what is in memory and
// closes the files. Records it could not write (spool full, disk failing)
// are lost; the error says how many.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	close(s.closeCh)
	<-s.writerDone
	err := s.closeFiles()
	return errors.Join(s.closeErr, err, s.lock.Close())
}

// closeFiles syncs the ack files and closes every handle.
func (s *Spool) closeFiles() error {
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	s.mu.Lock()
	segs := s.segs
	s.shut = true
	s.mu.Unlock()
	var errs []error
	for _, g := range segs {
		if g.ackF != nil {
			if g.ackDirty {
				errs = append(errs, g.ackF.Sync())
				g.ackDirty = false
			}
			errs = append(errs, g.ackF.Close())
			g.ackF = nil
		} else if g.ackDirty {
			errs = append(errs, syncFile(g.ackPath))
			g.ackDirty = false
		}
		if g.f != nil {
			errs = append(errs, g.f.Close())
			g.f = nil
		}
	}
	return errors.Join(errs...)
}
