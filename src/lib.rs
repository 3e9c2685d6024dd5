#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod algorithm;
pub mod answer;
pub mod body;
mod error;
pub mod form;
mod key;
mod notification;
pub mod preflight;
mod shop;
mod shops;
mod signature;
#[cfg(feature = "testing")]
pub mod testing;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use body::{MAX_BODY_LEN, MAX_FIELDS};
pub use error::{KeyError, SignError, VerifyError};
pub use key::{Key, SecretString, MAX_KEY_FILE_LEN};
pub use notification::{
    FieldError, KeyMatch, Kind, Notification, OperationType, Outcome, TransDate, TransStatus,
    UrlCheckSource,
};
pub use shop::{ConfigError, InvalidMode, Mode, Shop, ShopConfig};
pub use shops::{Shops, ShopsConfig, DEFAULT_SHOP};
pub use signature::{sign, signing_string_masked, Signature, KEY_MASK};
