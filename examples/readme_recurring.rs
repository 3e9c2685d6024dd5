//! The README's money that recurs as a complete program (feature `testing` builds the
//! notifications the platform would send): an installment plan, a saved card and a
//! subscription, each from its form to the order's state. `tests/readme.rs` checks the
//! README's snippets are verbatim parts of this file, and runs it.
//!
//! ```sh
//! cargo run --example readme_recurring --features testing
//! ```

use vads::lifecycle::{reconcile, reconcile_orders, OrderOutcome, TransactionEvent};
use vads::testing::NotificationBuilder;
use vads::{Mode, SecretString, Shop, ShopConfig, TransDate, TransStatus};

/// The platform's notifications, verified by the shop, as events.
fn events(shop: &Shop, bodies: &[String]) -> Result<Vec<TransactionEvent>, vads::VerifyError> {
    bodies
        .iter()
        .map(|b| {
            shop.verify(b.as_bytes())
                .map(|n| TransactionEvent::from_notification(&n))
        })
        .collect()
}

// README: installments
fn installments(shop: &Shop, today: TransDate) -> Result<(), Box<dyn std::error::Error>> {
    use vads::form::Installments;

    // 120.00 EUR in 3: 40.00 now, then every 30 days (the remainder on the last).
    let plan = Installments::new(3, 4000, 30);
    let form = shop
        .form()
        .amount(12_000) // the plan's total
        .currency("EUR")
        .order_id("A-1")
        .installments(plan)
        .sign()?;
    assert_eq!(
        form.get("vads_payment_config"),
        Some("MULTI:first=4000;count=3;period=30")
    );
    for (date, amount) in plan.schedule(12_000, 0, today)? {
        println!("{}-{:02}-{:02}: {amount}", date.year, date.month, date.day);
    }
    // A bad plan is refused with its own code.
    let too_long = shop
        .form()
        .amount(12_000)
        .currency("EUR")
        .order_id("A-1")
        .installments(Installments::new(14, 1000, 30))
        .sign();
    assert_eq!(too_long.unwrap_err().code(), "installments_too_long");

    // Installment 1 at the end of the payment, 2 and 3 by the nightly batch (BATCH_AUTO);
    // the bank refuses the third.
    let notify = |k: u32, status| {
        NotificationBuilder::new(shop)
            .order_id("A-1")
            .installment(k, "MULTI:first=4000;count=3;period=30")
            .trans_uuid(&format!("{k:032x}"))
            .amount(4000)
            .status(status)
            .body()
    };
    let bodies = [
        notify(1, TransStatus::Captured)?,
        notify(2, TransStatus::Captured)?,
        notify(3, TransStatus::Refused)?,
    ];
    let order = reconcile(events(shop, &bodies)?, None)?;
    assert_eq!(order.paid, 8000); // never more than the plan's total
    assert_eq!(order.attention_codes, ["installment_refused"]);
    let plan = order.plan.expect("a plan");
    assert_eq!((plan.accepted, plan.refused), (vec![1, 2], vec![3]));
    Ok(())
}
// README: end

// README: cards
fn cards(shop: &Shop) -> Result<(), Box<dyn std::error::Error>> {
    use vads::recurring::{IdentifierStatus, PageAction};

    // Save a card without a payment: no amount, the buyer's e-mail.
    let form = shop
        .form()
        .currency("EUR")
        .order_id("C-1")
        .cust_email("buyer@example.com")
        .page_action(PageAction::Register)
        .sign()?;
    assert_eq!(form.get("vads_amount"), None);
    let no_email = shop
        .form()
        .currency("EUR")
        .order_id("C-1")
        .page_action(PageAction::Register)
        .sign();
    assert_eq!(no_email.unwrap_err().code(), "email_required");

    // The notification: a card check (VERIFICATION) with the token and its status.
    let body = NotificationBuilder::new(shop)
        .order_id("C-1")
        .registration("REGISTER", "4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e")
        .body()?;
    let n = shop.verify(body.as_bytes())?;
    assert_eq!(n.identifier_status(), Some(IdentifierStatus::Created));
    let token = n.identifier().expect("the token").into_owned();
    let chaining = n.initial_issuer_transaction_identifier(); // keep it with the token
    assert!(chaining.is_some());
    let order = reconcile([TransactionEvent::from_notification(&n)], None)?;
    assert_eq!((order.outcome, order.paid), (OrderOutcome::Verified, 0)); // never paid
    assert_eq!(order.token.map(|t| t.id), Some(token.clone()));

    // Next time: pay with the saved card.
    let again = shop
        .form()
        .amount(2500)
        .currency("EUR")
        .order_id("C-2")
        .token(token)
        .sign()?;
    assert_eq!(again.get("vads_page_action"), Some("PAYMENT"));
    Ok(())
}
// README: end

// README: subscriptions
fn subscriptions(shop: &Shop, today: TransDate) -> Result<(), Box<dyn std::error::Error>> {
    use vads::form::{RRule, Subscription};
    use vads::lifecycle::OrderKey;
    use vads::recurring::PageAction;

    // Save the card and subscribe: 9.90 EUR on the last day of each month, 12 times,
    // from tomorrow (UTC).
    let tomorrow = TransDate::from_unix(today.to_unix().unwrap_or(0) + 86_400);
    let start = format!(
        "{:04}{:02}{:02}",
        tomorrow.year, tomorrow.month, tomorrow.day
    );
    let monthly = Subscription::new(990, "EUR", RRule::monthly_last_day(Some(12)), &start);
    let form = shop
        .form()
        .currency("EUR")
        .order_id("S-1")
        .cust_email("buyer@example.com")
        .trans_date(today)
        .page_action(PageAction::RegisterSubscribe)
        .subscription(&monthly)
        .sign()?;
    assert_eq!(form.get("vads_sub_desc"), Some(monthly.rule.as_str()));
    assert_eq!(
        RRule::parse("RRULE:FREQ=MONTHLY; COUNT=12")
            .unwrap_err()
            .code(),
        "rrule_space"
    );

    // The creation, then installment 1 as the nightly batch notifies it (REC).
    let token = "4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e";
    let creation = NotificationBuilder::new(shop)
        .order_id("S-1")
        .registration("REGISTER_SUBSCRIBE", token)
        .field("vads_subscription", "SUB-1")
        .field("vads_recurrence_status", "CREATED")
        .body()?;
    let first = NotificationBuilder::new(shop)
        .order_id("S-1")
        .renewal(token, Some("SUB-1"), 1)
        .amount(990)
        .status(TransStatus::Captured)
        .body()?;
    let events = events(shop, &[creation, first])?;
    // The installment is its own record, never a second payment of order S-1.
    let key = OrderKey::of(&events[1]).expect("keyed");
    assert_eq!(key.recurrence, Some((token.to_owned(), 1)));
    let orders = reconcile_orders(events);
    let summary: Vec<_> = orders
        .iter()
        .map(|o| (o.recurrence_number, o.outcome, o.paid))
        .collect();
    assert_eq!(
        summary,
        [
            (None, OrderOutcome::Verified, 0),
            (Some(1), OrderOutcome::Paid, 990)
        ]
    );
    Ok(())
}
// README: end

/// The three flows, asserted.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = ShopConfig::new("69876357", Mode::Test);
    config.test_key = Some(SecretString::new("1122334455667788".into()));
    let shop = Shop::new(config)?;
    let today = TransDate::now();
    installments(&shop, today)?;
    cards(&shop)?;
    subscriptions(&shop, today)?;
    println!("installments, cards and subscriptions read as what they are");
    Ok(())
}
