//! Each core path beside its baseline, in the same run (the machine is noisy; the ratios
//! are what the README reports):
//! - `sign_13/*`: `vads::sign` on a 13-field checkout form; baseline: the same hash and
//!   encoding over the already-joined signing string; naive: owned pairs, sort, join, hash.
//! - `verify_*`: `Shop::verify` on a 74-field, 2.9 KB notification (escapes, accents),
//!   fields in order and shuffled; baseline: HMAC of the decoded signing string; naive:
//!   decode into owned pairs, sort, join, hash, compare.
//!
//! Inputs: benches/data (scripts/gen_bench_data.py). Run: `cargo bench --bench core`.

use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Digest;
use std::hint::black_box;
use vads::{sign, Algorithm, Key, Mode, SecretString, Shop, ShopConfig};

fn data(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/benches/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .trim_end()
    .to_owned()
}

use vads_reference::{decode_body as naive_decode, signing_string as naive_signing_string};

#[path = "inputs.rs"]
mod inputs;
use inputs::hmac_b64;

fn sha1_hex(message: &[u8]) -> [u8; 40] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = sha1::Sha1::digest(message);
    let mut out = [0u8; 40];
    for (i, b) in d.iter().enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 15) as usize];
    }
    out
}

fn bench_sign(c: &mut Criterion) {
    let key_text = data("bench-key.txt");
    let key: Key = key_text.parse().unwrap();
    let form = naive_decode(&data("form13.txt"));
    assert_eq!(form.len(), 13);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let joined = naive_signing_string(&form, &key_text);

    let mut g = c.benchmark_group("sign_13/HMAC-SHA-256");
    g.bench_function("baseline", |b| {
        b.iter(|| hmac_b64(black_box(joined.as_bytes()), black_box(key_text.as_bytes())))
    });
    g.bench_function("core", |b| {
        b.iter(|| {
            sign(
                black_box(pairs.iter().copied()),
                &key,
                Algorithm::HmacSha256,
            )
            .unwrap()
        })
    });
    g.bench_function("naive", |b| {
        b.iter(|| {
            let s = naive_signing_string(black_box(&form), &key_text);
            String::from_utf8(hmac_b64(s.as_bytes(), key_text.as_bytes()).to_vec()).unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sign_13/SHA-1");
    g.bench_function("baseline", |b| {
        b.iter(|| sha1_hex(black_box(joined.as_bytes())))
    });
    g.bench_function("core", |b| {
        b.iter(|| sign(black_box(pairs.iter().copied()), &key, Algorithm::Sha1).unwrap())
    });
    g.finish();
}

fn bench_verify(c: &mut Criterion) {
    let key_text = data("bench-key.txt");
    let mut config = ShopConfig::new("12345678", Mode::Test);
    config.test_key = Some(SecretString::new(key_text.clone()));
    let shop = Shop::new(config).unwrap();
    for (name, file) in [
        ("verify_ordered", "notification-ordered.txt"),
        ("verify_shuffled", "notification-shuffled.txt"),
    ] {
        let body = data(file);
        let fields = naive_decode(&body);
        let joined = naive_signing_string(&fields, &key_text);
        let mut g = c.benchmark_group(name);
        g.bench_function("baseline", |b| {
            b.iter(|| {
                let mut m =
                    <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key_text.as_bytes()).unwrap();
                m.update(black_box(joined.as_bytes()));
                m.finalize().into_bytes()
            })
        });
        g.bench_function("core", |b| {
            b.iter(|| shop.verify(black_box(body.as_bytes())).unwrap().mode())
        });
        g.bench_function("naive", |b| {
            b.iter(|| {
                let fields = naive_decode(black_box(&body));
                let sig = fields
                    .iter()
                    .find(|(n, _)| n == "signature")
                    .unwrap()
                    .1
                    .clone();
                let s = naive_signing_string(&fields, &key_text);
                let ours = String::from_utf8(hmac_b64(s.as_bytes(), key_text.as_bytes()).to_vec())
                    .unwrap();
                assert_eq!(ours, sig);
                ours
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench_sign, bench_verify);
criterion_main!(benches);
