package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// where builds a conjunction of conditions; "?" in a condition becomes
// the next positional parameter.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(w.conds, " AND ")
}

// columns names a usage table's columns for the filter's fields; an empty
// name means the table cannot filter on it.
type columns struct{ time, user, token, model, channel, status string }

var (
	logColumns    = columns{"time", "user_name", "token_name", "requested_model", "channel", "http_status"}
	ledgerColumns = columns{"time", "user_name", "token_name", "model", "channel", ""}
	rollupColumns = columns{"bucket", "user_name", "", "model", "channel", ""}
)

func filterWhere(f *adminv1.UsageFilter, c columns) *where {
	w := &where{}
	if f == nil {
		return w
	}
	for _, eq := range []struct{ col, val string }{
		{c.user, f.GetUser()}, {c.token, f.GetToken()}, {c.model, f.GetModel()}, {c.channel, f.GetChannel()},
	} {
		if eq.val != "" {
			w.add(eq.col+" = ?", eq.val)
		}
	}
	if f.HttpStatus != nil && c.status != "" {
		w.add(c.status+" = ?", f.GetHttpStatus())
	}
	if f.GetStartTime() != nil {
		w.add(c.time+" >= ?", f.GetStartTime().AsTime())
	}
	if f.GetEndTime() != nil {
		w.add(c.time+" < ?", f.GetEndTime().AsTime())
	}
	return w
}

// afterCursor narrows a newest-first (time, id) listing to after p.After.
func afterCursor(w *where, p store.Page, timeCol, idCol string) error {
	if p.After == "" {
		return nil
	}
	t, id, err := store.ParseEventCursor(p.After)
	if err != nil {
		return err
	}
	w.add("("+timeCol+", "+idCol+") < (?, ?)", t, id)
	return nil
}

const logCols = `time, event_id, router_id, user_name, token_name, token_id, channel, key_id,
	requested_model, upstream_model, inbound_protocol, upstream_protocol, operation, stream, http_status,
	error_class, input_uncached, input_cache_read, input_cache_write, output, reasoning, usage_estimated,
	pricing_revision, cost_nano_usd, upstream_cost_nano_usd, service_tier, latency_ns, ttft_ns,
	client_ip, attempts, group_name`

func scanLog(row pgx.Row) (*usagev1.UsageEvent, error) {
	var (
		e                      usagev1.UsageEvent
		u                      usagev1.Usage
		at                     time.Time
		inProto, upProto, tier int16
		latency, ttft          *int64
	)
	if err := row.Scan(&at, &e.Id, &e.RouterId, &e.User, &e.Token, &e.TokenId, &e.Channel, &e.KeyId,
		&e.RequestedModel, &e.UpstreamModel, &inProto, &upProto, &e.Operation, &e.Stream, &e.HttpStatus,
		&e.ErrorClass, &u.InputUncached, &u.InputCacheRead, &u.InputCacheWrite, &u.Output, &u.Reasoning,
		&e.UsageEstimated, &e.PricingRevision, &e.CostNanoUsd, &e.UpstreamCostNanoUsd, &tier, &latency, &ttft,
		&e.ClientIp, &e.Attempts, &e.Group); err != nil {
		return nil, err
	}
	e.Time = timeOf(at)
	e.Usage = &u
	e.InboundProtocol, e.UpstreamProtocol = usagev1.Protocol(inProto), usagev1.Protocol(upProto)
	e.ServiceTier = usagev1.ServiceTier(tier)
	e.Latency, e.TimeToFirstToken = durationOf(latency), durationOf(ttft)
	return &e, nil
}

func (s *Store) ListRequestLogs(ctx context.Context, f *adminv1.UsageFilter, p store.Page) ([]*usagev1.UsageEvent, error) {
	w := filterWhere(f, logColumns)
	if err := afterCursor(w, p, "time", "event_id"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT "+logCols+" FROM request_logs "+w.String()+
		" ORDER BY time DESC, event_id DESC LIMIT "+strconv.Itoa(store.PageSize(p)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list request logs: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*usagev1.UsageEvent, error) { return scanLog(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list request logs: %w", err)
	}
	return out, nil
}

func (s *Store) ListLedger(ctx context.Context, f *adminv1.UsageFilter, p store.Page) ([]*adminv1.LedgerEntry, error) {
	w := filterWhere(f, ledgerColumns)
	if err := afterCursor(w, p, "time", "event_id"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT event_id, time, user_name, token_name, model, cost_nano_usd,
		upstream_cost_nano_usd, settle_time FROM ledger `+w.String()+
		" ORDER BY time DESC, event_id DESC LIMIT "+strconv.Itoa(store.PageSize(p)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list ledger: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*adminv1.LedgerEntry, error) {
		var (
			e           adminv1.LedgerEntry
			at, settled time.Time
		)
		if err := r.Scan(&e.EventId, &at, &e.User, &e.Token, &e.Model, &e.CostNanoUsd,
			&e.UpstreamCostNanoUsd, &settled); err != nil {
			return nil, err
		}
		e.Time, e.SettleTime = timeOf(at), timeOf(settled)
		return &e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list ledger: %w", err)
	}
	return out, nil
}

// hourAligned: nil or on a UTC hour, so rollups answer exactly.
func hourAligned(ts *timestamppb.Timestamp) bool {
	return ts == nil || ts.AsTime().Truncate(time.Hour).Equal(ts.AsTime())
}

func (s *Store) AggregateUsage(ctx context.Context, f *adminv1.UsageFilter, by []adminv1.UsageDimension) ([]*adminv1.UsageAggregate, error) {
	// Rollups answer unless the filter needs a column they do not keep or a
	// time bound inside an hour.
	useRollups := f.GetToken() == "" && (f == nil || f.HttpStatus == nil) &&
		hourAligned(f.GetStartTime()) && hourAligned(f.GetEndTime())
	cols, table, requests := logColumns, "request_logs", "count(*)"
	if useRollups {
		cols, table, requests = rollupColumns, "usage_rollups", "sum(requests)"
	}
	var exprs []string
	for _, d := range by {
		switch d {
		case adminv1.UsageDimension_USAGE_DIMENSION_USER:
			exprs = append(exprs, cols.user)
		case adminv1.UsageDimension_USAGE_DIMENSION_MODEL:
			exprs = append(exprs, cols.model)
		case adminv1.UsageDimension_USAGE_DIMENSION_CHANNEL:
			exprs = append(exprs, cols.channel)
		case adminv1.UsageDimension_USAGE_DIMENSION_DAY:
			exprs = append(exprs, "to_char("+cols.time+" AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
		default:
			return nil, fmt.Errorf("postgres: unknown usage dimension %v", d)
		}
	}
	sql := "SELECT "
	for _, e := range exprs {
		sql += e + ", "
	}
	sql += "coalesce(" + requests + ", 0)::bigint"
	for _, c := range []string{"input_uncached", "input_cache_read", "input_cache_write", "output",
		"reasoning", "cost_nano_usd", "upstream_cost_nano_usd"} {
		sql += ", coalesce(sum(" + c + "), 0)::bigint"
	}
	w := filterWhere(f, cols)
	sql += " FROM " + table + " " + w.String()
	if len(exprs) > 0 {
		list := strings.Join(exprs, ", ")
		sql += " GROUP BY " + list + " ORDER BY " + list
	}
	rows, err := s.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: aggregate usage: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*adminv1.UsageAggregate, error) {
		a := &adminv1.UsageAggregate{Usage: &usagev1.Usage{}}
		dims := make([]string, len(by))
		dest := make([]any, 0, len(by)+8)
		for i := range dims {
			dest = append(dest, &dims[i])
		}
		dest = append(dest, &a.Requests, &a.Usage.InputUncached, &a.Usage.InputCacheRead, &a.Usage.InputCacheWrite,
			&a.Usage.Output, &a.Usage.Reasoning, &a.CostNanoUsd, &a.UpstreamCostNanoUsd)
		if err := r.Scan(dest...); err != nil {
			return nil, err
		}
		for i, d := range by {
			switch d {
			case adminv1.UsageDimension_USAGE_DIMENSION_USER:
				a.User = dims[i]
			case adminv1.UsageDimension_USAGE_DIMENSION_MODEL:
				a.Model = dims[i]
			case adminv1.UsageDimension_USAGE_DIMENSION_CHANNEL:
				a.Channel = dims[i]
			case adminv1.UsageDimension_USAGE_DIMENSION_DAY:
				a.Day = dims[i]
			}
		}
		a.MarginNanoUsd = a.CostNanoUsd - a.UpstreamCostNanoUsd
		return a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: aggregate usage: %w", err)
	}
	return out, nil
}

// deleteLogsBatch bounds each delete so settlement never waits on a long one.
const deleteLogsBatch = 5000

func (s *Store) DeleteRequestLogsBefore(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM request_logs WHERE (time, event_id) IN (
			SELECT time, event_id FROM request_logs WHERE time < $1 ORDER BY time LIMIT $2)`, t, deleteLogsBatch)
		if err != nil {
			return total, fmt.Errorf("postgres: delete request logs: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < deleteLogsBatch {
			return total, nil
		}
	}
}
