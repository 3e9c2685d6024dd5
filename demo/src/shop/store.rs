//! The shop's storage (SQLite): orders, each transaction event once, every delivery with
//! its verdict, verified notifications kept for review; and the order state reconciled
//! from them.

use super::ShopState;
use vads::lifecycle::{reconcile, Expected, OrderState, TransactionEvent};
use vads::AnyNotification;

/// The database: orders (with the form they were paid with: hosted or embedded),
/// transaction events (each once), every delivery with its verdict, and the REST API calls
/// made for each order (operation, attempts, status, error code: never a credential). A database of an older demo is replaced.
pub(crate) fn open_db(path: &std::path::Path) -> Result<rusqlite::Connection, String> {
    let db = rusqlite::Connection::open(path).map_err(|e| format!("database: {e}"))?;
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| format!("database: {e}"))?;
    if version != 5 {
        db.execute_batch(
            "DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS events;
             DROP TABLE IF EXISTS deliveries; DROP TABLE IF EXISTS order_seq;
             DROP TABLE IF EXISTS reviews; DROP TABLE IF EXISTS api_calls;
             DROP TABLE IF EXISTS recovery;",
        )
        .map_err(|e| format!("database: {e}"))?;
    }
    db.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE IF NOT EXISTS orders (
             id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL,
             form TEXT NOT NULL, signing_string TEXT NOT NULL,
             kind TEXT NOT NULL DEFAULT 'hosted',
             created_unix INTEGER NOT NULL DEFAULT (unixepoch()),
             created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
         CREATE TABLE IF NOT EXISTS events (
             idempotency_key TEXT PRIMARY KEY, order_id TEXT NOT NULL,
             event TEXT NOT NULL, url_check_src TEXT NOT NULL,
             received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
         CREATE TABLE IF NOT EXISTS deliveries (
             n INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT, endpoint TEXT NOT NULL,
             format TEXT NOT NULL, source TEXT, status TEXT, verdict TEXT NOT NULL,
             code TEXT, answer INTEGER NOT NULL,
             received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
         CREATE TABLE IF NOT EXISTS reviews (
             n INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, code TEXT NOT NULL,
             answer TEXT NOT NULL, received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
         CREATE TABLE IF NOT EXISTS order_seq (n INTEGER PRIMARY KEY AUTOINCREMENT);
         CREATE TABLE IF NOT EXISTS api_calls (
             n INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL,
             operation TEXT NOT NULL, attempts INTEGER NOT NULL, status INTEGER,
             code TEXT, duration_ms INTEGER NOT NULL,
             at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
         CREATE TABLE IF NOT EXISTS recovery (
             order_id TEXT PRIMARY KEY, asked INTEGER NOT NULL, last_asked INTEGER NOT NULL,
             recovered_at TEXT);
         PRAGMA user_version = 5;",
    )
    .map_err(|e| format!("database: {e}"))?;
    Ok(db)
}

/// Records the transaction events of a verified notification (one for `vads_*`, one per
/// transaction for REST), each once, under its idempotency key: the same event delivered
/// again, in either format, is a duplicate. `Ok(false)` when nothing was new.
pub(crate) fn record(
    s: &ShopState,
    n: &AnyNotification<'_>,
    events: Vec<TransactionEvent>,
) -> Result<bool, rusqlite::Error> {
    let src = match n {
        AnyNotification::Form(n) => n.get("vads_url_check_src").unwrap_or_default().into_owned(),
        AnyNotification::Rest(_) => "REST".to_owned(),
    };
    record_events(s, &src, events)
}

/// Records events (from a notification, or from `Order/Get`: `src` says which), each
/// once under its idempotency key. `Ok(true)` when one was new.
pub(crate) fn record_events(
    s: &ShopState,
    src: &str,
    events: Vec<TransactionEvent>,
) -> Result<bool, rusqlite::Error> {
    let db = s.db.lock().map_err(|_| rusqlite::Error::InvalidQuery)?;
    let mut new = false;
    for event in events {
        let json = serde_json::to_string(&event).map_err(|_| rusqlite::Error::InvalidQuery)?;
        let params = rusqlite::params![
            event.idempotency_key(),
            event.order_id.clone().unwrap_or_default(),
            json,
            src
        ];
        let inserted = if src == "API" || src == "ORDER_GET" {
            // The platform's view of the present: an event of the same key whose facts
            // changed (an amount lowered by Transaction/Update keeps uuid, status and
            // operation) takes the platform's facts. A notification never overrides.
            db.execute(
                "INSERT INTO events (idempotency_key, order_id, event, url_check_src) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(idempotency_key) DO UPDATE SET event = excluded.event \
                 WHERE json_extract(events.event, '$.amount') IS NOT json_extract(excluded.event, '$.amount')",
                params,
            )?
        } else {
            db.execute(
                "INSERT OR IGNORE INTO events (idempotency_key, order_id, event, url_check_src) VALUES (?1, ?2, ?3, ?4)",
                params,
            )?
        };
        new |= inserted == 1;
    }
    Ok(new)
}

/// Keeps a verified notification whose content cannot be read as events: its answer text
/// and why, for the order's page ("needs attention").
pub(crate) fn keep_for_review(
    s: &ShopState,
    order_id: Option<&str>,
    code: &str,
    n: &AnyNotification<'_>,
) -> Result<(), rusqlite::Error> {
    let text = match n {
        AnyNotification::Form(_) => String::new(),
        AnyNotification::Rest(r) => r.answer_text().into_owned(),
    };
    let db = s.db.lock().map_err(|_| rusqlite::Error::InvalidQuery)?;
    db.execute(
        "INSERT INTO reviews (order_id, code, answer) VALUES (?1, ?2, ?3)",
        rusqlite::params![order_id.unwrap_or_default(), code, text],
    )?;
    Ok(())
}

/// The order's state, reconciled from every event recorded for it (whatever order they
/// arrived in), checked against the order's amount; and the number of events.
pub(crate) fn order_state(s: &ShopState, id: &str) -> Option<(OrderState, usize)> {
    let db = s.db.lock().ok()?;
    let (amount, currency): (i64, String) = db
        .query_row(
            "SELECT amount, currency FROM orders WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok()?;
    let mut query = db
        .prepare("SELECT event FROM events WHERE order_id = ?1")
        .ok()?;
    let events: Vec<TransactionEvent> = query
        .query_map([id], |r| r.get::<_, String>(0))
        .ok()?
        .filter_map(|row| serde_json::from_str(&row.ok()?).ok())
        .collect();
    let expected = Expected {
        amount: u64::try_from(amount).ok()?,
        currency: vads::form::Currency::find(&currency).map(|c| c.numeric.to_owned()),
    };
    let count = events.len();
    let mut state = reconcile(events, Some(&expected));
    state.order_id = Some(id.to_owned());
    // Verified notifications kept for review make the order need a human.
    let mut reviews = db
        .prepare("SELECT code FROM reviews WHERE order_id = ?1")
        .ok()?;
    let kept: Vec<String> = reviews
        .query_map([id], |r| r.get::<_, String>(0))
        .ok()?
        .filter_map(Result::ok)
        .collect();
    for code in kept {
        state.attention.push(format!(
            "a verified notification could not be read ({code}): kept for review"
        ));
        state.outcome = vads::lifecycle::OrderOutcome::NeedsAttention;
    }
    state.attention.sort();
    state.attention.dedup();
    Some((state, count))
}

pub(crate) struct Delivery {
    pub(crate) n: i64,
    pub(crate) endpoint: String,
    pub(crate) format: String,
    pub(crate) source: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) verdict: String,
    pub(crate) code: Option<String>,
    pub(crate) answer: i64,
    pub(crate) at: String,
}

pub(crate) fn deliveries(s: &ShopState, id: &str) -> Vec<Delivery> {
    let Ok(db) = s.db.lock() else {
        return Vec::new();
    };
    let Ok(mut q) = db.prepare(
        "SELECT n, endpoint, format, source, status, verdict, code, answer, received_at \
         FROM deliveries WHERE order_id = ?1 ORDER BY n",
    ) else {
        return Vec::new();
    };
    q.query_map([id], |r| {
        Ok(Delivery {
            n: r.get(0)?,
            endpoint: r.get(1)?,
            format: r.get(2)?,
            source: r.get(3)?,
            status: r.get(4)?,
            verdict: r.get(5)?,
            code: r.get(6)?,
            answer: r.get(7)?,
            at: r.get(8)?,
        })
    })
    .map(|rows| rows.filter_map(Result::ok).collect())
    .unwrap_or_default()
}

/// Records what an API call did for an order (its report: no credential, no body).
pub(crate) fn record_api_call(s: &ShopState, order_id: &str, report: &vads::api::CallReport) {
    let Ok(db) = s.db.lock() else { return };
    let stored = db.execute(
        "INSERT INTO api_calls (order_id, operation, attempts, status, code, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            order_id,
            report.operation.name(),
            report.attempts,
            report.status,
            report.error_code,
            i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX)
        ],
    );
    if let Err(e) = stored {
        eprintln!("vads-demo: cannot record an API call of order {order_id}: {e}");
    }
}

pub(crate) struct ApiCallRow {
    pub(crate) operation: String,
    pub(crate) attempts: i64,
    pub(crate) status: Option<i64>,
    pub(crate) code: Option<String>,
    pub(crate) duration_ms: i64,
    pub(crate) at: String,
}

/// The API calls made for an order, oldest first.
pub(crate) fn api_calls(s: &ShopState, id: &str) -> Vec<ApiCallRow> {
    let Ok(db) = s.db.lock() else {
        return Vec::new();
    };
    let Ok(mut q) = db.prepare(
        "SELECT operation, attempts, status, code, duration_ms, at FROM api_calls WHERE order_id = ?1 ORDER BY n",
    ) else {
        return Vec::new();
    };
    q.query_map([id], |r| {
        Ok(ApiCallRow {
            operation: r.get(0)?,
            attempts: r.get(1)?,
            status: r.get(2)?,
            code: r.get(3)?,
            duration_ms: r.get(4)?,
            at: r.get(5)?,
        })
    })
    .map(|rows| rows.filter_map(Result::ok).collect())
    .unwrap_or_default()
}
