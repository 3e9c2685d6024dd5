//! The demo's three flows of money that recurs, over HTTP: "Pay in 3" (installment 1 at
//! the payment, the others by the simulator's nightly batch, one refused on demand),
//! "Save my card" (a card check: never paid, its token masked on the page) and "Subscribe
//! monthly" (the card saved, each installment its own record, shipped once each, never a
//! second payment of the order).

mod common;

use common::{checkout_at, order_state, page, post, start};

/// Runs the simulator's nightly batch for `order` (`refuse`: the bank refuses); the shop's
/// answer, as the redirect back to the order page says it.
fn batch(simulator: &str, shop: &str, order: &str, refuse: bool) -> String {
    let back = format!("{shop}/orders/{order}");
    let (status, page, location) = post(
        &format!("{simulator}/admin/batch"),
        &format!(
            "order_id={order}&back={}{}",
            encode(&back),
            if refuse { "&refuse=1" } else { "" }
        ),
    );
    assert_eq!(status, 303, "back to the order page: {page}");
    let location = location.unwrap();
    assert!(location.starts_with(&back), "{location}");
    location
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    vads::testing::urlencode_into(text, &mut out);
    out
}

/// Waits until the outbox worker has handled what the order's JSON says.
fn settled(
    shop: &str,
    order: &str,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    for _ in 0..100 {
        let state = order_state(shop, order);
        if ready(&state) {
            return state;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("order {order} never settled: {}", order_state(shop, order));
}

#[test]
fn pay_in_three_installments_by_the_nightly_batch() {
    let running = start("in3");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    let (order, status, ret) = checkout_at(shop, "/order/in-3", "pay", false);
    assert_eq!(status, 200);
    assert!(ret.contains("first installment went through"), "{ret}");
    let state = order_state(shop, &order);
    assert_eq!(state["outcome"], "paid");
    assert_eq!(
        state["paid"], 416,
        "installment 1 of 1250 in 3: 416, 417, 417"
    );
    assert_eq!(
        state["plan"],
        serde_json::json!({"count": 3, "first": 416, "total": 1250, "accepted": [1], "refused": []})
    );
    settled(shop, &order, |s| s["shipments"] == 1);

    // Installment 2 by the batch; installment 3 refused by the bank.
    let location = batch(sim, shop, &order, false);
    assert!(location.contains("sent=batch&"), "{location}");
    assert!(location.contains("answered=200"), "{location}");
    let location = batch(sim, shop, &order, true);
    assert!(location.contains("sent=batch_refused&"), "{location}");
    let state = order_state(shop, &order);
    assert_eq!(state["paid"], 833, "never more than the plan: 416 + 417");
    assert_eq!(state["outcome"], "needs_attention");
    assert_eq!(
        state["attention_codes"],
        serde_json::json!(["installment_refused"])
    );
    assert_eq!(
        state["attention"],
        serde_json::json!(["installment 3 refused"])
    );
    assert_eq!(state["plan"]["accepted"], serde_json::json!([1, 2]));
    assert_eq!(state["plan"]["refused"], serde_json::json!([3]));
    assert_eq!(
        state["shipments"], 1,
        "an order ships once, whatever its installments"
    );
    // Nothing is due any more: the batch says so and sends nothing.
    let (status, text, _) = post(&format!("{sim}/admin/batch"), &format!("order_id={order}"));
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("have all run"), "{text}");
    assert_eq!(
        order_state(shop, &order)["notifications"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // The page shows the plan, its installments and no money operation of the shop's.
    let html = page(&format!("{shop}/orders/{order}"));
    assert_eq!(
        html.matches("<tr class=\"installment\">").count(),
        3,
        "{html}"
    );
    assert!(html.contains("1 of 3") && html.contains("4.16"), "{html}");
    assert!(html.contains(">refused</span>"), "{html}");
    assert!(
        !html.contains("id=\"batch\""),
        "nothing left to run: no button"
    );
    assert!(!html.contains("id=\"refund\""), "{html}");
}

#[test]
fn save_my_card_is_never_paid_and_its_token_is_masked() {
    let running = start("card");
    let shop = &running.demo.shop_url;
    let (order, status, ret) = checkout_at(shop, "/order/save-card", "pay", false);
    assert_eq!(status, 200);
    assert!(ret.contains("Your card is saved"), "{ret}");
    let state = order_state(shop, &order);
    assert_eq!(state["outcome"], "verified");
    assert_eq!(state["paid"], 0);
    assert_eq!(state["token"]["status"], "CREATED");
    let masked = state["token"]["masked"].as_str().unwrap().to_owned();
    assert!(
        masked.contains('…') && masked.chars().count() == 9,
        "{masked}"
    );
    // Never shipped: no money came.
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(order_state(shop, &order)["shipments"], 0);
    let html = page(&format!("{shop}/orders/{order}"));
    assert!(
        html.contains(&format!("<code id=\"token\">{masked}</code>")),
        "{html}"
    );
    // The whole token is on no page: the form the shop signed has none (the platform
    // made it), and the notification table shows no field values.
    let form: Vec<(String, String)> = common::inputs(&html);
    assert!(form.iter().all(|(n, _)| n != "vads_identifier"));
    // The bank refuses the card check: not saved, not paid.
    let (order, _, ret) = checkout_at(shop, "/order/save-card", "refuse", false);
    assert!(!ret.contains("Your card is saved"), "{ret}");
    let state = order_state(shop, &order);
    assert_eq!(state["outcome"], "failed");
    assert_eq!(state["token"]["status"], "NOT_CREATED");
}

#[test]
fn a_subscriptions_installments_are_its_own_records_each_shipped_once() {
    let running = start("subscribe");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    let (order, status, ret) = checkout_at(shop, "/order/subscribe", "pay", false);
    assert_eq!(status, 200);
    assert!(ret.contains("You are subscribed"), "{ret}");
    let state = order_state(shop, &order);
    assert_eq!(state["outcome"], "verified");
    assert_eq!(state["paid"], 0, "no payment now");
    assert_eq!(state["subscription_status"], "CREATED");
    assert!(state["subscription"].as_str().unwrap().starts_with("SUB-"));
    assert!(state.get("installments").is_none());

    // Three nights: paid, refused, paid.
    batch(sim, shop, &order, false);
    batch(sim, shop, &order, true);
    batch(sim, shop, &order, false);
    let state = settled(shop, &order, |s| {
        s["installments"]
            .as_array()
            .is_some_and(|i| i.iter().filter(|i| i["shipments"] == 1).count() == 2)
    });
    let installments: Vec<(u64, String, u64, u64)> = state["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["recurrence_number"].as_u64().unwrap(),
                i["outcome"].as_str().unwrap().to_owned(),
                i["paid"].as_u64().unwrap(),
                i["shipments"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        installments,
        [
            (1, "paid".to_owned(), 1250, 1),
            (2, "failed".to_owned(), 0, 0),
            (3, "paid".to_owned(), 1250, 1),
        ]
    );
    // The order that created it: still a card check, nothing paid, no alarm.
    assert_eq!(state["outcome"], "verified");
    assert_eq!(state["paid"], 0);
    assert_eq!(state["attention"], serde_json::json!([]));
    assert_eq!(state["shipments"], 0);
    let html = page(&format!("{shop}/orders/{order}"));
    assert_eq!(
        html.matches("<tr class=\"sub-installment\">").count(),
        3,
        "{html}"
    );
    assert!(
        html.contains("id=\"batch\""),
        "a subscription keeps running"
    );
}

/// Presses "Charge my saved card again" of the page that showed number `n`.
fn charge_again(shop: &str, order: &str, n: u32) -> String {
    let (status, page, location) =
        post(&format!("{shop}/orders/{order}/charge"), &format!("n={n}"));
    assert_eq!(status, 303, "{page}");
    let location = location.unwrap();
    let result = location
        .split("charge=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    result
}

#[test]
fn a_saved_card_is_charged_again_once_even_on_a_double_click() {
    let running = start("charge-again");
    let shop = &running.demo.shop_url;
    let (order, _, _) = checkout_at(shop, "/order/save-card", "pay", false);
    let html = page(&format!("{shop}/orders/{order}"));
    assert!(html.contains("id=\"charge-again\""), "{html}");
    assert!(html.contains("name=\"n\" value=\"1\""), "{html}");

    // A double click: two presses of the same page's button at once.
    let (a, b) = std::thread::scope(|sc| {
        let one = sc.spawn(|| charge_again(shop, &order, 1));
        let two = sc.spawn(|| charge_again(shop, &order, 1));
        (one.join().unwrap(), two.join().unwrap())
    });
    let mut results = [a, b];
    results.sort();
    assert!(
        results == ["already_charged", "charged"] || results == ["busy", "charged"],
        "{results:?}"
    );
    // Pressed again later from the same (stale) page: nothing more.
    assert_eq!(charge_again(shop, &order, 1), "already_charged");
    let first = format!("{order}-R1");
    let state = settled(shop, &first, |s| s["shipments"] == 1);
    assert_eq!(
        (state["outcome"].as_str(), state["paid"].as_u64()),
        (Some("paid"), Some(1250))
    );
    // The platform holds one transaction for the charge.
    assert_eq!(
        platform_transactions(&running.demo.simulator_url, &first),
        1
    );

    // The page now offers charge 2 and lists charge 1; charging it is a second payment.
    let html = page(&format!("{shop}/orders/{order}?charge=charged"));
    assert!(html.contains("name=\"n\" value=\"2\""), "{html}");
    assert_eq!(html.matches("<tr class=\"charge\">").count(), 1, "{html}");
    assert!(html.contains("id=\"charge-result\""), "{html}");
    assert_eq!(charge_again(shop, &order, 2), "charged");
    settled(shop, &format!("{order}-R2"), |s| s["shipments"] == 1);
    // The saved-card order itself: still a card check, never paid, never shipped.
    let state = order_state(shop, &order);
    assert_eq!(
        (state["outcome"].as_str(), state["paid"].as_u64()),
        (Some("verified"), Some(0))
    );
    assert_eq!(state["shipments"], 0);
    // A refused card check saved nothing: no button, and a forged press charges nothing.
    let (refused, _, _) = checkout_at(shop, "/order/save-card", "refuse", false);
    assert!(!page(&format!("{shop}/orders/{refused}")).contains("id=\"charge-again\""));
    let (status, _, _) = post(&format!("{shop}/orders/{refused}/charge"), "n=1");
    assert_eq!(status, 409);
    assert_eq!(order_state_status(shop, &format!("{refused}-R1")), 404);
}

/// How many transactions the platform (the simulator's REST API, `Order/Get`) holds for
/// `order`.
fn platform_transactions(simulator: &str, order: &str) -> usize {
    let mut c = vads::ShopConfig::new("12345678", vads::Mode::Test);
    c.test_password = Some(vads::SecretString::new(common::PASSWORD.into()));
    c.api_url = Some(simulator.to_owned());
    let shop = vads::Shop::new(c).unwrap();
    let client = vads::api::Client::for_shop(&shop).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(client.call(&vads::api::OrderGet::new(order)))
        .unwrap()
        .transactions
        .len()
}

fn order_state_status(shop: &str, order: &str) -> u16 {
    common::agent()
        .get(&format!("{shop}/api/orders/{order}"))
        .call()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn the_subscription_page_reads_it_from_the_platform_and_cancels_it_once() {
    let running = start("subscription-page");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    let (order, _, _) = checkout_at(shop, "/order/subscribe", "pay", false);
    let html = page(&format!("{shop}/orders/{order}"));
    assert!(html.contains("id=\"subscription-link\""), "{html}");
    let url = format!("{shop}/orders/{order}/subscription");
    let sub = page(&url);
    assert!(
        sub.contains("<dd id=\"sub-status\">pending</dd>"),
        "starts tomorrow: {sub}"
    );
    assert!(sub.contains("<dd id=\"sub-past\">0 of"), "{sub}");
    // One installment by the nightly batch: counted on the platform.
    batch(sim, shop, &order, false);
    let sub = page(&url);
    assert!(sub.contains("<dd id=\"sub-past\">1 of"), "{sub}");
    // Cancelled, then cancelled again: done, then "already".
    for expected in ["cancelled", "already_cancelled"] {
        let (status, _, location) = post(&format!("{url}/cancel"), "");
        assert_eq!(status, 303);
        assert!(location.unwrap().ends_with(&format!("cancel={expected}")));
    }
    let sub = page(&url);
    assert!(
        sub.contains("<dd id=\"sub-status\">cancelled</dd>"),
        "{sub}"
    );
    assert!(!sub.contains("id=\"cancel-subscription\""), "{sub}");
    // The platform charges nothing more.
    let (status, text, _) = post(&format!("{sim}/admin/batch"), &format!("order_id={order}"));
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("cancelled"), "{text}");
    // An order without a subscription has no such page.
    let (plain, _, _) = common::checkout(shop, "pay", false);
    let r = common::agent()
        .get(&format!("{shop}/orders/{plain}/subscription"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[test]
fn two_instances_pressing_charge_at_once_charge_the_card_once() {
    let first = start("charge-two");
    let shop_a = &first.demo.shop_url;
    let sim = &first.demo.simulator_url;
    // A second instance: the same database, the same platform.
    let second = common::start_second(common::database_of("charge-two"), sim);
    let shop_b = &second.demo.shop_url;
    let (order, _, _) = checkout_at(shop_a, "/order/save-card", "pay", false);
    // Both instances show the same button for the same order.
    assert!(page(&format!("{shop_b}/orders/{order}")).contains("name=\"n\" value=\"1\""));
    for round in 1..=5 {
        let (a, b) = std::thread::scope(|sc| {
            let one = sc.spawn(|| charge_again(shop_a, &order, round));
            let two = sc.spawn(|| charge_again(shop_b, &order, round));
            (one.join().unwrap(), two.join().unwrap())
        });
        let mut results = [a, b];
        results.sort();
        assert!(
            results == ["already_charged", "charged"] || results == ["busy", "charged"],
            "round {round}: {results:?}"
        );
        assert_eq!(
            platform_transactions(sim, &format!("{order}-R{round}")),
            1,
            "round {round}"
        );
    }
    // Each charge shipped once, whichever instance's worker shipped it.
    for round in 1..=5 {
        settled(shop_a, &format!("{order}-R{round}"), |s| {
            s["shipments"] == 1
        });
    }
}
