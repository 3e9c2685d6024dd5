//! Error types. Every variant has a stable machine-readable [`code`](SignError::code) that
//! operators can grep for, and a static human sentence (its `Display`).
//!
//! Security invariant: no error carries a key, a computed signature (that would hand out a
//! valid MAC) or a dependency's error type. The only data they carry are modes, field
//! names chosen by the library, file paths and environment variable names.

use crate::shop::Mode;
use core::fmt;

/// Why a set of fields could not be signed.
///
/// Returned by [`crate::sign`] and [`crate::Shop::sign`]. It is `Copy` and allocation-free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// More `vads_` fields than [`crate::MAX_FIELDS`]. Nothing was truncated.
    #[error("too_many_fields: more vads_ fields than the limit of {limit}", limit = crate::MAX_FIELDS)]
    TooManyFields,
    /// The same `vads_` field name appears twice: which value to sign would be ambiguous.
    #[error("duplicate_field: a vads_ field name appears more than once")]
    DuplicateField,
    /// A `vads_site_id` field contradicts the shop's site id ([`crate::Shop::sign`]).
    #[error("site_mismatch: vads_site_id differs from the shop's site id")]
    SiteMismatch,
    /// A `vads_ctx_mode` field contradicts the shop's mode ([`crate::Shop::sign`]).
    #[error("mode_mismatch: vads_ctx_mode differs from the shop's mode")]
    ModeMismatch,
    /// The shop holds no key able to sign in its mode (only possible for a shop that
    /// verifies only, see [`crate::Shop`]).
    #[error("missing_key: the shop has no key for its mode")]
    MissingKey,
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
            SignError::MissingKey => "missing_key",
        }
    }
}

/// Why a notification (IPN body or browser return) was rejected.
///
/// Returned by [`crate::Shop::verify`]. It is `Copy` and allocation-free, so that rejecting
/// a notification allocates no more than accepting one.
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
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())?;
        f.write_str(": ")?;
        match self {
            VerifyError::BodyTooLarge => write!(
                f,
                "the body is larger than {} bytes",
                crate::MAX_BODY_LEN
            ),
            VerifyError::MalformedBody => f.write_str(
                "the body is not valid urlencoded UTF-8 (bad percent-escape, control character or invalid UTF-8)",
            ),
            VerifyError::TooManyFields => {
                write!(f, "the body has more than {} fields", crate::MAX_FIELDS)
            }
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

impl std::error::Error for VerifyError {}

/// Why a [`crate::Key`] could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is empty (after trimming surrounding whitespace).
    #[error("empty_key: the key is empty")]
    Empty,
    /// The environment variable is not set.
    #[error("key_env_missing: environment variable {var} is not set")]
    EnvMissing {
        /// The variable's name (never its value).
        var: String,
    },
    /// The environment variable is not valid Unicode.
    #[error("key_env_invalid: environment variable {var} is not valid UTF-8")]
    EnvNotUnicode {
        /// The variable's name (never its value).
        var: String,
    },
    /// The key file could not be read.
    #[error("key_file_unreadable: cannot read key file {path}: {reason}")]
    File {
        /// The file's path.
        path: String,
        /// The operating system's reason, as a sentence (never the file's content).
        reason: String,
    },
    /// The key file is larger than [`crate::MAX_KEY_FILE_LEN`]: not a key file.
    #[error("key_file_too_large: key file {path} is larger than {limit} bytes", limit = crate::MAX_KEY_FILE_LEN)]
    FileTooLarge {
        /// The file's path.
        path: String,
    },
    /// The key file is not valid UTF-8.
    #[error("key_file_invalid: key file {path} is not valid UTF-8 text")]
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
}
