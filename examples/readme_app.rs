//! The README's web snippets as one complete program: a notification endpoint, the
//! embedded form's start through the REST API, both in one axum app with one state, the
//! configuration loaded from a file, and the hardened server. `tests/readme.rs` checks
//! that every snippet of the README's sections *In a web framework* and *Calling the REST
//! API* is a verbatim part of this file, so what the README shows compiles.
//!
//! ```sh
//! cargo run --example readme_app --features axum,rest,client,toml -- path/to/shop.toml  # with a REST password
//! ```

// README: app
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::{routing::post, Router};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use vads::answer::{answer, Answer, Handled};
use vads::api::{Client, CreatePayment, ReqwestTransport};
use vads::axum::Ipn;
use vads::Shops;

/// The application's state: one for every route.
#[derive(Clone)]
struct App {
    shops: Arc<Shops>, // the extractor takes the shops from here
    /// The idempotency keys recorded. In a real shop: a table whose primary key is the
    /// idempotency key, written before answering (`vads-store` does it, with the order's
    /// state and an outbox: see "Running several instances").
    recorded: Arc<Mutex<HashSet<String>>>,
    /// The REST API client (feature `client`), for the embedded form and the back office.
    api: Arc<Client<ReqwestTransport>>,
}

impl FromRef<App> for Arc<Shops> {
    fn from_ref(app: &App) -> Self {
        app.shops.clone()
    }
}
// README: end

// README: notify
async fn notify(State(app): State<App>, Ipn(verified): Ipn) -> Answer {
    // Genuine (verified) but not readable as events: answer 503 and the platform delivers
    // it again (or keep the raw body for a human, then answer Handled::KeptForReview).
    let Ok(events) = verified.notification().events() else {
        return answer(&Handled::StorageFailed);
    };
    // Recording failed: 503, the platform delivers it again. Never 200 before it is kept.
    let Ok(mut recorded) = app.recorded.lock() else {
        return answer(&Handled::StorageFailed);
    };
    let mut new = false;
    for event in events {
        // An event is (shop, mode, idempotency key): a TEST event is never a PRODUCTION one.
        let site = event.site_id.clone().unwrap_or_default();
        let mode = event.mode.map_or("", vads::Mode::as_str);
        new |= recorded.insert(format!("{site}|{mode}|{}", event.idempotency_key()));
    }
    answer(if new {
        &Handled::Recorded
    } else {
        &Handled::Duplicate
    })
}
// README: end

// README: start_payment
/// Starts the embedded form of an order: the page gives this token to the platform's
/// JavaScript form (`kr-form-token`). The payment's result arrives as a REST IPN.
async fn start_payment(State(app): State<App>) -> Result<String, (StatusCode, String)> {
    let payment = CreatePayment::new(1250, "EUR") // 12.50 EUR, in minor units
        .order_id("ORD-42")
        .email("buyer@example.com")
        .ipn_target_url("https://shop.example.fr/payment/notify");
    match app.api.call(&payment).await {
        Ok(form) => Ok(form.form_token.as_str().to_owned()),
        // A refusal (INT_010: invalid currency, ...) or no answer after the retries; the
        // error holds no credential and no answer body: log it, show the code.
        Err(e) => Err((StatusCode::BAD_GATEWAY, e.code().to_owned())),
    }
}
// README: end

// README: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The configuration: a TOML file (feature `toml`), keys and passwords in files or
    // environment variables it names.
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "shop.toml".into());
    let shops = Shops::new(vads::ShopsConfig::from_toml_file(&path)?)?;
    let shop = shops.only().ok_or("one shop in the config")?;
    let app = App {
        api: Arc::new(Client::for_shop(shop)?), // its mode's REST password, its API host
        shops: Arc::new(shops),
        recorded: Arc::default(),
    };
    let router = Router::new()
        .route("/payment/notify", post(notify))
        .route("/checkout/start", post(start_payment))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    serve(listener, router).await;
    Ok(())
}
// README: end

// README: serve
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tokio::{net::TcpListener, sync::Semaphore};

/// Serves `router` with a header timeout, a request timeout and a bound on connections.
async fn serve(listener: TcpListener, router: axum::Router) {
    // 10 s from the headers to the answer, body included; then 408.
    let router = router.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        Duration::from_secs(10),
    ));
    let slots = Arc::new(Semaphore::new(256)); // at most 256 connections at once
    loop {
        // A free slot first: beyond the bound, connections wait in the listen queue.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await; // out of descriptors
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(5)) // request line and headers
                .serve_connection(TokioIo::new(stream), service);
            // A connection, keep-alive included, lives at most a minute.
            let _ = tokio::time::timeout(Duration::from_secs(60), connection).await;
        });
    }
}
// README: end
