//! The stand-in for the embedded form: the shop posts the formToken it got from
//! `Charge/CreatePayment`; the tester chooses the outcome; the platform (the library's
//! API simulator, which holds the token) creates the transaction, sends the REST IPN
//! (`kr-answer` + `kr-hash` with the REST password) to the token's `ipnTargetUrl`, and
//! posts the browser back to the shop with the return's `kr-answer` (hashed with the
//! HMAC-SHA-256 key).

use super::notify::post_notification;
use super::{error_page, origin, SimState};
use crate::ui::{self, escape_html, money, Site};
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use vads::testing::RestAnswerBuilder;
use vads::{Endpoint, OperationType, TransStatus};

#[derive(serde::Deserialize)]
pub(crate) struct Start {
    #[serde(rename = "formToken")]
    form_token: String,
    return_url: String,
}

/// The stand-in payment page for a formToken.
pub(crate) async fn page(State(s): State<Arc<SimState>>, Form(f): Form<Start>) -> Response {
    let shop_home = origin(&f.return_url).map(|o| format!("{o}/"));
    let Some((order, amount, currency)) = s.platform.token_payment(&f.form_token) else {
        return error_page(
            Some("INT_903"),
            "This formToken is unknown, already used or expired: start again from the shop.",
            shop_home.as_deref(),
        );
    };
    let button = |choice: &str, label: &str, class: &str| {
        format!(
            "<form method=\"POST\" action=\"/embedded/decide\">\
             <input type=\"hidden\" name=\"formToken\" value=\"{}\">\
             <input type=\"hidden\" name=\"return_url\" value=\"{}\">\
             <input type=\"hidden\" name=\"choice\" value=\"{choice}\">\
             <button class=\"{class}\" id=\"embedded-{choice}\" type=\"submit\">{label}</button></form>",
            escape_html(&f.form_token),
            escape_html(&f.return_url)
        )
    };
    ui::page(
        Site::Platform,
        "Embedded form (stand-in)",
        &format!(
            "<div class=\"notice info\">Stand-in page: the real embedded form is the platform's JavaScript, which \
             this offline demo cannot load. This page plays its part: it pays the formToken the shop created \
             with <code>Charge/CreatePayment</code>.</div>\
             <div class=\"card\"><dl class=\"facts\"><dt>Merchant</dt><dd>site {}</dd><dt>Order</dt><dd id=\"sim-order\">{}</dd>\
             <dt>Amount</dt><dd id=\"amount\"><strong>{}</strong></dd></dl></div>\
             <div class=\"card\"><h2>Choose the outcome</h2><p class=\"muted\">The platform then sends the shop a REST \
             notification (<code>kr-answer</code>, <code>kr-hash</code>) and brings the buyer back.</p>\
             <div class=\"actions\">{}{}</div></div>",
            escape_html(s.shop.site_id()),
            escape_html(order.as_deref().unwrap_or("—")),
            escape_html(&money(amount, &currency)),
            button("pay", "Pay", "primary"),
            button("refuse", "Refuse (bank declines)", "danger"),
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct Decision {
    #[serde(rename = "formToken")]
    form_token: String,
    return_url: String,
    choice: String,
}

/// Pays (or refuses) the token: the REST IPN first, then the browser's return.
pub(crate) async fn decide(State(s): State<Arc<SimState>>, Form(d): Form<Decision>) -> Response {
    let shop_home = origin(&d.return_url).map(|o| format!("{o}/"));
    let status = if d.choice == "pay" {
        TransStatus::Authorised
    } else {
        TransStatus::Refused
    };
    let Some(t) = s.platform.pay(&d.form_token, status) else {
        return error_page(
            Some("INT_903"),
            "This formToken is unknown or already used: start again from the shop.",
            shop_home.as_deref(),
        );
    };
    let answer = |endpoint: Endpoint| {
        let b = RestAnswerBuilder::new(&s.shop)
            .endpoint(endpoint)
            .amount(t.amount)
            .currency(&t.currency)
            .uuid(&t.uuid)
            .status(status)
            .operation_type(OperationType::Debit);
        match &t.order_id {
            Some(id) => b.order_id(id),
            None => b.without_order_id(),
        }
        .body()
    };
    if let (Some(url), Ok(body)) = (&t.ipn_target_url, answer(Endpoint::Ipn)) {
        post_notification(url.clone(), body).await;
    }
    let body = match answer(Endpoint::Return) {
        Ok(body) => body,
        Err(e) => return error_page(None, &e.to_string(), shop_home.as_deref()),
    };
    let mut storage = vec![vads::body::RawField::EMPTY; vads::MAX_FIELDS];
    let inputs: String = match vads::body::parse(body.as_bytes(), &mut storage) {
        Ok(fields) => fields
            .iter()
            .map(|f| {
                format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    escape_html(&f.name()),
                    escape_html(&f.value())
                )
            })
            .collect(),
        Err(e) => return error_page(None, e.code(), shop_home.as_deref()),
    };
    ui::page(
        Site::Platform,
        "Back to the shop…",
        &format!(
            "<form id=\"back\" method=\"POST\" action=\"{}\">{inputs}<button class=\"primary\">Back to the shop</button></form>\
             <script>document.getElementById('back').submit();</script>",
            escape_html(&d.return_url)
        ),
    )
    .into_response()
}

/// The REST IPN of a transaction an API operation created or changed (a refund's
/// `CREDIT`, a cancellation, a validation, a lowered amount), to where its payment's
/// notifications go. Sent once: the shop folds the operation's own answer in anyway.
pub(crate) async fn notify_api_change(s: &SimState, t: vads::testing::platform::SimTransaction) {
    let Some(url) = t.ipn_target_url.clone() else {
        return;
    };
    let operation = if t.operation_type == "CREDIT" {
        OperationType::Credit
    } else {
        OperationType::Debit
    };
    let b = RestAnswerBuilder::new(&s.shop)
        .endpoint(Endpoint::Ipn)
        .amount(t.amount)
        .currency(&t.currency)
        .uuid(&t.uuid)
        .status(TransStatus::parse(&t.detailed_status))
        .operation_type(operation);
    // A payment lowered before capture: the platform's order total is what it was.
    let b = if operation == OperationType::Debit && t.initial_amount > t.amount {
        b.order_total(t.initial_amount)
    } else {
        b
    };
    let b = match &t.order_id {
        Some(id) => b.order_id(id),
        None => b.without_order_id(),
    };
    if let Ok(body) = b.body() {
        post_notification(url, body).await;
    }
}
