//! What a shop builds with the protocol and its configuration (may allocate): payment
//! forms, go-live checks, answers to the platform, the testing kit, framework glue, the
//! typed view of REST answers. Imports the layers below, never the other way round.

pub mod answer;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
pub mod form;
pub(crate) mod form_error;
pub mod preflight;
pub(crate) mod recurring;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
