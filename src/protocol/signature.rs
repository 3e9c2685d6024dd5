//! [`Signature`], the value: a signature held on the stack, its text, and the
//! constant-time comparison with a received one.

use crate::protocol::algorithm::Algorithm;
use core::fmt;
use subtle::ConstantTimeEq;

/// A digest before encoding.
pub(crate) enum RawDigest {
    HmacSha256([u8; 32]),
    Sha1([u8; 20]),
}

/// A signature: 44 characters of base64 (HMAC-SHA-256) or 40 lowercase hex digits
/// (SHA-1), held in a fixed-size buffer on the stack.
///
/// A signature is not a secret (it is posted with the form), so `Debug` shows it.
/// Compare it with a received signature with [`Signature::matches`], which runs in
/// constant time, never with `==` on strings.
///
/// ```
/// # use vads::{sign, Algorithm, Key};
/// # let key: Key = "k".parse()?;
/// let sig = sign([("vads_amount", "100")], &key, Algorithm::HmacSha256)?;
/// assert_eq!(sig.as_str().len(), 44);
/// assert!(sig.matches(sig.as_str()));
/// assert!(!sig.matches(&sig.as_str()[..43]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    buf: [u8; 44],
    len: u8,
    algorithm: Algorithm,
}

impl Signature {
    pub(crate) fn encode(digest: RawDigest) -> Signature {
        let mut buf = [0u8; 44];
        match digest {
            RawDigest::HmacSha256(d) => {
                use base64::Engine;
                let n = base64::engine::general_purpose::STANDARD
                    .encode_slice(d, &mut buf)
                    .unwrap_or(0);
                Signature {
                    buf,
                    len: u8::try_from(n).unwrap_or(0),
                    algorithm: Algorithm::HmacSha256,
                }
            }
            RawDigest::Sha1(d) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for (pair, byte) in buf.chunks_exact_mut(2).zip(d.iter()) {
                    if let [hi, lo] = pair {
                        *hi = HEX[usize::from(byte >> 4)];
                        *lo = HEX[usize::from(byte & 0xf)];
                    }
                }
                Signature {
                    buf,
                    len: 40,
                    algorithm: Algorithm::Sha1,
                }
            }
        }
    }

    /// The signature as text, to put in the `signature` field.
    #[must_use]
    pub fn as_str(&self) -> &str {
        let bytes = self.buf.get(..usize::from(self.len)).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The algorithm that made it.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether `received` is this signature, compared in constant time (the lengths are
    /// compared first; that leaks only the length, which is public). For SHA-1, uppercase
    /// hex is accepted too.
    #[must_use]
    pub fn matches(&self, received: &str) -> bool {
        let ours = self.as_str().as_bytes();
        let theirs = received.as_bytes();
        if ours.len() != theirs.len() {
            return false;
        }
        match self.algorithm {
            Algorithm::HmacSha256 => ours.ct_eq(theirs).into(),
            Algorithm::Sha1 => {
                let mut lowered = [0u8; 40];
                for (dst, src) in lowered.iter_mut().zip(theirs) {
                    *dst = src.to_ascii_lowercase();
                }
                ours.ct_eq(lowered.get(..ours.len()).unwrap_or_default())
                    .into()
            }
        }
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({:?}, {})", self.as_str(), self.algorithm)
    }
}
