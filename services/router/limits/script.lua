-- BurnCloud limits: one script, three operations on one user's keys.
-- KEYS[1] hash of counters, KEYS[2] sorted set of admissions (score: expiry ms).
-- Scopes: token "t<id>", user "u", user-model "m<model>". Hash fields:
--   <scope>:w  "n rc rp kc kp": window number, requests and tokens in the
--              current and the previous window
--   <scope>:c  admissions in flight
--   <level>:q  "S R B V" for the token and the user levels: spend known to
--              the routers, reserved, newest snapshot used seen and its
--              revision
-- A field name is <scope>:<letter> and the letter never contains ':', so
-- names cannot collide. Few fields and few Lua calls per request: the
-- interpreter's work dominates the script's cost.
-- Money goes to Redis through string.format('%d'): Lua prints large
-- numbers in exponent notation.
local H, Z = KEYS[1], KEYS[2]
local tonumber, format, match, byte = tonumber, string.format, string.match, string.byte

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- member: id|ccctpm[n]|est|resToken|resUser|t<id>|m<model>
-- n, after the six flags, is the number of concurrency slots a grant
-- holds (grants admit many requests; see op 'd'); absent, one.
local function parse(m)
  local id, mask, est, rt, ru, ts, ms = match(m, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  if not id then
    return nil
  end
  local c1, c2, c3, t1, t2, t3 = byte(mask, 1, 6)
  return {
    scopes = {ts, 'u', ms},
    conc = {c1 == 49, c2 == 49, c3 == 49},
    tpm = {t1 == 49, t2 == 49, t3 == 49},
    slots = tonumber(string.sub(mask, 7)) or 1,
    flags = string.sub(mask, 1, 6),
    est = tonumber(est),
    res = {tonumber(rt), tonumber(ru)},
  }
end

local function window(v)
  if not v then
    return nil, 0, 0, 0, 0
  end
  local n, rc, rp, kc, kp = match(v, '^(%S+) (%S+) (%S+) (%S+) (%S+)$')
  return tonumber(n), tonumber(rc), tonumber(rp), tonumber(kc), tonumber(kp)
end

local function quotaState(v)
  if not v then
    return nil, 0, nil, nil
  end
  local S, R, B, V = match(v, '^(%S+) (%S+) (%S+) (%S+)$')
  return tonumber(S), tonumber(R), tonumber(B), tonumber(V)
end

local function windowValue(n, rc, rp, kc, kp)
  return format('%d %d %d %d %d', n, rc, rp, kc, kp)
end

local function quotaValue(S, R, B, V)
  return format('%d %d %d %d', S, R, B, V)
end

-- settle undoes an admission (when removed) and records its outcome
-- (when record): spend into S, actual tokens into the TPM window; refund
-- requests counted in RPM but never made leave the window.
local function settle(f, removed, record, cost, tokens, win, refund)
  local delta = tokens - f.est
  local names, kinds = {}, {}
  for i = 1, 3 do
    if removed and f.conc[i] and f.slots ~= 0 then
      names[#names + 1] = f.scopes[i] .. ':c'
      kinds[#names] = i
    end
    if (record and delta ~= 0 and f.tpm[i]) or refund > 0 then
      names[#names + 1] = f.scopes[i] .. ':w'
      kinds[#names] = i
    end
  end
  for j = 1, 2 do
    if (removed and f.res[j] > 0) or (record and cost > 0) then
      names[#names + 1] = f.scopes[j] .. ':q'
      kinds[#names] = j
    end
  end
  if #names == 0 then
    return
  end
  local v = redis.call('HMGET', H, unpack(names))
  local out = {}
  for k, name in ipairs(names) do
    local kind, i = byte(name, -1), kinds[k]
    if kind == 99 then -- c
      out[#out + 1] = name
      out[#out + 1] = format('%d', math.max((tonumber(v[k]) or 0) - f.slots, 0))
    elseif kind == 119 then -- w
      local n, rc, rp, kc, kp = window(v[k])
      local d = 0
      if record and f.tpm[i] then
        d = delta
      end
      if n == win then
        rc, kc = math.max(rc - refund, 0), math.max(kc + d, 0)
      elseif n == win + 1 then
        rp, kp = math.max(rp - refund, 0), math.max(kp + d, 0)
      end
      if n then
        out[#out + 1] = name
        out[#out + 1] = windowValue(n, rc, rp, kc, kp)
      end
    else -- q; levels without a quota keep no state
      local S, R, B, V = quotaState(v[k])
      if S then
        if removed then
          R = math.max(R - f.res[i], 0)
        end
        if record then
          S = S + cost
        end
        out[#out + 1] = name
        out[#out + 1] = quotaValue(S, R, B, V)
      end
    end
  end
  if #out > 0 then
    redis.call('HSET', H, unpack(out))
  end
end

local function purge(now, n)
  local gone = redis.call('ZRANGEBYSCORE', Z, '-inf', format('%d', now), 'LIMIT', 0, n)
  for _, m in ipairs(gone) do
    local f = parse(m)
    if f then
      settle(f, true, false, 0, f.est, 0, 0)
    end
    redis.call('ZREM', Z, m)
  end
end

-- Milliseconds until cost fits under limit, or nil when it fits now.
-- count = prev × weight + cur, the weight falling linearly over the window.
local function wait(prev, cur, cost, limit, W, elapsed, weight)
  cost = math.min(cost, limit)
  if prev * weight + cur + cost <= limit then
    return nil
  end
  if cur + cost <= limit then
    local at = W * (1 - (limit - cur - cost) / prev)
    return math.max(1, math.ceil(at - elapsed))
  end
  local at = W * (1 - (limit - cost) / cur)
  return math.max(1, math.ceil(W - elapsed + at))
end

local op = ARGV[1]

if op == 'a' then
  -- ARGV[2] member, ARGV[3] numbers:
  -- 1 window 2 ttl 3 stateTTL 4 purge 5 est 6 revision
  -- 7 token quota (-1: none) 8 token used 9 user quota 10 user used
  -- 11..19 rpm tpm conc of the token, the user, the user-model
  -- 20 grant: requests asked for (0: none) 21 self: 1 admits the request,
  -- 0 asks for a grant only 22 share: a grant takes at most 1/share of
  -- what any limit has left
  -- ARGV[4] the grant's id
  local m = ARGV[2]
  local f = parse(m)
  local a = {match(ARGV[3], '^' .. string.rep('(%S+) ', 21) .. '(%S+)')}
  if not f or #a ~= 22 then
    return redis.error_reply('limits: malformed admission')
  end
  for i = 1, 22 do
    a[i] = tonumber(a[i])
  end
  local W, est, rev = a[1], a[5], a[6]
  local grant, one, share = a[20], a[21], a[22]
  local now = now_ms()
  purge(now, a[4])

  local scopes = f.scopes
  local quota = {a[7], a[9]}
  local used = {a[8], a[10]}
  local names, at = {}, {}
  for i = 1, 3 do
    if a[8 + 3 * i] > 0 or a[9 + 3 * i] > 0 then
      names[#names + 1] = scopes[i] .. ':w'
      at[i] = #names
    end
    if a[10 + 3 * i] > 0 then
      names[#names + 1] = scopes[i] .. ':c'
      at[3 + i] = #names
    end
  end
  for j = 1, 2 do
    if quota[j] >= 0 then
      names[#names + 1] = scopes[j] .. ':q'
      at[6 + j] = #names
    end
  end
  local v = {}
  if #names > 0 then
    v = redis.call('HMGET', H, unpack(names))
  end

  local n = math.floor(now / W)
  local elapsed = now - n * W
  local weight = (W - elapsed) / W
  local floor = math.floor
  -- First every limit is checked and the grant sized, then counters are
  -- written: a refusal writes nothing.
  local win, cc = {}, {}
  for i = 1, 3 do
    local rpm, tpm, conc = a[8 + 3 * i], a[9 + 3 * i], a[10 + 3 * i]
    if rpm > 0 or tpm > 0 then
      local sn, rc, rp, kc, kp = window(v[at[i]])
      if sn ~= n then
        if sn == n - 1 then
          rp, kp = rc, kc
        else
          rp, kp = 0, 0
        end
        rc, kc = 0, 0
      end
      if rpm > 0 then
        local ms = wait(rp, rc, one, rpm, W, elapsed, weight)
        if ms then
          return {1, 3 * i - 2, ms}
        end
        grant = math.min(grant, floor((rpm - rp * weight - rc - one) / share))
      end
      if tpm > 0 then
        local ms = wait(kp, kc, one * est, tpm, W, elapsed, weight)
        if ms then
          return {1, 3 * i - 1, ms}
        end
        if est > 0 then
          grant = math.min(grant, floor((tpm - kp * weight - kc - one * est) / (share * est)))
        end
      end
      win[i] = {rc, rp, kc, kp}
    end
    if conc > 0 then
      local c = tonumber(v[at[3 + i]]) or 0
      if c + one > conc then
        return {1, 3 * i, 1000}
      end
      grant = math.min(grant, floor((conc - c - one) / share))
      cc[i] = c
    end
  end

  local q = {}
  for j = 1, 2 do
    if quota[j] >= 0 then
      local U = used[j]
      local S, R, B, V = quotaState(v[at[6 + j]])
      if S == nil or rev > V then
        -- A newer snapshot: S rises to its used (spend the routers did
        -- not see), or restarts from it when it fell (a reset).
        if S == nil or U < B or U > S then
          S = U
        end
        B, V = U, rev
      end
      -- B is the newest used any router has shown; a stale router's own
      -- used counts only at the newest revision.
      local seen = math.max(S, B)
      if rev >= V then
        seen = math.max(seen, U)
      end
      local left = quota[j] - seen - R
      if one * f.res[j] > left then
        return {1, 9 + j, format('%d', math.max(left, 0))}
      end
      if f.res[j] > 0 then
        grant = math.min(grant, floor((left - one * f.res[j]) / (share * f.res[j])))
      end
      q[j] = {S, R, B, V, left}
    end
  end
  if grant < 2 then
    grant = 0
  end
  if one == 0 and grant == 0 then
    return {2}
  end

  -- The tightest request and token limit after this admission and its
  -- grant, for the x-ratelimit-* headers: limit, remaining, ms until the
  -- window counts nothing (what is counted now leaves it two windows'
  -- ends from now).
  local rq, tk = {0, 0, 0}, {0, 0, 0}
  local function tighter(best, limit, count)
    local left = math.max(floor(limit - count), 0)
    if best[1] == 0 or left < best[2] or (left == best[2] and limit < best[1]) then
      best[1], best[2], best[3] = limit, left, 2 * W - elapsed
    end
  end
  local reqs, toks = one + grant, (one + grant) * est
  local out = {}
  for i = 1, 3 do
    local rpm, tpm = a[8 + 3 * i], a[9 + 3 * i]
    local w = win[i]
    if w then
      out[#out + 1] = names[at[i]]
      out[#out + 1] = windowValue(n, w[1] + reqs, w[2], w[3] + toks, w[4])
      if rpm > 0 then
        tighter(rq, rpm, w[2] * weight + w[1] + reqs)
      end
      if tpm > 0 then
        tighter(tk, tpm, w[4] * weight + w[3] + toks)
      end
    end
    if cc[i] then
      out[#out + 1] = names[at[3 + i]]
      out[#out + 1] = format('%d', cc[i] + reqs)
    end
  end
  local avail = {-1, -1}
  for j = 1, 2 do
    local s = q[j]
    if s then
      local res = (one + grant) * f.res[j]
      avail[j] = s[5] - res
      out[#out + 1] = names[at[6 + j]]
      out[#out + 1] = quotaValue(s[1], s[2] + res, s[3], s[4])
    end
  end

  if #out > 0 then
    redis.call('HSET', H, unpack(out))
  end
  local expiry = format('%d', now + a[2])
  if one == 1 then
    redis.call('ZADD', Z, expiry, m)
  end
  local gm = ''
  if grant > 0 then
    gm = format('%s|%s%d|%d|%d|%d|%s|%s', ARGV[4], f.flags, grant, grant * est,
      grant * f.res[1], grant * f.res[2], scopes[1], scopes[3])
    redis.call('ZADD', Z, expiry, gm)
  end
  redis.call('PEXPIRE', H, a[3])
  redis.call('PEXPIRE', Z, a[3])
  return {0, format('%d', n), format('%d', avail[1]), format('%d', avail[2]),
    rq[1], rq[2], rq[3], tk[1], tk[2], tk[3], grant, gm}
end

if op == 'd' then
  -- A grant's router reports what its requests did and shrinks what the
  -- grant holds. ARGV[2] the member held, ARGV[3] the member to hold
  -- instead ('' holds nothing more), ARGV[4] "window cost tokens refund":
  -- spend and actual tokens of the requests finished since the last
  -- report, and the requests the grant counted but never admitted.
  local old = parse(ARGV[2])
  local new
  if ARGV[3] ~= '' then
    new = parse(ARGV[3])
  end
  local win, cost, tokens, refund = match(ARGV[4], '^(%S+) (%S+) (%S+) (%S+)$')
  if not old or (ARGV[3] ~= '' and not new) or not refund then
    return redis.error_reply('limits: malformed grant report')
  end
  local score = redis.call('ZSCORE', Z, ARGV[2])
  if not score then
    -- Applied before (a retry) when the new member is held; otherwise
    -- the grant expired and the sweep released it.
    if new and redis.call('ZSCORE', Z, ARGV[3]) then
      return 2
    end
    return 0
  end
  redis.call('ZREM', Z, ARGV[2])
  -- What the grant stops holding is released like an admission of that
  -- size, whose estimate the actual tokens replace.
  local keep = new or {slots = 0, est = 0, res = {0, 0}}
  local released = {
    scopes = old.scopes, conc = old.conc, tpm = old.tpm,
    slots = old.slots - keep.slots, est = old.est - keep.est,
    res = {old.res[1] - keep.res[1], old.res[2] - keep.res[2]},
  }
  settle(released, true, true, tonumber(cost), tonumber(tokens), tonumber(win), tonumber(refund))
  if new then
    redis.call('ZADD', Z, score, ARGV[3])
  end
  return 1
end

if op == 'f' then
  -- ARGV[2] member, ARGV[3] actual cost, ARGV[4] "window tokens first"
  local m = ARGV[2]
  local f = parse(m)
  local win, tokens, first = match(ARGV[4], '^(%S+) (%S+) (%S+)$')
  if not f or not first then
    return redis.error_reply('limits: malformed settlement')
  end
  local removed = redis.call('ZREM', Z, m) == 1
  -- A retried settlement whose admission is gone was applied before.
  settle(f, removed, removed or first == '1', tonumber(ARGV[3]), tonumber(tokens), tonumber(win), 0)
  if removed then
    return 1
  end
  return 0
end

if op == 'r' then
  -- ARGV[2] "ttl stateTTL", ARGV[3..] members still held.
  local ttl, sttl = match(ARGV[2], '^(%S+) (%S+)$')
  local expiry = format('%d', now_ms() + tonumber(ttl))
  for i = 3, #ARGV do
    redis.call('ZADD', Z, 'XX', 'GT', expiry, ARGV[i])
  end
  redis.call('PEXPIRE', H, sttl)
  redis.call('PEXPIRE', Z, sttl)
  return 0
end

return redis.error_reply('limits: unknown operation')
