//! Features `client`, `testing`, `axum`: a merchant-initiated charge of a saved card
//! (`vads::api::charge`) on the simulator served on 127.0.0.1 through the real transport.
//! Each charge applies at most once: a lost answer is read back and the impatient second
//! call sends nothing; two callers at once charge once; a declined charge never reads as
//! paid; a request refused before sending sends nothing. The simulator counts.
#![cfg(all(feature = "client", feature = "testing", feature = "axum"))]

use std::sync::Arc;
use std::time::Duration;
use vads::api::charge::{Charge, ChargeError, ChargeOutcome, Charges};
use vads::api::lock::LocalLocks;
use vads::api::{Client, ClientConfig, Operation, ReqwestTransport};
use vads::lifecycle::OrderOutcome;
use vads::testing::platform::{router, Fault, Platform};
use vads::{Mode, SecretString, Shop, ShopConfig};

const PASSWORD: &str = "testpassword_ChargeOnce7e6d5c4b";

async fn setup_with(latency: Duration) -> (Arc<Platform>, Client<ReqwestTransport>) {
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
    config.attempt_timeout = Duration::from_millis(700);
    config.backoff_base = Duration::from_millis(5);
    let client = Client::for_shop_with(&Shop::new(c).unwrap(), config).unwrap();
    (platform, client)
}

async fn setup() -> (Arc<Platform>, Client<ReqwestTransport>) {
    setup_with(Duration::ZERO).await
}

/// The platform's charges (its `DEBIT`s) of `order`, as (status, amount).
fn charges_of(p: &Platform, order: &str) -> Vec<(String, u64)> {
    p.transactions()
        .into_iter()
        .filter(|t| t.operation_type == "DEBIT" && t.order_id.as_deref() == Some(order))
        .map(|t| (t.detailed_status, t.amount))
        .collect()
}

fn quick<'a>(
    client: &'a Client<ReqwestTransport>,
    locks: &'a LocalLocks,
) -> Charges<'a, ReqwestTransport, LocalLocks> {
    Charges::new(client, locks).read_back_after(vec![Duration::ZERO, Duration::from_millis(200)])
}

#[tokio::test]
async fn a_lost_answer_is_read_back_and_the_impatient_second_call_charges_nothing() {
    for fault in [Fault::DropAfterApply, Fault::Delay(Duration::from_secs(2))] {
        let (p, client) = setup().await;
        let token = p.add_token("jane@example.com");
        p.inject(Operation::CreatePayment, fault);
        let locks = LocalLocks::new();
        let charge =
            Charge::new("SUB-1-2027-01", &token, 990, "EUR").chaining_ref("123456789012345");
        let first = quick(&client, &locks).charge(&charge).await.unwrap();
        assert_eq!(first.outcome, ChargeOutcome::Charged, "{fault:?}");
        assert!(first.sent && first.found_applied, "{fault:?}");
        assert_eq!(
            (first.state.outcome, first.state.paid),
            (OrderOutcome::Paid, 990)
        );
        // The impatient user asks again: the order is read, nothing is sent.
        let again = quick(&client, &locks).charge(&charge).await.unwrap();
        assert_eq!(again.outcome, ChargeOutcome::AlreadyCharged);
        assert!(!again.sent);
        assert_eq!(p.count(Operation::CreatePayment), 1, "{fault:?}: sent once");
        assert_eq!(
            charges_of(&p, "SUB-1-2027-01").len(),
            1,
            "{fault:?}: charged once"
        );
    }
}

#[tokio::test]
async fn the_charge_carries_its_attempt_and_the_answer_is_the_event() {
    let (p, client) = setup().await;
    let token = p.add_token("jane@example.com");
    let locks = LocalLocks::new();
    let charge = Charge::new("SUB-2-2027-01", &token, 1250, "978").chaining_ref("998877665544332");
    let done = quick(&client, &locks).charge(&charge).await.unwrap();
    assert_eq!(done.outcome, ChargeOutcome::Charged);
    assert!(!done.found_applied);
    // The platform saw one SILENT charge with this attempt's metadata.
    let t = &p.transactions()[0];
    let attempt = t.metadata.as_ref().unwrap()[vads::api::charge::ATTEMPT_KEY]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(attempt.len(), 32);
    assert_eq!(t.token.as_deref(), Some(token.as_str()));
    // The events are the order's, keyed like notifications (site, mode, order).
    assert_eq!(done.events.len(), 1);
    let e = &done.events[0];
    assert_eq!(e.order_id.as_deref(), Some("SUB-2-2027-01"));
    assert_eq!(e.mode, Some(Mode::Test));
    assert_eq!(e.site_id.as_deref(), Some("69876357"));
    assert_eq!(e.amount, Some(1250));
    assert_eq!(e.currency.as_deref(), Some("978"));
}

#[tokio::test]
async fn two_callers_at_once_charge_once() {
    // A distant platform: both callers would read "nothing yet" without the lock.
    let (p, client) = setup_with(Duration::from_millis(150)).await;
    let token = p.add_token("jane@example.com");
    let locks = LocalLocks::new();
    let charge = Charge::new("SUB-3-2027-01", &token, 990, "EUR");
    let (one, two) = (quick(&client, &locks), quick(&client, &locks));
    let (a, b) = tokio::join!(one.charge(&charge), two.charge(&charge));
    let mut outcomes = [a.unwrap().outcome, b.unwrap().outcome];
    outcomes.sort_by_key(|o| o.as_str());
    assert_eq!(
        outcomes,
        [ChargeOutcome::AlreadyCharged, ChargeOutcome::Charged]
    );
    assert_eq!(p.count(Operation::CreatePayment), 1);
    assert_eq!(charges_of(&p, "SUB-3-2027-01").len(), 1);
}

#[tokio::test]
async fn a_declined_charge_never_reads_as_paid_and_is_not_sent_again_on_its_own() {
    let (p, client) = setup().await;
    let token = p.add_token("jane@example.com");
    p.decline_token(&token, true);
    let locks = LocalLocks::new();
    let charge = Charge::new("SUB-4-2027-01", &token, 990, "EUR");
    // The envelope says SUCCESS; the transaction says REFUSED: refused.
    let e = quick(&client, &locks).charge(&charge).await.unwrap_err();
    assert_eq!(e.code(), "refused");
    let ChargeError::Refused(declined) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(declined.state.paid, 0);
    assert_eq!(declined.state.outcome, OrderOutcome::Failed);
    assert_eq!(
        declined.events.len(),
        1,
        "the refusal is an event to record"
    );
    // Asked again: the refused charge is read, nothing is sent.
    let e = quick(&client, &locks).charge(&charge).await.unwrap_err();
    assert_eq!(e.code(), "already_refused");
    assert_eq!(p.count(Operation::CreatePayment), 1);
    // A new attempt is an explicit decision; the card works now.
    p.decline_token(&token, false);
    let retried = quick(&client, &locks)
        .retry_refused(true)
        .charge(&charge)
        .await
        .unwrap();
    assert_eq!(retried.outcome, ChargeOutcome::Charged);
    assert_eq!(p.count(Operation::CreatePayment), 2);
    // Paid once: asked again, even with retry_refused, nothing is sent.
    let again = quick(&client, &locks)
        .retry_refused(true)
        .charge(&charge)
        .await
        .unwrap();
    assert_eq!(again.outcome, ChargeOutcome::AlreadyCharged);
    assert_eq!(p.count(Operation::CreatePayment), 2);
    // A decline the fault injects on one call only reads the same.
    let other = Charge::new("SUB-5-2027-01", &token, 990, "EUR");
    p.inject(Operation::CreatePayment, Fault::Decline);
    assert_eq!(
        quick(&client, &locks)
            .charge(&other)
            .await
            .unwrap_err()
            .code(),
        "refused"
    );
}

#[tokio::test]
async fn a_refusal_envelope_and_a_lost_answer_that_never_shows_send_nothing_more() {
    let (p, client) = setup().await;
    let token = p.add_token("jane@example.com");
    let locks = LocalLocks::new();
    // An ERROR envelope: nothing applied, not paid.
    p.inject(Operation::CreatePayment, Fault::Refuse("PSP_099"));
    let e = quick(&client, &locks)
        .charge(&Charge::new("SUB-6-2027-01", &token, 990, "EUR"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "refused");
    assert!(e.to_string().contains("PSP_099"), "{e}");
    assert_eq!(
        p.count(Operation::CreatePayment),
        1,
        "a charge is never retried"
    );
    // HTTP 500 after sending: the outcome is unknown; the reads show nothing; nothing is
    // sent again.
    p.inject(Operation::CreatePayment, Fault::ServerError);
    let e = quick(&client, &locks)
        .charge(&Charge::new("SUB-7-2027-01", &token, 990, "EUR"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "outcome_unknown");
    assert!(e.is_unknown());
    let text = e.to_string();
    assert!(
        text.contains("SUB-7-2027-01") && text.contains("nothing was sent again"),
        "{text}"
    );
    assert_eq!(p.count(Operation::CreatePayment), 2);
    assert!(
        p.count(Operation::OrderGet) >= 3,
        "read first, then read back"
    );
    // A cancelled token: the platform refuses (PSP_031), nothing is paid.
    vads::api::tokens::cancel_token(&client, &token)
        .await
        .unwrap();
    let e = quick(&client, &locks)
        .charge(&Charge::new("SUB-8-2027-01", &token, 990, "EUR"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("PSP_031"), "{e}");
}

#[tokio::test]
async fn an_invalid_charge_sends_nothing() {
    let (p, client) = setup().await;
    let locks = LocalLocks::new();
    for charge in [
        Charge::new("", "tok", 990, "EUR"),
        Charge::new("A-1", "tok", 0, "EUR"),
        Charge::new("A-1", "", 990, "EUR"),
        Charge::new("A-1", "tok", 990, "EUX"),
    ] {
        let e = quick(&client, &locks).charge(&charge).await.unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }
    assert!(p.calls().is_empty(), "nothing sent, not even a read");
}
