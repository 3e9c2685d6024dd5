//! The fast path of `Shop::verify` against its general path (`vads::verify_general`):
//! realistic notifications (the platform's names, cart lines whose names share long
//! prefixes, escaped and accented values), in random order, of 2 to 400 fields, signed by
//! the independent reference, are accepted by both alike; with a duplicate, a field
//! without `=`, an escaped name or a tampered value, both give the same verdict. The fuzz
//! target `verify_paths` does the same on arbitrary input.

use proptest::prelude::*;
use vads::{Algorithm, Mode, SecretString, Shop, ShopConfig};
use vads_reference::{encode_body, sign, Algorithm as RefAlgorithm};

const KEY: &str = "PathsTestKey-0123456789";

fn shop(algorithm: Algorithm) -> Shop {
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.algorithm = algorithm;
    c.test_key = Some(SecretString::new(KEY.into()));
    Shop::new(c).unwrap()
}

const NAMES: [&str; 24] = [
    "vads_amount",
    "vads_auth_mode",
    "vads_auth_number",
    "vads_card_brand",
    "vads_card_number",
    "vads_cust_email",
    "vads_cust_first_name",
    "vads_effective_amount",
    "vads_effective_creation_date",
    "vads_hash",
    "vads_operation_type",
    "vads_order_id",
    "vads_payment_certificate",
    "vads_payment_config",
    "vads_threeds_auth_type",
    "vads_threeds_cavv",
    "vads_threeds_cavvAlgorithm",
    "vads_threeds_eci",
    "vads_threeds_enrolled",
    "vads_trans_date",
    "vads_trans_id",
    "vads_trans_status",
    "vads_trans_uuid",
    "vads_url_check_src",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Z0-9]{1,16}",
        "[a-f0-9]{32}",
        "[a-zA-Z +@.,'()*-]{0,24}",
        "[é€° &=%+]{0,8}",
        "\\PC{0,20}",
    ]
}

/// A notification of `lines` cart lines beside the platform's fields, in a random order.
fn notification() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        prop::collection::vec(value(), NAMES.len()),
        0usize..80,
        prop::collection::vec(value(), 80 * 3),
        any::<u64>(),
    )
        .prop_map(|(values, lines, cart, seed)| {
            let mut fields: Vec<(String, String)> = NAMES
                .iter()
                .zip(values)
                .map(|(n, v)| ((*n).to_owned(), v))
                .collect();
            fields.push(("vads_ctx_mode".into(), "TEST".into()));
            fields.push(("vads_site_id".into(), "12345678".into()));
            for i in 0..lines {
                for (k, part) in ["label", "amount", "ref"].iter().enumerate() {
                    fields.push((format!("vads_product_{part}{i}"), cart[i * 3 + k].clone()));
                }
            }
            // A deterministic shuffle.
            let mut s = seed | 1;
            for i in (1..fields.len()).rev() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                fields.swap(i, (s % (i as u64 + 1)) as usize);
            }
            fields
        })
}

fn signed(fields: &[(String, String)], alg: RefAlgorithm) -> String {
    let mut all = fields.to_vec();
    all.push(("signature".into(), sign(fields, KEY, alg)));
    encode_body(&all)
}

/// Both paths' verdicts on `body`; panics if they differ.
fn verdict(shop: &Shop, body: &str) -> Result<(), String> {
    let fast = shop.verify(body.as_bytes());
    let general = vads::verify_general(shop, body.as_bytes());
    match (&fast, &general) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.matched_key(), b.matched_key());
            assert_eq!(a.amount(), b.amount());
            assert_eq!(a.get("vads_product_label0"), b.get("vads_product_label0"));
            Ok(())
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string());
            Err(a.code().to_owned())
        }
        _ => panic!(
            "paths disagree on {body:?}: {:?} / {:?}",
            fast.is_ok(),
            general.is_ok()
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn signed_notifications_are_accepted_by_both(fields in notification(), sha1 in any::<bool>()) {
        let (alg, ref_alg) = if sha1 {
            (Algorithm::Sha1, RefAlgorithm::Sha1)
        } else {
            (Algorithm::HmacSha256, RefAlgorithm::HmacSha256)
        };
        let shop = shop(alg);
        let body = signed(&fields, ref_alg);
        prop_assert_eq!(verdict(&shop, &body), Ok(()));
    }

    #[test]
    fn unusual_bodies_get_one_verdict(
        fields in notification(),
        change in 0u8..5,
        at in any::<prop::sample::Index>(),
    ) {
        let shop = shop(Algorithm::HmacSha256);
        let body = signed(&fields, RefAlgorithm::HmacSha256);
        let segments: Vec<&str> = body.split('&').collect();
        let i = at.index(segments.len());
        let mut edited: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
        match change {
            0 => edited.push(segments[i].to_owned()), // a duplicate
            1 => edited[i] = segments[i].replace('=', ""), // a field without `=`
            2 => edited[i] = segments[i].replacen('_', "%5F", 1), // an escaped name
            3 => edited[i] = format!("{}x", segments[i]), // a tampered value
            _ => edited.insert(i, String::new()), // an empty segment
        }
        let verdict = verdict(&shop, &edited.join("&"));
        match change {
            // The same fields: an escaped `_` decodes to `_`, an empty segment is skipped,
            // `name` is `name=`.
            2 | 4 => prop_assert_eq!(verdict, Ok(())),
            1 if segments[i].ends_with('=') => prop_assert_eq!(verdict, Ok(())),
            0 => prop_assert_eq!(verdict, Err("duplicate_field".to_owned())),
            _ => prop_assert!(verdict.is_err()),
        }
    }
}
