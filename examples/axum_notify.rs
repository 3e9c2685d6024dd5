//! A complete notification endpoint with axum: verified notifications in either format
//! (`vads_*` fields or REST `kr-hash`), for one shop or several, each event recorded once,
//! the order's state reconciled from all its events, and the answer the platform expects.
//!
//! ```sh
//! cargo run -p vads --example axum_notify --features axum,rest,toml -- examples/data/shop.toml
//! # in another terminal: a signed test notification, posted like the platform would
//! cargo run -q --bin vads -- rehearse --config examples/data/shop.toml --url http://127.0.0.1:3000/payment/notify
//! ```
//!
//! The store is in memory here; a real one is a database table whose primary key is the
//! idempotency key, written in one transaction before answering: the same endpoint on
//! `vads-store` (SQLite or PostgreSQL, several instances, an outbox) is
//! `store/examples/axum_notify.rs` (`cargo run -p vads-store --example axum_notify`).

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use vads::answer::{answer, Answer, Handled};
use vads::axum::Ipn;
use vads::lifecycle::{reconcile, TransactionEvent};
use vads::{Shops, ShopsConfig};

/// The application's state: the shops (the extractor takes them from here) and the store.
#[derive(Clone)]
struct App {
    shops: Arc<Shops>,
    /// Events by idempotency key (a table with that primary key in a real shop).
    events: Arc<Mutex<HashMap<String, TransactionEvent>>>,
}

impl FromRef<App> for Arc<Shops> {
    fn from_ref(app: &App) -> Arc<Shops> {
        app.shops.clone()
    }
}

/// The IPN endpoint. The extractor has verified the body (or answered 400 itself); record
/// each transaction event once, then answer 200 (503 if the store failed: the platform
/// retries).
async fn notify(State(app): State<App>, Ipn(verified): Ipn) -> Answer {
    let Ok(events) = verified.notification().events() else {
        return answer(&Handled::StorageFailed);
    };
    let Ok(mut store) = app.events.lock() else {
        return answer(&Handled::StorageFailed);
    };
    let mut new = false;
    for event in events {
        new |= store.insert(event_key(&event), event).is_none();
    }
    answer(&if new {
        Handled::Recorded
    } else {
        Handled::Duplicate
    })
}

/// The key an event is recorded under: its shop, its mode, its idempotency key (a TEST
/// event and a PRODUCTION event of the same transaction are two events).
fn event_key(e: &TransactionEvent) -> String {
    format!(
        "{}|{}|{}",
        e.site_id.as_deref().unwrap_or_default(),
        e.mode.map_or("", vads::Mode::as_str),
        e.idempotency_key()
    )
}

/// An order's state, derived from every event recorded for it (never from the latest):
/// `/orders/{mode}/{id}` (`TEST` or `PRODUCTION`: two orders of the same id are two
/// orders).
async fn order(
    State(app): State<App>,
    Path((mode, id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, StatusCode> {
    let mode: vads::Mode = mode.parse().map_err(|_| StatusCode::BAD_REQUEST)?;
    let events: Vec<TransactionEvent> = app
        .events
        .lock()
        .map(|s| {
            s.values()
                .filter(|e| e.order_id.as_deref() == Some(id.as_str()) && e.mode == Some(mode))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    // One shop, one mode: these events always reconcile.
    let state = reconcile(events, None).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(serde_json::json!({
        "order_id": id,
        "mode": mode,
        "outcome": state.outcome.as_str(),
        "paid": state.paid,
        "refunded": state.refunded,
    })))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/data/shop.toml".into());
    let shops = Arc::new(Shops::new(ShopsConfig::from_toml_file(&path)?)?);
    let app = App {
        shops,
        events: Arc::default(),
    };
    let router = Router::new()
        .route("/payment/notify", post(notify))
        .route("/orders/{mode}/{id}", get(order))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("notification endpoint: http://127.0.0.1:3000/payment/notify");
    axum::serve(listener, router).await?;
    Ok(())
}
