//! The wire protocol: limits, modes, algorithms, errors, keys, time, the strict parser,
//! sorted tables, signatures and signing, the one verifier, notifications of both formats,
//! and what they mean for an order. No configuration, no I/O but the bounded file read;
//! no heap on sign and verify. Imports nothing from the layers above.

pub(crate) mod algorithm;
pub mod body;
pub(crate) mod bytes;
pub(crate) mod channel;
pub mod currency;
pub(crate) mod endpoint;
pub(crate) mod error;
pub(crate) mod file;
pub(crate) mod json;
pub(crate) mod key;
pub mod lifecycle;
pub(crate) mod limits;
pub(crate) mod mode;
pub(crate) mod notification;
pub(crate) mod percent;
pub mod recurring;
pub(crate) mod rest;
#[cfg(feature = "rest")]
#[cfg_attr(docsrs, doc(cfg(feature = "rest")))]
pub mod rest_answer;
pub mod shown;
pub(crate) mod signature;
pub(crate) mod signing;
pub(crate) mod table;
pub(crate) mod time;
pub(crate) mod verifier;
