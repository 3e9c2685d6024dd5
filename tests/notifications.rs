//! Notification verification: bodies signed by the independent reference in tests/common
//! (never by the code under test), every rejection code, key rotation, config errors, and
//! redaction of keys.

mod common;

use common::{encode_body, owned, realistic_notification, reference_sign, signed_body};
use vads::{
    Algorithm, KeyMatch, Kind, Mode, Outcome, SecretString, Shop, ShopConfig, TransStatus,
    UrlCheckSource, VerifyError,
};

const SITE: &str = "12345678";
const TEST_KEY: &str = "TestKey1122334455667788";
const PROD_KEY: &str = "ProdKey9988776655443322";
const OLD_PROD_KEY: &str = "OldProdKey55443322";

fn shop(mode: Mode, algorithm: Algorithm) -> Shop {
    let mut c = ShopConfig::new(SITE, mode);
    c.algorithm = algorithm;
    c.test_key = Some(SecretString::new(TEST_KEY.into()));
    c.production_key = Some(SecretString::new(PROD_KEY.into()));
    c.previous_production_keys = vec![SecretString::new(OLD_PROD_KEY.into())];
    Shop::new(c).unwrap()
}

fn alg_name(a: Algorithm) -> &'static str {
    a.name()
}

fn key_for(mode: Mode) -> &'static str {
    match mode {
        Mode::Test => TEST_KEY,
        Mode::Production => PROD_KEY,
    }
}

#[test]
fn realistic_notifications_verify_in_both_modes_and_algorithms() {
    for mode in [Mode::Test, Mode::Production] {
        for alg in [Algorithm::HmacSha256, Algorithm::Sha1] {
            let fields = realistic_notification(mode.as_str(), SITE);
            assert!(fields.len() >= 40);
            let body = signed_body(&fields, key_for(mode), alg_name(alg));
            assert!(
                body.contains("%2B")
                    && body.contains('+')
                    && body.contains("%26")
                    && body.contains("%3D")
            );
            let shop = shop(mode, alg);
            let n = shop
                .verify(body.as_bytes())
                .unwrap_or_else(|e| panic!("{mode} {alg}: {e}"));
            assert_eq!(n.mode(), mode);
            assert_eq!(n.kind(), Kind::Ipn);
            assert_eq!(n.matched_key(), KeyMatch::Current);
            assert_eq!(n.algorithm(), alg);
            assert_eq!(n.amount().unwrap(), 5124);
            assert_eq!(n.currency().unwrap(), 978);
            assert_eq!(n.site_id(), SITE);
            assert_eq!(n.trans_id().unwrap(), "a1B2c3");
            assert_eq!(n.trans_uuid().unwrap(), "d1b0e0a6f4a84d6e9a1f0c2b3e4d5f60");
            assert_eq!(n.order_id().unwrap(), "A-2026-11-000123");
            assert_eq!(n.trans_status(), Some(TransStatus::Authorised));
            assert_eq!(n.outcome(), Outcome::Paid);
            assert_eq!(n.url_check_src(), Some(UrlCheckSource::Pay));
            assert_eq!(n.operation_type(), Some(vads::OperationType::Debit));
            assert_eq!(n.trans_date().unwrap().to_string(), "20261124130025");
            assert_eq!(
                n.get("vads_cust_address").unwrap(),
                "12 rue de l'Église & fils, bât. B = 2e étage"
            );
            assert_eq!(
                n.get("vads_cust_email").unwrap(),
                "rené.dupont+shop@example.com"
            );
            assert_eq!(n.get("vads_threeds_cavvAlgorithm").unwrap(), "2");
            assert_eq!(n.get("vads_extra_result").unwrap(), "");
            assert!(n.get("vads_nope").is_none());
            assert_eq!(
                n.idempotency_key(),
                "d1b0e0a6f4a84d6e9a1f0c2b3e4d5f60|AUTHORISED|DEBIT"
            );
            // Values without escapes are borrowed from the body.
            assert!(matches!(
                n.get("vads_amount").unwrap(),
                std::borrow::Cow::Borrowed(_)
            ));
            assert_eq!(n.fields().count(), fields.len() + 1);
        }
    }
}

#[test]
fn shuffled_fields_verify() {
    let mut fields = realistic_notification("TEST", SITE);
    fields.reverse();
    fields.swap(3, 40);
    let body = signed_body(&fields, TEST_KEY, "HMAC-SHA-256");
    // The signature first, too.
    let (rest, sig) = body.rsplit_once("&signature=").unwrap();
    let body2 = format!("signature={sig}&{rest}");
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    assert!(shop.verify(body.as_bytes()).is_ok());
    assert!(shop.verify(body2.as_bytes()).is_ok());
}

#[test]
fn browser_return_is_told_apart() {
    let fields: Vec<_> = realistic_notification("TEST", SITE)
        .into_iter()
        .filter(|(n, _)| n != "vads_hash" && n != "vads_url_check_src")
        .collect();
    let body = signed_body(&fields, TEST_KEY, "HMAC-SHA-256");
    let n = shop(Mode::Test, Algorithm::HmacSha256)
        .verify(body.as_bytes())
        .unwrap();
    assert_eq!(n.kind(), Kind::BrowserReturn);
    assert_eq!(n.url_check_src(), None);
}

#[test]
fn non_vads_fields_are_not_signed_but_tolerated() {
    let mut fields = realistic_notification("TEST", SITE);
    fields.push(("VADS_AMOUNT".into(), "1".into()));
    fields.push(("submit".into(), "Pay now".into()));
    let sig = reference_sign(&fields, TEST_KEY, "HMAC-SHA-256");
    let mut all = fields.clone();
    all.push(("signature".into(), sig));
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    assert!(shop.verify(encode_body(&all).as_bytes()).is_ok());
}

fn code(r: Result<vads::Notification<'_>, VerifyError>) -> &'static str {
    r.map(|_| ()).unwrap_err().code()
}

#[test]
fn every_tampered_field_is_a_bad_signature() {
    let fields = realistic_notification("TEST", SITE);
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    let sig = reference_sign(&fields, TEST_KEY, "HMAC-SHA-256");
    for i in 0..fields.len() {
        let mut forged = fields.clone();
        if forged[i].0 == "vads_ctx_mode" || forged[i].0 == "vads_site_id" {
            continue; // those are mode/site mismatches, below
        }
        forged[i].1.push('0');
        forged.push(("signature".into(), sig.clone()));
        assert_eq!(
            code(shop.verify(encode_body(&forged).as_bytes())),
            "bad_signature",
            "{}",
            fields[i].0
        );
    }
    // A renamed field too (the value moves in the sort order).
    let mut forged = fields.clone();
    forged[0].0 = "vads_zzz".into();
    forged.push(("signature".into(), sig.clone()));
    assert_eq!(
        code(shop.verify(encode_body(&forged).as_bytes())),
        "bad_signature"
    );
}

#[test]
fn bad_signatures() {
    let fields = realistic_notification("TEST", SITE);
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    let body = signed_body(&fields, TEST_KEY, "HMAC-SHA-256");
    let (rest, sig) = body.rsplit_once("&signature=").unwrap();
    let decoded_sig = reference_sign(&fields, TEST_KEY, "HMAC-SHA-256");
    for forged in [
        format!("{rest}&signature="),
        format!("{rest}&signature={}", &sig[..sig.len() - 3]), // truncated
        format!("{rest}&signature={sig}AA"),
        format!("{rest}&signature={}", decoded_sig), // '+' not escaped: decoded as a space
        format!(
            "{rest}&signature={}",
            reference_sign(&fields, PROD_KEY, "HMAC-SHA-256")
        ),
        format!(
            "{rest}&signature={}",
            reference_sign(&fields, TEST_KEY, "SHA-1")
        ), // wrong algorithm
        format!("{rest}&signature={}", "A".repeat(500)),
    ] {
        if forged.ends_with(&decoded_sig) && !decoded_sig.contains('+') {
            continue;
        }
        assert_eq!(
            code(shop.verify(forged.as_bytes())),
            "bad_signature",
            "{forged}"
        );
    }
}

#[test]
fn sha1_accepts_uppercase_hex() {
    let fields = realistic_notification("TEST", SITE);
    let sig = reference_sign(&fields, TEST_KEY, "SHA-1").to_uppercase();
    let mut all = fields.clone();
    all.push(("signature".into(), sig));
    assert!(shop(Mode::Test, Algorithm::Sha1)
        .verify(encode_body(&all).as_bytes())
        .is_ok());
}

/// The realistic TEST notification without the field `name`.
fn realistic_without(name: &str) -> Vec<(String, String)> {
    realistic_notification("TEST", SITE)
        .into_iter()
        .filter(|(n, _)| n != name)
        .collect()
}

/// The code a TEST shop (HMAC-SHA-256) gives `fields` signed with the test key.
fn verdict(fields: &[(String, String)]) -> &'static str {
    let body = signed_body(fields, TEST_KEY, "HMAC-SHA-256");
    code(shop(Mode::Test, Algorithm::HmacSha256).verify(body.as_bytes()))
}

#[test]
fn missing_signature() {
    let fields = realistic_notification("TEST", SITE);
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    assert_eq!(
        code(shop.verify(encode_body(&fields).as_bytes())),
        "missing_signature"
    );
    assert_eq!(code(shop.verify(b"")), "missing_signature");
}

#[test]
fn mode_mismatch_both_ways() {
    // A TEST notification, correctly signed with the test key, never reaches a PRODUCTION shop.
    let body = signed_body(
        &realistic_notification("TEST", SITE),
        TEST_KEY,
        "HMAC-SHA-256",
    );
    let e = shop(Mode::Production, Algorithm::HmacSha256)
        .verify(body.as_bytes())
        .unwrap_err();
    assert_eq!(
        e,
        VerifyError::ModeMismatch {
            notification: Some(Mode::Test),
            shop: Mode::Production
        }
    );
    assert_eq!(
        e.to_string(),
        "mode_mismatch: notification is TEST, shop is PRODUCTION"
    );
    // A PRODUCTION notification reaching a TEST deployment is misrouted.
    let body = signed_body(
        &realistic_notification("PRODUCTION", SITE),
        PROD_KEY,
        "HMAC-SHA-256",
    );
    assert_eq!(
        code(shop(Mode::Test, Algorithm::HmacSha256).verify(body.as_bytes())),
        "mode_mismatch"
    );
    // Missing or misspelt mode.
    for bad in ["PROD", "test", ""] {
        let body = signed_body(&realistic_notification(bad, SITE), TEST_KEY, "HMAC-SHA-256");
        let e = shop(Mode::Test, Algorithm::HmacSha256)
            .verify(body.as_bytes())
            .unwrap_err();
        assert_eq!(
            e,
            VerifyError::ModeMismatch {
                notification: None,
                shop: Mode::Test
            }
        );
    }
    assert_eq!(
        verdict(&realistic_without("vads_ctx_mode")),
        "mode_mismatch"
    );
}

#[test]
fn site_mismatch() {
    let body = signed_body(
        &realistic_notification("TEST", "87654321"),
        TEST_KEY,
        "HMAC-SHA-256",
    );
    assert_eq!(
        code(shop(Mode::Test, Algorithm::HmacSha256).verify(body.as_bytes())),
        "site_mismatch"
    );
    assert_eq!(verdict(&realistic_without("vads_site_id")), "site_mismatch");
}

#[test]
fn duplicate_fields_never_win() {
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    let body = signed_body(
        &realistic_notification("TEST", SITE),
        TEST_KEY,
        "HMAC-SHA-256",
    );
    for forged in [
        format!("vads_amount=1&{body}"), // forged copy before
        format!("{body}&vads_amount=1"), // after
        format!("{body}&vads_trans_status=REFUSED"),
        format!("{body}&signature=xyz"),     // two signatures
        format!("{body}&submit=a&submit=b"), // any field name twice
        format!("{body}&vads%5Famount=1"),   // the same name, encoded
    ] {
        assert_eq!(
            code(shop.verify(forged.as_bytes())),
            "duplicate_field",
            "{forged}"
        );
    }
}

#[test]
fn malformed_bodies() {
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    let body = signed_body(
        &realistic_notification("TEST", SITE),
        TEST_KEY,
        "HMAC-SHA-256",
    );
    for forged in [
        format!("{body}&x=%G0"),
        format!("{body}&x=%0"),
        format!("{body}&x=%"),
        format!("x=%&{body}"),
        format!("{body}&x=%FF"),
        format!("{body}&x=a\nb"),
        format!("{body}\n"),
    ] {
        assert_eq!(
            code(shop.verify(forged.as_bytes())),
            "malformed_body",
            "{forged:?}"
        );
    }
}

#[test]
fn size_and_count_limits() {
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    let body = signed_body(
        &realistic_notification("TEST", SITE),
        TEST_KEY,
        "HMAC-SHA-256",
    );
    let big = format!("{body}&x={}", "a".repeat(vads::MAX_BODY_LEN));
    assert_eq!(code(shop.verify(big.as_bytes())), "body_too_large");
    let many: String = (0..vads::MAX_FIELDS).map(|i| format!("&x{i}=1")).collect();
    assert_eq!(
        code(shop.verify(format!("{body}{many}").as_bytes())),
        "too_many_fields"
    );
}

#[test]
fn key_rotation() {
    let fields = realistic_notification("PRODUCTION", SITE);
    let shop = shop(Mode::Production, Algorithm::HmacSha256);
    let old = signed_body(&fields, OLD_PROD_KEY, "HMAC-SHA-256");
    assert_eq!(
        shop.verify(old.as_bytes()).unwrap().matched_key(),
        KeyMatch::Previous { index: 0 }
    );
    let current = signed_body(&fields, PROD_KEY, "HMAC-SHA-256");
    assert_eq!(
        shop.verify(current.as_bytes()).unwrap().matched_key(),
        KeyMatch::Current
    );
    assert_eq!(
        code(shop.verify(signed_body(&fields, "UnknownKey", "HMAC-SHA-256").as_bytes())),
        "bad_signature"
    );
    // The test key is never accepted in PRODUCTION.
    assert_eq!(
        code(shop.verify(signed_body(&fields, TEST_KEY, "HMAC-SHA-256").as_bytes())),
        "bad_signature"
    );
    // Previous keys only verify; signing uses the current key.
    let sig = shop.sign([("vads_amount", "1")]).unwrap();
    let mut f = owned(&[
        ("vads_amount", "1"),
        ("vads_site_id", SITE),
        ("vads_ctx_mode", "PRODUCTION"),
    ]);
    assert_eq!(sig.as_str(), reference_sign(&f, PROD_KEY, "HMAC-SHA-256"));
    f.clear();
}

#[test]
fn informational_fields_never_undo_the_verdict() {
    let mut fields = realistic_notification("TEST", SITE);
    for (n, v) in fields.iter_mut() {
        match n.as_str() {
            "vads_trans_uuid" => *v = "not-a-uuid".into(),
            "vads_amount" => *v = "12.50".into(),
            "vads_currency" => *v = "EUR".into(),
            "vads_trans_date" => *v = "yesterday".into(),
            "vads_trans_status" => *v = "SOMETHING_NEW".into(),
            "vads_url_check_src" => *v = "NEW_SRC".into(),
            _ => {}
        }
    }
    let body = signed_body(&fields, TEST_KEY, "HMAC-SHA-256");
    let n = shop(Mode::Test, Algorithm::HmacSha256)
        .verify(body.as_bytes())
        .unwrap();
    assert_eq!(n.trans_uuid().unwrap(), "not-a-uuid");
    assert_eq!(n.amount().unwrap_err().code(), "invalid_field");
    assert_eq!(n.currency().unwrap_err().code(), "invalid_field");
    assert_eq!(n.trans_date().unwrap_err().code(), "invalid_field");
    assert_eq!(n.trans_status(), Some(TransStatus::Unknown));
    assert_eq!(
        n.outcome(),
        Outcome::NeedsAttention,
        "an unknown status is never paid"
    );
    assert_eq!(n.url_check_src(), Some(UrlCheckSource::Unknown));
}

#[test]
fn outcomes_follow_the_protocol_table() {
    use TransStatus as S;
    let table = [
        ("AUTHORISED", Outcome::Paid),
        ("CAPTURED", Outcome::Paid),
        ("ACCEPTED", Outcome::Verified),
        ("AUTHORISED_TO_VALIDATE", Outcome::Pending),
        ("WAITING_AUTHORISATION", Outcome::Pending),
        ("WAITING_AUTHORISATION_TO_VALIDATE", Outcome::Pending),
        ("UNDER_VERIFICATION", Outcome::Pending),
        ("INITIAL", Outcome::Pending),
        ("PRE_AUTHORISED", Outcome::Pending),
        ("SUSPENDED", Outcome::Pending),
        ("REFUSED", Outcome::Failed),
        ("ABANDONED", Outcome::Failed),
        ("EXPIRED", Outcome::Failed),
        ("NOT_CREATED", Outcome::Failed),
        ("CANCELLED", Outcome::Cancelled),
        ("CAPTURE_FAILED", Outcome::NeedsAttention),
        ("PARTIALLY_AUTHORISED", Outcome::NeedsAttention),
        ("authorised", Outcome::NeedsAttention),
        ("", Outcome::NeedsAttention),
    ];
    for (text, outcome) in table {
        let s = S::parse(text);
        assert_eq!(Outcome::of(s), outcome, "{text}");
        if s != S::Unknown {
            assert_eq!(s.as_str(), text);
        }
    }
}

#[test]
fn missing_status_needs_attention() {
    let fields: Vec<_> = realistic_notification("TEST", SITE)
        .into_iter()
        .filter(|(n, _)| n != "vads_trans_status" && n != "vads_trans_uuid")
        .collect();
    let body = signed_body(&fields, TEST_KEY, "HMAC-SHA-256");
    let n = shop(Mode::Test, Algorithm::HmacSha256)
        .verify(body.as_bytes())
        .unwrap();
    assert_eq!(n.outcome(), Outcome::NeedsAttention);
    assert_eq!(n.idempotency_key(), "12345678-20261124130025-a1b2c3||DEBIT");
}

#[test]
fn shop_sign_fills_and_guards_site_and_mode() {
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    let sig = shop
        .sign([("vads_amount", "5124"), ("other", "x")])
        .unwrap();
    let expected = reference_sign(
        &owned(&[
            ("vads_amount", "5124"),
            ("vads_site_id", SITE),
            ("vads_ctx_mode", "TEST"),
        ]),
        TEST_KEY,
        "HMAC-SHA-256",
    );
    assert_eq!(sig.as_str(), expected);
    // Consistent fields are fine; contradicting ones are refused.
    assert_eq!(
        shop.sign([
            ("vads_amount", "5124"),
            ("vads_ctx_mode", "TEST"),
            ("vads_site_id", SITE)
        ])
        .unwrap(),
        sig
    );
    assert_eq!(
        shop.sign([("vads_ctx_mode", "PRODUCTION")])
            .unwrap_err()
            .code(),
        "mode_mismatch"
    );
    assert_eq!(
        shop.sign([("vads_site_id", "11111111")])
            .unwrap_err()
            .code(),
        "site_mismatch"
    );
    assert_eq!(
        shop.signing_string_masked([("vads_amount", "5124")])
            .unwrap(),
        "5124+TEST+12345678+****************"
    );
}

#[cfg(feature = "toml")]
fn config(toml_text: &str) -> Result<Shop, vads::ConfigError> {
    Shop::new(ShopConfig::from_toml_str(toml_text)?)
}

#[cfg(feature = "toml")]
#[test]
fn config_errors_each_have_a_clear_message() {
    let cases: &[(&str, &str, &str)] = &[
        ("site_id = \"1234567\"\nctx_mode = \"TEST\"\ntest_key = \"a\"", "invalid_site_id", "8 digits"),
        ("site_id = \"1234567a\"\nctx_mode = \"TEST\"\ntest_key = \"a\"", "invalid_site_id", "8 digits"),
        ("site_id = \"12345678\"\nctx_mode = \"TEST\"", "missing_key", "no test key"),
        ("site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\ntest_key = \"a\"", "missing_key", "no production key"),
        ("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"  \"", "empty_key", "empty"),
        ("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"a\"\ntest_key_env = \"X\"", "key_source_conflict", "only one"),
        ("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"/nonexistent/key\"", "key_file_unreadable", "/nonexistent/key"),
        ("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_env = \"VADS_TEST_SURELY_UNSET_VAR\"", "key_env_missing", "VADS_TEST_SURELY_UNSET_VAR"),
        ("site_id = \"12345678\"\nctx_mode = \"PROD\"\ntest_key = \"a\"", "invalid_config", "line 2: ctx_mode: expected \"TEST\" or \"PRODUCTION\""),
        ("site_id = \"12345678\"\nctx_mode = \"TEST\"\nalgorithm = \"MD5\"\ntest_key = \"a\"", "invalid_config", "line 3: algorithm: expected \"HMAC-SHA-256\" or \"SHA-1\""),
        ("site_id = \"12345678\"\nctx_mod = \"PRODUCTION\"\ntest_key = \"a\"", "invalid_config", "line 2: ctx_mod: unknown setting (did you mean ctx_mode?)"),
    ];
    for (text, code, words) in cases {
        let e = config(text).unwrap_err();
        assert_eq!(e.code(), *code, "{text}");
        assert!(e.to_string().contains(words), "{e}");
    }
    // A production shop without a test key is fine (separate environments).
    assert!(
        config("site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_key = \"p\"").is_ok()
    );
}

#[cfg(feature = "toml")]
#[test]
fn toml_errors_do_not_quote_values() {
    let e = ShopConfig::from_toml_str(
        "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = 987654321987",
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_config");
    assert!(!e.to_string().contains("987654321987"), "{e}");
}

#[test]
fn no_key_in_debug_or_errors() {
    let shop = shop(Mode::Production, Algorithm::HmacSha256);
    let dbg = format!("{shop:?}");
    for k in [TEST_KEY, PROD_KEY, OLD_PROD_KEY] {
        assert!(!dbg.contains(k), "{dbg}");
    }
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_key = Some(SecretString::new(format!("{TEST_KEY}\n{TEST_KEY}\t")));
    assert!(!format!("{c:?}").contains(TEST_KEY));
    let e = Shop::new(c).unwrap_err();
    assert_eq!(e.code(), "key_has_line_break");
    assert!(!format!("{e} {e:?}").contains(TEST_KEY));
    // Every verification error's Display and Debug.
    let body = signed_body(
        &realistic_notification("TEST", SITE),
        TEST_KEY,
        "HMAC-SHA-256",
    );
    let e = shop.verify(body.as_bytes()).unwrap_err();
    assert!(!format!("{e} {e:?}").contains(TEST_KEY));
    let k: vads::Key = PROD_KEY.parse().unwrap();
    assert_eq!(format!("{k:?}"), "Key([REDACTED])");
}

#[test]
fn key_files_are_read_with_a_bound() {
    // A config naming a device as a key file must not exhaust memory (nor block).
    let e = vads::Key::from_file("/dev/zero").unwrap_err();
    assert_eq!(
        e.to_string(),
        "key_file_unreadable: cannot read key file /dev/zero: not a regular file"
    );
    let big = std::env::temp_dir().join(format!("vads-big-key-{}", std::process::id()));
    std::fs::write(&big, "k".repeat(vads::MAX_KEY_FILE_LEN + 1)).unwrap();
    assert_eq!(
        vads::Key::from_file(&big).unwrap_err().code(),
        "key_file_too_large"
    );
    std::fs::write(&big, "k".repeat(vads::MAX_KEY_FILE_LEN)).unwrap();
    assert!(vads::Key::from_file(&big).is_ok());
    std::fs::write(&big, b"\xff\xfe").unwrap();
    assert_eq!(
        vads::Key::from_file(&big).unwrap_err().code(),
        "key_file_invalid"
    );
}

#[test]
fn malformed_vads_values_are_refused_even_when_signed() {
    // The platform never sends these; a forger could sign them with a leaked key. The
    // strict rules apply to vads_ values too (they are checked while they are hashed).
    let shop = shop(Mode::Test, Algorithm::HmacSha256);
    let fields = realistic_notification("TEST", SITE);
    let sig = reference_sign(&fields, TEST_KEY, "HMAC-SHA-256");
    let body = encode_body(&[fields.clone(), vec![("signature".into(), sig)]].concat());
    assert!(shop.verify(body.as_bytes()).is_ok());
    for bad in [
        "%G0",
        "a%0",
        "%",
        "%C3",
        "%C3A",
        "%C3%28",
        "%FF",
        "%ED%A0%80",
        "\u{1}",
        "x\ny",
        "%E2%82",
    ] {
        let forged = body.replace("vads_order_info=", &format!("vads_order_info={bad}"));
        assert_ne!(forged, body);
        assert_eq!(
            code(shop.verify(forged.as_bytes())),
            "malformed_body",
            "{bad:?}"
        );
    }
    // Valid escapes and raw UTF-8 in a vads_ value are fine (here: refused only by the
    // signature, since the value changed).
    for good in ["%C3%A9", "é", "a+b%2B"] {
        let forged = body.replace("vads_order_info=", &format!("vads_order_info={good}"));
        assert_eq!(
            code(shop.verify(forged.as_bytes())),
            "bad_signature",
            "{good:?}"
        );
    }
}
