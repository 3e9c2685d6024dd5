CREATE TABLE vads_orders (
    order_id TEXT PRIMARY KEY,
    expected_amount BIGINT,
    expected_currency TEXT,
    outcome TEXT,
    paid BIGINT NOT NULL DEFAULT 0,
    refunded BIGINT NOT NULL DEFAULT 0,
    currency TEXT,
    state TEXT,
    events TEXT NOT NULL DEFAULT '[]',
    event_count BIGINT NOT NULL DEFAULT 0,
    conflicts BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE TABLE vads_events (
    idempotency_key TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    facts_hash TEXT NOT NULL,
    event TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_ms BIGINT NOT NULL
);
CREATE INDEX vads_events_by_order ON vads_events (order_id);
CREATE TABLE vads_conflicts (
    idempotency_key TEXT NOT NULL,
    facts_hash TEXT NOT NULL,
    order_id TEXT NOT NULL,
    event TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_ms BIGINT NOT NULL,
    PRIMARY KEY (idempotency_key, facts_hash)
);
CREATE TABLE vads_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL,
    from_outcome TEXT,
    to_outcome TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    claim_token TEXT,
    claimed_until_ms BIGINT,
    done_ms BIGINT
);
CREATE INDEX vads_outbox_pending ON vads_outbox (id) WHERE done_ms IS NULL;
CREATE INDEX vads_outbox_by_order ON vads_outbox (order_id);
