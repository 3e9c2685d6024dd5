//! The rows of issue 16's performance table, each beside its baseline in the same group:
//! the raw HMAC-SHA-256 (+ base64 for signing) of the same decoded signing string, with the
//! same hash crates, key set-up included.
//!
//! - `sign_13`: the checkout form of benches/data/form13.txt, in the order a backend
//!   builds it;
//! - `sign_60`: the same form with a cart of 9 products (60 `vads_` fields);
//! - `verify_52_sorted` / `verify_52_random`: a 52-field notification (the platform's
//!   names and value shapes, accents, escapes), fields sorted by name / in a fixed random
//!   order (the platform's bodies are in hash-map order); `naive` in the random group is
//!   the straightforward allocating verifier (decode, sort, join, hash, compare);
//! - `verify_300_random`: a cart notification of 300 fields, random order;
//! - `scaling/N`: verification of N = 10, 50, 100, 200, 500 fields in random order, each
//!   with its baseline, for the cost per field.
//!
//! Inputs: `benches/inputs.rs`, signed by the independent `vads-reference`.
//! Run: `cargo bench --bench goals`, then `python3 scripts/bench_ratios.py` for the table.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use vads::{sign, Algorithm, Key, Mode, SecretString, Shop, ShopConfig};
use vads_reference::{decode_body, Algorithm as RefAlgorithm};

#[path = "inputs.rs"]
mod inputs;
use inputs::{
    form13, form60, hmac_b64, hmac_raw, notification_fields, shuffled, signed_body, signing_string,
    KEY,
};

fn shop() -> Shop {
    let mut config = ShopConfig::new("12345678", Mode::Test);
    config.test_key = Some(SecretString::new(KEY.into()));
    Shop::new(config).unwrap()
}

fn bench_sign(c: &mut Criterion) {
    let key: Key = KEY.parse().unwrap();
    for (name, form) in [("sign_13", form13()), ("sign_60", form60())] {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let joined = signing_string(&form);
        let expected = vads_reference::sign(&form, KEY, RefAlgorithm::HmacSha256);
        assert_eq!(
            sign(pairs.iter().copied(), &key, Algorithm::HmacSha256)
                .unwrap()
                .as_str(),
            expected
        );
        let mut g = c.benchmark_group(name);
        g.bench_function("baseline", |b| {
            b.iter(|| hmac_b64(black_box(joined.as_bytes()), black_box(KEY.as_bytes())))
        });
        g.bench_function("vads", |b| {
            b.iter(|| {
                sign(
                    black_box(pairs.iter().copied()),
                    &key,
                    Algorithm::HmacSha256,
                )
                .unwrap()
            })
        });
        g.finish();
    }
}

/// The naive allocating verifier: decode into owned pairs, find the signature, sort,
/// join, hash, compare.
fn naive_verify(body: &str) -> bool {
    let fields = decode_body(body);
    let sig = fields
        .iter()
        .find(|(n, _)| n == "signature")
        .map(|(_, v)| v.clone());
    let s = signing_string(&fields);
    sig.as_deref().map(str::as_bytes) == Some(&hmac_b64(s.as_bytes(), KEY.as_bytes())[..])
}

fn bench_verify(c: &mut Criterion) {
    let shop = shop();
    let mut sorted = notification_fields(51);
    sorted.sort();
    let random = shuffled(sorted.clone());
    let f300 = shuffled(notification_fields(299));
    for (name, set, naive) in [
        ("verify_52_sorted", &sorted, false),
        ("verify_52_random", &random, true),
        ("verify_300_random", &f300, false),
    ] {
        let b_text = signed_body(set);
        let joined = signing_string(set);
        assert!(shop.verify(b_text.as_bytes()).is_ok());
        assert!(naive_verify(&b_text));
        let mut g = c.benchmark_group(name);
        g.bench_function("baseline", |b| {
            b.iter(|| hmac_raw(black_box(joined.as_bytes()), black_box(KEY.as_bytes())))
        });
        g.bench_function("vads", |b| {
            b.iter(|| shop.verify(black_box(b_text.as_bytes())).unwrap().mode())
        });
        if naive {
            g.bench_function("naive", |b| b.iter(|| naive_verify(black_box(&b_text))));
        }
        g.finish();
    }
}

fn bench_scaling(c: &mut Criterion) {
    let shop = shop();
    let mut g = c.benchmark_group("scaling");
    for n in [10usize, 50, 100, 200, 500] {
        // n fields in all, signature included.
        let set = shuffled(notification_fields(n - 1));
        let b_text = signed_body(&set);
        let joined = signing_string(&set);
        assert!(shop.verify(b_text.as_bytes()).is_ok(), "{n}");
        g.bench_with_input(BenchmarkId::new("baseline", n), &n, |b, _| {
            b.iter(|| hmac_raw(black_box(joined.as_bytes()), black_box(KEY.as_bytes())))
        });
        g.bench_with_input(BenchmarkId::new("vads", n), &n, |b, _| {
            b.iter(|| shop.verify(black_box(b_text.as_bytes())).unwrap().mode())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_sign, bench_verify, bench_scaling);
criterion_main!(benches);
