//! Features `client`, `testing`, `axum`: every operation of `vads::api` against the
//! platform simulator served on 127.0.0.1, through the real `reqwest` transport; the
//! retry rules checked on the simulator's side (a refund is sent once, even when its
//! answer is lost); failures classified; no credential in any output.
#![cfg(all(feature = "client", feature = "testing", feature = "axum"))]

use std::sync::Arc;
use std::time::Duration;
use vads::api::{
    ApiError, Cancel, CancelOrRefund, Client, ClientConfig, CreatePayment, Credentials, ErrorCode,
    Operation, OrderGet, ReqwestTransport, ResolutionMode, SdkTest, TransactionGet, TransportKind,
    Update, Validate,
};
use vads::testing::platform::{router, Fault, NewPayment, Platform};
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus};

const SITE: &str = "69876357";
const PASSWORD: &str = "testpassword_ApiTestSecret9f8e7d6c5b4a";

fn shop(password: &str, api_url: &str) -> Shop {
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_password = Some(SecretString::new(password.into()));
    c.api_url = Some(api_url.into());
    Shop::new(c).unwrap()
}

/// The simulator on 127.0.0.1 (a port of its own), and its URL.
async fn serve(platform: Arc<Platform>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router(platform)).await.unwrap();
    });
    url
}

fn fast() -> ClientConfig {
    let mut config = ClientConfig::default();
    config.backoff_base = Duration::from_millis(5);
    config.backoff_max = Duration::from_millis(20);
    config.back_off_base = Duration::from_millis(10);
    config.attempt_timeout = Duration::from_millis(800);
    config.call_timeout = Duration::from_secs(5);
    config
}

struct Setup {
    platform: Arc<Platform>,
    client: Client<ReqwestTransport>,
    url: String,
}

async fn setup() -> Setup {
    let platform = Arc::new(Platform::new(SITE).accept_password(Mode::Test, PASSWORD));
    let url = serve(platform.clone()).await;
    let client = Client::for_shop_with(&shop(PASSWORD, &url), fast()).unwrap();
    Setup {
        platform,
        client,
        url,
    }
}

fn captured(platform: &Platform, status: TransStatus) -> String {
    platform.add_payment(NewPayment::new("ORDER-1", 2500, "EUR", status))
}

#[tokio::test]
async fn sdk_test_echoes_and_a_wrong_password_is_int_905() {
    let s = setup().await;
    let answer = s.client.call(&SdkTest::new("ping")).await.unwrap();
    assert_eq!(answer.value.as_deref(), Some("ping"));

    let wrong = Client::for_shop_with(&shop("testpassword_WrongOne12345", &s.url), fast()).unwrap();
    let e = wrong.call(&SdkTest::new("ping")).await.unwrap_err();
    assert_eq!(e.code(), "INT_905");
    let ApiError::Refused(p) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(p.kind(), ErrorCode::Int905);
    // A refusal is not retried: one request each.
    assert_eq!(s.platform.count(Operation::SdkTest), 2);
}

#[tokio::test]
async fn create_payment_gives_a_token_that_pays_once() {
    let s = setup().await;
    let form = s
        .client
        .call(
            &CreatePayment::new(1250, "EUR")
                .order_id("EMB-1")
                .email("jane@example.com"),
        )
        .await
        .unwrap();
    let token = form.form_token.as_str().to_owned();
    assert!(!format!("{form:?}").contains(&token));
    assert_eq!(
        s.platform.token_payment(&token),
        Some((Some("EMB-1".into()), 1250, "EUR".into()))
    );
    let paid = s.platform.pay(&token, TransStatus::Captured).unwrap();
    assert!(s.platform.pay(&token, TransStatus::Captured).is_none());
    let order = s.client.call(&OrderGet::new("EMB-1")).await.unwrap();
    assert_eq!(order.transactions.len(), 1);
    assert_eq!(
        order.transactions[0].uuid.as_deref(),
        Some(paid.uuid.as_str())
    );
    // The platform's own checks: a currency it does not know never leaves the client.
    let e = s
        .client
        .call(&CreatePayment::new(1250, "XXX"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_request");
    assert_eq!(s.platform.count(Operation::CreatePayment), 1);
}

#[tokio::test]
async fn reads_and_not_found() {
    let s = setup().await;
    let uuid = captured(&s.platform, TransStatus::Captured);
    let t = s.client.call(&TransactionGet::new(&uuid)).await.unwrap();
    assert_eq!((t.amount, t.currency.as_deref()), (Some(2500), Some("EUR")));
    assert_eq!(t.trans_status(), Some(TransStatus::Captured));
    assert_eq!(t.refundable(), Some(2500));
    let e = s
        .client
        .call(&TransactionGet::new("0123456789abcdef0123456789abcdef"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "PSP_010");
    let empty = s
        .client
        .call(&OrderGet::new("NO-SUCH-ORDER"))
        .await
        .unwrap();
    assert!(empty.transactions.is_empty());
    for _ in 0..31 {
        s.platform
            .add_payment(NewPayment::new("BIG", 100, "EUR", TransStatus::Refused));
    }
    assert_eq!(
        s.client
            .call(&OrderGet::new("BIG"))
            .await
            .unwrap_err()
            .code(),
        "PSP_015"
    );
}

#[tokio::test]
async fn refund_cancel_update_validate_through_the_real_transport() {
    let s = setup().await;
    let paid = captured(&s.platform, TransStatus::Captured);
    let refund = s
        .client
        .call(&CancelOrRefund::new(
            &paid,
            1000,
            "EUR",
            ResolutionMode::RefundOnly,
        ))
        .await
        .unwrap();
    assert_eq!(refund.operation_type.as_deref(), Some("CREDIT"));
    assert_ne!(refund.uuid.as_deref(), Some(paid.as_str()));
    assert_eq!(
        refund
            .transaction_details
            .as_ref()
            .unwrap()
            .parent_transaction_uuid
            .as_deref(),
        Some(paid.as_str())
    );
    let after = s.client.call(&TransactionGet::new(&paid)).await.unwrap();
    assert_eq!(after.refundable(), Some(1500));
    let too_much = CancelOrRefund::new(&paid, 1501, "EUR", ResolutionMode::RefundOnly);
    assert_eq!(
        s.client.call(&too_much).await.unwrap_err().code(),
        "INT_009"
    );
    let cancel_captured = CancelOrRefund::new(&paid, 100, "EUR", ResolutionMode::CancellationOnly);
    assert_eq!(
        s.client.call(&cancel_captured).await.unwrap_err().code(),
        "PSP_075"
    );

    let authorised = captured(&s.platform, TransStatus::Authorised);
    let refund_early = CancelOrRefund::new(&authorised, 100, "EUR", ResolutionMode::RefundOnly);
    assert_eq!(
        s.client.call(&refund_early).await.unwrap_err().code(),
        "PSP_076"
    );
    let lowered = s
        .client
        .call(&Update::new(&authorised, 2000, "EUR"))
        .await
        .unwrap();
    assert_eq!(lowered.amount, Some(2000));
    assert_eq!(
        s.client
            .call(&Validate::new(&authorised))
            .await
            .unwrap_err()
            .code(),
        "PSP_011"
    );
    let cancelled = s.client.call(&Cancel::new(&authorised)).await.unwrap();
    assert_eq!(cancelled.detailed_status.as_deref(), Some("CANCELLED"));
    assert_eq!(
        s.client
            .call(&Cancel::new(&authorised))
            .await
            .unwrap_err()
            .code(),
        "PSP_105"
    );

    let to_validate = captured(&s.platform, TransStatus::AuthorisedToValidate);
    let validated = s.client.call(&Validate::new(&to_validate)).await.unwrap();
    assert_eq!(validated.detailed_status.as_deref(), Some("AUTHORISED"));
}

#[tokio::test]
async fn a_read_is_retried_a_refund_never_is() {
    let s = setup().await;
    let paid = captured(&s.platform, TransStatus::Captured);

    // A read survives a 500 and a dropped connection: 3 requests, one answer.
    s.platform
        .inject(Operation::TransactionGet, Fault::ServerError);
    s.platform
        .inject(Operation::TransactionGet, Fault::DropAfterApply);
    let (result, report) = s.client.call_with_report(&TransactionGet::new(&paid)).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        (report.attempts, s.platform.count(Operation::TransactionGet)),
        (3, 3)
    );
    // ... and gives up after 3.
    for _ in 0..3 {
        s.platform.inject(Operation::OrderGet, Fault::ServerError);
    }
    let e = s.client.call(&OrderGet::new("ORDER-1")).await.unwrap_err();
    assert_eq!(e.code(), "api_http_status");
    assert_eq!(s.platform.count(Operation::OrderGet), 3);
    // PSP_099 backs off and tries again.
    s.platform
        .inject(Operation::SdkTest, Fault::Refuse("PSP_099"));
    assert!(s.client.call(&SdkTest::new("x")).await.is_ok());
    assert_eq!(s.platform.count(Operation::SdkTest), 2);

    // A refund applied whose answer is dropped: outcome unknown, sent once, refunded once.
    s.platform
        .inject(Operation::CancelOrRefund, Fault::DropAfterApply);
    let call = CancelOrRefund::new(&paid, 700, "EUR", ResolutionMode::RefundOnly);
    let e = s.client.call(&call).await.unwrap_err();
    let ApiError::OutcomeUnknown(unknown) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (unknown.uuid.as_str(), unknown.amount),
        (paid.as_str(), Some(700))
    );
    assert_eq!(unknown.cause.kind(), TransportKind::Interrupted);
    assert!(!e.nothing_applied());
    assert!(e
        .to_string()
        .starts_with("outcome_unknown: Transaction/CancelOrRefund"));
    assert_eq!(s.platform.count(Operation::CancelOrRefund), 1);
    let credits: Vec<_> = s
        .platform
        .transactions()
        .into_iter()
        .filter(|t| t.operation_type == "CREDIT")
        .collect();
    assert_eq!(credits.len(), 1);
    // A 500 to a refund is unknown too (the client cannot tell), and not retried.
    s.platform
        .inject(Operation::CancelOrRefund, Fault::ServerError);
    assert_eq!(
        s.client.call(&call).await.unwrap_err().code(),
        "outcome_unknown"
    );
    assert_eq!(s.platform.count(Operation::CancelOrRefund), 2);
    // A delay beyond the attempt's timeout: applied, answer lost, sent once.
    s.platform
        .inject(Operation::Cancel, Fault::Delay(Duration::from_secs(3)));
    let authorised = captured(&s.platform, TransStatus::Authorised);
    let e = s.client.call(&Cancel::new(&authorised)).await.unwrap_err();
    let ApiError::OutcomeUnknown(unknown) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(unknown.cause.kind(), TransportKind::Timeout);
    assert_eq!(s.platform.count(Operation::Cancel), 1);
    let t = s
        .client
        .call(&TransactionGet::new(&authorised))
        .await
        .unwrap();
    assert_eq!(t.detailed_status.as_deref(), Some("CANCELLED"));
}

#[tokio::test]
async fn failures_before_sending_say_nothing_was_applied() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::for_shop_with(&shop(PASSWORD, &url), fast()).unwrap();
    let uuid = "0123456789abcdef0123456789abcdef";
    let e = client
        .call(&CancelOrRefund::new(
            uuid,
            100,
            "EUR",
            ResolutionMode::RefundOnly,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api_unreachable");
    assert!(e.nothing_applied());
    let (e, report) = client.call_with_report(&SdkTest::new("x")).await;
    assert_eq!(e.unwrap_err().code(), "api_unreachable");
    assert_eq!(report.attempts, 3);

    // TLS to a server that speaks plain HTTP.
    let s = setup().await;
    let tls_url = s.url.replace("http://", "https://");
    let tls = Client::for_shop_with(&shop(PASSWORD, &tls_url), fast()).unwrap();
    let e = tls.call(&Cancel::new(uuid)).await.unwrap_err();
    assert_eq!(e.code(), "api_tls");
    assert!(e.nothing_applied());
    assert_eq!(s.platform.count(Operation::Cancel), 0);
}

#[test]
fn a_password_of_the_other_mode_is_refused_when_the_shop_is_built() {
    let mut c = ShopConfig::new(SITE, Mode::Production);
    c.production_password = Some(SecretString::new(PASSWORD.into()));
    let e = Shop::new(c).unwrap_err();
    assert_eq!(e.code(), "password_wrong_mode");
    assert!(!e.to_string().contains("ApiTestSecret"));
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_password = Some(SecretString::new("prodpassword_Abcdef123456".into()));
    assert_eq!(Shop::new(c).unwrap_err().code(), "password_wrong_mode");
    // An http API URL to another host than the loopback is refused: the password would
    // travel in clear.
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    c.api_url = Some("http://api.payzen.eu".into());
    assert_eq!(
        Shop::new(c).unwrap_err().to_string().split(':').next(),
        Some("invalid_config")
    );
}

#[test]
fn the_api_host_comes_from_the_brand_or_the_setting() {
    let host = |brand: Option<&str>, payment_url: Option<&str>, api: Option<&str>| {
        let mut c = ShopConfig::new(SITE, Mode::Test);
        c.test_password = Some(SecretString::new(PASSWORD.into()));
        c.brand = brand.map(Into::into);
        c.payment_url = payment_url.map(Into::into);
        c.api_url = api.map(Into::into);
        Shop::new(c).unwrap().api_url().map(str::to_owned)
    };
    assert_eq!(
        host(None, None, None).as_deref(),
        Some("https://api.payzen.eu")
    );
    assert_eq!(
        host(Some("sogecommerce"), None, None).as_deref(),
        Some("https://api-sogecommerce.societegenerale.eu")
    );
    assert_eq!(host(Some("clicandpay"), None, None), None);
    assert_eq!(
        host(
            None,
            Some("https://paiement.systempay.fr/vads-payment/"),
            None
        )
        .as_deref(),
        Some("https://api.systempay.fr")
    );
    assert_eq!(
        host(None, Some("https://pay.example.com/vads-payment/"), None),
        None
    );
    assert_eq!(
        host(Some("clicandpay"), None, Some("https://api.example.com/")).as_deref(),
        Some("https://api.example.com")
    );
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    c.brand = Some("osb".into());
    let e = Credentials::of(&Shop::new(c).unwrap()).unwrap_err();
    assert_eq!(e.code(), "api_url_missing");
}

#[tokio::test]
async fn too_many_requests_backs_off_from_one_second_or_as_retry_after_says() {
    let s = setup().await;
    // The real back-off base: 1 s (the fast config's is shorter; a 429 uses it).
    let mut config = fast();
    config.back_off_base = Duration::from_secs(1);
    config.call_timeout = Duration::from_secs(6);
    let client = Client::for_shop_with(&shop(PASSWORD, &s.url), config).unwrap();
    let uuid = captured(&s.platform, TransStatus::Captured);

    // Retry-After: 2 → the read waits 2 s, then is answered.
    s.platform
        .inject(Operation::TransactionGet, Fault::TooManyRequests(Some(2)));
    let started = std::time::Instant::now();
    let (answer, report) = client.call_with_report(&TransactionGet::new(&uuid)).await;
    answer.unwrap();
    assert_eq!(report.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // No Retry-After: the back-off starts from 1 s (at least half of it, jittered), not
    // from the transport-failure base of a few milliseconds.
    s.platform
        .inject(Operation::TransactionGet, Fault::TooManyRequests(None));
    let started = std::time::Instant::now();
    client.call(&TransactionGet::new(&uuid)).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );

    // A Retry-After past the call's deadline: given up at once, not waited for.
    s.platform
        .inject(Operation::TransactionGet, Fault::TooManyRequests(Some(60)));
    let started = std::time::Instant::now();
    let e = client.call(&TransactionGet::new(&uuid)).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.code(), "api_http_status");

    // A refund answered 429 was refused before being processed: not "outcome unknown",
    // and not sent again.
    s.platform
        .inject(Operation::CancelOrRefund, Fault::TooManyRequests(Some(1)));
    let refund = CancelOrRefund::new(&uuid, 100, "EUR", ResolutionMode::RefundOnly);
    let (result, report) = client.call_with_report(&refund).await;
    let e = result.unwrap_err();
    assert!(
        matches!(e, ApiError::Transport(t) if t.http_status() == Some(429) && !t.maybe_delivered())
    );
    assert_eq!(report.attempts, 1);
    assert_eq!(s.platform.count(Operation::CancelOrRefund), 1);
    assert_eq!(
        s.platform
            .transactions()
            .iter()
            .filter(|t| t.operation_type == "CREDIT")
            .count(),
        0
    );
}
