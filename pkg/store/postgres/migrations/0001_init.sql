-- Names sort and compare bytewise (COLLATE "C") so keyset pages do not
-- depend on the server's locale. Money is bigint nano-USD.

-- One row: the global revision. Writers bump it as their last statement
-- before COMMIT, so its row lock orders them (see tx.go).
CREATE TABLE revision (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    value     bigint  NOT NULL
);

-- One row: change rows at or below pruned_through have been deleted.
CREATE TABLE change_floor (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pruned_through bigint  NOT NULL
);

-- kind holds store.EntityKind; key a name, or a token's decimal id.
CREATE TABLE changes (
    revision bigint   NOT NULL,
    kind     smallint NOT NULL,
    key      text COLLATE "C" NOT NULL,
    PRIMARY KEY (revision, kind, key)
);

CREATE TABLE groups (
    name        text COLLATE "C" PRIMARY KEY,
    ratio_ppm   bigint NOT NULL CHECK (ratio_ppm >= 0),
    description text   NOT NULL DEFAULT '',
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    name            text COLLATE "C" PRIMARY KEY,
    group_name      text COLLATE "C" NOT NULL REFERENCES groups (name),
    role            smallint NOT NULL,
    status          smallint NOT NULL,
    quota_nano_usd  bigint,
    used_nano_usd   bigint NOT NULL DEFAULT 0,
    rpm             bigint,
    tpm             bigint,
    max_concurrency bigint,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_group_idx ON users (group_name);

-- No ON DELETE CASCADE: deleting a user deletes its tokens explicitly so
-- that each leaves a tombstone in the change log.
CREATE TABLE tokens (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_name       text COLLATE "C" NOT NULL REFERENCES users (name),
    name            text COLLATE "C" NOT NULL,
    digest          bytea  NOT NULL UNIQUE,
    prefix          text   NOT NULL DEFAULT '',
    last4           text   NOT NULL DEFAULT '',
    models          text[] NOT NULL DEFAULT '{}',
    quota_nano_usd  bigint,
    used_nano_usd   bigint NOT NULL DEFAULT 0,
    rpm             bigint,
    tpm             bigint,
    max_concurrency bigint,
    expire_time     timestamptz,
    status          smallint NOT NULL,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_name, name)
);

CREATE TABLE channels (
    name                  text COLLATE "C" PRIMARY KEY,
    type                  smallint NOT NULL,
    base_url              text     NOT NULL,
    models                text[]   NOT NULL DEFAULT '{}',
    model_map             jsonb    NOT NULL DEFAULT '{}',
    groups                text[]   NOT NULL DEFAULT '{}',
    priority              integer  NOT NULL DEFAULT 0,
    weight                integer  NOT NULL DEFAULT 0,
    cost_ratio_ppm        bigint CHECK (cost_ratio_ppm >= 0),
    rpm                   bigint,
    tpm                   bigint,
    max_concurrency       bigint,
    status                smallint NOT NULL,
    connect_timeout_ns    bigint,
    first_byte_timeout_ns bigint,
    idle_timeout_ns       bigint,
    total_timeout_ns      bigint,
    api_version           text NOT NULL DEFAULT '',
    project               text NOT NULL DEFAULT '',
    location              text NOT NULL DEFAULT '',
    create_time           timestamptz NOT NULL DEFAULT now(),
    update_time           timestamptz NOT NULL DEFAULT now()
);

-- Upstream keys, AES-GCM sealed by control; position keeps their order.
CREATE TABLE channel_keys (
    channel_name text COLLATE "C" NOT NULL REFERENCES channels (name) ON DELETE CASCADE,
    id           text COLLATE "C" NOT NULL,
    position     integer NOT NULL,
    sealed       bytea   NOT NULL,
    masked       text    NOT NULL DEFAULT '',
    PRIMARY KEY (channel_name, id)
);

-- Prices in nano-USD per 1M tokens; NULL optional prices take their defaults.
CREATE TABLE models (
    name                  text COLLATE "C" PRIMARY KEY,
    input_nano_usd        bigint NOT NULL CHECK (input_nano_usd >= 0),
    output_nano_usd       bigint NOT NULL CHECK (output_nano_usd >= 0),
    cache_read_nano_usd   bigint CHECK (cache_read_nano_usd >= 0),
    cache_write_nano_usd  bigint CHECK (cache_write_nano_usd >= 0),
    reasoning_nano_usd    bigint CHECK (reasoning_nano_usd >= 0),
    audio_input_nano_usd  bigint CHECK (audio_input_nano_usd >= 0),
    audio_output_nano_usd bigint CHECK (audio_output_nano_usd >= 0),
    image_input_nano_usd  bigint CHECK (image_input_nano_usd >= 0),
    request_fee_nano_usd  bigint CHECK (request_fee_nano_usd >= 0),
    max_output_tokens     bigint NOT NULL DEFAULT 0,
    -- [{"above_input_tokens": n, "price": {same fields as the columns}}]
    tiers                 jsonb  NOT NULL DEFAULT '[]',
    create_time           timestamptz NOT NULL DEFAULT now(),
    update_time           timestamptz NOT NULL DEFAULT now()
);

-- One row per settled usage event, the guard of exactly-once settlement.
-- It keeps names rather than references: money records outlive the users
-- and tokens they were charged to.
CREATE TABLE ledger (
    event_id               text COLLATE "C" PRIMARY KEY,
    time                   timestamptz NOT NULL,
    user_name              text COLLATE "C" NOT NULL,
    token_name             text COLLATE "C" NOT NULL,
    token_id               bigint NOT NULL,
    model                  text COLLATE "C" NOT NULL,
    channel                text COLLATE "C" NOT NULL,
    cost_nano_usd          bigint NOT NULL,
    upstream_cost_nano_usd bigint NOT NULL,
    settle_time            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_time_idx ON ledger (time, event_id);
CREATE INDEX ledger_user_time_idx ON ledger (user_name, time, event_id);

-- The usage event's fields, never a prompt or a completion.
CREATE TABLE request_logs (
    time                   timestamptz NOT NULL,
    event_id               text COLLATE "C" NOT NULL,
    router_id              text COLLATE "C" NOT NULL,
    user_name              text COLLATE "C" NOT NULL,
    token_name             text COLLATE "C" NOT NULL,
    token_id               bigint   NOT NULL,
    channel                text COLLATE "C" NOT NULL,
    key_id                 text COLLATE "C" NOT NULL,
    requested_model        text COLLATE "C" NOT NULL,
    upstream_model         text COLLATE "C" NOT NULL,
    inbound_protocol       smallint NOT NULL,
    upstream_protocol      smallint NOT NULL,
    operation              text     NOT NULL,
    stream                 boolean  NOT NULL,
    http_status            integer  NOT NULL,
    error_class            text     NOT NULL,
    input_uncached         bigint   NOT NULL,
    input_cache_read       bigint   NOT NULL,
    input_cache_write      bigint   NOT NULL,
    output                 bigint   NOT NULL,
    reasoning              bigint   NOT NULL,
    usage_estimated        boolean  NOT NULL,
    pricing_revision       bigint   NOT NULL,
    cost_nano_usd          bigint   NOT NULL,
    upstream_cost_nano_usd bigint   NOT NULL,
    service_tier           smallint NOT NULL,
    latency_ns             bigint,
    ttft_ns                bigint,
    client_ip              text     NOT NULL,
    attempts               integer  NOT NULL,
    group_name             text COLLATE "C" NOT NULL,
    PRIMARY KEY (time, event_id)
);
CREATE INDEX request_logs_user_idx ON request_logs (user_name, time, event_id);

-- Hourly (UTC) sums per user, requested model and channel; they outlive
-- the request logs.
CREATE TABLE usage_rollups (
    bucket                 timestamptz NOT NULL,
    user_name              text COLLATE "C" NOT NULL,
    model                  text COLLATE "C" NOT NULL,
    channel                text COLLATE "C" NOT NULL,
    requests               bigint NOT NULL,
    input_uncached         bigint NOT NULL,
    input_cache_read       bigint NOT NULL,
    input_cache_write      bigint NOT NULL,
    output                 bigint NOT NULL,
    reasoning              bigint NOT NULL,
    cost_nano_usd          bigint NOT NULL,
    upstream_cost_nano_usd bigint NOT NULL,
    PRIMARY KEY (bucket, user_name, model, channel)
);

-- The fleet view: routers watching a control replica.
CREATE TABLE routers (
    id              text COLLATE "C" PRIMARY KEY,
    version         text        NOT NULL,
    revision        bigint      NOT NULL,
    last_seen_time  timestamptz NOT NULL,
    control_replica text        NOT NULL,
    connected       boolean     NOT NULL
);

-- A new store holds the group "default" at revision 1, so that a holder of
-- revision 0 learns of it through the change log like of anything else.
INSERT INTO groups (name, ratio_ppm) VALUES ('default', 1000000);
INSERT INTO revision (value) VALUES (1);
INSERT INTO change_floor (pruned_through) VALUES (0);
INSERT INTO changes (revision, kind, key) VALUES (1, 3, 'default');
