package sqlite

import (
	"context"
	"fmt"
	"time"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

// RecordRouter upserts outside the change log: the fleet view is not
// snapshot content.
func (s *Store) RecordRouter(ctx context.Context, r *adminv1.Router) error {
	seen := time.Now().UnixNano()
	if r.GetLastSeenTime() != nil {
		seen = r.GetLastSeenTime().AsTime().UnixNano()
	}
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO routers (id, version, revision, last_seen_time, control_replica, connected)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, revision = excluded.revision,
			last_seen_time = excluded.last_seen_time, control_replica = excluded.control_replica,
			connected = excluded.connected`,
		r.GetId(), r.GetVersion(), r.GetRevision(), seen, r.GetControlReplica(), r.GetConnected())
	if err != nil {
		return fmt.Errorf("sqlite: record router %q: %w", r.GetId(), err)
	}
	return nil
}

func (s *Store) ListRouters(ctx context.Context) ([]*adminv1.Router, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, version, revision, last_seen_time, control_replica, connected
		FROM routers ORDER BY id`)
	out, err := collect(rows, err, func(row scanner) (*adminv1.Router, error) {
		var (
			r    adminv1.Router
			seen int64
		)
		if err := row.Scan(&r.Id, &r.Version, &r.Revision, &seen, &r.ControlReplica, &r.Connected); err != nil {
			return nil, err
		}
		r.LastSeenTime = timeOf(seen)
		return &r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list routers: %w", err)
	}
	return out, nil
}
