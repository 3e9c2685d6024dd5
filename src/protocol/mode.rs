//! [`Mode`], the value of `vads_ctx_mode`: the go-live switch.

use core::fmt;
use core::str::FromStr;

/// The shop's mode, the value of `vads_ctx_mode`: the go-live switch.
///
/// Parsing is exact and case-sensitive, like the platform's (`test` or `PROD` are
/// refused there with error 11, so they are refused here too).
///
/// ```
/// use vads::Mode;
/// assert_eq!("PRODUCTION".parse::<Mode>(), Ok(Mode::Production));
/// assert!("PROD".parse::<Mode>().is_err());
/// assert!("test".parse::<Mode>().is_err());
/// assert_eq!(Mode::Test.to_string(), "TEST");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// `TEST`: signed with the test key; no real money moves.
    Test,
    /// `PRODUCTION`: signed with the production key; real payments.
    Production,
}

impl Mode {
    /// `"TEST"` or `"PRODUCTION"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "TEST",
            Mode::Production => "PRODUCTION",
        }
    }

    /// The mode of an exact value (`TEST` or `PRODUCTION`), from raw bytes.
    #[must_use]
    pub(crate) fn from_bytes(value: &[u8]) -> Option<Mode> {
        match value {
            b"TEST" => Some(Mode::Test),
            b"PRODUCTION" => Some(Mode::Production),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is neither `TEST` nor `PRODUCTION`.
///
/// ```
/// assert_eq!(
///     "prod".parse::<vads::Mode>().unwrap_err().to_string(),
///     "invalid_ctx_mode: expected TEST or PRODUCTION (uppercase)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid_ctx_mode: expected TEST or PRODUCTION (uppercase)")]
pub struct InvalidMode;

impl FromStr for Mode {
    type Err = InvalidMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::from_bytes(s.as_bytes()).ok_or(InvalidMode)
    }
}

impl serde::Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(|_| {
            serde::de::Error::invalid_value(
                // Never the value itself: errors must not quote a configuration's values.
                serde::de::Unexpected::Other("another value"),
                &"TEST or PRODUCTION (uppercase)",
            )
        })
    }
}
