//! Two demo instances on one PostgreSQL (`VADS_TEST_DATABASE_URL`), 200 orders, each
//! order's notifications (payment, capture, partial refund; or payment and its
//! cancellation) delivered three times each (PAY, RETRY, BO), concurrently, to both
//! instances, shuffled; one instance killed with SIGKILL mid-load and restarted.
//!
//! Checks: every event answered 200 is stored exactly once; every order's final state
//! equals the reconciliation of all its bodies; every shipment the outbox called for
//! happened exactly once; every outbox entry was handled once; every delivery answered 200
//! is in the delivery log. Prints its figures.
//!
//! In CI (`CI` set) a missing `VADS_TEST_DATABASE_URL` fails; elsewhere the test says it
//! was skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vads::lifecycle::{reconcile, Expected, OrderOutcome, TransactionEvent};
use vads::testing::NotificationBuilder;
use vads::{Shop, ShopConfig};
use vads_store::sqlx::{self, Row};

const ORDERS: usize = 200;
const COPIES: [&str; 3] = ["PAY", "RETRY", "BO"];
const WRITERS: usize = 16;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Instance {
    shop: u16,
    simulator: u16,
    child: Child,
}

/// A failing assertion still stops the instances (a leftover one would hold the
/// database's connections and fail the next run).
impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(database_url: &str, shop: u16, simulator: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vads-demo"))
        .env("VADS_DEMO_SHOP_ADDR", format!("127.0.0.1:{shop}"))
        .env("VADS_DEMO_SIMULATOR_ADDR", format!("127.0.0.1:{simulator}"))
        .env("VADS_DEMO_DATABASE_URL", database_url)
        .env("VADS_DEMO_LIVE_CONFIG", "none")
        .env("VADS_DEMO_OUTBOX_LEASE_MS", "2000")
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo binary starts")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if agent()
            .get(&format!("http://127.0.0.1:{port}/orders"))
            .call()
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the demo on port {port} did not start");
}

/// A fresh schema on the test database; the URL that selects it.
fn database(rt: &tokio::runtime::Runtime) -> Option<String> {
    let url = match std::env::var("VADS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var_os("CI").is_some() => {
            panic!("multi_instance: VADS_TEST_DATABASE_URL is not set, and CI must run this test")
        }
        _ => {
            // Straight to the terminal (not to the test's captured output): a skipped test says
            // so even when it "passes".
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"multi_instance: SKIPPED (not run): set VADS_TEST_DATABASE_URL=postgres://user:password@127.0.0.1/db to run it\n",
            );
            return None;
        }
    };
    let schema = format!("multi_{}", std::process::id());
    rt.block_on(async {
        let admin = vads_store::Store::open(&url).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(admin.pool())
            .await
            .unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(admin.pool())
            .await
            .unwrap();
    });
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

fn shop() -> Shop {
    let config =
        ShopConfig::from_toml_file(concat!(env!("CARGO_MANIFEST_DIR"), "/demo.toml")).unwrap();
    Shop::new(config).unwrap()
}

/// One event's notification, in three copies that differ only by `vads_url_check_src`.
fn copies(
    shop: &Shop,
    order: &str,
    uuid: &str,
    op: &str,
    status: &str,
    amount: u64,
) -> Vec<String> {
    let base = NotificationBuilder::new(shop)
        .order_id(order)
        .trans_uuid(uuid)
        .field("vads_operation_type", op)
        .field("vads_trans_status", status)
        .amount(amount)
        .fields();
    COPIES
        .iter()
        .map(|src| {
            NotificationBuilder::from_fields(shop, &base)
                .field("vads_url_check_src", *src)
                .body()
                .unwrap()
        })
        .collect()
}

fn create_order(port: u16) -> String {
    let html = agent()
        .post(&format!("http://127.0.0.1:{port}/order"))
        .send_empty()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    html.split("name=\"vads_order_id\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the order page carries its form")
        .to_owned()
}

/// A small deterministic shuffle (xorshift), so that a failure can be run again.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = usize::try_from(seed % (i as u64 + 1)).unwrap();
        items.swap(i, j);
    }
}

/// Whether the demo's outbox worker ships on this change (its rule: money arrived).
/// Whether an outbox entry calls for the order's shipment (the demo ships an order once,
/// whichever entry says it is paid first).
fn ships(to: &str) -> bool {
    matches!(to, "paid" | "partially_refunded")
}

#[test]
fn two_instances_one_postgres_a_kill_in_the_middle_each_event_once_each_shipment_once() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some(url) = database(&rt) else { return };
    let started = Instant::now();
    let mut instances: Vec<Instance> = (0..2)
        .map(|_| {
            let (shop, simulator) = (free_port(), free_port());
            Instance {
                shop,
                simulator,
                child: spawn(&url, shop, simulator),
            }
        })
        .collect();
    for i in &instances {
        wait_ready(i.shop);
    }
    let ports: Vec<u16> = instances.iter().map(|i| i.shop).collect();

    // 200 orders, created on both instances.
    let shop = shop();
    let orders: Vec<String> = (0..ORDERS).map(|i| create_order(ports[i % 2])).collect();
    assert_eq!(
        orders.iter().collect::<BTreeSet<_>>().len(),
        ORDERS,
        "order ids are distinct"
    );

    // Each order's events: even orders paid, captured, partly refunded; odd orders paid
    // then cancelled. Every event in three copies.
    let mut bodies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut deliveries: Vec<(String, String)> = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        let pay = format!("{:032x}", 0xa000_0000_u64 + i as u64);
        let mut events = vec![copies(
            &shop,
            order,
            &pay,
            "DEBIT",
            "AUTHORISED",
            vads_demo::PRICE,
        )];
        if i % 2 == 0 {
            events.push(copies(
                &shop,
                order,
                &pay,
                "DEBIT",
                "CAPTURED",
                vads_demo::PRICE,
            ));
            let refund = format!("{:032x}", 0xb000_0000_u64 + i as u64);
            events.push(copies(&shop, order, &refund, "CREDIT", "CAPTURED", 300));
        } else {
            events.push(copies(
                &shop,
                order,
                &pay,
                "DEBIT",
                "CANCELLED",
                vads_demo::PRICE,
            ));
        }
        for copy in events.into_iter().flatten() {
            bodies.entry(order.clone()).or_default().push(copy.clone());
            deliveries.push((order.clone(), copy));
        }
    }
    shuffle(&mut deliveries, 0x5eed_2026);
    let total = deliveries.len();

    // Deliver: WRITERS threads, each delivery to one instance, to the other on a failure
    // (connection refused while an instance is down, a 500), until answered 200.
    let queue = Arc::new(Mutex::new(
        deliveries.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let done = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (queue, done, failures, answered, ports) = (
                queue.clone(),
                done.clone(),
                failures.clone(),
                answered.clone(),
                ports.clone(),
            );
            std::thread::spawn(move || {
                let agent = agent();
                loop {
                    let Some((n, (_, body))) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let mut target = n % 2;
                    for attempt in 0.. {
                        assert!(attempt < 200, "a delivery was never answered 200");
                        let r = agent
                            .post(&format!("http://127.0.0.1:{}/notify", ports[target]))
                            .header("content-type", "application/x-www-form-urlencoded")
                            .send(body.as_bytes());
                        match r {
                            Ok(r) if r.status() == 200 => break,
                            _ => {
                                failures.fetch_add(1, Ordering::Relaxed);
                                target = 1 - target;
                                std::thread::sleep(Duration::from_millis(20));
                            }
                        }
                    }
                    answered.lock().unwrap().push(body);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    // Mid-load: SIGKILL the first instance, then start it again on the same ports.
    while done.load(Ordering::Relaxed) < total * 2 / 5 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed_at = done.load(Ordering::Relaxed);
    instances[0].child.kill().unwrap(); // SIGKILL on Unix
    instances[0].child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    instances[0].child = spawn(&url, instances[0].shop, instances[0].simulator);
    wait_ready(instances[0].shop);
    for w in writers {
        w.join().unwrap();
    }
    let delivered = started.elapsed();
    assert_eq!(answered.lock().unwrap().len(), total);

    // The outbox drains (an entry the killed instance held comes back after its lease).
    let check = rt.block_on(vads_store::Store::open(&url)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while rt.block_on(check.outbox_pending()).unwrap() > 0 {
        assert!(Instant::now() < deadline, "the outbox did not drain");
        std::thread::sleep(Duration::from_millis(100));
    }

    // 1. Every event answered 200 is stored exactly once.
    let mut wanted_keys = BTreeSet::new();
    let mut events_of: BTreeMap<String, Vec<TransactionEvent>> = BTreeMap::new();
    for (order, list) in &bodies {
        for body in list {
            let n = shop.verify(body.as_bytes()).unwrap();
            wanted_keys.insert(n.idempotency_key());
            events_of
                .entry(order.clone())
                .or_default()
                .push(TransactionEvent::from_notification(&n));
        }
    }
    let stored: Vec<String> = rt
        .block_on(
            sqlx::query_scalar("SELECT idempotency_key FROM vads_events").fetch_all(check.pool()),
        )
        .unwrap();
    let stored_set: BTreeSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), stored_set.len(), "an event stored twice");
    assert_eq!(
        stored_set, wanted_keys,
        "every event answered 200 is stored, nothing else"
    );

    // 2. Every order's final state is the reconciliation of all its bodies; 3. its
    // shipments are what the outbox called for, each once.
    let outbox = rt
        .block_on(
            sqlx::query(
                "SELECT id, order_id, from_outcome, to_outcome FROM vads_outbox ORDER BY id",
            )
            .fetch_all(check.pool()),
        )
        .unwrap();
    let mut ship_entries: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for r in &outbox {
        let (id, order): (i64, String) = (r.try_get(0).unwrap(), r.try_get(1).unwrap());
        let to: String = r.try_get(3).unwrap();
        if ships(&to) {
            ship_entries.entry(order).or_default().insert(id);
        }
    }
    let shipped = rt
        .block_on(
            sqlx::query("SELECT order_id, outbox_id FROM demo_shipped").fetch_all(check.pool()),
        )
        .unwrap();
    let mut shipped_of: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in &shipped {
        shipped_of
            .entry(r.try_get(0).unwrap())
            .or_default()
            .push(r.try_get(1).unwrap());
    }
    let expected = Expected {
        amount: vads_demo::PRICE,
        currency: Some("978".into()),
    };
    let mut paid_orders = 0;
    let mut cancelled_shipped = 0;
    for (i, order) in orders.iter().enumerate() {
        let want = reconcile(events_of[order].clone(), Some(&expected)).unwrap();
        let got: serde_json::Value = serde_json::from_str(
            &agent()
                .get(&format!(
                    "http://127.0.0.1:{}/api/orders/{order}",
                    ports[i % 2]
                ))
                .call()
                .unwrap()
                .into_body()
                .read_to_string()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(got["order_id"], order.as_str());
        assert_eq!(got["outcome"], want.outcome.as_str(), "{order}: {got}");
        assert_eq!(got["paid"], want.paid, "{order}");
        assert_eq!(got["refunded"], want.refunded, "{order}");
        assert_eq!(
            got["currency"].as_str(),
            want.currency.as_deref(),
            "{order}"
        );
        let calls_for: Vec<i64> = ship_entries
            .get(order)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let shipped_for = shipped_of.get(order).cloned().unwrap_or_default();
        // One shipment per order that an entry called for, made by one of those entries.
        assert_eq!(
            shipped_for.len(),
            calls_for.len().min(1),
            "{order}: shipped once if the outbox called for it"
        );
        assert!(
            shipped_for.iter().all(|id| calls_for.contains(id)),
            "{order}: shipped by an entry that called for it"
        );
        assert_eq!(got["shipments"], shipped_for.len(), "{order}");
        if i % 2 == 0 {
            assert_eq!(want.outcome, OrderOutcome::PartiallyRefunded, "{order}");
            assert_eq!(shipped_for.len(), 1, "{order}: a paid order ships once");
            paid_orders += 1;
        } else {
            assert_eq!(want.outcome, OrderOutcome::Cancelled, "{order}");
            // Shipped when its authorisation (paid) arrived before its cancellation.
            cancelled_shipped += shipped_for.len();
        }
    }

    // 4. Every outbox entry handled once; 5. every delivery answered 200 logged.
    let handled: i64 = rt
        .block_on(
            sqlx::query_scalar("SELECT COUNT(*) FROM demo_outbox_handled").fetch_one(check.pool()),
        )
        .unwrap();
    assert_eq!(usize::try_from(handled).unwrap(), outbox.len());
    let logged: i64 = rt
        .block_on(
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM demo_deliveries WHERE answer = 200 AND endpoint = '/notify'",
            )
            .fetch_one(check.pool()),
        )
        .unwrap();
    assert!(
        usize::try_from(logged).unwrap() >= total,
        "{logged} logged of {total} answered"
    );
    let duplicates: i64 = rt
        .block_on(
            sqlx::query_scalar("SELECT COUNT(*) FROM demo_deliveries WHERE verdict = 'duplicate'")
                .fetch_one(check.pool()),
        )
        .unwrap();
    let reclaimed: i64 = rt
        .block_on(
            sqlx::query_scalar("SELECT COUNT(*) FROM vads_outbox WHERE attempts > 1")
                .fetch_one(check.pool()),
        )
        .unwrap();
    println!(
        "multi_instance: {ORDERS} orders, {total} deliveries ({} events x {} copies) by {WRITERS} writers to 2 instances; \
         answered 200: {total}; failed attempts retried: {}; duplicates: {duplicates}; kills: 1 (after {killed_at} deliveries); \
         outbox entries: {} (reclaimed after a lease: {reclaimed}); shipments: {}, each once ({paid_orders} paid orders; \
         {cancelled_shipped} cancelled orders whose authorisation arrived before their cancellation); \
         delivered in {:.1} s, checked in {:.1} s",
        wanted_keys.len(),
        COPIES.len(),
        failures.load(Ordering::Relaxed),
        outbox.len(),
        shipped.len(),
        delivered.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for mut i in instances {
        let _ = i.child.kill();
        let _ = i.child.wait();
    }
}
