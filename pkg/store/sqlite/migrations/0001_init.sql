-- SQLite compares text bytewise (BINARY), as the Postgres schema's
-- COLLATE "C" does, so keyset pages agree between the two. Money is INTEGER
-- nano-USD; times are INTEGER Unix nanoseconds (UTC), which order like the
-- times themselves. Lists and maps are JSON text.

-- One row: the global revision, bumped once per write transaction.
CREATE TABLE revision (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    value     INTEGER NOT NULL
);

-- One row: change rows at or below pruned_through have been deleted.
CREATE TABLE change_floor (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    pruned_through INTEGER NOT NULL
);

-- kind holds store.EntityKind; key a name, or a token's decimal id.
CREATE TABLE changes (
    revision INTEGER NOT NULL,
    kind     INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    PRIMARY KEY (revision, kind, key)
) WITHOUT ROWID;

CREATE TABLE groups (
    name        TEXT PRIMARY KEY,
    ratio_ppm   INTEGER NOT NULL CHECK (ratio_ppm >= 0),
    description TEXT    NOT NULL DEFAULT '',
    create_time INTEGER NOT NULL,
    update_time INTEGER NOT NULL
);

CREATE TABLE users (
    name            TEXT PRIMARY KEY,
    group_name      TEXT    NOT NULL REFERENCES groups (name),
    role            INTEGER NOT NULL,
    status          INTEGER NOT NULL,
    quota_nano_usd  INTEGER,
    used_nano_usd   INTEGER NOT NULL DEFAULT 0,
    rpm             INTEGER,
    tpm             INTEGER,
    max_concurrency INTEGER,
    create_time     INTEGER NOT NULL,
    update_time     INTEGER NOT NULL
);
CREATE INDEX users_group_idx ON users (group_name);

-- No ON DELETE CASCADE: deleting a user deletes its tokens explicitly so
-- that each leaves a tombstone. AUTOINCREMENT: an id is never reused, since
-- it keys the token's tombstone.
CREATE TABLE tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name       TEXT    NOT NULL REFERENCES users (name),
    name            TEXT    NOT NULL,
    digest          BLOB    NOT NULL UNIQUE,
    prefix          TEXT    NOT NULL DEFAULT '',
    last4           TEXT    NOT NULL DEFAULT '',
    models          TEXT    NOT NULL DEFAULT '[]',
    quota_nano_usd  INTEGER,
    used_nano_usd   INTEGER NOT NULL DEFAULT 0,
    rpm             INTEGER,
    tpm             INTEGER,
    max_concurrency INTEGER,
    expire_time     INTEGER,
    status          INTEGER NOT NULL,
    create_time     INTEGER NOT NULL,
    update_time     INTEGER NOT NULL,
    UNIQUE (user_name, name)
);

CREATE TABLE channels (
    name                  TEXT PRIMARY KEY,
    type                  INTEGER NOT NULL,
    base_url              TEXT    NOT NULL,
    models                TEXT    NOT NULL DEFAULT '[]',
    model_map             TEXT    NOT NULL DEFAULT '{}',
    groups                TEXT    NOT NULL DEFAULT '[]',
    priority              INTEGER NOT NULL DEFAULT 0,
    weight                INTEGER NOT NULL DEFAULT 0,
    cost_ratio_ppm        INTEGER CHECK (cost_ratio_ppm >= 0),
    rpm                   INTEGER,
    tpm                   INTEGER,
    max_concurrency       INTEGER,
    status                INTEGER NOT NULL,
    connect_timeout_ns    INTEGER,
    first_byte_timeout_ns INTEGER,
    idle_timeout_ns       INTEGER,
    total_timeout_ns      INTEGER,
    api_version           TEXT NOT NULL DEFAULT '',
    project               TEXT NOT NULL DEFAULT '',
    location              TEXT NOT NULL DEFAULT '',
    create_time           INTEGER NOT NULL,
    update_time           INTEGER NOT NULL
);

-- Upstream keys, AES-GCM sealed by control; position keeps their order.
CREATE TABLE channel_keys (
    channel_name TEXT    NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    id           TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    sealed       BLOB    NOT NULL,
    masked       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (channel_name, id)
) WITHOUT ROWID;

-- Prices in nano-USD per 1M tokens; NULL optional prices take their defaults.
CREATE TABLE models (
    name                  TEXT PRIMARY KEY,
    input_nano_usd        INTEGER NOT NULL CHECK (input_nano_usd >= 0),
    output_nano_usd       INTEGER NOT NULL CHECK (output_nano_usd >= 0),
    cache_read_nano_usd   INTEGER CHECK (cache_read_nano_usd >= 0),
    cache_write_nano_usd  INTEGER CHECK (cache_write_nano_usd >= 0),
    reasoning_nano_usd    INTEGER CHECK (reasoning_nano_usd >= 0),
    audio_input_nano_usd  INTEGER CHECK (audio_input_nano_usd >= 0),
    audio_output_nano_usd INTEGER CHECK (audio_output_nano_usd >= 0),
    image_input_nano_usd  INTEGER CHECK (image_input_nano_usd >= 0),
    request_fee_nano_usd  INTEGER CHECK (request_fee_nano_usd >= 0),
    max_output_tokens     INTEGER NOT NULL DEFAULT 0,
    -- [{"above_input_tokens": n, "price": {same fields as the columns}}]
    tiers                 TEXT    NOT NULL DEFAULT '[]',
    create_time           INTEGER NOT NULL,
    update_time           INTEGER NOT NULL
);

-- One row per settled usage event, the guard of exactly-once settlement.
-- Names rather than references: money records outlive the users and tokens
-- they were charged to.
CREATE TABLE ledger (
    event_id               TEXT PRIMARY KEY,
    time                   INTEGER NOT NULL,
    user_name              TEXT    NOT NULL,
    token_name             TEXT    NOT NULL,
    token_id               INTEGER NOT NULL,
    model                  TEXT    NOT NULL,
    channel                TEXT    NOT NULL,
    cost_nano_usd          INTEGER NOT NULL,
    upstream_cost_nano_usd INTEGER NOT NULL,
    settle_time            INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ledger_time_idx ON ledger (time, event_id);
CREATE INDEX ledger_user_time_idx ON ledger (user_name, time, event_id);

-- The usage event's fields, never a prompt or a completion.
CREATE TABLE request_logs (
    time                   INTEGER NOT NULL,
    event_id               TEXT    NOT NULL,
    router_id              TEXT    NOT NULL,
    user_name              TEXT    NOT NULL,
    token_name             TEXT    NOT NULL,
    token_id               INTEGER NOT NULL,
    channel                TEXT    NOT NULL,
    key_id                 TEXT    NOT NULL,
    requested_model        TEXT    NOT NULL,
    upstream_model         TEXT    NOT NULL,
    inbound_protocol       INTEGER NOT NULL,
    upstream_protocol      INTEGER NOT NULL,
    operation              TEXT    NOT NULL,
    stream                 INTEGER NOT NULL,
    http_status            INTEGER NOT NULL,
    error_class            TEXT    NOT NULL,
    input_uncached         INTEGER NOT NULL,
    input_cache_read       INTEGER NOT NULL,
    input_cache_write      INTEGER NOT NULL,
    output                 INTEGER NOT NULL,
    reasoning              INTEGER NOT NULL,
    usage_estimated        INTEGER NOT NULL,
    pricing_revision       INTEGER NOT NULL,
    cost_nano_usd          INTEGER NOT NULL,
    upstream_cost_nano_usd INTEGER NOT NULL,
    service_tier           INTEGER NOT NULL,
    latency_ns             INTEGER,
    ttft_ns                INTEGER,
    client_ip              TEXT    NOT NULL,
    attempts               INTEGER NOT NULL,
    group_name             TEXT    NOT NULL,
    PRIMARY KEY (time, event_id)
) WITHOUT ROWID;
CREATE INDEX request_logs_user_idx ON request_logs (user_name, time, event_id);

-- Hourly (UTC) sums per user, requested model and channel; they outlive
-- the request logs. bucket is the hour's start.
CREATE TABLE usage_rollups (
    bucket                 INTEGER NOT NULL,
    user_name              TEXT    NOT NULL,
    model                  TEXT    NOT NULL,
    channel                TEXT    NOT NULL,
    requests               INTEGER NOT NULL,
    input_uncached         INTEGER NOT NULL,
    input_cache_read       INTEGER NOT NULL,
    input_cache_write      INTEGER NOT NULL,
    output                 INTEGER NOT NULL,
    reasoning              INTEGER NOT NULL,
    cost_nano_usd          INTEGER NOT NULL,
    upstream_cost_nano_usd INTEGER NOT NULL,
    PRIMARY KEY (bucket, user_name, model, channel)
) WITHOUT ROWID;

-- The fleet view: routers watching a control replica.
CREATE TABLE routers (
    id              TEXT PRIMARY KEY,
    version         TEXT    NOT NULL,
    revision        INTEGER NOT NULL,
    last_seen_time  INTEGER NOT NULL,
    control_replica TEXT    NOT NULL,
    connected       INTEGER NOT NULL
);

-- A new store holds the group "default" at revision 1, so that a holder of
-- revision 0 learns of it through the change log like of anything else.
INSERT INTO groups (name, ratio_ppm, create_time, update_time)
VALUES ('default', 1000000, CAST(unixepoch('subsec') * 1000000000 AS INTEGER),
        CAST(unixepoch('subsec') * 1000000000 AS INTEGER));
INSERT INTO revision (singleton, value) VALUES (1, 1);
INSERT INTO change_floor (singleton, pruned_through) VALUES (1, 0);
INSERT INTO changes (revision, kind, key) VALUES (1, 3, 'default');
