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
    serve_slow(std::time::Duration::ZERO)
}

/// The simulator, every answer `latency` late (a distant platform: the window in which
/// two callers that do not serialise both read "nothing refunded").
fn serve_slow(latency: std::time::Duration) -> (Arc<Platform>, String) {
    let platform = Arc::new(
        Platform::new(SITE)
            .accept_password(Mode::Test, TEST_PASSWORD)
            .accept_password(Mode::Production, PROD_PASSWORD)
            .latency(latency),
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

/// This test process's state directory (the order lock files): never the user's.
fn state_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("vads-cli-state-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vads"));
    c.args(args).env("XDG_STATE_HOME", state_dir());
    c
}

fn vads(args: &[&str]) -> Output {
    command(args).output().unwrap()
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
    // What was checked online, said when it passed.
    assert!(
        out.contains(&format!(
            "online: [default] Charge/SDKTest with the TEST REST password at {url}: accepted"
        )),
        "{out}"
    );
    assert_eq!(platform.count(Operation::SdkTest), 1);
    // Without --online, nothing is sent, and no online line.
    let o = vads(&["preflight", "--config", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!text(&o).0.contains("online:"));
    assert_eq!(platform.count(Operation::SdkTest), 1);
    let o = vads(&[
        "preflight",
        "--config",
        good.to_str().unwrap(),
        "--online",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["checked_online"][0]["result"], "accepted", "{v}");
    assert_eq!(v["checked_online"][0]["mode"], "TEST");

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

/// `n` `vads` processes started together with the same arguments; their outputs.
fn at_once(n: usize, args: &[&str]) -> Vec<Output> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            command(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn credits(p: &Platform, order: &str) -> Vec<u64> {
    p.transactions()
        .into_iter()
        .filter(|t| t.operation_type == "CREDIT" && t.order_id.as_deref() == Some(order))
        .map(|t| t.amount)
        .collect()
}

/// The same race, given a config: two `vads refund --total 300` at once in each of 10
/// rounds refund 300 once, both exit 0; two `--amount 300 --refunded-now 0` at once: one
/// refunds, the other is refused (exit 1, refunded_changed).
fn two_processes_refund_once(platform: &Platform, cfg: &str, prefix: &str) {
    for round in 0..10 {
        let order = format!("{prefix}-{round}");
        platform.add_payment(NewPayment::new(&order, 3000, "EUR", TransStatus::Captured));
        let outs = at_once(
            2,
            &[
                "refund",
                "--config",
                cfg,
                "--order-id",
                &order,
                "--total",
                "300",
            ],
        );
        for o in &outs {
            assert_eq!(json(o)["refunded"], 300, "round {round}: {:?}", text(o));
            assert_no_password(o);
        }
        let sent = outs.iter().filter(|o| !text(o).1.is_empty()).count();
        assert_eq!(sent, 1, "round {round}: one sent line in all");
        assert_eq!(credits(platform, &order), [300], "round {round}");

        let outs = at_once(
            2,
            &[
                "refund",
                "--config",
                cfg,
                "--order-id",
                &order,
                "--amount",
                "300",
                "--refunded-now",
                "300",
            ],
        );
        let mut codes: Vec<Option<i32>> = outs.iter().map(|o| o.status.code()).collect();
        codes.sort_unstable();
        assert_eq!(codes, [Some(0), Some(1)], "round {round}");
        let refused = outs.iter().find(|o| o.status.code() == Some(1)).unwrap();
        assert!(
            text(refused)
                .1
                .starts_with("vads: refunded_changed: 600 is refunded, not 300"),
            "{:?}",
            text(refused)
        );
        assert_eq!(credits(platform, &order), [300, 300], "round {round}");
    }
}

#[test]
fn two_processes_at_once_refund_an_order_once_in_every_round() {
    // No store in the config: a lock file per order, under the state directory.
    let (platform, url) = serve_slow(std::time::Duration::from_millis(60));
    let cfg = config(&url, TEST_PASSWORD);
    two_processes_refund_once(&platform, cfg.to_str().unwrap(), "R");

    // Two validations and two cancellations at once: both exit 0, applied once.
    platform.add_payment(NewPayment::new(
        "RV-1",
        900,
        "EUR",
        TransStatus::AuthorisedToValidate,
    ));
    let cfg = cfg.to_str().unwrap();
    for o in at_once(2, &["validate", "--config", cfg, "--order-id", "RV-1"]) {
        assert_eq!(json(&o)["outcome"], "paid", "{:?}", text(&o));
    }
    assert_eq!(platform.count(Operation::Validate), 1);
    platform.add_payment(NewPayment::new("RC-1", 900, "EUR", TransStatus::Authorised));
    for o in at_once(2, &["cancel", "--config", cfg, "--order-id", "RC-1"]) {
        assert_eq!(json(&o)["outcome"], "cancelled", "{:?}", text(&o));
    }
    assert_eq!(platform.count(Operation::Cancel), 1);
}

/// The PostgreSQL of `VADS_TEST_DATABASE_URL`; without it, the test `name` says it was
/// skipped (in CI, a missing database fails the run).
fn postgres_url(name: &str) -> Option<String> {
    match std::env::var("VADS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("VADS_TEST_DATABASE_URL is not set, and CI must run the PostgreSQL tests")
        }
        _ => {
            // Straight to the terminal, past the test's output capture: said even on "ok".
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("{name}: SKIPPED (not run): set VADS_TEST_DATABASE_URL=postgres://user:password@127.0.0.1/db to run it\n").as_bytes(),
            );
            None
        }
    }
}

/// A config whose orders and locks are in the store at `store_url`.
fn config_with_store(url: &str, store_url: &str) -> PathBuf {
    let p = config(url, TEST_PASSWORD);
    append(&p, &format!("store_url = \"{store_url}\"\n"));
    p
}

/// Appends `text` to the config at `p` (a setting, or a table after every setting).
fn append(p: &std::path::Path, text: &str) {
    let mut config = std::fs::read_to_string(p).unwrap();
    config.push_str(text);
    std::fs::write(p, config).unwrap();
}

#[test]
fn two_processes_sharing_a_postgres_store_refund_an_order_once_in_every_round() {
    let Some(url) = postgres_url("two_processes_sharing_a_postgres_store_refund...") else {
        return;
    };
    let (platform, api) = serve_slow(std::time::Duration::from_millis(60));
    let cfg = config_with_store(&api, &url);
    // Each process is an instance of its own: its own pool, the locks in the database.
    two_processes_refund_once(
        &platform,
        cfg.to_str().unwrap(),
        &format!("PG{}", std::process::id()),
    );
}

#[test]
fn a_store_that_cannot_be_reached_is_said_without_its_password() {
    let (platform, api) = serve();
    platform.add_payment(NewPayment::new("U-1", 3000, "EUR", TransStatus::Captured));
    let cfg = config_with_store(&api, "postgres://shop:Db5ecretPw@127.0.0.1:1/orders");
    let o = vads(&[
        "refund",
        "--config",
        cfg.to_str().unwrap(),
        "--order-id",
        "U-1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let (out, err) = text(&o);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "vads: store_unavailable: the database cannot be reached (store_url postgres://shop:***@127.0.0.1:1/orders)\n"
    );
    assert!(!err.contains("Db5ecretPw"));
    // Nothing was read or sent: the lock comes first.
    assert_eq!(platform.calls().len(), 0);
}

#[test]
fn a_busy_order_is_refused_at_once_with_busy_and_nothing_is_sent() {
    let (platform, url) = serve_slow(std::time::Duration::from_millis(700));
    let cfg = config(&url, TEST_PASSWORD);
    let cfg = cfg.to_str().unwrap();
    platform.add_payment(NewPayment::new(
        "BUSY-1",
        3000,
        "EUR",
        TransStatus::Captured,
    ));
    let first = command(&[
        "refund",
        "--config",
        cfg,
        "--order-id",
        "BUSY-1",
        "--total",
        "300",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    while platform.count(Operation::OrderGet) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let o = vads(&[
        "refund",
        "--config",
        cfg,
        "--order-id",
        "BUSY-1",
        "--total",
        "300",
        "--lock-wait",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let (out, err) = text(&o);
    assert!(out.is_empty());
    assert!(
        err.starts_with("vads: busy: another operation on this order is in flight"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(err.lines().count(), 1);
    let first = first.wait_with_output().unwrap();
    assert_eq!(json(&first)["refunded"], 300);
    assert_eq!(credits(&platform, "BUSY-1"), [300]);
}

#[cfg(unix)]
#[test]
fn a_holder_killed_mid_refund_gives_the_order_back_and_nothing_is_sent_twice() {
    use vads::testing::platform::Fault;
    let (platform, url) = serve();
    let store = dir().join("orders.db");
    let stored = config_with_store(&url, &format!("sqlite://{}?mode=rwc", store.display()));
    let files = config(&url, TEST_PASSWORD);
    // With the store's lock (a lease: back after it ends) and with a lock file (the
    // system gives it back when its process dies).
    for (cfg, order, lease_bound) in [(&stored, "KILL-S", true), (&files, "KILL-F", false)] {
        let cfg = cfg.to_str().unwrap();
        platform.add_payment(NewPayment::new(order, 3000, "EUR", TransStatus::Captured));
        // The refund is applied at once and answered 60 s later: the holder is killed
        // while it waits.
        platform.inject(
            Operation::CancelOrRefund,
            Fault::Delay(std::time::Duration::from_secs(60)),
        );
        let before = platform.count(Operation::CancelOrRefund);
        let mut holder = command(&[
            "refund",
            "--config",
            cfg,
            "--order-id",
            order,
            "--total",
            "300",
            "--lock-lease",
            "10",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
        while platform.count(Operation::CancelOrRefund) == before {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &holder.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let _ = holder.wait();
        let started = std::time::Instant::now();
        let o = vads(&[
            "refund",
            "--config",
            cfg,
            "--order-id",
            order,
            "--total",
            "300",
            "--lock-wait",
            "30",
        ]);
        let state = json(&o);
        assert_eq!(state["refunded"], 300, "{order}");
        assert!(
            text(&o).1.is_empty(),
            "{order}: nothing sent: {:?}",
            text(&o)
        );
        if lease_bound {
            assert!(
                started.elapsed() >= std::time::Duration::from_secs(5),
                "waited for the lease"
            );
        }
        assert_eq!(credits(&platform, order), [300], "{order}");
    }
}

#[test]
fn amounts_are_plain_digits() {
    let (_, url) = serve();
    let cfg = config(&url, TEST_PASSWORD);
    let cfg = cfg.to_str().unwrap();
    for bad in [
        "+5",
        " 5",
        "5e2",
        "5.00",
        "0x10",
        "",
        "1234567890123456789",
        "-5",
    ] {
        for option in ["--amount", "--total"] {
            let o = vads(&["refund", "--config", cfg, "--order-id", "A", option, bad]);
            assert_eq!(o.status.code(), Some(2), "{option} {bad:?}");
            let (out, err) = text(&o);
            assert!(out.is_empty());
            assert!(err.starts_with("vads: usage: "), "{err}");
            // "-5" reads as an option to the parser: refused all the same.
            assert!(err.contains("digits") || bad == "-5", "{err}");
        }
    }
}

/// A config whose merchant-initiated channel is live in TEST (and its orders' locks in
/// `store_url` when given).
fn charge_config(url: &str, store_url: Option<&str>) -> PathBuf {
    let p = match store_url {
        Some(s) => config_with_store(url, s),
        None => config(url, TEST_PASSWORD),
    };
    append(&p, "\n[channels]\nmerchant_initiated = \"TEST\"\n");
    p
}

fn charge_args<'a>(cfg: &'a str, order: &'a str, token: &'a str) -> Vec<&'a str> {
    vec![
        "charge",
        "--config",
        cfg,
        "--order-id",
        order,
        "--token",
        token,
        "--amount",
        "990",
        "--currency",
        "EUR",
        "--chaining-ref",
        "CHAIN0123456789",
    ]
}

fn debits(p: &Platform, order: &str) -> usize {
    p.transactions()
        .into_iter()
        .filter(|t| t.operation_type == "DEBIT" && t.order_id.as_deref() == Some(order))
        .count()
}

#[test]
fn a_charge_whose_answer_is_lost_is_read_back_and_a_second_call_charges_nothing() {
    let (platform, url) = serve();
    let cfg = charge_config(&url, None);
    let cfg = cfg.to_str().unwrap();
    let token = platform.add_token("jane@example.com");

    platform.inject(Operation::CreatePayment, Fault::DropAfterApply);
    let o = vads(&charge_args(cfg, "SUB-1-2027-01", &token));
    let state = json(&o);
    assert_eq!(
        (
            state["charge"].as_str(),
            state["sent"].as_bool(),
            state["outcome"].as_str(),
            state["paid"].as_u64()
        ),
        (Some("charged"), Some(true), Some("paid"), Some(990))
    );
    assert!(text(&o).1.contains("answer was lost"), "{:?}", text(&o));
    assert_no_password(&o);
    // The impatient second call: read first, nothing sent.
    let o = vads(&charge_args(cfg, "SUB-1-2027-01", &token));
    let state = json(&o);
    assert_eq!(state["charge"], "already_charged");
    assert_eq!(state["sent"], false);
    assert_eq!(platform.count(Operation::CreatePayment), 1);
    assert_eq!(debits(&platform, "SUB-1-2027-01"), 1);
    // What was sent: a zero-click charge of the token with its chaining reference.
    let call = platform
        .calls()
        .into_iter()
        .find(|c| c.operation == Some(Operation::CreatePayment))
        .unwrap();
    let body = call.body.unwrap();
    assert_eq!(body["formAction"], "SILENT");
    assert_eq!(body["paymentMethodToken"], token.as_str());
    assert_eq!(
        body["transactionOptions"]["cardOptions"]["initialIssuerTransactionIdentifier"],
        "CHAIN0123456789"
    );
}

#[test]
fn a_declined_charge_exits_1_never_reads_as_paid_and_is_not_sent_again() {
    let (platform, url) = serve();
    let cfg = charge_config(&url, None);
    let cfg = cfg.to_str().unwrap();
    let token = platform.add_token("jane@example.com");
    platform.decline_token(&token, true);

    let o = vads(&charge_args(cfg, "SUB-2-2027-01", &token));
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let (out, err) = text(&o);
    let state: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(state["charge"], "refused");
    assert_eq!(state["paid"], 0);
    assert_ne!(state["outcome"], "paid");
    assert!(err.starts_with("vads: refused: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // Again: the order holds a refused charge; nothing is sent unless asked.
    let o = vads(&charge_args(cfg, "SUB-2-2027-01", &token));
    assert_eq!(o.status.code(), Some(1));
    let (out, err) = text(&o);
    assert!(err.starts_with("vads: already_refused: "), "{err}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["sent"],
        false
    );
    assert_eq!(platform.count(Operation::CreatePayment), 1);

    // The card is good again and a new attempt is asked for: charged once.
    platform.decline_token(&token, false);
    let mut args = charge_args(cfg, "SUB-2-2027-01", &token);
    args.push("--retry-refused");
    let state = json(&vads(&args));
    assert_eq!(
        (state["charge"].as_str(), state["paid"].as_u64()),
        (Some("charged"), Some(990))
    );
    assert_eq!(platform.count(Operation::CreatePayment), 2);
}

#[test]
fn a_charge_on_a_channel_that_is_off_sends_nothing() {
    let (platform, url) = serve();
    // No [channels]: merchant-initiated charges are off.
    let cfg = config(&url, TEST_PASSWORD);
    let token = platform.add_token("jane@example.com");
    let o = vads(&charge_args(cfg.to_str().unwrap(), "SUB-3-2027-01", &token));
    assert_eq!(o.status.code(), Some(1));
    let (out, err) = text(&o);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("vads: channel_off: the merchant_initiated channel is off"),
        "{err}"
    );
    assert_eq!(platform.calls().len(), 0);

    // Live in PRODUCTION while the website is in TEST: the production password is used.
    let p = config(&url, TEST_PASSWORD);
    append(&p, "\n[channels]\nmerchant_initiated = \"PRODUCTION\"\n");
    let o = vads(&charge_args(p.to_str().unwrap(), "SUB-3-2027-01", &token));
    // The token was saved in TEST: in PRODUCTION it does not exist, and the charge is
    // refused by the platform, not sent with the TEST password.
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let calls = platform.calls();
    assert!(!calls.is_empty());
    assert!(
        calls.iter().all(|c| c.mode == Some(Mode::Production)),
        "{calls:?}"
    );
    assert_no_password(&o);
}

/// Two `vads charge` of one order at once in each of `rounds` rounds: one charge each.
fn two_processes_charge_once(platform: &Platform, cfg: &str, prefix: &str, rounds: usize) {
    let token = platform.add_token("jane@example.com");
    for round in 0..rounds {
        let order = format!("{prefix}-{round}");
        let outs = at_once(2, &charge_args(cfg, &order, &token));
        let mut said: Vec<String> = outs
            .iter()
            .map(|o| json(o)["charge"].as_str().unwrap().to_owned())
            .collect();
        said.sort();
        assert_eq!(said, ["already_charged", "charged"], "round {round}");
        assert_eq!(debits(platform, &order), 1, "round {round}");
    }
}

#[test]
fn two_processes_at_once_charge_an_order_once_in_every_round() {
    let (platform, url) = serve_slow(std::time::Duration::from_millis(60));
    let cfg = charge_config(&url, None);
    two_processes_charge_once(&platform, cfg.to_str().unwrap(), "C", 10);
}

#[test]
fn two_processes_sharing_a_postgres_store_charge_an_order_once_in_every_round() {
    let Some(url) = postgres_url("two_processes_sharing_a_postgres_store_charge...") else {
        return;
    };
    let (platform, api) = serve_slow(std::time::Duration::from_millis(60));
    let cfg = charge_config(&api, Some(&url));
    two_processes_charge_once(
        &platform,
        cfg.to_str().unwrap(),
        &format!("PGC{}", std::process::id()),
        5,
    );
}

#[test]
fn tokens_and_subscriptions_answer_as_the_api_does_and_never_print_a_password() {
    let (platform, url) = serve();
    let cfg = config(&url, TEST_PASSWORD);
    let cfg = cfg.to_str().unwrap();
    let token = platform.add_token("jane@example.com");

    let t = json(&vads(&["token", "get", "--config", cfg, "--token", &token]));
    assert_eq!(
        (t["paymentMethodToken"].as_str(), t["cancelled"].as_bool()),
        (Some(token.as_str()), Some(false))
    );
    let c = json(&vads(&[
        "token", "cancel", "--config", cfg, "--token", &token,
    ]));
    assert_eq!(c["change"], "done");
    // Twice: the platform refuses, the read shows it cancelled: the intent is met.
    let o = vads(&["token", "cancel", "--config", cfg, "--token", &token]);
    assert_eq!(json(&o)["change"], "already_done");
    assert_no_password(&o);
    let r = json(&vads(&[
        "token",
        "reactivate",
        "--config",
        cfg,
        "--token",
        &token,
    ]));
    assert_eq!(r["change"], "done");
    let o = vads(&[
        "token",
        "get",
        "--config",
        cfg,
        "--token",
        "0000000000000000000000000000dead",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.starts_with("vads: PSP_030"), "{:?}", text(&o));

    // A subscription: created once, read with its status, cancelled twice.
    let tomorrow = {
        let d = vads::TransDate::from_unix(vads::TransDate::now().to_unix().unwrap() + 86_400);
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    };
    let create = |extra: &[&str]| {
        let mut a = vec![
            "subscription",
            "create",
            "--config",
            cfg,
            "--token",
            &token,
            "--amount",
            "990",
            "--currency",
            "EUR",
            "--rrule",
            "RRULE:FREQ=MONTHLY;COUNT=12",
            "--effect-date",
            &tomorrow,
        ];
        a.extend_from_slice(extra);
        vads(&a)
    };
    let s = json(&create(&[
        "--order-id",
        "SUB-9",
        "--initial-amount",
        "490",
        "--initial-count",
        "2",
    ]));
    let id = s["subscription"].as_str().unwrap().to_owned();
    assert_eq!(s["token"], token.as_str());
    let g = json(&vads(&[
        "subscription",
        "get",
        "--config",
        cfg,
        "--token",
        &token,
        "--subscription",
        &id,
    ]));
    assert_eq!(
        (
            g["status"].as_str(),
            g["amount"].as_u64(),
            g["initialAmountNumber"].as_u64()
        ),
        (Some("pending"), Some(990), Some(2))
    );
    for expected in ["cancelled", "already_cancelled"] {
        let c = json(&vads(&[
            "subscription",
            "cancel",
            "--config",
            cfg,
            "--token",
            &token,
            "--subscription",
            &id,
        ]));
        assert_eq!(c["change"], expected);
    }
    // An installment the platform started is cancelled too, when asked.
    let running = platform.add_payment(NewPayment::new(
        "SUB-9",
        990,
        "EUR",
        TransStatus::WaitingAuthorisation,
    ));
    let c = json(&vads(&[
        "subscription",
        "cancel",
        "--config",
        cfg,
        "--token",
        &token,
        "--subscription",
        &id,
        "--cancel-running",
        "--order-id",
        "SUB-9",
    ]));
    assert_eq!(c["running"]["cancelled"], serde_json::json!([running]));
    assert_eq!(platform.count(Operation::Cancel), 1);
    let g = json(&vads(&[
        "subscription",
        "get",
        "--config",
        cfg,
        "--token",
        &token,
        "--subscription",
        &id,
    ]));
    assert_eq!(g["status"], "cancelled");

    // Refused before sending: a rule with a space, a date in the past, a bad date.
    let before = platform.count(Operation::CreateSubscription);
    for (rule, date, code) in [
        (
            "RRULE:FREQ=MONTHLY; COUNT=12",
            tomorrow.as_str(),
            "vads: invalid_request",
        ),
        ("RRULE:FREQ=MONTHLY", "2020-01-01", "vads: invalid_request"),
        ("RRULE:FREQ=MONTHLY", "2027-02-30", "vads: usage"),
    ] {
        let o = vads(&[
            "subscription",
            "create",
            "--config",
            cfg,
            "--token",
            &token,
            "--amount",
            "990",
            "--currency",
            "EUR",
            "--rrule",
            rule,
            "--effect-date",
            date,
        ]);
        assert_ne!(o.status.code(), Some(0));
        assert!(
            text(&o).1.starts_with(code),
            "{rule} {date}: {:?}",
            text(&o)
        );
        assert_eq!(text(&o).1.lines().count(), 1);
    }
    assert_eq!(platform.count(Operation::CreateSubscription), before);

    // A lost creation answer: exit 3, sent once, never again on its own.
    platform.inject(Operation::CreateSubscription, Fault::DropAfterApply);
    let o = create(&[]);
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    assert!(
        text(&o).1.starts_with("vads: outcome_unknown"),
        "{:?}",
        text(&o)
    );
    assert!(text(&o).1.contains("back office"));
    assert_eq!(platform.count(Operation::CreateSubscription), before + 1);
}

#[test]
fn preflight_lists_each_channel_and_checks_each_live_mode_online() {
    let (platform, url) = serve();
    // The website in TEST, merchant-initiated charges already in PRODUCTION, MOTO in TEST.
    let p = config(&url, TEST_PASSWORD);
    let key = secret_file(p.parent().unwrap(), "test.key", "TestKeyForMoto7Hq2Zx9");
    append(
        &p,
        &format!(
            "test_key_file = \"{key}\"\n\n[channels]\nmoto = \"TEST\"\nmerchant_initiated = \"PRODUCTION\"\n"
        ),
    );
    let cfg = p.to_str().unwrap();
    let o = vads(&["preflight", "--config", cfg, "--online"]);
    let (out, err) = text(&o);
    assert!(
        out.contains(
            "channels: [default] website=TEST moto=TEST call_centre=off merchant_initiated=PRODUCTION"
        ),
        "{out} {err}"
    );
    assert!(out.contains("warning: [default] channel_ahead_of_website: the merchant_initiated channel is in PRODUCTION"), "{out}");
    assert!(
        out.contains("online: [default] Charge/SDKTest with the TEST REST password"),
        "{out}"
    );
    assert!(
        out.contains("online: [default] Charge/SDKTest with the PRODUCTION REST password"),
        "{out}"
    );
    assert!(out.contains("channels merchant_initiated)"), "{out}");
    let modes: Vec<_> = platform.calls().iter().map(|c| c.mode).collect();
    assert_eq!(modes, [Some(Mode::Test), Some(Mode::Production)]);
    assert_no_password(&o);

    let o = vads(&["preflight", "--config", cfg, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["channels"]["default"],
        serde_json::json!({"website": "TEST", "moto": "TEST", "call_centre": "off", "merchant_initiated": "PRODUCTION"})
    );

    // A channel live in a mode without its key: an error finding (the shop cannot be
    // built either: nothing is sent online).
    let d = dir();
    let test = secret_file(&d, "test.password", TEST_PASSWORD);
    let q = d.join("shop.toml");
    std::fs::write(
        &q,
        format!(
            "site_id = \"{SITE}\"\nctx_mode = \"TEST\"\napi_url = \"{url}\"\ntest_password_file = \"{test}\"\n\n[channels]\ncall_centre = \"PRODUCTION\"\n"
        ),
    )
    .unwrap();
    let before = platform.calls().len();
    let o = vads(&["preflight", "--config", q.to_str().unwrap(), "--online"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.contains("error: [default] channel_key_missing: the call_centre channel is live in PRODUCTION but no production key is configured"), "{out}");
    assert_eq!(platform.calls().len(), before);
}
