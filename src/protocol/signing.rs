//! The signing machinery: the `vads_` fields of a [`SignedFields`] table streamed into the
//! hash, [`sign`], the check of a received signature, and the masked diagnostic. No heap
//! on the signing and verifying paths.
//!
//! There is exactly one definition of the signing string, [`write_signing_string`], used by
//! signing, by verification and by the diagnostic, so they cannot drift apart.

use crate::protocol::algorithm::Algorithm;
use crate::protocol::body::Field;
use crate::protocol::error::{SignError, VerifyError};
use crate::protocol::key::{HmacSha256, Key};
use crate::protocol::limits::MAX_FIELDS;
use crate::protocol::percent::hex_pair;
use crate::protocol::percent::DecodedSink as _;
use crate::protocol::signature::{RawDigest, Signature};
use crate::protocol::table::{SignedFields, SortedFields};
use hmac::Mac;
use sha1::Digest;
use subtle::ConstantTimeEq;

/// What the key is replaced by in the diagnostic signing string (same length whatever the
/// key, so that the mask does not tell the key's length).
pub const KEY_MASK: &str = "****************";

/// Something the signing string is fed into.
pub(crate) trait Sink {
    fn feed(&mut self, bytes: &[u8]);
}

impl Sink for HmacSha256 {
    #[inline]
    fn feed(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for sha1::Sha1 {
    #[inline]
    fn feed(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

impl Sink for Vec<u8> {
    fn feed(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The signing string (protocol section 2): the decoded values of `fields` (the `vads_`
/// fields, sorted by name, de-duplicated: a [`SignedFields`]) joined with `+`, then `+`
/// and the key.
///
/// Values and separators are gathered in a stack buffer so that the hash is fed in large
/// contiguous runs (one `update` per few hundred bytes rather than per piece); the key goes
/// to the sink directly, so the buffer never holds it.
///
/// # Errors
/// [`VerifyError::MalformedBody`] when a value the parser left unchecked is malformed
/// (only fields of a received body can be; literal fields given to the signer cannot).
pub(crate) fn write_signing_string<S: Sink>(
    fields: SignedFields<'_, '_>,
    key: &[u8],
    sink: &mut S,
) -> Result<(), VerifyError> {
    let mut out = Buffered::new(sink);
    for field in fields.iter() {
        field.decode_value_to(&mut out)?;
        out.byte(b'+');
    }
    out.flush();
    sink.feed(key);
    Ok(())
}

impl<S: Sink> crate::protocol::percent::DecodedSink for Buffered<'_, S> {
    #[inline]
    fn run(&mut self, bytes: &[u8]) {
        self.feed(bytes);
    }

    #[inline]
    fn byte(&mut self, byte: u8) {
        if self.len == BUFFER {
            self.flush();
        }
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }
}

const BUFFER: usize = 512;

/// Decoded values on their way to a [`Sink`]. It never holds a key (nothing to wipe).
struct Buffered<'s, S: Sink> {
    sink: &'s mut S,
    buf: [u8; BUFFER],
    len: usize,
}

impl<'s, S: Sink> Buffered<'s, S> {
    fn new(sink: &'s mut S) -> Self {
        Buffered {
            sink,
            buf: [0u8; BUFFER],
            len: 0,
        }
    }

    #[inline]
    fn feed(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            self.flush();
            if bytes.len() >= BUFFER {
                self.sink.feed(bytes);
            } else if let Some(dst) = self.buf.get_mut(..bytes.len()) {
                dst.copy_from_slice(bytes);
                self.len = bytes.len();
            }
        }
    }

    /// Feeds what is buffered to the sink.
    fn flush(&mut self) {
        if self.len > 0 {
            self.sink.feed(self.buf.get(..self.len).unwrap_or_default());
            self.len = 0;
        }
    }
}

/// Whether `received` (32 bytes) is the HMAC-SHA-256, keyed with `key`, of the decoded
/// value of `answer` (a REST answer's `kr-answer`, after URL decoding). Compared in
/// constant time; no heap.
///
/// The text is hashed exactly as received first. Only when that does not match and the
/// text holds a JSON `\/` escape is it hashed again with each such escape written as `/`
/// (protocol section 7, "Escaped slashes": the platform signs plain slashes, some servers
/// escape them on the way). The second pass is JSON-aware ([`SlashUnescaper`]): in `\\/`
/// the backslash pair is an escaped backslash and the slash after it stays as it is.
///
/// # Errors
/// [`VerifyError::MalformedBody`] when the value was left unchecked and is malformed.
pub(crate) fn rest_hash_matches(
    key: &Key,
    answer: &Field<'_>,
    received: &[u8],
) -> Result<bool, VerifyError> {
    let mut mac = key.mac();
    let mut out = Buffered::new(&mut mac);
    answer.decode_value_to(&mut out)?;
    out.flush();
    if mac.verify_slice(received).is_ok() {
        return Ok(true);
    }
    let mut mac = key.mac();
    let mut unescaper = SlashUnescaper::new(&mut mac);
    let mut out = Buffered::new(&mut unescaper);
    answer.decode_value_to(&mut out)?;
    out.flush();
    if !unescaper.finish() {
        // No `\/` escape: the second text is the first, already refused.
        return Ok(false);
    }
    Ok(mac.verify_slice(received).is_ok())
}

/// A [`Sink`] that passes JSON text on with each `\/` escape written as `/`, and every
/// other byte (other escapes included) unchanged. Streamed: a backslash is held until the
/// byte after it is known, so a `\/` split across two `feed` calls is still seen.
///
/// JSON-aware at the level that matters: a backslash starts an escape of exactly one more
/// byte (`\\`, `\"`, `\/`, `\n`, ... or the `u` of `\uXXXX`, whose hex digits are
/// plain bytes), so the `/` of `\\/` follows a completed escape and is kept with the
/// escaped backslash before it.
pub(crate) struct SlashUnescaper<'s, S: Sink> {
    sink: &'s mut S,
    /// A backslash was read and not yet passed on: the previous byte opened an escape.
    pending_backslash: bool,
    /// At least one `\/` escape was written as `/`.
    unescaped: bool,
}

impl<'s, S: Sink> SlashUnescaper<'s, S> {
    pub(crate) fn new(sink: &'s mut S) -> Self {
        SlashUnescaper {
            sink,
            pending_backslash: false,
            unescaped: false,
        }
    }

    /// Passes on a backslash still held (a text ending in a lone backslash is not JSON,
    /// but it is passed on as received); returns whether any `\/` was unescaped.
    pub(crate) fn finish(&mut self) -> bool {
        if self.pending_backslash {
            self.pending_backslash = false;
            self.sink.feed(b"\\");
        }
        self.unescaped
    }
}

impl<S: Sink> Sink for SlashUnescaper<'_, S> {
    fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        if self.pending_backslash {
            let Some((&first, tail)) = rest.split_first() else {
                return;
            };
            self.pending_backslash = false;
            if first == b'/' {
                self.unescaped = true;
                self.sink.feed(b"/");
            } else {
                self.sink.feed(&[b'\\', first]);
            }
            rest = tail;
        }
        // Runs between backslashes go on whole; each escape is looked at once.
        while let Some(at) = rest.iter().position(|&b| b == b'\\') {
            let (run, escape) = rest.split_at(at);
            if !run.is_empty() {
                self.sink.feed(run);
            }
            match escape.get(1) {
                Some(b'/') => {
                    self.unescaped = true;
                    self.sink.feed(b"/");
                }
                Some(&next) => self.sink.feed(&[b'\\', next]),
                None => {
                    self.pending_backslash = true;
                    return;
                }
            }
            rest = escape.get(2..).unwrap_or_default();
        }
        if !rest.is_empty() {
            self.sink.feed(rest);
        }
    }
}

/// The HMAC-SHA-256 of `text` keyed with `key`: a REST answer's `kr-hash` before hex.
#[cfg(feature = "testing")]
pub(crate) fn rest_hash(key: &Key, text: &[u8]) -> [u8; 32] {
    let mut mac = key.mac();
    mac.update(text);
    mac.finalize().into_bytes().into()
}

/// Computes the raw digest of the signing string.
pub(crate) fn digest(algorithm: Algorithm, fields: SignedFields<'_, '_>, key: &Key) -> RawDigest {
    match algorithm {
        // The signer's fields are literal (never "unchecked"): writing cannot fail.
        Algorithm::HmacSha256 => {
            let mut mac = key.mac();
            let _literal = write_signing_string(fields, key.expose(), &mut mac);
            RawDigest::HmacSha256(mac.finalize().into_bytes().into())
        }
        Algorithm::Sha1 => {
            let mut h = sha1::Sha1::new();
            let _literal = write_signing_string(fields, key.expose(), &mut h);
            RawDigest::Sha1(h.finalize().into())
        }
    }
}

/// Collects the `vads_` fields of `fields` on the stack, sorts them, and runs `f` over
/// them. No heap.
///
/// The table is sized to the input: 16 fields first (a checkout form has 10–20), then 64
/// (a form with a small cart), then [`MAX_FIELDS`]; each larger table is set up only when
/// the smaller one is full (zeroing the largest for a small form would cost about as much
/// as its hash).
fn with_sorted<'a, I, T>(
    fields: I,
    f: impl FnOnce(SignedFields<'_, '_>) -> T,
) -> Result<T, SignError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut it = fields
        .into_iter()
        .filter(|(n, _)| n.starts_with("vads_"))
        .map(|(name, value)| Field::plain(name, value));
    let mut small = [Field::EMPTY; 16];
    match fill(&mut small, &[], None, &mut it) {
        Fill::Done(0) => Err(SignError::NothingToSign),
        Fill::Done(n) => sorted_then(&small, n, &mut [0; 16], f),
        Fill::Full(extra) => with_sorted_large(&small, extra, it, f),
    }
}

/// More than 16 `vads_` fields: a table of 64, then one of [`MAX_FIELDS`].
#[cold]
#[inline(never)]
fn with_sorted_large<'a, T>(
    small: &[Field<'a>],
    extra: Field<'a>,
    mut it: impl Iterator<Item = Field<'a>>,
    f: impl FnOnce(SignedFields<'_, '_>) -> T,
) -> Result<T, SignError> {
    let mut medium = [Field::EMPTY; 64];
    let extra = match fill(&mut medium, small, Some(extra), &mut it) {
        Fill::Done(n) => return sorted_then(&medium, n, &mut [0; 64], f),
        Fill::Full(extra) => extra,
    };
    let mut large = [Field::EMPTY; MAX_FIELDS];
    match fill(&mut large, &medium, Some(extra), &mut it) {
        Fill::Done(n) => sorted_then(&large, n, &mut [0; MAX_FIELDS], f),
        Fill::Full(_) => Err(SignError::TooManyFields),
    }
}

/// What [`fill`] did: took every field (how many are in the table), or found the table
/// full with this field still to place.
enum Fill<'a> {
    Done(usize),
    Full(Field<'a>),
}

/// Fills `table` with `first`, then `extra`, then the fields of `it`.
fn fill<'a>(
    table: &mut [Field<'a>],
    first: &[Field<'a>],
    extra: Option<Field<'a>>,
    it: &mut impl Iterator<Item = Field<'a>>,
) -> Fill<'a> {
    let mut n = first.len().min(table.len());
    if let (Some(dst), Some(src)) = (table.get_mut(..n), first.get(..n)) {
        dst.copy_from_slice(src);
    }
    if let Some(extra) = extra {
        match table.get_mut(n) {
            Some(slot) => *slot = extra,
            None => return Fill::Full(extra),
        }
        n += 1;
    }
    for slot in table.get_mut(n..).unwrap_or_default() {
        match it.next() {
            Some(field) => {
                *slot = field;
                n += 1;
            }
            None => return Fill::Done(n),
        }
    }
    match it.next() {
        Some(field) => Fill::Full(field),
        None => Fill::Done(n),
    }
}

/// Sorts the first `n` fields of `table` (their order into `keys`) and runs `f` over
/// the `vads_` ones, in signing order.
fn sorted_then<T>(
    table: &[Field<'_>],
    n: usize,
    keys: &mut [crate::protocol::table::SortKey],
    f: impl FnOnce(SignedFields<'_, '_>) -> T,
) -> Result<T, SignError> {
    let table = table.get(..n).ok_or(SignError::TooManyFields)?;
    let sorted = SortedFields::sort(table, keys).map_err(|_| SignError::DuplicateField)?;
    Ok(f(sorted.vads()))
}

/// Signs a set of fields (protocol section 2).
///
/// `fields` are `(name, value)` pairs in any order, with the values as the form sends them
/// (not URL-encoded). Only names starting with `vads_` (case-sensitive) are signed; the
/// others, `signature` included, are ignored. Values are signed exactly as given: empty
/// values count, nothing is trimmed (see [`crate::app::form`] for a builder that normalises).
///
/// No heap allocation: the fields are ordered in a fixed-size array on the stack and
/// their values streamed into the hash.
///
/// # Errors
/// [`SignError::NothingToSign`] without any `vads_` field, [`SignError::TooManyFields`]
/// beyond [`MAX_FIELDS`] `vads_` fields (nothing is truncated),
/// [`SignError::DuplicateField`] when a `vads_` name appears twice.
///
/// ```
/// use vads::{sign, Algorithm, Key};
/// let key: Key = "1122334455667788".parse()?;
/// let fields = [
///     ("vads_version", "V2"), ("vads_site_id", "12345678"), ("vads_ctx_mode", "TEST"),
///     ("vads_trans_id", "123456"), ("vads_trans_date", "20170129130025"),
///     ("vads_amount", "5124"), ("vads_currency", "978"), ("vads_action_mode", "INTERACTIVE"),
///     ("vads_page_action", "PAYMENT"), ("vads_payment_config", "SINGLE"),
///     ("submit", "Pay"), // ignored: not a vads_ field
/// ];
/// let signature = sign(fields, &key, Algorithm::HmacSha256)?;
/// assert_eq!(signature.as_str(), "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=");
/// let legacy = sign(fields, &key, Algorithm::Sha1)?;
/// assert_eq!(legacy.as_str(), "59c96b34c74b9375c332b0b6a32e6deeec87de2b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign<'a, I>(fields: I, key: &Key, algorithm: Algorithm) -> Result<Signature, SignError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    with_sorted(fields, |sorted| {
        Signature::encode(digest(algorithm, sorted, key))
    })
}

/// The signing string of `fields`, with the key replaced by [`KEY_MASK`]: what a developer
/// compares with the platform's "signature error" e-mail, which shows its own signing
/// string with the key masked. This diagnostic allocates.
///
/// # Errors
/// As [`sign`].
///
/// ```
/// let s = vads::signing_string_masked([("vads_amount", "5124"), ("vads_action_mode", "INTERACTIVE"), ("other", "x")])?;
/// assert_eq!(s, "INTERACTIVE+5124+****************");
/// # Ok::<(), vads::SignError>(())
/// ```
pub fn signing_string_masked<'a, I>(fields: I) -> Result<String, SignError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    with_sorted(fields, masked_string)
}

/// The masked signing string of a table of `vads_` fields.
pub(crate) fn masked_string(sorted: SignedFields<'_, '_>) -> String {
    let mut out = Vec::new();
    // Fields here are literal or were validated by `body::parse`: writing cannot fail.
    let _validated = write_signing_string(sorted, KEY_MASK.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks a received signature (decoded text) against the fields with one key: constant
/// time, via `Mac::verify_slice` for HMAC and `subtle` for SHA-1. No heap.
///
/// # Errors
/// [`VerifyError::MalformedBody`] when a field's value is malformed.
pub(crate) fn verify_with_key(
    algorithm: Algorithm,
    fields: SignedFields<'_, '_>,
    key: &Key,
    received: &[u8],
) -> Result<bool, VerifyError> {
    match algorithm {
        Algorithm::HmacSha256 => {
            use base64::Engine;
            let mut tag = [0u8; 33];
            // A base64 signature of 32 bytes is 44 characters; anything else cannot match
            // (the fields are still hashed, so that a malformed body is reported as such).
            let n = if received.len() == 44 {
                base64::engine::general_purpose::STANDARD
                    .decode_slice(received, &mut tag)
                    .unwrap_or(0)
            } else {
                0
            };
            let mut mac = key.mac();
            write_signing_string(fields, key.expose(), &mut mac)?;
            Ok(n == 32
                && tag
                    .get(..n)
                    .is_some_and(|tag| mac.verify_slice(tag).is_ok()))
        }
        Algorithm::Sha1 => {
            let mut want = [0u8; 20];
            let mut shape_ok = received.len() == 40;
            for (dst, pair) in want.iter_mut().zip(received.chunks_exact(2)) {
                match hex_pair(pair) {
                    Some(b) => *dst = b,
                    None => shape_ok = false,
                }
            }
            let mut h = sha1::Sha1::new();
            write_signing_string(fields, key.expose(), &mut h)?;
            let got: [u8; 20] = h.finalize().into();
            Ok(shape_ok && bool::from(got.ct_eq(&want)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Sink, SlashUnescaper};

    /// The naive JSON-aware rule, character by character: `\/` becomes `/`, any other
    /// escape (`\\` included) is kept with the byte it escapes.
    fn naive(text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'\\' && i + 1 < text.len() {
                if text[i + 1] != b'/' {
                    out.push(b'\\');
                }
                out.push(text[i + 1]);
                i += 2;
            } else {
                out.push(text[i]);
                i += 1;
            }
        }
        out
    }

    fn streamed(chunks: &[&[u8]]) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut u = SlashUnescaper::new(&mut out);
        for chunk in chunks {
            u.feed(chunk);
        }
        let unescaped = u.finish();
        (out, unescaped)
    }

    #[test]
    fn escaped_slashes_become_plain_and_nothing_else_changes() {
        for (text, want, unescaped) in [
            (&br#""V4\/Payment""#[..], &br#""V4/Payment""#[..], true),
            (br#""a\\/b""#, br#""a\\/b""#, false),
            (br#""a\\\/b""#, br#""a\\/b""#, true),
            (br#""\u002F\"\n\\""#, br#""\u002F\"\n\\""#, false),
            (br#"\/\/"#, b"//", true),
            (b"no escape at all", b"no escape at all", false),
            (b"ends in \\", b"ends in \\", false),
            (b"", b"", false),
        ] {
            assert_eq!(streamed(&[text]), (want.to_vec(), unescaped), "{text:?}");
            assert_eq!(naive(text), want, "{text:?}");
        }
    }

    /// Every way of cutting a text into two or three feeds gives what the naive rule does.
    #[test]
    fn any_split_gives_the_naive_result() {
        let texts: [&[u8]; 4] = [
            br#"{"a":"x\/y\\/z\\\/w","b":"\\\\/"}"#,
            br#"\\\\\/\/\\"#,
            br#"{"_type":"V4\/Customer\/BillingDetails"}"#,
            br#"\"\/\u005C/"#,
        ];
        for text in texts {
            let want = naive(text);
            for i in 0..=text.len() {
                for j in i..=text.len() {
                    let (out, unescaped) = streamed(&[&text[..i], &text[i..j], &text[j..]]);
                    assert_eq!(out, want, "{text:?} cut at {i}, {j}");
                    assert_eq!(unescaped, want != text, "{text:?}");
                }
            }
        }
    }
}
