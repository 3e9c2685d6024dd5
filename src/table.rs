//! Sorted field tables: the only way to get "the `vads_` fields, sorted by name,
//! de-duplicated", which is what the signing string is made of.
//!
//! [`SortedFields`] is made only by [`SortedFields::sort`], which refuses duplicates;
//! [`SignedFields`] only by [`SortedFields::vads`]. The signing machinery takes a
//! [`SignedFields`], so "already sorted and de-duplicated" is a type, not a comment.
//! Nothing here allocates: tables live in storage the caller provides.

use crate::body::Field;
use core::cmp::Ordering;

/// A duplicate field name was found while sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Duplicate;

/// Fields sorted by decoded name in byte order, with no name twice.
#[derive(Clone, Copy)]
pub(crate) struct SortedFields<'t, 'a> {
    fields: &'t [Field<'a>],
}

/// The `vads_` fields of a [`SortedFields`]: what the signing string is made of.
#[derive(Clone, Copy)]
pub(crate) struct SignedFields<'t, 'a> {
    fields: &'t [Field<'a>],
}

impl<'t, 'a> SortedFields<'t, 'a> {
    /// Sorts `fields` in place by decoded name in byte order.
    ///
    /// # Errors
    /// [`Duplicate`] when a name appears twice.
    pub(crate) fn sort(fields: &'t mut [Field<'a>]) -> Result<Self, Duplicate> {
        sort_fields(fields)?;
        Ok(SortedFields { fields })
    }

    /// The field named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<&'t Field<'a>> {
        let fields = self.fields;
        fields
            .binary_search_by(|f| f.cmp_name_to(name.as_bytes()))
            .ok()
            .and_then(|i| fields.get(i))
    }

    /// The `vads_` fields (they are contiguous: `vads_` ≤ name < ``vads` ``).
    pub(crate) fn vads(&self) -> SignedFields<'t, 'a> {
        let sorted = self.fields;
        let start = sorted.partition_point(|f| f.cmp_name_to(b"vads_") == Ordering::Less);
        let end = sorted.partition_point(|f| f.cmp_name_to(b"vads`") == Ordering::Less);
        SignedFields {
            fields: sorted.get(start..end).unwrap_or_default(),
        }
    }
}

impl<'t, 'a> SignedFields<'t, 'a> {
    /// The fields, in signing order.
    pub(crate) fn iter(&self) -> core::slice::Iter<'t, Field<'a>> {
        self.fields.iter()
    }
}

/// Sorts fields by decoded name in byte order. Fails on a duplicate name.
fn sort_fields(fields: &mut [Field<'_>]) -> Result<(), Duplicate> {
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
    fields.sort_unstable_by(Field::cmp_names);
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
fn keyed_sort(fields: &mut [Field<'_>]) -> Result<(), Duplicate> {
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
