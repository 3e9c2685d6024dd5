//! `vads api OP` and `vads preflight --online` against the library's platform simulator,
//! served here on 127.0.0.1: the answer printed as one JSON object; a refusal is
//! `vads: CODE: sentence` with exit 1; `outcome_unknown` exits 3, the refund sent once;
//! no password in any output.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use vads::api::Operation;
use vads::testing::platform::{router, Fault, NewPayment, Platform};
use vads::{Mode, TransStatus};

const SITE: &str = "69876357";
const TEST_PASSWORD: &str = "testpassword_CliApiKq5k4j3h2g1f";
const PROD_PASSWORD: &str = "prodpassword_CliApiProd9z8y7x6w5v";

/// The simulator on its own runtime and port.
fn serve() -> (Arc<Platform>, String) {
    let platform = Arc::new(
        Platform::new(SITE)
            .accept_password(Mode::Test, TEST_PASSWORD)
            .accept_password(Mode::Production, PROD_PASSWORD),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let p = platform.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router(p)).await.unwrap();
        });
    });
    (platform, url)
}

fn dir() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("vads-cli-api-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn secret_file(dir: &std::path::Path, name: &str, value: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, value).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p.display().to_string()
}

/// A TEST config ready for go-live offline: both REST passwords in files, the API host
/// the simulator's.
fn config(url: &str, test_password: &str) -> PathBuf {
    let d = dir();
    let test = secret_file(&d, "test.password", test_password);
    let prod = secret_file(&d, "prod.password", PROD_PASSWORD);
    let p = d.join("shop.toml");
    std::fs::write(
        &p,
        format!(
            "site_id = \"{SITE}\"\nctx_mode = \"TEST\"\nbrand = \"payzen\"\napi_url = \"{url}\"\n\
             test_password_file = \"{test}\"\nproduction_password_file = \"{prod}\"\n\
             notification_url = \"https://shop.example.fr/payment/notify\"\n"
        ),
    )
    .unwrap();
    p
}

fn vads(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vads"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn assert_no_password(o: &Output) {
    let (out, err) = text(o);
    for secret in [TEST_PASSWORD, PROD_PASSWORD, "CliApi", "Q2xpQXBp"] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret}: {out} {err}"
        );
    }
}

fn json(o: &Output) -> serde_json::Value {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "{out} {err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn every_operation_prints_its_answer_as_one_json_object() {
    let (platform, url) = serve();
    let cfg = config(&url, TEST_PASSWORD);
    let cfg = cfg.to_str().unwrap();

    let o = vads(&["api", "sdk-test", "--config", cfg, "--value", "hello"]);
    assert_eq!(json(&o)["value"], "hello");
    assert_no_password(&o);

    let o = vads(&[
        "api",
        "create-payment",
        "--config",
        cfg,
        "--amount",
        "1250",
        "--currency",
        "EUR",
        "--order-id",
        "CLI-1",
    ]);
    let token = json(&o)["formToken"].as_str().unwrap().to_owned();
    assert!(platform.pay(&token, TransStatus::Captured).is_some());

    let o = vads(&["api", "order-get", "--config", cfg, "--order-id", "CLI-1"]);
    let order = json(&o);
    let uuid = order["transactions"][0]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(order["transactions"][0]["amount"], 1250);

    let o = vads(&["api", "transaction-get", "--config", cfg, "--uuid", &uuid]);
    assert_eq!(json(&o)["detailedStatus"], "CAPTURED");

    // Refund without a currency: the transaction is read first, the refund sent once.
    let o = vads(&[
        "api", "refund", "--config", cfg, "--uuid", &uuid, "--amount", "250",
    ]);
    let credit = json(&o);
    assert_eq!(
        (credit["operationType"].as_str(), credit["amount"].as_u64()),
        (Some("CREDIT"), Some(250))
    );
    assert_eq!(platform.count(Operation::CancelOrRefund), 1);

    let authorised = platform.add_payment(NewPayment::new(
        "CLI-2",
        900,
        "EUR",
        TransStatus::Authorised,
    ));
    let o = vads(&[
        "api",
        "update",
        "--config",
        cfg,
        "--uuid",
        &authorised,
        "--amount",
        "800",
        "--currency",
        "EUR",
    ]);
    assert_eq!(json(&o)["amount"], 800);
    let o = vads(&["api", "cancel", "--config", cfg, "--uuid", &authorised]);
    assert_eq!(json(&o)["detailedStatus"], "CANCELLED");
    let to_validate = platform.add_payment(NewPayment::new(
        "CLI-3",
        900,
        "EUR",
        TransStatus::AuthorisedToValidate,
    ));
    let o = vads(&["api", "validate", "--config", cfg, "--uuid", &to_validate]);
    assert_eq!(json(&o)["detailedStatus"], "AUTHORISED");

    // A refusal: the platform's code, exit 1.
    let o = vads(&["api", "cancel", "--config", cfg, "--uuid", &authorised]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.is_empty());
    assert!(err.starts_with("vads: PSP_105: "), "{err}");
    // Checked before sending.
    let o = vads(&["api", "transaction-get", "--config", cfg, "--uuid", "XYZ"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o)
            .1
            .starts_with("vads: invalid_request: uuid must be"),
        "{:?}",
        text(&o)
    );
}

#[test]
fn a_lost_refund_answer_exits_3_and_is_sent_once() {
    let (platform, url) = serve();
    let cfg = config(&url, TEST_PASSWORD);
    let uuid = platform.add_payment(NewPayment::new(
        "LOST-1",
        5000,
        "EUR",
        TransStatus::Captured,
    ));
    platform.inject(Operation::CancelOrRefund, Fault::DropAfterApply);
    let o = vads(&[
        "api",
        "refund",
        "--config",
        cfg.to_str().unwrap(),
        "--uuid",
        &uuid,
        "--amount",
        "1000",
        "--currency",
        "EUR",
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.starts_with("vads: outcome_unknown: Transaction/CancelOrRefund on transaction "),
        "{err}"
    );
    assert!(err.contains("read the transaction"), "{err}");
    assert_eq!(err.lines().count(), 1);
    assert_eq!(platform.count(Operation::CancelOrRefund), 1);
    let credits = platform
        .transactions()
        .into_iter()
        .filter(|t| t.operation_type == "CREDIT")
        .count();
    assert_eq!(credits, 1);
    assert_no_password(&o);
}

#[test]
fn preflight_online_checks_the_credentials_and_never_prints_them() {
    let (platform, url) = serve();
    let good = config(&url, TEST_PASSWORD);
    let o = vads(&["preflight", "--config", good.to_str().unwrap(), "--online"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out} {err}");
    assert!(out.contains("ready to go live"), "{out}");
    assert_eq!(platform.count(Operation::SdkTest), 1);
    // Without --online, nothing is sent.
    let o = vads(&["preflight", "--config", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(platform.count(Operation::SdkTest), 1);

    let wrong = config(&url, "testpassword_NotTheRightOne4242");
    let o = vads(&["preflight", "--config", wrong.to_str().unwrap(), "--online"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.contains("error: [default] api_credentials_refused: the platform refused the shop id or the test REST password (INT_905)"), "{out}");
    assert!(!out.contains("NotTheRightOne"));
    assert_no_password(&o);
    let o = vads(&[
        "preflight",
        "--config",
        wrong.to_str().unwrap(),
        "--online",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ready"], false);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "api_credentials_refused"));

    // An unreachable host.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let o = vads(&[
        "preflight",
        "--config",
        config(&closed, TEST_PASSWORD).to_str().unwrap(),
        "--online",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o)
            .0
            .contains("error: [default] api_unreachable: the REST API host http://127.0.0.1:"),
        "{:?}",
        text(&o)
    );
}

/// Answers one request as an HTTP proxy would see it: the request line and headers are
/// sent back through the channel; the answer is an SDKTest envelope.
fn proxy() -> (String, std::sync::mpsc::Receiver<(String, Vec<String>)>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut headers = Vec::new();
        let mut len = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            headers.push(line);
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let answer = r#"{"webService":"Charge/SDKTest","status":"SUCCESS","answer":{"value":"via proxy","_type":"V4/Type/String"},"_type":"V4/WebService/Response"}"#;
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
        tx.send((request_line.trim_end().to_owned(), headers))
            .unwrap();
    });
    (url, rx)
}

#[test]
fn the_proxy_of_the_environment_is_used_and_the_user_agent_is_vads() {
    let (proxy_url, seen) = proxy();
    // Nothing listens at the API host: only the proxy can answer.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let cfg = config(&api, TEST_PASSWORD);
    let o = Command::new(env!("CARGO_BIN_EXE_vads"))
        .args(["api", "sdk-test", "--config", cfg.to_str().unwrap()])
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert_eq!(json(&o)["value"], "via proxy");
    let (line, headers) = seen.recv().unwrap();
    // An absolute URI: the request went to the proxy, for the API host.
    assert_eq!(
        line,
        format!("POST {api}/api-payment/V4/Charge/SDKTest HTTP/1.1")
    );
    let header = |name: &str| {
        headers
            .iter()
            .find(|h| h.to_ascii_lowercase().starts_with(&format!("{name}:")))
            .map(|h| h.split_once(':').unwrap().1.trim().to_owned())
    };
    assert_eq!(
        header("user-agent").as_deref(),
        Some(concat!("vads/", env!("CARGO_PKG_VERSION")))
    );
    assert!(header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
}

#[test]
fn refund_cancel_validate_move_money_once_and_print_the_order() {
    let (platform, url) = serve();
    let cfg = config(&url, TEST_PASSWORD);
    let cfg = cfg.to_str().unwrap();
    platform.add_payment(NewPayment::new("M-1", 3000, "EUR", TransStatus::Captured));
    platform.inject(Operation::CancelOrRefund, Fault::DropAfterApply);
    let o = vads(&[
        "refund",
        "--config",
        cfg,
        "--order-id",
        "M-1",
        "--total",
        "1000",
    ]);
    let state = json(&o);
    assert_eq!(
        (state["outcome"].as_str(), state["refunded"].as_u64()),
        (Some("partially_refunded"), Some(1000))
    );
    let (_, err) = text(&o);
    assert!(
        err.contains("sent: Transaction/CancelOrRefund on transaction ")
            && err.contains("answer lost"),
        "{err}"
    );
    // Twice: nothing sent, the same state.
    let o = vads(&[
        "refund",
        "--config",
        cfg,
        "--order-id",
        "M-1",
        "--total",
        "1000",
    ]);
    assert_eq!(json(&o), state);
    assert!(text(&o).1.is_empty());
    assert_eq!(platform.count(Operation::CancelOrRefund), 1);
    // "--amount 500" given that 0 is refunded: refused, 1000 is.
    let o = vads(&[
        "refund",
        "--config",
        cfg,
        "--order-id",
        "M-1",
        "--amount",
        "500",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o)
            .1
            .starts_with("vads: refunded_changed: 1000 is refunded, not 0"),
        "{:?}",
        text(&o)
    );
    // The rest.
    let o = vads(&["refund", "--config", cfg, "--order-id", "M-1"]);
    assert_eq!(json(&o)["outcome"], "refunded");
    assert_eq!(platform.count(Operation::CancelOrRefund), 2);

    platform.add_payment(NewPayment::new("M-2", 900, "EUR", TransStatus::Authorised));
    for _ in 0..2 {
        let o = vads(&["cancel", "--config", cfg, "--order-id", "M-2"]);
        assert_eq!(json(&o)["outcome"], "cancelled");
    }
    assert_eq!(platform.count(Operation::Cancel), 1);
    platform.add_payment(NewPayment::new(
        "M-3",
        900,
        "EUR",
        TransStatus::AuthorisedToValidate,
    ));
    for _ in 0..2 {
        let o = vads(&["validate", "--config", cfg, "--order-id", "M-3"]);
        assert_eq!(json(&o)["outcome"], "paid");
    }
    assert_eq!(platform.count(Operation::Validate), 1);

    // An answer lost and not visible when read again: exit 3, nothing sent again.
    platform.add_payment(NewPayment::new("M-4", 900, "EUR", TransStatus::Captured));
    platform.inject(Operation::CancelOrRefund, Fault::ServerError);
    let o = vads(&["refund", "--config", cfg, "--order-id", "M-4"]);
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    assert!(
        text(&o).1.starts_with("vads: outcome_unknown: "),
        "{:?}",
        text(&o)
    );
    assert_eq!(platform.count(Operation::CancelOrRefund), 3);
    assert_no_password(&o);
}

#[test]
fn reconcile_fetch_merges_the_platforms_view() {
    let (platform, url) = serve();
    let cfg = config(&url, TEST_PASSWORD);
    let cfg_s = cfg.to_str().unwrap();
    // An order no notification reached the shop for.
    platform.add_payment(NewPayment::new("F-1", 1250, "EUR", TransStatus::Captured));
    let o = vads(&[
        "reconcile",
        "--config",
        cfg_s,
        "--fetch",
        "--order-id",
        "F-1",
    ]);
    let state = json(&o);
    assert_eq!(
        (
            state["order_id"].as_str(),
            state["outcome"].as_str(),
            state["paid"].as_u64()
        ),
        (Some("F-1"), Some("paid"), Some(1250))
    );

    // A log with the payment's IPN; the platform has refunded it since.
    let uuid = platform.add_payment(NewPayment::new("F-2", 2000, "EUR", TransStatus::Captured));
    let mut c = vads::ShopConfig::new(SITE, Mode::Test);
    c.test_password = Some(vads::SecretString::new(TEST_PASSWORD.into()));
    let shop = vads::Shop::new(c).unwrap();
    let ipn = vads::testing::RestAnswerBuilder::new(&shop)
        .order_id("F-2")
        .amount(2000)
        .uuid(&uuid)
        .status(TransStatus::Captured)
        .operation_type(vads::OperationType::Debit)
        .body()
        .unwrap();
    let log = cfg.parent().unwrap().join("ipn.log");
    std::fs::write(&log, format!("{ipn}\n")).unwrap();
    let without = vads(&["reconcile", "--config", cfg_s, log.to_str().unwrap()]);
    assert_eq!(json(&without)["outcome"], "paid");
    let o = vads(&[
        "refund",
        "--config",
        cfg_s,
        "--order-id",
        "F-2",
        "--total",
        "500",
    ]);
    assert_eq!(json(&o)["refunded"], 500);
    let o = vads(&[
        "reconcile",
        "--config",
        cfg_s,
        "--fetch",
        log.to_str().unwrap(),
    ]);
    let fetched = json(&o);
    assert_eq!(
        (
            fetched["outcome"].as_str(),
            fetched["paid"].as_u64(),
            fetched["refunded"].as_u64()
        ),
        (Some("partially_refunded"), Some(2000), Some(500))
    );
    // The same state the refund printed.
    assert_eq!(
        fetched,
        json(&vads(&[
            "refund",
            "--config",
            cfg_s,
            "--order-id",
            "F-2",
            "--total",
            "500"
        ]))
    );
    // An order the platform cannot be asked for: reported, exit 1.
    let o = vads(&[
        "reconcile",
        "--config",
        cfg_s,
        "--fetch",
        "--order-id",
        "F-1",
        "--order-id",
        "bad\u{1}id",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("vads: invalid_request: order "),
        "{:?}",
        text(&o)
    );
}

#[test]
fn rehearse_asks_the_platform_whether_the_shop_was_notified() {
    let (platform, url) = serve();
    let cfg = config(&url, TEST_PASSWORD);
    let cfg_s = cfg.to_str().unwrap();
    let uuid = platform.add_payment(NewPayment::new("G-1", 1250, "EUR", TransStatus::Captured));
    let mut c = vads::ShopConfig::new(SITE, Mode::Test);
    c.test_password = Some(vads::SecretString::new(TEST_PASSWORD.into()));
    let shop = vads::Shop::new(c).unwrap();
    let ipn = vads::testing::RestAnswerBuilder::new(&shop)
        .order_id("G-1")
        .amount(1250)
        .uuid(&uuid)
        .status(TransStatus::Captured)
        .operation_type(vads::OperationType::Debit)
        .body()
        .unwrap();
    let log = cfg.parent().unwrap().join("shop.log");
    std::fs::write(&log, format!("{ipn}\n")).unwrap();
    let o = vads(&[
        "rehearse",
        "--config",
        cfg_s,
        "--order-id",
        "G-1",
        "--log",
        log.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out} {err}");
    assert!(
        out.contains(&format!("transaction {uuid} DEBIT CAPTURED 1250: notified")),
        "{out}"
    );
    // A log without it: the notification did not arrive.
    std::fs::write(&log, "\n").unwrap();
    let o = vads(&[
        "rehearse",
        "--config",
        cfg_s,
        "--order-id",
        "G-1",
        "--log",
        log.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.contains("NOT in the shop's log"), "{out}");
    assert!(
        err.starts_with("vads: notification_missing: 1 transaction(s) of order G-1"),
        "{err}"
    );
    // An order the platform does not have.
    let o = vads(&["rehearse", "--config", cfg_s, "--order-id", "NOPE-1"]);
    assert!(
        text(&o).1.starts_with("vads: order_unknown: "),
        "{:?}",
        text(&o)
    );
    // Neither --url nor --order-id: a usage error.
    let o = vads(&["rehearse", "--config", cfg_s]);
    assert_eq!(o.status.code(), Some(2));
}
