//! The streaming percent-decoder of `application/x-www-form-urlencoded` parts: `+` is a
//! space, `%XX` a byte. Decoded bytes go to a [`DecodedSink`] (the signer's hash, a
//! caller's slice) or come out of an iterator; nothing allocates but [`to_text`] of an
//! escaped part. The checking decoder validates what the parser left unchecked, by the
//! parser's rules.

use crate::protocol::bytes::{find_escape, find_part_special, Utf8Validator};
use crate::protocol::error::VerifyError;
use std::borrow::Cow;

/// Decoded bytes written into a caller's slice.
pub(crate) struct SliceSink<'o> {
    pub(crate) out: &'o mut [u8],
    pub(crate) len: usize,
    pub(crate) fits: bool,
}

impl DecodedSink for SliceSink<'_> {
    fn run(&mut self, bytes: &[u8]) {
        match self.out.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) if self.fits => dst.copy_from_slice(bytes),
            _ => self.fits = false,
        }
        self.len += bytes.len();
    }

    fn byte(&mut self, byte: u8) {
        self.run(&[byte]);
    }
}

pub(crate) fn to_text(raw: &[u8], escaped: bool) -> Cow<'_, str> {
    if escaped {
        let bytes: Vec<u8> = decoded(raw).collect();
        match String::from_utf8(bytes) {
            Ok(s) => Cow::Owned(s),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }
    } else {
        String::from_utf8_lossy(raw)
    }
}

/// The decoded bytes of a validated part (an invalid escape, impossible after [`parse`],
/// is passed through literally).
pub(crate) fn decoded(raw: &[u8]) -> Decoded<'_> {
    Decoded { rest: raw }
}

/// `raw`'s bytes, decoded only if `escaped` (so that plain fields given to the signer are
/// taken literally).
pub(crate) fn decoded_if(raw: &[u8], escaped: bool) -> DecodedIf<'_> {
    if escaped {
        DecodedIf::Decoded(decoded(raw))
    } else {
        DecodedIf::Plain(raw.iter())
    }
}

pub(crate) enum DecodedIf<'a> {
    Plain(core::slice::Iter<'a, u8>),
    Decoded(Decoded<'a>),
}

impl Iterator for DecodedIf<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        match self {
            DecodedIf::Plain(it) => it.next().copied(),
            DecodedIf::Decoded(it) => it.next(),
        }
    }
}

pub(crate) struct Decoded<'a> {
    rest: &'a [u8],
}

impl Iterator for Decoded<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        let (&b, tail) = self.rest.split_first()?;
        match b {
            b'+' => {
                self.rest = tail;
                Some(b' ')
            }
            b'%' => match decode_escape(tail) {
                Some(d) => {
                    self.rest = tail.get(2..).unwrap_or_default();
                    Some(d)
                }
                None => {
                    self.rest = tail;
                    Some(b'%')
                }
            },
            _ => {
                self.rest = tail;
                Some(b)
            }
        }
    }
}

/// The byte of the two hex digits at the start of `s`.
#[inline]
pub(crate) fn decode_escape(s: &[u8]) -> Option<u8> {
    match s {
        [h, l, ..] => Some(hex_val(*h)? << 4 | hex_val(*l)?),
        _ => None,
    }
}

/// The byte of two hex digits (either case).
pub(crate) fn hex_pair(pair: &[u8]) -> Option<u8> {
    decode_escape(pair)
}

#[inline]
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Receives decoded bytes: runs borrowed from the input, and single decoded bytes.
pub(crate) trait DecodedSink {
    /// A run of bytes that needed no decoding.
    fn run(&mut self, bytes: &[u8]);
    /// One decoded byte (from `%XX` or `+`).
    fn byte(&mut self, byte: u8);
}

/// Decodes a validated encoded part into `sink`.
#[inline]
pub(crate) fn decode_to<S: DecodedSink>(raw: &[u8], sink: &mut S) {
    let mut rest = raw;
    loop {
        let run = find_escape(rest, 0);
        if run > 0 {
            sink.run(rest.get(..run).unwrap_or_default());
        }
        rest = rest.get(run..).unwrap_or_default();
        let Some((&b, tail)) = rest.split_first() else {
            break;
        };
        if b == b'+' {
            sink.byte(b' ');
            rest = tail;
        } else {
            // Runs of escapes (%C3%A9, %22%3A...) decoded without going back to the search.
            let mut t = tail;
            loop {
                match decode_escape(t) {
                    Some(d) => {
                        sink.byte(d);
                        t = t.get(2..).unwrap_or_default();
                    }
                    None => {
                        sink.byte(b'%');
                        break;
                    }
                }
                match t.split_first() {
                    Some((b'%', after)) => t = after,
                    _ => break,
                }
            }
            rest = t;
        }
    }
}

/// Validates and decodes an unchecked encoded part into `sink`: every `%` followed by two
/// hex digits, no control character, valid UTF-8 once decoded. The same rules as
/// [`parse`], applied in the pass that feeds the hash.
#[inline]
pub(crate) fn decode_checked_to<S: DecodedSink>(
    raw: &[u8],
    sink: &mut S,
) -> Result<(), VerifyError> {
    let mut utf8 = Utf8Validator::default();
    let mut rest = raw;
    loop {
        let run = find_part_special(rest, 0);
        if run > 0 {
            // Plain ASCII: fine unless a multi-byte sequence is still open.
            if !utf8.is_complete() {
                return Err(VerifyError::MALFORMED);
            }
            sink.run(rest.get(..run).unwrap_or_default());
        }
        rest = rest.get(run..).unwrap_or_default();
        let Some((&b, tail)) = rest.split_first() else {
            break;
        };
        let (byte, tail) = match b {
            b'+' => (b' ', tail),
            b'%' => match decode_escape(tail) {
                Some(d) => (d, tail.get(2..).unwrap_or_default()),
                None => return Err(VerifyError::MALFORMED),
            },
            0x80..=0xff => (b, tail),
            _ => return Err(VerifyError::MALFORMED), // control character
        };
        if !utf8.push(byte) {
            return Err(VerifyError::MALFORMED);
        }
        sink.byte(byte);
        rest = tail;
    }
    if utf8.is_complete() {
        Ok(())
    } else {
        Err(VerifyError::MALFORMED)
    }
}
