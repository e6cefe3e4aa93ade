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

const channelCols = `name, type, base_url, models, model_map, groups, priority, weight, cost_ratio_ppm,
	rpm, tpm, max_concurrency, status, connect_timeout_ns, first_byte_timeout_ns, idle_timeout_ns,
	total_timeout_ns, api_version, project, location, create_time, update_time`

func scanChannel(row pgx.Row) (*adminv1.Channel, error) {
	var (
		c                               adminv1.Channel
		typ, status                     int16
		rpm, tpm, conc                  *int64
		connect, firstByte, idle, total *int64
		created, updated                time.Time
	)
	if err := row.Scan(&c.Name, &typ, &c.BaseUrl, &c.Models, &c.ModelMap, &c.Groups, &c.Priority, &c.Weight,
		&c.CostRatioPpm, &rpm, &tpm, &conc, &status, &connect, &firstByte, &idle, &total,
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

// channelArgs are $1..$20 in the column order of channelCols.
func channelArgs(c *adminv1.Channel) []any {
	rpm, tpm, conc := limitCols(c.GetLimits())
	to := c.GetTimeouts()
	modelMap := c.GetModelMap()
	if modelMap == nil {
		modelMap = map[string]string{}
	}
	return []any{c.GetName(), int16(c.GetType()), c.GetBaseUrl(), orEmpty(c.GetModels()), modelMap,
		orEmpty(c.GetGroups()), c.GetPriority(), c.GetWeight(), c.CostRatioPpm, rpm, tpm, conc,
		int16(c.GetStatus()), durationNanos(to.GetConnect()), durationNanos(to.GetFirstByte()),
		durationNanos(to.GetIdle()), durationNanos(to.GetTotal()),
		c.GetApiVersion(), c.GetProject(), c.GetLocation()}
}

// selectChannels reads channels and their keys, in two queries.
func (t *tx) selectChannels(ctx context.Context, tail string, args ...any) ([]store.Channel, error) {
	rows, err := t.q.Query(ctx, "SELECT "+channelCols+" FROM channels "+tail, args...)
	if err != nil {
		return nil, err
	}
	chans, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*adminv1.Channel, error) { return scanChannel(r) })
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
	rows, err = t.q.Query(ctx, `SELECT channel_name, id, sealed, masked FROM channel_keys
		WHERE channel_name = ANY($1) ORDER BY channel_name, position`, names)
	if err != nil {
		return nil, err
	}
	var (
		name string
		k    store.SealedKey
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &k.ID, &k.Sealed, &k.Masked}, func() error {
		i := byName[name]
		out[i].Keys = append(out[i].Keys, store.SealedKey{ID: k.ID, Sealed: append([]byte(nil), k.Sealed...), Masked: k.Masked})
		out[i].Channel.KeyInfo = append(out[i].Channel.KeyInfo, &adminv1.ChannelKey{Id: k.ID, Masked: k.Masked})
		return nil
	})
	return out, err
}

func (t *tx) getChannel(ctx context.Context, name string) (store.Channel, error) {
	cs, err := t.selectChannels(ctx, "WHERE name = $1", name)
	if err != nil {
		return store.Channel{}, mapErr(err, fmt.Sprintf("channel %q", name), store.ErrNotFound)
	}
	if len(cs) == 0 {
		return store.Channel{}, fmt.Errorf("%w: channel %q", store.ErrNotFound, name)
	}
	return cs[0], nil
}

// sealedKeys is a channel's keys as columns, checked for duplicate ids
// before anything is written, so that a refusal leaves the transaction
// usable and unchanged.
type sealedKeys struct {
	ids, masked []string
	sealed      [][]byte
	pos         []int32
}

func keyColumns(name string, keys []store.SealedKey) (sealedKeys, error) {
	k := sealedKeys{
		ids: make([]string, len(keys)), masked: make([]string, len(keys)),
		sealed: make([][]byte, len(keys)), pos: make([]int32, len(keys)),
	}
	seen := make(map[string]bool, len(keys))
	for i, key := range keys {
		if seen[key.ID] {
			return k, fmt.Errorf("%w: channel %q has key id %q twice", store.ErrAlreadyExists, name, key.ID)
		}
		seen[key.ID] = true
		k.ids[i], k.sealed[i], k.masked[i], k.pos[i] = key.ID, key.Sealed, key.Masked, int32(i)
	}
	return k, nil
}

// putKeys replaces the channel's keys.
func (t *tx) putKeys(ctx context.Context, name string, k sealedKeys) error {
	b := &pgx.Batch{}
	b.Queue("DELETE FROM channel_keys WHERE channel_name = $1", name)
	if len(k.ids) > 0 {
		b.Queue(`INSERT INTO channel_keys (channel_name, id, position, sealed, masked)
			SELECT $1, k.id, k.pos, k.sealed, k.masked
			FROM unnest($2::text[], $3::integer[], $4::bytea[], $5::text[]) AS k(id, pos, sealed, masked)`,
			name, k.ids, k.pos, k.sealed, k.masked)
	}
	return t.q.SendBatch(ctx, b).Close()
}

func (t *tx) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	name := c.Channel.GetName()
	what := fmt.Sprintf("channel %q", name)
	keys, err := keyColumns(name, c.Keys)
	if err != nil {
		return store.Channel{}, err
	}
	var created string
	err = t.q.QueryRow(ctx, `
		INSERT INTO channels (name, type, base_url, models, model_map, groups, priority, weight,
			cost_ratio_ppm, rpm, tpm, max_concurrency, status, connect_timeout_ns, first_byte_timeout_ns,
			idle_timeout_ns, total_timeout_ns, api_version, project, location)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (name) DO NOTHING RETURNING name`, channelArgs(c.Channel)...).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Channel{}, fmt.Errorf("%w: %s", store.ErrAlreadyExists, what)
	}
	if err != nil {
		return store.Channel{}, mapErr(err, what, store.ErrNotFound)
	}
	if err := t.putKeys(ctx, name, keys); err != nil {
		return store.Channel{}, mapErr(err, what, store.ErrNotFound)
	}
	t.touch(store.KindChannel, name)
	return t.getChannel(ctx, name)
}

func (t *tx) GetChannel(ctx context.Context, name string) (store.Channel, error) {
	return t.getChannel(ctx, name)
}

func (t *tx) ListChannels(ctx context.Context, p store.Page) ([]store.Channel, error) {
	out, err := t.selectChannels(ctx, "WHERE name > $1 ORDER BY name LIMIT $2", p.After, store.PageSize(p))
	if err != nil {
		return nil, fmt.Errorf("postgres: list channels: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	name := c.Channel.GetName()
	what := fmt.Sprintf("channel %q", name)
	keys, err := keyColumns(name, c.Keys)
	if err != nil {
		return store.Channel{}, err
	}
	tag, err := t.q.Exec(ctx, `
		UPDATE channels SET type = $2, base_url = $3, models = $4, model_map = $5, groups = $6,
			priority = $7, weight = $8, cost_ratio_ppm = $9, rpm = $10, tpm = $11, max_concurrency = $12,
			status = $13, connect_timeout_ns = $14, first_byte_timeout_ns = $15, idle_timeout_ns = $16,
			total_timeout_ns = $17, api_version = $18, project = $19, location = $20, update_time = now()
		WHERE name = $1`, channelArgs(c.Channel)...)
	if err != nil {
		return store.Channel{}, mapErr(err, what, store.ErrNotFound)
	}
	if tag.RowsAffected() == 0 {
		return store.Channel{}, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	if err := t.putKeys(ctx, name, keys); err != nil {
		return store.Channel{}, mapErr(err, what, store.ErrNotFound)
	}
	t.touch(store.KindChannel, name)
	return t.getChannel(ctx, name)
}

func (t *tx) DeleteChannel(ctx context.Context, name string) error {
	tag, err := t.q.Exec(ctx, "DELETE FROM channels WHERE name = $1", name)
	if err != nil {
		return mapErr(err, fmt.Sprintf("channel %q", name), store.ErrInUse)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: channel %q", store.ErrNotFound, name)
	}
	t.touch(store.KindChannel, name)
	return nil
}
