//! The benchmark inputs (benches/data, generated and signed by Python's hashlib/hmac in
//! scripts/gen_bench_data.py) double as cross-language vectors.

use vads::{sign, Algorithm, Key, Mode, SecretString, Shop, ShopConfig};

fn data(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/benches/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn python_signed_form_matches() {
    let key = Key::from_file(format!(
        "{}/benches/data/bench-key.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let body = data("form13.txt");
    let mut storage = [vads::body::RawField::EMPTY; 32];
    let fields = vads::body::parse(body.trim_end().as_bytes(), &mut storage).unwrap();
    let owned: Vec<(String, String)> = fields
        .iter()
        .map(|f| (f.name().into_owned(), f.value().into_owned()))
        .collect();
    assert_eq!(owned.len(), 13);
    let expected = data("form13.expected");
    for line in expected.lines() {
        let (alg, sig) = line.split_once(' ').unwrap();
        let alg: Algorithm = alg.parse().unwrap();
        let ours = sign(
            owned.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            &key,
            alg,
        )
        .unwrap();
        assert_eq!(ours.as_str(), sig);
    }
}

#[test]
fn python_signed_notifications_verify() {
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(data("bench-key.txt")));
    let shop = Shop::new(c).unwrap();
    for file in ["notification-ordered.txt", "notification-shuffled.txt"] {
        let body = data(file);
        let body = body.trim_end().as_bytes();
        assert!((1500..=3000).contains(&body.len()));
        let n = shop.verify(body).unwrap();
        assert_eq!(n.fields().count(), 75);
        assert_eq!(n.get("vads_cust_city").unwrap(), "Saint-Étienne");
        // Tampered: one byte of a value changed.
        let tampered =
            String::from_utf8_lossy(body).replace("vads_amount=12990", "vads_amount=12991");
        assert_eq!(
            shop.verify(tampered.as_bytes()).unwrap_err().code(),
            "bad_signature"
        );
    }
}
