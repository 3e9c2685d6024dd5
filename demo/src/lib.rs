//! A checkout a user can run, and a local stand-in for the payment platform.
//!
//! - The **shop** (axum + SQLite): a product page; "Pay" creates an order and posts the
//!   signed form (built with [`vads::Shop::form`]) to the payment URL of the config; the
//!   notification endpoint takes both formats at one URL ([`vads::Shop::verify_any`]:
//!   `vads_*` fields checked with the form key, REST answers with the REST password),
//!   records each transaction event once (keyed like [`vads::Notification::idempotency_key`],
//!   the same key for the same event in either format) and never moves an order
//!   backwards; it answers with [`vads::answer::answer`]. The return page shows the order.
//! - The **simulator**: receives the form like the payment page does, recomputes the
//!   signature with the shop's key exactly like the platform (a bad one gets a visible
//!   error page), lets the tester choose pay / refuse / cancel, sends the signed
//!   notification to `vads_url_check` (retrying like the platform when the shop does not
//!   answer success), and redirects the browser to `vads_url_return` with the signed return
//!   fields. `POST /admin/replay?order_id=...` replays an order's last notification, like
//!   the back office's "replay" (`vads_url_check_src=BO`). The back office of an order can
//!   also send its payment again, or a partial refund, as a REST IPN (`kr-hash`).

use axum::body::Bytes;
use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vads::answer::{answer, Handled};
use vads::lifecycle::{reconcile, Expected, OrderState, TransactionEvent};
use vads::testing::{NotificationBuilder, RestAnswerBuilder};
use vads::{AnyNotification, Endpoint, Shop, ShopConfig, TransStatus, UrlCheckSource};

/// The price of the demo's only product, in cents.
pub const PRICE: u64 = 1250;

/// Where to listen and what to use.
pub struct DemoConfig {
    /// The shop's configuration (its `payment_url` should be the simulator's).
    pub shop: ShopConfig,
    /// The same shop, for the simulator (it needs the key to check and sign, like the
    /// platform).
    pub platform_shop: ShopConfig,
    /// The shop's listener.
    pub shop_listener: std::net::TcpListener,
    /// The simulator's listener.
    pub simulator_listener: std::net::TcpListener,
    /// The SQLite database file (created if missing).
    pub database: std::path::PathBuf,
    /// Delay between the simulator's notification retries (the platform: 15 minutes).
    pub retry_delay: Duration,
}

/// The running demo.
pub struct Demo {
    /// The shop's base URL, e.g. `http://127.0.0.1:8080`.
    pub shop_url: String,
    /// The simulator's base URL.
    pub simulator_url: String,
}

/// Starts the shop and the simulator on the given listeners (in the current tokio runtime).
///
/// # Errors
/// A sentence when the config, the database or a listener cannot be used.
pub fn start(config: DemoConfig) -> Result<Demo, String> {
    let shop = Shop::new(config.shop).map_err(|e| format!("shop config: {e}"))?;
    let platform_shop =
        Shop::new(config.platform_shop).map_err(|e| format!("simulator config: {e}"))?;
    let shop_addr = config
        .shop_listener
        .local_addr()
        .map_err(|e| e.to_string())?;
    let sim_addr = config
        .simulator_listener
        .local_addr()
        .map_err(|e| e.to_string())?;
    let shop_url = format!("http://{shop_addr}");
    let simulator_url = format!("http://{sim_addr}");
    let db = open_db(&config.database)?;
    let shop_state = Arc::new(ShopState {
        shop,
        db: Mutex::new(db),
        base_url: shop_url.clone(),
    });
    let sim_state = Arc::new(SimState {
        shop: platform_shop,
        sessions: Mutex::new(HashMap::new()),
        last: Mutex::new(HashMap::new()),
        retry_delay: config.retry_delay,
        next: Mutex::new(0),
    });
    for l in [&config.shop_listener, &config.simulator_listener] {
        l.set_nonblocking(true).map_err(|e| e.to_string())?;
    }
    let shop_listener =
        tokio::net::TcpListener::from_std(config.shop_listener).map_err(|e| e.to_string())?;
    let sim_listener =
        tokio::net::TcpListener::from_std(config.simulator_listener).map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = axum::serve(shop_listener, shop_router(shop_state)).await;
    });
    tokio::spawn(async move {
        let _ = axum::serve(sim_listener, simulator_router(sim_state)).await;
    });
    Ok(Demo {
        shop_url,
        simulator_url,
    })
}

// ---------------------------------------------------------------------------- the shop

struct ShopState {
    shop: Shop,
    db: Mutex<rusqlite::Connection>,
    base_url: String,
}

fn open_db(path: &std::path::Path) -> Result<rusqlite::Connection, String> {
    let db = rusqlite::Connection::open(path).map_err(|e| format!("database: {e}"))?;
    db.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE IF NOT EXISTS orders (
             id TEXT PRIMARY KEY, amount INTEGER NOT NULL, state TEXT NOT NULL,
             trans_status TEXT, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
         CREATE TABLE IF NOT EXISTS events (
             idempotency_key TEXT PRIMARY KEY, order_id TEXT NOT NULL,
             event TEXT NOT NULL, url_check_src TEXT NOT NULL,
             received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
         CREATE TABLE IF NOT EXISTS order_seq (n INTEGER NOT NULL);",
    )
    .map_err(|e| format!("database: {e}"))?;
    Ok(db)
}

fn shop_router(state: Arc<ShopState>) -> Router {
    Router::new()
        .route("/", get(product_page))
        .route("/order", post(create_order))
        .route("/notify", post(notify))
        .route("/return", get(return_page).post(return_post))
        .route("/orders/{id}", get(order_json))
        // The library refuses bodies above MAX_BODY_LEN: reading more would only cost
        // memory. Larger bodies get 413 before they are read.
        .layer(axum::extract::DefaultBodyLimit::max(vads::MAX_BODY_LEN))
        .with_state(state)
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:2em auto\"><h1>{t}</h1>{body}</body></html>",
        t = escape_html(title)
    ))
}

async fn product_page() -> Html<String> {
    page(
        "vads demo shop",
        &format!(
            "<p>Coffee beans, 1 kg: <strong>{}.{:02} EUR</strong></p>\
             <form method=\"POST\" action=\"/order\"><button id=\"pay\" type=\"submit\">Pay</button></form>\
             <p><small>TEST mode: payments go to the local platform simulator.</small></p>",
            PRICE / 100,
            PRICE % 100
        ),
    )
}

async fn create_order(State(s): State<Arc<ShopState>>) -> Response {
    let order_id = {
        let db = match s.db.lock() {
            Ok(db) => db,
            Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "database lock").into_response(),
        };
        let n: i64 = db
            .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))
            .unwrap_or(0);
        let id = format!(
            "ORD-{}-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            n + 1
        );
        if let Err(e) = db.execute(
            "INSERT INTO orders (id, amount, state) VALUES (?1, ?2, 'pending')",
            rusqlite::params![id, PRICE as i64],
        ) {
            return (StatusCode::INTERNAL_SERVER_ERROR, format!("database: {e}")).into_response();
        }
        id
    };
    let form = s
        .shop
        .form()
        .amount(PRICE)
        .currency("EUR")
        .order_id(order_id.as_str())
        .url_return(format!("{}/return", s.base_url))
        .url_check(format!("{}/notify", s.base_url))
        .return_mode("GET")
        .field("vads_ext_info_product", "Coffee beans, 1 kg")
        .sign();
    match form {
        Ok(form) => page(
            "Redirecting to the payment page…",
            &form.to_html_auto_submit(),
        )
        .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Records the transaction events of a verified notification (one for `vads_*`, one per
/// transaction for REST), each once, keyed `TRANSACTION|status|operation`: the same event
/// delivered again, in either format, is a duplicate. `Ok(false)` when nothing was new.
fn record(s: &ShopState, n: &AnyNotification<'_>) -> Result<bool, rusqlite::Error> {
    let events = n.events().map_err(|_| rusqlite::Error::InvalidQuery)?;
    let src = match n {
        AnyNotification::Form(n) => n.get("vads_url_check_src").unwrap_or_default().into_owned(),
        AnyNotification::Rest(_) => "REST".to_owned(),
    };
    let db = s.db.lock().map_err(|_| rusqlite::Error::InvalidQuery)?;
    let mut new = false;
    for event in events {
        let key = format!(
            "{}|{}|{}",
            event.transaction,
            event.trans_status.as_deref().unwrap_or_default(),
            event.operation_type.as_deref().unwrap_or_default()
        );
        let json = serde_json::to_string(&event).map_err(|_| rusqlite::Error::InvalidQuery)?;
        let inserted = db.execute(
            "INSERT OR IGNORE INTO events (idempotency_key, order_id, event, url_check_src) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![key, event.order_id.clone().unwrap_or_default(), json, src],
        )?;
        new |= inserted == 1;
    }
    Ok(new)
}

async fn notify(State(s): State<Arc<ShopState>>, body: Bytes) -> Response {
    let handled = match s.shop.verify_any(&body, Endpoint::Ipn) {
        Err(e) => {
            eprintln!("notification rejected: {e}");
            Handled::Rejected(e)
        }
        Ok(n) => match record(&s, &n) {
            Ok(true) => Handled::Recorded,
            Ok(false) => Handled::Duplicate,
            Err(e) => {
                eprintln!("notification not recorded: {e}");
                Handled::StorageFailed
            }
        },
    };
    let a = answer(&handled);
    (
        StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        a.body,
    )
        .into_response()
}

/// The order's state, reconciled from every event recorded for it (whatever order they
/// arrived in), checked against the order's amount; and the number of events.
fn order_state(s: &ShopState, id: &str) -> Option<(OrderState, usize)> {
    let db = s.db.lock().ok()?;
    let amount: i64 = db
        .query_row("SELECT amount FROM orders WHERE id = ?1", [id], |r| {
            r.get(0)
        })
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
        currency: Some("978".into()),
    };
    let count = events.len();
    let mut state = reconcile(events, Some(&expected));
    state.order_id = Some(id.to_owned());
    Some((state, count))
}

fn show_return(s: &ShopState, fields: &[u8]) -> Response {
    // The browser return is only a convenience: show what the notification recorded.
    let order_id = match s.shop.verify(fields) {
        Ok(n) => n.order_id().unwrap_or_default().into_owned(),
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                page(
                    "Return",
                    &format!("<p>Invalid return data ({})</p>", e.code()),
                ),
            )
                .into_response()
        }
    };
    let state = order_state(s, &order_id).map_or_else(
        || "unknown".to_owned(),
        |(st, _)| st.outcome.as_str().to_owned(),
    );
    page(
        "Thank you",
        &format!(
            "<p>Order <span id=\"order\">{}</span>: <strong id=\"state\">{}</strong></p><p><a href=\"/\">Back to the shop</a></p>",
            escape_html(&order_id),
            escape_html(&state)
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

async fn order_json(State(s): State<Arc<ShopState>>, Path(id): Path<String>) -> Response {
    match order_state(&s, &id) {
        Some((state, deliveries)) => (
            [("content-type", "application/json")],
            serde_json::json!({
                "id": id,
                "state": state.outcome.as_str(),
                "paid": state.paid,
                "refunded": state.refunded,
                "currency": state.currency,
                "attention": state.attention,
                "deliveries": deliveries,
            })
            .to_string(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such order").into_response(),
    }
}

// ----------------------------------------------------------------------- the simulator

/// Fields of a form or notification, in order.
type Fields = Vec<(String, String)>;

struct SimState {
    shop: Shop,
    /// Payment sessions by token: the form's fields.
    sessions: Mutex<HashMap<String, Fields>>,
    /// The last notification fields per order id, and where they went.
    last: Mutex<HashMap<String, (String, Fields)>>,
    retry_delay: Duration,
    next: Mutex<u64>,
}

fn simulator_router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/vads-payment/", post(payment_page))
        .route("/vads-payment/decide", post(decide))
        .route("/admin/replay", post(replay))
        .route("/admin/order", get(back_office))
        .route("/admin/operation", post(operation))
        .layer(axum::extract::DefaultBodyLimit::max(vads::MAX_BODY_LEN))
        .with_state(state)
}

fn error_page(code: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        page(
            "Payment error",
            &format!(
                "<p id=\"error\">Error {}: {}</p>",
                escape_html(code),
                escape_html(message)
            ),
        ),
    )
        .into_response()
}

async fn payment_page(State(s): State<Arc<SimState>>, body: Bytes) -> Response {
    // Exactly the platform's check: mode, site id, then the signature with the key of the
    // mode (error 00 on a bad signature).
    if let Err(e) = s.shop.verify(&body) {
        let code = match e.code() {
            "mode_mismatch" => "11",
            "site_mismatch" => "02",
            _ => "00",
        };
        return error_page(code, &format!("the form was refused ({e})"));
    }
    let mut storage = vec![vads::body::RawField::EMPTY; vads::MAX_FIELDS];
    let fields: Vec<(String, String)> = match vads::body::parse(&body, &mut storage) {
        Ok(f) => f
            .iter()
            .map(|f| (f.name().into_owned(), f.value().into_owned()))
            .filter(|(n, _)| n.starts_with("vads_"))
            .collect(),
        Err(e) => return error_page("00", e.code()),
    };
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if get("vads_url_check").is_none() {
        return error_page("70", "vads_url_check is required by this simulator");
    }
    let token = {
        let mut next = s.next.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        format!("s{}", *next)
    };
    let amount = get("vads_amount").unwrap_or_default();
    let order = get("vads_order_id").unwrap_or_default();
    s.sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token.clone(), fields);
    let button = |choice: &str, label: &str| {
        format!(
            "<form method=\"POST\" action=\"/vads-payment/decide\" style=\"display:inline\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <input type=\"hidden\" name=\"choice\" value=\"{choice}\">\
             <button id=\"{choice}\" type=\"submit\">{label}</button></form> "
        )
    };
    page(
        "Payment platform simulator",
        &format!(
            "<p>Order <strong>{}</strong>, amount <strong>{}</strong> (minor units). Signature verified.</p>\
             <p>Choose the outcome:</p>{}{}{}{}",
            escape_html(&order),
            escape_html(&amount),
            button("pay", "Pay"),
            button("pay_later", "Pay, merchant validates later"),
            button("refuse", "Refuse"),
            button("cancel", "Cancel")
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct Decision {
    token: String,
    choice: String,
}

/// Posts a notification body; the HTTP status, or `None` when unreachable.
async fn post_notification(url: String, body: String) -> Option<u16> {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(35)))
            .build()
            .into();
        agent
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.as_bytes())
            .ok()
            .map(|r| r.status().as_u16())
    })
    .await
    .ok()
    .flatten()
}

/// A notification of exactly `fields`.
fn builder<'s>(shop: &'s Shop, fields: &[(String, String)]) -> NotificationBuilder<'s> {
    NotificationBuilder::from_fields(shop, fields)
}

async fn decide(State(s): State<Arc<SimState>>, Form(d): Form<Decision>) -> Response {
    let Some(form) = s
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&d.token)
    else {
        return error_page("--", "unknown or used payment session");
    };
    let get = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let mut fields: Vec<(String, String)> = form
        .iter()
        .filter(|(n, _)| !n.starts_with("vads_url_") && n != "vads_return_mode")
        .cloned()
        .collect();
    let status = match d.choice.as_str() {
        "pay" => TransStatus::Authorised,
        "pay_later" => TransStatus::AuthorisedToValidate,
        "refuse" => TransStatus::Refused,
        _ => TransStatus::Abandoned,
    };
    let amount = get("vads_amount").unwrap_or_default();
    // The platform's defaults, then the form's own fields, then what the outcome changes.
    let b = fields
        .iter()
        .fold(NotificationBuilder::new(&s.shop), |b, (n, v)| {
            b.field(n, v.as_str())
        })
        .field("vads_effective_amount", amount.as_str())
        .status(status);
    let b = if status == TransStatus::AuthorisedToValidate {
        b.field("vads_validation_mode", "1")
    } else {
        b
    };
    fields = b.fields();
    let url_check = get("vads_url_check").unwrap_or_default();
    let order_id = get("vads_order_id").unwrap_or_default();
    s.last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(order_id, (url_check.clone(), fields.clone()));
    // The IPN first (the source of truth), retried like the platform on failure.
    deliver(s.clone(), url_check, fields.clone()).await;
    // Then the browser goes back with the signed return fields.
    let Some(url_return) = get("vads_url_return") else {
        return page("Payment done", "<p id=\"done\">Done (no return URL).</p>").into_response();
    };
    let signed = match builder(&s.shop, &fields).browser_return().signed_fields() {
        Ok(signed) => signed,
        Err(e) => return error_page("--", &e.to_string()),
    };
    if get("vads_return_mode").as_deref() == Some("POST") {
        let inputs: String = signed
            .iter()
            .map(|(n, v)| {
                format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    escape_html(n),
                    escape_html(v)
                )
            })
            .collect();
        page(
            "Back to the shop…",
            &format!(
                "<form id=\"back\" method=\"POST\" action=\"{}\">{inputs}<button>Back to the shop</button></form>\
                 <script>document.getElementById('back').submit();</script>",
                escape_html(&url_return)
            ),
        )
        .into_response()
    } else {
        let sep = if url_return.contains('?') { '&' } else { '?' };
        let query = vads::testing::urlencode_pairs(&signed);
        Redirect::to(&format!("{url_return}{sep}{query}")).into_response()
    }
}

/// Sends a notification; when the shop does not answer success, retries up to 4 more
/// times (`vads_url_check_src=RETRY`) after `retry_delay` each, in the background.
async fn deliver(s: Arc<SimState>, url: String, fields: Vec<(String, String)>) {
    let Ok(body) = builder(&s.shop, &fields).body() else {
        return;
    };
    let delivered = post_notification(url.clone(), body)
        .await
        .is_some_and(vads::answer::platform_counts_delivered);
    if delivered {
        return;
    }
    tokio::spawn(async move {
        for _ in 0..4 {
            tokio::time::sleep(s.retry_delay).await;
            let Ok(body) = builder(&s.shop, &fields)
                .url_check_src(UrlCheckSource::Retry)
                .body()
            else {
                return;
            };
            if post_notification(url.clone(), body)
                .await
                .is_some_and(vads::answer::platform_counts_delivered)
            {
                return;
            }
        }
    });
}

/// The payment notification of an order (where it went, its fields).
fn last_payment(s: &SimState, order: &str) -> Option<(String, Fields)> {
    s.last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(order)
        .cloned()
}

async fn replay(
    State(s): State<Arc<SimState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let order = q.get("order_id").cloned().unwrap_or_default();
    let last = last_payment(&s, &order);
    let Some((url, fields)) = last else {
        return (StatusCode::NOT_FOUND, "no notification for that order").into_response();
    };
    let Ok(body) = builder(&s.shop, &fields)
        .url_check_src(UrlCheckSource::Bo)
        .body()
    else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "cannot sign").into_response();
    };
    match post_notification(url, body).await {
        Some(status) => format!("shop answered {status}").into_response(),
        None => (StatusCode::BAD_GATEWAY, "shop unreachable").into_response(),
    }
}

// ---------------------------------------------------------------- the back office

/// The back office of one order: the operations a merchant makes on a payment.
async fn back_office(
    State(s): State<Arc<SimState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let order = q.get("order_id").cloned().unwrap_or_default();
    let last = last_payment(&s, &order);
    let Some((_, fields)) = last else {
        return error_page("--", "no payment for that order in this simulator");
    };
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let op = |op: &str, label: &str, extra: &str| {
        format!(
            "<form method=\"POST\" action=\"/admin/operation\">\
             <input type=\"hidden\" name=\"order_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"op\" value=\"{op}\">{extra}\
             <button id=\"{op}\" type=\"submit\">{label}</button></form>",
            escape_html(&order)
        )
    };
    page(
        "Back office",
        &(format!(
            "<p>Order <strong>{}</strong>: payment <code>{}</code>, {} (minor units), status <strong>{}</strong>.</p>\
             <p>Each operation sends the shop the notification the platform sends (<code>vads_url_check_src=MERCH_BO</code>).</p>\
             {}{}{}{}",
            escape_html(&order),
            escape_html(get("vads_trans_uuid")),
            escape_html(get("vads_amount")),
            escape_html(get("vads_trans_status")),
            op("validate", "Validate", ""),
            op("cancel", "Cancel the payment", ""),
            op("refund", "Refund in full", ""),
            op(
                "refund_part",
                "Refund part",
                "<input name=\"amount\" id=\"refund_amount\" value=\"500\" size=\"6\"> "
            ),
        ) + &format!(
            "<p>The same notification endpoint takes REST answers (<code>kr-hash</code>, signed with the REST password):</p>{}{}",
            op("rest_payment", "Send the payment again as a REST IPN (a duplicate)", ""),
            op(
                "rest_refund_part",
                "Refund part, as a REST IPN",
                "<input name=\"amount\" id=\"rest_refund_amount\" value=\"300\" size=\"6\"> "
            ),
        )),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct Operation {
    order_id: String,
    op: String,
    amount: Option<String>,
}

/// A back-office operation: validate or cancel the payment (same transaction, new
/// status), or refund it (a new `CREDIT` transaction with its own uuid and a trans id of
/// the platform's reserved range).
async fn operation(State(s): State<Arc<SimState>>, Form(o): Form<Operation>) -> Response {
    let last = last_payment(&s, &o.order_id);
    let Some((url, payment)) = last else {
        return error_page("--", "no payment for that order in this simulator");
    };
    let paid_amount = payment
        .iter()
        .find(|(n, _)| n == "vads_amount")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if o.op.starts_with("rest_") {
        return rest_operation(&s, &o, url, &payment).await;
    }
    let b = builder(&s.shop, &payment).url_check_src(UrlCheckSource::MerchBo);
    let b = match o.op.as_str() {
        "validate" => b.status(TransStatus::Authorised),
        "cancel" => b.status(TransStatus::Cancelled),
        "refund" | "refund_part" => {
            let amount = match o.op.as_str() {
                "refund" => paid_amount,
                _ => o.amount.clone().unwrap_or_default(),
            };
            let Ok(minor) = amount.trim().parse::<u64>() else {
                return error_page(
                    "--",
                    "the refund amount must be a whole number of minor units",
                );
            };
            let n = {
                let mut next = s.next.lock().unwrap_or_else(|e| e.into_inner());
                *next += 1;
                *next
            };
            b.status(TransStatus::Captured)
                .field("vads_operation_type", "CREDIT")
                .field(
                    "vads_trans_uuid",
                    format!("{:032x}", 0xcafe_0000_u128 + u128::from(n)),
                )
                .field("vads_trans_id", format!("9{:05}", n % 100_000))
                .field("vads_trans_date", vads::TransDate::now().to_string())
                .amount(minor)
        }
        _ => return error_page("--", "unknown operation"),
    };
    let answered = match b.body() {
        Ok(body) => post_notification(url, body).await,
        Err(_) => None,
    };
    sent_page(&o, "", answered)
}

/// The page after a back-office operation: what was sent, how the shop answered.
fn sent_page(o: &Operation, how: &str, answered: Option<u16>) -> Response {
    page(
        "Operation sent",
        &format!(
            "<p id=\"sent\">{} sent{how}; the shop answered <strong>{}</strong>.</p>\
             <p><a href=\"/admin/order?order_id={}\">Back to the order</a></p>",
            escape_html(&o.op),
            answered.map_or_else(|| "nothing (unreachable)".to_owned(), |c| c.to_string()),
            escape_html(&{
                let mut q = String::new();
                vads::testing::urlencode_into(&o.order_id, &mut q);
                q
            })
        ),
    )
    .into_response()
}

/// A back-office operation sent as a REST IPN: the payment again (same transaction and
/// status, so the shop records nothing new), or a partial refund (a new `CREDIT`).
async fn rest_operation(s: &SimState, o: &Operation, url: String, payment: &Fields) -> Response {
    let get = |name: &str| {
        payment
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let currency = vads::form::Currency::find(get("vads_currency")).map_or("EUR", |c| c.alpha);
    let b = RestAnswerBuilder::new(&s.shop)
        .order_id(get("vads_order_id"))
        .currency(currency);
    let b = match o.op.as_str() {
        "rest_payment" => b
            .uuid(get("vads_trans_uuid"))
            .amount(get("vads_amount").parse().unwrap_or_default())
            .status(TransStatus::parse(get("vads_trans_status"))),
        "rest_refund_part" => {
            let Ok(minor) = o
                .amount
                .as_deref()
                .unwrap_or_default()
                .trim()
                .parse::<u64>()
            else {
                return error_page(
                    "--",
                    "the refund amount must be a whole number of minor units",
                );
            };
            let n = {
                let mut next = s.next.lock().unwrap_or_else(|e| e.into_inner());
                *next += 1;
                *next
            };
            b.uuid(&format!("{:032x}", 0xbeef_0000_u128 + u128::from(n)))
                .amount(minor)
                .operation_type(vads::OperationType::Credit)
                .status(TransStatus::Captured)
        }
        _ => return error_page("--", "unknown operation"),
    };
    let answered = match b.body() {
        Ok(body) => post_notification(url, body).await,
        Err(_) => None,
    };
    sent_page(o, " as a REST IPN", answered)
}

/// Escapes text for an HTML attribute value or text node.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
