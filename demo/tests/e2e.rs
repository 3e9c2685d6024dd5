//! End to end in a real browser: headless Chromium, driven over WebDriver (chromedriver),
//! walks the playground as a newcomer would: the shop, the payment page, the return, the
//! order's page (signed form, notifications, reconciled state); then makes the platform
//! send the notification again, as a retry, as a forgery, to the PRODUCTION deployment,
//! with a duplicated field, and refunds; a refused and an abandoned payment get their own
//! headings; an error page leads back. Every step is saved as a screenshot
//! (`target/e2e-screenshots/`, or `$VADS_E2E_SCREENSHOTS`), which CI keeps.
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
                     "--window-size=1280,1000", "--hide-scrollbars",
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
    /// The text of every element matching `css`.
    fn texts(&self, css: &str) -> Vec<String> {
        let v = call(
            "POST",
            &format!("{}/elements", self.base),
            Some(json!({"using": "css selector", "value": css})),
        );
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| self.text(e[ELEMENT].as_str().unwrap()))
            .collect()
    }
    /// Saves the whole page as `name`.png at 1280 px wide and as `name-400`.png at 400 px
    /// (a phone), each window as tall as the page first: WebDriver captures the viewport.
    fn screenshot(&self, name: &str) {
        for (width, suffix) in [(1280, ""), (400, "-400")] {
            self.capture(width, &format!("{name}{suffix}"));
        }
        self.resize(1280, 900);
    }
    fn resize(&self, width: u64, height: u64) {
        call(
            "POST",
            &format!("{}/window/rect", self.base),
            Some(json!({"width": width, "height": height})),
        );
    }
    fn capture(&self, width: u64, name: &str) {
        use base64::Engine;
        self.resize(width, 900);
        let height = call(
            "POST",
            &format!("{}/execute/sync", self.base),
            Some(json!({"script": "return document.documentElement.scrollHeight", "args": []})),
        )["value"]
            .as_u64()
            .unwrap_or(1200);
        self.resize(width, height.clamp(900, 8000) + 140);
        let v = call("GET", &format!("{}/screenshot", self.base), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v["value"].as_str().unwrap())
            .unwrap();
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
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

/// Where screenshots go: `$VADS_E2E_SCREENSHOTS`, or `target/e2e-screenshots`.
fn screenshots() -> std::path::PathBuf {
    std::env::var_os("VADS_E2E_SCREENSHOTS").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots"),
        Into::into,
    )
}

/// Shop → Pay → payment page → choice → back to the shop; returns (order id, shown
/// state, the return page's heading). `shots` names the screenshots of the payment page
/// and of the return.
fn buy(
    s: &Session<'_>,
    shop: &str,
    simulator: &str,
    choice: &str,
    shots: Option<(&str, &str)>,
) -> (String, String, String) {
    buy_with(s, shop, simulator, "#pay", choice, shots)
}

/// As [`buy`], with the product page's button `button` (`#pay-in-3`, `#save-card`, ...).
fn buy_with(
    s: &Session<'_>,
    shop: &str,
    simulator: &str,
    button: &str,
    choice: &str,
    shots: Option<(&str, &str)>,
) -> (String, String, String) {
    s.goto(&format!("{shop}/"));
    let pay = s.wait(shop, button);
    s.click(&pay);
    // The shop's page posts the signed form to the simulator by itself.
    let button = s.wait(simulator, &format!("#{choice}"));
    if let Some((payment, _)) = shots {
        s.screenshot(payment);
    }
    s.click(&button);
    let state = s.wait(&format!("{shop}/return"), "#state");
    let order = s.wait(&format!("{shop}/return"), "#order");
    if let Some((_, back)) = shots {
        s.screenshot(back);
    }
    let heading = s.texts("h1").join("");
    (s.text(&order), s.text(&state), heading)
}

/// Clicks playground button `op` on the order page and waits for the page it leads back
/// to; returns the last notification's row.
fn send(s: &Session<'_>, shop: &str, op: &str, shot: &str) -> String {
    let button = s.wait(&format!("{shop}/orders/"), &format!("#{op}"));
    s.click(&button);
    s.wait(&format!("{shop}/orders/"), "#sent");
    s.screenshot(shot);
    s.texts("tr.delivery").pop().unwrap_or_default()
}

#[test]
#[ignore = "needs Debian's chromium and chromium-driver; .ci/run installs them and runs it with --ignored"]
fn the_playground_in_a_real_browser() {
    let running = start("e2e");
    let (shop, simulator) = (
        running.demo.shop_url.clone(),
        running.demo.simulator_url.clone(),
    );
    let driver = Driver::start();
    let s = driver.session();
    let _ = std::fs::remove_dir_all(screenshots());

    s.goto(&format!("{shop}/"));
    s.wait(&shop, "#pay");
    assert_eq!(s.texts("#price"), ["12.50 EUR"]);
    assert!(!s.texts("#test-banner").is_empty(), "the TEST banner");
    assert!(
        s.texts("#flows")[0].starts_with("Pay in 3: 4.16 EUR now, then two more every 30 days."),
        "{:?}",
        s.texts("#flows")
    );
    assert!(s.texts("#flows")[0].contains("and 12.50 EUR is charged each month"));
    s.screenshot("01-shop");

    let (order, state, heading) = buy(
        &s,
        &shop,
        &simulator,
        "pay",
        Some(("02-payment-page", "03-return-paid")),
    );
    assert_eq!(state, "paid");
    assert_eq!(heading, "Thank you! Your payment went through");
    assert_eq!(order_state(&shop, &order)["deliveries"], 1);

    // The order's page: the signed form, the notification accepted, the state.
    let see = s.wait(&format!("{shop}/return"), "#see-order");
    s.click(&see);
    s.wait(&format!("{shop}/orders/"), "#notifications");
    assert!(s.texts("#signing-string")[0].ends_with("+****************"));
    assert!(s.texts("tr.delivery")[0].contains("verified new event, recorded"));
    assert_eq!(s.texts("#paid"), ["12.50 EUR"]);
    s.screenshot("04-order-paid");

    // What the platform (or someone else) may send, and what vads makes of it.
    let row = send(&s, &shop, "replay", "05-delivered-again");
    assert!(row.contains("duplicate") && row.contains("BO"), "{row}");
    let row = send(&s, &shop, "retry", "06-retry");
    assert!(row.contains("duplicate") && row.contains("RETRY"), "{row}");
    let row = send(&s, &shop, "forgery", "07-forgery");
    assert!(
        row.contains("refused") && row.contains("bad_signature"),
        "{row}"
    );
    let row = send(&s, &shop, "test_to_production", "08-test-to-production");
    assert!(
        row.contains("refused") && row.contains("mode_mismatch") && row.contains("PRODUCTION"),
        "{row}"
    );
    // At 1280 px the notifications table fits its card once a /notify/live row is there:
    // every column (the verdict, the answer) shown, nothing scrolled out of sight.
    s.resize(1280, 900);
    let fits = call(
        "POST",
        &format!("{}/execute/sync", s.base),
        Some(json!({"script": "const t = document.querySelector('#notifications table'); \
            const box = t.parentElement; return [t.scrollWidth, box.clientWidth, document.documentElement.scrollWidth, window.innerWidth];", "args": []})),
    )["value"]
        .clone();
    let w: Vec<u64> = fits
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(
        w[0] <= w[1] && w[2] <= w[3],
        "the table overflows at 1280 px: {w:?}"
    );
    let row = send(&s, &shop, "duplicate_field", "09-duplicated-field");
    assert!(
        row.contains("refused") && row.contains("duplicate_field"),
        "{row}"
    );
    assert_eq!(
        order_state(&shop, &order)["state"],
        "paid",
        "nothing of that changed the order"
    );
    // The back office goes through the REST API: the payment is authorised, not captured:
    // a partial refund lowers it, a full one cancels it; every call is listed.
    let button = s.wait(&format!("{shop}/orders/"), "#refund_part");
    s.click(&button);
    s.wait(&format!("{shop}/orders/"), "#api-done");
    assert!(s.texts("#api-done")[0].contains("done"));
    assert!(s
        .texts("tr.api-call")
        .iter()
        .any(|r| r.contains("Transaction/Update")));
    assert_eq!(s.texts("#paid"), ["7.50 EUR"]);
    // Lowered, not refunded: the page says what happened.
    assert!(
        s.texts("#lowered")[0].contains("5.00 EUR (from 12.50 EUR to 7.50 EUR"),
        "{:?}",
        s.texts("#lowered")
    );
    assert_eq!(s.texts("#refunded"), ["0.00 EUR"]);
    s.screenshot("10-refund-part-through-the-api");
    let button = s.wait(&format!("{shop}/orders/"), "#refund");
    s.click(&button);
    s.wait(&format!("{shop}/orders/"), "#api-done");
    assert_eq!(order_state(&shop, &order)["state"], "cancelled");
    // A cancelled order offers no operation, and says why.
    assert!(s.texts("#operations").is_empty(), "no buttons");
    assert!(
        s.texts("#no-operation")[0].contains("the payment is cancelled"),
        "{:?}",
        s.texts("#no-operation")
    );
    assert_eq!(order_state(&shop, &order)["shipments"], 1, "shipped once");
    s.screenshot("10b-cancelled-no-operation");
    // The simulator's back office reads the same platform: nothing is offered there.
    s.goto(&format!("{simulator}/admin/order?order_id={order}"));
    s.wait(&format!("{simulator}/admin/order"), "#refund");
    assert!(
        s.texts(".refusal")
            .iter()
            .all(|r| r.contains("not offered")),
        "{:?}",
        s.texts(".refusal")
    );
    assert_eq!(
        s.texts(".refusal").len(),
        5,
        "validate, cancel, refund, refund part, refund as REST"
    );
    s.screenshot("10c-simulator-after-the-shops-cancel");

    // Refused and abandoned payments: the order fails, each with its own heading.
    let (order, state, heading) = buy(
        &s,
        &shop,
        &simulator,
        "refuse",
        Some(("11-payment-page-refuse", "12-return-refused")),
    );
    assert_eq!(
        (state.as_str(), heading.as_str()),
        ("failed", "Payment refused")
    );
    assert_eq!(order_state(&shop, &order)["state"], "failed");
    // Its page: the refusal is a verified message about a refused payment, and says so.
    s.goto(&format!("{shop}/orders/{order}"));
    s.wait(&format!("{shop}/orders/"), "#notifications");
    let row = s.texts("tr.delivery").pop().unwrap_or_default();
    assert!(
        row.contains("REFUSED") && row.contains("verified") && !row.contains("accepted"),
        "{row}"
    );
    s.screenshot("12b-order-refused");

    // A refund: its row says CREDIT and the amount refunded, beside the DEBIT it refunds.
    let (order, _, _) = buy(&s, &shop, &simulator, "pay", None);
    s.goto(&format!("{shop}/orders/{order}"));
    let row = send(&s, &shop, "rest_refund_part", "12c-refund-as-rest");
    assert!(
        row.contains("CREDIT") && row.contains("3.00 EUR") && row.contains("REST"),
        "{row}"
    );
    let rows = s.texts("tr.delivery");
    assert!(
        rows[0].contains("DEBIT") && rows[0].contains("12.50 EUR"),
        "{rows:?}"
    );
    assert!(
        rows[1].starts_with('2'),
        "rows are numbered per order: {rows:?}"
    );
    // The simulator's back office offers only what the platform would do: no validation
    // of a payment that needs none, no refund above what is left.
    s.goto(&format!("{simulator}/admin/order?order_id={order}"));
    s.wait(&format!("{simulator}/admin/order"), "#validate");
    assert!(
        !s.texts("#test-banner").is_empty(),
        "the simulator's TEST banner"
    );
    assert!(
        s.texts(".refusal")
            .iter()
            .any(|r| r.contains("Validate") && r.contains("not offered")),
        "{:?}",
        s.texts(".refusal")
    );
    s.screenshot("12d-simulator-back-office");
    s.goto(&format!("{simulator}/"));
    s.wait(&simulator, "main");
    assert_eq!(s.texts("h1"), ["Payment platform simulator"]);
    s.screenshot("12e-simulator-index");

    let (order, state, heading) = buy(&s, &shop, &simulator, "cancel", None);
    assert_eq!(
        (state.as_str(), heading.as_str()),
        ("failed", "Payment not completed")
    );
    s.screenshot("13-return-abandoned");
    assert_eq!(order_state(&shop, &order)["state"], "failed");

    // A form changed after it was signed: the platform's error page (error 00), with the
    // way back to the shop.
    let page = agent()
        .post(&format!("{shop}/order"))
        .send(b"".as_slice())
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let inputs: Vec<(String, String)> = common::inputs(&page)
        .into_iter()
        .map(|(n, v)| {
            if n == "vads_amount" {
                (n, "1".to_owned())
            } else {
                (n, v)
            }
        })
        .collect();
    s.goto(&format!("{simulator}/"));
    call(
        "POST",
        &format!("{}/execute/sync", s.base),
        Some(json!({
            "script": "const f = document.createElement('form'); f.method = 'POST'; f.action = arguments[0];\
                       for (const [n, v] of arguments[1]) { const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); }\
                       document.body.appendChild(f); f.submit();",
            "args": [format!("{simulator}/vads-payment/"), inputs],
        })),
    );
    s.wait(&format!("{simulator}/vads-payment/"), "#error");
    assert_eq!(s.texts("h1"), ["Payment error 00"]);
    assert!(s.texts("#error")[0].contains("bad_signature"));
    s.screenshot("14-platform-error-00");
    let back = s.wait(&simulator, "#back a");
    s.click(&back);
    s.wait(&shop, "#pay");

    // Every error page leads back.
    s.goto(&format!("{shop}/orders/NO-SUCH-ORDER"));
    let back = s.wait(&shop, "#back a");
    s.screenshot("15-shop-error");
    s.click(&back);
    s.wait(&shop, "#pay");
    s.goto(&format!("{shop}/orders"));
    s.wait(&format!("{shop}/orders"), "table");
    s.screenshot("16-orders");

    // The embedded form: a formToken from the REST API, the stand-in page, the REST IPN,
    // the return with kr-answer, the order with its API call.
    s.goto(&format!("{shop}/"));
    let embedded = s.wait(&shop, "#pay-embedded");
    s.click(&embedded);
    let next = s.wait(&format!("{shop}/order/embedded"), "#embedded-continue");
    s.screenshot("17-embedded-shop");
    s.click(&next);
    let pay = s.wait(&format!("{simulator}/embedded"), "#embedded-pay");
    s.screenshot("18-embedded-stand-in");
    s.click(&pay);
    let state = s.wait(&format!("{shop}/return"), "#state");
    assert_eq!(s.text(&state), "paid");
    s.screenshot("19-embedded-return");
    let order = s.text(&s.wait(&format!("{shop}/return"), "#order"));
    let see = s.wait(&format!("{shop}/return"), "#see-order");
    s.click(&see);
    s.wait(&format!("{shop}/orders/"), "tr.api-call");
    assert!(s.texts("tr.api-call")[0].contains("Charge/CreatePayment"));
    assert!(s.texts("tr.delivery")[0].contains("verified new event, recorded"));
    s.screenshot("20-embedded-order");
    assert_eq!(order_state(&shop, &order)["state"], "paid");

    // A payment whose notification is lost, recovered through Order/Get: paid, with its
    // refund buttons.
    let (order, _, _) = buy(&s, &shop, &simulator, "pay_lost", None);
    let deadline = Instant::now() + Duration::from_secs(15);
    while order_state(&shop, &order)["state"] != "paid" {
        assert!(Instant::now() < deadline, "not recovered");
        std::thread::sleep(Duration::from_millis(100));
    }
    s.goto(&format!("{shop}/orders/{order}"));
    s.wait(&format!("{shop}/orders/"), "#recovered");
    assert!(!s.texts("#refund").is_empty(), "its refund buttons");
    s.screenshot("21-recovered-order");

    // What needs a human: a genuine notification the shop cannot record (a 10 KB order
    // id), kept whole; an order refunded more than it was paid.
    let mut c = vads::ShopConfig::new("12345678", vads::Mode::Test);
    c.test_key = Some(vads::SecretString::new(common::KEY.into()));
    let test_shop = vads::Shop::new(c).unwrap();
    let long = vads::testing::NotificationBuilder::new(&test_shop)
        .order_id(&"L".repeat(10 * 1024))
        .amount(4321)
        .status(vads::TransStatus::Captured)
        .body()
        .unwrap();
    let too_much = vads::testing::NotificationBuilder::new(&test_shop)
        .order_id(&order)
        .amount(99_999)
        .trans_uuid("1234567812345678123456781234567a")
        .status(vads::TransStatus::Captured)
        .field("vads_operation_type", "CREDIT")
        .body()
        .unwrap();
    for body in [long, too_much] {
        let status = agent()
            .post(&format!("{shop}/notify"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.as_bytes())
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, 200);
    }
    s.goto(&format!("{shop}/"));
    let nav = s.wait(&shop, "#nav-attention");
    s.click(&nav);
    s.wait(&format!("{shop}/attention"), "#kept");
    assert!(s.texts("tr.review")[0].contains("43.21 EUR"));
    assert!(s.texts("tr.attention-order")[0].contains("more refunded than paid"));
    s.screenshot("22-attention");

    // Money that recurs: pay in 3 (the nightly batch runs installment 2, the bank refuses
    // installment 3), save a card, subscribe monthly (two nights).
    let (order, state, heading) = buy_with(
        &s,
        &shop,
        &simulator,
        "#pay-in-3",
        "pay",
        Some(("23-payment-page-in-3", "24-return-in-3")),
    );
    assert_eq!(state, "paid");
    assert_eq!(heading, "Thank you! Your first installment went through");
    s.goto(&format!("{shop}/orders/{order}"));
    let run = s.wait(&format!("{shop}/orders/"), "#batch");
    s.click(&run);
    s.wait(&format!("{shop}/orders/"), "#sent");
    let refuse = s.wait(&format!("{shop}/orders/"), "#batch-refuse");
    s.click(&refuse);
    s.wait(&format!("{shop}/orders/"), "#sent");
    assert_eq!(s.texts("#paid"), ["8.33 EUR"]);
    assert_eq!(s.texts("#plan tr.installment").len(), 3);
    assert!(s.texts("#sent")[0].contains("installment 3 of 3, refused by the bank"));
    s.screenshot("25-order-in-3");

    let (order, state, heading) = buy_with(
        &s,
        &shop,
        &simulator,
        "#save-card",
        "pay",
        Some(("26-payment-page-save-card", "27-return-card-saved")),
    );
    assert_eq!(state, "verified");
    assert_eq!(heading, "Your card is saved");
    s.goto(&format!("{shop}/orders/{order}"));
    let token = s.wait(&format!("{shop}/orders/"), "#token");
    assert!(s.text(&token).contains('…'), "masked");
    assert_eq!(s.texts("#paid"), ["0.00 EUR"]);
    s.screenshot("28-order-card-saved");
    // Charge the saved card again (zero-click): charged once, listed, shipped.
    let again = s.wait(&format!("{shop}/orders/"), "#charge-again");
    s.click(&again);
    let result = s.wait(&format!("{shop}/orders/"), "#charge-result");
    assert!(
        s.text(&result).starts_with("Charged"),
        "{}",
        s.text(&result)
    );
    assert_eq!(s.texts("tr.charge").len(), 1);
    s.screenshot("28b-order-card-charged-again");

    let (order, state, heading) = buy_with(
        &s,
        &shop,
        &simulator,
        "#subscribe",
        "pay",
        Some(("29-payment-page-subscribe", "30-return-subscribed")),
    );
    assert_eq!(state, "verified");
    assert_eq!(heading, "You are subscribed");
    s.goto(&format!("{shop}/orders/{order}"));
    for button in ["#batch", "#batch-refuse"] {
        let run = s.wait(&format!("{shop}/orders/"), button);
        s.click(&run);
        s.wait(&format!("{shop}/orders/"), "#sent");
    }
    assert_eq!(s.texts("tr.sub-installment").len(), 2);
    assert_eq!(s.texts("#subscription-status"), ["CREATED"]);
    s.screenshot("31-order-subscription");
    // The subscription as the platform has it, then cancelled.
    let link = s.wait(&format!("{shop}/orders/"), "#subscription-link");
    s.click(&link);
    s.wait(&format!("{shop}/orders/"), "#sub-status");
    // Two nights ran (one installment accepted, one refused): both counted.
    assert!(s.texts("#sub-past")[0].starts_with("2 of "));
    s.screenshot("32-subscription-page");
    let cancel = s.wait(&format!("{shop}/orders/"), "#cancel-subscription");
    s.click(&cancel);
    s.wait(&format!("{shop}/orders/"), "#cancel-result");
    assert_eq!(s.texts("#sub-status"), ["cancelled"]);
    s.screenshot("33-subscription-cancelled");
    eprintln!("screenshots: {}", screenshots().display());
}
