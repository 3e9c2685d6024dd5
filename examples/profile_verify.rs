//! Runs verification of the benchmark notification (and the raw HMAC of its signing
//! string) a fixed number of times, for instruction counting with callgrind:
//!
//! ```sh
//! cargo build --release --example profile_verify
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/examples/profile_verify
//! callgrind_annotate cg.out | head -30
//! ```

use hmac::{Hmac, KeyInit, Mac};
use std::hint::black_box;
use vads::{Mode, SecretString, Shop, ShopConfig};

fn data(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/benches/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("benches/data")
    .trim_end()
    .to_owned()
}

fn main() {
    let key = data("bench-key.txt");
    let mut config = ShopConfig::new("12345678", Mode::Test);
    config.test_key = Some(SecretString::new(key.clone()));
    let shop = Shop::new(config).expect("config");
    let body = data("notification-ordered.txt");
    let joined = shop
        .explain(body.as_bytes())
        .expect("explain")
        .replace(vads::KEY_MASK, &key);
    for _ in 0..1000 {
        let n = shop.verify(black_box(body.as_bytes())).expect("verifies");
        black_box(n.mode());
        let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("key");
        m.update(black_box(joined.as_bytes()));
        black_box(m.finalize().into_bytes());
    }
}
