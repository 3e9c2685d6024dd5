//! "Ship the coffee": an outbox worker. Each change of an order's outcome is an outbox
//! entry written in the notification's own transaction (`vads_store::Store::record`); this
//! worker claims entries (on any number of instances: never the same entry twice at once),
//! and ships an order whose money just arrived — the shipment row written in the entry's
//! completion transaction, so that a shipment happens exactly once even when an instance
//! is killed between the two. An entry left claimed by a killed instance comes back after
//! its lease.

use super::store::now_ms;
use super::ShopState;
use std::sync::Arc;
use std::time::Duration;
use vads::lifecycle::OrderOutcome;
use vads_store::sqlx;
use vads_store::{OutboxEntry, StoreError};

/// Whether money arrived: the outcome says paid, and before it did not.
pub(crate) fn ships(entry: &OutboxEntry) -> bool {
    let kept = |o: OrderOutcome| {
        matches!(
            o,
            OrderOutcome::Paid | OrderOutcome::PartiallyRefunded | OrderOutcome::Refunded
        )
    };
    matches!(
        entry.to,
        OrderOutcome::Paid | OrderOutcome::PartiallyRefunded
    ) && !entry.from.is_some_and(kept)
}

/// Handles one entry: marks it handled (and ships when [`ships`]) in its completion
/// transaction.
async fn handle(s: &ShopState, worker: &str, entry: &OutboxEntry) -> Result<(), StoreError> {
    let mut c = s.store.begin_completion(entry).await?;
    sqlx::query(
        "INSERT INTO demo_outbox_handled (outbox_id, order_id, to_outcome, worker, handled_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(entry.id)
    .bind(entry.order_id.clone())
    .bind(entry.to.as_str())
    .bind(worker.to_owned())
    .bind(now_ms())
    .execute(c.connection())
    .await?;
    if ships(entry) {
        sqlx::query(
            "INSERT INTO demo_shipments (outbox_id, order_id, worker, shipped_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(entry.id)
        .bind(entry.order_id.clone())
        .bind(worker.to_owned())
        .bind(now_ms())
        .execute(c.connection())
        .await?;
    }
    c.commit().await
}

/// Claims and handles outbox entries for as long as the demo runs: `lease` per claim,
/// `idle` between looks when there is nothing to do.
pub(crate) async fn run(s: Arc<ShopState>, lease: Duration, idle: Duration) {
    let worker = format!("{}-shipper", s.instance);
    loop {
        let entries = match s.store.claim(&worker, 32, lease).await {
            Ok(entries) => entries,
            Err(e) => {
                eprintln!("vads-demo: outbox: {e}");
                Vec::new()
            }
        };
        if entries.is_empty() {
            tokio::time::sleep(idle).await;
            continue;
        }
        for entry in &entries {
            match handle(&s, &worker, entry).await {
                Ok(()) => {
                    if ships(entry) {
                        eprintln!(
                            "vads-demo: [shop {}] shipped order {} (outbox entry {})",
                            s.instance, entry.order_id, entry.id
                        );
                    }
                }
                // Another worker has it now: its side effect is theirs.
                Err(StoreError::LeaseLost) => {}
                Err(e) => eprintln!("vads-demo: outbox entry {}: {e}", entry.id),
            }
        }
    }
}
