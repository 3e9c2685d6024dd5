//! Property tests: `vads::sign` against the naive reference in tests/common, over random
//! field sets.

mod common;

use proptest::prelude::*;
use std::collections::BTreeSet;
use vads::{sign, Algorithm, Key};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        // vads_ names: lowercase, mixed case, digits, names that are prefixes of others.
        "vads_[a-z]{0,3}".prop_map(|s| s),
        "vads_[a-zA-Z_0-9]{1,12}".prop_map(|s| s),
        Just("vads_threeds_cavvAlgorithm".to_string()),
        Just("vads_threeds_cavv".to_string()),
        Just("vads_".to_string()),
        // not signed
        "VADS_[a-z]{1,5}".prop_map(|s| s),
        "[a-z]{1,8}".prop_map(|s| s),
        Just("signature".to_string()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9]{0,10}",
        "[+&=% ]{0,4}",
        ".{0,12}",
        "[é€😀 +]{0,6}",
    ]
}

fn field_set() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((name(), value()), 1..40).prop_map(|v| {
        let mut seen = BTreeSet::new();
        v.into_iter()
            .filter(|(n, _)| seen.insert(n.clone()))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sign_equals_reference(fields in field_set(), key in "[a-zA-Z0-9]{1,40}") {
        let k: Key = key.parse().unwrap();
        let pairs = fields.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        if !fields.iter().any(|(n, _)| n.starts_with("vads_")) {
            let e = sign(pairs, &k, Algorithm::HmacSha256).unwrap_err();
            prop_assert_eq!(e.code(), "nothing_to_sign");
            return Ok(());
        }
        let hmac = sign(pairs.clone(), &k, Algorithm::HmacSha256).unwrap();
        prop_assert_eq!(hmac.as_str(), common::reference_sign(&fields, &key, "HMAC-SHA-256"));
        let sha1 = sign(pairs, &k, Algorithm::Sha1).unwrap();
        prop_assert_eq!(sha1.as_str(), common::reference_sign(&fields, &key, "SHA-1"));
    }

    #[test]
    fn order_does_not_matter(fields in field_set(), seed in any::<u64>()) {
        let k: Key = "k3y".parse().unwrap();
        let mut shuffled = fields.clone();
        // Deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        // Either both sign alike or both refuse alike (no vads_ field at all).
        let a = sign(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())), &k, Algorithm::HmacSha256);
        let b = sign(shuffled.iter().map(|(n, v)| (n.as_str(), v.as_str())), &k, Algorithm::HmacSha256);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn duplicate_vads_name_is_refused(fields in field_set(), dup in "vads_[a-z]{1,4}") {
        let k: Key = "k".parse().unwrap();
        let mut fields = fields;
        fields.push((dup.clone(), "1".into()));
        fields.insert(0, (dup, "2".into()));
        let r = sign(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())), &k, Algorithm::HmacSha256);
        prop_assert_eq!(r.unwrap_err().code(), "duplicate_field");
    }
}

#[test]
fn field_limit_is_a_clear_error() {
    let k: Key = "k".parse().unwrap();
    let names: Vec<String> = (0..vads::MAX_FIELDS + 1)
        .map(|i| format!("vads_f{i:04}"))
        .collect();
    let ok = sign(
        names[..vads::MAX_FIELDS].iter().map(|n| (n.as_str(), "v")),
        &k,
        Algorithm::HmacSha256,
    );
    let fields: Vec<(String, String)> = names[..vads::MAX_FIELDS]
        .iter()
        .map(|n| (n.clone(), "v".into()))
        .collect();
    assert_eq!(
        ok.unwrap().as_str(),
        common::reference_sign(&fields, "k", "HMAC-SHA-256")
    );
    let err = sign(
        names.iter().map(|n| (n.as_str(), "v")),
        &k,
        Algorithm::HmacSha256,
    )
    .unwrap_err();
    assert_eq!(err.code(), "too_many_fields");
    // Non-vads fields do not count toward the limit.
    let many: Vec<String> = (0..2000).map(|i| format!("x{i}")).collect();
    assert!(sign(
        many.iter()
            .map(|n| (n.as_str(), "v"))
            .chain([("vads_amount", "1")]),
        &k,
        Algorithm::HmacSha256
    )
    .is_ok());
    // Nothing to sign is an error, not the HMAC of the key alone.
    let err = sign(
        many.iter().map(|n| (n.as_str(), "v")),
        &k,
        Algorithm::HmacSha256,
    )
    .unwrap_err();
    assert_eq!(err.code(), "nothing_to_sign");
}

#[test]
fn hmac_is_rfc_4231() {
    // RFC 4231 test case 2 (key "Jefe"), through the reference helper used by the tests,
    // pins the HMAC construction they rely on.
    let mac = common::hmac_sha256_b64(b"what do ya want for nothing?", b"Jefe");
    use base64::Engine;
    let hex: String = base64::engine::general_purpose::STANDARD
        .decode(mac)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}
