//! Shop keys ("certificates"): secret bytes, zeroed on drop, never printed.

use crate::error::KeyError;
use crate::limits::MAX_KEY_FILE_LEN;
use core::fmt;
use core::str::FromStr;
use std::path::Path;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A shop key (the test or the production "certificate" of the back office).
///
/// Security invariants:
/// - the bytes are zeroed when the key is dropped;
/// - `Debug` prints `Key([REDACTED])` and there is no `Display`, `Clone` or `Serialize`;
/// - a key is never empty;
/// - the bytes are only reachable inside the crate, through `Key::expose`.
///
/// Surrounding whitespace (including a final newline) is trimmed by every constructor:
/// keys are alphanumeric, and a stray newline in a key file is the classic mistake.
///
/// ```
/// use vads::Key;
/// let key: Key = "1122334455667788".parse()?;
/// assert_eq!(format!("{key:?}"), "Key([REDACTED])");
/// assert!("   ".parse::<Key>().is_err());
/// # Ok::<(), vads::KeyError>(())
/// ```
pub struct Key {
    bytes: Box<[u8]>,
}

impl Key {
    /// Builds a key from its text, trimming surrounding whitespace.
    ///
    /// # Errors
    /// [`KeyError::Empty`] when nothing is left after trimming.
    pub fn new(text: &str) -> Result<Key, KeyError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Key {
            bytes: trimmed.as_bytes().into(),
        })
    }

    /// Reads a key from the environment variable `var`.
    ///
    /// # Errors
    /// [`KeyError::EnvMissing`], [`KeyError::EnvNotUnicode`] or [`KeyError::Empty`].
    ///
    /// ```
    /// # std::env::set_var("DOC_SHOP_KEY", "1122334455667788");
    /// let key = vads::Key::from_env("DOC_SHOP_KEY")?;
    /// # Ok::<(), vads::KeyError>(())
    /// ```
    pub fn from_env(var: &str) -> Result<Key, KeyError> {
        match std::env::var(var) {
            Ok(value) => Key::new(&Zeroizing::new(value)),
            Err(std::env::VarError::NotPresent) => Err(KeyError::EnvMissing {
                var: var.to_owned(),
            }),
            Err(std::env::VarError::NotUnicode(raw)) => {
                let mut bytes = raw.into_encoded_bytes();
                bytes.zeroize();
                Err(KeyError::EnvNotUnicode {
                    var: var.to_owned(),
                })
            }
        }
    }

    /// Reads a key from a file holding it as text (surrounding whitespace and the final
    /// newline are trimmed).
    ///
    /// # Errors
    /// [`KeyError::File`] when the file cannot be read, [`KeyError::FileTooLarge`] above
    /// [`MAX_KEY_FILE_LEN`], [`KeyError::FileNotUtf8`], [`KeyError::Empty`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Key, KeyError> {
        use std::io::Read;
        let path = path.as_ref();
        let unreadable = |e: std::io::Error| KeyError::File {
            path: path.display().to_string(),
            reason: e.kind().to_string(),
        };
        let mut raw = Zeroizing::new(Vec::new());
        // Bounded: a path such as /dev/zero in a config must not exhaust memory.
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_KEY_FILE_LEN as u64 + 1).read_to_end(&mut raw))
            .map_err(unreadable)?;
        if raw.len() > MAX_KEY_FILE_LEN {
            return Err(KeyError::FileTooLarge {
                path: path.display().to_string(),
            });
        }
        let text = core::str::from_utf8(&raw).map_err(|_| KeyError::FileNotUtf8 {
            path: path.display().to_string(),
        })?;
        Key::new(text)
    }

    /// The key's bytes. Crate-private on purpose: grep for `expose(` to audit every use.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether two keys are equal, in constant time (for the config check that test and
    /// production keys differ).
    pub(crate) fn same_as(&self, other: &Key) -> bool {
        use subtle::ConstantTimeEq;
        self.bytes.len() == other.bytes.len() && bool::from(self.bytes.ct_eq(&other.bytes))
    }
}

impl FromStr for Key {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Key::new(s)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key([REDACTED])")
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl ZeroizeOnDrop for Key {}

/// A secret read from a configuration file: a key's text before it becomes a [`Key`].
///
/// Deserializes from a string; zeroed on drop; `Debug` prints `[REDACTED]`; not
/// `Serialize`, not `Display`.
///
/// ```
/// let s: vads::SecretString = serde_json::from_str("\"1122334455667788\"").unwrap();
/// assert_eq!(format!("{s:?}"), "[REDACTED]");
/// ```
#[derive(Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret text.
    #[must_use]
    pub fn new(text: String) -> Self {
        SecretString(Zeroizing::new(text))
    }

    /// The secret text. Crate-private: grep for `expose(` to audit every use.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString::new)
    }
}
