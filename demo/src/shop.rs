//! The demo shop: a product page; "Pay" creates an order and posts the signed form to
//! the payment page; the notification endpoint takes both formats and records each
//! transaction event once; every order has a page that shows, in order, the signed form,
//! every notification received with its verdict, and the state reconciled from them.

use crate::ui::{self, escape_html, money, query_escape, Site};
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use vads::answer::{answer, Answer, Handled};
use vads::axum::VerifiedNotification;
use vads::lifecycle::{reconcile, Expected, OrderOutcome, OrderState, TransactionEvent};
use vads::{AnyNotification, Endpoint, Shop, Shops};

/// The price of the demo's only product, in cents.
pub const PRICE: u64 = 1250;
/// Its currency.
pub const CURRENCY: &str = "EUR";
const PRODUCT: &str = "Coffee beans, 1 kg";

pub(crate) struct ShopState {
    /// The shop (TEST): signs forms, verifies `/notify`.
    pub(crate) shops: Arc<Shops>,
    /// The same shop's PRODUCTION deployment, at `/notify/live`, if configured: where
    /// the playground shows that a TEST notification is never trusted.
    pub(crate) live: Option<Arc<Shops>>,
    pub(crate) db: Mutex<rusqlite::Connection>,
    pub(crate) base_url: String,
    /// The simulator's base URL, when forms go to it (the playground's actions).
    pub(crate) simulator_url: Option<String>,
}

impl ShopState {
    fn shop(&self) -> Option<&Shop> {
        self.shops.only()
    }

    fn site(&self) -> Site {
        Site::Shop {
            test: self.shop().is_some_and(|s| s.mode() == vads::Mode::Test),
        }
    }

    fn fail(&self, status: StatusCode, title: &str, message: &str) -> Response {
        ui::error(
            self.site(),
            status,
            title,
            message,
            &[("/", "Back to the shop"), ("/orders", "All orders")],
        )
    }
}

/// The database: orders (with the form they were paid with), transaction events (each
/// once), and every delivery with its verdict. A database of an older demo is replaced.
pub(crate) fn open_db(path: &std::path::Path) -> Result<rusqlite::Connection, String> {
    let db = rusqlite::Connection::open(path).map_err(|e| format!("database: {e}"))?;
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| format!("database: {e}"))?;
    if version != 3 {
        db.execute_batch(
            "DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS events;
             DROP TABLE IF EXISTS deliveries; DROP TABLE IF EXISTS order_seq;
             DROP TABLE IF EXISTS reviews;",
        )
        .map_err(|e| format!("database: {e}"))?;
    }
    db.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE IF NOT EXISTS orders (
             id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL,
             form TEXT NOT NULL, signing_string TEXT NOT NULL,
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
         PRAGMA user_version = 3;",
    )
    .map_err(|e| format!("database: {e}"))?;
    Ok(db)
}

pub(crate) fn router(state: Arc<ShopState>) -> Router {
    Router::new()
        .route("/", get(product_page))
        .route("/order", post(create_order))
        .route("/notify", post(notify))
        .route("/notify/live", post(notify_live))
        .route("/return", get(return_page).post(return_post))
        .route("/orders", get(orders_page))
        .route("/orders/{id}", get(order_page))
        .route("/api/orders/{id}", get(order_json))
        .fallback(not_found)
        // The library refuses bodies above MAX_BODY_LEN: reading more would only cost
        // memory. Larger bodies get 413 before they are read.
        .layer(axum::extract::DefaultBodyLimit::max(vads::MAX_BODY_LEN))
        .layer(axum::middleware::from_fn(
            vads::axum::refuse_declared_too_large,
        ))
        .with_state(state)
}

async fn not_found(State(s): State<Arc<ShopState>>) -> Response {
    s.fail(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no such page in this shop.",
    )
}

async fn product_page(State(s): State<Arc<ShopState>>) -> Response {
    let recent = recent_orders(&s, 5);
    ui::page(
        s.site(),
        "Café vads",
        &format!(
            "<div class=\"card product\"><div class=\"pic\"></div><div>\
             <h2>{PRODUCT}</h2><p class=\"muted\">Single origin, roasted this week.</p>\
             <p class=\"price\" id=\"price\">{}</p>\
             <form method=\"POST\" action=\"/order\"><button class=\"primary\" id=\"pay\" type=\"submit\">Pay {}</button></form>\
             </div></div>\
             <div class=\"card\"><h2>How this demo works</h2><p>\"Pay\" creates an order and posts a form \
             signed with <code>vads</code> to the payment platform (here a local simulator). The platform \
             notifies the shop (the IPN) and sends the buyer back. Each order's page shows what <code>vads</code> \
             did: the signed form, every notification with its verdict, and the order's state \
             reconciled from them, with buttons to make the platform send more.</p></div>{}",
            money(PRICE, CURRENCY),
            money(PRICE, CURRENCY),
            if recent.is_empty() {
                String::new()
            } else {
                format!("<div class=\"card\"><h2>Recent orders</h2>{recent}</div>")
            }
        ),
    )
    .into_response()
}

/// The newest orders as a table (empty when there are none).
fn recent_orders(s: &ShopState, limit: usize) -> String {
    let ids: Vec<(String, String)> = {
        let Ok(db) = s.db.lock() else {
            return String::new();
        };
        let Ok(mut q) =
            db.prepare("SELECT id, created_at FROM orders ORDER BY rowid DESC LIMIT ?1")
        else {
            return String::new();
        };
        q.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    };
    if ids.is_empty() {
        return String::new();
    }
    let rows: String = ids
        .iter()
        .map(|(id, at)| {
            let state = order_state(s, id).map(|(st, _)| st);
            format!(
                "<tr><td><a href=\"/orders/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                query_escape(id),
                escape_html(id),
                escape_html(at),
                state.map_or_else(String::new, |st| outcome_badge(st.outcome))
            )
        })
        .collect();
    format!("<table><tr><th>Order</th><th>Created (UTC)</th><th>State</th></tr>{rows}</table>")
}

async fn orders_page(State(s): State<Arc<ShopState>>) -> Response {
    let table = recent_orders(&s, 100);
    ui::page(
        s.site(),
        "Orders",
        &if table.is_empty() {
            "<div class=\"card\"><p>No order yet. <a href=\"/\">Buy something</a>.</p></div>"
                .to_owned()
        } else {
            format!("<div class=\"card\">{table}</div>")
        },
    )
    .into_response()
}

async fn create_order(State(s): State<Arc<ShopState>>) -> Response {
    let Some(shop) = s.shop() else {
        return s.fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Configuration error",
            "the demo needs exactly one shop",
        );
    };
    let order_id = {
        let Ok(db) = s.db.lock() else {
            return s.fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "the database is busy",
            );
        };
        // One row of the sequence per order, inserted under the database's lock: two
        // concurrent orders never get the same number.
        let n = match db.execute("INSERT INTO order_seq DEFAULT VALUES", []) {
            Ok(_) => db.last_insert_rowid(),
            Err(e) => {
                eprintln!("vads-demo: cannot allocate an order id: {e}");
                return s.fail(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Please try again",
                    "the order could not be created",
                );
            }
        };
        format!(
            "ORD-{}-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            n
        )
    };
    let form = shop
        .form()
        .amount(PRICE)
        .currency(CURRENCY)
        .order_id(order_id.as_str())
        .url_return(format!("{}/return", s.base_url))
        .url_check(format!("{}/notify", s.base_url))
        .return_mode("GET")
        .field("vads_ext_info_product", PRODUCT)
        .sign();
    let form = match form {
        Ok(form) => form,
        Err(e) => {
            return s.fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The form could not be signed",
                &e.to_string(),
            )
        }
    };
    let signed: Vec<(&str, &str)> = form
        .fields
        .iter()
        .filter(|(n, _)| n != "signature")
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let masked = shop.signing_string_masked(signed).unwrap_or_default();
    let stored = {
        let Ok(db) = s.db.lock() else {
            return s.fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "the database is busy",
            );
        };
        db.execute(
            "INSERT INTO orders (id, amount, currency, form, signing_string) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                order_id,
                PRICE as i64,
                CURRENCY,
                serde_json::to_string(&form.fields).unwrap_or_default(),
                masked
            ],
        )
    };
    if let Err(e) = stored {
        // The database's words go to the operator's terminal, never to the buyer's page.
        eprintln!("vads-demo: cannot save order {order_id}: {e}");
        return s.fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "The order could not be saved",
            "please try again in a moment",
        );
    }
    ui::page(
        s.site(),
        "Redirecting to the payment page…",
        &format!(
            "<div class=\"card\"><p>Order <strong>{}</strong> is created. Your browser now posts the signed \
             form to the payment platform.</p>{}</div>",
            escape_html(&order_id),
            form.to_html_auto_submit()
        ),
    )
    .into_response()
}

// ------------------------------------------------------------------ notifications

/// What an unverified body claims (order, format, source, status): for the delivery log
/// only, so that a refused delivery shows on the page of the order it names. Never
/// trusted for anything else.
struct Claimed {
    order_id: Option<String>,
    format: &'static str,
    source: Option<String>,
    status: Option<String>,
}

fn lenient_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match raw
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn claimed(body: &[u8]) -> Claimed {
    let fields: Vec<(String, String)> = body
        .split(|&b| b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.iter().position(|&b| b == b'=') {
            Some(eq) => (lenient_decode(&seg[..eq]), lenient_decode(&seg[eq + 1..])),
            None => (lenient_decode(seg), String::new()),
        })
        .collect();
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if let Some(answer) = get("kr-answer") {
        let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        return Claimed {
            order_id: text(&json["orderDetails"]["orderId"]),
            format: "REST",
            source: Some("REST".into()),
            status: text(&json["transactions"][0]["detailedStatus"]),
        };
    }
    Claimed {
        order_id: get("vads_order_id"),
        format: "vads_*",
        source: get("vads_url_check_src"),
        status: get("vads_trans_status"),
    }
}

/// Records the transaction events of a verified notification (one for `vads_*`, one per
/// transaction for REST), each once, under its idempotency key: the same event delivered
/// again, in either format, is a duplicate. `Ok(false)` when nothing was new.
fn record(
    s: &ShopState,
    n: &AnyNotification<'_>,
    events: Vec<TransactionEvent>,
) -> Result<bool, rusqlite::Error> {
    let src = match n {
        AnyNotification::Form(n) => n.get("vads_url_check_src").unwrap_or_default().into_owned(),
        AnyNotification::Rest(_) => "REST".to_owned(),
    };
    let db = s.db.lock().map_err(|_| rusqlite::Error::InvalidQuery)?;
    let mut new = false;
    for event in events {
        let json = serde_json::to_string(&event).map_err(|_| rusqlite::Error::InvalidQuery)?;
        let inserted = db.execute(
            "INSERT OR IGNORE INTO events (idempotency_key, order_id, event, url_check_src) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![event.idempotency_key(), event.order_id.clone().unwrap_or_default(), json, src],
        )?;
        new |= inserted == 1;
    }
    Ok(new)
}

/// Keeps a verified notification whose content cannot be read as events: its answer text
/// and why, for the order's page ("needs attention").
fn keep_for_review(
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

/// Verifies, records, logs the delivery with its verdict, and answers as `vads::answer`
/// decides.
fn handle(s: &ShopState, shops: &Shops, endpoint: &str, body: Bytes) -> Answer {
    let claim = claimed(&body);
    let (handled, verdict, order_id) =
        match VerifiedNotification::verify(shops, body, Endpoint::Ipn) {
            Err(e) => (Handled::Rejected(e), "refused", claim.order_id.clone()),
            Ok(v) => {
                let n = v.notification();
                let order_id = match &n {
                    AnyNotification::Form(f) => f.order_id().map(|o| o.into_owned()),
                    AnyNotification::Rest(_) => claim.order_id.clone(),
                };
                match n.events() {
                    // Genuine, but its content cannot be read as events: kept for a human,
                    // answered 200 (a retry would bring the same signed bytes).
                    Err(e) => match keep_for_review(s, order_id.as_deref(), e.code(), &n) {
                        Ok(()) => (Handled::KeptForReview, "kept_for_review", order_id),
                        Err(_) => (Handled::StorageFailed, "storage_failed", order_id),
                    },
                    Ok(events) => match record(s, &n, events) {
                        Ok(true) => (Handled::Recorded, "accepted", order_id),
                        Ok(false) => (Handled::Duplicate, "duplicate", order_id),
                        Err(_) => (Handled::StorageFailed, "storage_failed", order_id),
                    },
                }
            }
        };
    let a = answer(&handled);
    let code = match &handled {
        Handled::Rejected(e) => Some(e.code()),
        _ => None,
    };
    if let Ok(db) = s.db.lock() {
        let _ = db.execute(
            "INSERT INTO deliveries (order_id, endpoint, format, source, status, verdict, code, answer) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![order_id, endpoint, claim.format, claim.source, claim.status, verdict, code, a.status],
        );
    }
    a
}

async fn notify(State(s): State<Arc<ShopState>>, body: Bytes) -> Answer {
    handle(&s, &s.shops, "/notify", body)
}

/// The PRODUCTION deployment's endpoint (its own shop, in PRODUCTION).
async fn notify_live(State(s): State<Arc<ShopState>>, body: Bytes) -> Response {
    match &s.live {
        Some(live) => handle(&s, live, "/notify/live (PRODUCTION)", body).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "no PRODUCTION deployment in this demo",
        )
            .into_response(),
    }
}

// ------------------------------------------------------------------ orders

/// The order's state, reconciled from every event recorded for it (whatever order they
/// arrived in), checked against the order's amount; and the number of events.
fn order_state(s: &ShopState, id: &str) -> Option<(OrderState, usize)> {
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

struct Delivery {
    n: i64,
    endpoint: String,
    format: String,
    source: Option<String>,
    status: Option<String>,
    verdict: String,
    code: Option<String>,
    answer: i64,
    at: String,
}

fn deliveries(s: &ShopState, id: &str) -> Vec<Delivery> {
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

fn outcome_badge(outcome: OrderOutcome) -> String {
    let class = match outcome {
        OrderOutcome::Paid | OrderOutcome::Verified => "ok",
        OrderOutcome::Pending => "info",
        OrderOutcome::PartiallyRefunded | OrderOutcome::Refunded | OrderOutcome::Cancelled => {
            "warn"
        }
        _ => "bad",
    };
    format!(
        "<span class=\"badge {class}\" id=\"state-badge\">{}</span>",
        outcome.as_str()
    )
}

/// What a simulator operation was, in words (for the notice after it).
fn operation_words(op: &str) -> &'static str {
    match op {
        "replay" => {
            "the payment's notification again, as the back office replays it (url_check_src=BO)"
        }
        "retry" => "the payment's notification again, as an automatic retry (url_check_src=RETRY)",
        "forgery" => {
            "a forgery: the payment's notification signed with a key that is not the shop's"
        }
        "test_to_production" => {
            "the payment's TEST notification to the shop's PRODUCTION deployment"
        }
        "duplicate_field" => "the payment's notification with one field twice",
        "validate" => "the back office's validation of the payment",
        "cancel" => "the back office's cancellation of the payment",
        "refund" => "a full refund (a new CREDIT transaction)",
        "refund_part" => "a partial refund (a new CREDIT transaction)",
        "rest_payment" => "the payment again as a REST IPN (kr-hash)",
        "rest_refund_part" => "a partial refund as a REST IPN (kr-hash)",
        _ => "a notification",
    }
}

async fn order_page(
    State(s): State<Arc<ShopState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let row: Option<(i64, String, String, String, String)> = s.db.lock().ok().and_then(|db| {
        db.query_row(
            "SELECT amount, currency, form, signing_string, created_at FROM orders WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .ok()
    });
    let Some((amount, currency, form, signing_string, created)) = row else {
        return s.fail(
            StatusCode::NOT_FOUND,
            "No such order",
            &format!("There is no order {id} in this shop."),
        );
    };
    let amount = u64::try_from(amount).unwrap_or_default();
    let Some((state, events)) = order_state(&s, &id) else {
        return s.fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "the database is busy",
        );
    };
    let form: Vec<(String, String)> = serde_json::from_str(&form).unwrap_or_default();
    let signature = form
        .iter()
        .find(|(n, _)| n == "signature")
        .map_or("", |(_, v)| v.as_str());
    let algorithm = s.shop().map_or("", |shop| shop.algorithm().name());
    let mut body = String::new();

    // What the simulator just did, if this page follows one of its operations.
    if let Some(op) = q.get("sent") {
        let answered = q.get("answered").map_or("nothing", String::as_str);
        let class = if answered.starts_with('2') {
            "ok"
        } else {
            "bad"
        };
        body += &format!(
            "<div class=\"notice {class}\" id=\"sent\">The platform simulator sent {}; the shop answered <strong>{}</strong>. \
             Its verdict is the last row of the notifications below.</div>",
            escape_html(operation_words(op)),
            escape_html(answered)
        );
    }
    body += &format!(
        "<div class=\"card\"><dl class=\"facts\"><dt>Order</dt><dd id=\"order\">{}</dd><dt>Product</dt><dd>{PRODUCT}</dd>\
         <dt>Amount</dt><dd>{}</dd><dt>Created (UTC)</dt><dd>{}</dd><dt>State</dt><dd>{}</dd></dl></div>",
        escape_html(&id),
        money(amount, &currency),
        escape_html(&created),
        outcome_badge(state.outcome)
    );

    // 1. The signed form.
    let fields: String = form
        .iter()
        .filter(|(n, _)| n != "signature")
        .map(|(n, v)| {
            format!(
                "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                escape_html(n),
                escape_html(v)
            )
        })
        .collect();
    body += &format!(
        "<div class=\"card\" id=\"form\"><h2><span class=\"step\">1</span>The signed form</h2>\
         <p class=\"muted\">What the shop posted to the payment page. The signature covers every <code>vads_</code> \
         field: their values sorted by name, joined with <code>+</code>, then the key ({algorithm}).</p>\
         <table><tr><th>Field</th><th>Value</th></tr>{fields}</table>\
         <p><strong>Signing string</strong> (key masked, as the platform's error e-mail shows it):<br><code id=\"signing-string\">{}</code></p>\
         <p><strong>Signature</strong>: <code>{}</code></p></div>",
        escape_html(&signing_string),
        escape_html(signature)
    );

    // 2. Every notification received, with its verdict.
    let list = deliveries(&s, &id);
    let rows: String = list
        .iter()
        .map(|d| {
            let verdict = match d.verdict.as_str() {
                "accepted" => "<span class=\"badge ok\">accepted</span> recorded".to_owned(),
                "duplicate" => "<span class=\"badge info\">duplicate</span> already recorded, nothing changes".to_owned(),
                "kept_for_review" => "<span class=\"badge warn\">kept for review</span> verified, but its content could not be read".to_owned(),
                "refused" => format!(
                    "<span class=\"badge bad\">refused</span> <code>{}</code>",
                    escape_html(d.code.as_deref().unwrap_or_default())
                ),
                other => format!("<span class=\"badge warn\">{}</span>", escape_html(other)),
            };
            format!(
                "<tr class=\"delivery {}\"><td>{}</td><td>{}</td><td class=\"nowrap\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&d.verdict),
                d.n,
                escape_html(d.at.get(11..).unwrap_or(&d.at)),
                escape_html(&d.endpoint),
                escape_html(&d.format),
                escape_html(d.source.as_deref().unwrap_or("—")),
                escape_html(d.status.as_deref().unwrap_or("—")),
                verdict,
                d.answer
            )
        })
        .collect();
    body += &format!(
        "<div class=\"card\" id=\"notifications\"><h2><span class=\"step\">2</span>Notifications received</h2>\
         <p class=\"muted\">Every delivery to the shop's endpoints, with what <code>vads</code> decided. \
         Accepted: verified and recorded once. Duplicate: verified, but that event was already recorded \
         (the shop answers 200 and nothing changes). Refused: not verified; the shop answers 400, so that a \
         genuine notification refused by a configuration mistake is retried by the platform, not lost. \
         The source and status of a refused delivery are what its body claims.</p>{}</div>",
        if rows.is_empty() {
            "<p id=\"no-notification\">None yet. The platform notifies the shop when the payment ends.</p>".to_owned()
        } else {
            format!(
                "<table><tr><th>#</th><th>Time</th><th>Endpoint</th><th>Format</th><th>Source</th><th>Status</th>\
                 <th>Verdict</th><th>Answer</th></tr>{rows}</table>"
            )
        }
    );

    // 3. The state reconciled from the events.
    let currency_alpha = state
        .currency
        .as_deref()
        .and_then(vads::form::Currency::find)
        .map_or(currency.as_str(), |c| c.alpha)
        .to_owned();
    let attention = if state.attention.is_empty() {
        "none".to_owned()
    } else {
        state
            .attention
            .iter()
            .map(|a| escape_html(a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    body += &format!(
        "<div class=\"card\" id=\"state\"><h2><span class=\"step\">3</span>The order, reconciled</h2>\
         <p class=\"muted\">Derived from the set of recorded events ({events}), never from the latest arrival: \
         delivery order and repetitions change nothing, and a refund is never a payment.</p>\
         <dl class=\"facts\"><dt>Outcome</dt><dd id=\"outcome\">{}</dd><dt>Paid</dt><dd id=\"paid\">{}</dd>\
         <dt>Refunded</dt><dd id=\"refunded\">{}</dd><dt>Transactions</dt><dd>{}</dd><dt>Needs attention</dt><dd>{}</dd></dl></div>",
        outcome_badge(state.outcome),
        money(state.paid, &currency_alpha),
        money(state.refunded, &currency_alpha),
        state.transactions.len(),
        attention
    );

    // 4. What the platform may send: the playground's buttons.
    if let Some(sim) = &s.simulator_url {
        let back = format!("{}/orders/{}", s.base_url, query_escape(&id));
        let button = |op: &str, label: &str, extra: &str, class: &str| {
            format!(
                "<form method=\"POST\" action=\"{}/admin/operation\"><input type=\"hidden\" name=\"order_id\" value=\"{}\">\
                 <input type=\"hidden\" name=\"op\" value=\"{op}\"><input type=\"hidden\" name=\"back\" value=\"{}\">{extra}\
                 <button class=\"{class}\" id=\"{op}\" type=\"submit\">{label}</button></form>",
                escape_html(sim),
                escape_html(&id),
                escape_html(&back)
            )
        };
        let paid_something = list.iter().any(|d| d.verdict != "refused");
        body += &format!(
            "<div class=\"card\" id=\"playground\"><h2><span class=\"step\">4</span>Make the platform send more</h2>{}</div>",
            if paid_something {
                format!(
                    "<p class=\"muted\">The simulator sends this order's payment notification again, in the ways the \
                     real platform (or someone else) may; watch the verdicts above.</p>\
                     <div class=\"actions\">{}{}{}{}{}</div>\
                     <p class=\"muted\">Back-office operations: each sends the notification the platform sends.</p>\
                     <div class=\"actions\">{}{}{}{}</div>\
                     <p class=\"muted\">The same endpoint takes REST answers (<code>kr-hash</code>, signed with the REST password):</p>\
                     <div class=\"actions\">{}{}</div>",
                    button("replay", "Deliver again (back office)", "", ""),
                    button("retry", "As an automatic retry", "", ""),
                    button("forgery", "As a forgery (wrong key)", "", "danger"),
                    button("test_to_production", "TEST notification to the PRODUCTION shop", "", "danger"),
                    button("duplicate_field", "With a duplicated field", "", "danger"),
                    button("validate", "Validate", "", ""),
                    button("cancel", "Cancel the payment", "", ""),
                    button("refund", "Refund in full", "", ""),
                    button("refund_part", "Refund", "<input name=\"amount\" id=\"refund_amount\" value=\"500\" size=\"6\" aria-label=\"amount in cents\"> ", ""),
                    button("rest_payment", "Payment again, as REST", "", ""),
                    button("rest_refund_part", "Refund, as REST", "<input name=\"amount\" id=\"rest_refund_amount\" value=\"300\" size=\"6\" aria-label=\"amount in cents\"> ", ""),
                )
            } else {
                "<p>The payment has not ended yet: once the platform has notified the shop, its notification can be sent again here.</p>".to_owned()
            }
        );
    }
    body += "<p><a href=\"/orders\">All orders</a> · <a href=\"/\">Back to the shop</a></p>";
    ui::page(s.site(), &format!("Order {id}"), &body).into_response()
}

async fn order_json(State(s): State<Arc<ShopState>>, Path(id): Path<String>) -> Response {
    match order_state(&s, &id) {
        Some((state, events)) => {
            let notifications: Vec<serde_json::Value> = deliveries(&s, &id)
                .into_iter()
                .map(|d| serde_json::json!({"endpoint": d.endpoint, "verdict": d.verdict, "code": d.code, "answer": d.answer}))
                .collect();
            (
                [("content-type", "application/json")],
                serde_json::json!({
                    "id": id,
                    "state": state.outcome.as_str(),
                    "paid": state.paid,
                    "refunded": state.refunded,
                    "currency": state.currency,
                    "attention": state.attention,
                    "deliveries": events,
                    "notifications": notifications,
                })
                .to_string(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such order").into_response(),
    }
}

// ------------------------------------------------------------------ the return

fn show_return(s: &ShopState, fields: &[u8]) -> Response {
    // The browser return is only a convenience: show what the notifications recorded.
    let Some(shop) = s.shop() else {
        return s.fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Configuration error",
            "the demo needs exactly one shop",
        );
    };
    let (order_id, status) = match shop.verify(fields) {
        Ok(n) => (
            n.order_id().unwrap_or_default().into_owned(),
            n.trans_status().map(|t| t.as_str()).unwrap_or_default(),
        ),
        Err(e) => {
            return s.fail(
                StatusCode::BAD_REQUEST,
                "This return link is not valid",
                &format!("The payment platform's return data did not verify ({}). Your order, if any, is unchanged.", e.code()),
            )
        }
    };
    let state = order_state(s, &order_id).map(|(st, _)| st);
    let outcome = state.as_ref().map(|st| st.outcome);
    let (title, text) = match (outcome, status) {
        (Some(OrderOutcome::Paid), _) => (
            "Thank you! Your payment is accepted",
            "Your coffee is on its way.",
        ),
        (Some(OrderOutcome::Failed), "REFUSED") => (
            "Payment refused",
            "Your bank refused the payment; nothing was charged. You can try again.",
        ),
        (Some(OrderOutcome::Failed), _) => (
            "Payment not completed",
            "The payment was abandoned or did not go through; nothing was charged.",
        ),
        (Some(OrderOutcome::Cancelled), _) => (
            "Payment cancelled",
            "The payment was cancelled; nothing was charged.",
        ),
        (Some(OrderOutcome::Pending), _) => (
            "Payment received, awaiting confirmation",
            "The payment is waiting for a validation; you will be told when it is done.",
        ),
        (Some(OrderOutcome::Refunded | OrderOutcome::PartiallyRefunded), _) => (
            "Order refunded",
            "This order was refunded, in full or in part.",
        ),
        (Some(_), _) => (
            "We are checking your payment",
            "The payment needs a look from the shop; it will contact you.",
        ),
        (None, _) => (
            "Waiting for the payment platform",
            "The platform has not confirmed this payment yet; this page shows what it confirmed.",
        ),
    };
    ui::page(
        s.site(),
        title,
        &format!(
            "<div class=\"card\"><p>{text}</p><dl class=\"facts\"><dt>Order</dt><dd><span id=\"order\">{}</span></dd>\
             <dt>State</dt><dd><strong id=\"state\">{}</strong></dd></dl>\
             <p class=\"muted\">This page trusts only the platform's notifications (the IPN): the return \
             fields were verified, but they only say which order this is.</p></div>\
             <div class=\"actions\"><a class=\"button primary\" id=\"see-order\" href=\"/orders/{}\">See what vads did</a>\
             <a class=\"button\" href=\"/\">Back to the shop</a></div>",
            escape_html(&order_id),
            escape_html(outcome.map_or("unknown", OrderOutcome::as_str)),
            query_escape(&order_id)
        ),
    )
    .into_response()
}

async fn return_page(State(s): State<Arc<ShopState>>, RawQuery(q): RawQuery) -> Response {
    show_return(&s, q.unwrap_or_default().as_bytes())
}

async fn return_post(State(s): State<Arc<ShopState>>, body: Bytes) -> Response {
    show_return(&s, &body)
}
