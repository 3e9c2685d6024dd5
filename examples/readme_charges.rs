//! The README's saved cards through the API as a complete program (features `testing` and
//! `api`: the in-process platform stands in for the REST API): a zero-click charge made
//! once, tokens and subscriptions kept right, and channels switched on one by one.
//! `tests/readme.rs` checks the README's snippets are verbatim parts of this file, and
//! runs it.
//!
//! ```sh
//! cargo run --example readme_charges --features testing,api
//! ```

use std::sync::Arc;
use vads::api::{Client, ClientConfig, Credentials, Operation};
use vads::testing::block_on;
use vads::testing::platform::{Fault, Platform};
use vads::{Mode, SecretString, Shop, ShopConfig};

// README: charge
fn charge(shop: &Shop, platform: &Arc<Platform>) -> Result<(), Box<dyn std::error::Error>> {
    use vads::api::charge::{Charge, ChargeError, ChargeOutcome, Charges};
    use vads::api::lock::LocalLocks;

    // The merchant-initiated channel's client: off by default, on in this shop's config.
    let client = Client::new(
        Credentials::for_channel(shop, vads::Channel::MerchantInitiated)?,
        platform.clone(),
        ClientConfig::default(),
    );
    // One process here; several instances share `vads_store::Store` instead.
    let locks = LocalLocks::new();
    let charges = Charges::new(&client, &locks);

    let token = platform.add_token("jane@example.com");
    // The charge is named by the shop: the subscription and the period.
    let renewal = Charge::new("SUB-42-2027-01", &token, 990, "EUR").chaining_ref("017391402930187");

    // The platform applies it and the answer is lost: read back, charged once.
    platform.inject(Operation::CreatePayment, Fault::DropAfterApply);
    let done = block_on(charges.charge(&renewal))?;
    assert_eq!(done.outcome, ChargeOutcome::Charged);
    assert!(done.found_applied);
    // An impatient second call (a retry, another instance): read first, nothing sent.
    let again = block_on(charges.charge(&renewal))?;
    assert_eq!(
        (again.outcome, again.sent),
        (ChargeOutcome::AlreadyCharged, false)
    );
    assert_eq!(platform.count(Operation::CreatePayment), 1);
    // `done.events` are the order's events: record them like a notification's
    // (no notification follows a zero-click charge).
    assert_eq!(done.events.len(), 1);

    // The bank declines: refused from the transaction itself, never paid, not resent.
    platform.decline_token(&token, true);
    let declined = block_on(charges.charge(&Charge::new("SUB-42-2027-02", &token, 990, "EUR")));
    match declined {
        Err(ChargeError::Refused(d)) => assert_eq!(d.state.paid, 0),
        other => panic!("{other:?}"),
    }
    let again = block_on(charges.charge(&Charge::new("SUB-42-2027-02", &token, 990, "EUR")));
    assert_eq!(again.unwrap_err().code(), "already_refused");
    assert_eq!(platform.count(Operation::CreatePayment), 2);
    Ok(())
}
// README: end

// README: subscriptions_api
fn subscriptions_api(
    shop: &Shop,
    platform: &Arc<Platform>,
) -> Result<(), Box<dyn std::error::Error>> {
    use vads::api::subscriptions::{
        cancel_subscription, create_subscription, CreateSubscription, SubscriptionChange,
        SubscriptionGet, SubscriptionStatus,
    };
    use vads::api::tokens::{cancel_token, TokenChange, TokenGet};

    let client = Client::new(
        Credentials::of(shop)?,
        platform.clone(),
        ClientConfig::default(),
    );
    let token = platform.add_token("jane@example.com");
    let card = block_on(client.call(&TokenGet::new(&token)))?;
    assert!(!card.is_cancelled());

    // 9.90 EUR a month, 12 times, from 2099-01-01: sent once, never retried on its own.
    let request = CreateSubscription::new(
        &token,
        990,
        "EUR",
        "RRULE:FREQ=MONTHLY;COUNT=12",
        "2099-01-01",
    )
    .order_id("SUB-42");
    let created = block_on(create_subscription(&client, &request))?;
    // Keep (subscription id, token): no API lists a shop's subscriptions.
    let info = block_on(client.call(&SubscriptionGet::new(&created.id, &created.token)))?;
    assert_eq!(
        info.status(vads::TransDate::now()),
        SubscriptionStatus::Pending
    );

    // Cancel twice: done, then "already" (read back), never an error.
    assert_eq!(
        block_on(cancel_subscription(&client, &created))?,
        SubscriptionChange::Cancelled
    );
    assert_eq!(
        block_on(cancel_subscription(&client, &created))?,
        SubscriptionChange::AlreadyCancelled
    );
    assert_eq!(block_on(cancel_token(&client, &token))?, TokenChange::Done);
    assert_eq!(
        block_on(cancel_token(&client, &token))?,
        TokenChange::AlreadyDone
    );
    Ok(())
}
// README: end

// README: channels
fn channels() -> Result<(), Box<dyn std::error::Error>> {
    use vads::{Channel, ChannelMode};

    // The website is live; MOTO is still rehearsed in TEST; the call centre stays off.
    let mut c = ShopConfig::new("12345678", Mode::Production);
    c.production_key = Some(SecretString::new("Pr0dKey7Hq2Zx9Lm4Np".into()));
    c.test_key = Some(SecretString::new("TestKey7Hq2Zx9Lm4Np".into()));
    c.channels.moto = ChannelMode::Test;
    let shop = Shop::new(c)?;
    assert_eq!(shop.channel_mode(Channel::Website), Some(Mode::Production));
    assert_eq!(shop.channel_mode(Channel::CallCentre), None);

    // A MOTO form is signed with the MOTO channel's mode and key.
    let moto = shop
        .form()
        .amount(1050)
        .currency("EUR")
        .order_id("PHONE-1")
        .field("vads_payment_src", "MOTO")
        .sign()?;
    assert_eq!(moto.get("vads_ctx_mode"), Some("TEST"));
    // A channel that is off refuses before anything is signed or sent.
    let cc = shop
        .form()
        .amount(1050)
        .currency("EUR")
        .order_id("CC-1")
        .field("vads_payment_src", "CC")
        .sign();
    assert_eq!(cc.unwrap_err().code(), "channel_off");
    assert_eq!(
        Credentials::for_channel(&shop, Channel::MerchantInitiated)
            .unwrap_err()
            .code(),
        "channel_off"
    );
    Ok(())
}
// README: end

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut c = ShopConfig::new("69876357", Mode::Test);
    c.test_password = Some(SecretString::new("testpassword_ReadmeCharges2026x".into()));
    c.channels.merchant_initiated = vads::ChannelMode::Test;
    let shop = Shop::new(c)?;
    let platform = Arc::new(Platform::for_shop(&shop));
    charge(&shop, &platform)?;
    subscriptions_api(&shop, &platform)?;
    channels()?;
    println!("charged once, subscription and token kept right, channels apart");
    Ok(())
}
