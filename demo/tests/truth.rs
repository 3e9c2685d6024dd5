//! Pages that tell the truth, and an order that ships once: every path of the back
//! office (the shop's, through the API; the simulator's; the CLI's `vads refund`) ships
//! an order at most once; what was lowered before capture reads as lowered on the page,
//! in `/api/orders` and for `vads::api::money` alike; buttons only where the operation
//! applies; a recovered order reads as paid, with its refund buttons; a notification the
//! shop cannot record is kept whole and shown on the attention page.

mod common;

use common::{agent, order_state, page as get, post, start};
use vads::testing::NotificationBuilder;
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus};

/// An order paid (or refused...) on the simulator; its id.
fn checkout(shop: &str, choice: &str) -> String {
    common::pay_at(shop, "/order", choice, false).0
}

/// The shop's back office (its API), as its page's button posts it.
fn shop_op(shop: &str, order: &str, body: &str) -> String {
    let (status, _, location) = post(&format!("{shop}/orders/{order}/operation"), body);
    assert_eq!(status, 303);
    location.unwrap()
}

/// The simulator's back office.
fn sim_op(sim: &str, order: &str, body: &str) {
    let (status, page, _) = post(
        &format!("{sim}/admin/operation"),
        &format!("order_id={order}&{body}"),
    );
    assert_eq!(status, 200, "{page}");
}

/// The order once the outbox worker had time to ship it.
fn settled(shop: &str, order: &str) -> serde_json::Value {
    std::thread::sleep(std::time::Duration::from_millis(700));
    order_state(shop, order)
}

#[test]
fn every_back_office_path_ships_an_order_at_most_once() {
    let running = start("ships_once");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);

    // The newcomer's path: pay, refund 500 of the payment not captured yet (lowered),
    // then refund all that is left (cancelled).
    let order = checkout(shop, "pay");
    assert!(
        shop_op(shop, &order, "op=refund_part&amount=500&refunded_now=0").contains("result=ok")
    );
    let state = settled(shop, &order);
    assert_eq!(
        (
            state["outcome"].as_str(),
            state["paid"].as_u64(),
            state["lowered"].as_u64(),
            state["refunded"].as_u64()
        ),
        (Some("paid"), Some(750), Some(500), Some(0)),
        "{state}"
    );
    assert!(state["attention"].as_array().unwrap().is_empty(), "{state}");
    let page = get(&format!("{shop}/orders/{order}"));
    assert!(page.contains("id=\"lowered\""), "{page}");
    assert!(page.contains("from 12.50 EUR to 7.50 EUR"), "{page}");
    // The page's second partial refund carries what the page shows: 500 given back.
    assert!(
        page.contains("name=\"refunded_now\" value=\"500\""),
        "{page}"
    );
    assert!(shop_op(shop, &order, "op=refund").contains("result=ok"));
    let state = settled(shop, &order);
    assert_eq!(state["outcome"], "cancelled", "{state}");
    assert_eq!(state["shipments"], 1, "{state}");

    // The shop's back office: partial refunds of a captured payment, then the rest.
    let order = checkout(shop, "pay");
    sim_op(sim, &order, "op=refund_part&amount=100"); // captures it, refunds 100
    assert!(
        shop_op(shop, &order, "op=refund_part&amount=200&refunded_now=100").contains("result=ok")
    );
    assert!(shop_op(shop, &order, "op=refund").contains("result=ok"));
    let state = settled(shop, &order);
    assert_eq!(
        (state["outcome"].as_str(), state["refunded"].as_u64()),
        (Some("refunded"), Some(1250)),
        "{state}"
    );
    assert_eq!(state["shipments"], 1);

    // The simulator's back office: validate, refund part, refund the rest, replay.
    let order = checkout(shop, "pay_later");
    assert_eq!(
        settled(shop, &order)["shipments"],
        0,
        "not paid yet: not shipped"
    );
    sim_op(sim, &order, "op=validate");
    sim_op(sim, &order, "op=refund_part&amount=250");
    sim_op(sim, &order, "op=refund");
    post(&format!("{sim}/admin/replay?order_id={order}"), "");
    let state = settled(shop, &order);
    assert_eq!(state["outcome"], "refunded", "{state}");
    assert_eq!(state["shipments"], 1, "{state}");

    // Cancelled by the shop through the API: the simulator's back office (one state
    // with the API) offers no refund any more, and refuses one.
    let order = checkout(shop, "pay");
    assert!(shop_op(shop, &order, "op=cancel").contains("result=ok"));
    let bo = get(&format!("{sim}/admin/order?order_id={order}"));
    assert!(bo.contains("<strong>CANCELLED</strong>"), "{bo}");
    assert!(
        bo.contains("id=\"refund\" type=\"button\" disabled"),
        "{bo}"
    );
    let (status, _, _) = post(
        &format!("{sim}/admin/operation"),
        &format!("order_id={order}&op=refund"),
    );
    assert_eq!(status, 409);
    assert_eq!(
        settled(shop, &order)["shipments"],
        1,
        "shipped when paid, once"
    );
}

#[test]
fn buttons_only_where_the_operation_applies_and_a_recovered_order_reads_as_paid() {
    let running = start("buttons");
    let shop = &running.demo.shop_url;
    let page_of = |order: &str| get(&format!("{shop}/orders/{order}"));

    let refused = checkout(shop, "refuse");
    let page = page_of(&refused);
    for id in ["validate", "cancel", "refund", "refund_part"] {
        assert!(
            !page.contains(&format!("<button id=\"{id}\"")),
            "{id}: {page}"
        );
    }
    assert!(page.contains("id=\"no-operation\""), "{page}");

    let paid = checkout(shop, "pay");
    let page = page_of(&paid);
    assert!(!page.contains("<button id=\"validate\""), "{page}");
    for id in ["cancel", "refund", "refund_part"] {
        assert!(
            page.contains(&format!("<button id=\"{id}\"")),
            "{id}: {page}"
        );
    }
    shop_op(shop, &paid, "op=cancel");
    let page = page_of(&paid);
    for id in ["validate", "cancel", "refund", "refund_part"] {
        assert!(
            !page.contains(&format!("<button id=\"{id}\"")),
            "cancelled, {id}: {page}"
        );
    }

    let later = checkout(shop, "pay_later");
    assert!(page_of(&later).contains("<button id=\"validate\""));

    // A payment whose notification was lost, recovered through Order/Get: paid, with
    // its refund buttons, and no "has not ended yet".
    let lost = checkout(shop, "pay_lost");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while order_state(shop, &lost)["outcome"] != "paid" {
        assert!(std::time::Instant::now() < deadline, "not recovered");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let page = page_of(&lost);
    assert!(page.contains("<button id=\"refund\""), "{page}");
    assert!(!page.contains("has not ended yet"), "{page}");
}

#[test]
fn an_unrecordable_notification_is_kept_whole_and_listed_for_a_human() {
    let running = start("kept_whole");
    let shop = &running.demo.shop_url;
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(common::KEY.into()));
    let test_shop = Shop::new(c).unwrap();
    // A genuine notification whose order id the store cannot take (10 KB).
    let long = "L".repeat(10 * 1024);
    let body = NotificationBuilder::new(&test_shop)
        .order_id(&long)
        .amount(4321)
        .trans_uuid("abcdefabcdefabcdefabcdefabcdef12")
        .status(TransStatus::Captured)
        .body()
        .unwrap();
    let (status, _, _) = post(&format!("{shop}/notify"), &body);
    assert_eq!(status, 200, "kept, then answered 200");
    let page = get(&format!("{shop}/attention"));
    assert!(page.contains("store_order_id_invalid"), "{page}");
    assert!(page.contains("43.21 EUR"), "the amount is kept");
    assert!(
        page.contains("abcdefabcdefabcdefabcdefabcdef12"),
        "the uuid is kept"
    );
    assert!(page.contains("CAPTURED"), "the status is kept");
    assert!(
        page.contains("(10240 characters)"),
        "the order id, shortened"
    );
    assert!(
        page.contains(&format!("verified body, {} bytes", body.len())),
        "whole"
    );

    // An order that needs a human is listed with why.
    let order = checkout(shop, "pay");
    let refund = NotificationBuilder::new(&test_shop)
        .order_id(&order)
        .amount(99_999)
        .trans_uuid("1234567812345678123456781234567a")
        .status(TransStatus::Captured)
        .field("vads_operation_type", "CREDIT")
        .body()
        .unwrap();
    post(&format!("{shop}/notify"), &refund);
    let page = get(&format!("{shop}/attention"));
    assert!(page.contains(&format!(">{order}</a>")), "{page}");
    assert!(page.contains("more refunded than paid"), "{page}");
}

#[test]
fn a_refund_made_outside_the_shop_lands_as_the_platforms_word_not_a_conflict() {
    // What `vads refund` does from a terminal: the library's money operations against the
    // simulator's API, not through the shop. The simulator then notifies the shop (a REST
    // IPN of the lowered payment, stating what it was created with).
    let running = start("outside");
    let (shop, sim) = (&running.demo.shop_url, &running.demo.simulator_url);
    let order = checkout(shop, "pay");
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_password = Some(SecretString::new(common::PASSWORD.into()));
    c.api_url = Some(sim.clone());
    let client = vads::api::Client::for_shop(&Shop::new(c).unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let locks = vads::api::lock::LocalLocks::new();
    let money = vads::api::money::Money::new(&client, &locks);
    let amount = vads::api::money::RefundAmount::More {
        amount: 500,
        refunded_now: 0,
    };
    let done = rt.block_on(money.refund(&order, amount)).unwrap();
    assert_eq!(done.state.lowered, 500);
    let state = settled(shop, &order);
    assert_eq!(
        (
            state["outcome"].as_str(),
            state["paid"].as_u64(),
            state["lowered"].as_u64()
        ),
        (Some("paid"), Some(750), Some(500)),
        "{state}"
    );
    assert!(state["attention"].as_array().unwrap().is_empty(), "{state}");
    let verdicts: Vec<&str> = state["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["accepted", "accepted"], "{state}");
    // The same refund again from the terminal, given what the shop's page shows: sent
    // nothing, the platform shows 500 given back already.
    let again = rt.block_on(money.refund(&order, vads::api::money::RefundAmount::Total(500)));
    assert!(again.unwrap().sent.is_empty());
}

#[test]
fn a_rehearsal_is_answered_and_recorded_nowhere() {
    let running = start("rehearsal");
    let shop = &running.demo.shop_url;
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(common::KEY.into()));
    let test_shop = Shop::new(c).unwrap();
    // What `vads rehearse --url` posts.
    let body = NotificationBuilder::new(&test_shop)
        .status(TransStatus::Abandoned)
        .amount(0)
        .order_id("VADS-REHEARSAL-1")
        .field(vads::REHEARSAL_FIELD, "1")
        .body()
        .unwrap();
    let (status, _, _) = post(&format!("{shop}/notify"), &body);
    assert_eq!(status, 200);
    let r = agent()
        .get(&format!("{shop}/api/orders/VADS-REHEARSAL-1"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "no order keeps it");
    assert!(!get(&format!("{shop}/attention")).contains("VADS-REHEARSAL"));
}

#[test]
fn an_order_the_simulator_never_took_says_so_without_a_dangling_code() {
    // What instance 2's simulator shows for an order paid on instance 1's.
    let running = start("other_instance");
    let sim = &running.demo.simulator_url;
    for r in [
        agent()
            .get(&format!("{sim}/admin/order?order_id=ORD-ELSEWHERE"))
            .call()
            .unwrap(),
        agent()
            .post(&format!("{sim}/admin/operation"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(&b"order_id=ORD-ELSEWHERE&op=replay"[..])
            .unwrap(),
    ] {
        assert_eq!(r.status().as_u16(), 404);
        let page = r.into_body().read_to_string().unwrap();
        assert!(
            page.contains("<title>No payment for this order here</title>"),
            "{page}"
        );
        assert!(
            page.contains("Each instance of the demo runs its own simulator"),
            "{page}"
        );
        assert!(!page.contains("--</"), "{page}");
    }
}
