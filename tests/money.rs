//! Features `client`, `testing`, `axum`: refunds, cancellations and validations of an
//! order through `vads::api::money`, on the simulator served on 127.0.0.1 through the real
//! transport. The platform applies, then the connection drops; the impatient user calls
//! again: the simulator counts one refund, one cancellation, one validation.
#![cfg(all(feature = "client", feature = "testing", feature = "axum"))]

use std::sync::Arc;
use std::time::Duration;
use vads::api::lock::LocalLocks;
use vads::api::money::{Money, MoneyError, RefundAmount, Settled};
use vads::api::{Client, ClientConfig, Operation, ReqwestTransport};
use vads::lifecycle::OrderOutcome;
use vads::testing::platform::{router, Fault, NewPayment, Platform};
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus};

const PASSWORD: &str = "testpassword_MoneyOnce5a4b3c2d";

async fn setup() -> (Arc<Platform>, Client<ReqwestTransport>) {
    let platform = Arc::new(Platform::new("69876357").accept_password(Mode::Test, PASSWORD));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let p = platform.clone();
    tokio::spawn(async move { axum::serve(listener, router(p)).await.unwrap() });
    let mut c = ShopConfig::new("69876357", Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    c.api_url = Some(url);
    let mut config = ClientConfig::default();
    config.attempt_timeout = Duration::from_millis(700);
    config.backoff_base = Duration::from_millis(5);
    let client = Client::for_shop_with(&Shop::new(c).unwrap(), config).unwrap();
    (platform, client)
}

// One operator at a time in most tests: a lock of their own per call is enough there.
async fn refund(
    client: &Client<ReqwestTransport>,
    order: &str,
    amount: RefundAmount,
) -> Result<Settled, MoneyError> {
    Money::new(client, &LocalLocks::new())
        .refund(order, amount)
        .await
}

async fn cancel(client: &Client<ReqwestTransport>, order: &str) -> Result<Settled, MoneyError> {
    Money::new(client, &LocalLocks::new()).cancel(order).await
}

async fn validate(client: &Client<ReqwestTransport>, order: &str) -> Result<Settled, MoneyError> {
    Money::new(client, &LocalLocks::new()).validate(order).await
}

fn credits(p: &Platform) -> Vec<u64> {
    p.transactions()
        .into_iter()
        .filter(|t| t.operation_type == "CREDIT")
        .map(|t| t.amount)
        .collect()
}

#[tokio::test]
async fn a_lost_refund_answer_is_read_back_and_the_impatient_retry_sends_nothing() {
    for fault in [Fault::DropAfterApply, Fault::Delay(Duration::from_secs(2))] {
        let (p, client) = setup().await;
        p.add_payment(NewPayment::new("R-1", 3000, "EUR", TransStatus::Captured));
        p.inject(Operation::CancelOrRefund, fault);
        let done = refund(&client, "R-1", RefundAmount::Total(1000))
            .await
            .unwrap();
        assert_eq!(done.sent.len(), 1);
        assert!(done.sent[0].found_applied, "{fault:?}");
        assert_eq!(done.state.refunded, 1000);
        assert_eq!(done.state.outcome, OrderOutcome::PartiallyRefunded);
        // The impatient user asks again: the total is reached, nothing is sent.
        let again = refund(&client, "R-1", RefundAmount::Total(1000))
            .await
            .unwrap();
        assert!(again.sent.is_empty());
        // "1000 more, given that 0 is refunded": refused, the refund went through.
        let e = refund(
            &client,
            "R-1",
            RefundAmount::More {
                amount: 1000,
                refunded_now: 0,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "refunded_changed");
        assert_eq!(p.count(Operation::CancelOrRefund), 1, "{fault:?}");
        assert_eq!(credits(&p), [1000]);
    }
}

#[tokio::test]
async fn refund_all_more_and_the_limits_checked_before_sending() {
    let (p, client) = setup().await;
    p.add_payment(NewPayment::new("R-2", 3000, "EUR", TransStatus::Captured));
    let e = refund(&client, "R-2", RefundAmount::Total(3001))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "amount_above_refundable");
    let done = refund(
        &client,
        "R-2",
        RefundAmount::More {
            amount: 500,
            refunded_now: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(done.state.refunded, 500);
    let e = refund(&client, "R-2", RefundAmount::Total(100))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "total_below_refunded");
    let done = refund(&client, "R-2", RefundAmount::All).await.unwrap();
    assert_eq!(
        (done.state.refunded, done.state.outcome),
        (3000, OrderOutcome::Refunded)
    );
    let e = refund(&client, "R-2", RefundAmount::All).await.unwrap_err();
    assert_eq!(e.code(), "nothing_to_refund");
    assert_eq!(p.count(Operation::CancelOrRefund), 2);
    assert_eq!(credits(&p), [500, 2500]);
    assert_eq!(
        refund(&client, "NO-ORDER", RefundAmount::All)
            .await
            .unwrap_err()
            .code(),
        "no_payment"
    );
}

#[tokio::test]
async fn a_refund_of_a_payment_not_captured_cancels_or_lowers_it() {
    let (p, client) = setup().await;
    p.add_payment(NewPayment::new("U-1", 2000, "EUR", TransStatus::Authorised));
    let done = refund(
        &client,
        "U-1",
        RefundAmount::More {
            amount: 500,
            refunded_now: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(done.sent[0].operation, Operation::Update);
    assert_eq!(done.transactions[0].amount, Some(1500));
    // Total(500) again: reached, nothing sent (the lowered amount counts as refunded).
    assert!(refund(&client, "U-1", RefundAmount::Total(500))
        .await
        .unwrap()
        .sent
        .is_empty());
    p.inject(Operation::CancelOrRefund, Fault::DropAfterApply);
    let done = refund(&client, "U-1", RefundAmount::All).await.unwrap();
    assert!(done.sent[0].found_applied);
    assert_eq!(done.state.outcome, OrderOutcome::Cancelled);
    assert_eq!(
        (
            p.count(Operation::Update),
            p.count(Operation::CancelOrRefund)
        ),
        (1, 1)
    );
    assert!(credits(&p).is_empty());
}

#[tokio::test]
async fn cancel_and_validate_happen_once() {
    let (p, client) = setup().await;
    p.add_payment(NewPayment::new("C-1", 900, "EUR", TransStatus::Authorised));
    p.inject(Operation::Cancel, Fault::DropAfterApply);
    let done = cancel(&client, "C-1").await.unwrap();
    assert!(done.sent[0].found_applied);
    assert_eq!(done.state.outcome, OrderOutcome::Cancelled);
    assert!(cancel(&client, "C-1").await.unwrap().sent.is_empty());
    assert_eq!(p.count(Operation::Cancel), 1);

    p.add_payment(NewPayment::new(
        "V-1",
        900,
        "EUR",
        TransStatus::AuthorisedToValidate,
    ));
    p.inject(Operation::Validate, Fault::DropAfterApply);
    let done = validate(&client, "V-1").await.unwrap();
    assert!(done.sent[0].found_applied);
    assert_eq!(done.state.outcome, OrderOutcome::Paid);
    assert!(validate(&client, "V-1").await.unwrap().sent.is_empty());
    assert_eq!(p.count(Operation::Validate), 1);

    p.add_payment(NewPayment::new("K-1", 900, "EUR", TransStatus::Captured));
    let e = cancel(&client, "K-1").await.unwrap_err();
    assert_eq!(e.code(), "status_forbids");
    assert!(
        e.to_string()
            .contains("Transaction/Cancel is not possible on a payment CAPTURED"),
        "{e}"
    );
    assert_eq!(p.count(Operation::Cancel), 1);
}

#[tokio::test]
async fn a_lost_answer_not_visible_yet_stays_unknown_and_nothing_is_sent_again() {
    let (p, client) = setup().await;
    p.add_payment(NewPayment::new("S-1", 3000, "EUR", TransStatus::Captured));
    // HTTP 500: the client cannot tell whether it was applied (here it was not).
    p.inject(Operation::CancelOrRefund, Fault::ServerError);
    let e = refund(&client, "S-1", RefundAmount::Total(1000))
        .await
        .unwrap_err();
    assert!(matches!(e, MoneyError::StillUnknown(_)), "{e:?}");
    assert_eq!(e.code(), "outcome_unknown");
    assert!(e.to_string().contains("nothing was sent again"), "{e}");
    assert_eq!(p.count(Operation::CancelOrRefund), 1);
    assert!(credits(&p).is_empty());
    // Asked again once the platform is known not to have it: the total is not reached.
    let done = refund(&client, "S-1", RefundAmount::Total(1000))
        .await
        .unwrap();
    assert_eq!(done.state.refunded, 1000);
    assert_eq!(credits(&p), [1000]);
}

#[tokio::test]
async fn psp_104_is_read_back() {
    let (p, client) = setup().await;
    p.add_payment(NewPayment::new("A-104", 3000, "EUR", TransStatus::Captured));
    // The platform says "already refunded" although the read shows nothing: an error.
    p.inject(Operation::CancelOrRefund, Fault::Refuse("PSP_104"));
    let e = refund(&client, "A-104", RefundAmount::All)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "PSP_104");
    assert!(credits(&p).is_empty());
}

#[tokio::test]
async fn every_call_is_reported_whatever_the_result() {
    let (p, client) = setup().await;
    p.add_payment(NewPayment::new("L-1", 3000, "EUR", TransStatus::Captured));
    p.inject(Operation::CancelOrRefund, Fault::DropAfterApply);
    let mut calls = Vec::new();
    Money::new(&client, &LocalLocks::new())
        .refund_logged("L-1", RefundAmount::All, &mut calls)
        .await
        .unwrap();
    let ops: Vec<(&str, Option<&str>)> = calls
        .iter()
        .map(|c| (c.operation.name(), c.error_code.as_deref()))
        .collect();
    assert_eq!(
        ops,
        [
            ("Order/Get", None),
            ("Transaction/CancelOrRefund", Some("outcome_unknown")),
            ("Order/Get", None),
            ("Order/Get", None)
        ]
    );
    let mut calls = Vec::new();
    let e = Money::new(&client, &LocalLocks::new())
        .cancel_logged("L-1", &mut calls)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "status_forbids");
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn more_than_30_transactions_are_read_per_operation_type() {
    let (p, client) = setup().await;
    let uuid = p.add_payment(NewPayment::new(
        "BIG-1",
        100_000,
        "EUR",
        TransStatus::Captured,
    ));
    for _ in 0..19 {
        p.add_payment(NewPayment::new("BIG-1", 100, "EUR", TransStatus::Refused));
    }
    for _ in 0..11 {
        let call =
            vads::api::CancelOrRefund::new(&uuid, 10, "EUR", vads::api::ResolutionMode::RefundOnly);
        client.call(&call).await.unwrap();
    }
    // 31 in all: Order/Get answers PSP_015, then DEBIT (20) and CREDIT (11) apart.
    let all = vads::api::money::read_order(&client, "BIG-1")
        .await
        .unwrap();
    assert_eq!(all.len(), 31);
    assert_eq!(p.count(Operation::OrderGet), 3);
    let done = refund(&client, "BIG-1", RefundAmount::Total(200))
        .await
        .unwrap();
    assert_eq!(done.state.refunded, 200);
    // Beyond 30 of one type too: reported.
    for _ in 0..11 {
        p.add_payment(NewPayment::new("BIG-1", 100, "EUR", TransStatus::Refused));
    }
    let e = vads::api::money::read_order(&client, "BIG-1")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "PSP_015");
}

/// A platform whose every answer takes `latency`, served over HTTP, and a client for it.
async fn setup_slow(latency: Duration) -> (Arc<Platform>, Client<ReqwestTransport>) {
    let platform = Arc::new(
        Platform::new("69876357")
            .accept_password(Mode::Test, PASSWORD)
            .latency(latency),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let p = platform.clone();
    tokio::spawn(async move { axum::serve(listener, router(p)).await.unwrap() });
    let mut c = ShopConfig::new("69876357", Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    c.api_url = Some(url);
    let mut config = ClientConfig::default();
    config.attempt_timeout = Duration::from_secs(2);
    config.call_timeout = Duration::from_secs(3);
    config.backoff_base = Duration::from_millis(5);
    let client = Client::for_shop_with(&Shop::new(c).unwrap(), config).unwrap();
    (platform, client)
}

#[tokio::test]
async fn two_operators_at_once_see_one_effect_and_two_successes() {
    let (p, client) = setup_slow(Duration::from_millis(80)).await;
    let locks = LocalLocks::new();
    let (a, b) = (Money::new(&client, &locks), Money::new(&client, &locks));
    for round in 0..10 {
        let order = format!("T-{round}");
        p.add_payment(NewPayment::new(&order, 3000, "EUR", TransStatus::Captured));
        let (ra, rb) = tokio::join!(
            a.refund(&order, RefundAmount::Total(300)),
            b.refund(&order, RefundAmount::Total(300))
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert_eq!(ra.sent.len() + rb.sent.len(), 1, "round {round}");
        assert_eq!((ra.state.refunded, rb.state.refunded), (300, 300));
    }
    assert_eq!(p.count(Operation::CancelOrRefund), 10);
    assert_eq!(credits(&p), [300; 10]);

    // Two validations and two cancellations at once: applied once, both succeed.
    p.add_payment(NewPayment::new(
        "TV-1",
        900,
        "EUR",
        TransStatus::AuthorisedToValidate,
    ));
    let (va, vb) = tokio::join!(a.validate("TV-1"), b.validate("TV-1"));
    assert_eq!(va.unwrap().state.outcome, OrderOutcome::Paid);
    assert_eq!(vb.unwrap().state.outcome, OrderOutcome::Paid);
    assert_eq!(p.count(Operation::Validate), 1);
    p.add_payment(NewPayment::new("TC-1", 900, "EUR", TransStatus::Authorised));
    let (ca, cb) = tokio::join!(a.cancel("TC-1"), b.cancel("TC-1"));
    assert_eq!(ca.unwrap().state.outcome, OrderOutcome::Cancelled);
    assert_eq!(cb.unwrap().state.outcome, OrderOutcome::Cancelled);
    assert_eq!(p.count(Operation::Cancel), 1);
}

#[tokio::test]
async fn a_caller_that_cannot_get_the_lock_in_time_is_busy_and_sends_nothing() {
    let (p, client) = setup_slow(Duration::from_millis(400)).await;
    p.add_payment(NewPayment::new("B-1", 3000, "EUR", TransStatus::Captured));
    let locks = LocalLocks::new();
    let mut impatient = vads::api::lock::LockPolicy::default();
    impatient.wait = Duration::from_millis(100);
    let first = Money::new(&client, &locks);
    let second = Money::new(&client, &locks).with_policy(impatient);
    let (ra, rb) = tokio::join!(first.refund("B-1", RefundAmount::All), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        second.refund("B-1", RefundAmount::All).await
    });
    assert_eq!(ra.unwrap().state.refunded, 3000);
    let e = rb.unwrap_err();
    assert_eq!(e.code(), "busy");
    assert!(!e.is_unknown());
    assert_eq!(p.count(Operation::CancelOrRefund), 1);
    // The busy caller did not even read.
    assert_eq!(
        p.count(Operation::OrderGet),
        2,
        "the first's read and read after"
    );
}

#[tokio::test]
async fn a_validation_made_by_someone_else_meanwhile_is_read_back_as_met() {
    let (p, client) = setup().await;
    let uuid = p.add_payment(NewPayment::new(
        "P11",
        900,
        "EUR",
        TransStatus::AuthorisedToValidate,
    ));
    // The read is answered late; meanwhile the back office validates the payment, so the
    // validation that follows gets PSP_011 (wrong status): read back, the intent is met.
    p.inject(
        Operation::OrderGet,
        Fault::Delay(Duration::from_millis(300)),
    );
    let locks = LocalLocks::new();
    let money = Money::new(&client, &locks);
    let (done, ()) = tokio::join!(money.validate("P11"), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        client.call(&vads::api::Validate::new(&uuid)).await.unwrap();
    });
    let done = done.unwrap();
    assert_eq!(done.state.outcome, OrderOutcome::Paid);
    assert_eq!(done.sent.len(), 1);
    assert!(done.sent[0].found_applied);
    let codes: Vec<_> = p
        .calls()
        .into_iter()
        .filter(|c| c.operation == Some(Operation::Validate))
        .map(|c| c.error_code)
        .collect();
    assert_eq!(codes, [None, Some("PSP_011".to_owned())]);
}

#[tokio::test]
async fn another_payments_identical_refund_is_not_taken_for_this_one() {
    let (p, client) = setup().await;
    let older = p.add_payment(NewPayment::new("I-1", 1000, "EUR", TransStatus::Captured));
    // The newest payment is refunded first; give it a later creation date.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    p.add_payment(NewPayment::new("I-1", 1000, "EUR", TransStatus::Captured));
    // Read late; meanwhile someone refunds 300 of the *older* payment in the back office.
    p.inject(
        Operation::OrderGet,
        Fault::Delay(Duration::from_millis(300)),
    );
    let locks = LocalLocks::new();
    let money = Money::new(&client, &locks);
    let (result, ()) = tokio::join!(money.refund("I-1", RefundAmount::Total(300)), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let call = vads::api::CancelOrRefund::new(
            &older,
            300,
            "EUR",
            vads::api::ResolutionMode::RefundOnly,
        );
        client.call(&call).await.unwrap();
        // Then our refund's answer is lost (HTTP 500, and nothing applied).
        p.inject(Operation::CancelOrRefund, Fault::ServerError);
    });
    // A new CREDIT of 300 is there, but it is not this payment's: unknown, not applied.
    let e = result.unwrap_err();
    assert!(e.is_unknown(), "{e:?}");
    assert_eq!(e.code(), "outcome_unknown");
    assert_eq!(credits(&p), [300]);
}

#[tokio::test]
async fn sums_that_overflow_and_mixed_currencies_are_refused_before_anything_is_sent() {
    let (p, client) = setup().await;
    let big = 900_000_000_000_000_000u64;
    for _ in 0..21 {
        p.add_payment(NewPayment::new("O-1", big, "EUR", TransStatus::Captured));
    }
    let locks = LocalLocks::new();
    let money = Money::new(&client, &locks);
    let e = money.refund("O-1", RefundAmount::All).await.unwrap_err();
    assert_eq!(e.code(), "amount_overflow");
    assert!(e.to_string().contains("nothing was sent"), "{e}");

    p.add_payment(NewPayment::new("C-2", 1000, "EUR", TransStatus::Captured));
    p.add_payment(NewPayment::new("C-2", 1000, "USD", TransStatus::Captured));
    for amount in [RefundAmount::All, RefundAmount::Total(100)] {
        let e = money.refund("C-2", amount).await.unwrap_err();
        assert_eq!(e.code(), "mixed_currencies");
    }
    assert_eq!(p.count(Operation::CancelOrRefund), 0);
}
