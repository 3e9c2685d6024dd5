//! The demo's whole flow over HTTP (no browser): shop → simulator → notification → return,
//! replay, refusal, cancellation, a tampered form, and orders never moving backwards.

mod common;

use common::{agent, checkout, inputs, order_state, post, start};
use vads::testing::NotificationBuilder;
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus, UrlCheckSource};

/// The page at `url` (a GET that must succeed).
fn get_page(url: &str) -> String {
    common::agent()
        .get(url)
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap()
}

#[test]
fn pay_replay_refuse_cancel() {
    let running = start("flow");
    let shop = &running.demo.shop_url;

    let (order, status, page) = checkout(shop, "pay", false);
    assert_eq!(status, 200);
    assert!(
        page.contains("<strong id=\"state\">paid</strong>"),
        "{page}"
    );
    assert_eq!(order_state(shop, &order)["state"], "paid");
    assert_eq!(order_state(shop, &order)["deliveries"], 1);

    // The back office replays the notification: recorded once, nothing changes.
    let (status, body, _) = post(
        &format!(
            "{}/admin/replay?order_id={order}",
            running.demo.simulator_url
        ),
        "",
    );
    assert_eq!((status, body.as_str()), (200, "shop answered 200"));
    assert_eq!(order_state(shop, &order)["state"], "paid");
    assert_eq!(order_state(shop, &order)["deliveries"], 1);

    // Refused and abandoned payments both fail the order (protocol section 4).
    let (order, _, page) = checkout(shop, "refuse", false);
    assert!(page.contains(">failed<"), "{page}");
    assert_eq!(order_state(shop, &order)["state"], "failed");

    let (order, _, page) = checkout(shop, "cancel", false);
    assert!(page.contains(">failed<"), "{page}");
    assert_eq!(order_state(shop, &order)["state"], "failed");

    // Manual validation: pending until the merchant validates in the back office.
    let (order, _, page) = checkout(shop, "pay_later", false);
    assert!(page.contains(">pending<"), "{page}");
    back_office(&running.demo.simulator_url, &order, "op=validate");
    assert_eq!(order_state(shop, &order)["state"], "paid");
}

/// Runs a back-office operation on an order in the simulator.
fn back_office(simulator: &str, order: &str, operation: &str) {
    let (status, page, _) = post(
        &format!("{simulator}/admin/operation"),
        &format!("order_id={order}&{operation}"),
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("the shop answered <strong>200</strong>"),
        "{page}"
    );
}

#[test]
fn refunds_and_cancellations_whatever_the_delivery_order() {
    let running = start("backoffice");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);

    // A partial refund, then the rest: a refund is never paid.
    let (order, _, _) = checkout(shop, "pay", false);
    back_office(sim, &order, "op=refund_part&amount=250");
    let state = order_state(shop, &order);
    assert_eq!(state["state"], "partially_refunded", "{state}");
    assert_eq!(
        (state["paid"].as_u64(), state["refunded"].as_u64()),
        (Some(1250), Some(250))
    );
    back_office(sim, &order, "op=refund_part&amount=1000");
    let state = order_state(shop, &order);
    assert_eq!(state["state"], "refunded", "{state}");
    assert_eq!(state["refunded"].as_u64(), Some(1250));
    // The payment's notification delivered again afterwards changes nothing.
    post(&format!("{sim}/admin/replay?order_id={order}"), "");
    assert_eq!(order_state(shop, &order)["state"], "refunded");

    // A merchant's cancellation, then the original AUTHORISED delivered again (as the
    // back office or an automatic retry would): the order stays cancelled.
    let (order, _, _) = checkout(shop, "pay", false);
    back_office(sim, &order, "op=cancel");
    assert_eq!(order_state(shop, &order)["state"], "cancelled");
    let (status, body, _) = post(&format!("{sim}/admin/replay?order_id={order}"), "");
    assert_eq!((status, body.as_str()), (200, "shop answered 200"));
    let state = order_state(shop, &order);
    assert_eq!(state["state"], "cancelled", "{state}");
    assert_eq!(state["paid"].as_u64(), Some(0));

    // The back office page lists the operations.
    let page = get_page(&format!("{sim}/admin/order?order_id={order}"));
    for id in ["validate", "cancel", "refund", "refund_part"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{page}");
    }
}

#[test]
fn one_notification_endpoint_takes_both_formats() {
    let running = start("rest");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    let (order, _, _) = checkout(shop, "pay", false);
    let events = |o: &str| order_state(shop, o)["deliveries"].as_u64().unwrap();
    let before = events(&order);
    // The payment again as a REST IPN: verified with the REST password, recognised as the
    // same event (a duplicate: answered 200, nothing recorded).
    back_office(sim, &order, "op=rest_payment");
    assert_eq!(events(&order), before);
    assert_eq!(order_state(shop, &order)["state"], "paid");
    // A partial refund as a REST IPN beside the vads_* payment: one order, both formats.
    back_office(sim, &order, "op=rest_refund_part&amount=300");
    let state = order_state(shop, &order);
    assert_eq!(state["state"], "partially_refunded", "{state}");
    assert_eq!(
        (state["paid"].as_u64(), state["refunded"].as_u64()),
        (Some(1250), Some(300))
    );
    // A REST answer signed with another password is refused (400, nothing recorded).
    let forged = vads_reference_body(&order);
    let (status, _, _) = post(&format!("{shop}/notify"), &forged);
    assert_eq!(status, 400);
    assert_eq!(order_state(shop, &order)["refunded"].as_u64(), Some(300));
}

/// A genuine REST IPN whose signed answer repeats a key the typed view reads
/// (`detailedStatus`): verified, but its content cannot be read. Answered 200 (a retry
/// would bring the same bytes), kept for review, and the order needs attention.
#[test]
fn a_verified_answer_that_cannot_be_read_is_kept_and_not_retried_forever() {
    let running = start("unreadable");
    let shop = &running.demo.shop_url;
    let (order, _, _) = checkout(shop, "pay", false);
    let answer = format!(
        r#"{{"shopId":"12345678","orderStatus":"PAID","orderDetails":{{"orderTotalAmount":1250,"orderCurrency":"EUR","mode":"TEST","orderId":"{order}"}},"transactions":[{{"uuid":"fedcba9876543210fedcba9876543210","amount":1250,"currency":"EUR","status":"PAID","detailedStatus":"CAPTURED","detailedStatus":"AUTHORISED","operationType":"DEBIT"}}]}}"#
    );
    let body = vads_reference::rest_body(&answer, common::PASSWORD, "password");
    let (status, _, _) = post(&format!("{shop}/notify"), &body);
    assert_eq!(
        status,
        200,
        "not retried for nothing: {}",
        order_state(shop, &order)
    );
    let state = order_state(shop, &order);
    assert_eq!(state["state"], "needs_attention", "{state}");
    assert!(
        state["attention"].to_string().contains("kept for review"),
        "{state}"
    );
    let page = agent()
        .get(&format!("{shop}/orders/{order}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(page.contains("kept for review"), "{page}");
    assert!(!page.contains("storage_failed"));
}

/// A REST refund of `order` hashed with a password that is not the shop's.
fn vads_reference_body(order: &str) -> String {
    let mut c = vads::ShopConfig::new("12345678", vads::Mode::Test);
    c.test_password = Some(vads::SecretString::new(
        "testpassword_NotTheShops123".into(),
    ));
    let other = vads::Shop::new(c).unwrap();
    vads::testing::RestAnswerBuilder::new(&other)
        .order_id(order)
        .amount(1250)
        .operation_type(vads::OperationType::Credit)
        .status(vads::TransStatus::Captured)
        .body()
        .unwrap()
}

#[test]
fn tampered_form_gets_the_platform_error_page() {
    let running = start("tamper");
    let (order, status, page) = checkout(&running.demo.shop_url, "pay", true);
    assert_eq!(status, 400);
    assert!(page.contains("<h1>Payment error 00</h1>"), "{page}");
    // The way back to the shop.
    assert!(page.contains("Back to the shop"), "{page}");
    assert_eq!(
        order_state(&running.demo.shop_url, &order)["state"],
        "pending"
    );
}

#[test]
fn late_and_forged_notifications() {
    let running = start("late");
    let shop_url = &running.demo.shop_url;
    let (order, _, _) = checkout(shop_url, "pay", false);
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(common::KEY.into()));
    let shop = Shop::new(c).unwrap();
    // A late "pending" status after the payment: recorded, but the order stays paid.
    let late = NotificationBuilder::new(&shop)
        .order_id(&order)
        .status(TransStatus::WaitingAuthorisation)
        .url_check_src(UrlCheckSource::Batch)
        .body()
        .unwrap();
    let (status, _, _) = post(&format!("{shop_url}/notify"), &late);
    assert_eq!(status, 200);
    assert_eq!(order_state(shop_url, &order)["state"], "paid");
    assert_eq!(order_state(shop_url, &order)["deliveries"], 2);
    // A forged one: 400, nothing recorded.
    let key: vads::Key = "not-the-key-123".parse().unwrap();
    let forged = NotificationBuilder::new(&shop)
        .order_id(&order)
        .status(TransStatus::Refused)
        .body_signed_with(&key, vads::Algorithm::HmacSha256)
        .unwrap();
    let (status, body, _) = post(&format!("{shop_url}/notify"), &forged);
    assert_eq!((status, body.as_str()), (400, "rejected"));
    assert_eq!(order_state(shop_url, &order)["deliveries"], 2);
    // A wrong-mode one: 400 too.
    let prod = NotificationBuilder::new(&shop)
        .order_id(&order)
        .mode(Mode::Production)
        .body()
        .unwrap();
    assert_eq!(post(&format!("{shop_url}/notify"), &prod).0, 400);
}

#[test]
fn notifications_are_retried_until_the_shop_answers_success() {
    use std::io::{BufRead, BufReader, Read, Write};
    let running = start("retry");
    // A flaky notification endpoint: 500 first, then 200; it records url_check_src.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().take(2).enumerate() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            tx.send(String::from_utf8(body).unwrap()).unwrap();
            let status = if i == 0 { "500 Oops" } else { "200 OK" };
            write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
        }
    });
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(common::KEY.into()));
    c.payment_url = Some(format!("{}/vads-payment/", running.demo.simulator_url));
    let shop = Shop::new(c).unwrap();
    let form = shop
        .form()
        .amount(100)
        .currency("EUR")
        .order_id("R-1")
        .url_check(url)
        .sign()
        .unwrap();
    let (status, page, _) = post(&form.action, &vads::testing::urlencode_pairs(&form.fields));
    assert_eq!(status, 200, "{page}");
    let token = inputs(&page)
        .into_iter()
        .find(|(n, _)| n == "token")
        .unwrap()
        .1;
    let (status, _, _) = post(
        &form
            .action
            .replace("/vads-payment/", "/vads-payment/decide"),
        &format!("token={token}&choice=pay"),
    );
    assert_eq!(status, 200, "no return URL: a done page");
    let first = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    let second = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert!(first.contains("vads_url_check_src=PAY"));
    assert!(second.contains("vads_url_check_src=RETRY"));
    assert!(
        shop.verify(second.as_bytes()).is_ok(),
        "the retry is correctly signed"
    );
}

#[test]
fn post_return_mode_posts_the_signed_return_fields() {
    let running = start("post-return");
    let shop_url = &running.demo.shop_url;
    // An order of the shop, so that the return page can show it.
    let (_, page, _) = post(&format!("{shop_url}/order"), "");
    let mut fields = inputs(&page);
    fields.retain(|(n, _)| n != "signature" && n != "vads_return_mode");
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(common::KEY.into()));
    c.payment_url = Some(format!("{}/vads-payment/", running.demo.simulator_url));
    let shop = Shop::new(c).unwrap();
    let order = fields
        .iter()
        .find(|(n, _)| n == "vads_order_id")
        .unwrap()
        .1
        .clone();
    let mut b = shop.form().return_mode("POST");
    for (n, v) in fields.iter().filter(|(n, _)| {
        !matches!(
            n.as_str(),
            "vads_site_id" | "vads_ctx_mode" | "vads_version"
        )
    }) {
        b = b.field(n.as_str(), v.as_str());
    }
    let form = b.sign().unwrap();
    let (_, page, _) = post(&form.action, &vads::testing::urlencode_pairs(&form.fields));
    let token = inputs(&page)
        .into_iter()
        .find(|(n, _)| n == "token")
        .unwrap()
        .1;
    let (status, page, _) = post(
        &form
            .action
            .replace("/vads-payment/", "/vads-payment/decide"),
        &format!("token={token}&choice=pay"),
    );
    assert_eq!(status, 200);
    let back = inputs(&page);
    assert!(back.iter().any(|(n, _)| n == "signature"));
    assert!(
        !back.iter().any(|(n, _)| n == "vads_hash"),
        "a browser return, not an IPN"
    );
    let back_body = vads::testing::urlencode_pairs(&back);
    let n = shop.verify(back_body.as_bytes()).unwrap();
    assert_eq!(n.kind(), vads::Kind::BrowserReturn);
    let (status, page, _) = post(
        &format!("{shop_url}/return"),
        &vads::testing::urlencode_pairs(&back),
    );
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("<span id=\"order\">{order}</span>"))
            && page.contains("<strong id=\"state\">paid</strong>")
            && page.contains("<h1>Thank you! Your payment went through</h1>"),
        "{page}"
    );
}

#[test]
fn bodies_above_the_library_limit_are_refused_unread() {
    let running = start("limit");
    let shop_url = &running.demo.shop_url;
    // 100 KB: the library's limit is 64 KiB, so the demo answers 413 without reading it.
    let big = format!("vads_amount=1&x={}", "a".repeat(100 * 1024));
    let r = agent()
        .post(&format!("{shop_url}/notify"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(big.as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    // At the limit, the body reaches the library, which answers for itself.
    let at_limit = format!("x={}", "a".repeat(vads::MAX_BODY_LEN - 2));
    assert_eq!(at_limit.len(), vads::MAX_BODY_LEN);
    let (status, body, _) = post(&format!("{shop_url}/notify"), &at_limit);
    assert_eq!((status, body.as_str()), (400, "rejected"));
}

/// Sends request headers that declare `declared` bytes of body, sends no body, and
/// returns the status line the server answered with and how long it took.
fn held_back_body(addr: &str, path: &str, declared: usize) -> (String, std::time::Duration) {
    use std::io::{Read, Write};
    let started = std::time::Instant::now();
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(
        c,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {declared}\r\n\r\n"
    )
    .unwrap();
    let mut answer = [0u8; 64];
    let n = c.read(&mut answer).unwrap_or(0);
    let text = String::from_utf8_lossy(&answer[..n]).into_owned();
    (
        text.lines().next().unwrap_or_default().to_owned(),
        started.elapsed(),
    )
}

#[test]
fn a_declared_oversized_body_is_answered_at_once_without_waiting_for_it() {
    let running = start("held-back");
    for url in [&running.demo.shop_url, &running.demo.simulator_url] {
        let addr = url.trim_start_matches("http://");
        for path in ["/notify", "/return", "/order", "/notify/live"] {
            let (status, took) = held_back_body(addr, path, 100_000);
            assert!(
                status.starts_with("HTTP/1.1 413"),
                "{url}{path}: {status:?}"
            );
            assert!(
                took < std::time::Duration::from_secs(1),
                "{url}{path}: {took:?}"
            );
        }
    }
}

/// A playground operation from the order page: the simulator sends, then the browser goes
/// back to the order page (the redirect), which says what was sent and how the shop
/// answered.
fn playground(shop: &str, simulator: &str, order: &str, op: &str) -> String {
    let back = format!("{shop}/orders/{order}");
    let (status, _, location) = post(
        &format!("{simulator}/admin/operation"),
        &vads::testing::urlencode_pairs(&[
            ("order_id".to_owned(), order.to_owned()),
            ("op".to_owned(), op.to_owned()),
            ("back".to_owned(), back.clone()),
        ]),
    );
    assert_eq!(status, 303, "{op}: back to the order page");
    let location = location.unwrap();
    assert!(
        location.starts_with(&format!("{back}?sent={op}")),
        "{location}"
    );
    agent()
        .get(&location)
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap()
}

#[test]
fn the_playground_shows_each_verdict() {
    let running = start("playground");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    let (order, _, _) = checkout(shop, "pay", false);
    let verdicts = |expected: &[(&str, Option<&str>)]| {
        let notifications = order_state(shop, &order)["notifications"].clone();
        let got: Vec<(String, Option<String>)> = notifications
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["verdict"].as_str().unwrap().to_owned(),
                    n["code"].as_str().map(str::to_owned),
                )
            })
            .collect();
        let want: Vec<(String, Option<String>)> = expected
            .iter()
            .map(|(v, c)| ((*v).to_owned(), c.map(str::to_owned)))
            .collect();
        assert_eq!(got, want);
    };
    verdicts(&[("accepted", None)]);
    let page = playground(shop, sim, &order, "replay");
    assert!(
        page.contains("the shop answered <strong>200</strong>"),
        "{page}"
    );
    playground(shop, sim, &order, "retry");
    let page = playground(shop, sim, &order, "forgery");
    assert!(
        page.contains("the shop answered <strong>400</strong>"),
        "{page}"
    );
    playground(shop, sim, &order, "test_to_production");
    playground(shop, sim, &order, "duplicate_field");
    verdicts(&[
        ("accepted", None),
        ("duplicate", None),
        ("duplicate", None),
        ("refused", Some("bad_signature")),
        ("refused", Some("mode_mismatch")),
        ("refused", Some("duplicate_field")),
    ]);
    // Nothing of that changed the order; a refund does.
    assert_eq!(order_state(shop, &order)["state"], "paid");
    let page = playground(shop, sim, &order, "refund");
    assert_eq!(order_state(shop, &order)["state"], "refunded");
    // The order page shows the three parts, in order, and the amounts with their currency.
    let form = page.find("id=\"form\"").unwrap();
    let notifications = page.find("id=\"notifications\"").unwrap();
    let state = page.find("id=\"state\"").unwrap();
    assert!(form < notifications && notifications < state);
    assert!(page.contains("<dd id=\"paid\">12.50 EUR</dd>"), "{page}");
    assert!(
        page.contains("<dd id=\"refunded\">12.50 EUR</dd>"),
        "{page}"
    );
    assert!(
        page.contains("+****************</code>"),
        "the masked signing string"
    );
    assert!(page.contains("<code>mode_mismatch</code>"));
    assert!(page.contains("id=\"test-banner\""), "TEST banner");
    // A redirect elsewhere than the shop is not followed.
    let (status, page, _) = post(
        &format!("{sim}/admin/operation"),
        &format!("order_id={order}&op=replay&back=http%3A%2F%2Fevil.example%2F"),
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("replay sent; the shop answered <strong>200</strong>"),
        "{page}"
    );
}

#[test]
fn errors_lead_back() {
    let running = start("errors");
    let shop = &running.demo.shop_url;
    for path in ["/orders/NO-SUCH-ORDER", "/nowhere", "/return?vads_amount=1"] {
        let r = agent().get(&format!("{shop}{path}")).call().unwrap();
        let status = r.status().as_u16();
        let page = r.into_body().read_to_string().unwrap();
        assert!(status >= 400, "{path}: {status}");
        assert!(
            page.contains("href=\"/\"") && page.contains("Back to the shop"),
            "{path}: {page}"
        );
    }
}

#[test]
fn stalled_and_excess_connections_are_not_kept() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let limits = vads_demo::Limits {
        header_timeout: Duration::from_millis(600),
        request_timeout: Duration::from_secs(2),
        max_connections: 4,
        connection_lifetime: Duration::from_secs(30),
    };
    let running = common::start_with("stalled", limits);
    let addr = running
        .demo
        .shop_url
        .trim_start_matches("http://")
        .to_owned();
    // Clients that send a byte now and then, never a whole request: dropped after the
    // header timeout, well before they finish.
    let started = Instant::now();
    let stalled: Vec<std::thread::JoinHandle<Duration>> = (0..4)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut c = std::net::TcpStream::connect(&addr).unwrap();
                c.set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                let t = Instant::now();
                for b in b"POST /notify HTTP/1.1\r\nHost: x\r\n"
                    .iter()
                    .cycle()
                    .take(200)
                {
                    if c.write_all(&[*b]).is_err() {
                        break;
                    }
                    let mut buf = [0u8; 64];
                    match c.read(&mut buf) {
                        Ok(0) => break, // closed by the server
                        Ok(_) => break, // answered (408 or 400) and closed
                        Err(_) => {}    // nothing yet: keep trickling
                    }
                }
                t.elapsed()
            })
        })
        .collect();
    for handle in stalled {
        let lasted = handle.join().unwrap();
        assert!(
            lasted < Duration::from_secs(5),
            "a stalled connection lasted {lasted:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(6));
    // Four connections held open (idle, before any byte): a fifth is not served until
    // one of them goes.
    let held: Vec<std::net::TcpStream> = (0..4)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let r = agent().get(&format!("http://{addr}/")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let waited = t.elapsed();
    drop(held);
    // It was served once the held connections timed out (their header timeout).
    assert!(
        waited >= Duration::from_millis(300),
        "served at once ({waited:?}): no bound"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

/// Sixty buyers press "Pay" at once: sixty orders, each with its own id, and no database
/// error text on any page.
#[test]
fn concurrent_orders_get_distinct_ids() {
    let running = start("concurrent-orders");
    let url = format!("{}/order", running.demo.shop_url);
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..60)
            .map(|_| {
                let url = url.clone();
                scope.spawn(move || {
                    let (status, page, _) = post(&url, "");
                    (status, page)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ids = std::collections::BTreeSet::new();
    for (status, page) in &answers {
        assert_eq!(*status, 200, "{page}");
        assert!(
            !page.contains("UNIQUE") && !page.contains("constraint"),
            "{page}"
        );
        let id = inputs(page)
            .into_iter()
            .find(|(n, _)| n == "vads_order_id")
            .unwrap()
            .1;
        ids.insert(id);
    }
    assert_eq!(ids.len(), 60);
}

/// The first `action="..."` of a page that posts to `prefix`.
fn action_to(page: &str, prefix: &str) -> String {
    page.split("action=\"")
        .skip(1)
        .filter_map(|a| a.split('"').next())
        .find(|a| a.starts_with(prefix))
        .unwrap_or_else(|| panic!("no form to {prefix} in {page}"))
        .to_owned()
}

#[test]
fn embedded_form_end_to_end() {
    let running = start("embedded");
    let shop = &running.demo.shop_url;
    let sim = &running.demo.simulator_url;

    // The shop asks the REST API for a formToken (Charge/CreatePayment).
    let (status, page, _) = post(&format!("{shop}/order/embedded"), "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("cannot load the platform's script"), "{page}");
    let start_fields = inputs(&page);
    let token = &start_fields
        .iter()
        .find(|(n, _)| n == "formToken")
        .unwrap()
        .1;
    assert!(!token.is_empty());
    let order = page
        .split("<dd id=\"order\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(order_state(shop, &order)["state"], "pending");

    // The stand-in page pays the token: the REST IPN, then the browser's return.
    let (status, stand_in, _) = post(
        &format!("{sim}/embedded"),
        &vads::testing::urlencode_pairs(&start_fields),
    );
    assert_eq!(status, 200, "{stand_in}");
    assert!(stand_in.contains("Stand-in page"), "{stand_in}");
    let pay: Vec<(String, String)> = inputs(
        stand_in
            .split("<form")
            .find(|f| f.contains("value=\"pay\""))
            .unwrap(),
    );
    let (status, back, _) = post(
        &format!("{sim}/embedded/decide"),
        &vads::testing::urlencode_pairs(&pay),
    );
    assert_eq!(status, 200, "{back}");
    let return_fields = inputs(&back);
    assert!(return_fields
        .iter()
        .any(|(n, v)| n == "kr-hash-key" && v == "sha256_hmac"));
    let (status, page, _) = post(
        &action_to(&back, &format!("{shop}/return")),
        &vads::testing::urlencode_pairs(&return_fields),
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<strong id=\"state\">paid</strong>"),
        "{page}"
    );

    // The order: reconciled from the REST IPN; the API call recorded, no credential.
    let state = order_state(shop, &order);
    assert_eq!(state["state"], "paid");
    assert_eq!(state["paid"], 1250);
    assert_eq!(state["notifications"][0]["verdict"], "accepted");
    assert_eq!(state["api_calls"][0]["operation"], "Charge/CreatePayment");
    assert_eq!(state["api_calls"][0]["attempts"], 1);
    assert_eq!(state["api_calls"][0]["status"], 200);
    assert!(state["api_calls"][0]["code"].is_null());
    let html = agent()
        .get(&format!("{shop}/orders/{order}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(
        html.contains("The embedded form") && html.contains("Charge/CreatePayment"),
        "{html}"
    );
    for secret in [common::PASSWORD, "DemoRest4Vads2026", token.as_str()] {
        assert!(!html.contains(secret), "{secret} on the order page");
    }
    // The simulator serves the API to any client (as `vads api order-get` calls it).
    let shop_for_cli = {
        let mut c = ShopConfig::new("12345678", Mode::Test);
        c.test_password = Some(SecretString::new(common::PASSWORD.into()));
        c.api_url = Some(sim.clone());
        Shop::new(c).unwrap()
    };
    let client = vads::api::Client::for_shop(&shop_for_cli).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = rt
        .block_on(client.call(&vads::api::OrderGet::new(order.as_str())))
        .unwrap();
    assert_eq!(answer.transactions.len(), 1);
    assert_eq!(answer.transactions[0].amount, Some(1250));

    // The token pays once.
    let (_, again, _) = post(
        &format!("{sim}/embedded/decide"),
        &vads::testing::urlencode_pairs(&pay),
    );
    assert!(again.contains("INT_903"), "{again}");
}

#[test]
fn demo_toml_calls_the_simulator_api_at_its_default_address() {
    let c = ShopConfig::from_toml_file(concat!(env!("CARGO_MANIFEST_DIR"), "/demo.toml")).unwrap();
    assert_eq!(c.api_url.as_deref(), Some("http://127.0.0.1:8081"));
    let main = include_str!("../src/main.rs");
    assert!(main.contains("\"VADS_DEMO_SIMULATOR_ADDR\", \"127.0.0.1:8081\""));
    assert!(c.test_hmac_key_file.is_some() && c.test_password_file.is_some());
    Shop::new(c).unwrap();
}

#[test]
fn a_validation_through_the_api_reaches_the_shop_as_a_rest_ipn() {
    let running = start("api-refund");
    let shop = &running.demo.shop_url;
    let (order, status, _) = checkout(shop, "pay_later", false);
    assert_eq!(status, 200);
    assert_eq!(order_state(shop, &order)["state"], "pending");

    let api_shop = {
        let mut c = ShopConfig::new("12345678", Mode::Test);
        c.test_password = Some(SecretString::new(common::PASSWORD.into()));
        c.api_url = Some(running.demo.simulator_url.clone());
        Shop::new(c).unwrap()
    };
    let client = vads::api::Client::for_shop(&api_shop).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The hosted-form payment exists on the platform's side, under the IPN's uuid.
    let found = rt
        .block_on(client.call(&vads::api::OrderGet::new(order.as_str())))
        .unwrap();
    assert_eq!(found.transactions.len(), 1);
    let uuid = found.transactions[0].uuid.clone().unwrap();
    let t = rt
        .block_on(client.call(&vads::api::Validate::new(&uuid)))
        .unwrap();
    assert_eq!(t.detailed_status.as_deref(), Some("AUTHORISED"));
    // The simulator sends the REST IPN of the change; the shop records it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let state = order_state(shop, &order);
        if state["notifications"].as_array().unwrap().len() == 2 {
            assert_eq!(state["notifications"][1]["verdict"], "accepted", "{state}");
            assert_eq!(state["state"], "paid", "{state}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no IPN: {state}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_lost_notification_is_recovered_through_order_get() {
    let running = start("recovery");
    let shop = &running.demo.shop_url;
    let (order, status, page) = checkout(shop, "pay_lost", false);
    assert_eq!(status, 200);
    // The return comes back before anything is known: no notification was sent.
    assert!(
        page.contains("<strong id=\"state\">pending</strong>"),
        "{page}"
    );
    assert_eq!(
        order_state(shop, &order)["notifications"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Without any action, the sweeper asks Order/Get and the order is paid.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let state = loop {
        let state = order_state(shop, &order);
        if state["state"] == "paid" {
            break state;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not recovered: {state}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(state["paid"], 1250);
    assert!(state["recovered_at"].is_string(), "{state}");
    assert_eq!(state["api_calls"][0]["operation"], "Order/Get");
    assert!(state["notifications"].as_array().unwrap().is_empty());
    let html = agent()
        .get(&format!("{shop}/orders/{order}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(
        html.contains("Recovered through <code>Order/Get</code>"),
        "{html}"
    );
    // The notification arriving late (the back office resends it) is a duplicate.
    let (status, body, _) = post(
        &format!(
            "{}/admin/replay?order_id={order}",
            running.demo.simulator_url
        ),
        "",
    );
    assert_eq!((status, body.as_str()), (200, "shop answered 200"));
    let state = order_state(shop, &order);
    assert_eq!(state["notifications"][0]["verdict"], "duplicate", "{state}");
    assert_eq!(state["paid"], 1250);
}

#[test]
fn the_back_office_goes_through_the_api_and_never_moves_money_twice() {
    let running = start("back-office");
    let shop = &running.demo.shop_url;
    let op = |order: &str, body: &str| {
        let (status, _, location) = post(&format!("{shop}/orders/{order}/operation"), body);
        assert_eq!(status, 303);
        // Back to the order, at the notice that says what was done.
        let to = location.unwrap();
        to.strip_suffix("#api-done")
            .expect("lands at the notice")
            .to_owned()
    };
    // An authorised payment (not captured): a partial refund lowers it, a full one cancels.
    let (order, _, _) = checkout(shop, "pay", false);
    let to = op(&order, "op=refund_part&amount=500");
    assert!(to.ends_with("api=refund_part&result=ok"), "{to}");
    let state = order_state(shop, &order);
    assert_eq!(
        (state["state"].as_str(), state["paid"].as_u64()),
        (Some("paid"), Some(750)),
        "{state}"
    );
    let calls: Vec<&str> = state["api_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["operation"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["Order/Get", "Transaction/Update", "Order/Get"]);
    let to = op(&order, "op=refund");
    assert!(to.ends_with("result=ok"), "{to}");
    assert_eq!(order_state(shop, &order)["state"], "cancelled");
    // Again: nothing to refund, nothing sent.
    let to = op(&order, "op=refund");
    assert!(to.ends_with("result=nothing_to_refund"), "{to}");
    let to = op(&order, "op=cancel");
    assert!(to.ends_with("result=nothing_to_send"), "{to}");
    let html = agent()
        .get(&format!("{shop}{to}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(html.contains("already done: nothing was sent"), "{html}");
    let state = order_state(shop, &order);
    let sent: Vec<&str> = state["api_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["operation"].as_str().unwrap())
        .filter(|o| *o != "Order/Get")
        .collect();
    assert_eq!(sent, ["Transaction/Update", "Transaction/CancelOrRefund"]);

    // Manual validation, through the API, once.
    let (order, _, _) = checkout(shop, "pay_later", false);
    assert!(op(&order, "op=validate").ends_with("result=ok"));
    assert!(op(&order, "op=validate").ends_with("result=nothing_to_send"));
    assert_eq!(order_state(shop, &order)["state"], "paid");
    // What the status forbids is refused before sending.
    assert!(op(&order, "op=refund_part&amount=99999").ends_with("result=amount_above_refundable"));
}

#[test]
fn an_injected_fault_never_makes_the_back_office_move_money_twice() {
    let running = start("api-fault");
    let shop = &running.demo.shop_url;
    let sim = &running.demo.simulator_url;
    let (order, _, _) = checkout(shop, "pay", false);
    let (status, _, _) = post(
        &format!("{sim}/admin/api-fault"),
        "op=Transaction/Update&fault=drop",
    );
    assert_eq!(status, 200);
    let op = |body: &str| {
        let to = post(&format!("{shop}/orders/{order}/operation"), body)
            .2
            .unwrap();
        to.strip_suffix("#api-done")
            .expect("lands at the notice")
            .to_owned()
    };
    // Applied, the answer dropped: read back, found applied. The page showed nothing
    // given back when the button was pressed.
    assert!(op("op=refund_part&amount=500&refunded_now=0").ends_with("result=ok"));
    assert_eq!(order_state(shop, &order)["paid"], 750);
    assert_eq!(order_state(shop, &order)["lowered"], 500);
    // The impatient second press of the same page's button: refused (500 is already
    // taken off), nothing sent.
    let to = op("op=refund_part&amount=500&refunded_now=0");
    assert!(to.ends_with("result=refunded_changed"), "{to}");
    let state = order_state(shop, &order);
    assert_eq!(state["paid"], 750, "{state}");
    let updates: Vec<&serde_json::Value> = state["api_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["operation"] == "Transaction/Update")
        .collect();
    assert_eq!(updates.len(), 1, "{state}");
    assert_eq!(updates[0]["code"], "outcome_unknown");
    // And on the platform's side: 750 left, once.
    let api_shop = {
        let mut c = ShopConfig::new("12345678", Mode::Test);
        c.test_password = Some(SecretString::new(common::PASSWORD.into()));
        c.api_url = Some(sim.clone());
        Shop::new(c).unwrap()
    };
    let client = vads::api::Client::for_shop(&api_shop).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let view = rt
        .block_on(client.call(&vads::api::OrderGet::new(order.as_str())))
        .unwrap();
    assert_eq!(view.transactions[0].amount, Some(750));
}

/// The simulator's back office does what the platform would, and refuses the rest
/// before sending anything: a full refund refunds what is left, a refund above it and a
/// validation of a payment that needs none are refused (409, nothing sent).
#[test]
fn the_simulators_back_office_refuses_what_the_platform_would() {
    let running = start("sim_rules");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    let (order, _, _) = checkout(shop, "pay", false);
    let refused = |operation: &str| {
        let (status, page, _) = post(
            &format!("{sim}/admin/operation"),
            &format!("order_id={order}&{operation}"),
        );
        assert_eq!(status, 409, "{operation}: {page}");
        assert!(page.contains("Operation refused by the platform"), "{page}");
        assert!(
            page.contains("Nothing was done, nothing was sent"),
            "{page}"
        );
        page
    };
    let page = refused("op=validate");
    assert!(page.contains("this one is AUTHORISED"), "{page}");
    back_office(sim, &order, "op=refund_part&amount=500");
    let page = refused("op=refund_part&amount=751");
    assert!(
        page.contains("what is left to refund (750); 751 asked"),
        "{page}"
    );
    refused("op=rest_refund_part&amount=0");
    refused("op=refund_part&amount=ten");
    let page = refused("op=cancel");
    assert!(page.contains("partly refunded"), "{page}");
    let notifications = order_state(shop, &order)["notifications"]
        .as_array()
        .unwrap()
        .len();
    // The full refund: what is left, 7.50, not the payment's 12.50.
    back_office(sim, &order, "op=refund");
    let state = order_state(shop, &order);
    assert_eq!(state["state"], "refunded", "{state}");
    assert_eq!(
        (state["paid"].as_u64(), state["refunded"].as_u64()),
        (Some(1250), Some(1250))
    );
    assert_eq!(
        state["notifications"].as_array().unwrap().len(),
        notifications + 1,
        "the refusals sent nothing"
    );
    let page = refused("op=refund");
    assert!(page.contains("nothing is left to refund"), "{page}");
    // The back office page offers none of it.
    let page = get_page(&format!("{sim}/admin/order?order_id={order}"));
    for id in [
        "validate",
        "cancel",
        "refund",
        "refund_part",
        "rest_refund_part",
    ] {
        assert!(
            page.contains(&format!("id=\"{id}\" type=\"button\" disabled")),
            "{id}: {page}"
        );
    }
    assert!(page.contains("id=\"replay\"") || page.contains("rest_payment"));
}

/// A database left by an earlier demo, whose delivery log has no operation or amount
/// column: the demo adds them and logs as before.
#[test]
fn a_database_from_an_earlier_demo_gets_the_new_columns() {
    let db = std::env::temp_dir().join(format!("vads-demo-old-{}.sqlite", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = vads_store::Store::open_sqlite_file(&db).await.unwrap();
        vads_store::sqlx::query(
            "CREATE TABLE demo_deliveries (n INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT, endpoint TEXT NOT NULL, \
             format TEXT NOT NULL, source TEXT, status TEXT, verdict TEXT NOT NULL, code TEXT, answer BIGINT NOT NULL, \
             instance TEXT NOT NULL, received_ms BIGINT NOT NULL)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        vads_store::sqlx::query(
            "INSERT INTO demo_deliveries (order_id, endpoint, format, verdict, answer, instance, received_ms) \
             VALUES ('OLD-1', '/notify', 'vads_*', 'accepted', 200, 'old', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
    });
    let running = common::start_on(db, vads_demo::Limits::default());
    let shop = &running.demo.shop_url;
    let (order, _, _) = checkout(shop, "pay", false);
    let state = order_state(shop, &order);
    assert_eq!(state["notifications"][0]["verdict"], "accepted", "{state}");
    let page = get_page(&format!("{shop}/orders/{order}"));
    assert!(
        page.contains("<td data-label=\"Operation\">DEBIT</td>"),
        "{page}"
    );
    assert!(page.contains("12.50 EUR</td>"), "{page}");
}

/// A PRODUCTION shop's notification, signed with the live key, to `/notify/live`.
fn live_notification(order: &str, uuid: &str, status: TransStatus, credit: bool) -> String {
    let mut c = ShopConfig::new("12345678", Mode::Production);
    c.production_key = Some(SecretString::new(common::PRODUCTION_KEY.into()));
    let shop = Shop::new(c).unwrap();
    let mut b = NotificationBuilder::new(&shop)
        .order_id(order)
        .amount(1250)
        .trans_uuid(uuid)
        .status(status);
    if credit {
        b = b.field("vads_operation_type", "CREDIT");
    }
    b.body().unwrap()
}

fn state_in(shop: &str, order: &str, mode: &str) -> (u16, String) {
    let r = agent()
        .get(&format!("{shop}/api/orders/{order}?mode={mode}"))
        .call()
        .unwrap();
    (r.status().as_u16(), r.into_body().read_to_string().unwrap())
}

/// Waits until the outbox worker has handled what it will, then the order's JSON.
fn settled(shop: &str, order: &str, mode: &str) -> serde_json::Value {
    std::thread::sleep(std::time::Duration::from_millis(800));
    let (status, body) = state_in(shop, order, mode);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn a_test_notification_never_changes_the_production_order_of_the_same_id() {
    let running = start("modes");
    let shop = &running.demo.shop_url;
    // A TEST order, refused.
    let (order, _, _) = checkout(shop, "refuse", false);
    assert_eq!(order_state(shop, &order)["outcome"], "failed");
    // No PRODUCTION order of that id yet: 404, and a mode that is not one: 400.
    assert_eq!(state_in(shop, &order, "PRODUCTION").0, 404);
    assert_eq!(state_in(shop, &order, "prod").0, 400);
    assert_eq!(state_in(shop, "NO-SUCH-ORDER", "TEST").0, 404);

    // The PRODUCTION order of the same id is paid (the live deployment's notification).
    let live_paid = live_notification(
        &order,
        "feedfacefeedfacefeedfacefeedface",
        TransStatus::Captured,
        false,
    );
    let (status, _, _) = post(&format!("{shop}/notify/live"), &live_paid);
    assert_eq!(status, 200);
    let live = settled(shop, &order, "PRODUCTION");
    assert_eq!(
        (
            live["mode"].as_str(),
            live["outcome"].as_str(),
            live["paid"].as_u64()
        ),
        (Some("PRODUCTION"), Some("paid"), Some(1250))
    );
    assert_eq!(live["shipments"], 1, "{live}");
    // The TEST order is still refused, and shipped nothing.
    let test = settled(shop, &order, "TEST");
    assert_eq!(
        (
            test["mode"].as_str(),
            test["outcome"].as_str(),
            test["paid"].as_u64()
        ),
        (Some("TEST"), Some("failed"), Some(0))
    );
    assert_eq!(test["shipments"], 0);

    // A TEST refund of the whole amount for that id: the TEST order only.
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(common::KEY.into()));
    let test_shop = Shop::new(c).unwrap();
    let test_refund = NotificationBuilder::new(&test_shop)
        .order_id(&order)
        .amount(1250)
        .trans_uuid("0123456789abcdef0123456789abcdef")
        .status(TransStatus::Captured)
        .field("vads_operation_type", "CREDIT")
        .body()
        .unwrap();
    let (status, _, _) = post(&format!("{shop}/notify"), &test_refund);
    assert_eq!(status, 200);
    let live = settled(shop, &order, "PRODUCTION");
    assert_eq!(
        (live["outcome"].as_str(), live["refunded"].as_u64()),
        (Some("paid"), Some(0))
    );
    assert_eq!(live["shipments"], 1);
    let test = settled(shop, &order, "TEST");
    assert_eq!(
        test["outcome"], "needs_attention",
        "a refund without a payment: {test}"
    );

    // A TEST notification posted to the PRODUCTION deployment: refused there
    // (mode_mismatch), nothing recorded in either mode.
    let (status, _, _) = post(&format!("{shop}/notify/live"), &test_refund);
    assert_eq!(status, 400);
    assert_eq!(settled(shop, &order, "PRODUCTION")["events"], 1);
}
