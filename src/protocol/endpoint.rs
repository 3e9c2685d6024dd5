//! [`Endpoint`]: where a notification arrived, which chooses the key of a REST answer.

/// The endpoint a notification arrived at. It chooses the key a REST answer
/// (`kr-hash`) is checked with, never the body: the shop's REST **password** for the IPN,
/// its REST **HMAC-SHA-256 key** for the browser return. A `vads_*` body is signed with
/// the form key at both.
///
/// ```
/// use vads::Endpoint;
/// assert_eq!(Endpoint::Ipn.hash_key_name(), "password");
/// assert_eq!("return".parse::<Endpoint>(), Ok(Endpoint::Return));
/// assert!("IPN".parse::<Endpoint>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Endpoint {
    /// The Instant Payment Notification URL (server to server): the source of truth.
    #[default]
    Ipn,
    /// The URL the buyer's browser comes back to.
    Return,
}

impl Endpoint {
    /// `"ipn"` or `"return"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Endpoint::Ipn => "ipn",
            Endpoint::Return => "return",
        }
    }

    /// The `kr-hash-key` a REST answer at this endpoint must carry: `"password"` at the
    /// IPN, `"sha256_hmac"` at the browser return.
    #[must_use]
    pub const fn hash_key_name(self) -> &'static str {
        match self {
            Endpoint::Ipn => "password",
            Endpoint::Return => "sha256_hmac",
        }
    }
}

impl core::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not `ipn` or `return`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownEndpoint;

impl core::fmt::Display for UnknownEndpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("unknown_endpoint: expected ipn or return")
    }
}

impl std::error::Error for UnknownEndpoint {}

impl core::str::FromStr for Endpoint {
    type Err = UnknownEndpoint;

    /// `ipn` or `return` (exact).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ipn" => Ok(Endpoint::Ipn),
            "return" => Ok(Endpoint::Return),
            _ => Err(UnknownEndpoint),
        }
    }
}
