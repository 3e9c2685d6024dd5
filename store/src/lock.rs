//! The order lock of money operations ([`vads::api::lock::OrderLock`]) on the store's
//! database: one lease row per order in `vads_locks`, keyed by (site id, mode, order id),
//! with a fencing token that grows each time the lock changes hands.
//!
//! Why a lease row rather than PostgreSQL's advisory locks: an advisory lock belongs to a
//! database *session*, so the holder would have to keep one pooled connection for the
//! whole operation (seconds of API calls), and a connection that breaks silently frees
//! the lock while the holder still believes it holds it — with no token to tell it so.
//! A lease row works the same on SQLite and PostgreSQL, needs no connection between
//! calls, ends on its own when its holder crashed, and refuses a stale holder's renewal.
//! Every statement is one atomic upsert or update; times are the database's clock, so
//! instances whose clocks differ agree on when a lease ends.

use crate::{check_key, Backend, Store, StoreError};
use std::time::Duration;
use vads::api::lock::{Lease, LockError, OrderLock};
use vads::lifecycle::OrderKey;

/// The database's clock, in milliseconds since the Unix epoch.
fn now_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
        Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

fn unavailable(e: impl Into<StoreError>) -> LockError {
    LockError::Unavailable(Box::new(e.into()))
}

impl OrderLock for Store {
    async fn try_acquire(
        &self,
        key: &OrderKey,
        holder: &str,
        lease: Duration,
    ) -> Result<Option<Lease>, LockError> {
        check_key(key).map_err(unavailable)?;
        let holder: String = holder
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect();
        let now = now_sql(self.backend);
        let sql = format!(
            "INSERT INTO vads_locks (site_id, mode, order_id, token, holder, until_ms) \
             VALUES ($1, $2, $3, 1, $4, {now} + $5) \
             ON CONFLICT (site_id, mode, order_id) DO UPDATE SET token = vads_locks.token + 1, \
             holder = excluded.holder, until_ms = excluded.until_ms \
             WHERE vads_locks.until_ms <= {now} \
             RETURNING token"
        );
        let token: Option<i64> = sqlx::query_scalar(&sql)
            .bind(key.site_id.as_str())
            .bind(key.mode.as_str())
            .bind(key.storage_id())
            .bind(holder)
            .bind(ms(lease))
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(token.map(|t| Lease::new(key.clone(), u64::try_from(t).unwrap_or(0))))
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<(), LockError> {
        let key = lease.key();
        let sql = format!(
            "UPDATE vads_locks SET until_ms = {} + $5 \
             WHERE site_id = $1 AND mode = $2 AND order_id = $3 AND token = $4",
            now_sql(self.backend)
        );
        let renewed = sqlx::query(&sql)
            .bind(key.site_id.as_str())
            .bind(key.mode.as_str())
            .bind(key.storage_id())
            .bind(i64::try_from(lease.token()).unwrap_or(-1))
            .bind(ms(lease_for))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?
            .rows_affected();
        if renewed == 1 {
            Ok(())
        } else {
            Err(LockError::Lost)
        }
    }

    async fn release(&self, lease: &Lease) -> Result<(), LockError> {
        let key = lease.key();
        // The row stays (its token keeps growing); only its lease ends.
        sqlx::query(
            "UPDATE vads_locks SET until_ms = 0 \
             WHERE site_id = $1 AND mode = $2 AND order_id = $3 AND token = $4",
        )
        .bind(key.site_id.as_str())
        .bind(key.mode.as_str())
        .bind(key.storage_id())
        .bind(i64::try_from(lease.token()).unwrap_or(-1))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}
