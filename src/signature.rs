//! The signer: sort the `vads_` fields and stream their values into the hash. No heap.
//!
//! There is exactly one definition of the signing string, [`write_signing_string`], used by
//! signing, by verification and by the diagnostic, so they cannot drift apart.

use crate::algorithm::Algorithm;
use crate::body::DecodedSink as _;
use crate::body::{RawField, MAX_FIELDS};
use crate::error::{SignError, VerifyError};
use crate::key::Key;
use core::cmp::Ordering;
use core::fmt;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Digest;
use subtle::ConstantTimeEq;

pub(crate) type HmacSha256 = Hmac<sha2::Sha256>;

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

/// The signing string (protocol section 2): the decoded values of `fields` (already the
/// `vads_` fields, sorted by name) joined with `+`, then `+` and the key.
///
/// Values and separators are gathered in a stack buffer so that the hash is fed in large
/// contiguous runs (one `update` per few hundred bytes rather than per piece).
///
/// # Errors
/// [`VerifyError::MalformedBody`] when a value the parser left unchecked is malformed
/// (only fields of a received body can be; literal fields given to the signer cannot).
pub(crate) fn write_signing_string<S: Sink>(
    fields: &[RawField<'_>],
    key: &[u8],
    sink: &mut S,
) -> Result<(), VerifyError> {
    let mut out = Buffered {
        sink,
        buf: [0u8; BUFFER],
        len: 0,
        used: 0,
    };
    for field in fields {
        field.decode_value_to(&mut out)?;
        out.byte(b'+');
    }
    out.feed(key);
    out.flush();
    Ok(())
}

impl<S: Sink> crate::body::DecodedSink for Buffered<'_, S> {
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

struct Buffered<'s, S: Sink> {
    sink: &'s mut S,
    buf: [u8; BUFFER],
    len: usize,
    /// High-water mark of `buf`, to wipe no more than was written.
    used: usize,
}

impl<S: Sink> Buffered<'_, S> {
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

    fn flush(&mut self) {
        self.used = self.used.max(self.len);
        if self.len > 0 {
            self.sink.feed(self.buf.get(..self.len).unwrap_or_default());
            self.len = 0;
        }
    }
}

impl<S: Sink> Drop for Buffered<'_, S> {
    fn drop(&mut self) {
        // The buffer may hold the key: wipe what was written.
        self.used = self.used.max(self.len);
        if let Some(written) = self.buf.get_mut(..self.used) {
            zeroize::Zeroize::zeroize(written);
        }
    }
}

/// Sorts fields by decoded name in byte order. Fails on a duplicate name.
pub(crate) fn sort_fields(fields: &mut [RawField<'_>]) -> Result<(), Duplicate> {
    // Fast path: fields that already arrive in order (strictly: that also proves there is
    // no duplicate).
    let mut in_order = true;
    for pair in fields.windows(2) {
        if let [a, b] = pair {
            match a.cmp_names(b) {
                Ordering::Less => {}
                Ordering::Equal => return Err(Duplicate),
                Ordering::Greater => {
                    in_order = false;
                    break;
                }
            }
        }
    }
    if in_order {
        return Ok(());
    }
    if fields.len() <= KEYED_SORT_MAX && fields.iter().all(|f| !f.name_escaped()) {
        return keyed_sort(fields);
    }
    fields.sort_unstable_by(RawField::cmp_names);
    for pair in fields.windows(2) {
        if let [a, b] = pair {
            if a.cmp_names(b) == Ordering::Equal {
                return Err(Duplicate);
            }
        }
    }
    Ok(())
}

/// The most fields [`keyed_sort`] handles.
const KEYED_SORT_MAX: usize = 128;

/// Sorts unescaped names by an 8-byte integer key (the name's bytes after the prefix they
/// all share, such as `vads_`), comparing whole names only on equal keys, then moves the
/// fields into place along the cycles of the permutation. Cheaper than sorting the fields
/// with slice comparisons once there are dozens of them.
fn keyed_sort(fields: &mut [RawField<'_>]) -> Result<(), Duplicate> {
    let skip = if fields.iter().all(|f| f.raw_name().starts_with(b"vads_")) {
        5
    } else {
        0
    };
    let mut keys = [(0u64, 0u8); KEYED_SORT_MAX];
    for ((key, index), (i, field)) in keys.iter_mut().zip(fields.iter().enumerate()) {
        let mut word = [0u8; 8];
        let name = field.raw_name().get(skip..).unwrap_or_default();
        for (dst, src) in word.iter_mut().zip(name) {
            *dst = *src;
        }
        *key = u64::from_be_bytes(word);
        *index = u8::try_from(i).unwrap_or(u8::MAX);
    }
    let keys = keys.get_mut(..fields.len()).unwrap_or_default();
    let full = |a: u8, b: u8| match (fields.get(usize::from(a)), fields.get(usize::from(b))) {
        (Some(x), Some(y)) => x.cmp_names(y),
        _ => Ordering::Equal,
    };
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| full(a.1, b.1)));
    for pair in keys.windows(2) {
        if let [a, b] = pair {
            if a.0 == b.0 && full(a.1, b.1) == Ordering::Equal {
                return Err(Duplicate);
            }
        }
    }
    // Position k receives the field at keys[k].1: follow each cycle of the permutation.
    let mut placed = [false; KEYED_SORT_MAX];
    for start in 0..fields.len() {
        if placed.get(start).copied().unwrap_or(true) {
            continue;
        }
        let Some(saved) = fields.get(start).copied() else {
            break;
        };
        let mut cur = start;
        loop {
            if let Some(p) = placed.get_mut(cur) {
                *p = true;
            }
            let next = keys.get(cur).map_or(start, |k| usize::from(k.1));
            if next == start {
                if let Some(slot) = fields.get_mut(cur) {
                    *slot = saved;
                }
                break;
            }
            let moved = fields.get(next).copied();
            if let (Some(slot), Some(moved)) = (fields.get_mut(cur), moved) {
                *slot = moved;
            }
            cur = next;
        }
    }
    Ok(())
}

/// A duplicate field name was found while sorting.
#[derive(Debug)]
pub(crate) struct Duplicate;

/// The `vads_` fields of a sorted slice (they are contiguous: `vads_` ≤ name < ``vads` ``).
pub(crate) fn vads_range<'s, 'a>(sorted: &'s [RawField<'a>]) -> &'s [RawField<'a>] {
    let start = sorted.partition_point(|f| f.cmp_name_to(b"vads_") == Ordering::Less);
    let end = sorted.partition_point(|f| f.cmp_name_to(b"vads`") == Ordering::Less);
    sorted.get(start..end).unwrap_or_default()
}

/// A new HMAC-SHA-256 keyed with `key` (HMAC takes keys of any length).
pub(crate) fn new_hmac(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC accepts every key length; keep a total function anyway.
        Err(_) => <HmacSha256 as KeyInit>::new(&Default::default()),
    }
}

/// Computes the raw digest of the signing string.
pub(crate) fn digest(algorithm: Algorithm, fields: &[RawField<'_>], key: &[u8]) -> RawDigest {
    match algorithm {
        // The signer's fields are literal (never "unchecked"): writing cannot fail.
        Algorithm::HmacSha256 => {
            let mut mac = new_hmac(key);
            let _literal = write_signing_string(fields, key, &mut mac);
            RawDigest::HmacSha256(mac.finalize().into_bytes().into())
        }
        Algorithm::Sha1 => {
            let mut h = sha1::Sha1::new();
            let _literal = write_signing_string(fields, key, &mut h);
            RawDigest::Sha1(h.finalize().into())
        }
    }
}

/// A digest before encoding.
pub(crate) enum RawDigest {
    HmacSha256([u8; 32]),
    Sha1([u8; 20]),
}

/// Fields a signing call holds in its small stack table before it moves to one of
/// [`MAX_FIELDS`] (a payment form has 10–40 `vads_` fields; zeroing a 512-entry table
/// would cost more than the hash of a small form).
const SMALL_TABLE: usize = 48;

/// Collects the `vads_` fields of `fields` on the stack, sorts them, and runs `f` over
/// them. No heap.
fn with_sorted<'a, I, T>(fields: I, f: impl FnOnce(&[RawField<'_>]) -> T) -> Result<T, SignError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut it = fields.into_iter().filter(|(n, _)| n.starts_with("vads_"));
    let mut small = [RawField::EMPTY; SMALL_TABLE];
    let mut n = 0usize;
    for slot in small.iter_mut() {
        match it.next() {
            Some((name, value)) => {
                *slot = RawField::plain(name, value);
                n += 1;
            }
            None => break,
        }
    }
    match it.next() {
        None => {
            let sorted = small.get_mut(..n).ok_or(SignError::TooManyFields)?;
            sort_fields(sorted).map_err(|_| SignError::DuplicateField)?;
            Ok(f(sorted))
        }
        Some(extra) => with_sorted_large(&small, extra, it, f),
    }
}

/// The rare case of more than [`SMALL_TABLE`] `vads_` fields.
#[cold]
#[inline(never)]
fn with_sorted_large<'a, T>(
    first: &[RawField<'a>],
    extra: (&'a str, &'a str),
    rest: impl Iterator<Item = (&'a str, &'a str)>,
    f: impl FnOnce(&[RawField<'_>]) -> T,
) -> Result<T, SignError> {
    let mut table = [RawField::EMPTY; MAX_FIELDS];
    let mut n = 0usize;
    for (slot, field) in table.iter_mut().zip(first) {
        *slot = *field;
        n += 1;
    }
    for (name, value) in core::iter::once(extra).chain(rest) {
        let slot = table.get_mut(n).ok_or(SignError::TooManyFields)?;
        *slot = RawField::plain(name, value);
        n += 1;
    }
    let sorted = table.get_mut(..n).ok_or(SignError::TooManyFields)?;
    sort_fields(sorted).map_err(|_| SignError::DuplicateField)?;
    Ok(f(sorted))
}

/// Signs a set of fields (protocol section 2).
///
/// `fields` are `(name, value)` pairs in any order, with the values as the form sends them
/// (not URL-encoded). Only names starting with `vads_` (case-sensitive) are signed; the
/// others, `signature` included, are ignored. Values are signed exactly as given: empty
/// values count, nothing is trimmed (see [`crate::form`] for a builder that normalises).
///
/// No heap allocation: the fields are ordered in a fixed-size array on the stack and
/// their values streamed into the hash.
///
/// # Errors
/// [`SignError::TooManyFields`] beyond [`MAX_FIELDS`] `vads_` fields (nothing is
/// truncated), [`SignError::DuplicateField`] when a `vads_` name appears twice.
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
        Signature::encode(digest(algorithm, sorted, key.expose()))
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

/// The masked signing string of already sorted `vads_` fields.
pub(crate) fn masked_string(sorted: &[RawField<'_>]) -> String {
    let mut out = Vec::new();
    // Fields here are literal or were validated by `body::parse`: writing cannot fail.
    let _validated = write_signing_string(sorted, KEY_MASK.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
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

/// Checks a received signature (decoded text) against the fields with one key: constant
/// time, via `Mac::verify_slice` for HMAC and `subtle` for SHA-1. No heap.
///
/// # Errors
/// [`VerifyError::MalformedBody`] when a field's value is malformed.
pub(crate) fn verify_with_key(
    algorithm: Algorithm,
    fields: &[RawField<'_>],
    key: &[u8],
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
            let mut mac = new_hmac(key);
            write_signing_string(fields, key, &mut mac)?;
            Ok(n == 32
                && tag
                    .get(..n)
                    .is_some_and(|tag| mac.verify_slice(tag).is_ok()))
        }
        Algorithm::Sha1 => {
            let mut want = [0u8; 20];
            let mut shape_ok = received.len() == 40;
            for (dst, pair) in want.iter_mut().zip(received.chunks_exact(2)) {
                match crate::body::hex_pair(pair) {
                    Some(b) => *dst = b,
                    None => shape_ok = false,
                }
            }
            let mut h = sha1::Sha1::new();
            write_signing_string(fields, key, &mut h)?;
            let got: [u8; 20] = h.finalize().into();
            Ok(shape_ok && bool::from(got.ct_eq(&want)))
        }
    }
}
