package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// snapshotService pushes the routing state to routers (§3.2).
type snapshotService struct{ s *Server }

// recordTimeout bounds a fleet-view write, which must never hold up a watch.
const recordTimeout = 5 * time.Second

// errShuttingDown (Unavailable) tells the router to reconnect, to another replica.
var errShuttingDown = connect.NewError(connect.CodeUnavailable, errors.New("control replica shutting down"))

// watch is one router's stream.
type watch struct {
	s       *Server
	stream  *connect.ServerStream[snapshotv1.WatchResponse]
	log     *zap.Logger
	id      string
	version string
	last    int64 // the revision the router holds after what was sent
}

func (h snapshotService) Watch(ctx context.Context, req *connect.Request[snapshotv1.WatchRequest], stream *connect.ServerStream[snapshotv1.WatchResponse]) error {
	s := h.s
	id := req.Msg.GetRouterId()
	if id == "" {
		return invalidArgument("router_id is required")
	}
	// Subscribe before reading anything, so no commit between the first
	// read and the loop goes unnoticed.
	wake, unsubscribe := s.store.Subscribe()
	defer unsubscribe()

	w := &watch{s: s, stream: stream, id: id, version: req.Msg.GetVersion(),
		log: s.log.With(zap.String("router_id", id), zap.String("router_version", req.Msg.GetVersion()))}
	s.metrics.watchers.Inc()
	defer s.metrics.watchers.Dec()
	w.log.Info("router watching", zap.Int64("revision", req.Msg.GetRevision()))
	w.record(ctx, true)
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		w.record(rctx, false)
		w.log.Info("router left", zap.Int64("revision", w.last))
	}()

	err := w.run(ctx, req.Msg.GetRevision(), wake)
	switch {
	case err == nil, ctx.Err() != nil:
		return nil // the router went away
	case errors.Is(err, errShuttingDown):
		return err
	default:
		s.metrics.snapshotErrors.Inc()
		return err
	}
}

func (w *watch) run(ctx context.Context, revision int64, wake <-chan struct{}) error {
	if err := w.start(ctx, revision); err != nil {
		return err
	}
	cfg := w.s.cfg
	heartbeat := time.NewTicker(cfg.Heartbeat)
	defer heartbeat.Stop()
	poll := time.NewTicker(cfg.PollInterval)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.s.closing:
			return errShuttingDown
		case <-heartbeat.C:
			if err := w.send(ctx, "heartbeat", &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Heartbeat{
				Heartbeat: &snapshotv1.Heartbeat{Revision: w.last, Time: timestamppb.New(w.s.now())},
			}}); err != nil {
				return err
			}
		case <-wake:
			if !w.coalesce(ctx, wake) {
				return nil
			}
			if err := w.catchUp(ctx); err != nil {
				return err
			}
		case <-poll.C:
			// The fallback for a notification that never came: one cheap
			// read of the revision.
			rev, err := w.s.store.Revision(ctx)
			if err != nil {
				return fmt.Errorf("read revision: %w", err)
			}
			if rev != w.last {
				if err := w.catchUp(ctx); err != nil {
					return err
				}
			}
		}
	}
}

// coalesce waits out the window so that a burst of commits goes out as one
// Changes message. It reports false when the watch should end.
func (w *watch) coalesce(ctx context.Context, wake <-chan struct{}) bool {
	t := time.NewTimer(w.s.cfg.CoalesceWindow)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-w.s.closing:
			return true // the loop sees closing next and ends the stream
		case <-wake:
		case <-t.C:
			return true
		}
	}
}

// start brings a router from revision to now: the changes since its
// revision when the change log still has them, a full snapshot otherwise.
func (w *watch) start(ctx context.Context, revision int64) error {
	if revision <= 0 {
		return w.full(ctx)
	}
	d, err := w.s.store.ChangesSince(ctx, revision)
	if errors.Is(err, store.ErrRevisionGone) || (err == nil && d.To < revision) {
		// Too old, or ahead of this database (a restored backup): only a
		// full snapshot gives the router the right state.
		return w.full(ctx)
	}
	if err != nil {
		return fmt.Errorf("changes since %d: %w", revision, err)
	}
	w.last = revision
	return w.sendDelta(ctx, d)
}

// catchUp sends what changed after the last revision sent.
func (w *watch) catchUp(ctx context.Context) error {
	d, err := w.s.store.ChangesSince(ctx, w.last)
	if errors.Is(err, store.ErrRevisionGone) || (err == nil && d.To < w.last) {
		return w.full(ctx)
	}
	if err != nil {
		return fmt.Errorf("changes since %d: %w", w.last, err)
	}
	return w.sendDelta(ctx, d)
}

func (w *watch) sendDelta(ctx context.Context, d store.Delta) error {
	if d.To <= w.last {
		return nil
	}
	ups, err := entities(w.s.sealer, d.Upserts)
	if err != nil {
		return err
	}
	// Advanced first so the fleet view records the revision being sent; a
	// failed send ends the stream anyway.
	w.advance(d.To)
	return w.send(ctx, "changes", &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Changes{Changes: &snapshotv1.Changes{
		Revision: d.To, Upserts: ups, Tombstones: tombstones(d.Tombstones),
	}}})
}

// full sends the whole state in pages.
func (w *watch) full(ctx context.Context) error {
	st, err := w.s.store.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	ents, err := entities(w.s.sealer, st)
	if err != nil {
		return err
	}
	size := w.s.cfg.PageSize
	first := true
	for {
		n := min(size, len(ents))
		page := &snapshotv1.SnapshotPage{Revision: st.Revision, First: first, Last: n == len(ents), Entities: ents[:n]}
		if err := w.send(ctx, "page", &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Page{Page: page}}); err != nil {
			return err
		}
		ents, first = ents[n:], false
		if page.Last {
			break
		}
	}
	w.log.Debug("sent full snapshot", zap.Int64("revision", st.Revision))
	w.last = st.Revision // may go down after a restore; the snapshot says so
	w.s.metrics.revision.Set(float64(st.Revision))
	w.record(ctx, true)
	return nil
}

func (w *watch) advance(rev int64) {
	w.last = rev
	w.s.metrics.revision.Set(float64(rev))
}

func (w *watch) send(ctx context.Context, kind string, msg *snapshotv1.WatchResponse) error {
	if err := w.stream.Send(msg); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the router left; Watch ends quietly
		}
		return fmt.Errorf("send %s: %w", kind, err)
	}
	w.s.metrics.watchMessages.WithLabelValues(kind).Inc()
	if kind != "page" {
		w.record(ctx, true)
	}
	return nil
}

// record updates the fleet view. A failure is logged, never fatal: the
// routers matter more than the view of them.
func (w *watch) record(ctx context.Context, connected bool) {
	err := w.s.store.RecordRouter(ctx, &adminv1.Router{
		Id:             w.id,
		Version:        w.version,
		Revision:       w.last,
		LastSeenTime:   timestamppb.New(w.s.now()),
		ControlReplica: w.s.replica,
		Connected:      connected,
	})
	if err != nil && ctx.Err() == nil {
		w.log.Warn("cannot record router in the fleet view", zap.Error(err))
	}
}
