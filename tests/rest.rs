//! REST answers (`kr-hash`, protocol section 7): the platform's two published answers
//! (tests/data/rest-kr-hash.json, copied from shared/vectors/rest-kr-hash.json) verified
//! byte for byte, and the strictness of the `vads_*` path held for REST bodies.

mod common;

use vads::{
    Endpoint, Format, Mode, SecretString, Shop, ShopConfig, Shops, ShopsConfig, VerifyError,
};
use vads_reference::{encode_body, rest_body, rest_hash};

#[derive(serde::Deserialize)]
struct Vector {
    endpoint: String,
    shop_id: String,
    mode: String,
    key_kind: String,
    key: String,
    kr_hash: String,
    kr_answer: String,
    body: String,
}

fn vectors() -> Vec<Vector> {
    #[derive(serde::Deserialize)]
    struct File {
        vectors: Vec<Vector>,
    }
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rest-kr-hash.json"
    ))
    .unwrap();
    let f: File = serde_json::from_str(&text).unwrap();
    assert_eq!(f.vectors.len(), 2);
    f.vectors
}

const PASSWORD: &str = "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M";
const HMAC_KEY: &str = "38453613e7f44dc58732bad3dca2bca3";
const SITE: &str = "69876357";

/// The demo shop of the published answers, with both REST keys (and a form key).
fn demo_shop(mode: Mode) -> Shop {
    let mut c = ShopConfig::new(SITE, mode);
    match mode {
        Mode::Test => {
            c.test_password = Some(SecretString::new(PASSWORD.into()));
            c.test_hmac_key = Some(SecretString::new(HMAC_KEY.into()));
        }
        // The HMAC key only: a `testpassword_` is refused as a production password.
        Mode::Production => {
            c.production_hmac_key = Some(SecretString::new(HMAC_KEY.into()));
        }
    }
    Shop::new(c).unwrap()
}

fn endpoint(name: &str) -> Endpoint {
    name.parse().unwrap()
}

#[test]
fn the_published_answers_verify_byte_for_byte() {
    for v in vectors() {
        assert_eq!(v.mode, "TEST");
        // The reference computes the published hash from the published answer and key...
        assert_eq!(rest_hash(&v.kr_answer, &v.key), v.kr_hash);
        // ...and the library verifies the published body with the shop's key of that kind.
        let mut c = ShopConfig::new(&v.shop_id, Mode::Test);
        let secret = Some(SecretString::new(v.key.clone()));
        match v.key_kind.as_str() {
            "password" => c.test_password = secret,
            "hmac_key" => c.test_hmac_key = secret,
            other => panic!("{other}"),
        }
        let shop = Shop::new(c).unwrap();
        let at = endpoint(&v.endpoint);
        let n = shop.verify_rest(v.body.as_bytes(), at).unwrap();
        assert_eq!(n.answer_text(), v.kr_answer, "hashed exactly as received");
        assert_eq!(n.site_id(), v.shop_id);
        assert_eq!(n.mode(), Mode::Test);
        assert_eq!(n.endpoint(), at);
        assert_eq!(n.answer_type().as_deref(), Some("V4/Payment"));
        // Auto-detection picks the same path.
        assert_eq!(Format::of(v.body.as_bytes()), Format::Rest);
        let any = shop.verify_any(v.body.as_bytes(), at).unwrap();
        assert_eq!(any.format(), Format::Rest);
        // One byte of the answer changed: refused.
        let tampered = v.body.replacen("%22PAID%22", "%22PAIF%22", 1);
        assert_ne!(tampered, v.body);
        assert_eq!(
            shop.verify_rest(tampered.as_bytes(), at).unwrap_err(),
            VerifyError::BadSignature
        );
        // The other endpoint: its key name differs, refused before any hashing.
        let other = match at {
            Endpoint::Ipn => Endpoint::Return,
            Endpoint::Return => Endpoint::Ipn,
        };
        assert_eq!(
            shop.verify_rest(v.body.as_bytes(), other).unwrap_err(),
            VerifyError::WrongHashKey { endpoint: other }
        );
    }
}

/// A published answer re-sent as some servers send it, each `/` written `\/`: the
/// platform signed the plain text, so the hash of what arrives does not match, and the
/// official SDKs (and `vads`) verify the text with the escapes written as `/`.
fn with_escaped_slashes(v: &Vector) -> (String, String) {
    let escaped = v.kr_answer.replace('/', "\\/");
    assert!(escaped.contains("V4\\/Payment"));
    let body = encode_body(&[
        ("kr-hash", v.kr_hash.as_str()),
        ("kr-hash-algorithm", "sha256_hmac"),
        ("kr-hash-key", endpoint(&v.endpoint).hash_key_name()),
        ("kr-answer-type", "V4/Payment"),
        ("kr-answer", escaped.as_str()),
    ]);
    (escaped, body)
}

#[test]
fn published_answers_with_escaped_slashes_verify_as_the_official_sdks_verify_them() {
    let shop = demo_shop(Mode::Test);
    for v in vectors() {
        let at = endpoint(&v.endpoint);
        let (escaped, body) = with_escaped_slashes(&v);
        // The hash over the text as received is not the platform's...
        assert_ne!(rest_hash(&escaped, &v.key), v.kr_hash);
        // ...the one over the text with its escapes written plain is.
        assert_eq!(
            rest_hash(&vads_reference::unescape_slashes(&escaped), &v.key),
            v.kr_hash
        );
        let n = shop.verify_rest(body.as_bytes(), at).unwrap();
        // What the shop reads is what arrived: the same JSON as what was signed.
        assert_eq!(n.answer_text(), escaped);
        let read: serde_json::Value = serde_json::from_str(&n.answer_text()).unwrap();
        let signed: serde_json::Value = serde_json::from_str(&v.kr_answer).unwrap();
        assert_eq!(read, signed);
        assert!(shop.verify_any(body.as_bytes(), at).is_ok());
        // Tampered after escaping: refused.
        let tampered = body.replacen("%22PAID%22", "%22PAIF%22", 1);
        assert_ne!(tampered, body);
        assert_eq!(
            shop.verify_rest(tampered.as_bytes(), at).unwrap_err(),
            VerifyError::BadSignature
        );
        // A backslash added before an escaped slash makes it `\\/` + `/`: another text.
        let doubled = body.replacen("%5C%2F", "%5C%5C%2F", 1);
        assert_ne!(doubled, body);
        assert_eq!(
            shop.verify_rest(doubled.as_bytes(), at).unwrap_err(),
            VerifyError::BadSignature
        );
    }
}

#[test]
fn an_escaped_backslash_before_a_slash_is_not_an_escaped_slash() {
    let shop = demo_shop(Mode::Test);
    // Sent: the value `a\\/b\/c` (JSON for `a\/b/c`).
    let sent = r#"{"shopId":"69876357","orderDetails":{"mode":"TEST"},"x":"a\\/b\/c"}"#;
    let json_aware = vads_reference::unescape_slashes(sent);
    assert_eq!(
        json_aware,
        r#"{"shopId":"69876357","orderDetails":{"mode":"TEST"},"x":"a\\/b/c"}"#
    );
    // A naive text replacement turns `\\/` into `\/`: the value `a\/b/c` becomes `a/b/c`.
    let naive = sent.replace("\\/", "/");
    assert_ne!(naive, json_aware);
    let signed_over = |text: &str| {
        encode_body(&[
            ("kr-hash", rest_hash(text, PASSWORD).as_str()),
            ("kr-hash-algorithm", "sha256_hmac"),
            ("kr-hash-key", "password"),
            ("kr-answer", sent),
        ])
    };
    assert!(shop
        .verify_rest(signed_over(&json_aware).as_bytes(), Endpoint::Ipn)
        .is_ok());
    assert!(shop
        .verify_rest(signed_over(sent).as_bytes(), Endpoint::Ipn)
        .is_ok());
    assert_eq!(
        shop.verify_rest(signed_over(&naive).as_bytes(), Endpoint::Ipn)
            .unwrap_err(),
        VerifyError::BadSignature
    );
}

#[test]
fn the_key_is_chosen_by_the_endpoint_never_by_the_body() {
    let shop = demo_shop(Mode::Test);
    let v = vectors();
    let ret = v.iter().find(|v| v.endpoint == "return").unwrap();
    // A browser-return answer that claims kr-hash-key=password, hashed with the HMAC key:
    // at the IPN endpoint the password is the key, so it does not verify.
    let claimed = ret
        .body
        .replace("kr-hash-key=sha256_hmac", "kr-hash-key=password");
    assert_eq!(
        shop.verify_rest(claimed.as_bytes(), Endpoint::Ipn)
            .unwrap_err(),
        VerifyError::BadSignature
    );
    // Signed with the password and claiming it, at the return endpoint: wrong key name.
    let answer = &ret.kr_answer;
    let body = rest_body(answer, PASSWORD, "password");
    assert_eq!(
        shop.verify_rest(body.as_bytes(), Endpoint::Return)
            .unwrap_err(),
        VerifyError::WrongHashKey {
            endpoint: Endpoint::Return
        }
    );
    assert!(shop.verify_rest(body.as_bytes(), Endpoint::Ipn).is_ok());
}

/// A REST body of exactly `fields`, urlencoded.
fn body(fields: &[(&str, &str)]) -> String {
    encode_body(fields)
}

#[test]
fn framing_errors_reuse_the_codes_of_the_vads_path() {
    let shop = demo_shop(Mode::Test);
    let answer = &vectors()[1].kr_answer;
    let hash = rest_hash(answer, PASSWORD);
    let good = [
        ("kr-hash", hash.as_str()),
        ("kr-hash-algorithm", "sha256_hmac"),
        ("kr-hash-key", "password"),
        ("kr-answer-type", "V4/Payment"),
        ("kr-answer", answer.as_str()),
    ];
    let ipn = |b: &str| shop.verify_rest(b.as_bytes(), Endpoint::Ipn).map(|_| ());
    assert_eq!(ipn(&body(&good)), Ok(()));
    let without = |name: &str| {
        let f: Vec<_> = good.iter().copied().filter(|(n, _)| *n != name).collect();
        body(&f)
    };
    let with = |name: &str, value: &str| {
        let f: Vec<_> = good
            .iter()
            .map(|&(n, v)| (n, if n == name { value } else { v }))
            .collect();
        body(&f)
    };
    let cases: Vec<(String, &str)> = vec![
        (without("kr-hash"), "missing_signature"),
        (without("kr-answer"), "missing_field"),
        (without("kr-hash-algorithm"), "missing_field"),
        (without("kr-hash-key"), "missing_field"),
        (
            with("kr-hash-algorithm", "sha512_hmac"),
            "unsupported_hash_algorithm",
        ),
        (
            with("kr-hash-algorithm", "SHA256_HMAC"),
            "unsupported_hash_algorithm",
        ),
        (with("kr-hash-key", "sha256_hmac"), "wrong_hash_key"),
        (with("kr-hash-key", "Password"), "wrong_hash_key"),
        (with("kr-hash", &hash.to_uppercase()), "bad_signature"),
        (with("kr-hash", &hash[..63]), "bad_signature"),
        (with("kr-hash", &format!("{hash}0")), "bad_signature"),
        (with("kr-hash", ""), "bad_signature"),
        // Duplicates anywhere, as in vads_* bodies.
        (format!("{}&kr-hash={hash}", body(&good)), "duplicate_field"),
        (
            format!("{}&kr-answer=%7B%7D", body(&good)),
            "duplicate_field",
        ),
        (format!("{}&x=1&x=2", body(&good)), "duplicate_field"),
        // Strict encoding.
        (format!("{}&x=%G0", body(&good)), "malformed_body"),
        (format!("{}%", body(&good)), "malformed_body"),
        (format!("{}%FF", body(&good)), "malformed_body"),
        (format!("x=\u{1}&{}", body(&good)), "malformed_body"),
        ("a".repeat(vads::MAX_BODY_LEN + 1), "body_too_large"),
    ];
    for (b, code) in &cases {
        assert_eq!(ipn(b).unwrap_err().code(), *code, "{b:.120}");
    }
    // An escape that decodes to a different answer is a different answer.
    let plus = body(&good).replacen("%3A", ":", 1);
    assert!(ipn(&plus).is_ok(), "':' and '%3A' decode alike");
    let space = body(&good).replacen("%22shopId", "+%22shopId", 1);
    assert_eq!(ipn(&space).unwrap_err().code(), "bad_signature");
}

#[test]
fn mode_and_site_are_checked_after_the_signature_in_the_signed_json() {
    let test_shop = demo_shop(Mode::Test);
    let prod_shop = demo_shop(Mode::Production);
    let v = vectors();
    let ipn_vector = v.iter().find(|v| v.endpoint == "ipn").unwrap();
    let return_vector = v.iter().find(|v| v.endpoint == "return").unwrap();
    // A TEST answer to a PRODUCTION shop (same HMAC key here, to reach the mode check).
    assert_eq!(
        prod_shop
            .verify_rest(return_vector.body.as_bytes(), Endpoint::Return)
            .unwrap_err(),
        VerifyError::ModeMismatch {
            notification: Some(Mode::Test),
            shop: Mode::Production
        }
    );
    // Another shop's answer.
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    let other = Shop::new(c).unwrap();
    let e = other
        .verify_rest(ipn_vector.body.as_bytes(), Endpoint::Ipn)
        .unwrap_err();
    assert_eq!(e.code(), "site_mismatch");
    assert_eq!(
        e.to_string(),
        "site_mismatch: notification is for site 69876357, shop is 12345678"
    );
    // Signed answers with a wrong mode, no mode, a duplicated shopId, invalid JSON.
    let signed = |answer: &str| {
        test_shop
            .verify_rest(
                rest_body(answer, PASSWORD, "password").as_bytes(),
                Endpoint::Ipn,
            )
            .map(|_| ())
    };
    let a = &ipn_vector.kr_answer;
    assert_eq!(signed(a), Ok(()));
    let cases = [
        (
            a.replace(r#""mode":"TEST""#, r#""mode":"PRODUCTION""#),
            "mode_mismatch",
        ),
        (
            a.replace(r#""mode":"TEST""#, r#""mode":"test""#),
            "mode_mismatch",
        ),
        (
            a.replace(r#""mode":"TEST""#, r#""mode":null"#),
            "mode_mismatch",
        ),
        (a.replace(r#""mode":"TEST","#, ""), "mode_mismatch"),
        (
            a.replacen(r#""shopId":"69876357""#, r#""shopId":"12345678""#, 1),
            "site_mismatch",
        ),
        (
            a.replacen(r#""shopId":"69876357","#, "", 1),
            "site_mismatch",
        ),
        (
            a.replacen(
                r#""shopId":"69876357","#,
                r#""shopId":"69876357","shopId":"12345678","#,
                1,
            ),
            "malformed_answer",
        ),
        (
            a.replacen(
                r#""mode":"TEST","#,
                r#""mode":"TEST","mode":"PRODUCTION","#,
                1,
            ),
            "malformed_answer",
        ),
        (format!("{a},"), "malformed_answer"),
        (a.replacen('}', ",}", 1), "malformed_answer"),
        ("[]".to_owned(), "malformed_answer"),
    ];
    for (answer, code) in &cases {
        assert_eq!(signed(answer).unwrap_err().code(), *code, "{answer:.200}");
    }
    // The mode and site only count where the protocol puts them: a transaction's own
    // shopId or a nested "mode" do not.
    let nested = a.replacen(
        r#""_type":"V4/Payment"}"#,
        r#""x":{"mode":"PRODUCTION","shopId":"1"},"_type":"V4/Payment"}"#,
        1,
    );
    assert_ne!(&nested, a);
    assert_eq!(signed(&nested), Ok(()));
    // Escaped JSON (as PHP writes "\/") is hashed as received and read decoded.
    let escaped = a
        .replace("V4/", "V4\\/")
        .replace(r#""mode":"TEST""#, r#""mode":"T\u0045ST""#);
    assert_eq!(signed(&escaped), Ok(()));
}

#[test]
fn shops_dispatch_rest_answers_on_their_shop_id() {
    let mut one = ShopConfig::new(SITE, Mode::Test);
    one.test_password = Some(SecretString::new(PASSWORD.into()));
    let mut two = ShopConfig::new("12345678", Mode::Test);
    two.test_key = Some(SecretString::new("form-key-of-two-123".into()));
    two.test_password = Some(SecretString::new("testpassword_OTHER1234567890".into()));
    let mut config = ShopsConfig::single(one);
    config.shops.insert("two".into(), two);
    let shops = Shops::new(config).unwrap();
    let v = vectors();
    let ipn_vector = v.iter().find(|v| v.endpoint == "ipn").unwrap();
    let (name, n) = shops
        .verify_rest(ipn_vector.body.as_bytes(), Endpoint::Ipn)
        .unwrap();
    assert_eq!((name, n.site_id()), (vads::DEFAULT_SHOP, SITE));
    let (name, any) = shops
        .verify_any(ipn_vector.body.as_bytes(), Endpoint::Ipn)
        .unwrap();
    assert_eq!((name, any.format()), (vads::DEFAULT_SHOP, Format::Rest));
    // Shop "two" signs with its own password; an answer naming shop one but hashed with
    // two's password goes to one, and fails there.
    let forged = rest_body(
        &ipn_vector.kr_answer,
        "testpassword_OTHER1234567890",
        "password",
    );
    assert_eq!(
        shops
            .verify_rest(forged.as_bytes(), Endpoint::Ipn)
            .unwrap_err(),
        VerifyError::BadSignature
    );
    // No shop has the answer's shopId.
    let unknown = ipn_vector.kr_answer.replace(SITE, "11112222");
    let e = shops
        .verify_rest(
            rest_body(&unknown, PASSWORD, "password").as_bytes(),
            Endpoint::Ipn,
        )
        .unwrap_err();
    assert_eq!(
        e,
        VerifyError::SiteMismatch {
            notification: vads::SiteId::parse(b"11112222"),
            shop: None
        }
    );
}

#[test]
fn a_shop_may_have_rest_keys_form_keys_or_both() {
    // REST keys only: it verifies REST answers; signing and vads_* bodies need a form key.
    let shop = demo_shop(Mode::Test);
    assert!(!shop.has_form_key());
    assert!(shop.has_rest_key(Endpoint::Ipn) && shop.has_rest_key(Endpoint::Return));
    let e = shop.sign([("vads_amount", "100")]).unwrap_err();
    assert_eq!(e.code(), "key_not_configured");
    assert_eq!(
        e.to_string(),
        "key_not_configured: the shop has no test key configured for its mode"
    );
    let fields = common::realistic_notification("TEST", SITE);
    let vads_body = common::signed_body(&fields, "some-form-key-123", "HMAC-SHA-256");
    assert_eq!(
        shop.verify(vads_body.as_bytes()).unwrap_err(),
        VerifyError::KeyNotConfigured { which: "test key" }
    );
    // A form key only: REST answers are refused with the missing key named.
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_key = Some(SecretString::new("some-form-key-123".into()));
    let form_only = Shop::new(c).unwrap();
    assert!(form_only.verify(vads_body.as_bytes()).is_ok());
    let v = vectors();
    for v in &v {
        let e = form_only
            .verify_rest(v.body.as_bytes(), endpoint(&v.endpoint))
            .unwrap_err();
        assert_eq!(e.code(), "key_not_configured", "{}", v.endpoint);
    }
    // Both, at one endpoint: each format with its own key.
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_key = Some(SecretString::new("some-form-key-123".into()));
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    let both = Shop::new(c).unwrap();
    let ipn_vector = v.iter().find(|v| v.endpoint == "ipn").unwrap();
    for (b, format) in [
        (vads_body.as_str(), Format::Form),
        (ipn_vector.body.as_str(), Format::Rest),
    ] {
        assert_eq!(
            both.verify_any(b.as_bytes(), Endpoint::Ipn)
                .unwrap()
                .format(),
            format
        );
    }
    // No key at all for the mode: refused when built, naming every kind.
    let e = Shop::new(ShopConfig::new(SITE, Mode::Test)).unwrap_err();
    assert_eq!(e.code(), "missing_key");
    assert!(e.to_string().contains("test_password"), "{e}");
    // REST keys of the other mode only: still missing for this one.
    let mut c = ShopConfig::new(SITE, Mode::Production);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    assert_eq!(Shop::new(c).unwrap_err().code(), "missing_key");
}

#[test]
fn rest_keys_are_loaded_like_form_keys() {
    let dir = std::env::temp_dir().join(format!("vads-rest-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("password");
    std::fs::write(&path, format!("{PASSWORD}\n")).unwrap();
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_password_file = Some(path.clone());
    let shop = Shop::new(c).unwrap();
    let v = vectors();
    let ipn_vector = v.iter().find(|v| v.endpoint == "ipn").unwrap();
    assert!(shop
        .verify_rest(ipn_vector.body.as_bytes(), Endpoint::Ipn)
        .is_ok());
    // Two sources for one key: refused, naming the setting.
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_password_file = Some(path.clone());
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    let e = Shop::new(c).unwrap_err();
    assert_eq!(
        e.to_string(),
        "key_source_conflict: give only one of test_password, test_password_file and test_password_env"
    );
    // An unreadable source: the key error's code, the key named.
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_hmac_key_file = Some(dir.join("absent"));
    let e = Shop::new(c).unwrap_err();
    assert_eq!(e.code(), "key_file_unreadable");
    assert!(e.to_string().contains("test HMAC key: "), "{e}");
    // Debug of a config and a shop never shows a REST key.
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    c.test_hmac_key = Some(SecretString::new(HMAC_KEY.into()));
    let text = format!("{c:?}");
    let shop = Shop::new(c).unwrap();
    let text = format!("{text}{shop:?}");
    assert!(
        !text.contains("DEMOPRIVATEKEY") && !text.contains(HMAC_KEY),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "toml")]
#[test]
fn rest_keys_come_from_toml_and_relative_files() {
    let dir = std::env::temp_dir().join(format!("vads-rest-toml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hmac.key"), HMAC_KEY).unwrap();
    std::fs::write(
        dir.join("shop.toml"),
        format!(
            "site_id = \"{SITE}\"\nctx_mode = \"TEST\"\ntest_password_env = \"VADS_REST_TEST_PASSWORD_X\"\ntest_hmac_key_file = \"hmac.key\"\n"
        ),
    )
    .unwrap();
    // A variable only this test reads.
    std::env::set_var("VADS_REST_TEST_PASSWORD_X", PASSWORD);
    let shop = Shop::new(ShopConfig::from_toml_file(dir.join("shop.toml")).unwrap()).unwrap();
    for v in vectors() {
        assert!(shop
            .verify_rest(v.body.as_bytes(), endpoint(&v.endpoint))
            .is_ok());
    }
    // A misspelt REST setting is named, with the right one suggested.
    let e = ShopConfig::from_toml_str(
        "site_id = \"69876357\"\nctx_mode = \"TEST\"\ntest_pasword = \"x\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("did you mean test_password?"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "rest")]
#[test]
fn the_typed_view_reads_the_published_answer() {
    use vads::rest_answer::OrderStatus;
    use vads::{OperationType, Outcome, TransStatus};
    let shop = demo_shop(Mode::Test);
    let v = vectors();
    let ipn_vector = v.iter().find(|v| v.endpoint == "ipn").unwrap();
    let n = shop
        .verify_rest(ipn_vector.body.as_bytes(), Endpoint::Ipn)
        .unwrap();
    let a = n.answer().unwrap();
    assert_eq!(a.shop_id, SITE);
    assert_eq!(a.order_status(), OrderStatus::Paid);
    assert_eq!(a.order_details.order_total_amount, Some(990));
    assert_eq!(
        a.order_details.order_id.as_deref(),
        Some("myOrderId-618776")
    );
    assert_eq!(a.order_details.order_currency.as_deref(), Some("EUR"));
    assert_eq!(a.order_details.mode.as_deref(), Some("TEST"));
    assert_eq!(
        a.customer.as_ref().unwrap().email.as_deref(),
        Some("sample@example.com")
    );
    let [t] = a.transactions.as_slice() else {
        panic!("one transaction")
    };
    assert_eq!(t.uuid.as_deref(), Some("017574bda28e4f1d8413b97fc65c8197"));
    assert_eq!((t.amount, t.currency.as_deref()), (Some(990), Some("EUR")));
    assert_eq!(t.trans_status(), Some(TransStatus::Authorised));
    assert_eq!(t.operation(), Some(OperationType::Debit));
    assert_eq!(t.outcome(), Outcome::Paid);
    let [e] = a.events().try_into().unwrap();
    assert_eq!(e.transaction, "017574bda28e4f1d8413b97fc65c8197");
    assert_eq!(
        e.currency.as_deref(),
        Some("978"),
        "numeric, as vads_currency"
    );
    assert_eq!(e.trans_id.as_deref(), Some("908967"));
    assert_eq!(e.trans_date.as_deref(), Some("20181211190926"));
    // A signed answer whose known field has the wrong type: a clear error, no value quoted.
    let odd =
        ipn_vector
            .kr_answer
            .replacen(r#""amount":990"#, r#""amount":"deux cent cinquante""#, 1);
    let body = rest_body(&odd, PASSWORD, "password");
    let n = shop.verify_rest(body.as_bytes(), Endpoint::Ipn).unwrap();
    let e = n.answer().unwrap_err();
    assert_eq!(e.code(), "invalid_answer");
    assert!(!e.to_string().contains("deux"), "{e}");
}

#[cfg(all(feature = "rest", feature = "testing"))]
#[test]
fn one_order_mixes_both_formats_and_a_refund_is_never_paid() {
    use vads::lifecycle::{reconcile, OrderOutcome};
    use vads::testing::{NotificationBuilder, RestAnswerBuilder};
    use vads::{OperationType, TransStatus};
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_key = Some(SecretString::new("some-form-key-123".into()));
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    let shop = Shop::new(c).unwrap();
    let pay = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let refund = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    // The payment as a vads_* IPN, the same payment again as a REST IPN, the refund as a
    // REST IPN (twice), in any order.
    let bodies = [
        RestAnswerBuilder::new(&shop)
            .order_id("A-1")
            .amount(2000)
            .uuid(refund)
            .operation_type(OperationType::Credit)
            .status(TransStatus::Captured)
            .body()
            .unwrap(),
        NotificationBuilder::new(&shop)
            .order_id("A-1")
            .amount(5000)
            .trans_uuid(pay)
            .status(TransStatus::Captured)
            .body()
            .unwrap(),
        RestAnswerBuilder::new(&shop)
            .order_id("A-1")
            .amount(5000)
            .uuid(pay)
            .status(TransStatus::Captured)
            .body()
            .unwrap(),
    ];
    let mut events = Vec::new();
    for b in bodies.iter().chain([&bodies[0]]) {
        events.extend(
            shop.verify_any(b.as_bytes(), Endpoint::Ipn)
                .unwrap()
                .events()
                .unwrap(),
        );
    }
    let forward = reconcile(events.clone(), None).unwrap();
    events.reverse();
    let backward = reconcile(events, None).unwrap();
    assert_eq!(forward, backward);
    assert_eq!(forward.outcome, OrderOutcome::PartiallyRefunded);
    assert_eq!((forward.paid, forward.refunded), (5000, 2000));
    assert!(forward.attention.is_empty(), "{:?}", forward.attention);
}
