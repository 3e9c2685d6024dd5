//! PostgreSQL's fast path for the common record: one new event of one order, or a replay.
//!
//! The general path takes six round trips inside an explicit transaction (begin, lock or
//! create the order's row, insert the event, write the state, write the outbox entry,
//! commit). Here each write is **one statement**, atomic on its own (all of it commits or
//! none), that writes the event, the order's state and the outbox entry only if the order's
//! row is still what the state was computed from — a compare-and-set:
//!
//! 1. [`first`] guesses that this is the order's first event: the order is new (first
//!    seen in a notification), or was created by `create_order` with the event's amount
//!    and currency and has no event yet. It creates or fills the row if the guess holds; if
//!    not, it writes nothing and returns the row as it was, with its version (`xmin`, the
//!    transaction that wrote the row last). The payment of an order: one round trip.
//! 2. Otherwise the state is recomputed in memory from the row read, and
//!    [`compare_and_set`] writes it if the row is still at that version. When it moved
//!    (another instance recorded an event of the same order meanwhile), nothing is written
//!    and the record starts again.
//!
//! After [`TRIES`] attempts, or for anything unusual (a conflict, several events, an order
//! at its bound, a key that is another order's), the general path, which locks, decides.

use crate::record::{
    facts_hash, locked_from_at, parse_outcome, state_of, Change, Locked, Recorded, StateColumns,
};
use crate::{now_ms, Store, StoreError, MAX_EVENTS_PER_ORDER};
use sqlx::any::AnyRow;
use sqlx::Row;
use vads::lifecycle::{Expected, OrderKey, OrderState, TransactionEvent};

/// Attempts of the compare-and-set before the general path takes over.
pub(crate) const TRIES: usize = 4;

/// SQLSTATE of a division by zero: a statement's own way of refusing to commit half of
/// itself, when the order's row was written but the event's key is another order's (the
/// event's insert did nothing). The error aborts the statement: nothing of it commits.
const HALF_WRITTEN: &str = "22012";

/// The last part of both statements: the event's insert (after the order's, `o`), the
/// outbox entry, and a first column that divides by zero when `o` wrote a row but `e` did
/// not.
const EVENT_AND_OUTBOX: &str = "\
    e AS (INSERT INTO vads_events (site_id, mode, idempotency_key, order_id, facts_hash, event, source, recorded_ms) \
          SELECT site_id, mode, $4, order_id, $5, $6, $7, $8 FROM o \
          ON CONFLICT (site_id, mode, idempotency_key) DO NOTHING RETURNING 1), \
    b AS (INSERT INTO vads_outbox (site_id, mode, order_id, from_outcome, to_outcome, created_ms) \
          SELECT site_id, mode, order_id, from_outcome, outcome, $8 FROM o WHERE outcome IS DISTINCT FROM from_outcome \
          RETURNING id)";

/// The order's key and the event as the statements bind them (`$1` to `$8`).
struct EventColumns<'a> {
    key: String,
    hash: String,
    json: String,
    label: &'a str,
}

fn bind_event<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    key: &'q OrderKey,
    e: &'q EventColumns<'_>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(key.site_id.as_str())
        .bind(key.mode.as_str())
        .bind(key.storage_id())
        .bind(e.key.as_str())
        .bind(e.hash.as_str())
        .bind(e.json.as_str())
        .bind(e.label)
        .bind(now_ms())
}

fn bind_state<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    s: &'q StateColumns,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(s.outcome)
        .bind(s.paid)
        .bind(s.refunded)
        .bind(s.currency.clone())
        .bind(s.json.as_str())
}

/// Records one event through the compare-and-set; `None`: the general path must decide.
pub(crate) async fn record(
    store: &Store,
    key: &OrderKey,
    event: &TransactionEvent,
    label: &str,
) -> Result<Option<Recorded>, StoreError> {
    let ev = EventColumns {
        key: event.idempotency_key(),
        hash: facts_hash(event),
        json: serde_json::to_string(event).map_err(|_| StoreError::Corrupt("event"))?,
        label,
    };
    // Installment plans and subscription installments take the general path: their
    // outbox entry may be a change of an installment, not of the outcome.
    let plan = event
        .payment_config
        .as_deref()
        .is_some_and(|c| vads::recurring::PaymentConfig::parse(c).is_plan());
    if plan || event.is_subscription_installment() {
        return Ok(None);
    }
    let one = std::slice::from_ref(event);
    let events_json = serde_json::to_string(one).map_err(|_| StoreError::Corrupt("event"))?;
    // The two states a first event can give: of a new order, and of an order created with
    // the event's own amount and currency.
    let as_new = state_of(key, one, None, 0)?;
    let guessed = event.amount.map(|amount| Expected {
        amount,
        currency: event.currency.clone(),
    });
    let as_created = state_of(key, one, guessed.as_ref(), 0)?;
    let columns = (StateColumns::of(&as_new)?, StateColumns::of(&as_created)?);
    for _ in 0..TRIES {
        let (row, version) =
            match first(store, key, &ev, &events_json, &columns, guessed.as_ref()).await? {
                First::Written { outbox_id, created } => {
                    let state = if created { as_new } else { as_created };
                    return Ok(Some(recorded(key, None, state, outbox_id)?));
                }
                First::Exists(row, version) => (row, version),
                First::Moved => continue,
                // The general path keeps the conflict aside.
                First::KeyElsewhere => return Ok(None),
            };
        let mut locked = locked_from_at(&row, 3, key)?;
        if let Some(known) = locked.events.iter().find(|e| e.idempotency_key() == ev.key) {
            if facts_hash(known) != ev.hash || locked.outcome.is_none() {
                return Ok(None);
            }
            let state = state_of(
                key,
                &locked.events,
                locked.expected.as_ref(),
                locked.conflicts,
            )?;
            return Ok(Some(Recorded {
                key: key.clone(),
                new: 0,
                replays: 1,
                conflicts: 0,
                state,
                change: None,
            }));
        }
        if locked.events.len() >= MAX_EVENTS_PER_ORDER {
            return Ok(None);
        }
        locked.events.push(event.clone());
        let state = state_of(
            key,
            &locked.events,
            locked.expected.as_ref(),
            locked.conflicts,
        )?;
        match compare_and_set(store, key, &version, &locked, &state, &ev).await? {
            Cas::Written(outbox_id) => {
                return Ok(Some(recorded(
                    key,
                    locked.outcome.as_deref(),
                    state,
                    outbox_id,
                )?));
            }
            Cas::Moved => continue,
            Cas::KeyElsewhere => return Ok(None),
        }
    }
    Ok(None)
}

fn recorded(
    key: &OrderKey,
    from: Option<&str>,
    state: OrderState,
    outbox_id: Option<i64>,
) -> Result<Recorded, StoreError> {
    let change = match outbox_id {
        Some(outbox_id) => Some(Change {
            outbox_id,
            from: from.map(parse_outcome).transpose()?,
            to: state.outcome,
            note: None,
        }),
        None => None,
    };
    Ok(Recorded {
        key: key.clone(),
        new: 1,
        replays: 0,
        conflicts: 0,
        state,
        change,
    })
}

fn is_half_written(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == HALF_WRITTEN)
}

/// What [`first`] did.
enum First {
    /// The order's row was created (`created`) or filled, the event inserted, the outbox
    /// entry written.
    Written {
        outbox_id: Option<i64>,
        created: bool,
    },
    /// Nothing written: the order exists and is not at its first event. Its row (the
    /// order's columns from column 3) and version.
    Exists(AnyRow, String),
    /// Nothing written, nothing read: another writer created the row meanwhile.
    Moved,
    /// Nothing written: the event's key is another order's.
    KeyElsewhere,
}

/// The first statement: the order's row created with this one event (the state
/// `columns.0`), or, if it exists with no event, no conflict and the expected amount and
/// currency the event carries (`guessed`), filled with it (`columns.1`); then the event and
/// the outbox entry. When neither applies, nothing is written and the row is returned as it was
/// before the statement (its snapshot).
async fn first(
    store: &Store,
    key: &OrderKey,
    ev: &EventColumns<'_>,
    events_json: &str,
    (new, created): &(StateColumns, StateColumns),
    guessed: Option<&Expected>,
) -> Result<First, StoreError> {
    let sql = format!(
        "WITH o AS (\
           INSERT INTO vads_orders (site_id, mode, order_id, outcome, paid, refunded, currency, state, events, event_count, created_ms, updated_ms) \
           VALUES ($1, $2, $3, $9, $10, $11, $12, $13, $19, 1, $8, $8) \
           ON CONFLICT (site_id, mode, order_id) DO UPDATE SET outcome = $14, paid = $15, refunded = $16, currency = $17, \
             state = $18, events = $19, event_count = 1, updated_ms = $8 \
           WHERE vads_orders.event_count = 0 AND vads_orders.outcome IS NULL AND vads_orders.conflicts = 0 \
             AND vads_orders.expected_amount = $20 AND vads_orders.expected_currency IS NOT DISTINCT FROM $21 \
           RETURNING site_id, mode, order_id, outcome, NULL::text AS from_outcome, expected_amount), \
         {EVENT_AND_OUTBOX}, \
         before AS (SELECT expected_amount, expected_currency, outcome, events, conflicts, xmin::text AS version \
                    FROM vads_orders WHERE site_id = $1 AND mode = $2 AND order_id = $3) \
         SELECT 1 / (1 - (SELECT count(*) FROM o) + (SELECT count(*) FROM e)), \
                (SELECT id FROM b), (SELECT count(*) FROM o), \
                before.expected_amount, before.expected_currency, before.outcome, before.events, \
                before.conflicts, before.version, (SELECT expected_amount IS NULL FROM o) \
         FROM (SELECT 1) AS one LEFT JOIN before ON true"
    );
    let q = sqlx::query(&sql);
    let q = bind_state(bind_event(q, key, ev), new);
    let q = bind_state(q, created)
        .bind(events_json)
        .bind(guessed.map(|g| i64::try_from(g.amount).unwrap_or(-1)))
        .bind(guessed.and_then(|g| g.currency.clone()));
    let row = match q.fetch_one(&store.pool).await {
        Ok(row) => row,
        Err(e) if is_half_written(&e) => return Ok(First::KeyElsewhere),
        Err(e) => return Err(e.into()),
    };
    // Columns: 0 the guard, 1 the outbox id, 2 whether `o` wrote; then the row before.
    if row.try_get::<i64, _>(2)? == 1 {
        return Ok(First::Written {
            outbox_id: row.try_get(1)?,
            created: row.try_get::<Option<bool>, _>(9)?.unwrap_or(false),
        });
    }
    match row.try_get::<Option<String>, _>(8)? {
        Some(version) => Ok(First::Exists(row, version)),
        None => Ok(First::Moved),
    }
}

/// The second statement: the order's row updated with `state` if it is still at
/// `version`, the event inserted, the outbox entry written when the outcome changes.
/// `Moved` when the row moved, `KeyElsewhere` when the key is another order's (nothing
/// written either way).
async fn compare_and_set(
    store: &Store,
    key: &OrderKey,
    version: &str,
    locked: &Locked,
    state: &OrderState,
    ev: &EventColumns<'_>,
) -> Result<Cas, StoreError> {
    let columns = StateColumns::of(state)?;
    let events = serde_json::to_string(&locked.events).map_err(|_| StoreError::Corrupt("event"))?;
    let sql = format!(
        "WITH o AS (\
           UPDATE vads_orders SET outcome = $9, paid = $10, refunded = $11, currency = $12, state = $13, \
             events = $14, event_count = $15, updated_ms = $8 \
           WHERE site_id = $1 AND mode = $2 AND order_id = $3 AND xmin::text = $16 \
           RETURNING site_id, mode, order_id, outcome, $17::text AS from_outcome), \
         {EVENT_AND_OUTBOX} \
         SELECT 1 / (1 - (SELECT count(*) FROM o) + (SELECT count(*) FROM e)), \
                (SELECT id FROM b), (SELECT count(*) FROM o)"
    );
    let q = bind_state(bind_event(sqlx::query(&sql), key, ev), &columns)
        .bind(events)
        .bind(i64::try_from(locked.events.len()).unwrap_or(i64::MAX))
        .bind(version)
        .bind(locked.outcome.clone());
    let row = match q.fetch_one(&store.pool).await {
        Ok(row) => row,
        Err(e) if is_half_written(&e) => return Ok(Cas::KeyElsewhere),
        Err(e) => return Err(e.into()),
    };
    if row.try_get::<i64, _>(2)? == 1 {
        Ok(Cas::Written(row.try_get(1)?))
    } else {
        Ok(Cas::Moved)
    }
}

/// What [`compare_and_set`] did.
enum Cas {
    /// Written; the outbox entry's id, if the outcome changed.
    Written(Option<i64>),
    /// Nothing written: the row is no longer at the version read.
    Moved,
    /// Nothing written: the event's key is another order's.
    KeyElsewhere,
}
