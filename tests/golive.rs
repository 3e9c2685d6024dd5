//! Going live: each preflight finding triggered by a config made for it, a clean config
//! with none, several shops with independent switches, and the algorithm-change window.
#![cfg(feature = "toml")]

mod common;

use std::os::unix::fs::PermissionsExt;
use vads::preflight::{preflight, ready, Severity};
use vads::{Algorithm, ConfigError, Mode, Shops, ShopsConfig};

fn key_file(name: &str, content: &str, mode: u32) -> String {
    let dir = std::env::temp_dir().join(format!("vads-golive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    // Written aside with its mode, then renamed: tests run in parallel and read these.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let aside = dir.join(format!(
        "{name}.{}.tmp",
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::write(&aside, content).unwrap();
    std::fs::set_permissions(&aside, std::fs::Permissions::from_mode(mode)).unwrap();
    std::fs::rename(&aside, &p).unwrap();
    p.display().to_string()
}

fn clean() -> String {
    let prod = key_file("prod.key", "Pr0dKey7Hq2Zx9Lm4Np\n", 0o600);
    format!(
        "site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nalgorithm = \"HMAC-SHA-256\"\nbrand = \"systempay\"\n\
         notification_url = \"https://shop.example.fr/payment/notify\"\nproduction_key_file = \"{prod}\"\n"
    )
}

/// `config` without the lines setting `setting`, plus `extra`.
fn without(config: &str, setting: &str, extra: &str) -> String {
    let kept: Vec<&str> = config.lines().filter(|l| !l.starts_with(setting)).collect();
    format!("{}\n{extra}", kept.join("\n"))
}

fn codes(toml_text: &str) -> Vec<(&'static str, Severity)> {
    let config = ShopsConfig::from_toml_str(toml_text).unwrap();
    preflight(&config)
        .into_iter()
        .map(|f| (f.code, f.severity))
        .collect()
}

#[test]
fn a_clean_config_has_no_finding() {
    let config = ShopsConfig::from_toml_str(&clean()).unwrap();
    let findings = preflight(&config);
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(ready(&findings));
    assert!(Shops::new(config).is_ok());
}

#[test]
fn each_finding_is_triggered() {
    let base = clean();
    let test_file = key_file("test.key", "TestKey7Hq2Zx9Lm4Np", 0o600);
    let loose = key_file("loose.key", "Pr0dKey7Hq2Zx9Lm4Np", 0o644);
    let same = key_file("same.key", "Pr0dKey7Hq2Zx9Lm4Np", 0o600);
    let cases: Vec<(String, &str, Severity)> = vec![
        (
            base.replace("site_id = \"12345678\"", "site_id = \"1234\""),
            "site_id_invalid",
            Severity::Error,
        ),
        (
            without(&base, "production_key_file", ""),
            "production_key_missing",
            Severity::Error,
        ),
        (
            format!("{base}test_key_file = \"{same}\"\n"),
            "production_key_equals_test_key",
            Severity::Error,
        ),
        (
            without(
                &base,
                "production_key_file",
                "production_key = \"changeme\"\n",
            ),
            "key_looks_like_placeholder",
            Severity::Error,
        ),
        (
            without(
                &base,
                "production_key_file",
                "production_key = \"xxxxxxxxxxxxxxxx\"\n",
            ),
            "key_looks_like_placeholder",
            Severity::Error,
        ),
        (
            without(
                &base,
                "production_key_file",
                "production_key = \"abc123\"\n",
            ),
            "key_looks_like_placeholder",
            Severity::Error,
        ),
        (
            without(
                &base,
                "production_key_file",
                "production_key = \"Pr0dKey7Hq2Zx9Lm4Np\"\n",
            ),
            "key_in_plain_config",
            Severity::Error,
        ),
        (
            base.replace(
                &key_file("prod.key", "Pr0dKey7Hq2Zx9Lm4Np\n", 0o600),
                &loose,
            ),
            "key_file_permissions",
            Severity::Error,
        ),
        (
            format!("{base}test_key_file = \"{test_file}\"\n"),
            "test_key_loaded_in_production",
            Severity::Warning,
        ),
        (
            base.replace("HMAC-SHA-256", "SHA-1"),
            "sha1_algorithm",
            Severity::Warning,
        ),
        (
            base.replace("https://shop.example.fr", "http://shop.example.fr"),
            "notification_url_not_https",
            Severity::Error,
        ),
        (
            base.replace("shop.example.fr", "staging.example.fr"),
            "notification_url_not_public",
            Severity::Error,
        ),
        (
            without(&base, "notification_url", ""),
            "notification_url_missing",
            Severity::Warning,
        ),
        (
            base.replace(
                "brand = \"systempay\"",
                "payment_url = \"http://paiement.systempay.fr/vads-payment/\"",
            ),
            "payment_url_not_https",
            Severity::Error,
        ),
        (
            base.replace(
                "brand = \"systempay\"",
                "payment_url = \"https://pay.example.com/vads-payment/\"",
            ),
            "payment_url_unknown_platform",
            Severity::Warning,
        ),
        (
            base.replace("brand = \"systempay\"", "brand = \"paypal\""),
            "payment_url_unknown_platform",
            Severity::Error,
        ),
        (
            format!("{base}api_url = \"http://api.systempay.fr\"\n"),
            "api_url_invalid",
            Severity::Error,
        ),
        (
            format!("{base}api_url = \"http://127.0.0.1:8081\"\n"),
            "api_url_not_https",
            Severity::Warning,
        ),
        (
            format!(
                "{}production_password_file = \"{}\"\n",
                base.replace("brand = \"systempay\"", "brand = \"clicandpay\""),
                key_file("api.password", "prodpassword_Hq2Zx9Lm4NpR7tW\n", 0o600)
            ),
            "api_url_unknown",
            Severity::Warning,
        ),
        (
            without(
                &base,
                "production_key_file",
                "production_key_file = \"/nonexistent/key\"\n",
            ),
            "key_unreadable",
            Severity::Error,
        ),
        (
            format!("{base}accept_both_algorithms_until = \"2999-01-01T00:00:00Z\"\n"),
            "algorithm_window_open",
            Severity::Warning,
        ),
    ];
    for (text, code, severity) in cases {
        let found = codes(&text);
        assert!(
            found.contains(&(code, severity)),
            "{code} {severity:?} not in {found:?} for\n{text}"
        );
        assert_eq!(
            ready(&preflight(&ShopsConfig::from_toml_str(&text).unwrap())),
            severity != Severity::Error,
            "{code}"
        );
    }
}

#[test]
fn findings_never_contain_a_key() {
    let text = without(
        &clean(),
        "production_key_file",
        "production_key = \"SuperSecretKey42xyz\"\ntest_key = \"SuperSecretKey42xyz\"\n",
    );
    let json = format!(
        "{:?}",
        preflight(&ShopsConfig::from_toml_str(&text).unwrap())
    );
    assert!(json.contains("production_key_equals_test_key"));
    assert!(!json.contains("SuperSecretKey42xyz"));
}

const MULTI: &str = r#"
[shops.website]
site_id = "11111111"
ctx_mode = "PRODUCTION"
production_key = "WebsiteProdKey123"

[shops.call-centre]
site_id = "22222222"
ctx_mode = "TEST"
test_key = "CallCentreTestKey"
"#;

#[test]
fn several_shops_with_independent_switches() {
    let shops = Shops::new(ShopsConfig::from_toml_str(MULTI).unwrap()).unwrap();
    assert_eq!(
        shops.names().collect::<Vec<_>>(),
        ["website", "call-centre"]
    );
    assert_eq!(shops.get("website").unwrap().mode(), Mode::Production);
    assert_eq!(shops.get("call-centre").unwrap().mode(), Mode::Test);
    assert!(shops.only().is_none());
    // Dispatch on vads_site_id.
    let web = common::signed_body(
        &common::realistic_notification("PRODUCTION", "11111111"),
        "WebsiteProdKey123",
        "HMAC-SHA-256",
    );
    let (name, n) = shops.verify(web.as_bytes()).unwrap();
    assert_eq!((name, n.mode()), ("website", Mode::Production));
    let cc = common::signed_body(
        &common::realistic_notification("TEST", "22222222"),
        "CallCentreTestKey",
        "HMAC-SHA-256",
    );
    let (name, n) = shops.verify(cc.as_bytes()).unwrap();
    assert_eq!((name, n.mode()), ("call-centre", Mode::Test));
    // A TEST notification for the PRODUCTION shop is still refused.
    let wrong = common::signed_body(
        &common::realistic_notification("TEST", "11111111"),
        "CallCentreTestKey",
        "HMAC-SHA-256",
    );
    assert_eq!(
        shops.verify(wrong.as_bytes()).unwrap_err().code(),
        "mode_mismatch"
    );
    // An unknown site id.
    let other = common::signed_body(
        &common::realistic_notification("TEST", "33333333"),
        "CallCentreTestKey",
        "HMAC-SHA-256",
    );
    assert_eq!(
        shops.verify(other.as_bytes()).unwrap_err().code(),
        "site_mismatch"
    );
    // Signing picks a shop by name.
    let sig = shops
        .get("call-centre")
        .unwrap()
        .sign([("vads_amount", "1")])
        .unwrap();
    let f = common::owned(&[
        ("vads_amount", "1"),
        ("vads_site_id", "22222222"),
        ("vads_ctx_mode", "TEST"),
    ]);
    assert_eq!(
        sig.as_str(),
        common::reference_sign(&f, "CallCentreTestKey", "HMAC-SHA-256")
    );
}

#[test]
fn duplicate_site_id_is_a_config_error() {
    let text = MULTI.replace("22222222", "11111111");
    let e = Shops::new(ShopsConfig::from_toml_str(&text).unwrap()).unwrap_err();
    assert_eq!(
        e,
        ConfigError::DuplicateSiteId {
            first: "website".into(),
            second: "call-centre".into()
        }
    );
    assert!(e.to_string().starts_with("duplicate_site_id:"));
    assert!(codes(&text).contains(&("duplicate_site_id", Severity::Error)));
    // A broken shop is named in the error.
    let e =
        Shops::new(ShopsConfig::from_toml_str(&MULTI.replace("\"22222222\"", "\"2222\"")).unwrap())
            .unwrap_err();
    assert_eq!(e.code(), "invalid_site_id");
    assert!(e
        .to_string()
        .starts_with("invalid_site_id: shop call-centre: "));
}

#[test]
fn single_shop_config_still_works() {
    let shops = Shops::new(
        ShopsConfig::from_toml_str(
            "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"SomeTestKey1\"",
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(shops.names().collect::<Vec<_>>(), [vads::DEFAULT_SHOP]);
    assert!(shops.only().is_some());
}

fn window(until: &str) -> Result<Shops, ConfigError> {
    Shops::new(ShopsConfig::from_toml_str(&format!(
        "site_id = \"12345678\"\nctx_mode = \"TEST\"\nalgorithm = \"HMAC-SHA-256\"\ntest_key = \"WindowKey123\"\naccept_both_algorithms_until = \"{until}\"\n"
    )).unwrap())
}

#[test]
fn algorithm_change_window() {
    let fields = common::realistic_notification("TEST", "12345678");
    let sha1 = common::signed_body(&fields, "WindowKey123", "SHA-1");
    let hmac = common::signed_body(&fields, "WindowKey123", "HMAC-SHA-256");
    let in_a_day = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 86_400;
    let d = vads::TransDate::from_unix(in_a_day);
    let open = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year, d.month, d.day, d.hour, d.minute, d.second
    );
    let shops = window(&open).unwrap();
    let shop = shops.only().unwrap();
    assert!(shop.algorithm_window_open());
    assert_eq!(
        shop.verify(sha1.as_bytes()).unwrap().algorithm(),
        Algorithm::Sha1
    );
    assert_eq!(
        shop.verify(hmac.as_bytes()).unwrap().algorithm(),
        Algorithm::HmacSha256
    );
    // Closed (in the past): only the configured algorithm.
    let shops = window("2020-01-01T00:00:00Z").unwrap();
    let shop = shops.only().unwrap();
    assert!(!shop.algorithm_window_open());
    assert_eq!(
        shop.verify(sha1.as_bytes()).unwrap_err().code(),
        "bad_signature"
    );
    assert!(shop.verify(hmac.as_bytes()).is_ok());
    // Too long, or malformed.
    assert!(window("2999-01-01T00:00:00Z")
        .unwrap_err()
        .to_string()
        .contains("48 hours"));
    assert!(window("tomorrow")
        .unwrap_err()
        .to_string()
        .contains("YYYY-MM-DDTHH:MM:SSZ"));
    // Algorithm per mode.
    let text = "site_id = \"12345678\"\nctx_mode = \"TEST\"\nalgorithm = \"HMAC-SHA-256\"\ntest_algorithm = \"SHA-1\"\ntest_key = \"WindowKey123\"\n";
    let shops = Shops::new(ShopsConfig::from_toml_str(text).unwrap()).unwrap();
    assert_eq!(shops.only().unwrap().algorithm(), Algorithm::Sha1);
    assert!(shops.only().unwrap().verify(sha1.as_bytes()).is_ok());
}

/// The codes of the findings of a single-shop config.
fn code_list(config: &str) -> Vec<&'static str> {
    preflight(&ShopsConfig::from_toml_str(config).unwrap())
        .into_iter()
        .map(|f| f.code)
        .collect()
}

#[test]
fn preflight_learns_the_rest_keys() {
    let password = key_file("prod.password", "prodpassword_Hq2Zx9Lm4NpR7tW\n", 0o600);
    let hmac = key_file("prod.hmac", "9f4c2a1b7e6d5c3b8a0f1e2d3c4b5a69\n", 0o600);
    let rest_only = without(
        &clean(),
        "production_key_file",
        &format!(
            "production_password_file = \"{password}\"\nproduction_hmac_key_file = \"{hmac}\"\n"
        ),
    );
    // A shop with REST keys only is ready: no form key is required of it.
    let findings = preflight(&ShopsConfig::from_toml_str(&rest_only).unwrap());
    assert!(ready(&findings), "{findings:?}");
    assert!(!code_list(&rest_only).contains(&"production_key_missing"));
    // A REST key used in TEST but missing for PRODUCTION.
    let half = format!("{}\ntest_password_env = \"SOME_VAR\"\n", clean());
    assert!(
        code_list(&half).contains(&"production_password_missing"),
        "{:?}",
        code_list(&half)
    );
    let half = format!("{}\ntest_hmac_key_env = \"SOME_VAR\"\n", clean());
    assert!(code_list(&half).contains(&"production_hmac_key_missing"));
    // A test password in PRODUCTION; a production password in TEST.
    let test_pw = without(
        &rest_only,
        "production_password_file",
        "production_password_env = \"VADS_GOLIVE_PW\"\n",
    );
    std::env::set_var("VADS_GOLIVE_PW", "testpassword_Hq2Zx9Lm4NpR7tW");
    let c = code_list(&test_pw);
    assert!(c.contains(&"test_password_in_production"), "{c:?}");
    assert!(
        !c.contains(&"key_looks_like_placeholder"),
        "the platform's prefix is not a placeholder: {c:?}"
    );
    let in_test = format!("{rest_only}\ntest_password_file = \"{password}\"\n");
    let c = code_list(&in_test);
    assert!(c.contains(&"production_password_in_test"), "{c:?}");
    // The same HMAC key in both modes; a placeholder password.
    let same = format!("{rest_only}\ntest_hmac_key_file = \"{hmac}\"\n");
    let findings = preflight(&ShopsConfig::from_toml_str(&same).unwrap());
    let f = findings
        .iter()
        .find(|f| f.code == "production_key_equals_test_key")
        .unwrap();
    assert_eq!(f.message, "the production HMAC key is the test HMAC key");
    let placeholder = without(
        &rest_only,
        "production_password_file",
        "production_password = \"prodpassword_changeme\"\n",
    );
    let findings = preflight(&ShopsConfig::from_toml_str(&placeholder).unwrap());
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        messages.contains(&"the production password looks like a placeholder"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"the production password is written in the config file"),
        "{messages:?}"
    );
    // Loose permissions on a REST key file; no key text in any finding.
    let loose = key_file("loose.hmac", "9f4c2a1b7e6d5c3b8a0f1e2d3c4b5a69\n", 0o644);
    let c = without(
        &rest_only,
        "production_hmac_key_file",
        &format!("production_hmac_key_file = \"{loose}\"\n"),
    );
    let findings = preflight(&ShopsConfig::from_toml_str(&c).unwrap());
    assert!(findings.iter().any(
        |f| f.code == "key_file_permissions" && f.message.contains("production HMAC key file")
    ));
    let all = format!("{findings:?}");
    assert!(
        !all.contains("Hq2Zx9") && !all.contains("9f4c2a1b"),
        "{all}"
    );
}

#[test]
fn money_that_recurs_names_the_notification_rules_it_needs() {
    let with = |uses: &str| {
        let config = ShopsConfig::from_toml_str(&format!("{}uses = {uses}\n", clean())).unwrap();
        preflight(&config)
    };
    // Nothing declared: nothing said.
    assert!(with("[]").is_empty());
    let findings = with(r#"["installments"]"#);
    assert_eq!(
        findings
            .iter()
            .map(|f| (f.code, f.severity))
            .collect::<Vec<_>>(),
        [("installments_need_batch_rule", Severity::Warning)]
    );
    assert!(findings[0].message.contains("batch authorization"));
    assert!(findings[0].fix.contains("Settings > Notification rules"));
    assert!(ready(&findings), "a warning: it does not block going live");
    let findings = with(r#"["tokens", "subscriptions", "installments"]"#);
    let mut codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "installments_need_batch_rule",
            "subscriptions_need_recurring_rule",
            "tokens_keep_chaining_reference"
        ]
    );
    let sub = findings
        .iter()
        .find(|f| f.code == "subscriptions_need_recurring_rule")
        .unwrap();
    assert!(sub.message.contains("creating a recurring payment"));
    assert!(sub.fix.contains("vads rehearse --recurring"));
    // A word the library does not know is a config error that names the setting and what
    // it takes, never the value (it could be a key pasted in the wrong place).
    let e = ShopsConfig::from_toml_str(&format!(
        "{}uses = [\"Pr0dKey7Hq2Zx9Lm4Np-pasted\"]\n",
        clean()
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("uses"), "{e}");
    assert!(e.contains("installments"), "{e}");
    assert!(!e.contains("Pr0dKey7Hq2Zx9Lm4Np"), "{e}");
}
