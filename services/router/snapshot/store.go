package snapshot

import (
	"fmt"
	"sync"
	"sync/atomic"

	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

// Store holds the index requests read. Reads are one atomic load.
type Store struct {
	cur   atomic.Pointer[Index]
	ready chan struct{}
	once  sync.Once
}

// NewStore returns a store holding no index yet.
func NewStore() *Store { return &Store{ready: make(chan struct{})} }

// Load returns the current index, or nil before the first one.
func (s *Store) Load() *Index { return s.cur.Load() }

// Publish makes x the index new requests see.
func (s *Store) Publish(x *Index) {
	s.cur.Store(x)
	s.once.Do(func() { close(s.ready) })
}

// Ready is closed once an index is held.
func (s *Store) Ready() <-chan struct{} { return s.ready }

// Build makes an index of a full snapshot. Entities that cannot be used as
// sent (a token without a proper digest, a channel with a bad base URL) are
// reported; the index is usable regardless.
func Build(revision int64, entities []*snapshotv1.Entity) (*Index, []error) {
	b := newBuilder(nil)
	for _, e := range entities {
		b.upsert(e)
	}
	return b.finish(revision), b.problems
}

// Apply returns a new index with the changes applied; x is unchanged.
func (x *Index) Apply(ch *snapshotv1.Changes) (*Index, []error) {
	b := newBuilder(x)
	for _, e := range ch.GetUpserts() {
		b.upsert(e)
	}
	for _, t := range ch.GetTombstones() {
		b.tombstone(t)
	}
	return b.finish(ch.GetRevision()), b.problems
}

// ErrProtocol marks a Watch stream that broke the protocol; the client
// reconnects.
type ErrProtocol struct{ Problem string }

func (e *ErrProtocol) Error() string { return fmt.Sprintf("snapshot watch: %s", e.Problem) }
