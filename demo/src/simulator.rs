//! The platform simulator: receives the form like the payment page (and checks it like
//! the platform: mode, site, signature), lets the tester choose the outcome, sends the
//! signed notification to `vads_url_check` (retried like the platform when the shop does
//! not answer success), redirects the browser to the return URL with the signed return
//! fields, and offers the back office's operations and the playground's deliveries: the
//! notification again, as a retry, as a forgery, to the PRODUCTION deployment, with a
//! duplicated field.

use crate::ui::{self, escape_html, money, query_escape, Site};
use axum::body::Bytes;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vads::testing::{NotificationBuilder, RestAnswerBuilder};
use vads::{Key, Shop, TransStatus, UrlCheckSource};

/// Fields of a form or notification, in order.
type Fields = Vec<(String, String)>;

pub(crate) struct SimState {
    pub(crate) shop: Shop,
    /// Payment sessions by token: the form's fields.
    pub(crate) sessions: Mutex<HashMap<String, Fields>>,
    /// The last payment notification per order id, and where it went.
    pub(crate) last: Mutex<HashMap<String, (String, Fields)>>,
    pub(crate) retry_delay: Duration,
    pub(crate) next: Mutex<u64>,
}

impl SimState {
    fn next(&self) -> u64 {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        *next
    }
}

pub(crate) fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/vads-payment/", post(payment_page))
        .route("/vads-payment/decide", post(decide))
        .route("/admin/replay", post(replay))
        .route("/admin/order", get(back_office))
        .route("/admin/operation", post(operation))
        .fallback(|| async {
            ui::error(
                Site::Platform,
                StatusCode::NOT_FOUND,
                "Page not found",
                "The payment platform has no such page.",
                &[("javascript:history.back()", "Back")],
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(vads::MAX_BODY_LEN))
        .layer(axum::middleware::from_fn(
            vads::axum::refuse_declared_too_large,
        ))
        .with_state(state)
}

/// The platform's error page, with the way back to the shop when the form said where it
/// is (an unverified address: a link only).
fn error_page(code: &str, message: &str, shop: Option<&str>) -> Response {
    let back: Vec<(&str, &str)> = match shop {
        Some(url) => vec![(url, "Back to the shop")],
        None => vec![("javascript:history.back()", "Back")],
    };
    ui::error(
        Site::Platform,
        StatusCode::BAD_REQUEST,
        &format!("Payment error {code}"),
        message,
        &back,
    )
}

/// `scheme://host:port` of an `http(s)` URL.
fn origin(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest
        .find('/')
        .map_or(url.len(), |i| url.len() - rest.len() + i);
    url.get(..end)
}

async fn payment_page(State(s): State<Arc<SimState>>, body: Bytes) -> Response {
    let mut storage = vec![vads::body::RawField::EMPTY; vads::MAX_FIELDS];
    let fields: Fields = match vads::body::parse(&body, &mut storage) {
        Ok(f) => f
            .iter()
            .map(|f| (f.name().into_owned(), f.value().into_owned()))
            .filter(|(n, _)| n.starts_with("vads_"))
            .collect(),
        Err(e) => {
            return error_page(
                "00",
                &format!("the form could not be read ({})", e.code()),
                None,
            )
        }
    };
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let shop_home = get("vads_url_return").and_then(|u| origin(&u).map(|o| format!("{o}/")));
    // Exactly the platform's check: mode, site id, then the signature with the key of the
    // mode (error 00 on a bad signature).
    if let Err(e) = s.shop.verify(&body) {
        let code = match e.code() {
            "mode_mismatch" => "11",
            "site_mismatch" => "02",
            _ => "00",
        };
        return error_page(
            code,
            &format!("The payment form was refused ({e}). No payment was made."),
            shop_home.as_deref(),
        );
    }
    if get("vads_url_check").is_none() {
        return error_page(
            "70",
            "vads_url_check is required by this simulator",
            shop_home.as_deref(),
        );
    }
    let token = format!("s{}", s.next());
    let amount: u64 = get("vads_amount")
        .and_then(|a| a.parse().ok())
        .unwrap_or_default();
    let currency = get("vads_currency").unwrap_or_default();
    let order = get("vads_order_id").unwrap_or_default();
    let masked = s.shop.explain(&body).unwrap_or_default();
    s.sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token.clone(), fields);
    let button = |choice: &str, label: &str, class: &str| {
        format!(
            "<form method=\"POST\" action=\"/vads-payment/decide\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <input type=\"hidden\" name=\"choice\" value=\"{choice}\">\
             <button class=\"{class}\" id=\"{choice}\" type=\"submit\">{label}</button></form>"
        )
    };
    ui::page(
        Site::Platform,
        "Payment",
        &format!(
            "<div class=\"card\"><dl class=\"facts\"><dt>Merchant</dt><dd>site {}</dd><dt>Order</dt><dd id=\"sim-order\">{}</dd>\
             <dt>Amount</dt><dd id=\"amount\"><strong>{}</strong></dd></dl>\
             <p><span class=\"badge ok\">signature verified</span> The platform recomputed the form's signature \
             with the shop's key; its signing string (key masked):<br><code>{}</code></p></div>\
             <div class=\"card\"><h2>Choose the outcome</h2><p class=\"muted\">A real payment page asks for a card; \
             this simulator lets you decide what the bank says.</p><div class=\"actions\">{}{}{}{}</div></div>",
            escape_html(s.shop.site_id()),
            escape_html(&order),
            escape_html(&money(amount, &currency)),
            escape_html(&masked),
            button("pay", "Pay", "primary"),
            button("pay_later", "Pay, merchant validates later", ""),
            button("refuse", "Refuse (bank declines)", "danger"),
            button("cancel", "Cancel (buyer abandons)", "")
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
        return error_page(
            "--",
            "This payment session is unknown or already used: start again from the shop.",
            None,
        );
    };
    let get = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let shop_home = get("vads_url_return").and_then(|u| origin(&u).map(|o| format!("{o}/")));
    let mut fields: Fields = form
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
        return ui::page(
            Site::Platform,
            "Payment done",
            "<p id=\"done\">Done (the form gave no return URL).</p>",
        )
        .into_response();
    };
    let signed = match builder(&s.shop, &fields).browser_return().signed_fields() {
        Ok(signed) => signed,
        Err(e) => return error_page("--", &e.to_string(), shop_home.as_deref()),
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
        ui::page(
            Site::Platform,
            "Back to the shop…",
            &format!(
                "<form id=\"back\" method=\"POST\" action=\"{}\">{inputs}<button class=\"primary\">Back to the shop</button></form>\
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
async fn deliver(s: Arc<SimState>, url: String, fields: Fields) {
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
    let Some((url, fields)) = last_payment(&s, &order) else {
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

/// The back office of one order: the operations a merchant makes on a payment, and the
/// playground's deliveries.
async fn back_office(
    State(s): State<Arc<SimState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let order = q.get("order_id").cloned().unwrap_or_default();
    let Some((url, fields)) = last_payment(&s, &order) else {
        return error_page("--", "This simulator has no payment for that order.", None);
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
    let shop_order = origin(&url).map(|o| format!("{o}/orders/{}", query_escape(&order)));
    ui::page(
        Site::Platform,
        "Back office",
        &format!(
            "<div class=\"card\"><dl class=\"facts\"><dt>Order</dt><dd>{}</dd><dt>Payment</dt><dd><code>{}</code></dd>\
             <dt>Amount</dt><dd>{}</dd><dt>Status</dt><dd><strong>{}</strong></dd></dl></div>\
             <div class=\"card\"><h2>Operations</h2><p class=\"muted\">Each sends the shop the notification the platform \
             sends (<code>vads_url_check_src=MERCH_BO</code>); a refund is a new <code>CREDIT</code> transaction.</p>\
             <div class=\"actions\">{}{}{}{}</div>\
             <p class=\"muted\">The same notification endpoint takes REST answers (<code>kr-hash</code>, signed with the REST password):</p>\
             <div class=\"actions\">{}{}</div></div>{}",
            escape_html(&order),
            escape_html(get("vads_trans_uuid")),
            escape_html(&money(get("vads_amount").parse().unwrap_or_default(), get("vads_currency"))),
            escape_html(get("vads_trans_status")),
            op("validate", "Validate", ""),
            op("cancel", "Cancel the payment", ""),
            op("refund", "Refund in full", ""),
            op("refund_part", "Refund part", "<input name=\"amount\" id=\"refund_amount\" value=\"500\" size=\"6\"> "),
            op("rest_payment", "Send the payment again as a REST IPN (a duplicate)", ""),
            op("rest_refund_part", "Refund part, as a REST IPN", "<input name=\"amount\" id=\"rest_refund_amount\" value=\"300\" size=\"6\"> "),
            shop_order.map_or_else(String::new, |u| format!(
                "<p><a href=\"{}\">See the order in the shop</a></p>",
                escape_html(&u)
            )),
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct Operation {
    order_id: String,
    op: String,
    amount: Option<String>,
    /// Where to send the browser afterwards (the shop's order page); ignored unless it
    /// is on the shop that received the payment's notification.
    back: Option<String>,
}

/// A back-office operation or a playground delivery; then back to the shop's order page
/// (or a page that says what was sent).
async fn operation(State(s): State<Arc<SimState>>, Form(o): Form<Operation>) -> Response {
    let Some((url, payment)) = last_payment(&s, &o.order_id) else {
        return error_page("--", "This simulator has no payment for that order.", None);
    };
    let sent = match o.op.as_str() {
        "rest_payment" | "rest_refund_part" => {
            rest_operation(&s, &o, &payment).map(|body| (url.clone(), body))
        }
        _ => form_operation(&s, &o, &url, &payment),
    };
    let (target, body) = match sent {
        Ok(sent) => sent,
        Err(message) => {
            return error_page(
                "--",
                &message,
                origin(&url).map(|o| format!("{o}/")).as_deref(),
            )
        }
    };
    let answered = post_notification(target, body).await;
    let answered_text =
        answered.map_or_else(|| "nothing (unreachable)".to_owned(), |c| c.to_string());
    let back = o
        .back
        .as_deref()
        .filter(|b| origin(&url).is_some_and(|shop| origin(b) == Some(shop)));
    if let Some(back) = back {
        let sep = if back.contains('?') { '&' } else { '?' };
        return Redirect::to(&format!(
            "{back}{sep}sent={}&answered={}",
            query_escape(&o.op),
            query_escape(&answered_text)
        ))
        .into_response();
    }
    ui::page(
        Site::Platform,
        "Operation sent",
        &format!(
            "<div class=\"card\"><p id=\"sent\">{} sent; the shop answered <strong>{}</strong>.</p></div>\
             <p><a href=\"/admin/order?order_id={}\">Back to the order</a></p>",
            escape_html(&o.op),
            escape_html(&answered_text),
            query_escape(&o.order_id)
        ),
    )
    .into_response()
}

/// A `vads_*` notification for operation `o` on `payment`: where it goes and its body.
fn form_operation(
    s: &SimState,
    o: &Operation,
    url: &str,
    payment: &Fields,
) -> Result<(String, String), String> {
    let bo = builder(&s.shop, payment).url_check_src(UrlCheckSource::MerchBo);
    let sign = |b: NotificationBuilder<'_>| b.body().map_err(|e| e.to_string());
    let to_shop = |body| Ok((url.to_owned(), body));
    match o.op.as_str() {
        "replay" => to_shop(sign(
            builder(&s.shop, payment).url_check_src(UrlCheckSource::Bo),
        )?),
        "retry" => to_shop(sign(
            builder(&s.shop, payment).url_check_src(UrlCheckSource::Retry),
        )?),
        "forgery" => {
            let wrong: Key = "not-the-shops-key-0000"
                .parse()
                .map_err(|e: vads::KeyError| e.to_string())?;
            let body = builder(&s.shop, payment)
                .body_signed_with(&wrong, s.shop.algorithm())
                .map_err(|e| e.to_string())?;
            to_shop(body)
        }
        // The payment's TEST notification, at the PRODUCTION deployment's endpoint.
        "test_to_production" => Ok((format!("{url}/live"), sign(builder(&s.shop, payment))?)),
        "duplicate_field" => to_shop(sign(builder(&s.shop, payment))? + "&vads_amount=1"),
        "validate" => to_shop(sign(bo.status(TransStatus::Authorised))?),
        "cancel" => to_shop(sign(bo.status(TransStatus::Cancelled))?),
        "refund" | "refund_part" => {
            let amount = match o.op.as_str() {
                "refund" => payment
                    .iter()
                    .find(|(n, _)| n == "vads_amount")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
                _ => o.amount.clone().unwrap_or_default(),
            };
            let minor: u64 = amount.trim().parse().map_err(|_| {
                "The refund amount must be a whole number of minor units (cents).".to_owned()
            })?;
            let n = s.next();
            to_shop(sign(
                bo.status(TransStatus::Captured)
                    .field("vads_operation_type", "CREDIT")
                    .field(
                        "vads_trans_uuid",
                        format!("{:032x}", 0xcafe_0000_u128 + u128::from(n)),
                    )
                    .field("vads_trans_id", format!("9{:05}", n % 100_000))
                    .field("vads_trans_date", vads::TransDate::now().to_string())
                    .amount(minor),
            )?)
        }
        _ => Err("This operation is unknown to the simulator.".to_owned()),
    }
}

/// A back-office operation sent as a REST IPN: the payment again (same transaction and
/// status, so the shop records nothing new), or a partial refund (a new `CREDIT`).
fn rest_operation(s: &SimState, o: &Operation, payment: &Fields) -> Result<String, String> {
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
        _ => {
            let minor: u64 = o
                .amount
                .as_deref()
                .unwrap_or_default()
                .trim()
                .parse()
                .map_err(|_| {
                    "The refund amount must be a whole number of minor units (cents).".to_owned()
                })?;
            let n = s.next();
            b.uuid(&format!("{:032x}", 0xbeef_0000_u128 + u128::from(n)))
                .amount(minor)
                .operation_type(vads::OperationType::Credit)
                .status(TransStatus::Captured)
        }
    };
    b.body().map_err(|e| e.to_string())
}
