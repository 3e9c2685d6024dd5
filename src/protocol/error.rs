//! The protocol core's error types: [`SignError`], [`VerifyError`], [`KeyError`].
//!
//! Each enum has one table of stable machine-readable codes ([`code`](SignError::code),
//! what operators grep for) and one sentence per variant; `Display` is always
//! `code: sentence`, so the first word of any error line is its code.
//!
//! Security invariant: no error carries a key, a computed signature (that would hand out a
//! valid MAC) or a dependency's error type. The only data they carry are modes, field
//! names chosen by the library, file paths and environment variable names.

use crate::protocol::endpoint::Endpoint;
use crate::protocol::limits::{MAX_BODY_LEN, MAX_FIELDS, MAX_KEY_FILE_LEN};
use crate::protocol::mode::Mode;
use core::fmt;

/// Implements `Display` as `code: sentence` and `std::error::Error` for an error type
/// with a `code()` table and a `sentence()` writer.
macro_rules! code_first_display {
    ($($ty:ty),*) => {$(
        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.code())?;
                f.write_str(": ")?;
                self.sentence(f)
            }
        }
        impl std::error::Error for $ty {}
    )*};
}
pub(crate) use code_first_display;

/// Why a set of fields could not be signed.
///
/// Returned by [`crate::sign`] and [`crate::Shop::sign`]. It is `Copy` and allocation-free.
///
/// ```
/// let e = vads::SignError::DuplicateField;
/// assert_eq!(e.code(), "duplicate_field");
/// assert!(e.to_string().starts_with("duplicate_field: "));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// No `vads_` field at all: there is nothing to sign (the signature would be the HMAC
    /// of the key alone).
    NothingToSign,
    /// More `vads_` fields than [`crate::MAX_FIELDS`]. Nothing was truncated.
    TooManyFields,
    /// The same `vads_` field name appears twice: which value to sign would be ambiguous.
    DuplicateField,
    /// A `vads_site_id` field contradicts the shop's site id ([`crate::Shop::sign`]).
    SiteMismatch {
        /// The site id given in the fields, when it is 8 digits.
        given: Option<SiteId>,
        /// The shop's site id.
        shop: SiteId,
    },
    /// A `vads_ctx_mode` field contradicts the shop's mode ([`crate::Shop::sign`]).
    ModeMismatch,
    /// The shop has no key for what is asked in its mode: no form key to sign a form (it
    /// was configured with REST keys only), or (for `vads::testing`) no REST key.
    KeyNotConfigured {
        /// `"test key"`, `"production key"`, `"test password"`, `"production HMAC key"`, ...
        which: &'static str,
    },
}

impl SignError {
    /// The stable code of this error, e.g. `"duplicate_field"`.
    ///
    /// ```
    /// assert_eq!(vads::SignError::TooManyFields.code(), "too_many_fields");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            SignError::NothingToSign => "nothing_to_sign",
            SignError::TooManyFields => "too_many_fields",
            SignError::DuplicateField => "duplicate_field",
            SignError::SiteMismatch { .. } => "site_mismatch",
            SignError::ModeMismatch => "mode_mismatch",
            SignError::KeyNotConfigured { .. } => "key_not_configured",
        }
    }

    fn sentence(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::NothingToSign => f.write_str(
                "no vads_ field to sign (a payment form has vads_site_id, vads_ctx_mode, vads_amount, ...)",
            ),
            SignError::TooManyFields => {
                write!(f, "more vads_ fields than the limit of {MAX_FIELDS}")
            }
            SignError::DuplicateField => f.write_str("a vads_ field name appears more than once"),
            SignError::SiteMismatch {
                given: Some(given),
                shop,
            } => write!(f, "vads_site_id is {given}, the shop's site id is {shop}"),
            SignError::SiteMismatch { given: None, shop } => write!(
                f,
                "vads_site_id is not 8 digits, the shop's site id is {shop}"
            ),
            SignError::ModeMismatch => f.write_str("vads_ctx_mode differs from the shop's mode"),
            SignError::KeyNotConfigured { which } => write!(
                f,
                "the shop has no {which} configured for its mode"
            ),
        }
    }
}

/// Why a notification (IPN body or browser return) was rejected.
///
/// Returned by [`crate::Shop::verify`]. It is `Copy` and allocation-free, so that rejecting
/// a notification allocates no more than accepting one.
///
/// ```
/// let e = vads::VerifyError::BadSignature;
/// assert!(e.to_string().starts_with("bad_signature: "));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The body is longer than [`crate::MAX_BODY_LEN`].
    BodyTooLarge,
    /// The body is not valid `application/x-www-form-urlencoded` UTF-8: a bad
    /// percent-escape (`%G0`, `%0` at the end, a lone `%`), a raw control character, or
    /// bytes that do not decode to UTF-8.
    MalformedBody {
        /// The field whose value is malformed, when its name is a plain one; `None` when
        /// the malformed part is a name (or a name that [`FieldName`] does not quote).
        field: Option<FieldName>,
    },
    /// A REST answer's `kr-answer`, its signature verified, is not one valid JSON object
    /// (a syntax error, trailing text, nesting deeper than 127, or a repeated `shopId`,
    /// `orderDetails` or `mode`, the keys the shop checks).
    MalformedAnswer,
    /// More fields than [`crate::MAX_FIELDS`].
    TooManyFields,
    /// A field name appears twice (a forged copy before or after the real one).
    DuplicateField,
    /// There is no `signature` field.
    MissingSignature,
    /// The notification's `vads_ctx_mode` is not the shop's mode.
    ModeMismatch {
        /// The notification's mode: `None` when `vads_ctx_mode` is absent or is neither
        /// `TEST` nor `PRODUCTION`.
        notification: Option<Mode>,
        /// The shop's configured mode.
        shop: Mode,
    },
    /// The notification's `vads_site_id` is absent or is not the shop's site id (or, with
    /// several [`crate::Shops`], no shop's).
    SiteMismatch {
        /// The notification's site id, when it is 8 digits.
        notification: Option<SiteId>,
        /// The shop's site id; `None` when [`crate::Shops`] has no shop with the
        /// notification's.
        shop: Option<SiteId>,
    },
    /// The signature does not match the fields with any key the shop accepts, or does
    /// not have the shape of a signature of an accepted algorithm.
    BadSignature,
    /// A field the format requires is absent (a REST answer's `kr-answer`,
    /// `kr-hash-algorithm` or `kr-hash-key`).
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// A REST answer's `kr-hash-algorithm` is not `sha256_hmac`.
    UnsupportedHashAlgorithm,
    /// A REST answer's `kr-hash-key` does not name the key of the endpoint it arrived at
    /// (`password` at the IPN, `sha256_hmac` at the browser return): the key is chosen by
    /// the endpoint, never by the body.
    WrongHashKey {
        /// The endpoint the body arrived at.
        endpoint: Endpoint,
    },
    /// The shop has no key for this kind of notification in its mode (e.g. a REST IPN to
    /// a shop configured without a REST password).
    KeyNotConfigured {
        /// The missing key: `"test key"`, `"production password"`, `"test HMAC key"`, ...
        which: &'static str,
    },
    /// The notification reports a channel (`vads_payment_src` `MOTO` or `CC`; REST
    /// `paymentSource`) that is off in the shop's configuration (`[channels]`).
    ChannelOff {
        /// The channel.
        channel: crate::protocol::channel::Channel,
    },
}

impl VerifyError {
    /// The stable code of this error, e.g. `"bad_signature"`.
    ///
    /// ```
    /// assert_eq!(vads::VerifyError::BadSignature.code(), "bad_signature");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            VerifyError::BodyTooLarge => "body_too_large",
            VerifyError::MalformedBody { .. } => "malformed_body",
            VerifyError::MalformedAnswer => "malformed_answer",
            VerifyError::TooManyFields => "too_many_fields",
            VerifyError::DuplicateField => "duplicate_field",
            VerifyError::MissingSignature => "missing_signature",
            VerifyError::ModeMismatch { .. } => "mode_mismatch",
            VerifyError::SiteMismatch { .. } => "site_mismatch",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::MissingField { .. } => "missing_field",
            VerifyError::UnsupportedHashAlgorithm => "unsupported_hash_algorithm",
            VerifyError::WrongHashKey { .. } => "wrong_hash_key",
            VerifyError::KeyNotConfigured { .. } => "key_not_configured",
            VerifyError::ChannelOff { .. } => "channel_off",
        }
    }

    fn sentence(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::BodyTooLarge => write!(f, "the body is larger than {MAX_BODY_LEN} bytes"),
            VerifyError::MalformedBody { field: Some(name) } => write!(
                f,
                "the value of {name} is not valid urlencoded UTF-8 (bad percent-escape, control character or invalid UTF-8)"
            ),
            VerifyError::MalformedBody { field: None } => f.write_str(
                "the body is not valid urlencoded UTF-8 (bad percent-escape, control character or invalid UTF-8 in a field name)",
            ),
            VerifyError::MalformedAnswer => f.write_str(
                "kr-answer is not one valid JSON object (a syntax error, text after it, nesting deeper than 127, or shopId, orderDetails or mode given twice)",
            ),
            VerifyError::TooManyFields => write!(f, "the body has more than {MAX_FIELDS} fields"),
            VerifyError::DuplicateField => f.write_str("a field name appears more than once"),
            VerifyError::MissingSignature => f.write_str(
                "the body has no signature field (signature, or kr-hash for a REST answer)",
            ),
            VerifyError::ModeMismatch {
                notification: Some(n),
                shop,
            } => write!(f, "notification is {n}, shop is {shop}"),
            VerifyError::ModeMismatch {
                notification: None,
                shop,
            } => write!(
                f,
                "notification has no valid mode (vads_ctx_mode, or orderDetails.mode of a REST answer: TEST or PRODUCTION), shop is {shop}"
            ),
            VerifyError::SiteMismatch {
                notification,
                shop,
            } => {
                match notification {
                    Some(n) => write!(f, "notification is for site {n}")?,
                    None => f.write_str(
                        "notification has no valid site id (vads_site_id, or shopId of a REST answer: 8 digits)",
                    )?,
                }
                match shop {
                    Some(s) => write!(f, ", shop is {s}"),
                    None => f.write_str(", and no configured shop has it"),
                }
            }
            VerifyError::BadSignature => {
                f.write_str("the signature does not match the fields with the shop's key")
            }
            VerifyError::MissingField { field } => write!(f, "the body has no {field} field"),
            VerifyError::UnsupportedHashAlgorithm => {
                f.write_str("kr-hash-algorithm is not sha256_hmac")
            }
            VerifyError::WrongHashKey { endpoint } => match endpoint {
                Endpoint::Ipn => f.write_str(
                    "kr-hash-key is not password: an IPN is signed with the REST password",
                ),
                Endpoint::Return => f.write_str(
                    "kr-hash-key is not sha256_hmac: a browser return is signed with the REST HMAC-SHA-256 key",
                ),
            },
            VerifyError::KeyNotConfigured { which } => write!(
                f,
                "the shop has no {which} configured to check this notification with"
            ),
            VerifyError::ChannelOff { channel } => write!(
                f,
                "the notification reports the {channel} channel, which is off in the shop's configuration ([channels] {channel} = \"TEST\" or \"PRODUCTION\" to open it)"
            ),
        }
    }
}

impl VerifyError {
    /// A malformed body, the field not yet known.
    pub(crate) const MALFORMED: VerifyError = VerifyError::MalformedBody { field: None };

    /// Names the field `raw_name` in a [`VerifyError::MalformedBody`] found in its value.
    pub(crate) fn in_value_of(self, raw_name: &[u8]) -> VerifyError {
        match self {
            VerifyError::MalformedBody { field: None } => VerifyError::MalformedBody {
                field: FieldName::quote(raw_name),
            },
            other => other,
        }
    }
}

/// A site id as errors quote it: 8 ASCII digits, held inline (errors stay `Copy` and
/// allocation-free).
///
/// ```
/// let shop = vads::SiteId::parse(b"12345678").unwrap();
/// assert_eq!(shop.as_str(), "12345678");
/// assert!(vads::SiteId::parse(b"1234").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SiteId([u8; 8]);

impl SiteId {
    /// `raw` as a site id, when it is exactly 8 ASCII digits.
    #[must_use]
    pub fn parse(raw: &[u8]) -> Option<SiteId> {
        let digits: [u8; 8] = raw.try_into().ok()?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then_some(SiteId(digits))
    }

    /// The 8 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiteId({})", self.as_str())
    }
}

/// A field's name as errors quote it: only a plain name (ASCII letters, digits, `_`, `-`,
/// `.`; at most 40 bytes, as received, unescaped), held inline. Names are not secret,
/// values are: an error never quotes a value.
///
/// ```
/// let body = b"vads_amount=1&vads_ctx_mode=TEST&vads_cust_name=%ZZ&vads_site_id=12345678&signature=x";
/// let shop = vads::Shop::new({
///     let mut c = vads::ShopConfig::new("12345678", vads::Mode::Test);
///     c.test_key = Some(vads::SecretString::new("1122334455667788".into()));
///     c
/// })?;
/// let e = shop.verify(body).unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "malformed_body: the value of vads_cust_name is not valid urlencoded UTF-8 (bad percent-escape, control character or invalid UTF-8)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldName {
    bytes: [u8; FieldName::MAX],
    len: u8,
}

impl FieldName {
    /// The longest name quoted.
    const MAX: usize = 40;

    /// `raw` as a quotable name, if it is one.
    pub(crate) fn quote(raw: &[u8]) -> Option<FieldName> {
        let plain = !raw.is_empty()
            && raw.len() <= Self::MAX
            && raw
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !plain {
            return None;
        }
        let mut bytes = [0u8; Self::MAX];
        bytes.get_mut(..raw.len())?.copy_from_slice(raw);
        Some(FieldName {
            bytes,
            len: u8::try_from(raw.len()).ok()?,
        })
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldName({})", self.as_str())
    }
}

/// Why a [`crate::Key`] could not be loaded.
///
/// ```
/// let e = "  ".parse::<vads::Key>().unwrap_err();
/// assert_eq!(e.to_string(), "empty_key: the key is empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is empty (after trimming surrounding whitespace).
    Empty,
    /// The environment variable is not set.
    EnvMissing {
        /// The variable's name (never its value).
        var: String,
    },
    /// The environment variable is not valid Unicode.
    EnvNotUnicode {
        /// The variable's name (never its value).
        var: String,
    },
    /// The key file could not be read.
    File {
        /// The file's path.
        path: String,
        /// The operating system's reason, as a sentence (never the file's content).
        reason: String,
    },
    /// The key file is larger than [`crate::MAX_KEY_FILE_LEN`]: not a key file.
    FileTooLarge {
        /// The file's path.
        path: String,
    },
    /// The key file is not valid UTF-8.
    FileNotUtf8 {
        /// The file's path.
        path: String,
    },
    /// The key starts with (or contains) a byte order mark, U+FEFF: an editor such as
    /// Notepad added it, and every signature would be wrong.
    Bom,
    /// The key spans more than one line (only one final line break is tolerated).
    LineBreak,
    /// The key contains a control character (a tab, an escape, a NUL, ...).
    ControlCharacter,
    /// The key holds a character outside printable ASCII (an invisible or Unicode space,
    /// a line separator, a zero-width space, an accented letter): the platforms' keys are
    /// printable ASCII, so every signature would be wrong.
    NotPrintableAscii,
}

impl KeyError {
    /// The stable code of this error, e.g. `"empty_key"`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            KeyError::Empty => "empty_key",
            KeyError::EnvMissing { .. } => "key_env_missing",
            KeyError::EnvNotUnicode { .. } => "key_env_invalid",
            KeyError::File { .. } => "key_file_unreadable",
            KeyError::FileTooLarge { .. } => "key_file_too_large",
            KeyError::FileNotUtf8 { .. } => "key_file_invalid",
            KeyError::Bom => "key_has_bom",
            KeyError::LineBreak => "key_has_line_break",
            KeyError::ControlCharacter => "key_has_control_character",
            KeyError::NotPrintableAscii => "key_not_printable_ascii",
        }
    }

    /// The sentence after the code (also used by errors that wrap this one).
    pub(crate) fn sentence(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => f.write_str("the key is empty"),
            KeyError::EnvMissing { var } => {
                write!(f, "environment variable {} is not set", EnvName(var))
            }
            KeyError::EnvNotUnicode { var } => {
                write!(f, "environment variable {} is not valid UTF-8", EnvName(var))
            }
            KeyError::File { path, reason } => {
                write!(f, "cannot read key file {path}: {reason}")
            }
            KeyError::FileTooLarge { path } => write!(
                f,
                "cannot read key file {path}: larger than the limit of {MAX_KEY_FILE_LEN} bytes (MAX_KEY_FILE_LEN)"
            ),
            KeyError::FileNotUtf8 { path } => {
                write!(f, "key file {path} is not valid UTF-8 text")
            }
            KeyError::Bom => f.write_str(
                "the key contains a byte order mark (U+FEFF, added by some editors); save the key without it",
            ),
            KeyError::LineBreak => f.write_str(
                "the key spans more than one line; a key is one line (a final line break is fine)",
            ),
            KeyError::NotPrintableAscii => f.write_str(
                "the key contains a character outside printable ASCII (a Unicode or zero-width space, a line separator, an accented letter); the platform's keys are printable ASCII: copy it again from the back office",
            ),
            KeyError::ControlCharacter => f.write_str(
                "the key contains a control character; a key is printable text as shown in the back office",
            ),
        }
    }
}

code_first_display!(SignError, VerifyError, KeyError);

/// An environment variable's name as printed in errors: by the rule of
/// [`crate::protocol::shown`], since a key pasted where the variable's name goes
/// (`test_key_env = "<the key>"`) is a classic mistake.
struct EnvName<'a>(&'a str);

impl fmt::Display for EnvName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == crate::protocol::shown::NAME_WITHHELD
            || crate::protocol::shown::reads_like_a_name(self.0)
        {
            f.write_str(self.0)
        } else {
            f.write_str(crate::protocol::shown::NAME_WITHHELD)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every error line is `code: sentence`, codes are snake_case, a sentence follows.
    pub(crate) fn assert_code_first(code: &str, display: &str) {
        assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{code}"
        );
        let sentence = display
            .strip_prefix(code)
            .and_then(|s| s.strip_prefix(": "));
        assert!(
            sentence.is_some_and(|s| s.len() > 8 && !s.starts_with(' ')),
            "{display:?} does not start with {code:?}"
        );
    }

    /// One value of every variant; the match below fails to compile when one is added.
    fn every_sign_error() -> Vec<SignError> {
        let all = vec![
            SignError::NothingToSign,
            SignError::TooManyFields,
            SignError::DuplicateField,
            SignError::SiteMismatch {
                given: SiteId::parse(b"87654321"),
                shop: SiteId(*b"12345678"),
            },
            SignError::SiteMismatch {
                given: None,
                shop: SiteId(*b"12345678"),
            },
            SignError::ModeMismatch,
            SignError::KeyNotConfigured { which: "test key" },
        ];
        for e in &all {
            match e {
                SignError::NothingToSign
                | SignError::TooManyFields
                | SignError::DuplicateField
                | SignError::SiteMismatch { .. }
                | SignError::ModeMismatch
                | SignError::KeyNotConfigured { .. } => {}
            }
        }
        all
    }

    fn every_verify_error() -> Vec<VerifyError> {
        let all = vec![
            VerifyError::BodyTooLarge,
            VerifyError::MalformedBody { field: None },
            VerifyError::MalformedBody {
                field: FieldName::quote(b"vads_cust_name"),
            },
            VerifyError::MalformedAnswer,
            VerifyError::TooManyFields,
            VerifyError::DuplicateField,
            VerifyError::MissingSignature,
            VerifyError::ModeMismatch {
                notification: Some(Mode::Test),
                shop: Mode::Production,
            },
            VerifyError::ModeMismatch {
                notification: None,
                shop: Mode::Test,
            },
            VerifyError::SiteMismatch {
                notification: SiteId::parse(b"87654321"),
                shop: SiteId::parse(b"12345678"),
            },
            VerifyError::SiteMismatch {
                notification: None,
                shop: None,
            },
            VerifyError::BadSignature,
            VerifyError::MissingField { field: "kr-answer" },
            VerifyError::UnsupportedHashAlgorithm,
            VerifyError::WrongHashKey {
                endpoint: Endpoint::Ipn,
            },
            VerifyError::WrongHashKey {
                endpoint: Endpoint::Return,
            },
            VerifyError::KeyNotConfigured {
                which: "production password",
            },
            VerifyError::ChannelOff {
                channel: crate::protocol::channel::Channel::Moto,
            },
        ];
        for e in &all {
            match e {
                VerifyError::BodyTooLarge
                | VerifyError::MalformedBody { .. }
                | VerifyError::MalformedAnswer
                | VerifyError::TooManyFields
                | VerifyError::DuplicateField
                | VerifyError::MissingSignature
                | VerifyError::ModeMismatch { .. }
                | VerifyError::SiteMismatch { .. }
                | VerifyError::BadSignature
                | VerifyError::MissingField { .. }
                | VerifyError::UnsupportedHashAlgorithm
                | VerifyError::WrongHashKey { .. }
                | VerifyError::KeyNotConfigured { .. }
                | VerifyError::ChannelOff { .. } => {}
            }
        }
        all
    }

    pub(crate) fn every_key_error() -> Vec<KeyError> {
        let path = || "/etc/vads/key".to_owned();
        let all = vec![
            KeyError::Empty,
            KeyError::EnvMissing { var: "V".into() },
            KeyError::EnvNotUnicode { var: "V".into() },
            KeyError::File {
                path: path(),
                reason: "not found".into(),
            },
            KeyError::FileTooLarge { path: path() },
            KeyError::FileNotUtf8 { path: path() },
            KeyError::Bom,
            KeyError::LineBreak,
            KeyError::ControlCharacter,
            KeyError::NotPrintableAscii,
        ];
        for e in &all {
            match e {
                KeyError::Empty
                | KeyError::EnvMissing { .. }
                | KeyError::EnvNotUnicode { .. }
                | KeyError::File { .. }
                | KeyError::FileTooLarge { .. }
                | KeyError::FileNotUtf8 { .. }
                | KeyError::Bom
                | KeyError::LineBreak
                | KeyError::ControlCharacter
                | KeyError::NotPrintableAscii => {}
            }
        }
        all
    }

    #[test]
    fn every_variant_displays_its_code_first() {
        for e in every_sign_error() {
            assert_code_first(e.code(), &e.to_string());
        }
        for e in every_verify_error() {
            assert_code_first(e.code(), &e.to_string());
        }
        for e in every_key_error() {
            assert_code_first(e.code(), &e.to_string());
        }
    }

    #[test]
    fn variable_names_that_could_be_keys_are_withheld() {
        let shown = KeyError::EnvMissing {
            var: "VADS_TEST_KEY".into(),
        };
        assert_eq!(
            shown.to_string(),
            "key_env_missing: environment variable VADS_TEST_KEY is not set"
        );
        for var in ["1122334455667788", "MySecretKey", "K7X9QZ2M4HVT8R1D", ""] {
            let e = KeyError::EnvMissing { var: var.into() }.to_string();
            assert!(e.contains("(name withheld"), "{e}");
            assert!(var.is_empty() || !e.contains(var), "{e}");
        }
    }

    #[test]
    fn codes_are_distinct_within_an_enum() {
        let mut sign: Vec<_> = every_sign_error().iter().map(SignError::code).collect();
        let mut key: Vec<_> = every_key_error().iter().map(KeyError::code).collect();
        let mut verify: Vec<_> = every_verify_error().iter().map(VerifyError::code).collect();
        for codes in [&mut sign, &mut key, &mut verify] {
            let n = codes.len();
            codes.sort_unstable();
            codes.dedup();
            // ModeMismatch, MalformedBody, SiteMismatch and WrongHashKey are listed twice
            // each.
            assert!(codes.len() >= n - 4, "{codes:?}");
        }
        assert_eq!(sign.len(), 6);
        assert_eq!(key.len(), 10);
        assert_eq!(verify.len(), 14);
    }
}
