//! When a notification never comes: a background task asks `Order/Get` for the orders
//! still pending a while after their payment started (`vads::api::recovery::due`: after a
//! delay, backing off per order, a bounded number of calls per run), and records the
//! platform's view like notifications — the same events, the same idempotency keys, so a
//! late IPN is then a duplicate. The order's page says when an order was recovered.

use super::store::{asked, order_state, record_api_call, record_platform_read, recovery_rows};
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
async fn pending(s: &ShopState) -> Vec<Pending> {
    let mut out = Vec::new();
    for (id, created, asked, last) in recovery_rows(s).await {
        let pending = order_state(s, &id)
            .await
            .is_some_and(|(st, _)| st.outcome == OrderOutcome::Pending);
        if !pending {
            continue;
        }
        let mut p = Pending::new(id, u64::try_from(created).unwrap_or(0));
        p.asked = asked.and_then(|a| u32::try_from(a).ok()).unwrap_or(0);
        p.last_asked = last.and_then(|l| u64::try_from(l).ok());
        out.push(p);
    }
    out
}

pub(crate) async fn sweep_once(s: &ShopState, policy: &SweepPolicy) {
    let Some(client) = &s.api else { return };
    let pending = pending(s).await;
    let now = unix_now();
    for order_id in due(&pending, now, policy) {
        let (result, report) = client.call_with_report(&OrderGet::new(order_id)).await;
        record_api_call(s, order_id, &report).await;
        // Through the same `Store::record` as the notifications: an API read and a
        // notification of the same event never race (the order's row is locked).
        let new = match result {
            Ok(answer) => record_platform_read(s, "ORDER_GET", answer.events()).await,
            Err(_) => false,
        };
        asked(s, order_id, i64::try_from(now).unwrap_or(i64::MAX), new).await;
    }
}
