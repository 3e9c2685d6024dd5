//! The one verifier: what turns a received body into a verified notification, given what
//! it must match (the mode and site of a shop, the keys that verify). Table sizes, the
//! fast path for the common `vads_*` body and the general path that decides everything
//! else, the mode and site checks, the key match, the REST framing and hash: protocol
//! mechanics, no configuration, no heap.
//!
//! [`crate::Shop`] says which keys and which mode ([`FormKeys`], [`RestKey`]); this module
//! does the rest, in the order [`crate::Shop::verify`] and [`crate::Shop::verify_rest`]
//! document.

use crate::protocol::algorithm::Algorithm;
use crate::protocol::body::{self, Field};
use crate::protocol::channel::Channel;
use crate::protocol::endpoint::Endpoint;
use crate::protocol::error::{SiteId, VerifyError};
use crate::protocol::key::Key;
use crate::protocol::limits::MAX_FIELDS;
use crate::protocol::mode::Mode;
use crate::protocol::notification::{KeyMatch, Notification};
use crate::protocol::rest::{self, RestNotification};
use crate::protocol::signing;
use crate::protocol::table::{SignedFields, SortKey, SortedFields};

/// The mode of each channel that a notification may report, for the verifier: the
/// website's, and the MOTO and call-centre channels' (`None`: off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChannelModes {
    pub(crate) website: Mode,
    pub(crate) moto: Option<Mode>,
    pub(crate) call_centre: Option<Mode>,
}

impl ChannelModes {
    /// The mode of the channel a notification reports (`None`: off).
    pub(crate) fn of(&self, channel: Channel) -> Option<Mode> {
        match channel {
            Channel::Website => Some(self.website),
            Channel::Moto => self.moto,
            Channel::CallCentre => self.call_centre,
            Channel::MerchantInitiated => None,
        }
    }

    /// Whether a notification of `channel` claiming `mode` belongs here: `Ok`, or the
    /// channel's error (off; or its mode is another).
    pub(crate) fn check(&self, channel: Channel, claimed: Mode) -> Result<(), VerifyError> {
        match self.of(channel) {
            Some(m) if m == claimed => Ok(()),
            Some(m) => Err(VerifyError::ModeMismatch {
                notification: Some(claimed),
                shop: m,
            }),
            None => Err(VerifyError::ChannelOff { channel }),
        }
    }
}

/// What a `vads_*` body must match to be accepted.
pub(crate) struct FormKeys<'k> {
    /// The shop's mode: the body's `vads_ctx_mode` must be it.
    pub(crate) mode: Mode,
    /// The shop's site id: the body's `vads_site_id` must be it.
    pub(crate) site: SiteId,
    /// The key that verifies first, or the name of the missing one (for
    /// [`VerifyError::KeyNotConfigured`]).
    pub(crate) key: Result<&'k Key, &'static str>,
    /// Keys that still verify after it, in order (regenerated-away production keys).
    pub(crate) previous: &'k [Key],
    /// The shop's algorithm.
    pub(crate) algorithm: Algorithm,
    /// Whether the other algorithm verifies too (an algorithm-change window is open): the
    /// signature's shape then says which.
    pub(crate) either_algorithm: bool,
    /// The mode of each channel a body may report (`vads_payment_src`): the body's
    /// channel must be live in `mode`.
    pub(crate) channels: ChannelModes,
}

/// What a REST answer must match to be accepted.
pub(crate) struct RestKey<'k> {
    /// The shop's mode: the answer's `orderDetails.mode` must be it.
    pub(crate) mode: Mode,
    /// The shop's site id: the answer's `shopId` must be it.
    pub(crate) site: SiteId,
    /// Where the body arrived: it names the key `kr-hash-key` must name.
    pub(crate) endpoint: Endpoint,
    /// The endpoint's key, or the name of the missing one.
    pub(crate) key: Result<&'k Key, &'static str>,
    /// The mode of each channel an answer may report (`paymentSource`).
    pub(crate) channels: ChannelModes,
}

/// Fields the general path holds in its first stack table (a notification has 40–90).
const SMALL_TABLE: usize = 128;

/// Fields other than `vads_` ones the fast path holds (a notification has one,
/// `signature`; a browser return may add a few of the shop's own).
const OTHER_FIELDS: usize = 8;

/// Fields a REST verification holds in its first stack table (a REST body has 5).
const REST_TABLE: usize = 16;

/// What the fast path made of a body.
enum Plain<'b> {
    /// Verified.
    Accepted(Notification<'b>),
    /// More fields than its table holds: a larger table may do.
    TableFull,
    /// For the general path to decide (not the common case, or refused).
    General,
}

/// Verifies a `vads_*` body against `keys`: the common case first (plain names, every
/// segment `name=value`), with tables sized to the body; anything it does not accept goes
/// to the general path, which decides, so codes and their precedence are the general
/// path's. No heap.
pub(crate) fn verify_form<'b>(
    body: &'b [u8],
    keys: &FormKeys<'_>,
) -> Result<Notification<'b>, VerifyError> {
    let plain = if body.len() <= 512 {
        plain::<16>(body, keys)
    } else if body.len() <= 2048 {
        plain::<64>(body, keys)
    } else if body.len() <= 4096 {
        plain::<128>(body, keys)
    } else {
        Plain::TableFull
    };
    let plain = match plain {
        Plain::TableFull => plain_large(body, keys),
        other => other,
    };
    match plain {
        Plain::Accepted(notification) => Ok(notification),
        Plain::TableFull | Plain::General => verify_form_general(body, keys),
    }
}

/// The general path alone: every body, every error, in the documented order.
/// [`verify_form`] gives the same result for every body (`tests/verify_paths.rs`, fuzz
/// target `verify_paths`).
pub(crate) fn verify_form_general<'b>(
    body: &'b [u8],
    keys: &FormKeys<'_>,
) -> Result<Notification<'b>, VerifyError> {
    // A small table first: zeroing one of MAX_FIELDS entries costs more than parsing a
    // typical notification.
    match general::<SMALL_TABLE>(body, keys) {
        Err(VerifyError::TooManyFields) => general_large(body, keys),
        result => result,
    }
}

#[cold]
#[inline(never)]
fn general_large<'b>(body: &'b [u8], keys: &FormKeys<'_>) -> Result<Notification<'b>, VerifyError> {
    general::<MAX_FIELDS>(body, keys)
}

/// The common case with a table of [`MAX_FIELDS`] (large bodies, or more fields than the
/// smaller tables hold).
#[inline(never)]
fn plain_large<'b>(body: &'b [u8], keys: &FormKeys<'_>) -> Plain<'b> {
    plain::<MAX_FIELDS>(body, keys)
}

/// The fast path: [`body::split_plain`] into a table of `N`, then the same steps as the
/// general path. Anything the split does not take, and every refusal, is left to the
/// general path, which decides.
fn plain<'b, const N: usize>(body: &'b [u8], keys: &FormKeys<'_>) -> Plain<'b> {
    let mut signed = [Field::EMPTY; N];
    let mut others = [Field::EMPTY; OTHER_FIELDS];
    let (n_signed, n_others) = match body::split_plain(body, &mut signed, &mut others) {
        Ok(counts) => counts,
        Err(body::Split::Full) => return Plain::TableFull,
        Err(body::Split::General) => return Plain::General,
    };
    let (Some(signed), Some(others)) = (signed.get(..n_signed), others.get(..n_others)) else {
        return Plain::General;
    };
    match fields(
        body,
        signed,
        others,
        &mut [0; N],
        &mut [0; OTHER_FIELDS],
        keys,
    ) {
        Ok(notification) => Plain::Accepted(notification),
        Err(_) => Plain::General,
    }
}

/// The general path with a table of `N` fields on the stack.
fn general<'b, const N: usize>(
    body: &'b [u8],
    keys: &FormKeys<'_>,
) -> Result<Notification<'b>, VerifyError> {
    // 1. Parse: split into vads_ fields (values checked later, while hashed) and others.
    let mut storage = [Field::EMPTY; N];
    let (signed, others) = body::parse_split(body, &mut storage)?;
    let mut sort_keys = [0; N];
    let (signed_keys, other_keys) = sort_keys.split_at_mut(signed.len());
    fields(body, signed, others, signed_keys, other_keys, keys)
}

/// Steps 2 to 5 over the parsed `vads_` fields and the others (each with its table of
/// sort keys, as long as it).
fn fields<'b>(
    body: &'b [u8],
    signed: &[Field<'b>],
    others: &[Field<'b>],
    signed_keys: &mut [SortKey],
    other_keys: &mut [SortKey],
    keys: &FormKeys<'_>,
) -> Result<Notification<'b>, VerifyError> {
    // 2. Sort and refuse duplicates. vads_ names and the others cannot be equal: checking
    //    duplicates within each group checks the whole body.
    let signed =
        SortedFields::sort(signed, signed_keys).map_err(|_| VerifyError::DuplicateField)?;
    let others = SortedFields::sort(others, other_keys).map_err(|_| VerifyError::DuplicateField)?;
    let signature = others
        .find("signature")
        .ok_or(VerifyError::MissingSignature)?;
    // 3. Mode, channel and site, before any hashing.
    check_mode_and_site(&signed, keys.mode, keys.site)?;
    check_channel(&signed, keys)?;
    // 4. The signature, with each key accepted, in constant time.
    let mut buf = [0u8; 64];
    let received = signature
        .decode_value_into(&mut buf)
        .ok_or(VerifyError::BadSignature)?;
    let (matched, algorithm) =
        match_key(signed.vads(), received, keys)?.ok_or(VerifyError::BadSignature)?;
    // 5. The notification, borrowing the body.
    Ok(Notification::new(body, keys.mode, matched, algorithm))
}

/// The body's `vads_ctx_mode` must be `mode`, its `vads_site_id` `site`.
fn check_mode_and_site(
    signed: &SortedFields<'_, '_>,
    mode: Mode,
    site: SiteId,
) -> Result<(), VerifyError> {
    let claimed = signed.find("vads_ctx_mode").and_then(|f| {
        [Mode::Test, Mode::Production]
            .into_iter()
            .find(|m| f.value_is(m.as_str()))
    });
    if claimed != Some(mode) {
        return Err(VerifyError::ModeMismatch {
            notification: claimed,
            shop: mode,
        });
    }
    let claimed = signed.find("vads_site_id");
    if !claimed.is_some_and(|f| f.value_is(site.as_str())) {
        return Err(VerifyError::SiteMismatch {
            notification: claimed.and_then(|f| f.site_id()),
            shop: Some(site),
        });
    }
    Ok(())
}

/// The channel the body reports (`vads_payment_src`; the website's when absent) must be
/// live in the keys' mode.
fn check_channel(signed: &SortedFields<'_, '_>, keys: &FormKeys<'_>) -> Result<(), VerifyError> {
    let mut buf = [0u8; 8];
    let channel = match signed.find("vads_payment_src") {
        // A value longer than any channel's (or with escapes that do not fit) is none of
        // them: the website's.
        Some(f) => f
            .decode_value_into(&mut buf)
            .map_or(Channel::Website, Channel::of_payment_src),
        None => Channel::Website,
    };
    keys.channels.check(channel, keys.mode)
}

/// Which accepted key signed `signed`, if any: the current key, then each previous one.
fn match_key(
    signed: SignedFields<'_, '_>,
    received: &[u8],
    keys: &FormKeys<'_>,
) -> Result<Option<(KeyMatch, Algorithm)>, VerifyError> {
    let algorithm = if keys.either_algorithm {
        Algorithm::from_signature_shape(received).unwrap_or(keys.algorithm)
    } else {
        keys.algorithm
    };
    let key = keys
        .key
        .map_err(|which| VerifyError::KeyNotConfigured { which })?;
    if signing::verify_with_key(algorithm, signed, key, received)? {
        return Ok(Some((KeyMatch::Current, algorithm)));
    }
    for (index, key) in keys.previous.iter().enumerate() {
        if signing::verify_with_key(algorithm, signed, key, received)? {
            return Ok(Some((KeyMatch::Previous { index }, algorithm)));
        }
    }
    Ok(None)
}

/// Verifies a REST answer against `key`, in a table sized for the five fields of a REST
/// body (then [`MAX_FIELDS`]). No heap.
pub(crate) fn verify_rest<'b>(
    body: &'b [u8],
    key: &RestKey<'_>,
) -> Result<RestNotification<'b>, VerifyError> {
    match rest_in::<REST_TABLE>(body, key) {
        Err(VerifyError::TooManyFields) => rest_large(body, key),
        result => result,
    }
}

#[cold]
#[inline(never)]
fn rest_large<'b>(body: &'b [u8], key: &RestKey<'_>) -> Result<RestNotification<'b>, VerifyError> {
    rest_in::<MAX_FIELDS>(body, key)
}

fn rest_in<'b, const N: usize>(
    body: &'b [u8],
    expected: &RestKey<'_>,
) -> Result<RestNotification<'b>, VerifyError> {
    // 1. Parse, and check the framing fields for this endpoint.
    let mut storage = [Field::EMPTY; N];
    let parts = rest::parse(body, expected.endpoint, &mut storage, &mut [0; N])?;
    // 2. The endpoint's key, in constant time, over kr-answer as received (then with its
    //    escaped slashes written plain).
    let key = expected
        .key
        .map_err(|which| VerifyError::KeyNotConfigured { which })?;
    let matches = signing::rest_hash_matches(key, &parts.answer, &parts.hash)?;
    if !(matches && parts.hash_shaped) {
        return Err(VerifyError::BadSignature);
    }
    // 3. Mode and site, from the signed JSON.
    let facts = rest::answer_facts(&parts.answer)?;
    let mode = rest::mode_of(&facts);
    if mode != Some(expected.mode) {
        return Err(VerifyError::ModeMismatch {
            notification: mode,
            shop: expected.mode,
        });
    }
    // The channels the answer reports (`paymentSource`) must be live in this mode.
    for channel in rest::channels_of(&facts) {
        expected.channels.check(channel, expected.mode)?;
    }
    let site = rest::site_of(&facts);
    if site != Some(expected.site) {
        return Err(VerifyError::SiteMismatch {
            notification: site,
            shop: Some(expected.site),
        });
    }
    Ok(RestNotification::new(
        &parts,
        expected.endpoint,
        expected.mode,
        expected.site,
    ))
}

#[cfg(test)]
mod channel_tests {
    use super::*;
    use crate::protocol::mode::Mode;

    #[test]
    fn a_notification_belongs_only_to_its_channels_mode() {
        let modes = ChannelModes {
            website: Mode::Production,
            moto: Some(Mode::Test),
            call_centre: None,
        };
        assert_eq!(modes.check(Channel::Website, Mode::Production), Ok(()));
        assert_eq!(modes.check(Channel::Moto, Mode::Test), Ok(()));
        assert_eq!(
            modes.check(Channel::Moto, Mode::Production),
            Err(VerifyError::ModeMismatch {
                notification: Some(Mode::Production),
                shop: Mode::Test
            })
        );
        assert_eq!(
            modes
                .check(Channel::Website, Mode::Test)
                .unwrap_err()
                .code(),
            "mode_mismatch"
        );
        assert_eq!(
            modes.check(Channel::CallCentre, Mode::Production),
            Err(VerifyError::ChannelOff {
                channel: Channel::CallCentre
            })
        );
        // A merchant-initiated charge has no notification: none belongs to it.
        assert!(modes.check(Channel::MerchantInitiated, Mode::Test).is_err());
    }
}
