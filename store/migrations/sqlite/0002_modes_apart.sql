CREATE TABLE vads_orders_next (
    site_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    order_id TEXT NOT NULL,
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
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (site_id, mode, order_id)
);
CREATE TABLE vads_events_next (
    site_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    order_id TEXT NOT NULL,
    facts_hash TEXT NOT NULL,
    event TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_ms BIGINT NOT NULL,
    PRIMARY KEY (site_id, mode, idempotency_key)
);
CREATE TABLE vads_conflicts_next (
    site_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    facts_hash TEXT NOT NULL,
    order_id TEXT NOT NULL,
    event TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_ms BIGINT NOT NULL,
    PRIMARY KEY (site_id, mode, idempotency_key, facts_hash)
);
CREATE TABLE vads_outbox_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    order_id TEXT NOT NULL,
    from_outcome TEXT,
    to_outcome TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    claim_token TEXT,
    claimed_until_ms BIGINT,
    done_ms BIGINT
);
CREATE TABLE vads_locks (
    site_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    order_id TEXT NOT NULL,
    token BIGINT NOT NULL,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL,
    PRIMARY KEY (site_id, mode, order_id)
);
CREATE TABLE vads_store_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms BIGINT NOT NULL,
    action TEXT NOT NULL,
    site_id TEXT,
    mode TEXT,
    detail TEXT NOT NULL
)
