//! When a notification never comes: a background task asks `Order/Get` for the orders
//! still pending a while after their payment started (`vads::api::recovery::due`: after a
//! delay, backing off per order, a bounded number of calls per run), and records the
//! platform's view like notifications — the same events, the same idempotency keys, so a
//! late IPN is then a duplicate. The order's page says when an order was recovered.

use super::store::{order_state, record_api_call, record_events};
use super::ShopState;
use std::sync::Arc;
use std::time::Duration;
use vads::api::recovery::{due, Pending, SweepPolicy};
use vads::api::OrderGet;
use vads::lifecycle::OrderOutcome;

/// Sweeps every `every`, with `policy`, for as long as the demo runs.
pub(crate) async fn run(s: Arc<ShopState>, policy: SweepPolicy, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        sweep_once(&s, &policy).await;
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The orders whose state is still pending, with what was asked about them.
fn pending(s: &ShopState) -> Vec<Pending> {
    let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = {
        let Ok(db) = s.db.lock() else {
            return Vec::new();
        };
        let Ok(mut q) = db.prepare(
            "SELECT o.id, o.created_unix, r.asked, r.last_asked FROM orders o \
             LEFT JOIN recovery r ON r.order_id = o.id ORDER BY o.created_unix LIMIT 1000",
        ) else {
            return Vec::new();
        };
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    };
    rows.into_iter()
        .filter(|(id, ..)| {
            order_state(s, id).is_some_and(|(st, _)| st.outcome == OrderOutcome::Pending)
        })
        .map(|(id, created, asked, last)| {
            let mut p = Pending::new(id, u64::try_from(created).unwrap_or(0));
            p.asked = asked.and_then(|a| u32::try_from(a).ok()).unwrap_or(0);
            p.last_asked = last.and_then(|l| u64::try_from(l).ok());
            p
        })
        .collect()
}

pub(crate) async fn sweep_once(s: &ShopState, policy: &SweepPolicy) {
    let Some(client) = &s.api else { return };
    let pending = pending(s);
    let now = unix_now();
    for order_id in due(&pending, now, policy) {
        let (result, report) = client.call_with_report(&OrderGet::new(order_id)).await;
        record_api_call(s, order_id, &report);
        let new = match result {
            Ok(answer) => record_events(s, "ORDER_GET", answer.events()).unwrap_or_else(|e| {
                eprintln!("vads-demo: cannot record the recovery of order {order_id}: {e}");
                false
            }),
            Err(_) => false,
        };
        let Ok(db) = s.db.lock() else { continue };
        let stored = db.execute(
            "INSERT INTO recovery (order_id, asked, last_asked, recovered_at) VALUES (?1, 1, ?2, CASE WHEN ?3 THEN CURRENT_TIMESTAMP END) \
             ON CONFLICT(order_id) DO UPDATE SET asked = asked + 1, last_asked = ?2, \
             recovered_at = COALESCE(recovered_at, CASE WHEN ?3 THEN CURRENT_TIMESTAMP END)",
            rusqlite::params![order_id, i64::try_from(now).unwrap_or(i64::MAX), new],
        );
        if let Err(e) = stored {
            eprintln!("vads-demo: cannot record the recovery of order {order_id}: {e}");
        }
    }
}

/// When the order was recovered through `Order/Get` (UTC), if it was.
pub(crate) fn recovered_at(s: &ShopState, order_id: &str) -> Option<String> {
    let db = s.db.lock().ok()?;
    db.query_row(
        "SELECT recovered_at FROM recovery WHERE order_id = ?1",
        [order_id],
        |r| r.get::<_, Option<String>>(0),
    )
    .ok()
    .flatten()
}
