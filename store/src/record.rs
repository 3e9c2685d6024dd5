//! Recording events: one transaction that locks the order, inserts what is new,
//! recomputes the state and writes the outbox entry of a change.

use crate::{check_order_id, now_ms, order_of, Backend, Store, StoreError, MAX_EVENTS_PER_ORDER};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use vads::lifecycle::{reconcile, Expected, OrderOutcome, OrderState, TransactionEvent};

/// Where events come from: it decides what a known key with other facts means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source<'a> {
    /// A verified notification; the label says which (`PAY`, `RETRY`, `BO`, `REST`, ...).
    /// Its facts never replace the facts recorded under the same key: a different amount
    /// under a known key is a conflict, kept aside, and the order needs a human.
    Notification(&'a str),
    /// What the platform answered when asked (`Order/Get`, an operation's answer): its
    /// view of the present. Under a known key with other facts (an amount lowered by
    /// `Transaction/Update` keeps the transaction, its status and its operation), the
    /// platform's facts replace the recorded ones.
    PlatformRead(&'a str),
}

impl Source<'_> {
    fn label(&self) -> String {
        let (kind, label) = match self {
            Source::Notification(l) => ("notification", *l),
            Source::PlatformRead(l) => ("platform", *l),
        };
        let label: String = label
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(32)
            .collect();
        format!("{kind}:{label}")
    }
}

/// A change of an order's outcome, written to the outbox in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The outbox entry's id.
    pub outbox_id: i64,
    /// The outcome before (`None`: the order had no event yet).
    pub from: Option<OrderOutcome>,
    /// The outcome now.
    pub to: OrderOutcome,
}

/// What [`Store::record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recorded {
    /// The order.
    pub order_id: String,
    /// Events recorded now (new keys, or a platform's read that replaced facts).
    pub new: usize,
    /// Events recorded before, with the same facts (a retry, a resend, the other format).
    pub replays: usize,
    /// Events under a known key with other facts, from a notification: kept aside, not
    /// counted in the state; the order needs a human.
    pub conflicts: usize,
    /// The order's state after the record.
    pub state: OrderState,
    /// The outcome's change, when there was one (its outbox entry is written).
    pub change: Option<Change>,
}

impl Recorded {
    /// Whether anything was recorded now (answer `Recorded` rather than `Duplicate`).
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.new > 0 || self.conflicts > 0
    }
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredOrder {
    /// The order id.
    pub order_id: String,
    /// What the shop expects it to be paid (`None` for an order first seen in a
    /// notification).
    pub expected: Option<Expected>,
    /// The state reconciled from its events.
    pub state: OrderState,
    /// How many events it has.
    pub events: usize,
    /// How many conflicting events were kept aside.
    pub conflicts: usize,
}

/// One recorded event, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredEvent {
    /// Its idempotency key.
    pub idempotency_key: String,
    /// The event.
    pub event: TransactionEvent,
    /// `notification:PAY`, `platform:ORDER_GET`, ... ([`Source`] and its label).
    pub source: String,
    /// When it was recorded (milliseconds since the Unix epoch).
    pub recorded_ms: i64,
}

/// The hash of an event's facts: what must agree for a second delivery under the same key
/// to be the same event (order, amount, currency). Not the body's bytes: a genuine retry
/// changes `vads_url_check_src`, and the REST twin of a `vads_*` notification has other
/// bytes altogether.
pub(crate) fn facts_hash(e: &TransactionEvent) -> String {
    let mut h = Sha256::new();
    for part in [
        e.order_id.as_deref().unwrap_or(""),
        &e.amount.map(|a| a.to_string()).unwrap_or_default(),
        e.currency.as_deref().unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The order's row, locked for the transaction.
#[derive(Default)]
pub(crate) struct Locked {
    pub(crate) expected: Option<Expected>,
    pub(crate) outcome: Option<String>,
    pub(crate) events: Vec<TransactionEvent>,
    pub(crate) conflicts: i64,
}

fn locked_from(row: &AnyRow) -> Result<Locked, StoreError> {
    locked_from_at(row, 0)
}

/// The order's columns (`expected_amount, expected_currency, outcome, events, conflicts`)
/// read from the row's columns `at..at + 5`.
pub(crate) fn locked_from_at(row: &AnyRow, at: usize) -> Result<Locked, StoreError> {
    let amount: Option<i64> = row.try_get(at)?;
    let currency: Option<String> = row.try_get(at + 1)?;
    let outcome: Option<String> = row.try_get(at + 2)?;
    let events: String = row.try_get(at + 3)?;
    let conflicts: i64 = row.try_get(at + 4)?;
    let expected = amount
        .map(|a| {
            Ok::<_, StoreError>(Expected {
                amount: u64::try_from(a).map_err(|_| StoreError::Corrupt("expected amount"))?,
                currency,
            })
        })
        .transpose()?;
    let events: Vec<TransactionEvent> =
        serde_json::from_str(&events).map_err(|_| StoreError::Corrupt("events of an order"))?;
    Ok(Locked {
        expected,
        outcome,
        events,
        conflicts,
    })
}

/// Locks the order's row (PostgreSQL: a row lock; SQLite: the statement is a write, which
/// takes the database's write lock before it reads) and reads what the recompute needs.
async fn lock(
    conn: &mut AnyConnection,
    backend: Backend,
    order_id: &str,
) -> Result<Option<Locked>, StoreError> {
    const COLUMNS: &str = "expected_amount, expected_currency, outcome, events, conflicts";
    let sql = match backend {
        Backend::Postgres => {
            format!("SELECT {COLUMNS} FROM vads_orders WHERE order_id = $1 FOR UPDATE")
        }
        Backend::Sqlite => format!(
            "UPDATE vads_orders SET updated_ms = updated_ms WHERE order_id = $1 RETURNING {COLUMNS}"
        ),
    };
    let row = sqlx::query(&sql)
        .bind(order_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(locked_from).transpose()
}

/// Locks the order's row, creating it (without an expected amount) when missing, in one
/// statement on both backends: an upsert takes the row's lock (PostgreSQL) or the
/// database's write lock (SQLite) and returns what the recompute needs.
async fn lock_or_create(conn: &mut AnyConnection, order_id: &str) -> Result<Locked, StoreError> {
    let row = sqlx::query(
        "INSERT INTO vads_orders (order_id, created_ms, updated_ms) VALUES ($1, $2, $2) \
         ON CONFLICT (order_id) DO UPDATE SET updated_ms = vads_orders.updated_ms \
         RETURNING expected_amount, expected_currency, outcome, events, conflicts",
    )
    .bind(order_id)
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await?;
    locked_from(&row)
}

/// The state of an order from its events, with what the store knows beside them.
pub(crate) fn state_of(
    order_id: &str,
    events: &[TransactionEvent],
    expected: Option<&Expected>,
    conflicts: i64,
) -> OrderState {
    let mut state = reconcile(events.iter().cloned(), expected);
    state.order_id = Some(order_id.to_owned());
    if conflicts > 0 {
        state.attention.push(format!(
            "{conflicts} notification event(s) carried other facts (amount, currency or order) than the event recorded under the same key: kept aside in vads_conflicts"
        ));
        state.attention.sort();
        state.outcome = OrderOutcome::NeedsAttention;
    }
    state
}

/// An order's state as its row stores it (`outcome, paid, refunded, currency, state`).
pub(crate) struct StateColumns {
    pub(crate) outcome: &'static str,
    pub(crate) paid: i64,
    pub(crate) refunded: i64,
    pub(crate) currency: Option<String>,
    pub(crate) json: String,
}

impl StateColumns {
    pub(crate) fn of(state: &OrderState) -> Result<Self, StoreError> {
        Ok(StateColumns {
            outcome: state.outcome.as_str(),
            paid: i64::try_from(state.paid).unwrap_or(i64::MAX),
            refunded: i64::try_from(state.refunded).unwrap_or(i64::MAX),
            currency: state.currency.clone(),
            json: serde_json::to_string(state).map_err(|_| StoreError::Corrupt("state"))?,
        })
    }
}

/// Writes the recomputed state and, when the outcome changed, its outbox entry.
async fn write_state(
    conn: &mut AnyConnection,
    order_id: &str,
    locked: &Locked,
    state: &OrderState,
) -> Result<Option<Change>, StoreError> {
    let events = serde_json::to_string(&locked.events).map_err(|_| StoreError::Corrupt("event"))?;
    let columns = StateColumns::of(state)?;
    let now = now_ms();
    let to = columns.outcome;
    sqlx::query(
        "UPDATE vads_orders SET outcome = $2, paid = $3, refunded = $4, currency = $5, state = $6, \
         events = $7, event_count = $8, conflicts = $9, updated_ms = $10 WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(to)
    .bind(columns.paid)
    .bind(columns.refunded)
    .bind(columns.currency)
    .bind(columns.json)
    .bind(events)
    .bind(i64::try_from(locked.events.len()).unwrap_or(i64::MAX))
    .bind(locked.conflicts)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if locked.outcome.as_deref() == Some(to) {
        return Ok(None);
    }
    let outbox_id: i64 = sqlx::query_scalar(
        "INSERT INTO vads_outbox (order_id, from_outcome, to_outcome, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(order_id)
    .bind(locked.outcome.clone())
    .bind(to)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let from = locked.outcome.as_deref().map(parse_outcome).transpose()?;
    Ok(Some(Change {
        outbox_id,
        from,
        to: state.outcome,
    }))
}

/// Sets the locked order's expected amount and currency, and recomputes its state when it
/// has events.
async fn expect(
    conn: &mut AnyConnection,
    order_id: &str,
    locked: &mut Locked,
    expected: &Expected,
) -> Result<Option<Change>, StoreError> {
    sqlx::query(
        "UPDATE vads_orders SET expected_amount = $2, expected_currency = $3 WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(i64::try_from(expected.amount).map_err(|_| StoreError::OrderConflict)?)
    .bind(expected.currency.clone())
    .execute(&mut *conn)
    .await?;
    locked.expected = Some(expected.clone());
    if locked.events.is_empty() {
        return Ok(None);
    }
    let state = state_of(order_id, &locked.events, Some(expected), locked.conflicts);
    write_state(conn, order_id, locked, &state).await
}

/// The outcome a stored text names.
pub(crate) fn parse_outcome(text: &str) -> Result<OrderOutcome, StoreError> {
    [
        OrderOutcome::Paid,
        OrderOutcome::PartiallyRefunded,
        OrderOutcome::Refunded,
        OrderOutcome::Verified,
        OrderOutcome::Pending,
        OrderOutcome::Failed,
        OrderOutcome::Cancelled,
        OrderOutcome::NeedsAttention,
    ]
    .into_iter()
    .find(|o| o.as_str() == text)
    .ok_or(StoreError::Corrupt("outcome"))
}

impl Store {
    /// Creates an order with what the shop expects it to be paid, before its payment
    /// starts. Again with the same amount and currency: nothing changes. For an order first
    /// seen in a notification (no expected amount yet), sets it and recomputes the state.
    ///
    /// # Errors
    /// [`StoreError::OrderConflict`] when the order exists with another amount or currency;
    /// [`StoreError::NoOrderId`], [`StoreError::InvalidOrderId`]; the database's errors.
    pub async fn create_order(
        &self,
        order_id: &str,
        expected: &Expected,
    ) -> Result<(), StoreError> {
        check_order_id(order_id)?;
        let amount = i64::try_from(expected.amount).map_err(|_| StoreError::OrderConflict)?;
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO vads_orders (order_id, expected_amount, expected_currency, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (order_id) DO NOTHING",
        )
        .bind(order_id)
        .bind(amount)
        .bind(expected.currency.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            let mut locked = lock(&mut tx, self.backend, order_id)
                .await?
                .ok_or(StoreError::Corrupt("order row"))?;
            match &locked.expected {
                Some(e) if e == expected => {}
                Some(_) => return Err(StoreError::OrderConflict),
                None => {
                    expect(&mut tx, order_id, &mut locked, expected).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Changes what the shop expects an order to be paid (the shop lowered the amount
    /// with `Transaction/Update`, say), and recomputes its state in the same transaction:
    /// an outbox entry when its outcome changes. Returns the change, if any.
    ///
    /// # Errors
    /// [`StoreError::NoOrderId`], [`StoreError::InvalidOrderId`], [`StoreError::OrderConflict`]
    /// for an amount above what the database holds; the database's errors.
    pub async fn set_expected(
        &self,
        order_id: &str,
        expected: &Expected,
    ) -> Result<Option<Change>, StoreError> {
        check_order_id(order_id)?;
        i64::try_from(expected.amount).map_err(|_| StoreError::OrderConflict)?;
        let mut tx = self.pool.begin().await?;
        let mut locked = lock_or_create(&mut tx, order_id).await?;
        let change = expect(&mut tx, order_id, &mut locked, expected).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Records the events of one verified notification (or of one read of the
    /// platform), all of one order, in one transaction: the order's row locked, each event
    /// inserted if its key is new, the state recomputed from all the order's events, and an
    /// outbox entry written when the outcome changed. Concurrent records of the same event
    /// on any number of instances: exactly one sees it new.
    ///
    /// # Errors
    /// [`StoreError::NoEvents`], [`StoreError::NoOrderId`], [`StoreError::MixedOrders`],
    /// [`StoreError::InvalidOrderId`], [`StoreError::TooManyEvents`] (nothing written);
    /// [`StoreError::Unavailable`] (rolled back: answer 500, the platform delivers again);
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn record(
        &self,
        events: &[TransactionEvent],
        source: Source<'_>,
    ) -> Result<Recorded, StoreError> {
        let order_id = order_of(events)?;
        let label = source.label();
        if let ([event], Backend::Postgres) = (events, self.backend) {
            if let Some(recorded) = crate::fast::record(self, order_id, event, &label).await? {
                return Ok(recorded);
            }
        }
        let mut tx = self.pool.begin().await?;
        let mut locked = lock_or_create(&mut tx, order_id).await?;
        let (mut new, mut replays, mut conflicts) = (0, 0, 0);
        let now = now_ms();
        for event in events {
            let key = event.idempotency_key();
            let hash = facts_hash(event);
            let json = serde_json::to_string(event).map_err(|_| StoreError::Corrupt("event"))?;
            let known = locked
                .events
                .iter()
                .position(|e| e.idempotency_key() == key);
            match known {
                Some(i) if facts_hash(&locked.events[i]) == hash => replays += 1,
                Some(i) if matches!(source, Source::PlatformRead(_)) => {
                    sqlx::query(
                        "UPDATE vads_events SET facts_hash = $2, event = $3, source = $4, recorded_ms = $5 WHERE idempotency_key = $1",
                    )
                    .bind(&key)
                    .bind(&hash)
                    .bind(&json)
                    .bind(&label)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    // The platform's facts settle what notifications disagreed on.
                    let settled = sqlx::query(
                        "DELETE FROM vads_conflicts WHERE idempotency_key = $1 AND facts_hash = $2",
                    )
                    .bind(&key)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    locked.conflicts -= i64::try_from(settled).unwrap_or(0);
                    locked.events[i] = event.clone();
                    new += 1;
                }
                Some(_) => {
                    if keep_conflict(&mut tx, &key, &hash, order_id, &json, &label, now).await? {
                        locked.conflicts += 1;
                        conflicts += 1;
                    } else {
                        // The same conflicting facts again: kept once already.
                        replays += 1;
                    }
                }
                None => {
                    if locked.events.len() >= MAX_EVENTS_PER_ORDER {
                        return Err(StoreError::TooManyEvents);
                    }
                    let inserted = sqlx::query(
                        "INSERT INTO vads_events (idempotency_key, order_id, facts_hash, event, source, recorded_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
                    )
                    .bind(&key)
                    .bind(order_id)
                    .bind(&hash)
                    .bind(&json)
                    .bind(&label)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        locked.events.push(event.clone());
                        new += 1;
                    } else {
                        // The key is another order's: the same transaction cannot be in two.
                        let kept =
                            keep_conflict(&mut tx, &key, &hash, order_id, &json, &label, now)
                                .await?;
                        if kept {
                            locked.conflicts += 1;
                            conflicts += 1;
                        } else {
                            replays += 1;
                        }
                    }
                }
            }
        }
        let state = state_of(
            order_id,
            &locked.events,
            locked.expected.as_ref(),
            locked.conflicts,
        );
        let change = if new > 0 || conflicts > 0 || locked.outcome.is_none() {
            write_state(&mut tx, order_id, &locked, &state).await?
        } else {
            None
        };
        tx.commit().await?;
        Ok(Recorded {
            order_id: order_id.to_owned(),
            new,
            replays,
            conflicts,
            state,
            change,
        })
    }

    /// The order as stored, or `None` when the store has never seen it.
    ///
    /// # Errors
    /// The database's errors; [`StoreError::Corrupt`].
    pub async fn order(&self, order_id: &str) -> Result<Option<StoredOrder>, StoreError> {
        let row = sqlx::query(
            "SELECT expected_amount, expected_currency, outcome, events, conflicts FROM vads_orders WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let locked = locked_from(&row)?;
        // The state is a function of what the row holds: recomputed, never trusted stale.
        let state = state_of(
            order_id,
            &locked.events,
            locked.expected.as_ref(),
            locked.conflicts,
        );
        Ok(Some(StoredOrder {
            order_id: order_id.to_owned(),
            events: locked.events.len(),
            conflicts: usize::try_from(locked.conflicts).unwrap_or(0),
            expected: locked.expected,
            state,
        }))
    }

    /// The events recorded for an order, with their sources, in the order they were
    /// recorded (at most [`MAX_EVENTS_PER_ORDER`]).
    ///
    /// # Errors
    /// The database's errors; [`StoreError::Corrupt`].
    pub async fn events(&self, order_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT idempotency_key, event, source, recorded_ms FROM vads_events WHERE order_id = $1 \
             ORDER BY recorded_ms, idempotency_key LIMIT $2",
        )
        .bind(order_id)
        .bind(i64::try_from(MAX_EVENTS_PER_ORDER).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let event: String = r.try_get(1)?;
                Ok(StoredEvent {
                    idempotency_key: r.try_get(0)?,
                    event: serde_json::from_str(&event)
                        .map_err(|_| StoreError::Corrupt("event"))?,
                    source: r.try_get(2)?,
                    recorded_ms: r.try_get(3)?,
                })
            })
            .collect()
    }
}

/// Keeps a conflicting event aside (once per key and facts). `true` when it was new.
async fn keep_conflict(
    conn: &mut AnyConnection,
    key: &str,
    hash: &str,
    order_id: &str,
    json: &str,
    label: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let kept = sqlx::query(
        "INSERT INTO vads_conflicts (idempotency_key, facts_hash, order_id, event, source, recorded_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key, facts_hash) DO NOTHING",
    )
    .bind(key)
    .bind(hash)
    .bind(order_id)
    .bind(json)
    .bind(label)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(kept == 1)
}
