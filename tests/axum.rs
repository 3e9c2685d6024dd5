//! Feature `axum`: the extractors verify both formats for several shops, refuse what
//! must be refused with the answer `vads::answer` gives (before the handler runs), read
//! no more than `MAX_BODY_LEN`, and `Answer` is a response.
#![cfg(all(
    feature = "axum",
    feature = "testing",
    feature = "rest",
    feature = "toml"
))]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tower::ServiceExt;
use vads::answer::{answer, Answer, Handled};
use vads::axum::{BrowserReturn, Ipn};
use vads::testing::{NotificationBuilder, RestAnswerBuilder};
use vads::{
    Algorithm, AnyNotification, Key, Mode, SecretString, Shop, ShopConfig, Shops, ShopsConfig,
};

static HANDLED: AtomicUsize = AtomicUsize::new(0);

async fn notify(Ipn(verified): Ipn) -> Answer {
    HANDLED.fetch_add(1, Ordering::SeqCst);
    let n = verified.notification();
    assert!(!n.events().unwrap().is_empty());
    answer(&Handled::Recorded)
}

async fn back(BrowserReturn(verified): BrowserReturn) -> String {
    format!(
        "{} {}",
        verified.shop(),
        verified.notification().format().as_str()
    )
}

fn shop_config(site: &str, key: &str) -> ShopConfig {
    let mut c = ShopConfig::new(site, Mode::Test);
    c.test_key = Some(SecretString::new(key.into()));
    c.test_password = Some(SecretString::new(format!("testpassword_{key}")));
    c.test_hmac_key = Some(SecretString::new(format!("hmac{key}")));
    c
}

/// Two shops ("web" 12345678, "phone" 87654321) and the shops themselves, to sign with.
fn shops() -> (Arc<Shops>, Shop, Shop) {
    let toml = |site: &str, key: &str| {
        format!(
            "site_id = \"{site}\"\nctx_mode = \"TEST\"\ntest_key = \"{key}\"\n\
             test_password = \"testpassword_{key}\"\ntest_hmac_key = \"hmac{key}\"\n"
        )
    };
    let text = format!(
        "[shops.web]\n{}\n[shops.phone]\n{}",
        toml("12345678", "WebKey12345"),
        toml("87654321", "PhoneKey678")
    );
    let config = ShopsConfig::from_toml_str(&text).unwrap();
    (
        Arc::new(Shops::new(config).unwrap()),
        Shop::new(shop_config("12345678", "WebKey12345")).unwrap(),
        Shop::new(shop_config("87654321", "PhoneKey678")).unwrap(),
    )
}

fn app(shops: Arc<Shops>) -> Router {
    Router::new()
        .route("/notify", post(notify))
        .route("/return", get(back).post(back))
        .with_state(shops)
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn post_body(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn both_formats_for_several_shops() {
    let (shops, web, phone) = shops();
    let app = app(shops);
    let before = HANDLED.load(Ordering::SeqCst);
    for body in [
        NotificationBuilder::new(&web).body().unwrap(),
        NotificationBuilder::new(&phone).body().unwrap(),
        RestAnswerBuilder::new(&phone).body().unwrap(),
    ] {
        let (status, text) = send(&app, post_body("/notify", body)).await;
        assert_eq!((status, text.as_str()), (StatusCode::OK, "OK"));
    }
    assert_eq!(HANDLED.load(Ordering::SeqCst) - before, 3);
}

#[tokio::test]
async fn refusals_are_answered_before_the_handler() {
    let (shops, web, _) = shops();
    let app = app(shops);
    let forged = NotificationBuilder::new(&web)
        .body_signed_with(&"NotTheKey".parse::<Key>().unwrap(), Algorithm::HmacSha256)
        .unwrap();
    let other_site = NotificationBuilder::new(&web)
        .field("vads_site_id", "11112222")
        .body()
        .unwrap();
    let before = HANDLED.load(Ordering::SeqCst);
    for body in [
        forged,
        other_site,
        "vads_amount=1&vads_amount=2".to_owned(),
        String::new(),
    ] {
        let (status, text) = send(&app, post_body("/notify", body)).await;
        // 400, and a body that says nothing of why.
        assert_eq!(
            (status, text.as_str()),
            (StatusCode::BAD_REQUEST, "rejected")
        );
    }
    assert_eq!(HANDLED.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn no_more_than_the_library_limit_is_read() {
    let (shops, _, _) = shops();
    let app = app(shops);
    // Refused by its Content-Length, before a byte is read: a body that never ends.
    let endless = Body::from_stream(futures_endless());
    let req = Request::post("/notify")
        .header("content-length", (vads::MAX_BODY_LEN + 1).to_string())
        .body(endless)
        .unwrap();
    let (status, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without a Content-Length: refused as soon as it passes the limit.
    let big = vec![b'a'; vads::MAX_BODY_LEN + 10];
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    let req = Request::post("/notify")
        .body(Body::from_stream(tokio_stream(chunks)))
        .unwrap();
    let (status, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn browser_returns_by_get_or_post() {
    let (shops, web, phone) = shops();
    let app = app(shops);
    let query = NotificationBuilder::new(&web)
        .browser_return()
        .body()
        .unwrap();
    let (status, text) = send(
        &app,
        Request::get(format!("/return?{query}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "web form"));
    let rest = RestAnswerBuilder::new(&phone)
        .endpoint(vads::Endpoint::Return)
        .body()
        .unwrap();
    let (status, text) = send(&app, post_body("/return", rest)).await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "phone rest"));
    // An IPN's REST body at the return URL is signed with the other key: refused.
    let ipn = RestAnswerBuilder::new(&phone).body().unwrap();
    let (status, _) = send(&app, post_body("/return", ipn)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn answers_are_responses() {
    use axum::response::IntoResponse;
    for (handled, status) in [
        (Handled::Recorded, 200),
        (Handled::Duplicate, 200),
        (Handled::StorageFailed, 503),
        (Handled::Rejected(vads::VerifyError::BadSignature), 400),
    ] {
        assert_eq!(answer(&handled).into_response().status().as_u16(), status);
    }
    // The owned notification keeps what the borrowed one had.
    let (shops, web, _) = shops();
    let body = NotificationBuilder::new(&web)
        .order_id("A-7")
        .body()
        .unwrap();
    let v =
        vads::axum::VerifiedNotification::verify(&shops, body.into(), vads::Endpoint::Ipn).unwrap();
    match v.notification() {
        AnyNotification::Form(n) => assert_eq!(n.order_id().as_deref(), Some("A-7")),
        AnyNotification::Rest(_) => panic!("a vads_* body"),
    }
}

/// A stream of 1 KiB chunks that never ends.
fn futures_endless() -> impl futures_core_stream::Stream {
    futures_core_stream::Endless
}

fn tokio_stream(chunks: Vec<Result<Vec<u8>, std::io::Error>>) -> impl futures_core_stream::Stream {
    futures_core_stream::Chunks(chunks.into_iter())
}

/// Minimal streams for `Body::from_stream` (no futures dependency).
mod futures_core_stream {
    pub use axum::body::Bytes;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub trait Stream:
        futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static
    {
    }
    impl<T: futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static> Stream for T {}

    pub struct Endless;
    impl futures_core::Stream for Endless {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(Some(Ok(Bytes::from(vec![b'a'; 1024]))))
        }
    }

    pub struct Chunks(pub std::vec::IntoIter<Result<Vec<u8>, std::io::Error>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.0.next().map(|r| r.map(Bytes::from)))
        }
    }
}

/// Under plain `axum::serve` (no timeout of any kind), a request that declares a body
/// longer than MAX_BODY_LEN and holds it back is answered 413 at once by the extractors,
/// and by `refuse_declared_too_large` on any other route: nothing waits for the body.
#[tokio::test(flavor = "multi_thread")]
async fn a_declared_oversized_body_is_answered_at_once_under_plain_axum_serve() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (shops, _, _) = shops();
    let app = app(shops).route(
        "/other",
        post(|body: axum::body::Bytes| async move { body.len().to_string() }).layer(
            axum::middleware::from_fn(vads::axum::refuse_declared_too_large),
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    for (path, declared, want) in [
        ("/notify", 100_000, "413"),
        ("/return", 100_000, "413"),
        ("/other", 100_000, "413"),
        ("/notify", vads::MAX_BODY_LEN + 1, "413"),
    ] {
        let started = Instant::now();
        let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n\r\n");
        c.write_all(head.as_bytes()).await.unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(1), c.read(&mut buf))
            .await
            .expect("answered within a second")
            .unwrap();
        let line = String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            line.starts_with(&format!("HTTP/1.1 {want}")),
            "{path}: {line}"
        );
        assert!(started.elapsed() < Duration::from_secs(1), "{path}");
    }
}
