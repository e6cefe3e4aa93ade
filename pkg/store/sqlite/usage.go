package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// where builds a conjunction of conditions with positional parameters.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
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
	for _, eq := range []struct{ col, val string }{
		{c.user, f.GetUser()}, {c.token, f.GetToken()}, {c.model, f.GetModel()}, {c.channel, f.GetChannel()},
	} {
		if eq.val != "" {
			w.add(eq.col+" = ?", eq.val)
		}
	}
	if f != nil && f.HttpStatus != nil && c.status != "" {
		w.add(c.status+" = ?", f.GetHttpStatus())
	}
	if f.GetStartTime() != nil {
		w.add(c.time+" >= ?", f.GetStartTime().AsTime().UnixNano())
	}
	if f.GetEndTime() != nil {
		w.add(c.time+" < ?", f.GetEndTime().AsTime().UnixNano())
	}
	return w
}

// afterCursor narrows a newest-first (time, id) listing to after p.After.
func afterCursor(w *where, p store.Page, timeCol, idCol string) error {
	if p.After == "" {
		return nil
	}
	at, id, err := store.ParseEventCursor(p.After)
	if err != nil {
		return err
	}
	w.add("("+timeCol+", "+idCol+") < (?, ?)", at.UnixNano(), id)
	return nil
}

const logCols = `time, event_id, router_id, user_name, token_name, token_id, channel, key_id,
	requested_model, upstream_model, inbound_protocol, upstream_protocol, operation, stream, http_status,
	error_class, input_uncached, input_cache_read, input_cache_write, output, reasoning, usage_estimated,
	pricing_revision, cost_nano_usd, upstream_cost_nano_usd, service_tier, latency_ns, ttft_ns,
	client_ip, attempts, group_name`

func scanLog(row scanner) (*usagev1.UsageEvent, error) {
	var (
		e                      usagev1.UsageEvent
		u                      usagev1.Usage
		at                     int64
		inProto, upProto, tier int32
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
	rows, err := s.r.QueryContext(ctx, "SELECT "+logCols+" FROM request_logs "+w.String()+
		" ORDER BY time DESC, event_id DESC LIMIT ?", append(w.args, store.PageSize(p))...)
	out, err := collect(rows, err, scanLog)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list request logs: %w", err)
	}
	return out, nil
}

func scanLedger(row scanner) (*adminv1.LedgerEntry, error) {
	var (
		e           adminv1.LedgerEntry
		at, settled int64
	)
	if err := row.Scan(&e.EventId, &at, &e.User, &e.Token, &e.Model, &e.CostNanoUsd,
		&e.UpstreamCostNanoUsd, &settled); err != nil {
		return nil, err
	}
	e.Time, e.SettleTime = timeOf(at), timeOf(settled)
	return &e, nil
}

func (s *Store) ListLedger(ctx context.Context, f *adminv1.UsageFilter, p store.Page) ([]*adminv1.LedgerEntry, error) {
	w := filterWhere(f, ledgerColumns)
	if err := afterCursor(w, p, "time", "event_id"); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT event_id, time, user_name, token_name, model, cost_nano_usd,
		upstream_cost_nano_usd, settle_time FROM ledger `+w.String()+
		" ORDER BY time DESC, event_id DESC LIMIT ?", append(w.args, store.PageSize(p))...)
	out, err := collect(rows, err, scanLedger)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list ledger: %w", err)
	}
	return out, nil
}

// hourAligned: nil or on a UTC hour, so rollups answer exactly.
func hourAligned(ts *timestamppb.Timestamp) bool {
	return ts == nil || ts.AsTime().Truncate(time.Hour).Equal(ts.AsTime())
}

var sumCols = []string{"input_uncached", "input_cache_read", "input_cache_write", "output",
	"reasoning", "cost_nano_usd", "upstream_cost_nano_usd"}

func (s *Store) AggregateUsage(ctx context.Context, f *adminv1.UsageFilter, by []adminv1.UsageDimension) ([]*adminv1.UsageAggregate, error) {
	// Rollups answer unless the filter needs a column they do not keep or a
	// time bound inside an hour.
	useRollups := f.GetToken() == "" && (f == nil || f.HttpStatus == nil) &&
		hourAligned(f.GetStartTime()) && hourAligned(f.GetEndTime())
	cols, table, requests := logColumns, "request_logs", "count(*)"
	if useRollups {
		cols, table, requests = rollupColumns, "usage_rollups", "sum(requests)"
	}
	exprs := make([]string, 0, len(by))
	for _, d := range by {
		switch d {
		case adminv1.UsageDimension_USAGE_DIMENSION_USER:
			exprs = append(exprs, cols.user)
		case adminv1.UsageDimension_USAGE_DIMENSION_MODEL:
			exprs = append(exprs, cols.model)
		case adminv1.UsageDimension_USAGE_DIMENSION_CHANNEL:
			exprs = append(exprs, cols.channel)
		case adminv1.UsageDimension_USAGE_DIMENSION_DAY:
			exprs = append(exprs, "strftime('%Y-%m-%d', "+cols.time+" / 1000000000, 'unixepoch')")
		default:
			return nil, fmt.Errorf("sqlite: unknown usage dimension %v", d)
		}
	}
	var q strings.Builder
	q.WriteString("SELECT ")
	for _, e := range exprs {
		q.WriteString(e + ", ")
	}
	q.WriteString("coalesce(" + requests + ", 0)")
	for _, c := range sumCols {
		q.WriteString(", coalesce(sum(" + c + "), 0)")
	}
	w := filterWhere(f, cols)
	q.WriteString(" FROM " + table + " " + w.String())
	if len(exprs) > 0 {
		list := strings.Join(exprs, ", ")
		q.WriteString(" GROUP BY " + list + " ORDER BY " + list)
	}
	rows, err := s.r.QueryContext(ctx, q.String(), w.args...)
	out, err := collect(rows, err, func(r scanner) (*adminv1.UsageAggregate, error) {
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
		return nil, fmt.Errorf("sqlite: aggregate usage: %w", err)
	}
	return out, nil
}

// deleteLogsBatch bounds each delete, a transaction of its own, so that a
// settlement waiting for the single writer never waits long.
const deleteLogsBatch = 5000

func (s *Store) DeleteRequestLogsBefore(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	for {
		n, err := affected(s.w.ExecContext(ctx, `DELETE FROM request_logs WHERE (time, event_id) IN (
			SELECT time, event_id FROM request_logs WHERE time < ? ORDER BY time LIMIT ?)`,
			t.UnixNano(), deleteLogsBatch))
		if err != nil {
			return total, fmt.Errorf("sqlite: delete request logs: %w", err)
		}
		total += n
		if n < deleteLogsBatch {
			return total, nil
		}
	}
}
