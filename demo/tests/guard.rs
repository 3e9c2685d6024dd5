//! A back office nobody can forge: a cross-site POST to the shop's back office or the
//! simulator's admin changes nothing (403), while the notification endpoints, the return
//! URL and the payment pages keep taking what the platform and a buyer's browser post;
//! a foreign `Host` is answered 421; no page can be framed.

mod common;

use common::{agent, order_state, start};
use std::io::{Read, Write};

fn post_with(url: &str, body: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut r = agent()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded");
    for (n, v) in headers {
        r = r.header(*n, *v);
    }
    let answer = r.send(body.as_bytes()).unwrap();
    let status = answer.status().as_u16();
    (status, answer.into_body().read_to_string().unwrap())
}

/// A paid order: the form posted to the simulator, paid there.
fn paid_order(shop: &str) -> String {
    common::pay_at(shop, "/order", "pay", false).0
}

fn raw_get(addr: &str, host: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn a_cross_site_post_changes_nothing_and_the_platforms_routes_stay_open() {
    let running = start("guard");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    let order = paid_order(shop);
    assert_eq!(order_state(shop, &order)["outcome"], "paid");
    let operation = format!("{shop}/orders/{order}/operation");

    // Another site's page posts the cancel form: refused, nothing done, nothing called.
    for headers in [
        vec![("Origin", "http://evil.example")],
        vec![("Origin", "null")],
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Sec-Fetch-Site", "same-site")],
        vec![("Origin", sim.as_str()), ("Sec-Fetch-Site", "same-site")],
    ] {
        let (status, body) = post_with(&operation, "op=cancel", &headers);
        assert_eq!(status, 403, "{headers:?}: {body}");
        assert!(body.contains("nothing was done"), "{body}");
    }
    let state = order_state(shop, &order);
    assert_eq!(state["outcome"], "paid", "{state}");
    assert_eq!(state["api_calls"].as_array().unwrap().len(), 0);
    // The saved card's charge and the subscription's cancellation: refused too.
    for route in ["charge", "subscription/cancel"] {
        let (status, body) = post_with(
            &format!("{shop}/orders/{order}/{route}"),
            "n=1",
            &[("Origin", "http://evil.example")],
        );
        assert_eq!(status, 403, "{route}: {body}");
    }
    let charged = common::agent()
        .get(&format!("{shop}/api/orders/{order}-R1"))
        .call()
        .unwrap();
    assert_eq!(charged.status().as_u16(), 404, "no charge was made");
    // A new order from another site's page: refused too.
    let (status, _) = post_with(
        &format!("{shop}/order"),
        "",
        &[("Origin", "http://evil.example")],
    );
    assert_eq!(status, 403);

    // The simulator's admin: another site's page cannot arm a fault or send a refund.
    let (status, _) = post_with(
        &format!("{sim}/admin/api-fault"),
        "op=Transaction/Cancel&fault=drop",
        &[("Origin", "http://evil.example")],
    );
    assert_eq!(status, 403);
    let (status, _) = post_with(
        &format!("{sim}/admin/operation"),
        &format!("order_id={order}&op=refund"),
        &[
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    );
    assert_eq!(status, 403);
    assert_eq!(order_state(shop, &order)["refunded"], 0);

    // The shop's own page: done (the fault was not armed: the cancel is answered).
    let (status, _) = post_with(
        &operation,
        "op=cancel",
        &[("Origin", shop.as_str()), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(status, 303);
    let state = order_state(shop, &order);
    assert_eq!(state["outcome"], "cancelled", "{state}");
    let codes: Vec<&serde_json::Value> = state["api_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["code"])
        .collect();
    assert!(codes.iter().all(|c| c.is_null()), "{state}");
    // The shop's page may post to the simulator's admin (its playground buttons).
    let (status, _) = post_with(
        &format!("{sim}/admin/api-fault"),
        "op=Transaction/Cancel&fault=500",
        &[("Origin", shop.as_str()), ("Sec-Fetch-Site", "same-site")],
    );
    assert_eq!(status, 200);

    // What the platform and a buyer's browser post by design still goes through: the
    // payment page from a merchant's site anywhere, the return from the platform's page.
    let (status, _) = post_with(
        &format!("{sim}/vads-payment/"),
        "vads_site_id=12345678",
        &[
            ("Origin", "http://merchant.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    );
    assert_ne!(status, 403);
    let (status, _) = post_with(
        &format!("{shop}/return"),
        "vads_site_id=12345678",
        &[("Origin", sim.as_str()), ("Sec-Fetch-Site", "same-site")],
    );
    assert_ne!(status, 403);
    let (status, _) = post_with(
        &format!("{shop}/notify"),
        "vads_site_id=12345678",
        &[("Origin", "http://platform.example")],
    );
    assert_eq!(status, 400, "refused for its signature, not for its origin");
}

#[test]
fn only_the_demos_own_host_names_are_served_and_nothing_can_be_framed() {
    let running = start("hosts");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    for base in [shop, sim] {
        let addr = base.strip_prefix("http://").unwrap();
        let port = addr.rsplit(':').next().unwrap();
        let answer = raw_get(addr, &format!("evil.example:{port}"));
        assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
        assert!(answer.contains("frame-ancestors 'none'"), "{answer}");
        for host in [addr.to_owned(), format!("localhost:{port}")] {
            let answer = raw_get(addr, &host);
            assert!(answer.starts_with("HTTP/1.1 200"), "{host}: {answer}");
            let lower = answer.to_ascii_lowercase();
            assert!(
                lower.contains("content-security-policy: frame-ancestors 'none'"),
                "{answer}"
            );
            assert!(lower.contains("x-frame-options: deny"), "{answer}");
            assert!(
                lower.contains("x-content-type-options: nosniff"),
                "{answer}"
            );
        }
    }
    // Error pages too.
    let r = agent().get(&format!("{shop}/no-such-page")).call().unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
}
