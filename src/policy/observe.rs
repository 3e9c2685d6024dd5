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

use crate::protocol::algorithm::Algorithm;
use crate::protocol::error::VerifyError;
use crate::protocol::mode::Mode;
use crate::protocol::notification::Notification;
#[cfg(feature = "tracing")]
use crate::protocol::notification::{KeyMatch, Kind};
use crate::protocol::rest::{Format, RestNotification};

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

/// One accepted-notification event at `$level` (the fields every acceptance carries).
#[cfg(feature = "tracing")]
macro_rules! verified {
    ($level:expr, $shop:expr, $format:expr, $kind:expr, $src:expr, $key:expr, $index:expr, $algorithm:expr, $($message:tt)+) => {
        tracing::event!(
            target: "vads",
            $level,
            code = "ok",
            format = $format.as_str(),
            site_id = $shop.site_id,
            mode = $shop.mode.as_str(),
            kind = kind_str($kind),
            url_check_src = $src,
            key = $key,
            previous_index = $index,
            algorithm = $algorithm,
            $($message)+
        )
    };
}

/// Whether anybody listens to this module's events: a subscriber that enables target
/// `vads` at `INFO` or `WARN`. Checked first, so that with no subscriber (or one that
/// filters `vads` out) nothing is computed for an event nobody receives (finding
/// `vads_url_check_src` scans the body: about a third of a verification).
#[cfg(feature = "tracing")]
#[inline]
fn listened() -> bool {
    tracing::enabled!(target: "vads", tracing::Level::WARN)
        || tracing::enabled!(target: "vads", tracing::Level::INFO)
}

/// A `vads_*` verification's result.
#[inline]
pub(crate) fn form(shop: ShopFacts<'_>, result: &Result<Notification<'_>, VerifyError>) {
    #[cfg(feature = "tracing")]
    if !listened() {
        return;
    }
    #[cfg(feature = "tracing")]
    match result {
        Ok(n) => {
            let (key, index) = match n.matched_key() {
                KeyMatch::Current => ("current", None),
                KeyMatch::Previous { index } => ("previous", Some(index)),
            };
            let (src, algorithm) = (n.url_check_src().map(|s| s.as_str()), n.algorithm().name());
            let why = if index.is_some() {
                Some("a previous production key: the key rotation is not finished")
            } else if n.algorithm() != shop.algorithm {
                Some("the other algorithm: the algorithm-change window is still in use")
            } else {
                None
            };
            match why {
                Some(why) => verified!(
                    tracing::Level::WARN,
                    shop,
                    Format::Form,
                    n.kind(),
                    src,
                    key,
                    index,
                    algorithm,
                    "notification verified with {why}"
                ),
                None => verified!(
                    tracing::Level::INFO,
                    shop,
                    Format::Form,
                    n.kind(),
                    src,
                    key,
                    index,
                    algorithm,
                    "notification verified"
                ),
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
    if !listened() {
        return;
    }
    #[cfg(feature = "tracing")]
    match result {
        Ok(n) => verified!(
            tracing::Level::INFO,
            shop,
            Format::Rest,
            n.kind(),
            None::<&str>,
            "current",
            None::<usize>,
            "sha256_hmac",
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
