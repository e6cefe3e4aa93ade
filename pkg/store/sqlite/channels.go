package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

const channelCols = `name, type, base_url, models, model_map, groups, priority, weight, cost_ratio_ppm,
	rpm, tpm, max_concurrency, status, connect_timeout_ns, first_byte_timeout_ns, idle_timeout_ns,
	total_timeout_ns, api_version, project, location, create_time, update_time`

func scanChannel(row scanner) (*adminv1.Channel, error) {
	var (
		c                               adminv1.Channel
		typ, status                     int32
		rpm, tpm, conc                  *int64
		connect, firstByte, idle, total *int64
		created, updated                int64
	)
	if err := row.Scan(&c.Name, &typ, &c.BaseUrl, jsonCol{&c.Models}, jsonCol{&c.ModelMap}, jsonCol{&c.Groups},
		&c.Priority, &c.Weight, &c.CostRatioPpm, &rpm, &tpm, &conc, &status, &connect, &firstByte, &idle, &total,
		&c.ApiVersion, &c.Project, &c.Location, &created, &updated); err != nil {
		return nil, err
	}
	c.Type = adminv1.ChannelType(typ)
	c.Status = adminv1.Status(status)
	c.Limits = limitsOf(rpm, tpm, conc)
	if connect != nil || firstByte != nil || idle != nil || total != nil {
		c.Timeouts = &adminv1.ChannelTimeouts{
			Connect: durationOf(connect), FirstByte: durationOf(firstByte),
			Idle: durationOf(idle), Total: durationOf(total),
		}
	}
	c.CreateTime, c.UpdateTime = timeOf(created), timeOf(updated)
	return &c, nil
}

// channelArgs are ?1..?21: the columns of channelCols up to location, then now.
func (t *tx) channelArgs(c *adminv1.Channel) []any {
	rpm, tpm, conc := limitCols(c.GetLimits())
	to := c.GetTimeouts()
	return []any{c.GetName(), int32(c.GetType()), c.GetBaseUrl(), stringsText(c.GetModels()), mapText(c.GetModelMap()),
		stringsText(c.GetGroups()), c.GetPriority(), c.GetWeight(), c.CostRatioPpm, rpm, tpm, conc,
		int32(c.GetStatus()), durationNanos(to.GetConnect()), durationNanos(to.GetFirstByte()),
		durationNanos(to.GetIdle()), durationNanos(to.GetTotal()),
		c.GetApiVersion(), c.GetProject(), c.GetLocation(), t.now}
}

// selectChannels reads channels and their keys, in two queries.
func (t *tx) selectChannels(ctx context.Context, tail string, args ...any) ([]store.Channel, error) {
	rows, err := t.q.QueryContext(ctx, "SELECT "+channelCols+" FROM channels "+tail, args...)
	chans, err := collect(rows, err, scanChannel)
	if err != nil || len(chans) == 0 {
		return nil, err
	}
	names := make([]string, len(chans))
	byName := make(map[string]int, len(chans))
	out := make([]store.Channel, len(chans))
	for i, c := range chans {
		names[i] = c.Name
		byName[c.Name] = i
		out[i].Channel = c
	}
	rows, err = t.q.QueryContext(ctx, `SELECT channel_name, id, sealed, masked FROM channel_keys
		WHERE channel_name IN (SELECT value FROM json_each(?)) ORDER BY channel_name, position`, stringsText(names))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			name string
			k    store.SealedKey
		)
		if err := rows.Scan(&name, &k.ID, &k.Sealed, &k.Masked); err != nil {
			return nil, err
		}
		i := byName[name]
		out[i].Keys = append(out[i].Keys, k)
		out[i].Channel.KeyInfo = append(out[i].Channel.KeyInfo, &adminv1.ChannelKey{Id: k.ID, Masked: k.Masked})
	}
	return out, rows.Err()
}

func (t *tx) getChannel(ctx context.Context, name string) (store.Channel, error) {
	cs, err := t.selectChannels(ctx, "WHERE name = ?", name)
	if err != nil {
		return store.Channel{}, mapErr(err, fmt.Sprintf("channel %q", name), store.ErrNotFound)
	}
	if len(cs) == 0 {
		return store.Channel{}, fmt.Errorf("%w: channel %q", store.ErrNotFound, name)
	}
	return cs[0], nil
}

// checkKeys refuses duplicate key ids before anything is written, so that
// a refusal leaves the transaction usable and unchanged.
func checkKeys(name string, keys []store.SealedKey) error {
	seen := make(map[string]bool, len(keys))
	for _, key := range keys {
		if seen[key.ID] {
			return fmt.Errorf("%w: channel %q has key id %q twice", store.ErrAlreadyExists, name, key.ID)
		}
		seen[key.ID] = true
	}
	return nil
}

// putKeys replaces the channel's keys.
func (t *tx) putKeys(ctx context.Context, name string, keys []store.SealedKey) error {
	if _, err := t.q.ExecContext(ctx, "DELETE FROM channel_keys WHERE channel_name = ?", name); err != nil {
		return err
	}
	for i, k := range keys {
		sealed := k.Sealed
		if sealed == nil {
			sealed = []byte{}
		}
		if _, err := t.q.ExecContext(ctx, `INSERT INTO channel_keys (channel_name, id, position, sealed, masked)
			VALUES (?, ?, ?, ?, ?)`, name, k.ID, i, sealed, k.Masked); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	name := c.Channel.GetName()
	what := fmt.Sprintf("channel %q", name)
	if err := checkKeys(name, c.Keys); err != nil {
		return store.Channel{}, err
	}
	var created string
	err := t.q.QueryRowContext(ctx, `
		INSERT INTO channels (name, type, base_url, models, model_map, groups, priority, weight,
			cost_ratio_ppm, rpm, tpm, max_concurrency, status, connect_timeout_ns, first_byte_timeout_ns,
			idle_timeout_ns, total_timeout_ns, api_version, project, location, create_time, update_time)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?21)
		ON CONFLICT (name) DO NOTHING RETURNING name`, t.channelArgs(c.Channel)...).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Channel{}, fmt.Errorf("%w: %s", store.ErrAlreadyExists, what)
	}
	if err != nil {
		return store.Channel{}, mapErr(err, what, store.ErrNotFound)
	}
	if err := t.putKeys(ctx, name, c.Keys); err != nil {
		return store.Channel{}, mapErr(err, what, store.ErrNotFound)
	}
	t.touch(store.KindChannel, name)
	return t.getChannel(ctx, name)
}

func (t *tx) GetChannel(ctx context.Context, name string) (store.Channel, error) {
	return t.getChannel(ctx, name)
}

func (t *tx) ListChannels(ctx context.Context, p store.Page) ([]store.Channel, error) {
	out, err := t.selectChannels(ctx, "WHERE name > ? ORDER BY name LIMIT ?", p.After, store.PageSize(p))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list channels: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	name := c.Channel.GetName()
	what := fmt.Sprintf("channel %q", name)
	if err := checkKeys(name, c.Keys); err != nil {
		return store.Channel{}, err
	}
	n, err := affected(t.q.ExecContext(ctx, `
		UPDATE channels SET type = ?2, base_url = ?3, models = ?4, model_map = ?5, groups = ?6,
			priority = ?7, weight = ?8, cost_ratio_ppm = ?9, rpm = ?10, tpm = ?11, max_concurrency = ?12,
			status = ?13, connect_timeout_ns = ?14, first_byte_timeout_ns = ?15, idle_timeout_ns = ?16,
			total_timeout_ns = ?17, api_version = ?18, project = ?19, location = ?20, update_time = ?21
		WHERE name = ?1`, t.channelArgs(c.Channel)...))
	if err != nil {
		return store.Channel{}, mapErr(err, what, store.ErrNotFound)
	}
	if n == 0 {
		return store.Channel{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	if err := t.putKeys(ctx, name, c.Keys); err != nil {
		return store.Channel{}, mapErr(err, what, store.ErrNotFound)
	}
	t.touch(store.KindChannel, name)
	return t.getChannel(ctx, name)
}

func (t *tx) DeleteChannel(ctx context.Context, name string) error {
	n, err := affected(t.q.ExecContext(ctx, "DELETE FROM channels WHERE name = ?", name))
	if err != nil {
		return mapErr(err, fmt.Sprintf("channel %q", name), store.ErrInUse)
	}
	if n == 0 {
		return fmt.Errorf("%w: channel %q", store.ErrNotFound, name)
	}
	t.touch(store.KindChannel, name)
	return nil
}

// affected is the row count of an Exec.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
