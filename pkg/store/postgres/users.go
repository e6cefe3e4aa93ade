package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

const defaultGroup = "default"

const userCols = `name, group_name, role, status, quota_nano_usd, used_nano_usd,
	rpm, tpm, max_concurrency, create_time, update_time`

func scanUser(row pgx.Row) (*adminv1.User, error) {
	var (
		u                adminv1.User
		role, status     int16
		rpm, tpm, conc   *int64
		created, updated time.Time
	)
	if err := row.Scan(&u.Name, &u.Group, &role, &status, &u.QuotaNanoUsd, &u.UsedNanoUsd,
		&rpm, &tpm, &conc, &created, &updated); err != nil {
		return nil, err
	}
	u.Role = adminv1.Role(role)
	u.Status = adminv1.Status(status)
	u.Limits = limitsOf(rpm, tpm, conc)
	u.CreateTime, u.UpdateTime = timeOf(created), timeOf(updated)
	return &u, nil
}

// selectUsers runs SELECT userCols FROM users <tail>.
func (t *tx) selectUsers(ctx context.Context, tail string, args ...any) ([]*adminv1.User, error) {
	rows, err := t.q.Query(ctx, "SELECT "+userCols+" FROM users "+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*adminv1.User, error) { return scanUser(r) })
}

func userGroup(u *adminv1.User) string {
	if u.GetGroup() == "" {
		return defaultGroup
	}
	return u.GetGroup()
}

func (t *tx) CreateUser(ctx context.Context, u *adminv1.User) (*adminv1.User, error) {
	group := userGroup(u)
	rpm, tpm, conc := limitCols(u.GetLimits())
	out, err := scanUser(t.q.QueryRow(ctx, `
		INSERT INTO users (name, group_name, role, status, quota_nano_usd, rpm, tpm, max_concurrency)
		SELECT $1, $2, $3, $4, $5::bigint, $6::bigint, $7::bigint, $8::bigint
		WHERE EXISTS (SELECT 1 FROM groups WHERE name = $2)
		ON CONFLICT (name) DO NOTHING
		RETURNING `+userCols,
		u.GetName(), group, int16(u.GetRole()), int16(u.GetStatus()), u.QuotaNanoUsd, rpm, tpm, conc))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, t.whyNoUser(ctx, u.GetName(), group, true)
	}
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("user %q", u.GetName()), store.ErrNotFound)
	}
	t.touch(store.KindUser, out.Name)
	return out, nil
}

// whyNoUser explains a user write that matched no row: the user exists
// (create) or not (update), or its group is missing.
func (t *tx) whyNoUser(ctx context.Context, name, group string, creating bool) error {
	userExists, err := t.exists(ctx, "SELECT 1 FROM users WHERE name = $1", name)
	if err != nil {
		return mapErr(err, fmt.Sprintf("user %q", name), store.ErrNotFound)
	}
	switch {
	case creating && userExists:
		return fmt.Errorf("%w: user %q", store.ErrAlreadyExists, name)
	case !creating && !userExists:
		return fmt.Errorf("%w: user %q", store.ErrNotFound, name)
	}
	return fmt.Errorf("%w: group %q of user %q", store.ErrNotFound, group, name)
}

func (t *tx) GetUser(ctx context.Context, name string) (*adminv1.User, error) {
	u, err := scanUser(t.q.QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE name = $1", name))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("user %q", name), store.ErrNotFound)
	}
	return u, nil
}

func (t *tx) ListUsers(ctx context.Context, p store.Page) ([]*adminv1.User, error) {
	out, err := t.selectUsers(ctx, "WHERE name > $1 ORDER BY name LIMIT $2", p.After, store.PageSize(p))
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateUser(ctx context.Context, u *adminv1.User) (*adminv1.User, error) {
	group := userGroup(u)
	rpm, tpm, conc := limitCols(u.GetLimits())
	out, err := scanUser(t.q.QueryRow(ctx, `
		UPDATE users SET group_name = $2, role = $3, status = $4, quota_nano_usd = $5,
			rpm = $6, tpm = $7, max_concurrency = $8, update_time = now()
		WHERE name = $1 AND EXISTS (SELECT 1 FROM groups WHERE name = $2)
		RETURNING `+userCols,
		u.GetName(), group, int16(u.GetRole()), int16(u.GetStatus()), u.QuotaNanoUsd, rpm, tpm, conc))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, t.whyNoUser(ctx, u.GetName(), group, false)
	}
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("user %q", u.GetName()), store.ErrNotFound)
	}
	t.touch(store.KindUser, out.Name)
	return out, nil
}

// DeleteUser locks the user, then its tokens in id order, as Settle does,
// so the two cannot deadlock. Each deleted token leaves a tombstone.
func (t *tx) DeleteUser(ctx context.Context, name string) error {
	b := &pgx.Batch{}
	b.Queue("SELECT 1 FROM users WHERE name = $1 FOR UPDATE", name)
	b.Queue("SELECT id FROM tokens WHERE user_name = $1 ORDER BY id FOR UPDATE", name)
	b.Queue("DELETE FROM tokens WHERE user_name = $1 RETURNING id", name)
	b.Queue("DELETE FROM users WHERE name = $1", name)
	br := t.q.SendBatch(ctx, b)
	defer br.Close()
	what := fmt.Sprintf("user %q", name)
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return mapErr(err, what, store.ErrInUse)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return mapErr(err, what, store.ErrInUse)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return mapErr(err, what, store.ErrInUse)
	}
	tag, err := br.Exec()
	if err != nil {
		return mapErr(err, what, store.ErrInUse)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	for _, id := range ids {
		t.touchToken(id)
	}
	t.touch(store.KindUser, name)
	return nil
}

const groupCols = "name, ratio_ppm, description, create_time, update_time"

func scanGroup(row pgx.Row) (*adminv1.Group, error) {
	var (
		g                adminv1.Group
		created, updated time.Time
		ratio            int64
	)
	if err := row.Scan(&g.Name, &ratio, &g.Description, &created, &updated); err != nil {
		return nil, err
	}
	g.RatioPpm = &ratio
	g.CreateTime, g.UpdateTime = timeOf(created), timeOf(updated)
	return &g, nil
}

// groupComplete refuses a group without a ratio before the database does, so
// the transaction stays usable.
func groupComplete(g *adminv1.Group) error {
	if g.RatioPpm == nil {
		return fmt.Errorf("%w: group %q: ratio_ppm", store.ErrMissingField, g.GetName())
	}
	return nil
}

func (t *tx) selectGroups(ctx context.Context, tail string, args ...any) ([]*adminv1.Group, error) {
	rows, err := t.q.Query(ctx, "SELECT "+groupCols+" FROM groups "+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*adminv1.Group, error) { return scanGroup(r) })
}

func (t *tx) CreateGroup(ctx context.Context, g *adminv1.Group) (*adminv1.Group, error) {
	if err := groupComplete(g); err != nil {
		return nil, err
	}
	out, err := scanGroup(t.q.QueryRow(ctx, `
		INSERT INTO groups (name, ratio_ppm, description) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING RETURNING `+groupCols,
		g.GetName(), g.GetRatioPpm(), g.GetDescription()))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: group %q", store.ErrAlreadyExists, g.GetName())
	}
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("group %q", g.GetName()), store.ErrNotFound)
	}
	t.touch(store.KindGroup, out.Name)
	return out, nil
}

func (t *tx) GetGroup(ctx context.Context, name string) (*adminv1.Group, error) {
	g, err := scanGroup(t.q.QueryRow(ctx, "SELECT "+groupCols+" FROM groups WHERE name = $1", name))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("group %q", name), store.ErrNotFound)
	}
	return g, nil
}

func (t *tx) ListGroups(ctx context.Context, p store.Page) ([]*adminv1.Group, error) {
	out, err := t.selectGroups(ctx, "WHERE name > $1 ORDER BY name LIMIT $2", p.After, store.PageSize(p))
	if err != nil {
		return nil, fmt.Errorf("postgres: list groups: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateGroup(ctx context.Context, g *adminv1.Group) (*adminv1.Group, error) {
	if err := groupComplete(g); err != nil {
		return nil, err
	}
	out, err := scanGroup(t.q.QueryRow(ctx, `
		UPDATE groups SET ratio_ppm = $2, description = $3, update_time = now()
		WHERE name = $1 RETURNING `+groupCols,
		g.GetName(), g.GetRatioPpm(), g.GetDescription()))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("group %q", g.GetName()), store.ErrNotFound)
	}
	t.touch(store.KindGroup, out.Name)
	return out, nil
}

func (t *tx) DeleteGroup(ctx context.Context, name string) error {
	what := fmt.Sprintf("group %q", name)
	tag, err := t.q.Exec(ctx, `DELETE FROM groups WHERE name = $1
		AND NOT EXISTS (SELECT 1 FROM users WHERE group_name = $1)`, name)
	if err != nil {
		return mapErr(err, what, store.ErrInUse)
	}
	if tag.RowsAffected() == 0 {
		found, err := t.exists(ctx, "SELECT 1 FROM groups WHERE name = $1", name)
		if err != nil {
			return mapErr(err, what, store.ErrInUse)
		}
		if found {
			return fmt.Errorf("%w: %s has users", store.ErrInUse, what)
		}
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	t.touch(store.KindGroup, name)
	return nil
}
