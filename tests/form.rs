//! The payment form builder: signatures checked by the independent reference, hostile
//! values through a real HTML parser, every validation rule, transaction ids.

mod common;

use std::time::{Duration, UNIX_EPOCH};
use vads::form::{Currency, FormBuilder, SignedForm, TransId};
use vads::{Mode, SecretString, Shop, ShopConfig, TransDate};

const KEY: &str = "FormTestKey123";
const PROD_KEY: &str = "FormProdKey456";

fn shop(mode: Mode) -> Shop {
    let mut c = ShopConfig::new("12345678", mode);
    c.test_key = Some(SecretString::new(KEY.into()));
    c.production_key = Some(SecretString::new(PROD_KEY.into()));
    c.brand = Some("systempay".into());
    Shop::new(c).unwrap()
}

fn base(shop: &Shop) -> FormBuilder<'_> {
    shop.form().amount(1050).currency("EUR").order_id("A-1")
}

fn check_signature(form: &SignedForm, key: &str) {
    let fields: Vec<(String, String)> = form
        .fields
        .iter()
        .filter(|(n, _)| n != "signature")
        .cloned()
        .collect();
    assert_eq!(
        form.signature(),
        common::reference_sign(&fields, key, "HMAC-SHA-256")
    );
    assert_eq!(form.fields.last().unwrap().0, "signature");
}

#[test]
fn built_form_verifies_independently_with_the_key_of_the_mode() {
    for (mode, key) in [(Mode::Test, KEY), (Mode::Production, PROD_KEY)] {
        let shop = shop(mode);
        let form = base(&shop)
            .cust_email("buyer@example.com")
            .field("vads_ext_info_cart", "3 items")
            .sign()
            .unwrap();
        check_signature(&form, key);
        assert_eq!(form.action, "https://paiement.systempay.fr/vads-payment/");
        assert_eq!(form.get("vads_ctx_mode"), Some(mode.as_str()));
        assert_eq!(form.get("vads_site_id"), Some("12345678"));
        assert_eq!(form.get("vads_version"), Some("V2"));
        assert_eq!(form.get("vads_action_mode"), Some("INTERACTIVE"));
        assert_eq!(form.get("vads_page_action"), Some("PAYMENT"));
        assert_eq!(form.get("vads_payment_config"), Some("SINGLE"));
        assert_eq!(form.get("vads_currency"), Some("978"));
        // Generated id and UTC date.
        let id = form.get("vads_trans_id").unwrap();
        assert!(TransId::new(id).is_ok());
        let date = TransDate::parse(form.get("vads_trans_date").unwrap()).unwrap();
        let now = TransDate::now();
        assert_eq!(
            (date.year, date.month, date.day),
            (now.year, now.month, now.day)
        );
        // Insertion order is kept.
        let names: Vec<&str> = form.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            &names[..6],
            [
                "vads_site_id",
                "vads_ctx_mode",
                "vads_version",
                "vads_amount",
                "vads_currency",
                "vads_order_id"
            ]
        );
    }
}

#[test]
fn given_id_and_date_are_used() {
    let shop = shop(Mode::Test);
    let form = base(&shop)
        .trans_id(&TransId::new("a1B2c3").unwrap())
        .trans_date(TransDate::parse("20261124101500").unwrap())
        .sign()
        .unwrap();
    assert_eq!(form.get("vads_trans_id"), Some("a1B2c3"));
    assert_eq!(form.get("vads_trans_date"), Some("20261124101500"));
    check_signature(&form, KEY);
}

fn posted_values(html: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let form = scraper::Selector::parse("form").unwrap();
    assert_eq!(doc.select(&form).count(), 1);
    let sel = scraper::Selector::parse("form input[type=hidden]").unwrap();
    doc.select(&sel)
        .map(|e| {
            (
                e.value().attr("name").unwrap().to_owned(),
                e.value().attr("value").unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn hostile_values_survive_the_html_round_trip() {
    let shop = shop(Mode::Test);
    let hostile = [
        ("vads_order_info", "\"><script>alert(1)</script>"),
        (
            "vads_order_info2",
            "&amp; &lt; déjà-vu € 'quoted' \"double\"",
        ),
        ("vads_order_info3", "emoji 😀🎉 and <b>bold</b> & more"),
        ("vads_cust_first_name", "Zoë O'Brien"),
        ("vads_ext_info_note", "a+b=c&d=%41"),
    ];
    let mut b = base(&shop);
    for (n, v) in hostile {
        b = b.field(n, v);
    }
    let form = b.sign().unwrap();
    check_signature(&form, KEY);
    for html in [form.to_html(), form.to_html_auto_submit()] {
        assert!(!html.contains("<script>alert"));
        assert_eq!(
            posted_values(&html),
            form.fields,
            "the browser posts exactly what was signed"
        );
        let doc = scraper::Html::parse_document(&html);
        let f = doc
            .select(&scraper::Selector::parse("form").unwrap())
            .next()
            .unwrap();
        assert_eq!(f.value().attr("action"), Some(form.action.as_str()));
        assert_eq!(f.value().attr("method"), Some("POST"));
    }
    for (n, v) in hostile {
        assert_eq!(form.get(n), Some(v));
    }
}

#[test]
fn values_are_normalised_before_signing() {
    let shop = shop(Mode::Test);
    let form = base(&shop)
        .cust_address("  12 rue\n de la Paix\t\tBât. B  ")
        .sign()
        .unwrap();
    assert_eq!(
        form.get("vads_cust_address"),
        Some("12 rue de la Paix Bât. B")
    );
    check_signature(&form, KEY);
    let e = base(&shop).order_info("bell\u{7}").sign().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid_field: vads_order_info: must not contain control characters"
    );
}

#[test]
fn json_output() {
    let shop = shop(Mode::Test);
    let form = base(&shop).sign().unwrap();
    let v: serde_json::Value = serde_json::to_value(&form).unwrap();
    assert_eq!(v["action"], form.action);
    let fields = v["fields"].as_array().unwrap();
    assert_eq!(fields.len(), form.fields.len());
    assert_eq!(fields[3], serde_json::json!(["vads_amount", "1050"]));
    assert_eq!(fields.last().unwrap()[0], "signature");
}

#[test]
fn each_validation_rule_has_a_failing_case() {
    let shop = shop(Mode::Test);
    type Case = (fn(FormBuilder<'_>) -> FormBuilder<'_>, &'static str);
    let cases: Vec<Case> = vec![
        (|b| b.field("vads_amount", "10.50"), "invalid_field: vads_amount: must be digits only: an integer amount in minor units (5124 = 51.24 EUR)"),
        (|b| b.field("vads_amount", "-5"), "invalid_field: vads_amount: must be digits only"),
        (|b| b.field("vads_amount", "18446744073709551615"), "invalid_field: vads_amount: is too large: at most 18 digits"),
        (|b| b.currency("EURO"), "invalid_field: vads_currency: must be a known ISO 4217 code (EUR or 978)"),
        (|b| b.field("vads_currency", "999"), "invalid_field: vads_currency: must be a known ISO 4217 numeric code"),
        (|b| b.field("vads_trans_id", "12345"), "invalid_field: vads_trans_id: must be 6 characters of [0-9a-zA-Z]"),
        (|b| b.field("vads_trans_id", "12-456"), "invalid_field: vads_trans_id: must be 6 characters"),
        (|b| b.field("vads_trans_id", "950000"), "invalid_field: vads_trans_id: 900000-999999 are reserved for the platform"),
        (|b| b.field("vads_trans_date", "2026112410150"), "invalid_field: vads_trans_date: must be YYYYMMDDHHMMSS in UTC (14 digits)"),
        (|b| b.field("vads_trans_date", "20261324101500"), "invalid_field: vads_trans_date"),
        (|b| b.order_id("A 1"), "invalid_field: vads_order_id: must be 1 to 64 characters of [A-Za-z0-9_-]"),
        (|b| b.order_id("A".repeat(65)), "invalid_field: vads_order_id: is longer than 64 characters"),
        (|b| b.cust_email("not-an-email"), "invalid_field: vads_cust_email: must look like an e-mail address"),
        (|b| b.cust_email("a@b"), "invalid_field: vads_cust_email"),
        (|b| b.cust_email(format!("{}@example.com", "a".repeat(140))), "invalid_field: vads_cust_email: is longer than 150 characters"),
        (|b| b.cust_first_name("x".repeat(64)), "invalid_field: vads_cust_first_name: is longer than 63 characters"),
        (|b| b.cust_address("x".repeat(256)), "invalid_field: vads_cust_address: is longer than 255 characters"),
        (|b| b.cust_city("x".repeat(129)), "invalid_field: vads_cust_city: is longer than 128 characters"),
        (|b| b.cust_phone("+33 6 12 ab"), "invalid_field: vads_cust_phone: must contain only digits"),
        (|b| b.cust_country("FRA"), "invalid_field: vads_cust_country: must be a 2-letter ISO 3166 country code"),
        (|b| b.language("FR"), "invalid_field: vads_language: must be 2 lowercase letters"),
        (|b| b.url_return("/relative/path"), "invalid_field: vads_url_return: must be an absolute http(s) URL"),
        (|b| b.url_check("ftp://example.com/ipn"), "invalid_field: vads_url_check: must be an absolute http(s) URL"),
        (|b| b.url_success(format!("https://e.com/{}", "a".repeat(1020))), "invalid_field: vads_url_success: is longer than 1024 characters"),
        (|b| b.return_mode("PUT"), "invalid_field: vads_return_mode: must be GET, POST or NONE"),
        (|b| b.field("vads_redirect_success_timeout", "301"), "invalid_field: vads_redirect_success_timeout: must be 0 to 300 seconds"),
        (|b| b.field("vads_validation_mode", "2"), "invalid_field: vads_validation_mode"),
        (|b| b.field("vads_capture_delay", "x"), "invalid_field: vads_capture_delay"),
        (|b| b.field("vads_action_mode", "LOUD"), "invalid_field: vads_action_mode"),
        (|b| b.field("VADS_AMOUNT", "1"), "invalid_field: VADS_AMOUNT: a field name must be vads_ followed by letters, digits or _"),
        (|b| b.field("vads_bad name", "1"), "invalid_field: vads_bad name: a field name must be vads_"),
        (|b| b.field("vads_", "1"), "invalid_field: vads_: a field name"),
        (|b| b.field("vads_ctx_mode", "PRODUCTION"), "invalid_field: vads_ctx_mode: is filled by the shop"),
        (|b| b.field("vads_site_id", "11111111"), "invalid_field: vads_site_id: is filled by the shop"),
        (|b| b.field("signature", "x"), "invalid_field: signature: is filled by the shop"),
    ];
    for (f, expected) in cases {
        let e = f(base(&shop)).sign().unwrap_err();
        assert_eq!(e.code(), "invalid_field");
        assert!(e.to_string().starts_with(expected), "{e} / {expected}");
    }
    // Required fields.
    assert_eq!(
        shop.form().currency("EUR").sign().unwrap_err().to_string(),
        "invalid_field: vads_amount: is required"
    );
    assert_eq!(
        shop.form().amount(1).sign().unwrap_err().to_string(),
        "invalid_field: vads_currency: is required"
    );
}

#[test]
fn decimal_amounts_use_the_currency_exponent() {
    let cases = [
        ("EUR", "19.99", Some(1999)),
        ("EUR", "19,9", Some(1990)),
        ("EUR", "0.01", Some(1)),
        ("JPY", "1500", Some(1500)),
        ("JPY", "1500.5", None),
        ("XPF", "100", Some(100)),
        ("KWD", "1.234", Some(1234)),
        ("TND", "2.5", Some(2500)),
        ("EUR", "1.", None),
        (".5", "EUR", None),
        ("EUR", "-1", None),
        ("EUR", "1e3", None),
        ("EUR", "", None),
        ("EUR", "184467440737095516.16", None),
        ("EUR", "184467440737095516.15", Some(u64::MAX)),
    ];
    for (cur, dec, expected) in cases {
        let Some(c) = Currency::find(cur) else {
            continue;
        };
        assert_eq!(c.minor_units(dec).ok(), expected, "{cur} {dec}");
    }
}

#[test]
fn trans_ids_from_time_are_unique_over_a_day() {
    let midnight = UNIX_EPOCH + Duration::from_secs(20_416 * 86_400); // 2025-11-24 00:00 UTC
    let mut seen = std::collections::HashSet::with_capacity(864_000);
    for tenth in 0..864_000u64 {
        let t = midnight + Duration::from_millis(tenth * 100 + (tenth % 100));
        let id = TransId::from_time(t);
        let s = id.as_str();
        assert_eq!(s.len(), 6);
        assert!(TransId::new(s).is_ok(), "{s}");
        assert!(seen.insert(s.to_owned()), "collision at {tenth}");
    }
    // The next day starts again at 000000; within 100 ms two calls collide (documented).
    assert_eq!(
        TransId::from_time(midnight + Duration::from_secs(86_400)).as_str(),
        "000000"
    );
    assert_eq!(
        TransId::from_time(midnight + Duration::from_millis(10)),
        TransId::from_time(midnight + Duration::from_millis(90))
    );
}

#[test]
fn unknown_brand_or_bad_payment_url_is_a_config_error() {
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(KEY.into()));
    c.brand = Some("paypal".into());
    assert!(Shop::new(c)
        .unwrap_err()
        .to_string()
        .contains("unknown brand"));
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(KEY.into()));
    c.payment_url = Some("secure.payzen.eu".into());
    assert_eq!(Shop::new(c).unwrap_err().code(), "invalid_config");
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(KEY.into()));
    assert_eq!(
        Shop::new(c).unwrap().payment_url(),
        "https://secure.payzen.eu/vads-payment/"
    );
}
