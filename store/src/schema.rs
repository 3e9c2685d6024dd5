//! The store's schema: embedded migrations, applied in order, recorded in
//! `vads_store_schema` (the store's own table: an application's sqlx migrations never see
//! it).
//!
//! - Version 1: orders, events, conflicts and the outbox keyed by order id alone.
//! - Version 2 ("modes apart"): every key carries the shop and the mode — orders by (site
//!   id, mode, order id), events by (site id, mode, idempotency key) — so that a TEST
//!   event never reaches a PRODUCTION order; the order locks of money operations
//!   (`vads_locks`); the store's own log (`vads_store_log`). A version-1 database is
//!   upgraded by copying every row into the new tables under the shop and mode the
//!   operator names ([`crate::StoreOptions::legacy_scope`]): a version-1 store could not
//!   tell TEST from PRODUCTION, so the store does not guess. An empty one needs nothing.
//! - Version 3: an outbox entry's `note` (what happened to an installment of a plan or of
//!   a subscription, when that is what changed).

use crate::{Backend, Store, StoreError};
use sqlx::AnyConnection;
use vads::Mode;

/// The schema version this build writes.
pub(crate) const VERSION: i64 = 3;

const INIT: (&str, &str) = (
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/postgres/0001_init.sql"),
);
const MODES_APART: (&str, &str) = (
    include_str!("../migrations/sqlite/0002_modes_apart.sql"),
    include_str!("../migrations/postgres/0002_modes_apart.sql"),
);
const SWAP: (&str, &str) = (
    include_str!("../migrations/sqlite/0002_swap.sql"),
    include_str!("../migrations/postgres/0002_swap.sql"),
);

/// The version-1 tables and the columns copied from each (after the site id and mode).
const COPIED: [(&str, &str); 4] = [
    (
        "vads_orders",
        "order_id, expected_amount, expected_currency, outcome, paid, refunded, currency, state, \
         events, event_count, conflicts, created_ms, updated_ms",
    ),
    (
        "vads_events",
        "idempotency_key, order_id, facts_hash, event, source, recorded_ms",
    ),
    (
        "vads_conflicts",
        "idempotency_key, facts_hash, order_id, event, source, recorded_ms",
    ),
    (
        "vads_outbox",
        "id, order_id, from_outcome, to_outcome, created_ms, attempts, claim_token, claimed_until_ms, done_ms",
    ),
];

/// Runs each statement of a migration's text (they hold no `;` but between statements: a
/// prepared statement holds one).
async fn run(
    conn: &mut AnyConnection,
    backend: Backend,
    text: (&str, &str),
) -> Result<(), StoreError> {
    let text = match backend {
        Backend::Sqlite => text.0,
        Backend::Postgres => text.1,
    };
    for statement in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Creates or upgrades the schema, in one transaction. On PostgreSQL an advisory lock
/// makes instances that start together wait for each other.
pub(crate) async fn migrate(
    store: &Store,
    legacy_scope: Option<&(String, Mode)>,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await?;
    if store.backend == Backend::Postgres {
        // "vads" in ASCII: one lock id for the store's migrations.
        sqlx::query("SELECT pg_advisory_xact_lock(1986094195)")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS vads_store_schema (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM vads_store_schema")
        .fetch_one(&mut *tx)
        .await?;
    let current = current.unwrap_or(0);
    if current > VERSION {
        return Err(StoreError::Corrupt(
            "schema (written by a newer vads-store)",
        ));
    }
    if current < 1 {
        run(&mut tx, store.backend, INIT).await?;
        mark(&mut tx, 1).await?;
    }
    if current < 2 {
        modes_apart(&mut tx, store.backend, legacy_scope).await?;
        mark(&mut tx, 2).await?;
    }
    if current < 3 {
        // Version 3: an outbox entry may say what happened to an installment.
        sqlx::query("ALTER TABLE vads_outbox ADD COLUMN note TEXT")
            .execute(&mut *tx)
            .await?;
        mark(&mut tx, 3).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn mark(conn: &mut AnyConnection, version: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO vads_store_schema (version, applied_ms) VALUES ($1, $2)")
        .bind(version)
        .bind(crate::now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Version 2: the keys carry the site id and the mode. Every version-1 row is copied
/// under `legacy_scope`; rows and no scope: [`StoreError::LegacyScopeNeeded`], nothing
/// changed.
async fn modes_apart(
    conn: &mut AnyConnection,
    backend: Backend,
    legacy_scope: Option<&(String, Mode)>,
) -> Result<(), StoreError> {
    let mut rows = 0i64;
    for (table, _) in COPIED {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *conn)
            .await?;
        rows += n;
    }
    if rows > 0 && legacy_scope.is_none() {
        return Err(StoreError::LegacyScopeNeeded);
    }
    run(conn, backend, MODES_APART).await?;
    if let Some((site_id, mode)) = legacy_scope.filter(|_| rows > 0) {
        for (table, columns) in COPIED {
            sqlx::query(&format!(
                "INSERT INTO {table}_next (site_id, mode, {columns}) SELECT $1, $2, {columns} FROM {table}"
            ))
            .bind(site_id.as_str())
            .bind(mode.as_str())
            .execute(&mut *conn)
            .await?;
        }
        if backend == Backend::Postgres {
            // The copied ids were given explicitly: the identity goes on after them.
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('vads_outbox_next', 'id'), \
                 GREATEST((SELECT MAX(id) FROM vads_outbox_next), 1))",
            )
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query(
            "INSERT INTO vads_store_log (at_ms, action, site_id, mode, detail) VALUES ($1, 'upgrade', $2, $3, $4)",
        )
        .bind(crate::now_ms())
        .bind(site_id.as_str())
        .bind(mode.as_str())
        .bind(format!(
            "schema 2: {rows} row(s) written before modes were kept apart assigned to this shop and mode"
        ))
        .execute(&mut *conn)
        .await?;
    }
    run(conn, backend, SWAP).await?;
    Ok(())
}
