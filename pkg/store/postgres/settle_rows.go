package postgres

import (
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

// settleSQL inserts the ledger rows of a batch and, for the rows that were
// new, the request logs, in one statement; the batch travels once, as one
// array per request_logs column. It returns the ids that were new.
// input is referenced twice, so it is materialized once, in array order
// (sorted by id: the ledger's lock order).
const settleSQL = `
WITH input AS (
	SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
		$7::text[], $8::text[], $9::text[], $10::text[], $11::smallint[], $12::smallint[], $13::text[],
		$14::boolean[], $15::integer[], $16::text[], $17::bigint[], $18::bigint[], $19::bigint[], $20::bigint[],
		$21::bigint[], $22::boolean[], $23::bigint[], $24::bigint[], $25::bigint[], $26::smallint[],
		$27::bigint[], $28::bigint[], $29::text[], $30::integer[], $31::text[])
	AS i(time, event_id, router_id, user_name, token_name, token_id, channel, key_id,
		requested_model, upstream_model, inbound_protocol, upstream_protocol, operation, stream, http_status,
		error_class, input_uncached, input_cache_read, input_cache_write, output, reasoning, usage_estimated,
		pricing_revision, cost_nano_usd, upstream_cost_nano_usd, service_tier, latency_ns, ttft_ns,
		client_ip, attempts, group_name)
), new AS (
	INSERT INTO ledger (event_id, time, user_name, token_name, token_id, model, channel,
		cost_nano_usd, upstream_cost_nano_usd)
	SELECT event_id, time, user_name, token_name, token_id, requested_model, channel,
		cost_nano_usd, upstream_cost_nano_usd
	FROM input
	ON CONFLICT (event_id) DO NOTHING
	RETURNING event_id
), logs AS (
	INSERT INTO request_logs (` + logCols + `)
	SELECT ` + logCols + ` FROM input JOIN new USING (event_id)
)
SELECT event_id FROM new`

// settleArgs is the batch as one array per request_logs column, in the
// order of logCols.
func settleArgs(evs []*usagev1.UsageEvent) []any {
	n := len(evs)
	var (
		times                                             = make([]time.Time, n)
		ids, routers, users, tokens, channels, keyIDs     = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		reqModels, upModels, ops, errClasses, ips, groups = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		tokenIDs, uncached, cacheRead, cacheWrite, out    = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		reas, pricingRev, costs, upCosts                  = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		inProto, upProto, tiers                           = make([]int16, n), make([]int16, n), make([]int16, n)
		streams, estimated                                = make([]bool, n), make([]bool, n)
		statuses, attempts                                = make([]int32, n), make([]int32, n)
		latency, ttft                                     = make([]*int64, n), make([]*int64, n)
	)
	for i, e := range evs {
		u := e.GetUsage()
		times[i] = e.GetTime().AsTime()
		ids[i], routers[i], users[i], tokens[i], channels[i], keyIDs[i] =
			e.GetId(), e.GetRouterId(), e.GetUser(), e.GetToken(), e.GetChannel(), e.GetKeyId()
		reqModels[i], upModels[i], ops[i], errClasses[i], ips[i], groups[i] =
			e.GetRequestedModel(), e.GetUpstreamModel(), e.GetOperation(), e.GetErrorClass(), e.GetClientIp(), e.GetGroup()
		tokenIDs[i], uncached[i], cacheRead[i], cacheWrite[i], out[i], reas[i] =
			e.GetTokenId(), u.GetInputUncached(), u.GetInputCacheRead(), u.GetInputCacheWrite(), u.GetOutput(), u.GetReasoning()
		pricingRev[i], costs[i], upCosts[i] = e.GetPricingRevision(), e.GetCostNanoUsd(), e.GetUpstreamCostNanoUsd()
		inProto[i], upProto[i], tiers[i] = int16(e.GetInboundProtocol()), int16(e.GetUpstreamProtocol()), int16(e.GetServiceTier())
		streams[i], estimated[i] = e.GetStream(), e.GetUsageEstimated()
		statuses[i], attempts[i] = e.GetHttpStatus(), e.GetAttempts()
		latency[i], ttft[i] = durationNanos(e.GetLatency()), durationNanos(e.GetTimeToFirstToken())
	}
	return []any{times, ids, routers, users, tokens, tokenIDs, channels, keyIDs,
		reqModels, upModels, inProto, upProto, ops, streams, statuses,
		errClasses, uncached, cacheRead, cacheWrite, out, reas, estimated,
		pricingRev, costs, upCosts, tiers, latency, ttft,
		ips, attempts, groups}
}

type rollupKey struct {
	bucket               time.Time
	user, model, channel string
}

type rollupSums struct {
	requests, uncached, cacheRead, cacheWrite, output, reasoning, cost, upCost int64
}

const upsertRollupsSQL = `
INSERT INTO usage_rollups AS r (bucket, user_name, model, channel, requests, input_uncached,
	input_cache_read, input_cache_write, output, reasoning, cost_nano_usd, upstream_cost_nano_usd)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
	$7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
ON CONFLICT (bucket, user_name, model, channel) DO UPDATE SET
	requests = r.requests + excluded.requests,
	input_uncached = r.input_uncached + excluded.input_uncached,
	input_cache_read = r.input_cache_read + excluded.input_cache_read,
	input_cache_write = r.input_cache_write + excluded.input_cache_write,
	output = r.output + excluded.output,
	reasoning = r.reasoning + excluded.reasoning,
	cost_nano_usd = r.cost_nano_usd + excluded.cost_nano_usd,
	upstream_cost_nano_usd = r.upstream_cost_nano_usd + excluded.upstream_cost_nano_usd`

// queueRollups sums the events per UTC hour, user, requested model and
// channel, and queues the upsert in key order (the lock order).
func queueRollups(b *pgx.Batch, evs []*usagev1.UsageEvent) {
	sums := map[rollupKey]*rollupSums{}
	for _, e := range evs {
		k := rollupKey{e.GetTime().AsTime().UTC().Truncate(time.Hour), e.GetUser(), e.GetRequestedModel(), e.GetChannel()}
		s := sums[k]
		if s == nil {
			s = &rollupSums{}
			sums[k] = s
		}
		u := e.GetUsage()
		s.requests++
		s.uncached += u.GetInputUncached()
		s.cacheRead += u.GetInputCacheRead()
		s.cacheWrite += u.GetInputCacheWrite()
		s.output += u.GetOutput()
		s.reasoning += u.GetReasoning()
		s.cost += e.GetCostNanoUsd()
		s.upCost += e.GetUpstreamCostNanoUsd()
	}
	keys := make([]rollupKey, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case !a.bucket.Equal(b.bucket):
			return a.bucket.Before(b.bucket)
		case a.user != b.user:
			return a.user < b.user
		case a.model != b.model:
			return a.model < b.model
		}
		return a.channel < b.channel
	})
	n := len(keys)
	buckets := make([]time.Time, n)
	users, models, channels := make([]string, n), make([]string, n), make([]string, n)
	cols := make([][]int64, 8)
	for i := range cols {
		cols[i] = make([]int64, n)
	}
	for i, k := range keys {
		s := sums[k]
		buckets[i], users[i], models[i], channels[i] = k.bucket, k.user, k.model, k.channel
		for j, v := range [8]int64{s.requests, s.uncached, s.cacheRead, s.cacheWrite, s.output, s.reasoning, s.cost, s.upCost} {
			cols[j][i] = v
		}
	}
	b.Queue(upsertRollupsSQL, buckets, users, models, channels,
		cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7])
}
