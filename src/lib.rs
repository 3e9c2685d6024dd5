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

// The library has three layers; a module imports only from its own layer or the ones
// below it (ARCHITECTURE.md draws the map).

// -- Protocol core: no configuration, no forms; no heap on sign and verify. --
mod algorithm;
pub mod body;
mod endpoint;
mod error;
mod file;
mod json;
mod key;
pub mod lifecycle;
mod limits;
mod mode;
mod notification;
mod rest;
pub mod shown;
mod signature;
mod signing;
mod table;
mod time;

// -- Policy: brands, configuration, the validated Shop and several Shops. --
mod brand;
mod config;
mod observe;
mod shop;
mod shops;
#[cfg(feature = "toml")]
mod toml_errors;

// -- Application (may allocate): forms, go-live checks, answers, test helpers, glue. --
pub mod answer;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
pub mod form;
pub mod preflight;
#[cfg(feature = "rest")]
#[cfg_attr(docsrs, doc(cfg(feature = "rest")))]
pub mod rest_answer;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use brand::Brand;
pub use config::{ConfigError, ShopConfig, ShopsConfig, DEFAULT_SHOP};
pub use endpoint::{Endpoint, UnknownEndpoint};
pub use error::{FieldName, KeyError, SignError, SiteId, VerifyError};
pub use key::{Key, SecretString};
pub use limits::{MAX_BODY_LEN, MAX_CONFIG_FILE_LEN, MAX_FIELDS, MAX_KEY_FILE_LEN};
pub use mode::{InvalidMode, Mode};
pub use notification::{
    FieldError, KeyMatch, Kind, Notification, OperationType, Outcome, TransStatus, UrlCheckSource,
};
pub use rest::{AnyNotification, Format, RestNotification};
pub use shop::Shop;
pub use shops::Shops;
pub use signature::Signature;
pub use signing::{sign, signing_string_masked, KEY_MASK};
pub use time::TransDate;
