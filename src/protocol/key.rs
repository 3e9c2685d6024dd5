//! Shop keys ("certificates"): secret bytes, zeroed on drop, never printed.

use crate::protocol::error::KeyError;
use crate::protocol::file::{read_bounded, ReadError};
use crate::protocol::limits::MAX_KEY_FILE_LEN;
use core::fmt;
use core::str::FromStr;
use hmac::{Hmac, KeyInit};
use std::path::Path;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// HMAC-SHA-256, the MAC of the `vads_*` signature and of REST answers.
pub(crate) type HmacSha256 = Hmac<sha2::Sha256>;

// The keyed HMAC state a `Key` keeps is as secret as the key. It is wiped on drop by its
// parts: the SHA-256 cores (sha2's `zeroize` feature) and the block buffer (digest's, via
// hmac's). Checked here so that a dependency update cannot silently drop it.
const _: fn() = || {
    fn wiped_on_drop<T: ZeroizeOnDrop>() {}
    wiped_on_drop::<sha2::Sha256>();
};

/// A shop key (the test or the production "certificate" of the back office).
///
/// Security invariants:
/// - the bytes are zeroed when the key is dropped;
/// - `Debug` prints `Key([REDACTED])` and there is no `Display`, `Clone` or `Serialize`;
/// - a key is never empty;
/// - the bytes are only reachable inside the crate, through `Key::expose`;
/// - the HMAC-SHA-256 state keyed with it (inner and outer pads already hashed, so that
///   no call pays for them) is kept on the heap, reachable only through the crate-private
///   `Key::mac`, and wiped on drop like the bytes.
///
/// A key is one line of printable text. Surrounding spaces and one final line break are
/// trimmed by every constructor (a stray newline in a key file is the classic mistake);
/// what would silently make every signature wrong is refused with its own code: a byte
/// order mark (`key_has_bom`), a line break inside the key (`key_has_line_break`), any other
/// control character (`key_has_control_character`).
///
/// ```
/// use vads::Key;
/// let key: Key = "1122334455667788\n".parse()?;
/// assert_eq!(format!("{key:?}"), "Key([REDACTED])");
/// assert_eq!("   ".parse::<Key>().unwrap_err().code(), "empty_key");
/// assert_eq!("\u{feff}1122334455667788".parse::<Key>().unwrap_err().code(), "key_has_bom");
/// assert_eq!("11223344\n55667788".parse::<Key>().unwrap_err().code(), "key_has_line_break");
/// # Ok::<(), vads::KeyError>(())
/// ```
pub struct Key {
    bytes: Box<[u8]>,
    /// HMAC-SHA-256 keyed with `bytes`, before any message: cloned for each MAC.
    /// Boxed, so that moving a `Key` never copies it.
    mac: Box<HmacSha256>,
}

impl Key {
    /// Builds a key from its text, trimming surrounding ASCII spaces and line breaks. The
    /// key's bytes are copied once, into a buffer of their exact size. A key is printable
    /// ASCII, as the platforms' are.
    ///
    /// # Errors
    /// [`KeyError::Bom`], [`KeyError::LineBreak`], [`KeyError::ControlCharacter`],
    /// [`KeyError::NotPrintableAscii`] (a Unicode space around or in it, a zero-width space,
    /// a line separator, any non-ASCII character), and [`KeyError::Empty`] when nothing is
    /// left after trimming.
    pub fn new(text: &str) -> Result<Key, KeyError> {
        if text.contains('\u{feff}') {
            return Err(KeyError::Bom);
        }
        // Only ASCII white space is trimmed: a Unicode space around a key (NBSP, U+0085,
        // an em space) is as wrong as one inside it, and is refused below.
        let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
        if trimmed.contains(['\n', '\r']) {
            return Err(KeyError::LineBreak);
        }
        if trimmed.chars().any(|c| c.is_ascii_control()) {
            return Err(KeyError::ControlCharacter);
        }
        if !trimmed.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(KeyError::NotPrintableAscii);
        }
        if trimmed.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Key {
            bytes: trimmed.as_bytes().into(),
            mac: Box::new(keyed_hmac(trimmed.as_bytes())),
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
                var: crate::protocol::shown::shown_name(var, &[]),
            }),
            Err(std::env::VarError::NotUnicode(raw)) => {
                let mut bytes = raw.into_encoded_bytes();
                bytes.zeroize();
                Err(KeyError::EnvNotUnicode {
                    var: crate::protocol::shown::shown_name(var, &[]),
                })
            }
        }
    }

    /// Reads a key from a file holding it as one line of text (surrounding spaces and the
    /// final line break are trimmed).
    ///
    /// The file must be a regular file (it is opened without blocking: a FIFO or a device
    /// is refused at once) of at most [`MAX_KEY_FILE_LEN`] bytes; it is read into one
    /// buffer sized once and wiped afterwards.
    ///
    /// # Errors
    /// [`KeyError::File`] when the file cannot be read or is not a regular file (the
    /// reason as the operating system puts it), [`KeyError::FileTooLarge`] above
    /// [`MAX_KEY_FILE_LEN`], [`KeyError::FileNotUtf8`], and the errors of [`Key::new`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Key, KeyError> {
        let path = path.as_ref();
        let raw = read_bounded(path, MAX_KEY_FILE_LEN).map_err(|e| match e {
            ReadError::TooLarge => KeyError::FileTooLarge {
                path: crate::protocol::shown::shown_path(path),
            },
            other => KeyError::File {
                path: crate::protocol::shown::shown_path(path),
                reason: other.reason(MAX_KEY_FILE_LEN),
            },
        })?;
        let text = core::str::from_utf8(&raw).map_err(|_| KeyError::FileNotUtf8 {
            path: crate::protocol::shown::shown_path(path),
        })?;
        Key::new(text)
    }

    /// The key's bytes. Crate-private on purpose: grep for `expose(` to audit every use.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.bytes
    }

    /// A fresh HMAC-SHA-256 keyed with this key (a copy of the state computed once when
    /// the key was built). Crate-private, like [`Key::expose`].
    #[inline]
    pub(crate) fn mac(&self) -> HmacSha256 {
        HmacSha256::clone(&self.mac)
    }

    /// Whether two keys are equal, in constant time (for the config check that test and
    /// production keys differ).
    pub(crate) fn same_as(&self, other: &Key) -> bool {
        use subtle::ConstantTimeEq;
        self.bytes.len() == other.bytes.len() && bool::from(self.bytes.ct_eq(&other.bytes))
    }
}

/// HMAC-SHA-256 keyed with `key` (HMAC takes keys of any length).
pub(crate) fn keyed_hmac(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC accepts every key length; keep a total function anyway.
        Err(_) => <HmacSha256 as KeyInit>::new(&Default::default()),
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
        deserializer.deserialize_string(SecretVisitor)
    }
}

/// Builds a [`SecretString`] from a string and refuses anything else with an error that
/// says what was found but never holds it: serde's own visitors put the value in their
/// error message (`invalid type: integer 1122334455667788`), which a config's error path
/// would then free unwiped, or print.
struct SecretVisitor;

/// The `visit_*` methods of a visitor that refuses every non-string scalar with an error
/// naming only the kind of value found (`invalid type: integer, expected ...`): serde's
/// default methods would quote the value.
macro_rules! refuse_scalars_without_value {
    ($($method:ident($ty:ty) => $kind:literal),* $(,)?) => {$(
        fn $method<E: serde::de::Error>(self, _: $ty) -> Result<Self::Value, E> {
            Err(E::invalid_type(serde::de::Unexpected::Other($kind), &self))
        }
    )*};
}

/// The scalars no secret is written as, for `refuse_scalars_without_value`.
macro_rules! refuse_non_string_scalars {
    () => {
        refuse_scalars_without_value! {
            visit_bool(bool) => "boolean",
            visit_i64(i64) => "integer",
            visit_u64(u64) => "integer",
            visit_i128(i128) => "integer",
            visit_u128(u128) => "integer",
            visit_f64(f64) => "floating point",
            visit_bytes(&[u8]) => "bytes",
        }
    };
}

impl serde::de::Visitor<'_> for SecretVisitor {
    type Value = SecretString;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretString, E> {
        Ok(SecretString::new(v.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SecretString, E> {
        Ok(SecretString::new(v))
    }
    fn visit_char<E: serde::de::Error>(self, v: char) -> Result<SecretString, E> {
        Ok(SecretString::new(v.to_string()))
    }
    refuse_non_string_scalars!();
}

/// Deserializes a list of secrets (`previous_production_keys`) whose errors never hold a
/// value: a string given where the list goes is refused as "a string", not quoted.
pub(crate) fn secret_list<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<SecretString>, D::Error> {
    struct ListVisitor;
    impl<'de> serde::de::Visitor<'de> for ListVisitor {
        type Value = Vec<SecretString>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of strings")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<SecretString>, A::Error> {
            // Growing this vector moves `SecretString`s (pointers), never key bytes.
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(secret) = seq.next_element()? {
                out.push(secret);
            }
            Ok(out)
        }
        refuse_scalars_without_value! { visit_str(&str) => "string" }
        refuse_non_string_scalars!();
    }
    deserializer.deserialize_seq(ListVisitor)
}
