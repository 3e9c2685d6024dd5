//! Recording events: one transaction that locks the order, inserts what is new,
//! recomputes the state and writes the outbox entry of a change.

use crate::{check_key, now_ms, order_of, Backend, Store, StoreError, MAX_EVENTS_PER_ORDER};
use sha2::{Digest, Sha256};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, Row};
use vads::lifecycle::{reconcile, Expected, OrderKey, OrderOutcome, OrderState, TransactionEvent};

/// A query with the order's key bound as `$1` (site id), `$2` (mode), `$3` (order id).
pub(crate) fn keyed<'q>(
    sql: &'q str,
    key: &'q OrderKey,
) -> sqlx::query::Query<'q, Any, AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(key.site_id.as_str())
        .bind(key.mode.as_str())
        .bind(key.storage_id())
}

/// The SQL condition on an order's key, bound as [`keyed`] binds it.
pub(crate) const KEY: &str = "site_id = $1 AND mode = $2 AND order_id = $3";

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
#[non_exhaustive]
pub struct Change {
    /// The outbox entry's id.
    pub outbox_id: i64,
    /// The outcome before (`None`: the order had no event yet).
    pub from: Option<OrderOutcome>,
    /// The outcome now.
    pub to: OrderOutcome,
    /// What happened to an installment plan or a subscription's installment, when it is
    /// what changed (`installment 2 paid`, `subscription installment 3 refused`).
    pub note: Option<String>,
}

/// What [`Store::record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recorded {
    /// The order: its shop, its mode, its id.
    pub key: OrderKey,
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
    /// The order: its shop, its mode, its id.
    pub key: OrderKey,
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

/// How a delivery under a known key relates to the recorded event when only the amount
/// differs: a payment lowered before capture (`Transaction/Update`) keeps its
/// transaction, status and operation, and the platform states its initial amount beside
/// the lowered one ([`TransactionEvent::initial_amount`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lowering {
    /// The new delivery lowers the recorded amount (it states the recorded amount, or more,
    /// as the initial one): its facts replace the recorded ones.
    Newer,
    /// The new delivery is from before a lowering the record already has (its amount is
    /// the recorded initial one, or between it and the recorded amount).
    Older,
    /// Anything else: a conflict.
    Neither,
}

impl Lowering {
    fn of(recorded: &TransactionEvent, new: &TransactionEvent) -> Lowering {
        let same_else = recorded.order_id == new.order_id && recorded.currency == new.currency;
        match (recorded.amount, new.amount) {
            (Some(was), Some(now)) if same_else && now < was => {
                if new.initial_amount.is_some_and(|i| i >= was) {
                    Lowering::Newer
                } else {
                    Lowering::Neither
                }
            }
            (Some(was), Some(now)) if same_else && now > was => {
                if recorded.initial_amount.is_some_and(|i| now <= i) {
                    Lowering::Older
                } else {
                    Lowering::Neither
                }
            }
            _ => Lowering::Neither,
        }
    }
}

/// The order's row, locked for the transaction.
#[derive(Default)]
pub(crate) struct Locked {
    pub(crate) expected: Option<Expected>,
    pub(crate) outcome: Option<String>,
    pub(crate) events: Vec<TransactionEvent>,
    pub(crate) conflicts: i64,
}

fn locked_from(row: &AnyRow, key: &OrderKey) -> Result<Locked, StoreError> {
    locked_from_at(row, 0, key)
}

/// The order's columns (`expected_amount, expected_currency, outcome, events, conflicts`)
/// read from the row's columns `at..at + 5`. Events recorded before the store kept modes
/// apart carry no site id or mode: they are the order's (its row says which).
pub(crate) fn locked_from_at(
    row: &AnyRow,
    at: usize,
    key: &OrderKey,
) -> Result<Locked, StoreError> {
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
    let events = events
        .into_iter()
        .map(|e| e.or_scope(&key.site_id, key.mode))
        .collect();
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
    key: &OrderKey,
) -> Result<Option<Locked>, StoreError> {
    const COLUMNS: &str = "expected_amount, expected_currency, outcome, events, conflicts";
    let sql = match backend {
        Backend::Postgres => {
            format!("SELECT {COLUMNS} FROM vads_orders WHERE {KEY} FOR UPDATE")
        }
        Backend::Sqlite => format!(
            "UPDATE vads_orders SET updated_ms = updated_ms WHERE {KEY} RETURNING {COLUMNS}"
        ),
    };
    let row = keyed(&sql, key).fetch_optional(&mut *conn).await?;
    row.as_ref().map(|r| locked_from(r, key)).transpose()
}

/// Locks the order's row, creating it (without an expected amount) when missing, in one
/// statement on both backends: an upsert takes the row's lock (PostgreSQL) or the
/// database's write lock (SQLite) and returns what the recompute needs.
async fn lock_or_create(conn: &mut AnyConnection, key: &OrderKey) -> Result<Locked, StoreError> {
    let row = keyed(
        "INSERT INTO vads_orders (site_id, mode, order_id, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (site_id, mode, order_id) DO UPDATE SET updated_ms = vads_orders.updated_ms \
         RETURNING expected_amount, expected_currency, outcome, events, conflicts",
        key,
    )
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await?;
    locked_from(&row, key)
}

/// The state of an order from its events, with what the store knows beside them.
///
/// # Errors
/// [`StoreError::Corrupt`] when the stored events mix shops or modes (only a hand edit
/// can do that: every event is recorded under its own scope).
pub(crate) fn state_of(
    key: &OrderKey,
    events: &[TransactionEvent],
    expected: Option<&Expected>,
    conflicts: i64,
) -> Result<OrderState, StoreError> {
    let mut state = reconcile(events.iter().cloned(), expected)
        .map_err(|_| StoreError::Corrupt("events of an order (another shop or mode)"))?;
    state.site_id = Some(key.site_id.clone());
    state.mode = Some(key.mode);
    state.order_id = Some(key.order_id.clone());
    if conflicts > 0 {
        state.attention.push(format!(
            "{conflicts} notification event(s) carried other facts (amount, currency or order) than the event recorded under the same key: kept aside in vads_conflicts"
        ));
        state.attention.sort();
        if !state.attention_codes.iter().any(|c| c == "conflict_kept") {
            state.attention_codes.push("conflict_kept".into());
            state.attention_codes.sort();
        }
        state.outcome = OrderOutcome::NeedsAttention;
    }
    Ok(state)
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
/// What a record did to an installment plan or a subscription's installment, in words,
/// for the outbox: `installment 2 paid`, `installment 3 refused`, `subscription
/// installment 4 paid`. `None` when nothing of the kind changed.
pub(crate) fn progress_note(before: Option<&OrderState>, after: &OrderState) -> Option<String> {
    let mut notes = Vec::new();
    if let Some(plan) = &after.plan {
        let had = |k: &u32, refused: bool| {
            before.and_then(|b| b.plan.as_ref()).is_some_and(|p| {
                if refused {
                    p.refused.contains(k)
                } else {
                    p.accepted.contains(k)
                }
            })
        };
        notes.extend(
            plan.accepted
                .iter()
                .filter(|k| !had(k, false))
                .map(|k| format!("installment {k} paid")),
        );
        notes.extend(
            plan.refused
                .iter()
                .filter(|k| !had(k, true))
                .map(|k| format!("installment {k} refused")),
        );
    }
    if let Some(n) = after.recurrence_number {
        let was = before.map(|b| b.outcome);
        match after.outcome {
            OrderOutcome::Paid if was != Some(OrderOutcome::Paid) => {
                notes.push(format!("subscription installment {n} paid"));
            }
            OrderOutcome::Failed if was != Some(OrderOutcome::Failed) => {
                notes.push(format!("subscription installment {n} refused"));
            }
            _ => {}
        }
    }
    (!notes.is_empty()).then(|| notes.join(", "))
}

async fn write_state(
    conn: &mut AnyConnection,
    key: &OrderKey,
    locked: &Locked,
    state: &OrderState,
    note: Option<String>,
) -> Result<Option<Change>, StoreError> {
    let events = serde_json::to_string(&locked.events).map_err(|_| StoreError::Corrupt("event"))?;
    let columns = StateColumns::of(state)?;
    let now = now_ms();
    let to = columns.outcome;
    keyed(
        "UPDATE vads_orders SET outcome = $4, paid = $5, refunded = $6, currency = $7, state = $8, \
         events = $9, event_count = $10, conflicts = $11, updated_ms = $12 WHERE site_id = $1 AND mode = $2 AND order_id = $3",
        key,
    )
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
    // An entry for a change of outcome, or of an installment's fate.
    if locked.outcome.as_deref() == Some(to) && note.is_none() {
        return Ok(None);
    }
    let outbox_id: i64 = sqlx::query_scalar(
        "INSERT INTO vads_outbox (site_id, mode, order_id, from_outcome, to_outcome, created_ms, note) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(key.site_id.as_str())
    .bind(key.mode.as_str())
    .bind(key.storage_id())
    .bind(locked.outcome.clone())
    .bind(to)
    .bind(now)
    .bind(note.clone())
    .fetch_one(&mut *conn)
    .await?;
    let from = locked.outcome.as_deref().map(parse_outcome).transpose()?;
    Ok(Some(Change {
        outbox_id,
        from,
        to: state.outcome,
        note,
    }))
}

/// Sets the locked order's expected amount and currency, and recomputes its state when it
/// has events.
async fn expect(
    conn: &mut AnyConnection,
    key: &OrderKey,
    locked: &mut Locked,
    expected: &Expected,
) -> Result<Option<Change>, StoreError> {
    keyed(
        "UPDATE vads_orders SET expected_amount = $4, expected_currency = $5 WHERE site_id = $1 AND mode = $2 AND order_id = $3",
        key,
    )
    .bind(i64::try_from(expected.amount).map_err(|_| StoreError::OrderConflict)?)
    .bind(expected.currency.clone())
    .execute(&mut *conn)
    .await?;
    locked.expected = Some(expected.clone());
    if locked.events.is_empty() {
        return Ok(None);
    }
    let state = state_of(key, &locked.events, Some(expected), locked.conflicts)?;
    write_state(conn, key, locked, &state, None).await
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
    /// [`StoreError::NoOrderId`], [`StoreError::InvalidOrderId`], [`StoreError::NoScope`];
    /// the database's errors.
    pub async fn create_order(
        &self,
        key: &OrderKey,
        expected: &Expected,
    ) -> Result<(), StoreError> {
        check_key(key)?;
        let amount = i64::try_from(expected.amount).map_err(|_| StoreError::OrderConflict)?;
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        let inserted = keyed(
            "INSERT INTO vads_orders (site_id, mode, order_id, expected_amount, expected_currency, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (site_id, mode, order_id) DO NOTHING",
            key,
        )
        .bind(amount)
        .bind(expected.currency.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            let mut locked = lock(&mut tx, self.backend, key)
                .await?
                .ok_or(StoreError::Corrupt("order row"))?;
            match &locked.expected {
                Some(e) if e == expected => {}
                Some(_) => return Err(StoreError::OrderConflict),
                None => {
                    expect(&mut tx, key, &mut locked, expected).await?;
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
    /// [`StoreError::NoOrderId`], [`StoreError::InvalidOrderId`], [`StoreError::NoScope`],
    /// [`StoreError::OrderConflict`] for an amount above what the database holds; the
    /// database's errors.
    pub async fn set_expected(
        &self,
        key: &OrderKey,
        expected: &Expected,
    ) -> Result<Option<Change>, StoreError> {
        check_key(key)?;
        i64::try_from(expected.amount).map_err(|_| StoreError::OrderConflict)?;
        let mut tx = self.pool.begin().await?;
        let mut locked = lock_or_create(&mut tx, key).await?;
        let change = expect(&mut tx, key, &mut locked, expected).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Records the events of one verified notification (or of one read of the
    /// platform), all of one order — one shop, one mode, one order id — in one
    /// transaction: the order's row locked, each event inserted if its key is new, the
    /// state recomputed from all the order's events, and an outbox entry written when the
    /// outcome changed. Concurrent records of the same event on any number of instances:
    /// exactly one sees it new. A TEST event and a PRODUCTION event of the same order id
    /// are two orders' events: neither changes the other.
    ///
    /// # Errors
    /// [`StoreError::NoEvents`], [`StoreError::NoOrderId`], [`StoreError::NoScope`],
    /// [`StoreError::MixedOrders`], [`StoreError::MixedScopes`],
    /// [`StoreError::InvalidOrderId`], [`StoreError::TooManyEvents`] (nothing written);
    /// [`StoreError::Unavailable`] (rolled back: answer 503, the platform delivers again);
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn record(
        &self,
        events: &[TransactionEvent],
        source: Source<'_>,
    ) -> Result<Recorded, StoreError> {
        let key = order_of(events)?;
        let label = source.label();
        if let ([event], Backend::Postgres) = (events, self.backend) {
            if let Some(recorded) = crate::fast::record(self, &key, event, &label).await? {
                return Ok(recorded);
            }
        }
        let mut tx = self.pool.begin().await?;
        let mut locked = lock_or_create(&mut tx, &key).await?;
        // The state before, for what an installment's record changed (the outbox's note).
        let before = if locked.events.is_empty() {
            None
        } else {
            Some(state_of(
                &key,
                &locked.events,
                locked.expected.as_ref(),
                locked.conflicts,
            )?)
        };
        let (mut new, mut replays, mut conflicts) = (0, 0, 0);
        let now = now_ms();
        for event in events {
            let ikey = event.idempotency_key();
            let hash = facts_hash(event);
            let json = serde_json::to_string(event).map_err(|_| StoreError::Corrupt("event"))?;
            let known = locked
                .events
                .iter()
                .position(|e| e.idempotency_key() == ikey);
            let kept = Kept {
                key: &key,
                ikey: &ikey,
                hash: &hash,
                json: &json,
                label: &label,
                now,
            };
            let lowering = known.map(|i| Lowering::of(&locked.events[i], event));
            match known {
                Some(i) if facts_hash(&locked.events[i]) == hash => replays += 1,
                // An older delivery of a payment lowered since: the recorded facts stand.
                Some(_) if lowering == Some(Lowering::Older) => replays += 1,
                Some(i)
                    if matches!(source, Source::PlatformRead(_))
                        || lowering == Some(Lowering::Newer) =>
                {
                    sqlx::query(
                        "UPDATE vads_events SET facts_hash = $4, event = $5, source = $6, recorded_ms = $7 \
                         WHERE site_id = $1 AND mode = $2 AND idempotency_key = $3",
                    )
                    .bind(key.site_id.as_str())
                    .bind(key.mode.as_str())
                    .bind(&ikey)
                    .bind(&hash)
                    .bind(&json)
                    .bind(&label)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    // The platform's facts settle what notifications disagreed on.
                    let settled = sqlx::query(
                        "DELETE FROM vads_conflicts WHERE site_id = $1 AND mode = $2 AND idempotency_key = $3 AND facts_hash = $4",
                    )
                    .bind(key.site_id.as_str())
                    .bind(key.mode.as_str())
                    .bind(&ikey)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    locked.conflicts -= i64::try_from(settled).unwrap_or(0);
                    locked.events[i] = event.clone();
                    new += 1;
                }
                Some(_) => {
                    if keep_conflict(&mut tx, &kept).await? {
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
                    let inserted = keyed(
                        "INSERT INTO vads_events (site_id, mode, order_id, idempotency_key, facts_hash, event, source, recorded_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (site_id, mode, idempotency_key) DO NOTHING",
                        &key,
                    )
                    .bind(&ikey)
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
                    } else if keep_conflict(&mut tx, &kept).await? {
                        // The key is another order's (of this shop and mode): the same
                        // transaction cannot be in two.
                        locked.conflicts += 1;
                        conflicts += 1;
                    } else {
                        replays += 1;
                    }
                }
            }
        }
        let state = state_of(
            &key,
            &locked.events,
            locked.expected.as_ref(),
            locked.conflicts,
        )?;
        let change = if new > 0 || conflicts > 0 || locked.outcome.is_none() {
            write_state(
                &mut tx,
                &key,
                &locked,
                &state,
                progress_note(before.as_ref(), &state),
            )
            .await?
        } else {
            None
        };
        tx.commit().await?;
        Ok(Recorded {
            key,
            new,
            replays,
            conflicts,
            state,
            change,
        })
    }

    /// The order as stored, or `None` when the store has never seen it in that shop and
    /// mode (a PRODUCTION order of the same id as a TEST one is another order).
    ///
    /// # Errors
    /// The database's errors; [`StoreError::Corrupt`].
    pub async fn order(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let row = keyed(
            "SELECT expected_amount, expected_currency, outcome, events, conflicts FROM vads_orders \
             WHERE site_id = $1 AND mode = $2 AND order_id = $3",
            key,
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let locked = locked_from(&row, key)?;
        // The state is a function of what the row holds: recomputed, never trusted stale.
        let state = state_of(
            key,
            &locked.events,
            locked.expected.as_ref(),
            locked.conflicts,
        )?;
        Ok(Some(StoredOrder {
            key: key.clone(),
            events: locked.events.len(),
            conflicts: usize::try_from(locked.conflicts).unwrap_or(0),
            expected: locked.expected,
            state,
        }))
    }

    /// The orders that need a human (their outcome is `needs_attention`: a conflict kept
    /// aside, amounts that disagree, an unknown status, ...), the most recently changed
    /// first, at most `limit`, each with its state (its `attention` says why).
    ///
    /// # Errors
    /// The database's errors; [`StoreError::Corrupt`].
    pub async fn needing_attention(&self, limit: u32) -> Result<Vec<StoredOrder>, StoreError> {
        let rows = sqlx::query(
            "SELECT site_id, mode, order_id, expected_amount, expected_currency, outcome, events, conflicts \
             FROM vads_orders WHERE outcome = 'needs_attention' ORDER BY updated_ms DESC, order_id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let mode: String = row.try_get(1)?;
                let key = OrderKey::from_storage(
                    row.try_get::<String, _>(0)?,
                    mode.parse().map_err(|_| StoreError::Corrupt("mode"))?,
                    &row.try_get::<String, _>(2)?,
                );
                let locked = locked_from_at(row, 3, &key)?;
                let state = state_of(
                    &key,
                    &locked.events,
                    locked.expected.as_ref(),
                    locked.conflicts,
                )?;
                Ok(StoredOrder {
                    events: locked.events.len(),
                    conflicts: usize::try_from(locked.conflicts).unwrap_or(0),
                    expected: locked.expected,
                    state,
                    key,
                })
            })
            .collect()
    }

    /// The installments of the subscriptions an order created, each its own record
    /// ([`OrderKey::installment`]), sorted by token then recurrence number, at most
    /// `limit`, each with its state.
    ///
    /// ```no_run
    /// # async fn f(store: &vads_store::Store) -> Result<(), vads_store::StoreError> {
    /// use vads::lifecycle::OrderKey;
    /// let order = OrderKey::new("12345678", vads::Mode::Test, "ORD-1");
    /// for installment in store.subscription_installments(&order, 100).await? {
    ///     let (token, n) = installment.key.recurrence.clone().unwrap_or_default();
    ///     println!("{token} #{n}: {}", installment.state.outcome.as_str());
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The database's errors; [`StoreError::Corrupt`].
    pub async fn subscription_installments(
        &self,
        order: &OrderKey,
        limit: u32,
    ) -> Result<Vec<StoredOrder>, StoreError> {
        // The storage ids `ORDER|REC|TOKEN|N`: compared by prefix with substr (no LIKE: an
        // order id may hold `_`, LIKE's wildcard).
        let prefix = order.installments_prefix();
        let rows = sqlx::query(
            "SELECT order_id, expected_amount, expected_currency, outcome, events, conflicts \
             FROM vads_orders WHERE site_id = $1 AND mode = $2 AND substr(order_id, 1, length($3)) = $3 \
             ORDER BY order_id LIMIT $4",
        )
        .bind(order.site_id.as_str())
        .bind(order.mode.as_str())
        .bind(prefix.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|row| {
                let key = OrderKey::from_storage(
                    order.site_id.as_str(),
                    order.mode,
                    &row.try_get::<String, _>(0)?,
                );
                let locked = locked_from_at(row, 1, &key)?;
                let state = state_of(
                    &key,
                    &locked.events,
                    locked.expected.as_ref(),
                    locked.conflicts,
                )?;
                Ok(StoredOrder {
                    events: locked.events.len(),
                    conflicts: usize::try_from(locked.conflicts).unwrap_or(0),
                    expected: locked.expected,
                    state,
                    key,
                })
            })
            // Another order whose id merely starts like this one's (`ORD-1|REC|...` is
            // this order's; the parse says whose it is).
            .filter(|o| {
                o.as_ref().map_or(true, |o: &StoredOrder| {
                    o.key.order_id == order.order_id && o.key.recurrence.is_some()
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by(|a, b| a.key.recurrence.cmp(&b.key.recurrence));
        Ok(out)
    }

    /// The events recorded for an order, with their sources, in the order they were
    /// recorded (at most [`MAX_EVENTS_PER_ORDER`]).
    ///
    /// # Errors
    /// The database's errors; [`StoreError::Corrupt`].
    pub async fn events(&self, key: &OrderKey) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = keyed(
            "SELECT idempotency_key, event, source, recorded_ms FROM vads_events \
             WHERE site_id = $1 AND mode = $2 AND order_id = $3 \
             ORDER BY recorded_ms, idempotency_key LIMIT $4",
            key,
        )
        .bind(i64::try_from(MAX_EVENTS_PER_ORDER).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let event: String = r.try_get(1)?;
                let event: TransactionEvent =
                    serde_json::from_str(&event).map_err(|_| StoreError::Corrupt("event"))?;
                Ok(StoredEvent {
                    idempotency_key: r.try_get(0)?,
                    event: event.or_scope(&key.site_id, key.mode),
                    source: r.try_get(2)?,
                    recorded_ms: r.try_get(3)?,
                })
            })
            .collect()
    }
}

/// A conflicting event to keep aside: its order, key, facts, JSON and source.
struct Kept<'a> {
    key: &'a OrderKey,
    ikey: &'a str,
    hash: &'a str,
    json: &'a str,
    label: &'a str,
    now: i64,
}

/// Keeps a conflicting event aside (once per key and facts). `true` when it was new.
async fn keep_conflict(conn: &mut AnyConnection, k: &Kept<'_>) -> Result<bool, StoreError> {
    let kept = keyed(
        "INSERT INTO vads_conflicts (site_id, mode, order_id, idempotency_key, facts_hash, event, source, recorded_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (site_id, mode, idempotency_key, facts_hash) DO NOTHING",
        k.key,
    )
    .bind(k.ikey)
    .bind(k.hash)
    .bind(k.json)
    .bind(k.label)
    .bind(k.now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(kept == 1)
}
