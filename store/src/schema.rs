//! The store's schema: embedded migrations, applied in order, recorded in
//! `vads_store_schema` (the store's own table: an application's sqlx migrations never see
//! it).

use crate::{Backend, Store, StoreError};

/// The migrations, in order: (version, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/postgres/0001_init.sql"),
)];

/// The schema version this build writes.
pub(crate) const VERSION: i64 = 1;

/// Creates or upgrades the schema, in one transaction. On PostgreSQL an advisory lock
/// makes instances that start together wait for each other.
pub(crate) async fn migrate(store: &Store) -> Result<(), StoreError> {
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
    for &(version, sqlite, postgres) in MIGRATIONS {
        if version <= current {
            continue;
        }
        let text = match store.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        // One statement at a time (the migrations hold no `;` but between statements):
        // a prepared statement holds one.
        for statement in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO vads_store_schema (version, applied_ms) VALUES ($1, $2)")
            .bind(version)
            .bind(crate::now_ms())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
