// Package limits enforces the per-request limits of the router: RPM, TPM
// and concurrency per token, per user and per user and model, quota
// reservations against the token's and the user's balance, and per-channel
// admission for each upstream attempt.
//
// # One round trip
//
// Admit runs one Lua script (EVALSHA, falling back to EVAL when Redis lost
// its script cache) that checks every counter and both quotas and then
// either counts and reserves everything or nothing. A user's state lives in
// two keys that share the hash tag {user}: a hash with every counter of the
// user, the user's tokens and the user's models, and a sorted set of the
// admissions in flight scored by their expiry. Tokens belong to one user,
// so the tag keeps everything a request touches in one Redis Cluster slot.
// The script takes the time from Redis (TIME), so routers with skewed
// clocks still share windows.
//
// # Windows
//
// RPM and TPM use a sliding window approximated by two fixed windows of
// Config.Window (one minute by default; tests shorten it): the count is
// previous × (1 − elapsed/Window) + current. Within one window the limit
// holds exactly; a burst at a window boundary is smoothed instead of
// doubled. TPM counts the estimate (input upper bound plus maximum output)
// at admission and is corrected by the actual tokens at Finish. A request
// whose estimate alone exceeds the TPM limit is charged at the limit so it
// can pass when the window is empty, rather than never.
//
// # Quota and settled spend
//
// The snapshot's used_nano_usd (U) lags the true spend (T) by the billing
// pipeline and carries no settlement watermark. Redis keeps, per user and
// per token with a quota, S (spend known to the routers) and B (the newest
// U any router has shown, with its revision). Every Finish adds its actual
// cost to S; the first router to see a newer revision raises S to its U
// when U is higher (spend no router recorded), or restarts S from U when U
// fell (an administrator reset the usage). Admission requires
//
//	max(S, B) + reserved + estimate ≤ quota
//
// Both S and B are at most T: U contains only settled requests, and S
// starts from a U and adds each finished request once, so nothing is ever
// counted twice. Spend that routers finished but billing has not settled
// is in S, so it counts at once on every router. The keys live for
// Config.StateTTL after the last request; a user idle that long has no
// unsettled spend, so S restarts exactly.
//
// Under-count happens only when a finished request's cost did not reach S
// (Redis lost its data, was unreachable at Finish, or the router died
// between the answer and Finish) and then only until billing settles it
// into U: it is at most the spend unsettled at that moment. With Redis up
// and no such fault, overspend is bounded by the in-flight requests' actual
// cost minus their estimate; with one request admitted, by that request's
// actual-minus-estimate. Money stays exact in Lua (IEEE doubles) while
// every amount is below 2^53 nano-USD (about 9 million USD); larger quotas
// are treated as unlimited.
//
// Reservations are released by Finish (replaced by the actual cost) and by
// Release (no cost), on any router, at most once. While held, the limiter
// (its Run loop) renews them every ReservationTTL/3; a router that dies
// stops renewing and its reservations and concurrency slots expire after
// ReservationTTL. An admission held longer than MaxHold in a live router
// is released as abandoned.
//
// # Without Redis
//
// A call that fails or exceeds Config.CallTimeout switches the limiter to
// degraded: one log line, burncloud_limits_degraded = 1, and local
// decisions until a probe reaches Redis again. Each limit kind falls back
// as configured: local (the default), open (not enforced) or closed
// (refused with 503). Local rate and concurrency limits are the shared
// limit divided by Config.FleetSize. Local quota uses the same max(S, B)
// rule over this router's own spend, plus a lease: the router's own spend
// in the last SettleLag and its own reservations stay below Config.Lease
// per user and per token. While billing settles within SettleLag, the
// spend no router sees is at most FleetSize × Lease, which bounds the
// overspend while degraded (plus Redis's unsettled spend at the moment it
// went away). Settlements that could not reach Redis are queued and sent
// when it returns, then shared limits resume; requests admitted locally
// finish locally, so for as long as they run the shared concurrency
// counts miss them. A queued settlement whose reservation expired in the
// meantime releases nothing twice and its spend waits for billing. Without
// a Redis client at all (one process), the local limiter is authoritative
// and has no lease.
//
// # Rate headers
//
// An admission reports the tightest RPM and the tightest TPM limit it
// counted against among the token, user and user-model scopes (Rate): the
// script returns them with its answer, so the x-ratelimit-* response
// headers cost no extra round trip. Remaining is what the sliding window
// still admits; Reset is when everything counted so far has left it, up to
// two windows away.
//
// # Channels
//
// Channel limits are admission per upstream attempt and must not add a
// round trip to every failover, so they are local to each router: the
// channel's limit divided by FleetSize. On top of them each router learns
// a concurrency limit per channel from the provider's pushback (upstream
// 429s, and x-ratelimit-* / anthropic-ratelimit-* headers showing the
// provider's budget nearly spent), with AIMD: see adaptive.go and
// ObserveUpstream.
package limits
