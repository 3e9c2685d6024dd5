//! `ShopConfig::from_env`, alone in its test binary: it sets environment variables, which
//! must not race with other tests reading the environment.

mod common;

use common::{realistic_notification, signed_body};
use vads::{Algorithm, Shop, ShopConfig};

const SITE: &str = "12345678";
const TEST_KEY: &str = "TestKey1122334455667788";

#[test]
fn config_from_env() {
    // Variables unique to this test (tests run in parallel in one process).
    std::env::set_var("VADS_SITE_ID", SITE);
    std::env::set_var("VADS_CTX_MODE", "TEST");
    std::env::set_var("VADS_TEST_KEY", TEST_KEY);
    std::env::set_var("VADS_ALGORITHM", "SHA-1");
    let shop = Shop::new(ShopConfig::from_env().unwrap()).unwrap();
    assert_eq!(shop.algorithm(), Algorithm::Sha1);
    let body = signed_body(&realistic_notification("TEST", SITE), TEST_KEY, "SHA-1");
    assert!(shop.verify(body.as_bytes()).is_ok());
    // What the shop uses, comma-separated; an unknown word names the variable only.
    std::env::set_var("VADS_USES", "installments, tokens");
    assert_eq!(
        ShopConfig::from_env().unwrap().uses,
        [vads::ShopUse::Installments, vads::ShopUse::Tokens]
    );
    std::env::set_var("VADS_USES", "installments,Secret99Pasted");
    let e = ShopConfig::from_env().unwrap_err().to_string();
    assert!(
        e.contains("VADS_USES") && !e.contains("Secret99Pasted"),
        "{e}"
    );
    std::env::remove_var("VADS_USES");
    // Each channel's switch; a value that is not off, TEST or PRODUCTION names the
    // variable only.
    std::env::set_var("VADS_CHANNEL_MOTO", "TEST");
    std::env::set_var("VADS_CHANNEL_MERCHANT_INITIATED", "off");
    let channels = ShopConfig::from_env().unwrap().channels;
    assert_eq!(
        (
            channels.moto,
            channels.call_centre,
            channels.merchant_initiated
        ),
        (
            vads::ChannelMode::Test,
            vads::ChannelMode::Off,
            vads::ChannelMode::Off
        )
    );
    std::env::set_var("VADS_CHANNEL_CALL_CENTRE", "Secret99Pasted");
    let e = ShopConfig::from_env().unwrap_err().to_string();
    assert!(
        e.contains("VADS_CHANNEL_CALL_CENTRE") && !e.contains("Secret99Pasted"),
        "{e}"
    );
    for v in [
        "VADS_CHANNEL_MOTO",
        "VADS_CHANNEL_CALL_CENTRE",
        "VADS_CHANNEL_MERCHANT_INITIATED",
    ] {
        std::env::remove_var(v);
    }
    std::env::set_var("VADS_CTX_MODE", "prod");
    assert!(ShopConfig::from_env()
        .unwrap_err()
        .to_string()
        .contains("VADS_CTX_MODE"));
}
