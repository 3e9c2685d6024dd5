//! The outbox: the changes of outcome written by [`Store::record`], claimed by workers
//! under a lease, completed once.

use crate::record::parse_outcome;
use crate::{now_ms, Backend, Store, StoreError};
use sqlx::{Any, AnyConnection, Row, Transaction};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use vads::lifecycle::{OrderKey, OrderOutcome};

/// One change of an order's outcome to act on (ship the goods when it is paid, ...),
/// claimed by one worker until its lease ends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboxEntry {
    /// The entry's id (unique, increasing): a key for a side effect outside the database.
    pub id: i64,
    /// The order: its shop, its mode (a TEST order's change is never a PRODUCTION
    /// order's: ship only what the mode says), its id.
    pub key: OrderKey,
    /// Its outcome before (`None`: the order's first event).
    pub from: Option<OrderOutcome>,
    /// Its outcome after.
    pub to: OrderOutcome,
    /// What happened to an installment plan or a subscription's installment, when that
    /// is what changed (`installment 2 paid`, `subscription installment 3 refused`):
    /// act on each once, as on a change of outcome.
    pub note: Option<String>,
    /// How many times it was claimed, this claim included (more than 1: a worker's lease
    /// ended before it completed, perhaps after it did the side effect).
    pub attempts: u32,
    /// When it was written (milliseconds since the Unix epoch).
    pub created_ms: i64,
    token: String,
}

/// A completion in progress: one transaction in which the entry is marked done, and in
/// which the caller may write its own side effect (a shipment row, an e-mail to send):
/// both commit together, or neither. Dropped without [`commit`](Completion::commit):
/// rolled back, the entry stays claimed until its lease ends.
pub struct Completion {
    tx: Transaction<'static, Any>,
}

impl std::fmt::Debug for Completion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Completion").finish_non_exhaustive()
    }
}

impl Completion {
    /// The transaction's connection, for the caller's own statements.
    pub fn connection(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Commits the side effect and the entry's completion together.
    ///
    /// # Errors
    /// The database's errors (nothing committed).
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// A claim token unique to this claim: the worker's label, the process, the time and a
/// counter.
fn token(worker: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let worker: String = worker
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{worker}/{}/{nanos}/{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Claims up to `max` outbox entries that are not done and not claimed (or whose
    /// lease ended), oldest first, for `lease`. Workers on any number of instances never
    /// get the same entry at once (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the
    /// database's write lock). An entry not completed within its lease comes back.
    ///
    /// # Errors
    /// The database's errors; [`StoreError::Corrupt`].
    pub async fn claim(
        &self,
        worker: &str,
        max: u32,
        lease: Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let token = token(worker);
        let now = now_ms();
        let skip_locked = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE vads_outbox SET claim_token = $1, claimed_until_ms = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM vads_outbox WHERE done_ms IS NULL \
             AND (claimed_until_ms IS NULL OR claimed_until_ms <= $3) ORDER BY id LIMIT $4{skip_locked}) \
             RETURNING id, site_id, mode, order_id, from_outcome, to_outcome, attempts, created_ms, note"
        );
        let rows = sqlx::query(&sql)
            .bind(&token)
            .bind(now.saturating_add(ms(lease)))
            .bind(now)
            .bind(i64::from(max))
            .fetch_all(&self.pool)
            .await?;
        let mut entries = rows
            .iter()
            .map(|r| {
                let mode: String = r.try_get(2)?;
                let from: Option<String> = r.try_get(4)?;
                let to: String = r.try_get(5)?;
                let attempts: i64 = r.try_get(6)?;
                Ok(OutboxEntry {
                    id: r.try_get(0)?,
                    key: OrderKey::from_storage(
                        r.try_get::<String, _>(1)?,
                        mode.parse().map_err(|_| StoreError::Corrupt("mode"))?,
                        &r.try_get::<String, _>(3)?,
                    ),
                    from: from.as_deref().map(parse_outcome).transpose()?,
                    to: parse_outcome(&to)?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    created_ms: r.try_get(7)?,
                    note: r.try_get(8)?,
                    token: token.clone(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        entries.sort_by_key(|e| e.id);
        Ok(entries)
    }

    /// Starts completing a claimed entry: in one transaction, marks it done if this claim
    /// still holds it (its row locked until the commit on PostgreSQL), and gives the
    /// transaction for the side effect.
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] when another worker claimed it since (its lease ended) or
    /// it is done: do not do the side effect. The database's errors.
    pub async fn begin_completion(&self, entry: &OutboxEntry) -> Result<Completion, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE vads_outbox SET done_ms = $3 WHERE id = $1 AND claim_token = $2 AND done_ms IS NULL",
        )
        .bind(entry.id)
        .bind(&entry.token)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(StoreError::LeaseLost);
        }
        Ok(Completion { tx })
    }

    /// Marks a claimed entry done (its side effect happened outside the database).
    ///
    /// # Errors
    /// As [`Store::begin_completion`].
    pub async fn complete(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.begin_completion(entry).await?.commit().await
    }

    /// Gives a claimed entry back at once (its side effect failed and should be tried
    /// again soon), instead of waiting for its lease to end. `false` when this claim no
    /// longer held it.
    ///
    /// # Errors
    /// The database's errors.
    pub async fn release(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        let released = sqlx::query(
            "UPDATE vads_outbox SET claim_token = NULL, claimed_until_ms = NULL \
             WHERE id = $1 AND claim_token = $2 AND done_ms IS NULL",
        )
        .bind(entry.id)
        .bind(&entry.token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(released == 1)
    }

    /// How many outbox entries are not done yet (claimed or not).
    ///
    /// # Errors
    /// The database's errors.
    pub async fn outbox_pending(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vads_outbox WHERE done_ms IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
