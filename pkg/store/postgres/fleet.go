package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

func (s *Store) RecordRouter(ctx context.Context, r *adminv1.Router) error {
	seen := time.Now()
	if r.GetLastSeenTime() != nil {
		seen = r.GetLastSeenTime().AsTime()
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO routers (id, version, revision, last_seen_time, control_replica, connected)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, revision = excluded.revision,
			last_seen_time = excluded.last_seen_time, control_replica = excluded.control_replica,
			connected = excluded.connected`,
		r.GetId(), r.GetVersion(), r.GetRevision(), seen, r.GetControlReplica(), r.GetConnected())
	if err != nil {
		return fmt.Errorf("postgres: record router %q: %w", r.GetId(), err)
	}
	return nil
}

func (s *Store) ListRouters(ctx context.Context) ([]*adminv1.Router, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, version, revision, last_seen_time, control_replica, connected
		FROM routers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list routers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*adminv1.Router, error) {
		var (
			r    adminv1.Router
			seen time.Time
		)
		if err := row.Scan(&r.Id, &r.Version, &r.Revision, &seen, &r.ControlReplica, &r.Connected); err != nil {
			return nil, err
		}
		r.LastSeenTime = timeOf(seen)
		return &r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list routers: %w", err)
	}
	return out, nil
}
