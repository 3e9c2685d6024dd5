//! "Ship the coffee": an outbox worker. Each change of an order's outcome is an outbox
//! entry written in the notification's own transaction (`vads_store::Store::record`); this
//! worker claims entries (on any number of instances: never the same entry twice at once),
//! and ships an order whose money arrived — the shipment row written in the entry's
//! completion transaction, so that a shipment happens exactly once even when an instance
//! is killed between the two. An entry left claimed by a killed instance comes back after
//! its lease.
//!
//! The shipment is the *order's* side effect, not the transition's: its row's key is the
//! order's (site, mode, order id), so an order that goes paid → needs attention → paid
//! again, or is recorded paid by two paths, still ships once. A subscription's
//! installment is its own record (`ORDER|REC|TOKEN|N`): each paid installment ships its
//! month's bag, once.

use super::store::now_ms;
use super::ShopState;
use std::sync::Arc;
use std::time::Duration;
use vads::lifecycle::OrderOutcome;
use vads_store::sqlx;
use vads_store::{OutboxEntry, StoreError};

/// Whether the order is to be shipped: its outcome says paid (shipped once per order,
/// whichever entry says it first: [`handle`]'s insert is keyed by the order).
pub(crate) fn ships(entry: &OutboxEntry) -> bool {
    matches!(
        entry.to,
        OrderOutcome::Paid | OrderOutcome::PartiallyRefunded
    )
}

/// Handles one entry: marks it handled (and ships when [`ships`] and the order was not
/// shipped yet) in its completion transaction. `true` when it shipped now.
async fn handle(s: &ShopState, worker: &str, entry: &OutboxEntry) -> Result<bool, StoreError> {
    let mut c = s.store.begin_completion(entry).await?;
    sqlx::query(
        "INSERT INTO demo_outbox_handled (outbox_id, order_id, to_outcome, worker, handled_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(entry.id)
    .bind(entry.key.order_id.clone())
    .bind(entry.to.as_str())
    .bind(worker.to_owned())
    .bind(now_ms())
    .execute(c.connection())
    .await?;
    let mut shipped = false;
    if ships(entry) {
        shipped = sqlx::query(
            "INSERT INTO demo_shipped (site_id, mode, order_id, outbox_id, worker, shipped_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site_id, mode, order_id) DO NOTHING",
        )
        .bind(entry.key.site_id.clone())
        .bind(entry.key.mode.as_str())
        .bind(entry.key.storage_id())
        .bind(entry.id)
        .bind(worker.to_owned())
        .bind(now_ms())
        .execute(c.connection())
        .await?
        .rows_affected()
            == 1;
    }
    c.commit().await?;
    Ok(shipped)
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
                Ok(shipped) => {
                    if shipped {
                        eprintln!(
                            "vads-demo: [shop {}] shipped {} ({}, outbox entry {})",
                            s.instance, entry.key, entry.key.mode, entry.id
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
