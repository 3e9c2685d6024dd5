//! What a verification tells an operator (feature `tracing`): one event per verification,
//! on target `vads`, and nothing at all without the feature.
//!
//! Fields, all of them values an operator may log: `code` (`ok` or the error's code),
//! `format` (`form` or `rest`), `site_id` and `mode` (the shop's), `kind` (`ipn` or
//! `browser_return`), `url_check_src`, `key` (`current` or `previous`, with
//! `previous_index`), `algorithm`. Never a body, a field value other than these, a
//! signature or a key.
//!
//! Levels: `INFO` for a notification accepted with the current key and algorithm; `WARN`
//! for one accepted with a previous production key (a key rotation is not finished) or
//! with the other algorithm while an algorithm-change window is open (the window is still
//! needed), and for every rejection (a genuine notification refused by a configuration
//! mistake is what an operator must see).

use crate::algorithm::Algorithm;
use crate::error::VerifyError;
use crate::mode::Mode;
use crate::notification::Notification;
#[cfg(feature = "tracing")]
use crate::notification::{KeyMatch, Kind};
use crate::rest::{Format, RestNotification};

/// The shop a verification ran for.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) struct ShopFacts<'s> {
    pub(crate) site_id: &'s str,
    pub(crate) mode: Mode,
    /// The shop's algorithm (another one verified only inside an algorithm window).
    pub(crate) algorithm: Algorithm,
}

#[cfg(feature = "tracing")]
const fn kind_str(kind: Kind) -> &'static str {
    match kind {
        Kind::Ipn => "ipn",
        Kind::BrowserReturn => "browser_return",
    }
}

/// A `vads_*` verification's result.
#[inline]
pub(crate) fn form(shop: ShopFacts<'_>, result: &Result<Notification<'_>, VerifyError>) {
    #[cfg(feature = "tracing")]
    match result {
        Ok(n) => {
            let (key, index) = match n.matched_key() {
                KeyMatch::Current => ("current", None),
                KeyMatch::Previous { index } => ("previous", Some(index)),
            };
            let other_algorithm = n.algorithm() != shop.algorithm;
            let src = n.url_check_src().map(|s| s.as_str());
            if index.is_some() || other_algorithm {
                tracing::warn!(
                    target: "vads",
                    code = "ok",
                    format = Format::Form.as_str(),
                    site_id = shop.site_id,
                    mode = shop.mode.as_str(),
                    kind = kind_str(n.kind()),
                    url_check_src = src,
                    key,
                    previous_index = index,
                    algorithm = n.algorithm().name(),
                    "notification verified with {}",
                    if index.is_some() {
                        "a previous production key: the key rotation is not finished"
                    } else {
                        "the other algorithm: the algorithm-change window is still in use"
                    }
                );
            } else {
                tracing::info!(
                    target: "vads",
                    code = "ok",
                    format = Format::Form.as_str(),
                    site_id = shop.site_id,
                    mode = shop.mode.as_str(),
                    kind = kind_str(n.kind()),
                    url_check_src = src,
                    key,
                    algorithm = n.algorithm().name(),
                    "notification verified"
                );
            }
        }
        Err(e) => rejected(Some(shop), Format::Form, e),
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (shop, result);
}

/// A REST verification's result.
#[inline]
pub(crate) fn rest(shop: ShopFacts<'_>, result: &Result<RestNotification<'_>, VerifyError>) {
    #[cfg(feature = "tracing")]
    match result {
        Ok(n) => tracing::info!(
            target: "vads",
            code = "ok",
            format = Format::Rest.as_str(),
            site_id = shop.site_id,
            mode = shop.mode.as_str(),
            kind = kind_str(n.kind()),
            key = "current",
            algorithm = "sha256_hmac",
            "notification verified"
        ),
        Err(e) => rejected(Some(shop), Format::Rest, e),
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (shop, result);
}

/// A refusal before any shop was chosen (several shops, none with the claimed site id).
#[inline]
pub(crate) fn unrouted(format: Format, error: &VerifyError) {
    #[cfg(feature = "tracing")]
    rejected(None, format, error);
    #[cfg(not(feature = "tracing"))]
    let _ = (format, error);
}

#[cfg(feature = "tracing")]
fn rejected(shop: Option<ShopFacts<'_>>, format: Format, error: &VerifyError) {
    // The error's Display names only codes, site ids and field names (error.rs).
    tracing::warn!(
        target: "vads",
        code = error.code(),
        format = format.as_str(),
        site_id = shop.map(|s| s.site_id),
        mode = shop.map(|s| s.mode.as_str()),
        "notification rejected: {error}"
    );
}
