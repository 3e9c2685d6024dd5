//! The README's two notification formats as a complete program (feature `testing` builds
//! the notifications): one shop, one endpoint, both formats. `tests/readme.rs` checks
//! the README's snippet is a verbatim part of this file.
//!
//! ```sh
//! cargo run --example readme_formats --features testing
//! ```

// README: formats
use vads::testing::{NotificationBuilder, RestAnswerBuilder};
use vads::{AnyNotification, Endpoint, Mode, SecretString, Shop, ShopConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = ShopConfig::new("69876357", Mode::Test);
    config.test_key = Some(SecretString::new("1122334455667788".into()));
    config.test_password = Some(SecretString::new(
        "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into(),
    ));
    let shop = Shop::new(config)?;

    // Two IPNs for the same endpoint, one per format (here built by vads::testing).
    let form_ipn = NotificationBuilder::new(&shop).order_id("A-1").body()?;
    let rest_ipn = RestAnswerBuilder::new(&shop).order_id("A-1").body()?;
    for body in [form_ipn, rest_ipn] {
        match shop.verify_any(body.as_bytes(), Endpoint::Ipn)? {
            AnyNotification::Form(n) => assert_eq!(n.order_id().as_deref(), Some("A-1")),
            AnyNotification::Rest(n) => assert!(n.answer_text().contains(r#""orderId":"A-1""#)),
        }
    }
    println!("both formats verified");
    Ok(())
}
// README: end
