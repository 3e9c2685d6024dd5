//! Money that recurs, read as what it is (features `testing`, `rest`): an installment
//! plan is one order whose `paid` counts its accepted installments and never exceeds its
//! total, whichever reading of `vads_amount` the platform uses; a refused installment is
//! `installment_refused`; a subscription's installments are their own records beside the
//! order that created them, identified by token and number even without a subscription
//! id; a registration is never paid. Every history in every line order and with
//! repetitions gives the same states.
#![cfg(all(feature = "testing", feature = "rest"))]

use vads::lifecycle::{
    reconcile, reconcile_orders, Expected, OrderOutcome, OrderState, TransactionEvent,
};
use vads::testing::{NotificationBuilder, RestAnswerBuilder};
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus, UrlCheckSource};

const PLAN: &str = "MULTI:first=4000;count=3;period=30";

fn shop() -> Shop {
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new("1122334455667788".into()));
    c.test_password = Some(SecretString::new("testpassword_Recurring1234".into()));
    Shop::new(c).unwrap()
}

fn events_of(shop: &Shop, bodies: &[String]) -> Vec<TransactionEvent> {
    bodies
        .iter()
        .flat_map(|b| {
            shop.verify_any(b.as_bytes(), vads::Endpoint::Ipn)
                .unwrap()
                .events()
                .unwrap()
        })
        .collect()
}

fn uuid(n: u32) -> String {
    format!("{n:032x}")
}

/// Installment `k` of order `order`, `amount` as the notification carries it.
fn installment(shop: &Shop, order: &str, k: u32, amount: u64, status: TransStatus) -> String {
    NotificationBuilder::new(shop)
        .order_id(order)
        .installment(k, PLAN)
        .trans_uuid(&uuid(100 + k))
        .amount(amount)
        .status(status)
        .body()
        .unwrap()
}

/// Every rotation, reversed too, with the first body repeated: the same states.
fn same_in_every_order(shop: &Shop, bodies: &[String]) -> Vec<OrderState> {
    let want = reconcile_orders(events_of(shop, bodies));
    for shift in 0..bodies.len() {
        let mut v = bodies.to_vec();
        v.rotate_left(shift);
        v.push(v[0].clone());
        assert_eq!(
            reconcile_orders(events_of(shop, &v)),
            want,
            "rotation {shift}"
        );
        v.reverse();
        assert_eq!(
            reconcile_orders(events_of(shop, &v)),
            want,
            "reversed {shift}"
        );
    }
    want
}

#[test]
fn an_installment_plan_is_one_order_whichever_reading_of_the_amount() {
    let shop = shop();
    // The notifications carry each installment's amount, or each carries the total.
    for (name, amounts) in [("installments", [4000, 4000, 4000]), ("total", [12_000; 3])] {
        let bodies: Vec<String> = (1..=3)
            .map(|k| {
                installment(
                    &shop,
                    "P-1",
                    k,
                    amounts[k as usize - 1],
                    TransStatus::Captured,
                )
            })
            .collect();
        let [o] = same_in_every_order(&shop, &bodies).try_into().unwrap();
        assert_eq!(o.outcome, OrderOutcome::Paid, "{name}: {:?}", o.attention);
        assert_eq!(o.paid, 12_000, "{name}: never 36,000");
        assert!(o.attention.is_empty(), "{name}: {:?}", o.attention);
        let plan = o.plan.unwrap();
        assert_eq!((plan.count, plan.first), (3, 4000));
        assert_eq!(plan.accepted, [1, 2, 3]);
        assert!(plan.refused.is_empty());
        // Against the order's expected total: no mismatch.
        let expected = Expected {
            amount: 12_000,
            currency: Some("978".into()),
        };
        let checked = reconcile(events_of(&shop, &bodies), Some(&expected)).unwrap();
        assert_eq!(
            checked.outcome,
            OrderOutcome::Paid,
            "{:?}",
            checked.attention
        );
    }
    // Paid once installment 1 is accepted, with its progress; the total reading derives
    // each installment's amount from the plan.
    let first = installment(&shop, "P-2", 1, 12_000, TransStatus::Captured);
    let o = reconcile(events_of(&shop, &[first]), None).unwrap();
    assert_eq!((o.outcome, o.paid), (OrderOutcome::Paid, 4000));
    assert_eq!(o.plan.unwrap().accepted, [1]);
}

#[test]
fn a_refused_installment_is_named_and_a_plan_is_never_several_payments() {
    let shop = shop();
    let bodies = vec![
        installment(&shop, "P-3", 1, 4000, TransStatus::Captured),
        installment(&shop, "P-3", 2, 4000, TransStatus::Captured),
        installment(&shop, "P-3", 3, 4000, TransStatus::Refused),
    ];
    let [o] = same_in_every_order(&shop, &bodies).try_into().unwrap();
    assert_eq!(o.outcome, OrderOutcome::NeedsAttention);
    assert_eq!(o.attention_codes, ["installment_refused"]);
    assert_eq!(o.attention, ["installment 3 refused"]);
    assert_eq!(o.paid, 8000);
    let plan = o.plan.unwrap();
    assert_eq!((plan.accepted, plan.refused), (vec![1, 2], vec![3]));
    // The first installment refused: the order's payment failed, nothing to chase.
    let refused = installment(&shop, "P-4", 1, 4000, TransStatus::Refused);
    let o = reconcile(events_of(&shop, &[refused]), None).unwrap();
    assert_eq!(o.outcome, OrderOutcome::Failed);
    assert!(o.attention.is_empty());
    // Two payments of an order without a plan still need a human.
    let twice: Vec<String> = (0..2)
        .map(|i| {
            NotificationBuilder::new(&shop)
                .order_id("P-5")
                .trans_uuid(&uuid(300 + i))
                .status(TransStatus::Captured)
                .body()
                .unwrap()
        })
        .collect();
    let o = reconcile(events_of(&shop, &twice), None).unwrap();
    assert_eq!(o.attention_codes, ["several_payments"]);
}

#[test]
fn a_subscriptions_installments_are_its_own_records_beside_the_order_that_created_it() {
    let shop = shop();
    let token = "4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e";
    let creation = NotificationBuilder::new(&shop)
        .order_id("S-1")
        .registration("REGISTER_SUBSCRIBE", token)
        .trans_uuid(&uuid(1))
        .field("vads_subscription", "SUB-1")
        .field("vads_recurrence_status", "CREATED")
        .body()
        .unwrap();
    let renewal = |n: u32, sub: Option<&str>, status: TransStatus| {
        NotificationBuilder::new(&shop)
            .order_id("S-1")
            .renewal(token, sub, n)
            .trans_uuid(&uuid(10 + n))
            .amount(990)
            .status(status)
    };
    let bodies = vec![
        creation,
        renewal(1, Some("SUB-1"), TransStatus::Captured)
            .body()
            .unwrap(),
        renewal(2, Some("SUB-1"), TransStatus::Captured)
            .body()
            .unwrap(),
        // The platform's retry of installment 2: the same event.
        renewal(2, Some("SUB-1"), TransStatus::Captured)
            .url_check_src(UrlCheckSource::Retry)
            .body()
            .unwrap(),
        // Installment 3 notified without its subscription id: its token and number say
        // which it is.
        renewal(3, None, TransStatus::Refused).body().unwrap(),
        renewal(3, Some("SUB-1"), TransStatus::Refused)
            .url_check_src(UrlCheckSource::Retry)
            .body()
            .unwrap(),
    ];
    let lines = same_in_every_order(&shop, &bodies);
    let seen: Vec<_> = lines
        .iter()
        .map(|o| {
            (
                o.order_id.as_deref(),
                o.recurrence_number,
                o.outcome,
                o.paid,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Some("S-1"), None, OrderOutcome::Verified, 0),
            (Some("S-1"), Some(1), OrderOutcome::Paid, 990),
            (Some("S-1"), Some(2), OrderOutcome::Paid, 990),
            (Some("S-1"), Some(3), OrderOutcome::Failed, 0),
        ]
    );
    // The creation: a registration, never paid, with its token, subscription and status.
    let order = &lines[0];
    assert!(order.attention.is_empty());
    let t = order.token.as_ref().unwrap();
    assert_eq!(
        (t.id.as_str(), t.status.as_deref()),
        (token, Some("CREATED"))
    );
    assert_eq!(order.subscription.as_deref(), Some("SUB-1"));
    assert_eq!(order.recurrence_status.as_deref(), Some("CREATED"));
    assert!(order.chaining_ref.is_some());
    // Each installment names its subscription and channel; none is an alarm.
    for o in &lines[1..] {
        assert_eq!(
            o.subscription.as_deref(),
            Some("SUB-1"),
            "{:?}",
            o.recurrence_number
        );
        assert_eq!(o.payment_src.as_deref(), Some("OTHER"));
        assert!(o.attention.is_empty());
    }
}

#[test]
fn installments_without_an_order_id_do_not_merge_into_one_order() {
    let shop = shop();
    let bodies: Vec<String> = (1..=2)
        .map(|n| {
            NotificationBuilder::new(&shop)
                .without("vads_order_id")
                .renewal("tok-A", Some("SUB-A"), n)
                .trans_uuid(&uuid(50 + n))
                .status(TransStatus::Captured)
                .body()
                .unwrap()
        })
        .collect();
    let lines = same_in_every_order(&shop, &bodies);
    assert_eq!(lines.len(), 2);
    assert!(lines
        .iter()
        .all(|o| o.outcome == OrderOutcome::Paid && o.attention.is_empty()));
}

#[test]
fn a_rest_installment_and_a_saved_cards_payment_read_the_same() {
    // A MOTO payment: the shop's MOTO channel is live in its mode.
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new("1122334455667788".into()));
    c.test_password = Some(SecretString::new("testpassword_Recurring1234".into()));
    c.channels.moto = vads::ChannelMode::Test;
    let shop = Shop::new(c).unwrap();
    let rest = RestAnswerBuilder::new(&shop)
        .order_id("R-1")
        .amount(4000)
        .status(TransStatus::Captured)
        .token("4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e")
        .sequence_number(2)
        .payment_source("MOTO")
        .chaining_ref("CHAIN123")
        .body()
        .unwrap();
    let n = shop
        .verify_rest(rest.as_bytes(), vads::Endpoint::Ipn)
        .unwrap();
    let answer = n.answer().unwrap();
    let t = &answer.transactions[0];
    assert_eq!(t.token(), Some("4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e"));
    assert_eq!(t.sequence_number(), Some(2));
    assert_eq!(
        t.payment_source(),
        Some(vads::recurring::PaymentSource::Moto)
    );
    assert_eq!(t.initial_issuer_transaction_identifier(), Some("CHAIN123"));
    let o = reconcile(n.events().unwrap(), None).unwrap();
    assert_eq!(o.token.unwrap().id, "4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e");
    assert_eq!(o.payment_src.as_deref(), Some("MOTO"));
}

#[test]
fn the_typed_accessors_read_what_the_platform_sends() {
    use vads::recurring::{
        IdentifierStatus, OccurrenceType, PageAction, PaymentConfig, PaymentSource,
        RecurrenceStatus,
    };
    let shop = shop();
    let body = NotificationBuilder::new(&shop)
        .installment(2, PLAN)
        .renewal("tok-1", Some("SUB-9"), 4)
        .field("vads_identifier_status", "NOT_UPDATED")
        .field("vads_recurrence_status", "CREATED")
        .field("vads_occurrence_type", "SOMETHING_NEW")
        .field("vads_identifier_previously_registered", "true")
        .field("vads_initial_issuer_transaction_identifier", "ABC123")
        .body()
        .unwrap();
    let n = shop.verify(body.as_bytes()).unwrap();
    assert_eq!(
        n.payment_config(),
        Some(PaymentConfig::Multi {
            first: 4000,
            count: 3,
            period: 30
        })
    );
    assert_eq!(n.sequence_number(), Some(2));
    assert_eq!(n.page_action(), Some(PageAction::Payment));
    assert_eq!(n.identifier().as_deref(), Some("tok-1"));
    assert_eq!(n.identifier_status(), Some(IdentifierStatus::NotUpdated));
    assert!(n.identifier_previously_registered());
    assert_eq!(n.subscription().as_deref(), Some("SUB-9"));
    assert_eq!(n.recurrence_status(), Some(RecurrenceStatus::Created));
    assert_eq!(n.recurrence_number(), Some(4));
    assert_eq!(
        n.occurrence_type(),
        Some(OccurrenceType::Other("SOMETHING_NEW"))
    );
    assert_eq!(
        n.initial_issuer_transaction_identifier().as_deref(),
        Some("ABC123")
    );
    assert_eq!(n.payment_src(), Some(PaymentSource::OtherSource));
    assert!(n.is_subscription_installment());
}
