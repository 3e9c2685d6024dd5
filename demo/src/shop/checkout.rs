//! The buyer's side: the product page, the orders list, "Pay" (a new order and its signed
//! form), and the return page.

use super::store::order_state;
use super::{ShopState, CURRENCY, PRICE, PRODUCT};
use crate::ui::{self, escape_html, money, outcome_badge, query_escape};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use vads::form::{Installments, RRule, Subscription};
use vads::lifecycle::OrderOutcome;
use vads::recurring::PageAction;
use vads::TransDate;

pub(crate) async fn product_page(State(s): State<Arc<ShopState>>) -> Response {
    let recent = recent_orders(&s, 5).await;
    ui::page(
        s.site(),
        "Café vads",
        &format!(
            "<div class=\"card product\"><div class=\"pic\"></div><div>\
             <h2>{PRODUCT}</h2><p class=\"muted\">Single origin, roasted this week.</p>\
             <p class=\"price\" id=\"price\">{}</p>\
             <div class=\"actions\"><form method=\"POST\" action=\"/order\"><button class=\"primary\" id=\"pay\" type=\"submit\">Pay {}</button></form>\
             <form method=\"POST\" action=\"/order/in-3\"><button id=\"pay-in-3\" type=\"submit\">Pay in 3</button></form>\
             <form method=\"POST\" action=\"/order/save-card\"><button id=\"save-card\" type=\"submit\">Save my card</button></form>\
             <form method=\"POST\" action=\"/order/subscribe\"><button id=\"subscribe\" type=\"submit\">Subscribe monthly</button></form>{}</div>\
             <p class=\"muted\" id=\"flows\">Pay in 3: {} now, then two more every 30 days. Save my card: no payment now; the card \
             is kept as a token for next time. Subscribe monthly: the card is saved and {} is charged each month by the platform, from tomorrow.</p>\
             </div></div>\
             <div class=\"card\"><h2>How this demo works</h2><p>\"Pay\" creates an order and posts a form \
             signed with <code>vads</code> to the payment platform (here a local simulator); \"Pay with the \
             embedded form\" asks the platform's REST API for a formToken (<code>Charge/CreatePayment</code>) instead. The platform \
             notifies the shop (the IPN) and sends the buyer back. Each order's page shows what <code>vads</code> \
             did: the signed form, every notification with its verdict, and the order's state \
             reconciled from them, with buttons to make the platform send more.</p></div>{}",
            money(PRICE, CURRENCY),
            money(PRICE, CURRENCY),
            if s.api.is_some() {
                "<form method=\"POST\" action=\"/order/embedded\"><button id=\"pay-embedded\" type=\"submit\">Pay with the embedded form</button></form>"
            } else {
                ""
            },
            money(PLAN.first, CURRENCY),
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
pub(crate) async fn recent_orders(s: &ShopState, limit: usize) -> String {
    let ids = super::store::recent(s, limit).await;
    if ids.is_empty() {
        return String::new();
    }
    let mut states = Vec::with_capacity(ids.len());
    for (id, _) in &ids {
        states.push(order_state(s, id).await.map(|(st, _)| st));
    }
    let rows: String = ids
        .iter()
        .zip(states)
        .map(|((id, at), state)| {
            format!(
                "<tr><td data-label=\"Order\" class=\"nowrap\"><a href=\"/orders/{}\">{}</a></td>\
                 <td data-label=\"Created\">{} UTC</td><td data-label=\"State\">{}</td></tr>",
                query_escape(id),
                escape_html(id),
                escape_html(at),
                state.map_or_else(String::new, |st| outcome_badge(st.outcome))
            )
        })
        .collect();
    format!("<div class=\"scroll\"><table class=\"stack\"><tr><th>Order</th><th>Created</th><th>State</th></tr>{rows}</table></div>")
}

pub(crate) async fn orders_page(State(s): State<Arc<ShopState>>) -> Response {
    let table = recent_orders(&s, 100).await;
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

/// A new order id, `ORD-<unix time>-<n>`: one row of the sequence per order, inserted
/// under the database's lock, so two concurrent orders never get the same number.
pub(crate) async fn new_order_id(s: &ShopState) -> Result<String, Box<Response>> {
    let Some(n) = super::store::next_order_number(s).await else {
        return Err(Box::new(s.fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "the order could not be created",
        )));
    };
    Ok(format!(
        "ORD-{}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        n
    ))
}

/// "Pay in 3": the price in three installments, every 30 days (the remainder on the last).
pub(crate) const PLAN: Installments = Installments::new(3, PRICE / 3, 30);

/// The buyer the demo saves cards for (saving a card needs an e-mail).
const BUYER_EMAIL: &str = "buyer@example.com";

/// What the buyer chose on the product page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// One payment.
    Pay,
    /// Three installments ([`PLAN`]).
    InThree,
    /// Save the card, no payment (`REGISTER`).
    SaveCard,
    /// Save the card and subscribe: the price each month, from tomorrow
    /// (`REGISTER_SUBSCRIBE`).
    Subscribe,
}

impl Flow {
    /// The order's kind, as the demo's row keeps it.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Flow::Pay => "hosted",
            Flow::InThree => "installments",
            Flow::SaveCard => "card",
            Flow::Subscribe => "subscription",
        }
    }

    /// What the order is expected to be paid now.
    fn amount(self) -> u64 {
        match self {
            Flow::Pay | Flow::InThree => PRICE,
            Flow::SaveCard | Flow::Subscribe => 0,
        }
    }
}

pub(crate) async fn create_order(State(s): State<Arc<ShopState>>) -> Response {
    create(&s, Flow::Pay).await
}

pub(crate) async fn create_plan(State(s): State<Arc<ShopState>>) -> Response {
    create(&s, Flow::InThree).await
}

pub(crate) async fn create_card(State(s): State<Arc<ShopState>>) -> Response {
    create(&s, Flow::SaveCard).await
}

pub(crate) async fn create_subscription(State(s): State<Arc<ShopState>>) -> Response {
    create(&s, Flow::Subscribe).await
}

/// The day after `today` (UTC), `YYYYMMDD`: a subscription starting on the day it is
/// created would be charged twice on the first night.
fn tomorrow(today: TransDate) -> String {
    let t = TransDate::from_unix(today.to_unix().unwrap_or(0) + 86_400);
    format!("{:04}{:02}{:02}", t.year, t.month, t.day)
}

async fn create(s: &ShopState, flow: Flow) -> Response {
    let Some(shop) = s.shop() else {
        return s.fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Configuration error",
            "the demo needs exactly one shop",
        );
    };
    let order_id = match new_order_id(s).await {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let today = TransDate::now();
    let form = shop
        .form()
        .currency(CURRENCY)
        .order_id(order_id.as_str())
        .trans_date(today)
        .url_return(format!("{}/return", s.base_url))
        .url_check(format!("{}/notify", s.base_url))
        .return_mode("GET")
        .field("vads_ext_info_product", PRODUCT);
    let form = match flow {
        Flow::Pay => form.amount(PRICE),
        Flow::InThree => form.amount(PRICE).installments(PLAN),
        Flow::SaveCard => form
            .cust_email(BUYER_EMAIL)
            .page_action(PageAction::Register),
        Flow::Subscribe => form
            .cust_email(BUYER_EMAIL)
            .page_action(PageAction::RegisterSubscribe)
            .subscription(&Subscription::new(
                PRICE,
                CURRENCY,
                RRule::monthly_on(today.day, Some(12)),
                &tomorrow(today),
            )),
    }
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
    let form_json = serde_json::to_string(&form.fields).unwrap_or_default();
    if !super::store::save_order(
        s,
        &order_id,
        flow.amount(),
        CURRENCY,
        &form_json,
        &masked,
        flow.kind(),
    )
    .await
    {
        // The database's words go to the operator's terminal, never to the buyer's page.
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

pub(crate) async fn show_return(s: &ShopState, fields: &[u8]) -> Response {
    // The browser return is only a convenience: show what the notifications recorded.
    let Some(shop) = s.shop() else {
        return s.fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Configuration error",
            "the demo needs exactly one shop",
        );
    };
    let verified = if vads::Format::of(fields) == vads::Format::Rest {
        // The embedded form's return: kr-answer, hashed with the HMAC-SHA-256 key.
        shop.verify_rest(fields, vads::Endpoint::Return).map(|n| {
            let answer = n.answer().ok();
            let order = answer
                .as_ref()
                .and_then(|a| a.order_details.order_id.clone())
                .unwrap_or_default();
            let status = answer
                .as_ref()
                .and_then(|a| a.transactions.first())
                .and_then(|t| t.trans_status())
                .map(|t| t.as_str())
                .unwrap_or_default();
            (order, status)
        })
    } else {
        shop.verify(fields).map(|n| {
            (
                n.order_id().unwrap_or_default().into_owned(),
                n.trans_status().map(|t| t.as_str()).unwrap_or_default(),
            )
        })
    };
    let (order_id, status) = match verified {
        Ok(v) => v,
        Err(e) => {
            return s.fail(
                StatusCode::BAD_REQUEST,
                "This return link is not valid",
                &format!("The payment platform's return data did not verify ({}). Your order, if any, is unchanged.", e.code()),
            )
        }
    };
    let state = order_state(s, &order_id).await.map(|(st, _)| st);
    let outcome = state.as_ref().map(|st| st.outcome);
    let plan = state.as_ref().is_some_and(|st| st.plan.is_some());
    let subscribed = state
        .as_ref()
        .is_some_and(|st| st.recurrence_status.as_deref() == Some("CREATED"));
    let (title, text) = match (outcome, status) {
        (Some(OrderOutcome::Paid), _) if plan => (
            "Thank you! Your first installment went through",
            "Your coffee is on its way; the next installments follow every 30 days.",
        ),
        (Some(OrderOutcome::Paid), _) => (
            "Thank you! Your payment went through",
            "Your coffee is on its way.",
        ),
        (Some(OrderOutcome::Verified), _) if subscribed => (
            "You are subscribed",
            "Your card is saved and the platform charges your subscription each month, from tomorrow. Nothing was charged today.",
        ),
        (Some(OrderOutcome::Verified), _) => (
            "Your card is saved",
            "Your card is kept as a token for your next orders. Nothing was charged.",
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

pub(crate) async fn return_page(
    State(s): State<Arc<ShopState>>,
    RawQuery(q): RawQuery,
) -> Response {
    show_return(&s, q.unwrap_or_default().as_bytes()).await
}

pub(crate) async fn return_post(State(s): State<Arc<ShopState>>, body: Bytes) -> Response {
    show_return(&s, &body).await
}
