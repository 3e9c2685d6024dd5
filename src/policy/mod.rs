//! The shop: which key, which mode, which shop. Brands, the configuration and its loaders,
//! [`crate::Shop`] (the keys and mode of one shop, handed to the protocol's verifier),
//! [`crate::Shops`], and the `tracing` events of verification. Imports only the protocol.

pub(crate) mod brand;
pub(crate) mod config;
pub(crate) mod observe;
pub(crate) mod shop;
pub(crate) mod shops;
#[cfg(feature = "toml")]
pub(crate) mod toml_errors;
