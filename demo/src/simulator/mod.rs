//! The platform simulator: receives the form like the payment page (and checks it like
//! the platform: mode, site, signature), lets the tester choose the outcome, sends the
//! signed notification to `vads_url_check` (retried like the platform when the shop does
//! not answer success), redirects the browser to the return URL with the signed return
//! fields, and offers the back office's operations and the playground's deliveries: the
//! notification again, as a retry, as a forgery, to the PRODUCTION deployment, with a
//! duplicated field.
//!
//! Its rooms: [`payment`] (the payment page, the outcome, its notification; installment 1 of a plan, a card saved, a subscription created),
//! [`notify`] (notifications posted and retried like the platform's),
//! [`batch`] (the nightly batch: a plan's next installment, `BATCH_AUTO`, or a
//! subscription's, `REC`), [`back_office`] (the operations and the playground's deliveries),
//! [`embedded`] (the stand-in for the embedded form, paying a formToken); and the REST
//! API V4 itself at `/api-payment/V4/...`: the library's simulator
//! ([`vads::testing::platform`]), which holds the formTokens and the transactions the
//! API reads and changes.

mod back_office;
mod batch;
mod embedded;
mod notify;
mod payment;

pub(crate) use embedded::notify_api_change;

use crate::ui::{self, Site};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vads::Shop;

/// Fields of a form or notification, in order.
pub(crate) type Fields = Vec<(String, String)>;

pub(crate) struct SimState {
    pub(crate) shop: Shop,
    /// Payment sessions by token: the form's fields.
    pub(crate) sessions: Mutex<HashMap<String, Fields>>,
    /// The last payment notification per order id, and where it went.
    pub(crate) last: Mutex<HashMap<String, (String, Fields)>>,
    /// What the nightly batch runs per order id: the installments of a plan, or a
    /// subscription's.
    pub(crate) recurring: Mutex<HashMap<String, batch::Recurring>>,
    pub(crate) retry_delay: Duration,
    pub(crate) next: Mutex<u64>,
    /// The platform's one state (formTokens, transactions), which its REST API and its
    /// back office both read and change.
    pub(crate) platform: Arc<vads::testing::platform::Platform>,
}

impl SimState {
    fn next(&self) -> u64 {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        *next
    }
}

pub(crate) fn router(state: Arc<SimState>) -> Router {
    let pages = Router::new()
        .route("/", get(index))
        .route("/vads-payment/", post(payment::payment_page))
        .route("/vads-payment/decide", post(payment::decide))
        .route("/admin/replay", post(back_office::replay))
        .route("/admin/order", get(back_office::back_office))
        .route("/admin/operation", post(back_office::operation))
        .route("/admin/api-fault", post(back_office::api_fault))
        .route("/admin/batch", post(batch::run))
        .route("/embedded", post(embedded::page))
        .route("/embedded/decide", post(embedded::decide))
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
        ));
    let api = vads::testing::platform::router(state.platform.clone());
    // The API's routes beside the pages' (the API router reads at most MAX_BODY_LEN).
    api.merge(pages.with_state(state))
}

/// What the simulator is (its logo's link): the pages are reached from the shop.
async fn index() -> axum::response::Html<String> {
    ui::page(
        Site::Platform,
        "Payment platform simulator",
        "<div class=\"card\"><p>A local stand-in for the platform: its payment page (<code>/vads-payment/</code>, \
         where the shop's signed form is posted), the notifications it sends the shop with their retries, a back \
         office, the embedded form's stand-in, and the REST API V4 (<code>/api-payment/V4/...</code>).</p>\
         <p class=\"muted\">Its pages are reached from the shop: pay an order there, or open an order's page and use \
         its buttons.</p></div>",
    )
}

/// The platform's error page, with the way back to the shop when the form said where it
/// is (an unverified address: a link only). `code`: the platform's numbered error
/// (`Payment error 05`), or `None` for an error of the simulator itself.
pub(crate) fn error_page(code: Option<&str>, message: &str, shop: Option<&str>) -> Response {
    let back: Vec<(&str, &str)> = match shop {
        Some(url) => vec![(url, "Back to the shop")],
        None => vec![("javascript:history.back()", "Back")],
    };
    let title = code.map_or_else(
        || "Payment error".to_owned(),
        |c| format!("Payment error {c}"),
    );
    ui::error(
        Site::Platform,
        StatusCode::BAD_REQUEST,
        &title,
        message,
        &back,
    )
}

/// The page for an order this simulator never took a payment for: each instance of the
/// demo runs its own simulator, which knows only the payments made on it.
pub(crate) fn no_payment_here(order: &str) -> Response {
    ui::error(
        Site::Platform,
        StatusCode::NOT_FOUND,
        "No payment for this order here",
        &format!(
            "This simulator took no payment for order {order}. Each instance of the demo runs its own \
             simulator: open the order on the instance whose simulator took its payment, or pay a new order here."
        ),
        &[("javascript:history.back()", "Back")],
    )
}

/// `scheme://host:port` of an `http(s)` URL.
pub(crate) fn origin(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest
        .find('/')
        .map_or(url.len(), |i| url.len() - rest.len() + i);
    url.get(..end)
}
