//! The byte-level tools the body parser (`body.rs`) and the percent-decoder
//! (`percent.rs`) share: searches 8 bytes at a time (SWAR: one `u64` compare finds the first
//! special byte of a word), the byte classes of their tails, a name comparison, and an
//! incremental UTF-8 validator. Nothing here allocates.

use core::cmp::Ordering;

/// Byte classes (the byte-at-a-time tail of the 8-byte searches): 0 ordinary, 1 `&`,
/// 2 `=`, 3 `%`, 4 `+`, 5 control character, 6 non-ASCII.
pub(crate) const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if i >= 0x80 {
            6
        } else if i < 0x20 || i == 0x7f {
            5
        } else {
            0
        };
        i += 1;
    }
    t[b'&' as usize] = 1;
    t[b'=' as usize] = 2;
    t[b'%' as usize] = 3;
    t[b'+' as usize] = 4;
    t
};

/// The first byte at or after `from` that is below `0` (0x30), `=`, or from 0x7F; or
/// `s.len()`.
#[inline]
pub(crate) fn find_name_stop(s: &[u8], from: usize) -> usize {
    find(
        s,
        from,
        |x| bytes_below(x, b'0') | bytes_equal(x, b'=') | at_least_7f(x),
        |b| b < b'0' || b == b'=' || b >= 0x7f,
    )
}

/// The first byte at or after `from` that is below `,` (0x2C) or from 0x7F; or
/// `s.len()`.
#[inline]
pub(crate) fn find_value_stop(s: &[u8], from: usize) -> usize {
    find(
        s,
        from,
        |x| bytes_below(x, b',') | at_least_7f(x),
        |b| !(b','..0x7f).contains(&b),
    )
}

/// Bit 7 of each byte of the result is set for the bytes of `x` from 0x7F, exactly.
#[inline]
pub(crate) fn at_least_7f(x: u64) -> u64 {
    (((x & !HI) + LO) | x) & HI
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bit 7 of each byte of the result is set for the bytes of `x` below `n` (n ≤ 128);
/// exact for the lowest such byte (enough to find the first one).
#[inline]
pub(crate) fn bytes_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(LO * u64::from(n)) & !x & HI
}

#[inline]
pub(crate) fn bytes_equal(x: u64, c: u8) -> u64 {
    bytes_below(x ^ (LO * u64::from(c)), 1)
}

/// The index of the first byte of `s` at or after `from` that `special` flags (8 bytes at a
/// time), or `s.len()`.
#[inline]
pub(crate) fn find(
    s: &[u8],
    from: usize,
    special: impl Fn(u64) -> u64,
    is_special: impl Fn(u8) -> bool,
) -> usize {
    let mut i = from;
    while let Some(chunk) = s.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let mask = special(u64::from_le_bytes(word));
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    match s
        .get(i..)
        .unwrap_or_default()
        .iter()
        .position(|&b| is_special(b))
    {
        Some(k) => i + k,
        None => s.len(),
    }
}

/// The first `%` or `+`.
#[inline]
pub(crate) fn find_escape(s: &[u8], from: usize) -> usize {
    find(
        s,
        from,
        |x| bytes_equal(x, b'%') | bytes_equal(x, b'+'),
        |b| b == b'%' || b == b'+',
    )
}

/// The first byte of a part (no `&` in it) that [`part_flags`] must look at: `%`, `+`, a
/// control character, `0x7F` or a non-ASCII byte.
#[inline]
pub(crate) fn find_part_special(s: &[u8], from: usize) -> usize {
    find(
        s,
        from,
        |x| bytes_equal(x, b'%') | bytes_equal(x, b'+') | bytes_below(x, 0x20) | at_least_7f(x),
        |b| matches!(CLASS[usize::from(b)], 3..=6),
    )
}

/// The first `&` at or after `from`, or `s.len()`.
#[inline]
pub(crate) fn find_amp(s: &[u8], from: usize) -> usize {
    find(s, from, |x| bytes_equal(x, b'&'), |b| b == b'&')
}

/// Byte-order comparison of short names, 8 bytes at a time (cheaper than a `memcmp`
/// call for the 10–30 byte names of the protocol).
#[inline]
pub(crate) fn cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i..i + 8), b.get(i..i + 8)) {
        let (mut wx, mut wy) = ([0u8; 8], [0u8; 8]);
        wx.copy_from_slice(x);
        wy.copy_from_slice(y);
        let (x, y) = (u64::from_be_bytes(wx), u64::from_be_bytes(wy));
        if x != y {
            return x.cmp(&y);
        }
        i += 8;
    }
    // The last few bytes one by one (a `memcmp` call costs more for these lengths).
    let (a, b) = (
        a.get(i..).unwrap_or_default(),
        b.get(i..).unwrap_or_default(),
    );
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// An incremental UTF-8 validator (rejects overlong forms, surrogates, > U+10FFFF).
#[derive(Default)]
pub(crate) struct Utf8Validator {
    need: u8,
    lo: u8,
    hi: u8,
}

impl Utf8Validator {
    pub(crate) fn push(&mut self, b: u8) -> bool {
        if self.need == 0 {
            let (need, lo, hi) = match b {
                0x00..=0x7F => return true,
                0xC2..=0xDF => (1, 0x80, 0xBF),
                0xE0 => (2, 0xA0, 0xBF),
                0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
                0xED => (2, 0x80, 0x9F),
                0xF0 => (3, 0x90, 0xBF),
                0xF1..=0xF3 => (3, 0x80, 0xBF),
                0xF4 => (3, 0x80, 0x8F),
                _ => return false,
            };
            self.need = need;
            self.lo = lo;
            self.hi = hi;
            true
        } else if b < self.lo || b > self.hi {
            false
        } else {
            self.need -= 1;
            self.lo = 0x80;
            self.hi = 0xBF;
            true
        }
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.need == 0
    }
}
