#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// docs.rs builds with every feature and marks each feature's items (Cargo.toml's
// [package.metadata.docs.rs]).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// The library has four layers, one folder each (ARCHITECTURE.md draws the map); a
// module imports only from its own layer or the ones below it. This file is the one
// place that re-exports: the public paths are `vads::<item>` and the public modules below.

// -- Protocol: no configuration, no forms; no heap on sign and verify. --
mod protocol;
// -- Policy: brands, configuration, the validated Shop and several Shops. --
mod policy;
// -- The platform's REST API V4: requests, answers, the client, money moved once. --
#[cfg(feature = "api")]
#[cfg_attr(docsrs, doc(cfg(feature = "api")))]
pub mod api;
// -- Application (may allocate): forms, go-live checks, answers, test helpers, glue. --
mod app;

#[doc(inline)]
pub use app::answer;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
#[doc(inline)]
pub use app::axum;
#[doc(inline)]
pub use app::form;
#[doc(inline)]
pub use app::preflight;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
#[doc(inline)]
pub use app::testing;
#[doc(inline)]
pub use protocol::body;
#[doc(inline)]
pub use protocol::lifecycle;
/// Money that recurs: installment plans, page actions, token and subscription statuses,
/// payment sources (protocol sections 11 and 12).
pub use protocol::recurring;
#[cfg(feature = "rest")]
#[cfg_attr(docsrs, doc(cfg(feature = "rest")))]
#[doc(inline)]
pub use protocol::rest_answer;
#[doc(inline)]
pub use protocol::shown;

pub use policy::brand::Brand;
pub use policy::config::{
    ChannelMode, Channels, ConfigError, ShopConfig, ShopUse, ShopsConfig, StoreUrl, DEFAULT_SHOP,
};
#[doc(hidden)]
pub use policy::shop::verify_general;
pub use policy::shop::{Shop, SignatureHint};
pub use policy::shops::Shops;
pub use protocol::algorithm::{Algorithm, UnknownAlgorithm};
pub use protocol::channel::{Channel, ChannelOff};
pub use protocol::endpoint::{Endpoint, UnknownEndpoint};
pub use protocol::error::{FieldName, KeyError, SignError, SiteId, VerifyError};
pub use protocol::key::{Key, SecretString};
pub use protocol::limits::{MAX_BODY_LEN, MAX_CONFIG_FILE_LEN, MAX_FIELDS, MAX_KEY_FILE_LEN};
pub use protocol::mode::{InvalidMode, Mode};
pub use protocol::notification::{
    FieldError, KeyMatch, Kind, Notification, OperationType, Outcome, TransStatus, UrlCheckSource,
    REHEARSAL_FIELD,
};
pub use protocol::rest::{AnyNotification, Format, RestNotification};
pub use protocol::signature::Signature;
pub use protocol::signing::{sign, signing_string_masked, KEY_MASK};
pub use protocol::time::TransDate;
