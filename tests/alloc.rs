//! Proves that `vads::sign`, `Shop::verify` and `Shop::verify_rest` do not touch the heap, accepted or rejected:
//! a counting global allocator counts every allocation made while a check runs.
//!
//! This file holds a single #[test] so that no other test thread allocates meanwhile, and
//! only the allocations of the thread that runs the check are counted (the harness's own
//! threads are not the library's).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use vads::{sign, Algorithm, Endpoint, Key, Mode, SecretString, Shop, ShopConfig};

struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
thread_local! {
    /// Whether this thread is the one being measured.
    static MEASURED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTING.load(Ordering::SeqCst) && MEASURED.with(Cell::get)
}
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    MEASURED.with(|m| m.set(true));
    COUNTING.store(true, Ordering::SeqCst);
    let r = std::hint::black_box(f());
    COUNTING.store(false, Ordering::SeqCst);
    MEASURED.with(|m| m.set(false));
    (ALLOCATIONS.load(Ordering::SeqCst), r)
}

fn data(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/benches/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .trim_end()
    .to_owned()
}

#[test]
fn sign_and_verify_do_not_allocate() {
    // The counter itself works.
    let (n, _) = allocations(|| vec![1u8; 10]);
    assert_eq!(n, 1);

    let key: Key = data("bench-key.txt").parse().unwrap();
    let form = [
        ("vads_version", "V2"),
        ("vads_site_id", "12345678"),
        ("vads_ctx_mode", "TEST"),
        ("vads_trans_id", "4f2K9a"),
        ("vads_amount", "12990"),
        ("vads_currency", "978"),
        ("vads_cust_first_name", "René + Zoé"),
        ("submit", "Pay"),
    ];
    for alg in [Algorithm::HmacSha256, Algorithm::Sha1] {
        let (n, r) = allocations(|| sign(form, &key, alg));
        assert!(r.is_ok());
        assert_eq!(n, 0, "sign {alg}");
    }
    let (n, r) = allocations(|| {
        sign(
            [("vads_a", "1"), ("vads_a", "2")],
            &key,
            Algorithm::HmacSha256,
        )
    });
    assert!(r.is_err());
    assert_eq!(n, 0, "sign refusing a duplicate");

    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(data("bench-key.txt")));
    c.production_key = Some(SecretString::new("another-key".into()));
    let shop = Shop::new(c).unwrap();
    let (n, r) =
        allocations(|| shop.sign(form.iter().copied().filter(|(n, _)| *n != "vads_ctx_mode")));
    assert!(r.is_ok());
    assert_eq!(n, 0, "Shop::sign");

    let ordered = data("notification-ordered.txt");
    let shuffled = data("notification-shuffled.txt");
    let tampered = ordered.replace("vads_amount=12990", "vads_amount=12991");
    let production = ordered.replace("vads_ctx_mode=TEST", "vads_ctx_mode=PRODUCTION");
    let malformed_vads = ordered.replace("vads_order_info=", "vads_order_info=%G0");
    let cases: [(&str, &[u8], Option<&str>); 9] = [
        ("ordered", ordered.as_bytes(), None),
        ("shuffled", shuffled.as_bytes(), None),
        ("tampered", tampered.as_bytes(), Some("bad_signature")),
        ("mode", production.as_bytes(), Some("mode_mismatch")),
        ("malformed", b"x=%G0", Some("malformed_body")),
        (
            "malformed vads_ value",
            malformed_vads.as_bytes(),
            Some("malformed_body"),
        ),
        ("duplicate", b"a=1&a=2", Some("duplicate_field")),
        ("missing", b"vads_a=1", Some("missing_signature")),
        ("empty", b"", Some("missing_signature")),
    ];
    for (name, body, expected) in cases {
        let (n, r) = allocations(|| shop.verify(body).map(|n| n.mode()));
        assert_eq!(r.err().map(|e| e.code()), expected, "{name}");
        assert_eq!(n, 0, "verify {name}");
    }
    let big = vec![b'a'; vads::MAX_BODY_LEN + 1];
    let (n, r) = allocations(|| shop.verify(&big).map(|n| n.mode()));
    assert_eq!(r.unwrap_err().code(), "body_too_large");
    assert_eq!(n, 0);

    // REST answers: the platform's published ones, tampered, and every framing refusal.
    #[derive(serde::Deserialize)]
    struct Vectors {
        vectors: Vec<RestVector>,
    }
    #[derive(serde::Deserialize)]
    struct RestVector {
        endpoint: String,
        key: String,
        body: String,
    }
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rest-kr-hash.json"
    ))
    .unwrap();
    let vectors: Vectors = serde_json::from_str(&text).unwrap();
    let mut c = ShopConfig::new("69876357", Mode::Test);
    for v in &vectors.vectors {
        let key = Some(SecretString::new(v.key.clone()));
        match v.endpoint.as_str() {
            "ipn" => c.test_password = key,
            _ => c.test_hmac_key = key,
        }
    }
    c.test_key = Some(SecretString::new(data("bench-key.txt")));
    let rest_shop = Shop::new(c).unwrap();
    for v in &vectors.vectors {
        let endpoint: Endpoint = v.endpoint.parse().unwrap();
        let other = match endpoint {
            Endpoint::Ipn => Endpoint::Return,
            Endpoint::Return => Endpoint::Ipn,
        };
        let tampered = v.body.replacen("%22PAID%22", "%22PAIF%22", 1);
        let framing = |from: &str, to: &str| v.body.replacen(from, to, 1);
        let no_algorithm = framing("kr-hash-algorithm=sha256_hmac&", "");
        let other_algorithm = framing("kr-hash-algorithm=sha256_hmac", "kr-hash-algorithm=sha512");
        let duplicated = format!("{}&kr-hash=00", v.body);
        let bad_json = framing("kr-answer=%7B", "kr-answer=%5B");
        let cases: [(&str, &[u8], Endpoint, Option<&str>); 8] = [
            ("rest", v.body.as_bytes(), endpoint, None),
            (
                "rest tampered",
                tampered.as_bytes(),
                endpoint,
                Some("bad_signature"),
            ),
            (
                "rest other endpoint",
                v.body.as_bytes(),
                other,
                Some("wrong_hash_key"),
            ),
            (
                "rest no algorithm",
                no_algorithm.as_bytes(),
                endpoint,
                Some("missing_field"),
            ),
            (
                "rest algorithm",
                other_algorithm.as_bytes(),
                endpoint,
                Some("unsupported_hash_algorithm"),
            ),
            (
                "rest duplicate",
                duplicated.as_bytes(),
                endpoint,
                Some("duplicate_field"),
            ),
            (
                "rest not an object",
                bad_json.as_bytes(),
                endpoint,
                Some("bad_signature"),
            ),
            ("rest big", &big, endpoint, Some("body_too_large")),
        ];
        for (name, body, at, expected) in cases {
            let (n, r) = allocations(|| rest_shop.verify_rest(body, at).map(|n| n.mode()));
            assert_eq!(r.err().map(|e| e.code()), expected, "{name} {}", v.endpoint);
            assert_eq!(n, 0, "verify_rest {name} {}", v.endpoint);
            let (n, r) = allocations(|| rest_shop.verify_any(body, at).map(|n| n.mode()));
            assert_eq!(
                r.err().map(|e| e.code()),
                expected,
                "{name} {} (any)",
                v.endpoint
            );
            assert_eq!(n, 0, "verify_any {name} {}", v.endpoint);
        }
    }
    // A signed answer that is not JSON is refused after the hash, still without heap.
    let key = &vectors.vectors[1].key;
    let not_json = vads_reference::rest_body("{\"shopId\":", key, "password");
    let (n, r) = allocations(|| {
        rest_shop
            .verify_rest(not_json.as_bytes(), Endpoint::Ipn)
            .map(|n| n.mode())
    });
    assert_eq!(r.unwrap_err().code(), "malformed_answer");
    assert_eq!(n, 0);
}
