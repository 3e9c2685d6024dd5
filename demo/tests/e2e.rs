//! End to end in a real browser: headless Chromium, driven over WebDriver (chromedriver),
//! opens the shop, pays through the simulator and sees the order paid; the notification
//! is replayed and nothing changes; a refused and an abandoned payment both end failed.
//!
//! Needs Debian's `chromium` and `chromium-driver` (/usr/bin/chromium,
//! /usr/bin/chromedriver): `.ci/run` installs them and runs this test with `--ignored`.

mod common;

use common::{agent, order_state, start};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(method: &str, url: &str, body: Option<Value>) -> Value {
    let a = agent();
    let r = match (method, body) {
        ("GET", _) => a.get(url).call(),
        ("DELETE", _) => a.delete(url).call(),
        (_, Some(b)) => a
            .post(url)
            .header("Content-Type", "application/json")
            .send(b.to_string().as_bytes()),
        (_, None) => a
            .post(url)
            .header("Content-Type", "application/json")
            .send(b"{}".as_slice()),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let text = r.into_body().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {url}: {text}"))
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver) must be installed");
        let d = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while agent().get(&format!("{}/status", d.url)).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }

    fn session(&self) -> Session<'_> {
        let profile = std::env::temp_dir().join(format!("vads-e2e-profile-{}", std::process::id()));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--user-data-dir={}", profile.display())]}}}});
        let v = call("POST", &format!("{}/session", self.url), Some(caps));
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        Session {
            base: format!("{}/session/{id}", self.url),
            _driver: self,
        }
    }
}

struct Session<'d> {
    base: String,
    _driver: &'d Driver,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = agent().delete(&self.base).call();
    }
}

impl Session<'_> {
    fn goto(&self, url: &str) {
        call(
            "POST",
            &format!("{}/url", self.base),
            Some(json!({ "url": url })),
        );
    }
    fn url(&self) -> String {
        call("GET", &format!("{}/url", self.base), None)["value"]
            .as_str()
            .unwrap()
            .to_owned()
    }
    /// Waits until the page's URL starts with `prefix` and `css` is there; returns it.
    fn wait(&self, prefix: &str, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.url().starts_with(prefix) {
                let v = call(
                    "POST",
                    &format!("{}/element", self.base),
                    Some(json!({"using": "css selector", "value": css})),
                );
                if std::env::var_os("E2E_DEBUG").is_some() {
                    eprintln!("{v}");
                }
                if let Some(id) = v["value"][ELEMENT].as_str() {
                    return id.to_owned();
                }
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {css} on {prefix} (at {})",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    fn click(&self, element: &str) {
        call(
            "POST",
            &format!("{}/element/{element}/click", self.base),
            Some(json!({})),
        );
    }
    fn text(&self, element: &str) -> String {
        call(
            "GET",
            &format!("{}/element/{element}/text", self.base),
            None,
        )["value"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Shop → Pay → simulator → choice → back to the shop; returns (order id, shown state).
fn buy(s: &Session<'_>, shop: &str, simulator: &str, choice: &str) -> (String, String) {
    s.goto(&format!("{shop}/"));
    let pay = s.wait(shop, "#pay");
    s.click(&pay);
    // The shop's page posts the signed form to the simulator by itself.
    let button = s.wait(simulator, &format!("#{choice}"));
    s.click(&button);
    let state = s.wait(&format!("{shop}/return"), "#state");
    let order = s.wait(&format!("{shop}/return"), "#order");
    (s.text(&order), s.text(&state))
}

#[test]
#[ignore = "needs Debian's chromium and chromium-driver; .ci/run installs them and runs it with --ignored"]
fn pay_refuse_cancel_in_a_real_browser() {
    let running = start("e2e");
    let (shop, simulator) = (
        running.demo.shop_url.clone(),
        running.demo.simulator_url.clone(),
    );
    let driver = Driver::start();
    let s = driver.session();

    let (order, state) = buy(&s, &shop, &simulator, "pay");
    assert_eq!(state, "paid");
    assert_eq!(order_state(&shop, &order)["deliveries"], 1);
    // Replay the notification (back office): nothing changes, recorded once.
    let r = agent()
        .post(&format!("{simulator}/admin/replay?order_id={order}"))
        .send(b"".as_slice())
        .unwrap();
    assert_eq!(r.into_body().read_to_string().unwrap(), "shop answered 200");
    assert_eq!(order_state(&shop, &order)["state"], "paid");
    assert_eq!(order_state(&shop, &order)["deliveries"], 1);

    // Refused and abandoned payments both fail the order (protocol section 4).
    let (order, state) = buy(&s, &shop, &simulator, "refuse");
    assert_eq!(state, "failed");
    assert_eq!(order_state(&shop, &order)["state"], "failed");

    let (order, state) = buy(&s, &shop, &simulator, "cancel");
    assert_eq!(state, "failed");
    assert_eq!(order_state(&shop, &order)["state"], "failed");
}
