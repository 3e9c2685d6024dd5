//! The saved card and the subscription, through the REST API: "Charge my saved card
//! again" (a zero-click charge, `vads::api::charge`: the store's order lock, read first,
//! sent once, a lost answer read back — once even on a double click or on two instances),
//! and the subscription's page (`Subscription/Get` with its derived status, and
//! `Subscription/Cancel`, idempotent).
//!
//! Each charge is its own order, named by the saved-card order and its number
//! (`ORDER-R1`, `ORDER-R2`, ...): the number is the page's, so a second press of the same
//! page's button names the same charge and charges nothing more.

use super::store::{logged, record_api_call, record_platform_read, shipments};
use super::ShopState;
use crate::ui::{self, escape_html, money, outcome_badge, query_escape};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use vads::api::charge::{Charge, ChargeError, Charges};
use vads::api::subscriptions::{cancel_subscription, SubscriptionGet, SubscriptionRef};
use vads::lifecycle::OrderState;
use vads_store::StoredOrder;

/// At most this many charges of one saved card are shown (and numbered).
const MAX_CHARGES: u32 = 50;

/// The order id of charge `n` of the saved-card order `id`.
fn charge_id(id: &str, n: u32) -> String {
    format!("{id}-R{n}")
}

/// Whether the order saved a card that can be charged.
fn saved_token(state: &OrderState) -> Option<&str> {
    let token = state.token.as_ref()?;
    matches!(token.status.as_deref(), Some("CREATED" | "UPDATED")).then_some(token.id.as_str())
}

/// The charges of the saved-card order `id`, in order: (number, the charge's order).
async fn charges_of(s: &ShopState, id: &str) -> Vec<(u32, StoredOrder)> {
    let mut out = Vec::new();
    for n in 1..=MAX_CHARGES {
        let key = s.key(&charge_id(id, n));
        match logged("cannot read a charge", s.store.order(&key).await) {
            Some(Some(order)) => out.push((n, order)),
            _ => break,
        }
    }
    out
}

/// The card "Charge the saved card": the charges made, and the button (when the card is
/// saved and the merchant-initiated channel is on).
pub(crate) async fn card(
    s: &ShopState,
    id: &str,
    state: &OrderState,
    q: &HashMap<String, String>,
) -> String {
    let Some(_) = saved_token(state) else {
        return String::new();
    };
    let charges = charges_of(s, id).await;
    let mut rows = String::new();
    for (n, c) in &charges {
        let shipped = !shipments(s, &c.key).await.is_empty();
        rows += &format!(
            "<tr class=\"charge\"><td data-label=\"Charge\">{}</td><td data-label=\"Amount\" class=\"nowrap\">{}</td>\
             <td data-label=\"Outcome\">{}</td><td data-label=\"Shipped\">{}</td></tr>",
            escape_html(&charge_id(id, *n)),
            money(c.state.transactions.first().and_then(|t| t.amount.value().copied()).unwrap_or(c.state.paid), super::CURRENCY),
            outcome_badge(c.state.outcome),
            match (shipped, c.state.outcome) {
                (true, _) => "yes",
                // The outbox worker ships a paid charge within moments.
                (false, vads::lifecycle::OrderOutcome::Paid) => "not yet",
                (false, _) => "no",
            }
        );
    }
    let table = if rows.is_empty() {
        "<p id=\"no-charge\">No charge of this card yet.</p>".to_owned()
    } else {
        format!(
            "<div class=\"scroll\"><table class=\"stack\" id=\"charges\"><tr><th>Charge</th><th>Amount</th><th>Outcome</th><th>Shipped</th></tr>{rows}</table></div>"
        )
    };
    let notice = match q.get("charge").map(String::as_str) {
        None => String::new(),
        Some(result) => {
            let (class, text) = match result {
                "charged" => ("ok", "Charged: the platform took the payment (its answer is the event: no notification follows)."),
                "already_charged" => ("info", "Already charged: this charge was made before (a second press, another instance); nothing was sent."),
                "pending" => ("info", "The charge is not final yet: nothing more was sent; it is read again later."),
                "refused" => ("bad", "Refused by the bank: the transaction is refused, never paid."),
                "already_refused" => ("bad", "This charge was refused before: nothing was sent again."),
                "outcome_unknown" => ("bad", "The platform's answer was lost and the order, read again, does not show the charge yet: nothing was sent again. Read it later."),
                "busy" => ("info", "Another charge of this order is in flight (another click, another instance): nothing was sent."),
                "channel_off" => ("bad", "Merchant-initiated charges are off in the shop's configuration ([channels] merchant_initiated): nothing was sent."),
                _ => ("bad", "The charge was not made (see the API calls above): nothing was charged."),
            };
            format!(
                "<p class=\"notice {class}\" id=\"charge-result\" data-result=\"{}\">{text}</p>",
                escape_html(result)
            )
        }
    };
    let button = if s.charges.is_some() {
        let next = charges.last().map_or(1, |(n, _)| n + 1);
        if next > MAX_CHARGES {
            String::new()
        } else {
            format!(
                "<form method=\"POST\" action=\"/orders/{}/charge\"><input type=\"hidden\" name=\"n\" value=\"{next}\">\
                 <button class=\"primary\" id=\"charge-again\" type=\"submit\">Charge my saved card again ({})</button></form>",
                escape_html(&query_escape(id)),
                money(super::PRICE, super::CURRENCY)
            )
        }
    } else {
        "<p class=\"muted\" id=\"charges-off\">Merchant-initiated charges are off in the shop's configuration \
         (<code>[channels] merchant_initiated</code>): the card cannot be charged without the buyer.</p>"
            .to_owned()
    };
    format!(
        "<div class=\"card\" id=\"saved-card\"><h2>Charge the saved card</h2>\
         <p class=\"muted\">A zero-click charge (<code>Charge/CreatePayment</code>, <code>formAction: SILENT</code>) moves \
         money without the buyer, answers at once and is followed by no notification. The platform has no idempotency: \
         vads takes the order's lock in the store, reads the order first, sends once and reads a lost answer back. \
         Each charge is its own order, named by this page: pressing twice, or on two instances, charges once.</p>\
         {notice}{table}<div class=\"actions\">{button}</div></div>"
    )
}

#[derive(serde::Deserialize)]
pub(crate) struct ChargeForm {
    /// The charge's number, as the page that showed the button named it.
    n: String,
}

/// `POST /orders/{id}/charge`: charge `n` of the saved card of order `id`, once.
pub(crate) async fn charge(
    State(s): State<Arc<ShopState>>,
    Path(id): Path<String>,
    Form(f): Form<ChargeForm>,
) -> Response {
    let Some(client) = &s.charges else {
        return back(&id, "channel_off");
    };
    let Some(n) =
        f.n.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_CHARGES).contains(n))
    else {
        return s.fail(
            StatusCode::BAD_REQUEST,
            "Invalid form",
            "The charge's number is a whole number from 1 to 50.",
        );
    };
    let Some((state, _)) = super::store::order_state(&s, &id).await else {
        return s.fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "the database is busy",
        );
    };
    let Some(token) = saved_token(&state) else {
        return s.fail(
            StatusCode::CONFLICT,
            "No saved card",
            "This order saved no card that can be charged.",
        );
    };
    let mut charge = Charge::new(charge_id(&id, n), token, super::PRICE, super::CURRENCY);
    if let Some(r) = &state.chaining_ref {
        charge = charge.chaining_ref(r.as_str());
    }
    let charges = Charges::new(client, &s.store).read_back_after(vec![
        Duration::ZERO,
        Duration::from_millis(500),
        Duration::from_secs(1),
    ]);
    let mut calls = Vec::new();
    let result = charges.charge_logged(&charge, &mut calls).await;
    for report in &calls {
        record_api_call(&s, &id, report).await;
    }
    let outcome = match result {
        Ok(done) => {
            record_platform_read(&s, "Charge/CreatePayment", done.events).await;
            done.outcome.as_str().to_owned()
        }
        Err(ChargeError::Refused(declined)) => {
            record_platform_read(&s, "Charge/CreatePayment", declined.events).await;
            "refused".to_owned()
        }
        Err(e) => e.code().to_owned(),
    };
    back(&id, &outcome)
}

fn back(id: &str, outcome: &str) -> Response {
    Redirect::to(&format!(
        "/orders/{}?charge={}#saved-card",
        query_escape(id),
        query_escape(outcome)
    ))
    .into_response()
}

/// The subscription an order created: (its id, its token).
fn subscription_of(state: &OrderState) -> Option<SubscriptionRef> {
    if state.recurrence_status.as_deref() != Some("CREATED") {
        return None;
    }
    Some(SubscriptionRef {
        id: state.subscription.clone()?,
        token: state.token.as_ref()?.id.clone(),
    })
}

/// `GET /orders/{id}/subscription`: the subscription as the platform has it.
pub(crate) async fn subscription_page(
    State(s): State<Arc<ShopState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(client) = &s.api else {
        return s.fail(
            StatusCode::NOT_FOUND,
            "No REST API here",
            "This shop has no REST API credentials: it cannot read its subscriptions.",
        );
    };
    let Some((state, _)) = super::store::order_state(&s, &id).await else {
        return s.fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "the database is busy",
        );
    };
    let Some(sub) = subscription_of(&state) else {
        return s.fail(
            StatusCode::NOT_FOUND,
            "No subscription",
            &format!("Order {id} created no subscription."),
        );
    };
    let info = match client
        .call(&SubscriptionGet::new(&sub.id, &sub.token))
        .await
    {
        Ok(info) => info,
        Err(e) => {
            return s.fail(
                StatusCode::BAD_GATEWAY,
                "The platform did not answer",
                &format!("Subscription/Get failed: {}", e.code()),
            )
        }
    };
    let status = info.status(vads::TransDate::now());
    let currency = info.currency.as_deref().unwrap_or(super::CURRENCY);
    let notice = match q.get("cancel").map(String::as_str) {
        Some("cancelled") => "<p class=\"notice ok\" id=\"cancel-result\">Cancelled: no further installment will be charged.</p>".to_owned(),
        Some("already_cancelled") => "<p class=\"notice info\" id=\"cancel-result\">It was cancelled already: nothing more to do.</p>".to_owned(),
        Some(code) => format!("<p class=\"notice bad\" id=\"cancel-result\">The cancellation failed ({}): the subscription is as shown.</p>", escape_html(code)),
        None => String::new(),
    };
    let total = match info.total_payments_number {
        Some(0) | None => "no end".to_owned(),
        Some(t) => t.to_string(),
    };
    let cancel = if status == vads::api::subscriptions::SubscriptionStatus::Cancelled
        || status == vads::api::subscriptions::SubscriptionStatus::Completed
    {
        String::new()
    } else {
        format!(
            "<form method=\"POST\" action=\"/orders/{}/subscription/cancel\"><button class=\"danger\" id=\"cancel-subscription\" type=\"submit\">Cancel the subscription</button></form>",
            escape_html(&query_escape(&id))
        )
    };
    let body = format!(
        "<div class=\"card\" id=\"subscription-card\"><h2>The subscription, as the platform has it</h2>\
         <p class=\"muted\">Read now with <code>Subscription/Get</code> (its id and its token: no list of subscriptions \
         exists). The platform gives no status: vads derives it — cancelled once a cancel date is set, completed when \
         every installment ran, pending before the first, else active.</p>{notice}\
         <dl class=\"facts\"><dt>Status</dt><dd id=\"sub-status\">{}</dd><dt>Subscription</dt><dd><code>{}</code></dd>\
         <dt>Card</dt><dd><code>{}</code> (masked)</dd><dt>Amount</dt><dd>{}</dd><dt>Rule</dt><dd><code class=\"wrap\">{}</code></dd>\
         <dt>Starts</dt><dd>{}</dd><dt>Installments run</dt><dd id=\"sub-past\">{} of {}</dd><dt>Cancelled on</dt><dd>{}</dd></dl>\
         <div class=\"actions\">{cancel}</div></div>\
         <p><a href=\"/orders/{}\">Back to order {}</a> · <a href=\"/orders\">All orders</a></p>",
        status.as_str(),
        escape_html(&sub.id),
        escape_html(&super::recurring::masked_token(&sub.token)),
        info.amount.map_or_else(|| "—".to_owned(), |a| money(a, currency)),
        escape_html(info.rrule.as_deref().unwrap_or("—")),
        escape_html(info.effect_date.as_deref().map_or("—", |d| d.get(..10).unwrap_or(d))),
        info.past_payments_number.unwrap_or(0),
        total,
        escape_html(info.cancel_date.as_deref().map_or("—", |d| d.get(..10).unwrap_or(d))),
        escape_html(&query_escape(&id)),
        escape_html(&id),
    );
    ui::page(s.site(), &format!("Subscription of order {id}"), &body).into_response()
}

/// `POST /orders/{id}/subscription/cancel`: `Subscription/Cancel`, idempotent.
pub(crate) async fn cancel(State(s): State<Arc<ShopState>>, Path(id): Path<String>) -> Response {
    let Some(client) = &s.api else {
        return s.fail(
            StatusCode::NOT_FOUND,
            "No REST API here",
            "This shop has no REST API credentials.",
        );
    };
    let Some(sub) = super::store::order_state(&s, &id)
        .await
        .and_then(|(state, _)| subscription_of(&state))
    else {
        return s.fail(
            StatusCode::NOT_FOUND,
            "No subscription",
            &format!("Order {id} created no subscription."),
        );
    };
    let result = match cancel_subscription(client, &sub).await {
        Ok(change) => change.as_str().to_owned(),
        Err(e) => e.code().to_owned(),
    };
    Redirect::to(&format!(
        "/orders/{}/subscription?cancel={}",
        query_escape(&id),
        query_escape(&result)
    ))
    .into_response()
}
