//! Sorted field tables: the only way to get "the `vads_` fields, sorted by name,
//! de-duplicated", which is what the signing string is made of.
//!
//! [`SortedFields`] is made only by [`SortedFields::sort`], which refuses duplicates;
//! [`SignedFields`] only by [`SortedFields::vads`]. The signing machinery takes a
//! [`SignedFields`], so "already sorted and de-duplicated" is a type, not a comment.
//!
//! Sorting never moves the fields: it writes their order into a table of `u64` keys
//! (the caller's, one per field), each holding a field's index in its low bits, and the
//! sorted views read the fields through it. Nothing here allocates: tables live in
//! storage the caller provides.

use crate::protocol::body::Field;
use core::cmp::Ordering;

/// A duplicate field name was found while sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Duplicate;

/// Fields sorted by decoded name in byte order, with no name twice: the fields in their
/// original order, and `order`, whose `k`-th key indexes the `k`-th field by name.
#[derive(Clone, Copy)]
pub(crate) struct SortedFields<'t, 'a> {
    fields: &'t [Field<'a>],
    order: &'t [SortKey],
}

/// The `vads_` fields of a [`SortedFields`]: what the signing string is made of.
#[derive(Clone, Copy)]
pub(crate) struct SignedFields<'t, 'a> {
    fields: &'t [Field<'a>],
    order: &'t [SortKey],
}

impl<'t, 'a> SortedFields<'t, 'a> {
    /// Sorts `fields` by decoded name in byte order, writing their order into `keys`
    /// (at least one key per field: the caller's storage, sized like the fields').
    ///
    /// Unescaped ASCII names (every name of the protocol) are sorted by packed keys
    /// ([`packed_order`]); anything else by whole-name comparisons ([`general_order`]).
    /// Both give the protocol's byte order and refuse the same duplicates.
    ///
    /// # Errors
    /// [`Duplicate`] when a name appears twice (or, never in practice, when `keys` is
    /// shorter than `fields`).
    pub(crate) fn sort(
        fields: &'t [Field<'a>],
        keys: &'t mut [SortKey],
    ) -> Result<Self, Duplicate> {
        let order = keys.get_mut(..fields.len()).ok_or(Duplicate)?;
        if !in_order(fields, order)? && !packed_order(fields, order)? {
            general_order(fields, order)?;
        }
        debug_assert!(order.windows(2).all(|w| match w {
            [a, b] => field_at(fields, *a).cmp_names(field_at(fields, *b)) == Ordering::Less,
            _ => true,
        }));
        Ok(SortedFields { fields, order })
    }

    /// The field named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<&'t Field<'a>> {
        let fields = self.fields;
        self.order
            .binary_search_by(|&k| field_at(fields, k).cmp_name_to(name.as_bytes()))
            .ok()
            .and_then(|i| self.order.get(i))
            .map(|&k| field_at(fields, k))
    }

    /// The `vads_` fields (they are contiguous: `vads_` ≤ name < ``vads` ``).
    pub(crate) fn vads(&self) -> SignedFields<'t, 'a> {
        let (fields, order) = (self.fields, self.order);
        let is_vads = |k: Option<&SortKey>| k.is_some_and(|&k| field_at(fields, k).is_vads());
        if is_vads(order.first()) && is_vads(order.last()) {
            // Sorted: every name between two `vads_` names starts with `vads_`.
            return SignedFields { fields, order };
        }
        let before = |bound: &[u8]| {
            order.partition_point(|&k| field_at(fields, k).cmp_name_to(bound) == Ordering::Less)
        };
        SignedFields {
            fields,
            order: order
                .get(before(b"vads_")..before(b"vads`"))
                .unwrap_or_default(),
        }
    }
}

impl<'t, 'a> SignedFields<'t, 'a> {
    /// The fields, in signing order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'t Field<'a>> + 't {
        let fields = self.fields;
        self.order.iter().map(move |&k| field_at(fields, k))
    }
}

/// The field a key indexes (an empty one for an index out of range, which no key built
/// here holds).
#[inline]
fn field_at<'t, 'a>(fields: &'t [Field<'a>], key: SortKey) -> &'t Field<'a> {
    fields
        .get((key & INDEX_MASK) as usize)
        .unwrap_or(&Field::EMPTY)
}

/// One entry of an order table: a field's index in its low [`INDEX_BITS`], and, while
/// sorting, a chunk of 7 bytes of its name (7 bits each) above them.
pub(crate) type SortKey = u64;

/// The low bits of a key: the field's index in the table (`MAX_FIELDS` < 2^15).
const INDEX_BITS: u32 = 15;
const INDEX_MASK: SortKey = (1 << INDEX_BITS) - 1;
/// The most descents [`sort_keys`] leaves to an insertion sort.
const FEW_DESCENTS: usize = 3;
/// Levels of packed keys tried on a run of equal chunks before whole-name comparisons.
const LEVELS: usize = 4;

/// Whether the fields arrive in order (strictly: that also proves there is no
/// duplicate), writing the identity order if so. Stops at the first descent, so a body
/// in another order pays for one or two comparisons.
fn in_order(fields: &[Field<'_>], order: &mut [SortKey]) -> Result<bool, Duplicate> {
    for pair in fields.windows(2) {
        if let [a, b] = pair {
            match a.cmp_names(b) {
                Ordering::Less => {}
                Ordering::Equal => return Err(Duplicate),
                Ordering::Greater => return Ok(false),
            }
        }
    }
    identity(order);
    Ok(true)
}

/// The order of the fields as they are: key `i` indexes field `i`.
fn identity(order: &mut [SortKey]) {
    for (i, key) in order.iter_mut().enumerate() {
        *key = i as SortKey & INDEX_MASK;
    }
}

/// Orders fields by whole-name comparisons (decoding escaped names), then refuses
/// duplicates.
fn general_order(fields: &[Field<'_>], order: &mut [SortKey]) -> Result<(), Duplicate> {
    identity(order);
    let cmp = |a: &SortKey, b: &SortKey| field_at(fields, *a).cmp_names(field_at(fields, *b));
    order.sort_unstable_by(cmp);
    if order
        .windows(2)
        .any(|w| matches!(w, [a, b] if cmp(a, b) == Ordering::Equal))
    {
        return Err(Duplicate);
    }
    Ok(())
}

/// Orders fields whose names are unescaped ASCII with integer keys, a most-significant-
/// digit radix sort whose digits are 7-byte chunks of the name after the prefix they all
/// share (`vads_`): each key is the chunk, 7 bits a byte, above the field's index, so a
/// plain `u64` sort (the standard library's, branch-free for integers) orders the table
/// by that chunk, zero padding sorting a shorter name first as byte order does. A run of
/// keys with equal chunks (`threeds_cavv` and `threeds_eci` share `threeds`) is ordered
/// the same way by its next chunk, up to [`LEVELS`] chunks, then by whole names
/// (`O(k log k)` for a run of `k`: a tie-breaking scheme never turns quadratic, even for
/// hundreds of names sharing a long prefix).
///
/// Keys that already ascend (fields in order) are not sorted; keys with few descents go
/// through an insertion sort ([`sort_keys`]).
///
/// Returns `Ok(false)`, leaving the order to [`general_order`], when a name is escaped
/// or has a non-ASCII byte in its first chunk.
fn packed_order(fields: &[Field<'_>], order: &mut [SortKey]) -> Result<bool, Duplicate> {
    let skip = if fields.iter().all(|f| f.raw_name().starts_with(b"vads_")) {
        5
    } else {
        0
    };
    let mut descents = 0usize;
    let mut previous = 0;
    for (i, (key, field)) in order.iter_mut().zip(fields).enumerate() {
        let chunk = match chunk_of(field.raw_name(), skip) {
            Some(chunk) if !field.name_escaped() => chunk,
            _ => return Ok(false),
        };
        descents += usize::from(chunk < previous);
        previous = chunk;
        *key = chunk | (i as SortKey & INDEX_MASK);
    }
    sort_keys(order, descents);
    order_ties(order, fields, skip, 1)?;
    Ok(true)
}

/// Sorts keys; `descents` (how many keys are below the one before them) chooses how: an
/// insertion sort for at most [`FEW_DESCENTS`] (each key out of place may travel the whole
/// table: `O(descents × n)` moves), the standard library's sort otherwise.
#[inline]
fn sort_keys(keys: &mut [SortKey], descents: usize) {
    if descents == 0 {
        // Already in order.
    } else if descents <= FEW_DESCENTS {
        insertion_sort(keys);
    } else {
        keys.sort_unstable();
    }
}

/// Orders each run of keys with equal chunks (the chunks at byte `offset` of the names,
/// sorted by them) by a deeper chunk, or by whole names past [`LEVELS`] chunks; refuses a
/// name that appears twice (two equal names have equal chunks, so they meet in a run).
fn order_ties(
    keys: &mut [SortKey],
    fields: &[Field<'_>],
    offset: usize,
    level: usize,
) -> Result<(), Duplicate> {
    let mut i = 1;
    while i < keys.len() {
        let (Some(&a), Some(&b)) = (keys.get(i - 1), keys.get(i)) else {
            break;
        };
        if a >> INDEX_BITS != b >> INDEX_BITS {
            i += 1;
            continue;
        }
        let start = i - 1;
        let mut end = i + 1;
        while keys
            .get(end)
            .is_some_and(|k| k >> INDEX_BITS == a >> INDEX_BITS)
        {
            end += 1;
        }
        let run = keys.get_mut(start..end).unwrap_or_default();
        if a >> INDEX_BITS == 0 || !order_run(run, fields, offset, level)? {
            // Names that end together, or a chunk that is not ASCII: whole names.
            order_by_names(run, fields)?;
        }
        i = end + 1;
    }
    Ok(())
}

/// Orders a run of keys whose names agree from `offset` for a chunk: by the chunk where
/// they start to differ (past the prefix they all share, so that `product_` does not
/// cost a level of its own), then its own runs deeper. `Ok(false)` past [`LEVELS`] or on
/// a non-ASCII chunk (whole names decide).
fn order_run(
    run: &mut [SortKey],
    fields: &[Field<'_>],
    offset: usize,
    level: usize,
) -> Result<bool, Duplicate> {
    if level >= LEVELS {
        return Ok(false);
    }
    let name = |key: &SortKey| field_at(fields, *key).raw_name();
    let first = run.first().map(name).unwrap_or_default();
    let shared = run
        .iter()
        .map(|k| common_prefix(first, name(k), offset))
        .min()
        .unwrap_or(offset);
    let mut descents = 0usize;
    let mut previous = 0;
    for key in run.iter_mut() {
        let Some(chunk) = chunk_of(name(key), shared) else {
            return Ok(false);
        };
        descents += usize::from(chunk < previous);
        previous = chunk;
        *key = chunk | (*key & INDEX_MASK);
    }
    sort_keys(run, descents);
    order_ties(run, fields, shared, level + 1)?;
    Ok(true)
}

/// The length of the common prefix of `a` and `b`, which agree on their first `from`
/// bytes (or are shorter).
fn common_prefix(a: &[u8], b: &[u8], from: usize) -> usize {
    let mut at = from.min(a.len()).min(b.len());
    // 8 bytes at a time, then the first differing byte.
    while let (Some(x), Some(y)) = (a.get(at..at + 8), b.get(at..at + 8)) {
        let (mut wx, mut wy) = ([0u8; 8], [0u8; 8]);
        wx.copy_from_slice(x);
        wy.copy_from_slice(y);
        let diff = u64::from_be_bytes(wx) ^ u64::from_be_bytes(wy);
        if diff != 0 {
            return at + (diff.leading_zeros() / 8) as usize;
        }
        at += 8;
    }
    let (a, b) = (
        a.get(at..).unwrap_or_default(),
        b.get(at..).unwrap_or_default(),
    );
    at + a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Sorts a run of keys by whole names; refuses two equal names.
#[cold]
fn order_by_names(run: &mut [SortKey], fields: &[Field<'_>]) -> Result<(), Duplicate> {
    let name = |key: &SortKey| field_at(fields, *key).raw_name();
    run.sort_unstable_by(|a, b| name(a).cmp(name(b)));
    if run
        .windows(2)
        .any(|w| matches!(w, [a, b] if name(a) == name(b)))
    {
        return Err(Duplicate);
    }
    Ok(())
}

/// Sorts nearly sorted keys: each out-of-place key is shifted back to its place.
fn insertion_sort(keys: &mut [SortKey]) {
    for i in 1..keys.len() {
        let Some(&key) = keys.get(i) else { break };
        let mut j = i;
        while j > 0 && keys.get(j - 1).is_some_and(|&k| k > key) {
            if let Some(&k) = keys.get(j - 1) {
                if let Some(slot) = keys.get_mut(j) {
                    *slot = k;
                }
            }
            j -= 1;
        }
        if let Some(slot) = keys.get_mut(j) {
            *slot = key;
        }
    }
}

/// Bytes `at..at + 7` of `name` (zero past its end), 7 bits each, above the index bits of
/// a key; `None` when one of them is not ASCII. Order-preserving: comparing two chunks
/// compares those bytes in byte order (a NUL byte packs as the end of the name: a tie,
/// that whole names break).
#[inline]
fn chunk_of(name: &[u8], at: usize) -> Option<SortKey> {
    let w = word(name, at) & !0xFF; // the 7 bytes from `at`
    if w & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    Some((pack7(w) >> 7) << INDEX_BITS)
}

/// Bytes `at..at + 8` of `name` as a big-endian `u64`, zero past the end of the name.
/// Past the end, whole 8-byte loads still: the 8 bytes that end the name, shifted.
#[inline]
fn word(name: &[u8], at: usize) -> u64 {
    let load = |chunk: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        u64::from_be_bytes(w)
    };
    if let Some(chunk) = name.get(at..at + 8) {
        return load(chunk);
    }
    let valid = name.len().saturating_sub(at); // 0..8
    if valid == 0 {
        return 0;
    }
    match name.get(name.len().wrapping_sub(8)..) {
        Some(tail) if name.len() >= 8 => load(tail) << (8 * (8 - valid)),
        _ => short_word(name.get(at..).unwrap_or_default()),
    }
}

/// [`word`] for a name shorter than 8 bytes.
#[cold]
fn short_word(rest: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    for (dst, src) in w.iter_mut().zip(rest) {
        *dst = *src;
    }
    u64::from_be_bytes(w)
}

/// Packs the 7 low bits of each byte of `x` (bytes below 0x80, most significant first)
/// into the low 56 bits, in the same order.
#[inline]
fn pack7(x: u64) -> u64 {
    let x = ((x & 0x7F00_7F00_7F00_7F00) >> 1) | (x & 0x007F_007F_007F_007F);
    let x = ((x & 0x3FFF_0000_3FFF_0000) >> 2) | (x & 0x0000_3FFF_0000_3FFF);
    ((x & 0x0FFF_FFFF_0000_0000) >> 4) | (x & 0x0000_0000_0FFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names_in(fields: &[Field<'_>], order: &[SortKey]) -> Vec<Vec<u8>> {
        order
            .iter()
            .map(|&k| field_at(fields, k).raw_name().to_vec())
            .collect()
    }

    type Sorted = Result<Vec<Vec<u8>>, Duplicate>;

    /// Both sorts of the same names (`SortedFields::sort`, which takes the packed keys
    /// whenever it can, and the general one): equal orders, or both refuse a duplicate.
    fn both(names: &[String]) -> (Sorted, Sorted) {
        let fields: Vec<Field<'_>> = names.iter().map(|n| Field::plain(n, "")).collect();
        let mut a: Vec<SortKey> = vec![0; fields.len()];
        let mut b = a.clone();
        let packed = SortedFields::sort(&fields, &mut a).map(|s| names_in(s.fields, s.order));
        let general = general_order(&fields, &mut b).map(|()| names_in(&fields, &b));
        (packed, general)
    }

    #[test]
    fn chunks_preserve_byte_order() {
        let names: [&[u8]; 11] = [
            b"", b"a", b"a\0", b"a-", b"a0", b"aA", b"a_", b"ab", b"abcdefg", b"abcdefh", b"az",
        ];
        for pair in names.windows(2) {
            let (x, y) = (chunk_of(pair[0], 0).unwrap(), chunk_of(pair[1], 0).unwrap());
            // "a" and "a\0" pack alike (a tie, ordered by whole names); all else ascends.
            assert!(x < y || (x == y && pair[1] == b"a\0"), "{pair:?}");
        }
        assert_eq!(chunk_of("é".as_bytes(), 0), None);
        // Only 7 bytes from the offset count; the index bits are left clear.
        assert_eq!(
            chunk_of(b"vads_threeds_eci", 5),
            chunk_of(b"vads_threeds_cavv", 5)
        );
        assert_eq!(chunk_of(b"vads_threeds_eci", 5).unwrap() & INDEX_MASK, 0);
        assert!(chunk_of(b"vads_threeds_eci", 13) > chunk_of(b"vads_threeds_cavv", 13));
        assert!(chunk_of(b"vads_amount", 5) < chunk_of(b"vads_amount_", 5));
        assert!(chunk_of(b"vads_ab", 5) < chunk_of(b"vads_b", 5));
        assert_eq!(chunk_of(b"vads_ab", 40), Some(0));
    }

    #[test]
    fn the_protocols_names_sort_like_the_general_sort() {
        let mut names: Vec<String> = [
            "vads_threeds_cavv",
            "vads_threeds_cavvAlgorithm",
            "vads_threeds_eci",
            "vads_trans_id",
            "vads_trans_date",
            "vads_amount",
            "vads_site_id",
            "vads_ctx_mode",
            "vads_product_amount1",
            "vads_product_amount10",
            "vads_product_amount100",
            "vads_product_amount101",
            "vads_product_label1",
            "vads_payment_certificate",
            "vads_payment_config",
            "vads_payment_src",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        names.reverse();
        let (packed, general) = both(&names);
        assert_eq!(packed, general);
        assert!(packed.is_ok());
    }

    #[test]
    fn hundreds_of_names_sharing_a_long_prefix() {
        // 400 names that tie on their first 16 bytes after vads_: one run, sorted by
        // whole names (O(k log k)), in reverse and in a scrambled order.
        let mut names: Vec<String> = (0..400)
            .map(|i| format!("vads_ext_info_shared_prefix_{:04}", (i * 7919) % 400))
            .collect();
        assert_eq!(both(&names).0, both(&names).1);
        names.reverse();
        let (packed, general) = both(&names);
        assert_eq!(packed, general);
        names.push(names[17].clone());
        assert_eq!(both(&names).0, Err(Duplicate));
    }

    #[test]
    fn duplicates_are_refused_wherever_they_are() {
        for names in [
            vec!["vads_a", "vads_a"],
            vec!["vads_b", "vads_a", "vads_b"],
            vec!["signature", "submit", "signature"],
        ] {
            let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
            assert_eq!(both(&names), (Err(Duplicate), Err(Duplicate)), "{names:?}");
        }
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            // The protocol's shapes: a shared prefix and short, similar suffixes.
            "vads_(threeds_|payment_|product_amount|product_label|trans_)?[a-zA-Z0-9_]{0,6}",
            "vads_ext_info_[a-z_]{14,16}[0-9]{0,3}",
            // Anything: control characters, non-ASCII, no prefix.
            ".{0,24}",
            "[a-z\u{0}\u{7f}é]{0,18}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn packed_sort_agrees_with_the_general_sort(
            names in proptest::collection::vec(name_strategy(), 0..140),
            sorted in any::<bool>(),
            duplicate in any::<Option<usize>>(),
        ) {
            let mut names = names;
            if let Some(i) = duplicate {
                if !names.is_empty() {
                    let copy = names[i % names.len()].clone();
                    names.push(copy);
                }
            }
            if sorted {
                names.sort();
                // Nearly sorted: one field out of place.
                let half = names.len() / 2;
                if half > 1 {
                    names.swap(0, half);
                }
            }
            let (packed, general) = both(&names);
            prop_assert_eq!(packed, general);
        }
    }
}
