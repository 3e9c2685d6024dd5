//! Features `api`, `testing`: tokens and subscriptions through the REST API on the
//! in-process simulator. Cancelling twice meets the intent once; a subscription whose
//! creation answer is lost is `outcome_unknown` and never sent again; `responseCode`s are
//! typed; a one-click or registration formToken is a formToken (retried like one).
#![cfg(all(feature = "api", feature = "testing"))]

use std::sync::Arc;
use std::time::Duration;
use vads::api::subscriptions::{
    cancel_subscription, create_subscription, CreateSubscription, SubscriptionChange,
    SubscriptionGet, SubscriptionRef, SubscriptionStatus, SubscriptionUpdate,
};
use vads::api::tokens::{
    cancel_token, reactivate_token, CreateToken, TokenChange, TokenGet, TokenUpdate,
};
use vads::api::{
    ApiError, Client, ClientConfig, CreatePayment, Credentials, ErrorCode, FormAction, Operation,
};
use vads::testing::block_on;
use vads::testing::platform::{Fault, Platform};
use vads::{Mode, SecretString, Shop, ShopConfig, TransDate, TransStatus};

const PASSWORD: &str = "testpassword_RecurringApi1f2e3d";

fn setup() -> (Arc<Platform>, Client<Arc<Platform>>) {
    let mut c = ShopConfig::new("69876357", Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    let shop = Shop::new(c).unwrap();
    let platform = Arc::new(Platform::for_shop(&shop));
    let mut config = ClientConfig::default();
    config.attempt_timeout = Duration::from_millis(300);
    config.backoff_base = Duration::from_millis(5);
    let client = Client::new(Credentials::of(&shop).unwrap(), platform.clone(), config);
    (platform, client)
}

#[test]
fn a_token_is_read_cancelled_twice_and_reactivated() {
    let (p, client) = setup();
    let token = p.add_token("jane@example.com");
    let read = block_on(client.call(&TokenGet::new(&token))).unwrap();
    assert_eq!(read.payment_method_token, token);
    assert!(!read.is_cancelled());
    assert_eq!(
        read.token_details.unwrap().pan.as_deref(),
        Some("497010XXXXXX0055")
    );
    assert_eq!(
        block_on(cancel_token(&client, &token)).unwrap(),
        TokenChange::Done
    );
    // The platform refuses the second (PSP_031); read back, it is cancelled: met.
    assert_eq!(
        block_on(cancel_token(&client, &token)).unwrap(),
        TokenChange::AlreadyDone
    );
    assert_eq!(p.count(Operation::TokenCancel), 2);
    assert!(block_on(client.call(&TokenGet::new(&token)))
        .unwrap()
        .is_cancelled());
    assert_eq!(
        block_on(reactivate_token(&client, &token)).unwrap(),
        TokenChange::Done
    );
    assert_eq!(
        block_on(reactivate_token(&client, &token)).unwrap(),
        TokenChange::AlreadyDone
    );
    assert!(!block_on(client.call(&TokenGet::new(&token)))
        .unwrap()
        .is_cancelled());
    // An unknown token is PSP_030, typed, and not explained away.
    let e = block_on(cancel_token(&client, "no-such-token")).unwrap_err();
    let ApiError::Refused(r) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(r.kind(), ErrorCode::Psp030);
    let mut update = TokenUpdate::new(&token);
    update.email = Some("new@example.com".into());
    block_on(client.call(&update)).unwrap();
    let read = block_on(client.call(&TokenGet::new(&token))).unwrap();
    assert_eq!(
        read.customer.unwrap().email.as_deref(),
        Some("new@example.com")
    );
}

#[test]
fn a_card_is_saved_with_a_formtoken_and_paid_with_one_click() {
    let (p, client) = setup();
    // Charge/CreateToken: a formToken; paying it is a card check that saves the card.
    let form =
        block_on(client.call(&CreateToken::new("EUR", "jane@example.com").order_id("REG-1")))
            .unwrap();
    let check = p
        .pay(form.form_token.as_str(), TransStatus::Authorised)
        .unwrap();
    assert_eq!(check.operation_type, "VERIFICATION");
    assert_eq!(check.detailed_status, "ACCEPTED");
    let token = check.token.clone().unwrap();
    assert!(p.saved_token(&token).is_some());
    // One-click: a formToken with the saved card; paid, it is a DEBIT with the token.
    let one_click = CreatePayment::new(1250, "EUR")
        .order_id("OC-1")
        .one_click(&token);
    let form = block_on(client.call(&one_click)).unwrap();
    let paid = p
        .pay(form.form_token.as_str(), TransStatus::Captured)
        .unwrap();
    assert_eq!(paid.token.as_deref(), Some(token.as_str()));
    // REGISTER_PAY without an e-mail is refused before sending.
    let e = block_on(client.call(&CreatePayment::new(1250, "EUR").action(FormAction::RegisterPay)))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_request");
    // A formToken is retried like one: a 500 then the answer.
    p.inject(Operation::CreateToken, Fault::ServerError);
    assert!(block_on(client.call(&CreateToken::new("EUR", "jane@example.com"))).is_ok());
    assert_eq!(p.count(Operation::CreateToken), 3);
    // One-click on a cancelled card: refused by the platform (PSP_031).
    block_on(cancel_token(&client, &token)).unwrap();
    let e = block_on(client.call(&CreatePayment::new(1250, "EUR").one_click(&token))).unwrap_err();
    assert_eq!(e.code(), "PSP_031");
}

fn tomorrow() -> String {
    let t = TransDate::from_unix(TransDate::now().to_unix().unwrap() + 86_400);
    format!("{:04}-{:02}-{:02}", t.year, t.month, t.day)
}

#[test]
fn a_subscription_is_created_read_updated_and_cancelled_idempotently() {
    let (p, client) = setup();
    let token = p.add_token("jane@example.com");
    let request = CreateSubscription::new(
        &token,
        990,
        "EUR",
        "RRULE:FREQ=MONTHLY;COUNT=12",
        tomorrow(),
    )
    .order_id("SUB-9")
    .with_initial(490, 2);
    let created = block_on(create_subscription(&client, &request)).unwrap();
    assert_eq!(created.token, token);
    let info = block_on(client.call(&SubscriptionGet::new(&created.id, &token))).unwrap();
    assert_eq!(info.status(TransDate::now()), SubscriptionStatus::Pending);
    assert_eq!(
        (info.amount, info.total_payments_number),
        (Some(990), Some(12))
    );
    assert_eq!(
        (info.initial_amount, info.initial_amount_number),
        (Some(490), Some(2))
    );
    assert_eq!(info.order_id.as_deref(), Some("SUB-9"));
    // The whole schedule again: sent twice, the same schedule.
    let update = SubscriptionUpdate::new(
        created.id.clone(),
        CreateSubscription::new(
            &token,
            1290,
            "EUR",
            "RRULE:FREQ=MONTHLY;COUNT=6",
            tomorrow(),
        ),
    );
    block_on(client.call(&update)).unwrap();
    block_on(client.call(&update)).unwrap();
    let info = block_on(client.call(&SubscriptionGet::new(&created.id, &token))).unwrap();
    assert_eq!(
        (info.amount, info.total_payments_number),
        (Some(1290), Some(6))
    );
    // Cancelled, then cancelled again: met both times.
    assert_eq!(
        block_on(cancel_subscription(&client, &created)).unwrap(),
        SubscriptionChange::Cancelled
    );
    assert_eq!(
        block_on(cancel_subscription(&client, &created)).unwrap(),
        SubscriptionChange::AlreadyCancelled
    );
    let info = block_on(client.call(&SubscriptionGet::new(&created.id, &token))).unwrap();
    assert_eq!(info.status(TransDate::now()), SubscriptionStatus::Cancelled);
    // responseCode 32 (no such subscription) and 30 (no such token), typed.
    let missing = SubscriptionRef {
        id: "no-such".into(),
        token: token.clone(),
    };
    let e = block_on(cancel_subscription(&client, &missing)).unwrap_err();
    assert_eq!(e.code(), "PSP_032");
    let e = block_on(cancel_subscription(
        &client,
        &SubscriptionRef {
            id: created.id.clone(),
            token: "no-such-token".into(),
        },
    ))
    .unwrap_err();
    assert_eq!(e.code(), "PSP_030");
    // The subscription is (token, id): the id with another token is another one.
    assert_eq!(
        block_on(client.call(&SubscriptionGet::new(
            &created.id,
            p.add_token("x@example.com")
        )))
        .unwrap_err()
        .code(),
        "PSP_032"
    );
}

#[test]
fn a_lost_creation_answer_is_never_sent_again() {
    let (p, client) = setup();
    let token = p.add_token("jane@example.com");
    p.inject(Operation::CreateSubscription, Fault::DropAfterApply);
    let request = CreateSubscription::new(&token, 990, "EUR", "RRULE:FREQ=MONTHLY", tomorrow())
        .order_id("SUB-10");
    let e = block_on(create_subscription(&client, &request)).unwrap_err();
    assert_eq!(e.code(), "outcome_unknown");
    let text = e.to_string();
    assert!(
        text.contains("SUB-10") && text.contains("back office"),
        "{text}"
    );
    assert_eq!(p.count(Operation::CreateSubscription), 1, "never retried");
    // It exists, as the platform applied it: look before asking again.
    assert_eq!(p.subscriptions().len(), 1);
    // A 500 is not retried either.
    p.inject(Operation::CreateSubscription, Fault::ServerError);
    assert_eq!(
        block_on(create_subscription(&client, &request))
            .unwrap_err()
            .code(),
        "outcome_unknown"
    );
    assert_eq!(p.count(Operation::CreateSubscription), 2);
    // Refused before sending: a date in the past, a rule with a space.
    let past = CreateSubscription::new(&token, 990, "EUR", "RRULE:FREQ=MONTHLY", "2020-01-01");
    assert_eq!(
        block_on(create_subscription(&client, &past))
            .unwrap_err()
            .code(),
        "invalid_request"
    );
    let spaced = CreateSubscription::new(
        &token,
        990,
        "EUR",
        "RRULE:FREQ=MONTHLY; COUNT=2",
        tomorrow(),
    );
    assert_eq!(
        block_on(create_subscription(&client, &spaced))
            .unwrap_err()
            .code(),
        "invalid_request"
    );
    assert_eq!(p.count(Operation::CreateSubscription), 2);
}

#[test]
fn installments_in_flight_are_cancelled_after_the_subscription_once_each_and_only_they() {
    use vads::api::subscriptions::cancel_running_installments;
    use vads::testing::platform::NewPayment;
    let (p, client) = setup();
    let token = p.add_token("jane@example.com");
    let sub = block_on(create_subscription(
        &client,
        &CreateSubscription::new(&token, 990, "EUR", "RRULE:FREQ=MONTHLY", "2099-01-01")
            .order_id("SUB-RUN"),
    ))
    .unwrap();
    // What the platform had started: two installments not finished, one captured, and a
    // payment of another order.
    let waiting = p.add_payment(NewPayment::new(
        "SUB-RUN",
        990,
        "EUR",
        TransStatus::WaitingAuthorisation,
    ));
    let to_validate = p.add_payment(NewPayment::new(
        "SUB-RUN",
        990,
        "EUR",
        TransStatus::AuthorisedToValidate,
    ));
    let captured = p.add_payment(NewPayment::new(
        "SUB-RUN",
        990,
        "EUR",
        TransStatus::Captured,
    ));
    let other = p.add_payment(NewPayment::new(
        "OTHER",
        990,
        "EUR",
        TransStatus::WaitingAuthorisation,
    ));
    assert_eq!(
        block_on(cancel_subscription(&client, &sub)).unwrap(),
        SubscriptionChange::Cancelled
    );
    // The second cancel's answer is lost: read back, cancelled.
    p.inject(Operation::Cancel, Fault::DropAfterApply);
    p.inject(Operation::Cancel, Fault::DropAfterApply);
    let done = block_on(cancel_running_installments(&client, "SUB-RUN", &sub)).unwrap();
    let mut cancelled = done.cancelled.clone();
    cancelled.sort();
    let mut expected = vec![waiting.clone(), to_validate.clone()];
    expected.sort();
    assert_eq!(cancelled, expected, "{done:?}");
    assert!(done.failed.is_empty() && done.already_cancelled.is_empty());
    assert_eq!(p.count(Operation::Cancel), 2);
    for (uuid, status) in [
        (&waiting, "CANCELLED"),
        (&to_validate, "CANCELLED"),
        (&captured, "CAPTURED"),
        (&other, "WAITING_AUTHORISATION"),
    ] {
        assert_eq!(p.transaction(uuid).unwrap().detailed_status, status);
    }
    // Again: nothing is running any more, nothing is sent.
    let again = block_on(cancel_running_installments(&client, "SUB-RUN", &sub)).unwrap();
    assert_eq!(again, Default::default());
    assert_eq!(p.count(Operation::Cancel), 2);
}
