//! The protocol core's error types: [`SignError`], [`VerifyError`], [`KeyError`].
//!
//! Each enum has one table of stable machine-readable codes ([`code`](SignError::code),
//! what operators grep for) and one sentence per variant; `Display` is always
//! `code: sentence`, so the first word of any error line is its code.
//!
//! Security invariant: no error carries a key, a computed signature (that would hand out a
//! valid MAC) or a dependency's error type. The only data they carry are modes, field
//! names chosen by the library, file paths and environment variable names.

use crate::limits::{MAX_BODY_LEN, MAX_FIELDS, MAX_KEY_FILE_LEN};
use crate::mode::Mode;
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
    /// More `vads_` fields than [`crate::MAX_FIELDS`]. Nothing was truncated.
    TooManyFields,
    /// The same `vads_` field name appears twice: which value to sign would be ambiguous.
    DuplicateField,
    /// A `vads_site_id` field contradicts the shop's site id ([`crate::Shop::sign`]).
    SiteMismatch,
    /// A `vads_ctx_mode` field contradicts the shop's mode ([`crate::Shop::sign`]).
    ModeMismatch,
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
            SignError::TooManyFields => "too_many_fields",
            SignError::DuplicateField => "duplicate_field",
            SignError::SiteMismatch => "site_mismatch",
            SignError::ModeMismatch => "mode_mismatch",
        }
    }

    fn sentence(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::TooManyFields => {
                write!(f, "more vads_ fields than the limit of {MAX_FIELDS}")
            }
            SignError::DuplicateField => f.write_str("a vads_ field name appears more than once"),
            SignError::SiteMismatch => f.write_str("vads_site_id differs from the shop's site id"),
            SignError::ModeMismatch => f.write_str("vads_ctx_mode differs from the shop's mode"),
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
    MalformedBody,
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
    /// The notification's `vads_site_id` is absent or is not the shop's site id.
    SiteMismatch,
    /// The signature does not match the fields with any key the shop accepts, or does
    /// not have the shape of a signature of an accepted algorithm.
    BadSignature,
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
            VerifyError::MalformedBody => "malformed_body",
            VerifyError::TooManyFields => "too_many_fields",
            VerifyError::DuplicateField => "duplicate_field",
            VerifyError::MissingSignature => "missing_signature",
            VerifyError::ModeMismatch { .. } => "mode_mismatch",
            VerifyError::SiteMismatch => "site_mismatch",
            VerifyError::BadSignature => "bad_signature",
        }
    }

    fn sentence(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::BodyTooLarge => write!(f, "the body is larger than {MAX_BODY_LEN} bytes"),
            VerifyError::MalformedBody => f.write_str(
                "the body is not valid urlencoded UTF-8 (bad percent-escape, control character or invalid UTF-8)",
            ),
            VerifyError::TooManyFields => write!(f, "the body has more than {MAX_FIELDS} fields"),
            VerifyError::DuplicateField => f.write_str("a field name appears more than once"),
            VerifyError::MissingSignature => f.write_str("the body has no signature field"),
            VerifyError::ModeMismatch {
                notification: Some(n),
                shop,
            } => write!(f, "notification is {n}, shop is {shop}"),
            VerifyError::ModeMismatch {
                notification: None,
                shop,
            } => write!(
                f,
                "notification has no valid vads_ctx_mode (TEST or PRODUCTION), shop is {shop}"
            ),
            VerifyError::SiteMismatch => {
                f.write_str("vads_site_id is missing or is not the shop's site id")
            }
            VerifyError::BadSignature => {
                f.write_str("the signature does not match the fields with the shop's key")
            }
        }
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
        }
    }

    /// The sentence after the code (also used by errors that wrap this one).
    pub(crate) fn sentence(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => f.write_str("the key is empty"),
            KeyError::EnvMissing { var } => write!(f, "environment variable {var} is not set"),
            KeyError::EnvNotUnicode { var } => {
                write!(f, "environment variable {var} is not valid UTF-8")
            }
            KeyError::File { path, reason } => {
                write!(f, "cannot read key file {path}: {reason}")
            }
            KeyError::FileTooLarge { path } => {
                write!(f, "key file {path} is larger than {MAX_KEY_FILE_LEN} bytes")
            }
            KeyError::FileNotUtf8 { path } => {
                write!(f, "key file {path} is not valid UTF-8 text")
            }
        }
    }
}

code_first_display!(SignError, VerifyError, KeyError);

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
            SignError::TooManyFields,
            SignError::DuplicateField,
            SignError::SiteMismatch,
            SignError::ModeMismatch,
        ];
        for e in &all {
            match e {
                SignError::TooManyFields
                | SignError::DuplicateField
                | SignError::SiteMismatch
                | SignError::ModeMismatch => {}
            }
        }
        all
    }

    fn every_verify_error() -> Vec<VerifyError> {
        let all = vec![
            VerifyError::BodyTooLarge,
            VerifyError::MalformedBody,
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
            VerifyError::SiteMismatch,
            VerifyError::BadSignature,
        ];
        for e in &all {
            match e {
                VerifyError::BodyTooLarge
                | VerifyError::MalformedBody
                | VerifyError::TooManyFields
                | VerifyError::DuplicateField
                | VerifyError::MissingSignature
                | VerifyError::ModeMismatch { .. }
                | VerifyError::SiteMismatch
                | VerifyError::BadSignature => {}
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
        ];
        for e in &all {
            match e {
                KeyError::Empty
                | KeyError::EnvMissing { .. }
                | KeyError::EnvNotUnicode { .. }
                | KeyError::File { .. }
                | KeyError::FileTooLarge { .. }
                | KeyError::FileNotUtf8 { .. } => {}
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
    fn codes_are_distinct_within_an_enum() {
        let mut sign: Vec<_> = every_sign_error().iter().map(SignError::code).collect();
        let mut key: Vec<_> = every_key_error().iter().map(KeyError::code).collect();
        let mut verify: Vec<_> = every_verify_error().iter().map(VerifyError::code).collect();
        for codes in [&mut sign, &mut key, &mut verify] {
            let n = codes.len();
            codes.sort_unstable();
            codes.dedup();
            assert!(codes.len() >= n - 1, "{codes:?}"); // ModeMismatch is listed twice
        }
        assert_eq!(sign.len(), 4);
        assert_eq!(key.len(), 6);
        assert_eq!(verify.len(), 8);
    }
}
