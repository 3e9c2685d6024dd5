//! The REST format of notifications (protocol section 7): a body of `kr-hash`,
//! `kr-hash-algorithm`, `kr-hash-key`, `kr-answer-type` and `kr-answer` (a JSON
//! `V4/Payment` answer), signed with `kr-hash` = lowercase hex of HMAC-SHA-256(key,
//! `kr-answer` exactly as received after URL decoding).
//!
//! This module reads such a body with the same strict parser as `vads_*` bodies
//! ([`crate::protocol::body`]), checks its framing fields, and holds what a verification hands back:
//! [`RestNotification`] (and [`AnyNotification`], either format). The key is chosen by
//! [`crate::Shop`] from the [`Endpoint`] the body arrived at, never from the body. No heap:
//! the answer is hashed and its JSON validated while it is URL-decoded, without a copy.

use crate::protocol::body::{self, Field, RawField};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::error::{SiteId, VerifyError};
use crate::protocol::json::{self, AnswerFacts};
use crate::protocol::mode::Mode;
use crate::protocol::notification::{KeyMatch, Kind, Notification};
use crate::protocol::table::SortedFields;
use std::borrow::Cow;

/// The two notification formats of the platforms.
///
/// ```
/// use vads::Format;
/// assert_eq!(Format::of(b"vads_amount=100&signature=abc"), Format::Form);
/// assert_eq!(Format::of(b"kr-hash=00&kr-answer=%7B%7D"), Format::Rest);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `vads_*` fields and `signature` (hosted payment form).
    Form,
    /// `kr-hash`, `kr-answer`, ... (embedded form, pop-in, REST API V4).
    Rest,
}

impl Format {
    /// The format a body claims to be in: [`Format::Rest`] when it has a `kr-hash` or
    /// `kr-answer` field, else [`Format::Form`]. Reads names only and decides nothing
    /// about trust: the verification of that format does.
    #[must_use]
    pub fn of(body: &[u8]) -> Format {
        let limited = body
            .get(..crate::protocol::limits::MAX_BODY_LEN)
            .unwrap_or(body);
        if body::segments(limited).any(|f| f.name_is("kr-hash") || f.name_is("kr-answer")) {
            Format::Rest
        } else {
            Format::Form
        }
    }

    /// `"form"` or `"rest"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Form => "form",
            Format::Rest => "rest",
        }
    }
}

/// The framing fields of a REST body, checked; the signature not yet.
pub(crate) struct RestParts<'a> {
    pub(crate) hash: [u8; 32],
    /// Whether `kr-hash` had the shape of a hash (64 lowercase hex digits).
    pub(crate) hash_shaped: bool,
    pub(crate) answer: Field<'a>,
    pub(crate) answer_type: Option<Field<'a>>,
}

/// Parses a REST body and checks its framing for `endpoint`, in this order: the body
/// (size, encoding, count, duplicates: the rules of [`crate::protocol::body`]), `kr-hash`
/// (`missing_signature`), `kr-answer`, `kr-hash-algorithm` (`sha256_hmac`), `kr-hash-key`
/// (the endpoint's key name). `keys` holds the fields' order (one per field of `storage`).
pub(crate) fn parse<'a>(
    body: &'a [u8],
    endpoint: Endpoint,
    storage: &mut [Field<'a>],
    keys: &mut [crate::protocol::table::SortKey],
) -> Result<RestParts<'a>, VerifyError> {
    let fields = body::parse_fields(body, storage)?;
    let sorted = SortedFields::sort(fields, keys).map_err(|_| VerifyError::DuplicateField)?;
    let hash = sorted
        .find("kr-hash")
        .ok_or(VerifyError::MissingSignature)?;
    let answer = sorted
        .find("kr-answer")
        .ok_or(VerifyError::MissingField { field: "kr-answer" })?;
    let algorithm = sorted
        .find("kr-hash-algorithm")
        .ok_or(VerifyError::MissingField {
            field: "kr-hash-algorithm",
        })?;
    if !algorithm.value_is("sha256_hmac") {
        return Err(VerifyError::UnsupportedHashAlgorithm);
    }
    let key = sorted
        .find("kr-hash-key")
        .ok_or(VerifyError::MissingField {
            field: "kr-hash-key",
        })?;
    if !key.value_is(endpoint.hash_key_name()) {
        return Err(VerifyError::WrongHashKey { endpoint });
    }
    let mut text = [0u8; 64];
    let (hash, hash_shaped) = match hash.decode_value_into(&mut text) {
        Some(hex) => match lower_hex_32(hex) {
            Some(h) => (h, true),
            None => ([0u8; 32], false),
        },
        None => ([0u8; 32], false),
    };
    Ok(RestParts {
        hash,
        hash_shaped,
        answer: *answer,
        answer_type: sorted.find("kr-answer-type").copied(),
    })
}

/// 64 lowercase hex digits as 32 bytes (the platform's and its SDK's only form).
fn lower_hex_32(hex: &[u8]) -> Option<[u8; 32]> {
    fn digit(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        }
    }
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (&hi, &lo) = (pair.first()?, pair.get(1)?);
        *slot = (digit(hi)? << 4) | digit(lo)?;
    }
    Some(out)
}

/// The answer's `shopId` and `orderDetails.mode`, the JSON validated whole.
///
/// # Errors
/// [`VerifyError::MalformedAnswer`] when the answer is not one strict JSON object.
pub(crate) fn answer_facts(answer: &Field<'_>) -> Result<AnswerFacts, VerifyError> {
    json::answer_facts(answer.decoded_value()).map_err(|_| VerifyError::MalformedAnswer)
}

/// The site id a REST body's answer claims (`shopId`), unverified: only to choose which
/// shop verifies it. `None` when there is no readable answer or no 8-digit `shopId`.
pub(crate) fn claimed_site(body: &[u8]) -> Option<SiteId> {
    if body.len() > crate::protocol::limits::MAX_BODY_LEN {
        return None;
    }
    let answer = body::segments(body).find(|f| f.name_is("kr-answer"))?;
    let facts = json::answer_facts(answer.decoded_value()).ok()?;
    site_of(&facts)
}

/// The mode named by an answer's `orderDetails.mode`, if it is one.
pub(crate) fn mode_of(facts: &AnswerFacts) -> Option<Mode> {
    let mode = facts.mode?;
    [Mode::Test, Mode::Production]
        .into_iter()
        .find(|m| mode.is(m.as_str()))
}

/// The channels an answer's transactions report (`paymentSource`: `MOTO`, `CC`; the
/// website's for any other value or none).
pub(crate) fn channels_of(
    facts: &AnswerFacts,
) -> impl Iterator<Item = crate::protocol::channel::Channel> {
    use crate::protocol::channel::Channel;
    let sources = facts.sources;
    [
        (json::SOURCE_WEBSITE, Channel::Website),
        (json::SOURCE_MOTO, Channel::Moto),
        (json::SOURCE_CC, Channel::CallCentre),
    ]
    .into_iter()
    .filter(move |(bit, _)| sources & bit != 0)
    .map(|(_, c)| c)
}

/// The site id named by an answer's `shopId`, if it is one.
pub(crate) fn site_of(facts: &AnswerFacts) -> Option<SiteId> {
    facts
        .shop_id
        .and_then(|s| s.bytes().and_then(SiteId::parse))
}

/// A REST answer whose `kr-hash` was verified by [`crate::Shop::verify_rest`]: its
/// `shopId` is the shop's and its `orderDetails.mode` the shop's mode. It borrows the body.
///
/// The answer's JSON text is [`RestNotification::answer_text`]; with the feature `rest`,
/// `answer()` reads it into a typed `vads::rest_answer::RestAnswer`.
#[derive(Debug, Clone, Copy)]
pub struct RestNotification<'a> {
    answer: RawField<'a>,
    answer_type: Option<RawField<'a>>,
    endpoint: Endpoint,
    mode: Mode,
    site: SiteId,
}

impl<'a> RestNotification<'a> {
    pub(crate) fn new(parts: &RestParts<'a>, endpoint: Endpoint, mode: Mode, site: SiteId) -> Self {
        RestNotification {
            answer: RawField::validated(parts.answer),
            answer_type: parts.answer_type.map(RawField::validated),
            endpoint,
            mode,
            site,
        }
    }

    /// The same notification over an owned copy of its texts (the decoded `kr-answer` and
    /// `kr-answer-type`): what an owned, verified notification gives back.
    #[cfg(feature = "axum")]
    pub(crate) fn from_texts(
        answer: &'a str,
        answer_type: Option<&'a str>,
        endpoint: Endpoint,
        mode: Mode,
        site: SiteId,
    ) -> Self {
        RestNotification {
            answer: RawField::validated(Field::plain("kr-answer", answer)),
            answer_type: answer_type
                .map(|t| RawField::validated(Field::plain("kr-answer-type", t))),
            endpoint,
            mode,
            site,
        }
    }

    /// The shop's site id, as a value.
    #[cfg(feature = "axum")]
    pub(crate) fn site(&self) -> SiteId {
        self.site
    }

    /// The endpoint it was verified for (which chose the key).
    #[must_use]
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint
    }

    /// IPN (checked with the REST password) or browser return (the HMAC-SHA-256 key).
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self.endpoint {
            Endpoint::Ipn => Kind::Ipn,
            Endpoint::Return => Kind::BrowserReturn,
        }
    }

    /// The answer's `orderDetails.mode` (always the shop's: anything else was rejected).
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The answer's `shopId` (always the shop's site id).
    #[must_use]
    pub fn site_id(&self) -> &str {
        self.site.as_str()
    }

    /// `kr-answer-type` as received (`V4/Payment`, ...), when present.
    #[must_use]
    pub fn answer_type(&self) -> Option<Cow<'a, str>> {
        self.answer_type.map(|f| f.value())
    }

    /// The `kr-answer` JSON text exactly as it was hashed (URL-decoded; allocates when the
    /// body escaped it, which the platform always does).
    #[must_use]
    pub fn answer_text(&self) -> Cow<'a, str> {
        self.answer.value()
    }
}

/// A verified notification in either format: what [`crate::Shop::verify_any`] returns
/// for an endpoint that receives both.
#[derive(Debug, Clone, Copy)]
pub enum AnyNotification<'a> {
    /// A `vads_*` body, verified with the form key.
    Form(Notification<'a>),
    /// A REST answer, verified with the endpoint's REST key.
    Rest(RestNotification<'a>),
}

impl<'a> AnyNotification<'a> {
    /// Which format it came in.
    #[must_use]
    pub fn format(&self) -> Format {
        match self {
            AnyNotification::Form(_) => Format::Form,
            AnyNotification::Rest(_) => Format::Rest,
        }
    }

    /// The mode (always the shop's).
    #[must_use]
    pub fn mode(&self) -> Mode {
        match self {
            AnyNotification::Form(n) => n.mode(),
            AnyNotification::Rest(n) => n.mode(),
        }
    }

    /// The site id (always the shop's).
    #[must_use]
    pub fn site_id(&self) -> Cow<'_, str> {
        match self {
            AnyNotification::Form(n) => n.site_id(),
            AnyNotification::Rest(n) => Cow::Borrowed(n.site_id()),
        }
    }

    /// IPN or browser return.
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            AnyNotification::Form(n) => n.kind(),
            AnyNotification::Rest(n) => n.kind(),
        }
    }

    /// Which key verified it: a REST answer is always checked with the current key.
    #[must_use]
    pub fn matched_key(&self) -> KeyMatch {
        match self {
            AnyNotification::Form(n) => n.matched_key(),
            AnyNotification::Rest(_) => KeyMatch::Current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lowercase_hex_of_32_bytes() {
        let hex = "4d57a308d7d8a89a989e8dc54613fe5f7d353a6c749a9769f5e9b9073d5720af";
        let bytes = lower_hex_32(hex.as_bytes()).unwrap();
        assert_eq!(bytes[0], 0x4d);
        assert_eq!(bytes[31], 0xaf);
        assert!(lower_hex_32(hex.to_uppercase().as_bytes()).is_none());
        assert!(lower_hex_32(&hex.as_bytes()[..62]).is_none());
        assert!(lower_hex_32(format!("{hex}00").as_bytes()).is_none());
        assert!(lower_hex_32(hex.replace('4', "g").as_bytes()).is_none());
    }

    #[test]
    fn the_format_is_told_by_names_only() {
        assert_eq!(Format::of(b""), Format::Form);
        assert_eq!(Format::of(b"kr-answer=x"), Format::Rest);
        assert_eq!(Format::of(b"kr%2Dhash=x"), Format::Rest);
        assert_eq!(Format::of(b"vads_kr-hash=x&x=kr-hash"), Format::Form);
    }
}
