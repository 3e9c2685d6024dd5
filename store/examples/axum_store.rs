//! A notification endpoint with axum that records through `vads-store`: verified
//! notifications in either format, each event recorded once and the order recomputed in
//! one transaction (on any number of instances sharing the database), the answer the
//! platform expects, and a worker that acts on each change of an order's outcome once.
//!
//! ```sh
//! cargo run -p vads-store --example axum_store -- examples/data/shop.toml
//! # or several instances on PostgreSQL:
//! VADS_STORE_URL=postgres://vads:vads@127.0.0.1/vads cargo run -p vads-store --features postgres --example axum_store -- examples/data/shop.toml
//! # in another terminal: a signed test notification, posted like the platform would
//! cargo run -q --bin vads -- rehearse --config examples/data/shop.toml --url http://127.0.0.1:3000/payment/notify
//! ```

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Duration;
use vads::answer::{answer, Answer, Handled};
use vads::axum::Ipn;
use vads::{AnyNotification, Shops, ShopsConfig};
use vads_store::{OrderKey, Source, Store};

/// The application's state: the shops (the extractor takes them from here) and the store.
#[derive(Clone)]
struct App {
    shops: Arc<Shops>,
    store: Store,
}

impl FromRef<App> for Arc<Shops> {
    fn from_ref(app: &App) -> Arc<Shops> {
        app.shops.clone()
    }
}

// README: store_notify
/// The IPN endpoint. The extractor has verified the body (or answered 400 itself); the
/// store records its events once, in one transaction, before the answer.
async fn notify(State(app): State<App>, Ipn(verified): Ipn) -> Answer {
    let n = verified.notification();
    let Ok(events) = n.events() else {
        // Genuine, but its content cannot be read: keep it for a human (a retry would
        // bring the same bytes). Here it is only logged.
        eprintln!("a verified notification could not be read");
        return answer(&Handled::KeptForReview);
    };
    let source = match &n {
        AnyNotification::Form(f) => f.get("vads_url_check_src").unwrap_or_default().into_owned(),
        AnyNotification::Rest(_) => "REST".to_owned(),
    };
    if events.is_empty() {
        return answer(&Handled::Duplicate);
    }
    match app
        .store
        .record(&events, Source::Notification(&source))
        .await
    {
        Ok(r) if r.is_new() => answer(&Handled::Recorded),
        Ok(_) => answer(&Handled::Duplicate),
        // It can never be recorded (no order id, ...): keep it for a human (here it is
        // only logged), then 200: a retry would bring the same bytes.
        Err(e) if e.is_unrecordable() => {
            eprintln!("a verified notification cannot be recorded: {e}");
            answer(&Handled::KeptForReview)
        }
        // The database failed: 503, the platform delivers again.
        Err(_) => answer(&Handled::StorageFailed),
    }
}
// README: end

/// An order's state as the store reconciled it from every event (never from the latest):
/// `/orders/{site_id}/{mode}/{id}` (a TEST order and a PRODUCTION order of the same id
/// are two orders).
async fn order(
    State(app): State<App>,
    Path((site_id, mode, id)): Path<(String, String, String)>,
) -> Result<Json<serde_json::Value>, StatusCode> {
    let mode: vads::Mode = mode.parse().map_err(|_| StatusCode::BAD_REQUEST)?;
    let key = OrderKey::new(site_id, mode, id);
    let stored = app
        .store
        .order(&key)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let o = stored.ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(serde_json::json!({
        "order_id": key.order_id,
        "mode": key.mode,
        "outcome": o.state.outcome.as_str(),
        "paid": o.state.paid,
        "refunded": o.state.refunded,
        "currency": o.state.currency,
    })))
}

// README: store_worker
/// Acts on each change of outcome once (here: prints it), whichever instance claims it.
async fn worker(store: Store) {
    loop {
        match store.claim("example", 32, Duration::from_secs(30)).await {
            Ok(entries) if !entries.is_empty() => {
                for e in entries {
                    println!(
                        "order {} ({}): {:?} -> {}",
                        e.key.order_id,
                        e.key.mode,
                        e.from.map(|o| o.as_str()),
                        e.to.as_str()
                    );
                    if let Err(err) = store.complete(&e).await {
                        eprintln!("outbox entry {}: {err}", e.id);
                    }
                }
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            Err(err) => {
                eprintln!("outbox: {err}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
// README: end

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/data/shop.toml".into());
    let shops = Arc::new(Shops::new(ShopsConfig::from_toml_file(&path)?)?);
    let store = match std::env::var("VADS_STORE_URL") {
        Ok(url) => Store::open(&url).await?,
        Err(_) => {
            Store::open_sqlite_file(&std::env::temp_dir().join("vads-store-example.db")).await?
        }
    };
    tokio::spawn(worker(store.clone()));
    let router = Router::new()
        .route("/payment/notify", post(notify))
        .route("/orders/{site_id}/{mode}/{id}", get(order))
        .with_state(App { shops, store });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("notification endpoint: http://127.0.0.1:3000/payment/notify");
    axum::serve(listener, router).await?;
    Ok(())
}
