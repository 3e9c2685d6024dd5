//! Each channel live on its own (protocol section 12): the website follows `ctx_mode`;
//! MOTO, the call centre and merchant-initiated charges are off unless `[channels]` names
//! them, each in its own mode. A MOTO form is signed with the MOTO channel's mode and key;
//! a channel that is off refuses before anything is signed or sent; a notification is
//! verified against the mode of the channel it reports; the production switch of one
//! channel changes no other.

use vads::recurring::PaymentSource;
use vads::testing::NotificationBuilder;
use vads::{
    Channel, ChannelMode, Key, Mode, SecretString, Shop, ShopConfig, TransDate, TransStatus,
};

const TEST_KEY: &str = "TestKey7Hq2Zx9Lm4Np";
const PRODUCTION_KEY: &str = "Pr0dKey7Hq2Zx9Lm4Np";

fn config(ctx: Mode, moto: ChannelMode) -> ShopConfig {
    let mut c = ShopConfig::new("12345678", ctx);
    c.test_key = Some(SecretString::new(TEST_KEY.into()));
    c.production_key = Some(SecretString::new(PRODUCTION_KEY.into()));
    c.channels.moto = moto;
    c
}

/// A shop of one mode that signs notifications as the platform would for `mode`.
fn platform(mode: Mode) -> Shop {
    let mut c = ShopConfig::new("12345678", mode);
    match mode {
        Mode::Test => c.test_key = Some(SecretString::new(TEST_KEY.into())),
        Mode::Production => c.production_key = Some(SecretString::new(PRODUCTION_KEY.into())),
    }
    Shop::new(c).unwrap()
}

fn notification(mode: Mode, src: Option<&str>) -> String {
    let p = platform(mode);
    let b = NotificationBuilder::new(&p).status(TransStatus::Captured);
    match src {
        Some(s) => b.field("vads_payment_src", s),
        None => b,
    }
    .body()
    .unwrap()
}

fn moto_form(shop: &Shop) -> Result<vads::form::SignedForm, vads::form::FormError> {
    shop.form()
        .amount(4200)
        .currency("EUR")
        .order_id("PHONE-1")
        .trans_id(&vads::form::TransId::new("123456").unwrap())
        .trans_date(TransDate::parse("20261207120000").unwrap())
        .payment_src(PaymentSource::Moto)
        .sign()
}

#[test]
fn a_moto_form_is_signed_with_the_moto_channels_mode_and_key() {
    let shop = Shop::new(config(Mode::Production, ChannelMode::Test)).unwrap();
    let form = moto_form(&shop).unwrap();
    assert_eq!(form.get("vads_ctx_mode"), Some("TEST"));
    // The signature is the test key's over exactly these fields.
    let fields: Vec<(&str, &str)> = form
        .fields
        .iter()
        .filter(|(n, _)| n != "signature")
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let key: Key = TEST_KEY.parse().unwrap();
    let expected = vads::sign(fields.iter().copied(), &key, vads::Algorithm::HmacSha256).unwrap();
    assert_eq!(form.signature(), expected.as_str());
    let production: Key = PRODUCTION_KEY.parse().unwrap();
    let not = vads::sign(
        fields.iter().copied(),
        &production,
        vads::Algorithm::HmacSha256,
    )
    .unwrap();
    assert_ne!(form.signature(), not.as_str());
    // The website's form is still PRODUCTION.
    let web = shop
        .form()
        .amount(4200)
        .currency("EUR")
        .order_id("WEB-1")
        .sign()
        .unwrap();
    assert_eq!(web.get("vads_ctx_mode"), Some("PRODUCTION"));
}

#[test]
fn the_production_switch_of_one_channel_changes_no_other() {
    // The website goes live; the MOTO channel stays in TEST: its forms are the same.
    let before = Shop::new(config(Mode::Test, ChannelMode::Test)).unwrap();
    let after = Shop::new(config(Mode::Production, ChannelMode::Test)).unwrap();
    assert_eq!(moto_form(&before).unwrap(), moto_form(&after).unwrap());
    assert_eq!(after.channel_mode(Channel::Website), Some(Mode::Production));
    assert_eq!(after.channel_mode(Channel::Moto), Some(Mode::Test));
    // Then MOTO goes live, on its own: the website's forms do not change.
    let moto_live = Shop::new(config(Mode::Production, ChannelMode::Production)).unwrap();
    assert_eq!(
        moto_form(&moto_live).unwrap().get("vads_ctx_mode"),
        Some("PRODUCTION")
    );
    let web = |s: &Shop| {
        s.form()
            .amount(1)
            .currency("EUR")
            .order_id("W")
            .trans_id(&vads::form::TransId::new("000001").unwrap())
            .trans_date(TransDate::parse("20261207120000").unwrap())
            .sign()
            .unwrap()
    };
    assert_eq!(web(&after), web(&moto_live));
}

#[test]
fn a_channel_that_is_off_signs_nothing() {
    let shop = Shop::new(config(Mode::Production, ChannelMode::Off)).unwrap();
    let e = moto_form(&shop).unwrap_err();
    assert_eq!(e.code(), "channel_off");
    assert!(e.to_string().contains("[channels] moto"), "{e}");
    let cc = shop
        .form()
        .amount(1)
        .currency("EUR")
        .order_id("CC-1")
        .payment_src(PaymentSource::Cc)
        .sign()
        .unwrap_err();
    assert_eq!(cc.code(), "channel_off");
    assert_eq!(
        shop.for_channel(Channel::MerchantInitiated)
            .unwrap_err()
            .code(),
        "channel_off"
    );
}

#[test]
fn a_notification_is_verified_against_the_mode_of_its_channel() {
    let shop = Shop::new(config(Mode::Production, ChannelMode::Test)).unwrap();
    // MOTO in TEST (the channel's mode), signed with the test key: accepted.
    let n = notification(Mode::Test, Some("MOTO"));
    let verified = shop.verify(n.as_bytes()).unwrap();
    assert_eq!(verified.mode(), Mode::Test);
    // The website in PRODUCTION: accepted; the website in TEST: refused as before.
    assert!(shop
        .verify(notification(Mode::Production, Some("EC")).as_bytes())
        .is_ok());
    assert!(shop
        .verify(notification(Mode::Production, None).as_bytes())
        .is_ok());
    let e = shop
        .verify(notification(Mode::Test, None).as_bytes())
        .unwrap_err();
    assert_eq!(e.code(), "mode_mismatch");
    // MOTO claiming PRODUCTION (signed with the production key): not the channel's mode.
    let e = shop
        .verify(notification(Mode::Production, Some("MOTO")).as_bytes())
        .unwrap_err();
    assert_eq!(e.code(), "mode_mismatch");
    // The call centre is off: refused, whatever the mode.
    for mode in [Mode::Test, Mode::Production] {
        let e = shop
            .verify(notification(mode, Some("CC")).as_bytes())
            .unwrap_err();
        assert_eq!(e.code(), "channel_off", "{mode}");
    }
    // A forged MOTO TEST notification (another key) is still a bad signature.
    let forged = NotificationBuilder::new(&platform(Mode::Test))
        .field("vads_payment_src", "MOTO")
        .body_signed_with(
            &"NotTheKey123456789".parse().unwrap(),
            vads::Algorithm::HmacSha256,
        )
        .unwrap();
    assert_eq!(
        shop.verify(forged.as_bytes()).unwrap_err().code(),
        "bad_signature"
    );
    // A shop without channels refuses every MOTO notification.
    let plain = platform(Mode::Production);
    assert_eq!(
        plain
            .verify(notification(Mode::Production, Some("MOTO")).as_bytes())
            .unwrap_err()
            .code(),
        "channel_off"
    );
}

#[cfg(feature = "rest")]
#[test]
fn a_rest_answer_is_verified_against_the_mode_of_the_channels_it_reports() {
    use vads::testing::RestAnswerBuilder;
    use vads::Endpoint;
    let password = |mode: Mode| match mode {
        Mode::Test => "testpassword_ChannelTest1a2b3c",
        Mode::Production => "prodpassword_ChannelProd1a2b3c",
    };
    let mut c = ShopConfig::new("12345678", Mode::Production);
    c.production_password = Some(SecretString::new(password(Mode::Production).into()));
    c.test_password = Some(SecretString::new(password(Mode::Test).into()));
    c.test_key = Some(SecretString::new(TEST_KEY.into()));
    c.channels.moto = ChannelMode::Test;
    let shop = Shop::new(c).unwrap();
    let platform = |mode: Mode| {
        let mut c = ShopConfig::new("12345678", mode);
        match mode {
            Mode::Test => c.test_password = Some(SecretString::new(password(mode).into())),
            Mode::Production => {
                c.production_password = Some(SecretString::new(password(mode).into()))
            }
        }
        Shop::new(c).unwrap()
    };
    let answer = |mode: Mode, src: &str| {
        let p = platform(mode);
        RestAnswerBuilder::new(&p)
            .payment_source(src)
            .status(TransStatus::Captured)
            .body()
            .unwrap()
    };
    assert!(shop
        .verify_rest(answer(Mode::Test, "MOTO").as_bytes(), Endpoint::Ipn)
        .is_ok());
    assert!(shop
        .verify_rest(answer(Mode::Production, "EC").as_bytes(), Endpoint::Ipn)
        .is_ok());
    assert_eq!(
        shop.verify_rest(answer(Mode::Production, "MOTO").as_bytes(), Endpoint::Ipn)
            .unwrap_err()
            .code(),
        "mode_mismatch"
    );
    assert_eq!(
        shop.verify_rest(answer(Mode::Production, "CC").as_bytes(), Endpoint::Ipn)
            .unwrap_err()
            .code(),
        "channel_off"
    );
    assert_eq!(
        shop.verify_rest(answer(Mode::Test, "EC").as_bytes(), Endpoint::Ipn)
            .unwrap_err()
            .code(),
        "mode_mismatch"
    );
}

#[test]
fn a_live_channel_needs_its_key() {
    // MOTO in TEST without a test key: the shop is not built.
    let mut c = ShopConfig::new("12345678", Mode::Production);
    c.production_key = Some(SecretString::new(PRODUCTION_KEY.into()));
    c.channels.moto = ChannelMode::Test;
    let e = Shop::new(c).unwrap_err();
    assert_eq!(e.code(), "channel_key_missing");
    assert!(
        e.to_string().contains("channels.moto") && e.to_string().contains("test key"),
        "{e}"
    );
    // Merchant-initiated charges need the REST password of their mode.
    let mut c = ShopConfig::new("12345678", Mode::Production);
    c.production_key = Some(SecretString::new(PRODUCTION_KEY.into()));
    c.channels.merchant_initiated = ChannelMode::Production;
    let e = Shop::new(c).unwrap_err();
    assert_eq!(e.code(), "channel_key_missing");
    assert!(e.to_string().contains("production password"), "{e}");
}

#[cfg(feature = "toml")]
#[test]
fn channels_are_read_from_the_configuration_and_mistakes_named() {
    let base = format!(
        "site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_key = \"{PRODUCTION_KEY}\"\ntest_key = \"{TEST_KEY}\"\n"
    );
    let c = ShopConfig::from_toml_str(&format!(
        "{base}[channels]\nmoto = \"TEST\"\ncall_centre = \"off\"\nmerchant_initiated = \"off\"\n"
    ))
    .unwrap();
    assert_eq!(c.channels.moto, ChannelMode::Test);
    for bad in [
        "[channels]\nmoto = \"prod\"\n",
        "[channels]\nmotto = \"TEST\"\n",
        "[channels]\nmoto = true\n",
    ] {
        let e = ShopConfig::from_toml_str(&format!("{base}{bad}")).unwrap_err();
        assert_eq!(e.code(), "invalid_config", "{bad}");
        assert!(!e.to_string().contains(PRODUCTION_KEY));
    }
}
