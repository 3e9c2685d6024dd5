//! Features `client`, `testing`, `axum`, `tracing`: one `tracing` event per API call
//! (operation, attempts, status, code, duration) and no credential, formToken or Basic
//! header in any event, error or `Debug`. Alone in its test binary: `tracing`'s callsite
//! interest is process-wide, and a test calling the API at the same moment without a
//! subscriber would race the one that listens.
#![cfg(all(
    feature = "client",
    feature = "testing",
    feature = "axum",
    feature = "tracing"
))]

use std::sync::{Arc, Mutex};
use std::time::Duration;
use vads::api::{
    CancelOrRefund, Client, ClientConfig, CreatePayment, Operation, ReqwestTransport,
    ResolutionMode, SdkTest, TransactionGet,
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

fn fast() -> ClientConfig {
    let mut config = ClientConfig::default();
    config.backoff_base = Duration::from_millis(5);
    config.attempt_timeout = Duration::from_millis(800);
    config
}

struct Setup {
    platform: Arc<Platform>,
    client: Client<ReqwestTransport>,
    url: String,
}

async fn setup() -> Setup {
    let platform = Arc::new(Platform::new(SITE).accept_password(Mode::Test, PASSWORD));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let p = platform.clone();
    tokio::spawn(async move { axum::serve(listener, router(p)).await.unwrap() });
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

/// Events of the `vads::api` target, as `name=value` lines.
#[derive(Default, Clone)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line<'a>(&'a mut String);
impl tracing::field::Visit for Line<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!("{} ", event.metadata().target());
        event.record(&mut Line(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn one_event_per_call_and_no_credential_anywhere() {
    let capture = Capture::default();
    let mut outputs: Vec<String> = Vec::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(capture.clone(), || {
        runtime.block_on(async {
            let s = setup().await;
            let paid = captured(&s.platform, TransStatus::Captured);
            outputs.push(format!("{:?}", s.client));
            outputs.push(format!("{:?}", s.client.credentials()));
            outputs.push(format!(
                "{:?}",
                s.client.credentials().request(&SdkTest::new("x")).unwrap()
            ));
            let form = s
                .client
                .call(&CreatePayment::new(990, "EUR").order_id("T-1"))
                .await
                .unwrap();
            let token = form.form_token.as_str().to_owned();
            outputs.push(format!("{form:?}"));
            let wrong =
                Client::for_shop_with(&shop("testpassword_WrongOne12345", &s.url), fast()).unwrap();
            let e = wrong.call(&SdkTest::new("x")).await.unwrap_err();
            outputs.push(format!("{e} {e:?}"));
            s.platform
                .inject(Operation::CancelOrRefund, Fault::DropAfterApply);
            let e = s
                .client
                .call(&CancelOrRefund::new(
                    &paid,
                    100,
                    "EUR",
                    ResolutionMode::RefundOnly,
                ))
                .await
                .unwrap_err();
            outputs.push(format!("{e} {e:?}"));
            let e = s
                .client
                .call(&TransactionGet::new("nope"))
                .await
                .unwrap_err();
            outputs.push(format!("{e} {e:?}"));
            outputs.push(format!("{:?}", s.platform));
            // The token is a secret too: never in an event.
            outputs.push(token.clone());
        });
    });
    let token = outputs.pop().unwrap();
    let events = capture.0.lock().unwrap().clone();
    let api: Vec<&String> = events
        .iter()
        .filter(|e| e.starts_with("vads::api "))
        .collect();
    assert_eq!(api.len(), 4, "{events:#?}");
    assert!(
        api[0].contains("operation=\"Charge/CreatePayment\"")
            && api[0].contains("attempts=1")
            && api[0].contains("status=200"),
        "{}",
        api[0]
    );
    assert!(
        api[1].contains("code=\"INT_905\"") && api[1].contains("status=401"),
        "{}",
        api[1]
    );
    assert!(api[2].contains("code=\"outcome_unknown\""), "{}", api[2]);
    assert!(
        api[3].contains("code=\"invalid_request\"") && api[3].contains("attempts=0"),
        "{}",
        api[3]
    );
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SITE}:{PASSWORD}"));
    for text in events.iter().chain(outputs.iter()) {
        for secret in [
            PASSWORD,
            "ApiTestSecret",
            &basic,
            &basic[..20],
            "WrongOne",
            token.as_str(),
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
