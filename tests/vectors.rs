//! Known vectors from the platforms' documentation (tests/data/public.json, copied from
//! shared/vectors/public.json), checked byte for byte, and each one tampered.

use vads::{sign, signing_string_masked, Algorithm, Key, KEY_MASK};

#[derive(serde::Deserialize)]
struct Vector {
    source: String,
    fields: Vec<(String, String)>,
    key: String,
    signing_string: String,
    #[serde(rename = "HMAC-SHA-256")]
    hmac: Option<String>,
    #[serde(rename = "SHA-1")]
    sha1: Option<String>,
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/public.json"
    ))
    .unwrap();
    let v: Vec<Vector> = serde_json::from_str(&text).unwrap();
    assert!(v.len() >= 2);
    v
}

fn pairs(v: &Vector) -> impl DoubleEndedIterator<Item = (&str, &str)> + Clone {
    v.fields.iter().map(|(n, s)| (n.as_str(), s.as_str()))
}

#[test]
fn documented_vectors_byte_for_byte() {
    for v in vectors() {
        let key: Key = v.key.parse().unwrap();
        let mut checked = 0;
        if let Some(expected) = &v.hmac {
            let sig = sign(pairs(&v), &key, Algorithm::HmacSha256).unwrap();
            assert_eq!(sig.as_str(), expected, "{}", v.source);
            assert!(sig.matches(expected));
            checked += 1;
        }
        if let Some(expected) = &v.sha1 {
            let sig = sign(pairs(&v), &key, Algorithm::Sha1).unwrap();
            assert_eq!(sig.as_str(), expected, "{}", v.source);
            assert!(
                sig.matches(&expected.to_uppercase()),
                "uppercase hex accepted"
            );
            checked += 1;
        }
        assert!(checked > 0);
        // The signing string, key masked.
        let masked = signing_string_masked(pairs(&v)).unwrap();
        let expected = v.signing_string.strip_suffix(&v.key).unwrap().to_owned() + KEY_MASK;
        assert_eq!(masked, expected);
        assert!(!masked.contains(&v.key));
    }
}

#[test]
fn documented_vectors_in_reverse_order() {
    for v in vectors() {
        let key: Key = v.key.parse().unwrap();
        let reversed: Vec<(&str, &str)> = pairs(&v).rev().collect();
        if let Some(expected) = &v.hmac {
            assert_eq!(
                sign(reversed.iter().copied(), &key, Algorithm::HmacSha256)
                    .unwrap()
                    .as_str(),
                expected
            );
        }
        if let Some(expected) = &v.sha1 {
            assert_eq!(
                sign(reversed.iter().copied(), &key, Algorithm::Sha1)
                    .unwrap()
                    .as_str(),
                expected
            );
        }
    }
}

#[test]
fn documented_vectors_tampered() {
    for v in vectors() {
        let key: Key = v.key.parse().unwrap();
        for algorithm in [Algorithm::HmacSha256, Algorithm::Sha1] {
            let good = sign(pairs(&v), &key, algorithm).unwrap();
            // Any value changed by one byte.
            for i in 0..v.fields.len() {
                let mut fields = v.fields.clone();
                fields[i].1.push('x');
                let sig = sign(
                    fields.iter().map(|(n, s)| (n.as_str(), s.as_str())),
                    &key,
                    algorithm,
                )
                .unwrap();
                assert_ne!(sig, good);
                assert!(!good.matches(sig.as_str()));
            }
            // Another key.
            let other: Key = format!("{}0", v.key).parse().unwrap();
            assert_ne!(sign(pairs(&v), &other, algorithm).unwrap(), good);
            // A truncated or extended received signature never matches.
            let s = good.as_str();
            assert!(!good.matches(&s[..s.len() - 1]));
            assert!(!good.matches(&format!("{s}=")));
            assert!(!good.matches(""));
        }
    }
}

#[test]
fn uppercase_hex_not_accepted_for_hmac() {
    let v = &vectors()[0];
    let key: Key = v.key.parse().unwrap();
    let sig = sign(pairs(v), &key, Algorithm::HmacSha256).unwrap();
    assert!(!sig.matches(&sig.as_str().to_uppercase()));
}
