//! A checkout a user can run, and a local stand-in for the payment platform.
//!
//! - The **shop** (axum + SQLite): a product page; "Pay" creates an order and posts the
//!   signed form (built with [`vads::Shop::form`]) to the payment URL of the config; the
//!   notification endpoint verifies with [`vads::Shop::verify`], records each delivery
//!   once (keyed by [`vads::Notification::idempotency_key`]) and never moves an order
//!   backwards; it answers with [`vads::answer::answer`]. The return page shows the order.
//! - The **simulator**: receives the form like the payment page does, recomputes the
//!   signature with the shop's key exactly like the platform (a bad one gets a visible
//!   error page), lets the tester choose pay / refuse / cancel, sends the signed
//!   notification to `vads_url_check` (retrying like the platform when the shop does not
//!   answer success), and redirects the browser to `vads_url_return` with the signed return
//!   fields. `POST /admin/replay?order_id=...` replays an order's last notification, like
//!   the back office's "replay" (`vads_url_check_src=BO`).

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
use vads::testing::NotificationBuilder;
use vads::{Outcome, Shop, ShopConfig, TransStatus, UrlCheckSource};

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
         CREATE TABLE IF NOT EXISTS deliveries (
             idempotency_key TEXT PRIMARY KEY, order_id TEXT NOT NULL,
             trans_status TEXT NOT NULL, url_check_src TEXT NOT NULL,
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

fn order_rank(state: &str) -> u8 {
    match state {
        "pending" => 0,
        "failed" | "refused" | "cancelled" => 1,
        "paid" => 2,
        _ => 0,
    }
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

/// Records a verified notification once; moves the order forward only.
fn record(s: &ShopState, n: &vads::Notification<'_>) -> Result<bool, rusqlite::Error> {
    let mut db = s.db.lock().map_err(|_| rusqlite::Error::InvalidQuery)?;
    let tx = db.transaction()?;
    let order_id = n.order_id().unwrap_or_default().into_owned();
    let status = n.get("vads_trans_status").unwrap_or_default().into_owned();
    let src = n.get("vads_url_check_src").unwrap_or_default().into_owned();
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO deliveries (idempotency_key, order_id, trans_status, url_check_src) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![n.idempotency_key(), order_id, status, src],
    )?;
    if inserted == 1 {
        let new_state = match (n.trans_status(), n.outcome()) {
            (_, Outcome::Paid) => "paid",
            (Some(TransStatus::Refused), _) => "refused",
            (Some(TransStatus::Abandoned | TransStatus::Cancelled), _) => "cancelled",
            (_, Outcome::Failed) => "failed",
            _ => "pending",
        };
        let current: Option<String> = tx
            .query_row("SELECT state FROM orders WHERE id = ?1", [&order_id], |r| {
                r.get(0)
            })
            .ok();
        // A merchant's cancellation in the back office may cancel a paid order; anything
        // else only moves forward (a late or repeated notification never un-pays).
        let merchant_cancel = n.trans_status() == Some(TransStatus::Cancelled)
            && n.url_check_src() == Some(UrlCheckSource::MerchBo);
        if let Some(current) = current {
            if order_rank(new_state) > order_rank(&current) || merchant_cancel {
                tx.execute(
                    "UPDATE orders SET state = ?1, trans_status = ?2 WHERE id = ?3",
                    rusqlite::params![new_state, status, order_id],
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(inserted == 1)
}

async fn notify(State(s): State<Arc<ShopState>>, body: Bytes) -> Response {
    let handled = match s.shop.verify(&body) {
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

fn order_state(s: &ShopState, id: &str) -> Option<(String, i64)> {
    let db = s.db.lock().ok()?;
    let state: String = db
        .query_row("SELECT state FROM orders WHERE id = ?1", [id], |r| r.get(0))
        .ok()?;
    let deliveries: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM deliveries WHERE order_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap_or(0);
    Some((state, deliveries))
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
    let state = order_state(s, &order_id).map_or_else(|| "unknown".to_owned(), |(st, _)| st);
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
            format!(
                "{{\"id\":\"{}\",\"state\":\"{state}\",\"deliveries\":{deliveries}}}",
                escape_html(&id)
            ),
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
             <p>Choose the outcome:</p>{}{}{}",
            escape_html(&order),
            escape_html(&amount),
            button("pay", "Pay"),
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

fn builder<'s>(shop: &'s Shop, fields: &[(String, String)]) -> NotificationBuilder<'s> {
    fields
        .iter()
        .fold(NotificationBuilder::new(shop), |b, (n, v)| {
            b.field(n, v.as_str())
        })
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
        "refuse" => TransStatus::Refused,
        _ => TransStatus::Abandoned,
    };
    let amount = get("vads_amount").unwrap_or_default();
    let b = builder(&s.shop, &fields)
        .field("vads_effective_amount", amount.as_str())
        .status(status);
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

async fn replay(
    State(s): State<Arc<SimState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let order = q.get("order_id").cloned().unwrap_or_default();
    let last = s
        .last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&order)
        .cloned();
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
