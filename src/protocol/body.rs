//! A zero-copy, strict parser of `application/x-www-form-urlencoded` bodies (its
//! percent-decoder is `percent.rs`, its byte searches `bytes.rs`).
//!
//! In the style of `httparse`, [`parse`] borrows from the body and writes into storage the
//! caller provides; running out of room is [`VerifyError::TooManyFields`], never a
//! reallocation. Nothing here allocates, except [`RawField::name`] and [`RawField::value`]
//! when (and only when) the text contains escapes.
//!
//! Strictness (the reason not to use a lenient decoder for verification):
//! - every `%` must be followed by two hexadecimal digits (`%G0`, a final `%0`, a lone `%`
//!   are [`VerifyError::MalformedBody`]);
//! - raw control characters (bytes below `0x20`, and `0x7F`) are malformed;
//! - every decoded name and value must be valid UTF-8;
//! - `+` decodes to a space, `%2B` to a plus;
//! - empty segments (`a=1&&b=2`, a trailing `&`) are skipped, and a segment without `=` is a
//!   field with an empty value, as browsers and `form_urlencoded` do.
//!
//! ```
//! use vads::body::{parse, RawField};
//! let mut storage = [RawField::EMPTY; 8];
//! let fields = parse(b"vads_amount=5124&vads_cust_first_name=Ren%C3%A9+Dupont", &mut storage)?;
//! assert_eq!(fields.len(), 2);
//! assert_eq!(fields[1].name(), "vads_cust_first_name");
//! assert_eq!(fields[1].value(), "René Dupont");
//! assert!(parse(b"a=%G0", &mut storage).is_err());
//! # Ok::<(), vads::VerifyError>(())
//! ```

use crate::protocol::bytes::{
    bytes_equal, cmp_bytes, find, find_amp, find_name_stop, find_part_special, find_value_stop,
    Utf8Validator,
};
use crate::protocol::error::VerifyError;
pub use crate::protocol::limits::{MAX_BODY_LEN, MAX_FIELDS};
use crate::protocol::percent::{
    decode_checked_to, decode_escape, decode_to, decoded, decoded_if, to_text, DecodedSink,
    SliceSink,
};
use core::cmp::Ordering;
use std::borrow::Cow;

const NAME_ESCAPED: u8 = 1;
const VALUE_ESCAPED: u8 = 2;
/// The value was not validated by the parser: it is validated while it is decoded into
/// the hash ([`parse_split`] leaves `vads_` values to that pass, to read them once).
const VALUE_UNCHECKED: u8 = 4;

/// One field of a body as the library handles it internally: still encoded, borrowed
/// from the body, possibly with a value that is not validated yet (`VALUE_UNCHECKED`).
///
/// It has no accessor that returns text: a value becomes readable only through
/// [`RawField`], which only [`parse`] (full validation) and a verified notification make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    name: &'a [u8],
    value: &'a [u8],
    flags: u8,
}

impl<'a> Field<'a> {
    /// An empty field, to fill storage.
    pub(crate) const EMPTY: Field<'static> = Field {
        name: b"",
        value: b"",
        flags: 0,
    };

    /// A field whose name and value are taken literally (no URL decoding): what the
    /// signer is given.
    pub(crate) fn plain(name: &'a str, value: &'a str) -> Self {
        Field {
            name: name.as_bytes(),
            value: value.as_bytes(),
            flags: 0,
        }
    }

    /// A segment of a body (`name=value`, still encoded), without validation.
    fn from_segment(segment: &'a [u8]) -> Self {
        let (name, value) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (
                segment.get(..eq).unwrap_or_default(),
                segment.get(eq + 1..).unwrap_or_default(),
            ),
            None => (segment, &b""[..]),
        };
        let mut flags = 0;
        if name.iter().any(|&b| b == b'%' || b == b'+') {
            flags |= NAME_ESCAPED;
        }
        if value.iter().any(|&b| b == b'%' || b == b'+') {
            flags |= VALUE_ESCAPED;
        }
        Field { name, value, flags }
    }

    /// The name as it appears in the body (still encoded).
    pub(crate) fn raw_name(&self) -> &'a [u8] {
        self.name
    }

    /// Whether the decoded name equals `name` (no allocation).
    pub(crate) fn name_is(&self, name: &str) -> bool {
        self.cmp_name_to(name.as_bytes()) == Ordering::Equal
    }

    /// Whether the decoded value equals `value` (no allocation). On an unchecked value
    /// this is a comparison only: a malformed value is still refused when it is hashed.
    pub(crate) fn value_is(&self, value: &str) -> bool {
        self.value_is_bytes(value.as_bytes())
    }

    /// The value as a site id, when it is 8 plain digits as received (for errors; digits
    /// need no escape, whatever the flags say).
    pub(crate) fn site_id(&self) -> Option<crate::protocol::error::SiteId> {
        crate::protocol::error::SiteId::parse(self.value)
    }

    /// [`Field::value_is`] for bytes.
    pub(crate) fn value_is_bytes(&self, value: &[u8]) -> bool {
        if self.flags & VALUE_ESCAPED == 0 {
            self.value == value
        } else {
            decoded(self.value).eq(value.iter().copied())
        }
    }

    /// Whether the name contains escapes (`%` or `+`).
    pub(crate) fn name_escaped(&self) -> bool {
        self.flags & NAME_ESCAPED != 0
    }

    /// Whether the decoded name starts with `vads_`.
    pub(crate) fn is_vads(&self) -> bool {
        if self.flags & NAME_ESCAPED == 0 {
            self.name.starts_with(b"vads_")
        } else {
            decoded(self.name).take(5).eq(b"vads_".iter().copied())
        }
    }

    /// Compares the decoded name with `other` in byte order.
    pub(crate) fn cmp_name_to(&self, other: &[u8]) -> Ordering {
        if self.flags & NAME_ESCAPED == 0 {
            cmp_bytes(self.name, other)
        } else {
            decoded(self.name).cmp(other.iter().copied())
        }
    }

    /// Compares two decoded names in byte order (the protocol's sort order).
    pub(crate) fn cmp_names(&self, other: &Field<'_>) -> Ordering {
        if (self.flags | other.flags) & NAME_ESCAPED == 0 {
            cmp_bytes(self.name, other.name)
        } else {
            decoded_if(self.name, self.flags & NAME_ESCAPED != 0)
                .cmp(decoded_if(other.name, other.flags & NAME_ESCAPED != 0))
        }
    }

    /// Feeds the decoded value to `sink`; a value the parser left unchecked is validated
    /// on the way (escapes, control characters, UTF-8).
    ///
    /// # Errors
    /// [`VerifyError::MalformedBody`] for an unchecked value that is malformed.
    #[inline]
    pub(crate) fn decode_value_to<S: DecodedSink>(&self, sink: &mut S) -> Result<(), VerifyError> {
        if self.flags & VALUE_UNCHECKED != 0 {
            decode_checked_to(self.value, sink).map_err(|e| e.in_value_of(self.name))
        } else if self.flags & VALUE_ESCAPED != 0 {
            decode_to(self.value, sink);
            Ok(())
        } else {
            sink.run(self.value);
            Ok(())
        }
    }

    /// The decoded bytes of a value the parser validated (not for an unchecked one).
    pub(crate) fn decoded_value(&self) -> impl Iterator<Item = u8> + 'a {
        decoded_if(self.value, self.flags & VALUE_ESCAPED != 0)
    }

    /// Decodes the value into `out`; `None` if it does not fit or is malformed.
    pub(crate) fn decode_value_into<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        let mut sink = SliceSink {
            out: &mut *out,
            len: 0,
            fits: true,
        };
        self.decode_value_to(&mut sink).ok()?;
        let (len, fits) = (sink.len, sink.fits);
        if fits {
            out.get(..len)
        } else {
            None
        }
    }
}

/// One field of a validated body, still encoded, borrowed from the body: what [`parse`]
/// returns. Its name and value are readable as text because the parser checked them
/// (escapes, control characters, UTF-8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawField<'a>(Field<'a>);

impl<'a> RawField<'a> {
    /// An empty field, to fill the storage given to [`parse`].
    pub const EMPTY: RawField<'static> = RawField(Field::EMPTY);

    /// A field of a body that was validated: by [`parse`], or by a verification that
    /// hashed (and so checked) every value.
    pub(crate) fn validated(field: Field<'a>) -> Self {
        RawField(Field {
            flags: field.flags & !VALUE_UNCHECKED,
            ..field
        })
    }

    /// The name as it appears in the body (still encoded).
    #[must_use]
    pub fn raw_name(&self) -> &'a [u8] {
        self.0.name
    }

    /// The value as it appears in the body (still encoded).
    #[must_use]
    pub fn raw_value(&self) -> &'a [u8] {
        self.0.value
    }

    /// The decoded name; borrowed unless it contains escapes.
    #[must_use]
    pub fn name(&self) -> Cow<'a, str> {
        to_text(self.0.name, self.0.flags & NAME_ESCAPED != 0)
    }

    /// The decoded value; borrowed unless it contains escapes.
    #[must_use]
    pub fn value(&self) -> Cow<'a, str> {
        to_text(self.0.value, self.0.flags & VALUE_ESCAPED != 0)
    }

    /// Whether the decoded name equals `name` (no allocation).
    #[must_use]
    pub fn name_is(&self, name: &str) -> bool {
        self.0.name_is(name)
    }

    /// Whether the decoded value equals `value` (no allocation).
    #[must_use]
    pub fn value_is(&self, value: &str) -> bool {
        self.0.value_is(value)
    }
}

/// Parses `body` into `storage` and returns the filled part, in body order.
///
/// # Errors
/// [`VerifyError::BodyTooLarge`] above [`MAX_BODY_LEN`], [`VerifyError::MalformedBody`]
/// (see the module's documentation), [`VerifyError::TooManyFields`] when `storage` is full.
pub fn parse<'a, 's>(
    body: &'a [u8],
    storage: &'s mut [RawField<'a>],
) -> Result<&'s mut [RawField<'a>], VerifyError> {
    parse_into(body, storage, RawField)
}

/// [`parse`] into the library's own field storage (every value validated).
pub(crate) fn parse_fields<'a, 's>(
    body: &'a [u8],
    storage: &'s mut [Field<'a>],
) -> Result<&'s mut [Field<'a>], VerifyError> {
    parse_into(body, storage, |field| field)
}

/// Validates every field of `body` and stores `wrap(field)` for each, in body order.
fn parse_into<'a, 's, T>(
    body: &'a [u8],
    storage: &'s mut [T],
    wrap: impl Fn(Field<'a>) -> T,
) -> Result<&'s mut [T], VerifyError> {
    let mut count = 0usize;
    scan(body, false, |field| {
        let slot = storage.get_mut(count).ok_or(VerifyError::TooManyFields)?;
        *slot = wrap(field);
        count += 1;
        Ok(())
    })?;
    storage.get_mut(..count).ok_or(VerifyError::TooManyFields)
}

/// Parses `body` into `storage` with the `vads_` fields at the front, in body order, and
/// the other fields at the back. Returns `(vads, others)`.
///
/// The values of `vads_` fields are left unchecked: they are validated, by the same rules,
/// while they are decoded into the hash (`Field::decode_value_to`), so that the body is
/// read once for both. Verification hashes every `vads_` value before it can accept, so a
/// malformed body is still refused (`malformed_body`).
pub(crate) fn parse_split<'a, 's>(
    body: &'a [u8],
    storage: &'s mut [Field<'a>],
) -> Result<(&'s mut [Field<'a>], &'s mut [Field<'a>]), VerifyError> {
    let mut front = 0usize;
    let mut back = storage.len();
    scan(body, true, |field| {
        if front >= back {
            return Err(VerifyError::TooManyFields);
        }
        let index = if field.is_vads() {
            front += 1;
            front - 1
        } else {
            back -= 1;
            back
        };
        let slot = storage.get_mut(index).ok_or(VerifyError::TooManyFields)?;
        *slot = field;
        Ok(())
    })?;
    let (vads, rest) = storage.split_at_mut(front.min(back));
    let others = rest
        .get_mut(back.saturating_sub(front)..)
        .ok_or(VerifyError::TooManyFields)?;
    Ok((vads, others))
}

/// The common case of [`parse_split`], for the fast path of verification: a body whose
/// every non-empty segment has a non-empty name of plain bytes (no escape, no control
/// character, ASCII) followed by `=`. Fills `vads` and `others` like [`parse_split`]
/// (`vads_` values left unchecked, every other value validated), in body order, and
/// returns how many of each.
///
/// [`Split::Full`] when a table is too small; [`Split::General`] for anything else (a
/// name to decode, a segment without `=`, a malformed value, a body too large): the
/// general parse judges those, with its error codes and their precedence. So whatever
/// this accepts, [`parse_split`] accepts with the same fields.
pub(crate) fn split_plain<'a>(
    body: &'a [u8],
    vads: &mut [Field<'a>],
    others: &mut [Field<'a>],
) -> Result<(usize, usize), Split> {
    if body.len() > MAX_BODY_LEN {
        return Err(Split::General);
    }
    let (mut n_vads, mut n_others) = (0usize, 0usize);
    let mut start = 0usize;
    while start < body.len() {
        // The name: bytes from `0` (0x30) up, but `=` (which ends it) and the bytes
        // from 0x7F (one search finds the first byte below 0x30 — `&`, `%`, `+`, control
        // characters among them — or the `=`, or a byte from 0x7F).
        let stop = find_name_stop(body, start);
        match body.get(stop) {
            Some(b'=') if stop > start => {}
            Some(b'&') if stop == start => {
                start += 1; // an empty segment (`&&`, a leading `&`): skipped
                continue;
            }
            // An empty name, a name without `=`, a byte to look at: the general parse.
            _ => return Err(Split::General),
        }
        let name = body.get(start..stop).unwrap_or_default();
        // The value: plain up to `&` unless a byte below `,` (0x2C: `&`, `%`, `+`,
        // control characters, and a few ordinary ones) or from 0x7F comes first; such a
        // value is left unchecked, to be validated where it is decoded.
        let first = find_value_stop(body, stop + 1);
        let (end, plain) = match body.get(first) {
            None | Some(b'&') => (first, true),
            Some(_) => (find_amp(body, first), false),
        };
        let value = body.get(stop + 1..end).unwrap_or_default();
        if name.starts_with(b"vads_") {
            *vads.get_mut(n_vads).ok_or(Split::Full)? = Field {
                name,
                value,
                flags: if plain {
                    0
                } else {
                    VALUE_ESCAPED | VALUE_UNCHECKED
                },
            };
            n_vads += 1;
        } else {
            let flags = part_flags(value).map_err(|_| Split::General)?;
            check_utf8(value, flags).map_err(|_| Split::General)?;
            *others.get_mut(n_others).ok_or(Split::Full)? = Field {
                name,
                value,
                flags: if flags & 1 != 0 { VALUE_ESCAPED } else { 0 },
            };
            n_others += 1;
        }
        start = end + 1;
    }
    Ok((n_vads, n_others))
}

/// Why [`split_plain`] did not split a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// A table is full: a larger one may do.
    Full,
    /// Not the common case: for the general parse.
    General,
}

/// The one scanning pass: validates `body` and calls `emit` with each field in body order.
///
/// Segments are found with an 8-bytes-at-a-time search for `&`; within a segment, the name
/// ends at the first `=`, and each part is checked by [`part_flags`], which skips ordinary
/// bytes 8 at a time and handles runs of escapes in a tight loop.
fn scan<'a>(
    body: &'a [u8],
    lazy_vads_values: bool,
    mut emit: impl FnMut(Field<'a>) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    if body.len() > MAX_BODY_LEN {
        return Err(VerifyError::BodyTooLarge);
    }
    let mut start = 0usize;
    while start <= body.len() {
        let end = find_amp(body, start);
        let segment = body.get(start..end).unwrap_or_default();
        if !segment.is_empty() {
            let eq = Some(find(segment, 0, |x| bytes_equal(x, b'='), |b| b == b'='))
                .filter(|&e| e < segment.len());
            let (name, value) = match eq {
                Some(e) => (
                    segment.get(..e).unwrap_or_default(),
                    segment.get(e + 1..).unwrap_or_default(),
                ),
                None => (segment, &b""[..]),
            };
            let name_flags = part_flags(name)?;
            check_utf8(name, name_flags)?;
            let mut field = Field {
                name,
                value,
                flags: if name_flags & 1 != 0 { NAME_ESCAPED } else { 0 },
            };
            if lazy_vads_values && field.is_vads() {
                field.flags |= VALUE_ESCAPED | VALUE_UNCHECKED;
            } else {
                let value_flags = part_flags(value)
                    .and_then(|flags| check_utf8(value, flags).map(|()| flags))
                    .map_err(|e| e.in_value_of(name))?;
                if value_flags & 1 != 0 {
                    field.flags |= VALUE_ESCAPED;
                }
            }
            emit(field)?;
        }
        start = end + 1;
    }
    Ok(())
}

/// Validates one part (a name or a value, without `&`): escapes, control characters.
/// Returns bit 0 "escaped" (needs decoding) and bit 1 "non-ASCII" (needs UTF-8
/// validation).
#[inline]
fn part_flags(part: &[u8]) -> Result<u8, VerifyError> {
    let mut flags = 0u8;
    let mut i = find_part_special(part, 0);
    while let Some(&b) = part.get(i) {
        match b {
            b'%' => {
                // A run of escapes (%C3%A9, %22%3A%22...) without going back to the search.
                let mut j = i;
                while part.get(j) == Some(&b'%') {
                    match decode_escape(part.get(j + 1..).unwrap_or_default()) {
                        None => return Err(VerifyError::MALFORMED),
                        Some(d) => flags |= if d >= 0x80 { 3 } else { 1 },
                    }
                    j += 3;
                }
                i = j;
            }
            b'+' => {
                flags |= 1;
                i += 1;
            }
            b'=' | b'&' => i += 1,
            0x80..=0xff => {
                flags |= 2;
                i += 1;
            }
            _ => return Err(VerifyError::MALFORMED), // control character
        }
        i = find_part_special(part, i);
    }
    Ok(flags)
}

fn check_utf8(part: &[u8], flags: u8) -> Result<(), VerifyError> {
    if flags & 2 == 0 {
        return Ok(()); // plain ASCII
    }
    let ok = if flags & 1 == 0 {
        core::str::from_utf8(part).is_ok()
    } else {
        let mut v = Utf8Validator::default();
        decoded(part).all(|b| v.push(b)) && v.is_complete()
    };
    if ok {
        Ok(())
    } else {
        Err(VerifyError::MALFORMED)
    }
}

/// Iterates over the fields of a body that [`parse`] accepts, or that a verification is
/// reading (no validation here: the fields give no text).
pub(crate) fn segments(body: &[u8]) -> impl Iterator<Item = Field<'_>> {
    body.split(|&b| b == b'&')
        .filter(|s| !s.is_empty())
        .map(Field::from_segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(body: &[u8]) -> Result<Vec<(String, String)>, VerifyError> {
        let mut storage = [RawField::EMPTY; 16];
        let fields = parse(body, &mut storage)?;
        Ok(fields
            .iter()
            .map(|f| (f.name().into_owned(), f.value().into_owned()))
            .collect())
    }

    #[test]
    fn decodes_plus_and_escapes() {
        assert_eq!(
            pairs(b"a=1+2%2B3&b=%C3%A9t%C3%A9&c").unwrap(),
            vec![
                ("a".into(), "1 2+3".into()),
                ("b".into(), "été".into()),
                ("c".into(), "".into())
            ]
        );
    }

    #[test]
    fn equals_sign_inside_value() {
        assert_eq!(pairs(b"a=b=c").unwrap(), vec![("a".into(), "b=c".into())]);
    }

    #[test]
    fn skips_empty_segments() {
        assert_eq!(
            pairs(b"&a=1&&b=2&").unwrap(),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(pairs(b"").unwrap(), vec![]);
    }

    #[test]
    fn rejects_bad_escapes() {
        for bad in [&b"a=%G0"[..], b"a=%0", b"a=%", b"%=1", b"a=%%41", b"a=1%2"] {
            assert!(
                matches!(pairs(bad), Err(VerifyError::MalformedBody { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rejects_control_characters_and_bad_utf8() {
        for bad in [
            &b"a=1\n"[..],
            b"a=\t",
            b"a=\x7f",
            b"a=%FF",
            b"a=%C3",
            b"a=%C3%28",
            b"a=\xff",
            b"a=%ED%A0%80",
            b"a=%C0%80",
        ] {
            assert!(
                matches!(pairs(bad), Err(VerifyError::MalformedBody { .. })),
                "{bad:?}"
            );
        }
        // Raw UTF-8 and escaped control characters are fine.
        assert_eq!(
            pairs("a=é%0A".as_bytes()).unwrap(),
            vec![("a".into(), "é\n".into())]
        );
    }

    #[test]
    fn storage_limit_is_an_error() {
        let mut storage = [RawField::EMPTY; 2];
        assert_eq!(
            parse(b"a=1&b=2&c=3", &mut storage).err(),
            Some(VerifyError::TooManyFields)
        );
        assert!(parse(b"a=1&b=2", &mut storage).is_ok());
    }

    #[test]
    fn body_size_limit() {
        let mut storage = [RawField::EMPTY; 2];
        let body = vec![b'a'; MAX_BODY_LEN + 1];
        assert_eq!(
            parse(&body, &mut storage).err(),
            Some(VerifyError::BodyTooLarge)
        );
        let body = vec![b'a'; MAX_BODY_LEN];
        assert!(parse(&body, &mut storage).is_ok());
    }

    #[test]
    fn decodes_long_escaped_values_into_a_slice() {
        let raw = "%41".repeat(200) + "xyz" + &"+".repeat(70);
        let f = Field::from_segment(format!("n={raw}").leak().as_bytes());
        let mut buf = [0u8; 512];
        let out = f.decode_value_into(&mut buf).unwrap().to_vec();
        let mut small = [0u8; 100];
        assert_eq!(
            f.decode_value_into(&mut small),
            None,
            "too long for the slice"
        );
        assert_eq!(
            out,
            ["A".repeat(200), "xyz".into(), " ".repeat(70)]
                .concat()
                .into_bytes()
        );
    }
}
