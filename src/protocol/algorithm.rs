//! The signature algorithm of a shop.

use core::fmt;
use core::str::FromStr;

/// The signature algorithm, a setting of the shop in the platform's back office (it is not
/// a field of the message).
///
/// Parses from and displays as the back office's names, `HMAC-SHA-256` and `SHA-1`
/// (case-insensitively on input); serde uses the same names.
///
/// ```
/// use vads::Algorithm;
/// let a: Algorithm = "hmac-sha-256".parse()?;
/// assert_eq!(a, Algorithm::HmacSha256);
/// assert_eq!(a.to_string(), "HMAC-SHA-256");
/// assert_eq!(Algorithm::default(), Algorithm::HmacSha256);
/// assert_eq!("SHA-1".parse::<Algorithm>()?, Algorithm::Sha1);
/// # Ok::<(), vads::UnknownAlgorithm>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// `base64(HMAC-SHA-256(key, signing string))`: 44 characters. The current default.
    #[default]
    HmacSha256,
    /// `hex(SHA-1(signing string + key))`, lowercase: 40 characters. Legacy.
    Sha1,
}

impl Algorithm {
    /// The back office's name: `"HMAC-SHA-256"` or `"SHA-1"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "HMAC-SHA-256",
            Algorithm::Sha1 => "SHA-1",
        }
    }

    /// The length of a signature made with this algorithm: 44 (base64) or 40 (hex).
    #[must_use]
    pub const fn signature_len(self) -> usize {
        match self {
            Algorithm::HmacSha256 => 44,
            Algorithm::Sha1 => 40,
        }
    }

    /// The algorithm whose signatures have this text's shape: 44 characters of base64
    /// ending with `=` for HMAC-SHA-256, 40 hexadecimal digits for SHA-1, `None` otherwise.
    ///
    /// ```
    /// use vads::Algorithm;
    /// assert_eq!(Algorithm::from_signature_shape(b"59c96b34c74b9375c332b0b6a32e6deeec87de2b"), Some(Algorithm::Sha1));
    /// assert_eq!(Algorithm::from_signature_shape(b"ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0="), Some(Algorithm::HmacSha256));
    /// assert_eq!(Algorithm::from_signature_shape(b"nope"), None);
    /// ```
    #[must_use]
    pub fn from_signature_shape(signature: &[u8]) -> Option<Algorithm> {
        match signature.len() {
            40 if signature.iter().all(u8::is_ascii_hexdigit) => Some(Algorithm::Sha1),
            44 if signature.ends_with(b"=")
                && signature
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) =>
            {
                Some(Algorithm::HmacSha256)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text is neither `HMAC-SHA-256` nor `SHA-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown_algorithm: expected HMAC-SHA-256 or SHA-1")]
pub struct UnknownAlgorithm;

impl UnknownAlgorithm {
    /// The stable code: `"unknown_algorithm"`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "unknown_algorithm"
    }
}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("HMAC-SHA-256") {
            Ok(Algorithm::HmacSha256)
        } else if s.eq_ignore_ascii_case("SHA-1") {
            Ok(Algorithm::Sha1)
        } else {
            Err(UnknownAlgorithm)
        }
    }
}

impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Algorithm;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"HMAC-SHA-256\" or \"SHA-1\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Algorithm, E> {
                v.parse()
                    // Never the value itself: errors must not quote a configuration's values.
                    .map_err(|_| {
                        E::invalid_value(serde::de::Unexpected::Other("another value"), &self)
                    })
            }
        }
        deserializer.deserialize_str(V)
    }
}
