//! "Pay with the embedded form": a new order, a formToken asked of the platform's REST API
//! (`Charge/CreatePayment`, with the shop's REST password: the call is recorded on the
//! order's page, never the credential), and the page where the embedded form would be.
//!
//! The real embedded form is the platform's JavaScript (`kr-payment-form`), loaded from
//! the platform with the shop's public key; this demo runs offline and cannot load it, so
//! the page posts the token to the simulator's stand-in payment page instead, and says so.

use super::checkout::new_order_id;
use super::store::{record_api_call, save_order};
use super::{ShopState, CURRENCY, PRICE, PRODUCT};
use crate::ui::{self, escape_html, money, query_escape};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use vads::api::CreatePayment;

pub(crate) async fn create_embedded(State(s): State<Arc<ShopState>>) -> Response {
    let (Some(client), Some(simulator)) = (&s.api, &s.simulator_url) else {
        return s.fail(
            StatusCode::NOT_FOUND,
            "No embedded form here",
            "This shop has no REST API credentials, or its payments do not go to the simulator.",
        );
    };
    let order_id = match new_order_id(&s).await {
        Ok(id) => id,
        Err(page) => return *page,
    };
    if !save_order(&s, &order_id, PRICE, CURRENCY, "[]", "", "embedded").await {
        return s.fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "The order could not be saved",
            "please try again in a moment",
        );
    }
    let call = CreatePayment::new(PRICE, CURRENCY)
        .order_id(order_id.as_str())
        .ipn_target_url(format!("{}/notify", s.base_url));
    let (result, report) = client.call_with_report(&call).await;
    record_api_call(&s, &order_id, &report).await;
    let form = match result {
        Ok(form) => form,
        Err(e) => {
            // The error's code and sentence: no credential, no answer body.
            return s.fail(
                StatusCode::BAD_GATEWAY,
                "The payment could not be started",
                &format!(
                    "The platform's REST API did not give a formToken for order {order_id} ({e}). Nothing was charged."
                ),
            );
        }
    };
    ui::page(
        s.site(),
        "Pay with the embedded form",
        &format!(
            "<div class=\"card\"><dl class=\"facts\"><dt>Order</dt><dd id=\"order\">{}</dd><dt>Product</dt><dd>{PRODUCT}</dd>\
             <dt>Amount</dt><dd>{}</dd></dl>\
             <p>The shop asked the platform's REST API for a payment of this order \
             (<code>Charge/CreatePayment</code>, authenticated with the shop's REST password) and got a \
             <strong>formToken</strong>: the embedded form starts with it, and it expires in 15 minutes.</p>\
             <div class=\"notice info\">On a real shop, the platform's JavaScript embedded form \
             (<code>kr-payment-form</code>) would show here and take the card. This demo runs offline and \
             cannot load the platform's script, so the button below takes the token to the simulator's \
             stand-in payment page instead. What follows is the real protocol: a REST notification \
             (<code>kr-answer</code> + <code>kr-hash</code>) to the shop, then the buyer's return.</div>\
             <form method=\"POST\" action=\"{}/embedded\">\
             <input type=\"hidden\" name=\"formToken\" value=\"{}\">\
             <input type=\"hidden\" name=\"return_url\" value=\"{}/return\">\
             <div class=\"actions\"><button class=\"primary\" id=\"embedded-continue\" type=\"submit\">Continue to the payment</button>\
             <a class=\"button\" href=\"/orders/{}\">See what vads did</a></div></form></div>",
            escape_html(&order_id),
            money(PRICE, CURRENCY),
            escape_html(simulator),
            escape_html(form.form_token.as_str()),
            escape_html(&s.base_url),
            query_escape(&order_id),
        ),
    )
    .into_response()
}
