//! The demo shop: a product page; "Pay" creates an order and posts the signed form to
//! the payment page; the notification endpoint takes both formats and records each
//! transaction event once; every order has a page that shows, in order, the signed form,
//! every notification received with its verdict, and the state reconciled from them.
//!
//! Its rooms: [`store`] (the store and the demo's tables beside it), [`notify`] (the
//! notification endpoint), [`checkout`] (the product page, the order, the return),
//! [`embedded`] (an order paid with the embedded form: the formToken from
//! `Charge/CreatePayment`),
//! [`order_page`] (what vads did for an order, as a page and as JSON), [`recovery`] (the
//! orders whose notification never came, asked for through `Order/Get`), [`recurring`]
//! (a plan, a saved card, a subscription and its installments on the order's page),
//! [`back_office`]
//! (refund, cancel, validate through the REST API), [`saved_card`] (charge the saved card
//! again, once; the subscription's page, cancel), [`shipping`] (the outbox worker that
//! ships an order once).

mod attention;
mod back_office;
mod checkout;
mod embedded;
mod notify;
mod order_page;
pub(crate) mod recovery;
mod recurring;
mod saved_card;
pub(crate) mod shipping;
pub(crate) mod store;

use crate::ui::{self, Site};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use vads::{Shop, Shops};

pub use store::Database;

/// The price of the demo's only product, in cents.
pub const PRICE: u64 = 1250;
/// Its currency.
pub const CURRENCY: &str = "EUR";
pub(crate) const PRODUCT: &str = "Coffee beans, 1 kg";

pub(crate) struct ShopState {
    /// The shop (TEST): signs forms, verifies `/notify`.
    pub(crate) shops: Arc<Shops>,
    /// The same shop's PRODUCTION deployment, at `/notify/live`, if configured: where
    /// the playground shows that a TEST notification is never trusted.
    pub(crate) live: Option<Arc<Shops>>,
    /// The store (`vads-store`) and, in the same database, the demo's own tables.
    pub(crate) store: vads_store::Store,
    /// This instance's name in logs and rows (several instances may share a database).
    pub(crate) instance: String,
    pub(crate) base_url: String,
    /// The simulator's base URL, when forms go to it (the playground's actions).
    pub(crate) simulator_url: Option<String>,
    /// The REST API client, when the shop has a REST password and an API host (the
    /// embedded form).
    pub(crate) api: Option<vads::api::Client<vads::api::ReqwestTransport>>,
    /// The REST API client of the merchant-initiated channel (its mode's password), when
    /// that channel is on: the saved card's zero-click charges.
    pub(crate) charges: Option<vads::api::Client<vads::api::ReqwestTransport>>,
}

impl ShopState {
    fn shop(&self) -> Option<&Shop> {
        self.shops.only()
    }

    /// The key of the shop's own order `id` (its site id and mode: the demo's orders are
    /// the TEST shop's).
    pub(crate) fn key(&self, id: &str) -> vads::lifecycle::OrderKey {
        let (site, mode) = self
            .shop()
            .map_or(("", vads::Mode::Test), |s| (s.site_id(), s.mode()));
        vads::lifecycle::OrderKey::new(site, mode, id)
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

pub(crate) fn router(state: Arc<ShopState>) -> Router {
    Router::new()
        .route("/", get(checkout::product_page))
        .route("/order", post(checkout::create_order))
        .route("/order/embedded", post(embedded::create_embedded))
        .route("/order/in-3", post(checkout::create_plan))
        .route("/order/save-card", post(checkout::create_card))
        .route("/order/subscribe", post(checkout::create_subscription))
        .route("/notify", post(notify::notify))
        .route("/notify/live", post(notify::notify_live))
        .route(
            "/return",
            get(checkout::return_page).post(checkout::return_post),
        )
        .route("/orders", get(checkout::orders_page))
        .route("/orders/{id}", get(order_page::order_page))
        .route("/api/orders/{id}", get(order_page::order_json))
        .route("/orders/{id}/operation", post(back_office::operation))
        .route("/orders/{id}/charge", post(saved_card::charge))
        .route(
            "/orders/{id}/subscription",
            get(saved_card::subscription_page),
        )
        .route("/orders/{id}/subscription/cancel", post(saved_card::cancel))
        .route("/attention", get(attention::attention_page))
        .fallback(not_found)
        // The library refuses bodies above MAX_BODY_LEN: reading more would only cost
        // memory. Larger bodies get 413 before they are read.
        .layer(axum::extract::DefaultBodyLimit::max(vads::MAX_BODY_LEN))
        .layer(axum::middleware::from_fn(
            vads::axum::refuse_declared_too_large,
        ))
        .with_state(state)
}

pub(crate) async fn not_found(State(s): State<Arc<ShopState>>) -> Response {
    s.fail(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no such page in this shop.",
    )
}
