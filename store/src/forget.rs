//! Forgetting one mode's data on purpose, and the store's own log.
//!
//! A store that recorded TEST orders needs no purge to go live: orders and events are
//! keyed by (site id, mode, ...), so PRODUCTION never reads a TEST row. Some operators
//! still want the TEST history gone (one go-live list says to delete all test data);
//! [`Store::forget_mode`] does it explicitly, for one shop and one mode, in one
//! transaction, and writes what it removed to `vads_store_log`.

use crate::{now_ms, Store, StoreError, MAX_SITE_ID_LEN};
use sqlx::Row;
use vads::Mode;

/// What [`Store::forget_mode`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Forgotten {
    /// Orders removed.
    pub orders: u64,
    /// Events removed.
    pub events: u64,
    /// Conflicting events kept aside, removed.
    pub conflicts: u64,
    /// Outbox entries removed (done or not).
    pub outbox: u64,
}

/// One line of the store's own log (`vads_store_log`): an upgrade, a forgotten mode.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogEntry {
    /// When (milliseconds since the Unix epoch).
    pub at_ms: i64,
    /// `upgrade` or `forget`.
    pub action: String,
    /// The shop it concerned.
    pub site_id: Option<String>,
    /// The mode it concerned (`TEST`, `PRODUCTION`).
    pub mode: Option<String>,
    /// What was done, in a sentence with counts.
    pub detail: String,
}

impl Store {
    /// Removes every order, event, kept conflict and outbox entry of shop `site_id` in
    /// `mode` — nothing of the other mode or of another shop — in one transaction, and
    /// logs it (with the counts) in `vads_store_log`. Never needed to go live: TEST rows
    /// never change PRODUCTION orders. The order locks stay (their tokens must keep
    /// growing).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), vads_store::StoreError> {
    /// use vads::lifecycle::{Expected, OrderKey};
    /// use vads::Mode;
    /// let store = vads_store::Store::open("sqlite::memory:").await?;
    /// let test = OrderKey::new("12345678", Mode::Test, "A-1");
    /// let live = OrderKey::new("12345678", Mode::Production, "A-1");
    /// for key in [&test, &live] {
    ///     store.create_order(key, &Expected { amount: 100, currency: None }).await?;
    /// }
    /// let gone = store.forget_mode("12345678", Mode::Test).await?;
    /// assert_eq!(gone.orders, 1);
    /// assert!(store.order(&test).await?.is_none());
    /// assert!(store.order(&live).await?.is_some());
    /// assert_eq!(store.log(10).await?[0].action, "forget");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`StoreError::NoScope`] for an empty or overlong site id; the database's errors
    /// (nothing removed).
    pub async fn forget_mode(&self, site_id: &str, mode: Mode) -> Result<Forgotten, StoreError> {
        if site_id.is_empty() || site_id.len() > MAX_SITE_ID_LEN {
            return Err(StoreError::NoScope);
        }
        let mut tx = self.pool.begin().await?;
        let mut counts = [0u64; 4];
        for (i, table) in [
            "vads_orders",
            "vads_events",
            "vads_conflicts",
            "vads_outbox",
        ]
        .into_iter()
        .enumerate()
        {
            counts[i] = sqlx::query(&format!(
                "DELETE FROM {table} WHERE site_id = $1 AND mode = $2"
            ))
            .bind(site_id)
            .bind(mode.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        let [orders, events, conflicts, outbox] = counts;
        sqlx::query(
            "INSERT INTO vads_store_log (at_ms, action, site_id, mode, detail) VALUES ($1, 'forget', $2, $3, $4)",
        )
        .bind(now_ms())
        .bind(site_id)
        .bind(mode.as_str())
        .bind(format!(
            "forgot {orders} order(s), {events} event(s), {conflicts} kept conflict(s), {outbox} outbox entr(ies) of this shop and mode"
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Forgotten {
            orders,
            events,
            conflicts,
            outbox,
        })
    }

    /// The newest `limit` lines of the store's own log, newest first.
    ///
    /// # Errors
    /// The database's errors.
    pub async fn log(&self, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at_ms, action, site_id, mode, detail FROM vads_store_log ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LogEntry {
                    at_ms: r.try_get(0)?,
                    action: r.try_get(1)?,
                    site_id: r.try_get(2)?,
                    mode: r.try_get(3)?,
                    detail: r.try_get(4)?,
                })
            })
            .collect()
    }
}
