//! A complete notification endpoint with actix-web: the raw body (at most
//! `vads::MAX_BODY_LEN` bytes), verified in either format for one shop or several, each
//! event recorded once, the order's state reconciled from all its events, and the answer
//! the platform expects.
//!
//! ```sh
//! cargo run -p vads --example actix_notify --features rest,toml -- examples/data/shop.toml
//! # in another terminal: a signed test notification, posted like the platform would
//! cargo run -q --bin vads -- rehearse --config examples/data/shop.toml --url http://127.0.0.1:3001/payment/notify
//! ```
//!
//! The store is in memory here; a real one is a database table whose primary key is the
//! idempotency key, written in one transaction before answering.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, App, HttpRequest, HttpResponse, HttpServer};
use std::collections::HashMap;
use std::sync::Mutex;
use vads::answer::{answer, Handled};
use vads::lifecycle::{reconcile, TransactionEvent};
use vads::{Endpoint, Shops, ShopsConfig};

struct Store {
    shops: Shops,
    /// Events by idempotency key (a table with that primary key in a real shop).
    events: Mutex<HashMap<String, TransactionEvent>>,
}

/// The answer `vads::answer` gives, as an actix response.
fn respond(handled: &Handled) -> HttpResponse {
    let a = answer(handled);
    HttpResponse::build(StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_REQUEST))
        .body(a.body)
}

/// The IPN endpoint: verify the raw body (never a re-encoded form), record each event
/// once, answer.
#[post("/payment/notify")]
async fn notify(store: web::Data<Store>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    // A body declared larger than the library's limit is answered 413 at once, before
    // waiting for it (it could never verify); a longer one than declared stops at the limit.
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > vads::MAX_BODY_LEN as u64) {
        return respond(&Handled::Rejected(vads::VerifyError::BodyTooLarge));
    }
    let body = match payload.to_bytes_limited(vads::MAX_BODY_LEN).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            return respond(&Handled::Rejected(vads::VerifyError::MalformedBody {
                field: None,
            }))
        }
        Err(_) => return respond(&Handled::Rejected(vads::VerifyError::BodyTooLarge)),
    };
    let events = match store.shops.verify_any(&body, Endpoint::Ipn) {
        // 400: the platform reports and retries a genuine notification refused by a
        // configuration mistake; the body says nothing of why.
        Err(e) => {
            eprintln!("notification rejected: {}", e.code());
            return respond(&Handled::Rejected(e));
        }
        Ok((_shop, n)) => match n.events() {
            Ok(events) => events,
            // Genuine, but its content cannot be read: keep the raw body for a human
            // (a real shop writes it to a table), and answer 200: a retry would bring
            // the same bytes.
            Err(e) => {
                eprintln!("verified notification kept for review: {}", e.code());
                return respond(&Handled::KeptForReview);
            }
        },
    };
    let Ok(mut recorded) = store.events.lock() else {
        return respond(&Handled::StorageFailed);
    };
    let mut new = false;
    for event in events {
        new |= recorded.insert(event_key(&event), event).is_none();
    }
    respond(&if new {
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
#[get("/orders/{mode}/{id}")]
async fn order(store: web::Data<Store>, path: web::Path<(String, String)>) -> HttpResponse {
    let (mode, id) = path.into_inner();
    let Ok(mode) = mode.parse::<vads::Mode>() else {
        return HttpResponse::BadRequest().body("mode is TEST or PRODUCTION");
    };
    let events: Vec<TransactionEvent> = store
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
    let Ok(state) = reconcile(events, None) else {
        return HttpResponse::InternalServerError().finish();
    };
    HttpResponse::Ok().json(serde_json::json!({
        "order_id": id.as_str(),
        "mode": mode,
        "outcome": state.outcome.as_str(),
        "paid": state.paid,
        "refunded": state.refunded,
    }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/data/shop.toml".into());
    let config = ShopsConfig::from_toml_file(&path).map_err(std::io::Error::other)?;
    let store = web::Data::new(Store {
        shops: Shops::new(config).map_err(std::io::Error::other)?,
        events: Mutex::default(),
    });
    println!("notification endpoint: http://127.0.0.1:3001/payment/notify");
    HttpServer::new(move || {
        App::new()
            .app_data(store.clone())
            .service(notify)
            .service(order)
    })
    .bind(("127.0.0.1", 3001))?
    .run()
    .await
}
