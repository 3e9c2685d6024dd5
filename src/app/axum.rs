//! [axum](https://docs.rs/axum) glue (feature `axum`): extractors that hand a handler a
//! verified notification, in either format, with the body limit and the answers of
//! [`crate::app::answer`] already right.
//!
//! - [`Ipn`] reads the body of the platform's POST (at most [`MAX_BODY_LEN`] bytes: a
//!   longer body is refused by its `Content-Length` at once, before it is read or waited
//!   for, or as soon as it passes the limit: `413`) and verifies it with the shop whose site id it carries
//!   ([`Shops::verify_any`] for [`Endpoint::Ipn`]: `vads_*` fields or a REST answer).
//! - [`BrowserReturn`] does the same for the buyer's return, from the query string of a
//!   GET or the body of a POST ([`Endpoint::Return`]).
//! - A notification that fails is answered for the handler: [`Rejection`] responds as
//!   [`crate::app::answer`] decides for [`Handled::Rejected`] (400, a body that says nothing
//!   of why), so a genuine notification refused by a configuration mistake is reported
//!   and retried by the platform instead of lost.
//! - [`Answer`] is a response: a handler records the notification, then returns
//!   `answer(&Handled::Recorded)` (or `Duplicate`, or `StorageFailed` for a 503 the
//!   platform retries).
//!
//! The extractors need the shops in the router's state: `Arc<Shops>` itself, or any state
//! from which it can be taken (`FromRef`). One shop is `Shops::from(shop)`.
//!
//! ```
//! use axum::{routing::post, Router};
//! use std::sync::Arc;
//! use vads::answer::{answer, Answer, Handled};
//! use vads::axum::Ipn;
//! use vads::{Mode, SecretString, Shop, ShopConfig, Shops};
//!
//! async fn notify(Ipn(verified): Ipn) -> Answer {
//!     // Record it once (with feature `rest`, `verified.notification().events()` gives
//!     // the events and their idempotency keys), then:
//!     let _format = verified.notification().format();
//!     answer(&Handled::Recorded)
//! }
//!
//! let mut config = ShopConfig::new("12345678", Mode::Test);
//! config.test_key = Some(SecretString::new("1122334455667788".into()));
//! let shops = Arc::new(Shops::from(Shop::new(config)?));
//! let app: Router = Router::new().route("/payment/notify", post(notify)).with_state(shops);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `examples/axum_notify.rs` is a complete endpoint with idempotent recording.

use crate::app::answer::{answer, Answer, Handled};
use crate::policy::shops::Shops;
use crate::protocol::algorithm::Algorithm;
use crate::protocol::endpoint::Endpoint;
use crate::protocol::error::{SiteId, VerifyError};
use crate::protocol::limits::MAX_BODY_LEN;
use crate::protocol::mode::Mode;
use crate::protocol::notification::{KeyMatch, Notification};
use crate::protocol::rest::{AnyNotification, RestNotification};
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// A verified notification that owns its body ([`Notification`] and
/// [`RestNotification`] borrow theirs, which a handler's extractor cannot).
///
/// It exists only after verification; [`VerifiedNotification::notification`] gives the
/// usual borrowed view, without verifying again.
#[derive(Debug, Clone)]
pub struct VerifiedNotification {
    shop: String,
    view: View,
}

#[derive(Debug, Clone)]
enum View {
    Form {
        body: Bytes,
        mode: Mode,
        key: KeyMatch,
        algorithm: Algorithm,
    },
    Rest {
        answer: String,
        answer_type: Option<String>,
        endpoint: Endpoint,
        mode: Mode,
        site: SiteId,
    },
}

impl VerifiedNotification {
    /// Verifies `body`, which arrived at `endpoint`, with the shop of `shops` whose site id
    /// it carries: what the extractors do, for a body read some other way.
    ///
    /// # Errors
    /// Those of [`Shops::verify_any`].
    pub fn verify(
        shops: &Shops,
        body: Bytes,
        endpoint: Endpoint,
    ) -> Result<VerifiedNotification, VerifyError> {
        // A REST view owns its texts; a `vads_*` view owns the body, which can move in
        // only once the borrowed notification is gone: its facts are kept until then.
        let (shop, view) = match shops.verify_any(&body, endpoint)? {
            (shop, AnyNotification::Form(n)) => (
                shop.to_owned(),
                Err((n.mode(), n.matched_key(), n.algorithm())),
            ),
            (shop, AnyNotification::Rest(n)) => (
                shop.to_owned(),
                Ok(View::Rest {
                    answer: n.answer_text().into_owned(),
                    answer_type: n.answer_type().map(|t| t.into_owned()),
                    endpoint: n.endpoint(),
                    mode: n.mode(),
                    site: n.site(),
                }),
            ),
        };
        let view = view.unwrap_or_else(|(mode, key, algorithm)| View::Form {
            body,
            mode,
            key,
            algorithm,
        });
        Ok(VerifiedNotification { shop, view })
    }

    /// The notification, borrowed from this value.
    #[must_use]
    pub fn notification(&self) -> AnyNotification<'_> {
        match &self.view {
            View::Form {
                body,
                mode,
                key,
                algorithm,
            } => AnyNotification::Form(Notification::new(body, *mode, *key, *algorithm)),
            View::Rest {
                answer,
                answer_type,
                endpoint,
                mode,
                site,
            } => AnyNotification::Rest(RestNotification::from_texts(
                answer,
                answer_type.as_deref(),
                *endpoint,
                *mode,
                *site,
            )),
        }
    }

    /// The name of the shop that verified it (in [`Shops`]; `default` for a single shop).
    #[must_use]
    pub fn shop(&self) -> &str {
        &self.shop
    }
}

/// Extractor: a verified IPN (the platform's POST to the notification URL), in either
/// format. See the [module](self) documentation.
#[derive(Debug, Clone)]
pub struct Ipn(pub VerifiedNotification);

/// Extractor: a verified browser return (the query string of a GET, or the body of a
/// POST, per `vads_return_mode`), in either format. Never the source of truth: show the
/// order as the IPNs recorded it.
#[derive(Debug, Clone)]
pub struct BrowserReturn(pub VerifiedNotification);

/// Why an extractor refused a request. As a response: what [`crate::app::answer`] gives for
/// [`Handled::Rejected`] (400 and a body that does not say why).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The notification did not verify (its code: `bad_signature`, `mode_mismatch`,
    /// `body_too_large`, ...).
    Invalid(VerifyError),
    /// The body could not be read (the client went away, a transport error).
    Unreadable,
}

impl Rejection {
    /// A stable code: the [`VerifyError`]'s, or `body_unreadable`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Invalid(e) => e.code(),
            Rejection::Unreadable => "body_unreadable",
        }
    }
}

impl core::fmt::Display for Rejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Rejection::Invalid(e) => e.fmt(f),
            Rejection::Unreadable => f.write_str("body_unreadable: the body could not be read"),
        }
    }
}

impl std::error::Error for Rejection {}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let error = match self {
            Rejection::Invalid(e) => e,
            // Not verified either: the same answer, so that the platform retries.
            Rejection::Unreadable => VerifyError::MALFORMED,
        };
        answer(&Handled::Rejected(error)).into_response()
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, self.body).into_response()
    }
}

/// Whether a request declares, in its `Content-Length`, a body longer than
/// [`MAX_BODY_LEN`]: such a request is answered at once, before a byte of its body is
/// waited for.
#[must_use]
pub fn declares_too_large(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY_LEN as u64)
}

/// A middleware for the other routes of a shop (`axum::middleware::from_fn`): a request
/// whose `Content-Length` declares more than [`MAX_BODY_LEN`] bytes is answered `413` at
/// once, without waiting for its body (axum's `DefaultBodyLimit` only refuses it once a
/// handler reads it, after the client has sent it, or after a request timeout when it
/// never does). The extractors of this module make the same check themselves.
///
/// ```
/// use axum::{middleware, routing::post, Router};
/// let app: Router = Router::new()
///     .route("/payment/return", post(|| async { "ok" }))
///     .layer(middleware::from_fn(vads::axum::refuse_declared_too_large));
/// ```
pub async fn refuse_declared_too_large(req: Request, next: axum::middleware::Next) -> Response {
    if declares_too_large(req.headers()) {
        return answer(&Handled::Rejected(VerifyError::BodyTooLarge)).into_response();
    }
    next.run(req).await
}

/// The body, at most [`MAX_BODY_LEN`] bytes: refused by its `Content-Length` before it is
/// read (answered at once, whether or not the client sends it), or as soon as it passes
/// the limit.
async fn limited_body(req: Request) -> Result<Bytes, Rejection> {
    use http_body_util::BodyExt;
    if declares_too_large(req.headers()) {
        return Err(Rejection::Invalid(VerifyError::BodyTooLarge));
    }
    match http_body_util::Limited::new(req.into_body(), MAX_BODY_LEN)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(Rejection::Invalid(VerifyError::BodyTooLarge))
        }
        Err(_) => Err(Rejection::Unreadable),
    }
}

impl<S> FromRequest<S> for Ipn
where
    Arc<Shops>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let shops = Arc::<Shops>::from_ref(state);
        let body = limited_body(req).await?;
        VerifiedNotification::verify(&shops, body, Endpoint::Ipn)
            .map(Ipn)
            .map_err(Rejection::Invalid)
    }
}

impl<S> FromRequest<S> for BrowserReturn
where
    Arc<Shops>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let shops = Arc::<Shops>::from_ref(state);
        let fields = if req.method() == Method::GET || req.method() == Method::HEAD {
            let query = req.uri().query().unwrap_or_default();
            if query.len() > MAX_BODY_LEN {
                return Err(Rejection::Invalid(VerifyError::BodyTooLarge));
            }
            Bytes::copy_from_slice(query.as_bytes())
        } else {
            limited_body(req).await?
        };
        VerifiedNotification::verify(&shops, fields, Endpoint::Return)
            .map(BrowserReturn)
            .map_err(Rejection::Invalid)
    }
}
