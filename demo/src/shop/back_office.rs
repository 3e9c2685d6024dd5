//! The merchant's back office, through the REST API: refund in full or in part, cancel,
//! validate an order with `vads::api::money` (read first, send once, a lost answer read
//! back). Every call is recorded on the order's page; the operation's answer (the
//! platform's transactions afterwards) is folded into the order like notifications.

use super::store::{record_api_call, record_platform_read};
use super::ShopState;
use crate::ui::query_escape;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;
use vads::api::money::{Money, RefundAmount};

#[derive(serde::Deserialize)]
pub(crate) struct Operation {
    op: String,
    amount: Option<String>,
    /// What the page showed as given back (refunded, and taken off before capture) when
    /// it was shown: a second press of the same page's button is then refused
    /// (`refunded_changed`) instead of refunding again. Without it, the store's state now.
    refunded_now: Option<String>,
}

pub(crate) async fn operation(
    State(s): State<Arc<ShopState>>,
    Path(id): Path<String>,
    Form(o): Form<Operation>,
) -> Response {
    let Some(client) = &s.api else {
        return s.fail(
            StatusCode::NOT_FOUND,
            "No REST API here",
            "This shop has no REST API credentials: its back office cannot call the platform.",
        );
    };
    let mut calls = Vec::new();
    // The store's order lock: one operation in flight per order, on every instance.
    let money = Money::new(client, &s.store);
    let result = match o.op.as_str() {
        "refund" => {
            money
                .refund_logged(&id, RefundAmount::All, &mut calls)
                .await
        }
        "refund_part" => {
            let Some(amount) = o
                .amount
                .as_deref()
                .and_then(|a| a.trim().parse::<u64>().ok())
                .filter(|a| *a > 0)
            else {
                return s.fail(
                    StatusCode::BAD_REQUEST,
                    "Invalid amount",
                    "The amount to refund is a whole number of cents, e.g. 500 for 5.00 EUR.",
                );
            };
            // What the shop knows is given back now — refunded, and taken off before
            // capture: the one definition `vads::api::money` checks it against — refused
            // if the platform says otherwise (a refund made meanwhile is not repeated).
            let shown = o.refunded_now.as_deref().map(|r| r.trim().parse::<u64>());
            let refunded_now = match shown {
                Some(Ok(r)) => r,
                Some(Err(_)) => {
                    return s.fail(
                        StatusCode::BAD_REQUEST,
                        "Invalid form",
                        "refunded_now is a whole number of cents.",
                    )
                }
                None => super::store::order_state(&s, &id)
                    .await
                    .map_or(0, |(st, _)| st.refunded.saturating_add(st.lowered)),
            };
            let amount = RefundAmount::More {
                amount,
                refunded_now,
            };
            money.refund_logged(&id, amount, &mut calls).await
        }
        "cancel" => money.cancel_logged(&id, &mut calls).await,
        "validate" => money.validate_logged(&id, &mut calls).await,
        _ => {
            return s.fail(
                StatusCode::BAD_REQUEST,
                "Unknown operation",
                "The back office offers refund, cancel and validate.",
            )
        }
    };
    for report in &calls {
        record_api_call(&s, &id, report).await;
    }
    let outcome = match result {
        Ok(done) => {
            let events = done
                .transactions
                .iter()
                .map(|t| t.to_event(Some(&id)))
                .collect();
            // A lowered payment keeps its order's expected amount: the state reads it as
            // paid + lowered (`OrderState::lowered`), never as another amount.
            record_platform_read(&s, "API", events).await;
            if done.sent.is_empty() {
                "nothing_to_send".to_owned()
            } else {
                "ok".to_owned()
            }
        }
        Err(e) => e.code().to_owned(),
    };
    Redirect::to(&format!(
        "/orders/{}?api={}&result={}#api-done",
        query_escape(&id),
        query_escape(&o.op),
        query_escape(&outcome)
    ))
    .into_response()
}
