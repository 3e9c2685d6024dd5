//! Runs one case of `benches/goals.rs` a fixed number of times, for instruction counting
//! with callgrind (repeatable on a noisy machine, unlike timings):
//!
//! ```sh
//! cargo build --release --example profile_goals
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/profile_goals verify_52_random 1000
//! callgrind_annotate cg.out | head -40
//! ```
//!
//! Cases: `sign_13`, `sign_60`, `verify_52_sorted`, `verify_52_random`,
//! `verify_300_random`, `verify_N` (N fields, random order), and `baseline_<case>` for the
//! raw HMAC-SHA-256 of the same signing string. `body_<case>` prints the case's body
//! (what `scripts/bench_python.py` verifies in Python).

use hmac::{Hmac, KeyInit, Mac};
use std::hint::black_box;
use vads::{sign, Algorithm, Key, Mode, SecretString, Shop, ShopConfig};

#[path = "../benches/inputs.rs"]
mod inputs;
use inputs::{form13, form60, notification_fields, shuffled, signed_body, signing_string, KEY};

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "verify_52_random".into());
    let times: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let (print, case) = match case.strip_prefix("body_") {
        Some(rest) => (true, rest.to_owned()),
        None => (false, case),
    };
    let (baseline, case) = match case.strip_prefix("baseline_") {
        Some(rest) => (true, rest.to_owned()),
        None => (false, case),
    };
    let mut config = ShopConfig::new("12345678", Mode::Test);
    config.test_key = Some(SecretString::new(KEY.into()));
    let shop = Shop::new(config).expect("config");
    let key: Key = KEY.parse().expect("key");
    let (fields, signing) = match case.as_str() {
        "sign_13" => (form13(), true),
        "sign_60" => (form60(), true),
        "verify_52_sorted" => {
            let mut f = notification_fields(51);
            f.sort();
            (f, false)
        }
        "verify_52_random" => (shuffled(notification_fields(51)), false),
        other => {
            let n: usize = other
                .strip_prefix("verify_")
                .and_then(|n| n.trim_end_matches("_random").parse().ok())
                .expect("a case of benches/goals.rs");
            (shuffled(notification_fields(n - 1)), false)
        }
    };
    let joined = signing_string(&fields);
    let body = signed_body(&fields);
    if print {
        println!("{body}");
        return;
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    for _ in 0..times {
        if baseline {
            let mut m =
                <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(KEY.as_bytes()).expect("key");
            m.update(black_box(joined.as_bytes()));
            black_box(m.finalize().into_bytes());
        } else if signing {
            let s = sign(
                black_box(pairs.iter().copied()),
                &key,
                Algorithm::HmacSha256,
            );
            black_box(s.expect("signs"));
        } else {
            let n = shop.verify(black_box(body.as_bytes())).expect("verifies");
            black_box(n.mode());
        }
    }
}
