//! `vads rehearse` against real HTTP servers started here on 127.0.0.1, which verify the
//! posted notification with the library: an accepting endpoint, a failing one (500), a
//! redirecting one (302), and an unreachable port. Also `vads preflight`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::mpsc;
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus};

const KEY: &str = "RehearsalProdKey77";

fn config() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vads-rehearse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // One file per call: tests run in parallel.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let p = dir.join(format!("shop-{n}.toml"));
    std::fs::write(
        &p,
        format!("site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_key = \"{KEY}\"\n"),
    )
    .unwrap();
    p
}

/// What the server saw: the verified notification's status, order id and trans id, and
/// its shape (`url_check_src`, subscription, recurrence number, rehearsal marker, how
/// many events it makes); or the verification error.
type Seen = Result<(String, String, String, String), String>;

/// Serves one request with `status`; sends back whether the library verified the body,
/// and the notification's status, order id and trans id.
fn server(status: u16) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/payment/notify", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut len = 0usize;
        let mut content_type = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if let Some(v) = l.strip_prefix("content-type:") {
                content_type = v.trim().to_owned();
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).unwrap();
        let mut c = ShopConfig::new("12345678", Mode::Production);
        c.production_key = Some(SecretString::new(KEY.into()));
        let shop = Shop::new(c).unwrap();
        let verdict = shop
            .verify(&body)
            .map(|n| {
                assert_eq!(content_type, "application/x-www-form-urlencoded");
                (
                    n.trans_status().unwrap().to_string(),
                    n.order_id().unwrap().into_owned(),
                    n.trans_id().unwrap().into_owned(),
                    format!(
                        "{}|{}|{:?}|{}|{}",
                        n.get("vads_url_check_src").unwrap_or_default(),
                        n.subscription().unwrap_or_default(),
                        n.recurrence_number(),
                        n.is_rehearsal(),
                        shop.verify_any(&body, vads::Endpoint::Ipn)
                            .map(|a| a.events().map_or(99, |e| e.len()))
                            .unwrap_or(98),
                    ),
                )
            })
            .map_err(|e| e.to_string());
        tx.send(verdict).unwrap();
        let extra = if status == 302 {
            "Location: https://elsewhere.example/\r\n"
        } else {
            ""
        };
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status} X\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\nok"
        )
        .unwrap();
    });
    (url, rx)
}

fn rehearse(url: &str) -> Output {
    rehearse_with(url, &[])
}

fn rehearse_with(url: &str, extra: &[&str]) -> Output {
    let config = config();
    let mut args = vec![
        "rehearse",
        "--config",
        config.to_str().unwrap(),
        "--url",
        url,
        "--timeout",
        "5",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_vads"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn accepting_endpoint() {
    let (url, rx) = server(200);
    let o = rehearse(&url);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains(" 200 in ") && out.contains("successful"),
        "{out}"
    );
    let (status, order, trans_id, shape) = rx
        .recv()
        .unwrap()
        .expect("the library verifies the rehearsal");
    assert_eq!(
        shape, "PAY||None|true|0",
        "a first delivery, recording nothing"
    );
    assert_eq!(status, TransStatus::Abandoned.as_str());
    assert!(order.starts_with("VADS-REHEARSAL-"));
    assert!(
        trans_id.starts_with('9') && trans_id.len() == 6,
        "reserved range: {trans_id}"
    );
    assert!(!out.contains(KEY));
}

#[test]
fn a_recurring_rehearsal_is_shaped_like_a_subscriptions_installment_and_records_nothing() {
    let (url, rx) = server(200);
    let o = rehearse_with(&url, &["--recurring"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("a subscription's installment: REC"), "{out}");
    let (status, _, _, shape) = rx.recv().unwrap().expect("verified");
    assert_eq!(status, TransStatus::Abandoned.as_str());
    assert_eq!(shape, "REC|VADS-REHEARSAL-SUB|Some(1)|true|0");
    // --recurring belongs to --url.
    let o = Command::new(env!("CARGO_BIN_EXE_vads"))
        .args([
            "rehearse",
            "--config",
            config().to_str().unwrap(),
            "--order-id",
            "A-1",
            "--recurring",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn failing_endpoint() {
    let (url, rx) = server(500);
    let o = rehearse(&url);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("FAILED"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("delivery_failed"));
    assert!(rx.recv().unwrap().is_ok());
}

#[test]
fn redirecting_endpoint_counts_as_delivered() {
    let (url, rx) = server(302);
    let o = rehearse(&url);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains(" 302 in "));
    assert!(rx.recv().unwrap().is_ok());
}

#[test]
fn unreachable_endpoint() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there
    let o = rehearse(&format!("http://127.0.0.1:{port}/notify"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("vads: unreachable:"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn bad_usage() {
    let o = rehearse("ftp://x");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn preflight_exit_statuses() {
    let o = Command::new(env!("CARGO_BIN_EXE_vads"))
        .args([
            "preflight",
            "--config",
            config().to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "a literal production key is an error"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ready"], false);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"key_in_plain_config"), "{codes:?}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains(KEY));
    let o = Command::new(env!("CARGO_BIN_EXE_vads"))
        .args(["preflight", "--config", "/nonexistent.toml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
