//! Features `api`, `testing`: the platform's view (`Order/Get`) is folded into an order
//! with the same algebra as notifications. For any history of payments and operations on
//! the platform simulator, the state from any subset of the notifications plus an
//! `Order/Get` of the end equals the state from every notification.
#![cfg(all(feature = "api", feature = "testing"))]

use proptest::prelude::*;
use std::sync::Arc;
use vads::api::{
    Cancel, CancelOrRefund, Client, ClientConfig, Credentials, OrderGet, ResolutionMode,
    TransactionGet, Validate,
};
use vads::lifecycle::{reconcile, OrderOutcome, OrderState, TransactionEvent};
use vads::testing::platform::{NewPayment, Platform};
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus};

const PASSWORD: &str = "testpassword_RecoveryProp1234";

/// What an order's state says: its outcome, amounts, currency, what needs attention, and
/// each transaction's outcome. (A state merged from a history also remembers statuses the
/// transaction went through, e.g. `AUTHORISED` before `CAPTURED`, which the platform's
/// view of the present cannot give; they change none of this.)
type Observable = (
    OrderOutcome,
    u64,
    u64,
    Option<String>,
    Vec<String>,
    Vec<(String, vads::Outcome)>,
);

fn observable(s: &OrderState) -> Observable {
    (
        s.outcome,
        s.paid,
        s.refunded,
        s.currency.clone(),
        s.attention.clone(),
        s.transactions
            .iter()
            .map(|t| (t.id.clone(), t.outcome()))
            .collect(),
    )
}

/// Runs a future that never waits (the in-process platform answers at once).
fn run<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn client() -> (Arc<Platform>, Client<Arc<Platform>>) {
    let mut c = ShopConfig::new("69876357", Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    let shop = Shop::new(c).unwrap();
    let platform = Arc::new(Platform::for_shop(&shop));
    let client = Client::new(
        Credentials::of(&shop).unwrap(),
        platform.clone(),
        ClientConfig::default(),
    );
    (platform, client)
}

#[derive(Debug, Clone)]
enum Op {
    Refund(usize, u64),
    Cancel(usize),
    Validate(usize),
    CancelWhole(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 1..1500u64).prop_map(|(i, a)| Op::Refund(i, a)),
        (0..3usize).prop_map(Op::Cancel),
        (0..3usize).prop_map(Op::Validate),
        (0..3usize).prop_map(Op::CancelWhole),
    ]
}

fn status() -> impl Strategy<Value = TransStatus> {
    prop_oneof![
        Just(TransStatus::Captured),
        Just(TransStatus::Authorised),
        Just(TransStatus::AuthorisedToValidate),
        Just(TransStatus::Refused),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_subset_of_notifications_plus_order_get_is_every_notification(
        payments in prop::collection::vec((status(), 100..2000u64), 1..4),
        ops in prop::collection::vec(op(), 0..8),
        subset in any::<u64>(),
    ) {
        let (platform, client) = client();
        // The notifications: each payment as created, then each operation's effect.
        let mut notifications: Vec<TransactionEvent> = Vec::new();
        let mut uuids = Vec::new();
        for (status, amount) in &payments {
            let uuid = platform.add_payment(NewPayment::new("ORDER-P", *amount, "EUR", *status));
            let t = run(client.call(&TransactionGet::new(&uuid))).unwrap();
            notifications.push(t.to_event(None));
            uuids.push(uuid);
        }
        for op in &ops {
            let pick = |i: usize| uuids[i % uuids.len()].clone();
            let answer = match op {
                Op::Refund(i, a) => run(client.call(&CancelOrRefund::new(pick(*i), *a, "EUR", ResolutionMode::RefundOnly))),
                Op::Cancel(i) => run(client.call(&Cancel::new(pick(*i)))),
                Op::Validate(i) => run(client.call(&Validate::new(pick(*i)))),
                Op::CancelWhole(i) => {
                    let amount = run(client.call(&TransactionGet::new(pick(*i)))).unwrap().amount.unwrap();
                    run(client.call(&CancelOrRefund::new(pick(*i), amount, "EUR", ResolutionMode::CancellationOnly)))
                }
            };
            // A refusal changed nothing and notifies nothing.
            if let Ok(t) = answer {
                notifications.push(t.to_event(None));
            }
        }
        let all = reconcile(notifications.clone(), None).unwrap();
        let view = run(client.call(&OrderGet::new("ORDER-P"))).unwrap();
        let some: Vec<TransactionEvent> = notifications
            .iter()
            .enumerate()
            .filter(|(i, _)| subset >> (i % 64) & 1 == 1)
            .map(|(_, e)| e.clone())
            .collect();
        let recovered = reconcile(some.into_iter().chain(view.events()), None).unwrap();
        prop_assert_eq!(observable(&recovered), observable(&all));
        // And Order/Get alone, the worst case: every notification lost.
        prop_assert_eq!(observable(&reconcile(view.events(), None).unwrap()), observable(&all));
    }
}

#[test]
fn an_order_get_event_is_the_notification_event() {
    let (platform, client) = client();
    let uuid = platform.add_payment(NewPayment::new("A-1", 1250, "EUR", TransStatus::Captured));
    let view = run(client.call(&OrderGet::new("A-1"))).unwrap();
    let e = &view.events()[0];
    assert_eq!(e.idempotency_key(), format!("{uuid}|CAPTURED|DEBIT"));
    assert_eq!(e.order_id.as_deref(), Some("A-1"));
    assert_eq!((e.amount, e.currency.as_deref()), (Some(1250), Some("978")));
    // The same transaction notified through a REST IPN gives the same key.
    let mut c = ShopConfig::new("69876357", Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    let shop = Shop::new(c).unwrap();
    let body = vads::testing::RestAnswerBuilder::new(&shop)
        .order_id("A-1")
        .amount(1250)
        .uuid(&uuid)
        .status(TransStatus::Captured)
        .operation_type(vads::OperationType::Debit)
        .body()
        .unwrap();
    let ipn = shop
        .verify_rest(body.as_bytes(), vads::Endpoint::Ipn)
        .unwrap()
        .events()
        .unwrap();
    assert_eq!(ipn[0].idempotency_key(), e.idempotency_key());
    assert_eq!(
        observable(&reconcile(ipn.clone().into_iter().chain(view.events()), None).unwrap()),
        observable(&reconcile(ipn, None).unwrap())
    );
}
