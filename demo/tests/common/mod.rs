//! Starts the demo on ephemeral ports with its own database.
#![allow(dead_code)]

use std::time::Duration;
use vads::{Mode, SecretString, ShopConfig};

pub const KEY: &str = "DemoTestKey4Vads2026";
pub const PRODUCTION_KEY: &str = "DemoProdKey9Vads2026live";
pub const PASSWORD: &str = "testpassword_DemoRest4Vads2026";
pub const HMAC_KEY: &str = "DemoHmacKey7Vads2026embedded";

pub struct Running {
    pub demo: vads_demo::Demo,
    _rt: tokio::runtime::Runtime,
}

fn config(payment_url: Option<String>) -> ShopConfig {
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(KEY.into()));
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    c.test_hmac_key = Some(SecretString::new(HMAC_KEY.into()));
    c.payment_url = payment_url;
    c.channels.merchant_initiated = vads::ChannelMode::Test;
    c
}

fn live_config() -> ShopConfig {
    let mut c = ShopConfig::new("12345678", Mode::Production);
    c.production_key = Some(SecretString::new(PRODUCTION_KEY.into()));
    c
}

/// Recovery in test time: an order pending 1 s after it started is asked for.
fn recovery_policy() -> vads::api::recovery::SweepPolicy {
    let mut p = vads::api::recovery::SweepPolicy::default();
    p.after = Duration::from_secs(1);
    p.backoff = Duration::from_secs(1);
    p
}

pub fn start(name: &str) -> Running {
    start_with(name, vads_demo::Limits::default())
}

pub fn start_with(name: &str, limits: vads_demo::Limits) -> Running {
    let db = std::env::temp_dir().join(format!("vads-demo-{name}-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&db);
    start_on(db, limits)
}

/// The SQLite file of the demo started by [`start`] as `name`.
pub fn database_of(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("vads-demo-{name}-{}.sqlite", std::process::id()))
}

/// A second instance of a demo: the same database `db`, its forms and its REST API calls
/// going to the first instance's simulator at `simulator` (one platform, two shops).
pub fn start_second(db: std::path::PathBuf, simulator: &str) -> Running {
    let mut shop = config(Some(format!("{simulator}/vads-payment/")));
    shop.api_url = Some(simulator.to_owned());
    start_with_config(db, vads_demo::Limits::default(), shop)
}

/// The demo on the SQLite file `db` as it is (a database an earlier run left, say).
pub fn start_on(db: std::path::PathBuf, limits: vads_demo::Limits) -> Running {
    let sim = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/vads-payment/", sim.local_addr().unwrap());
    start_listening(db, limits, config(Some(url)), sim)
}

fn start_with_config(
    db: std::path::PathBuf,
    limits: vads_demo::Limits,
    shop: ShopConfig,
) -> Running {
    let sim = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    start_listening(db, limits, shop, sim)
}

fn start_listening(
    db: std::path::PathBuf,
    limits: vads_demo::Limits,
    shop: ShopConfig,
    simulator_listener: std::net::TcpListener,
) -> Running {
    let shop_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let demo = rt
        .block_on(async {
            vads_demo::start(vads_demo::DemoConfig {
                shop,
                live_shop: Some(live_config()),
                platform_shop: config(None),
                shop_listener,
                simulator_listener,
                database: vads_demo::Database::SqliteFile(db),
                outbox_lease: Duration::from_secs(5),
                retry_delay: Duration::from_millis(200),
                limits,
                notify_api_operations: true,
                recovery: Some((recovery_policy(), Duration::from_millis(200))),
                hosts: Vec::new(),
            })
            .await
        })
        .unwrap();
    Running { demo, _rt: rt }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

pub fn order_state(shop_url: &str, order_id: &str) -> serde_json::Value {
    let body = agent()
        .get(&format!("{shop_url}/api/orders/{order_id}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    serde_json::from_str(&body).unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The hidden inputs of the forms of an HTML page, in order.
pub fn inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input ")
        .skip(1)
        .filter_map(|tag| {
            let attr = |a: &str| {
                tag.split(&format!("{a}=\""))
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .map(unescape)
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

/// A form POST: status, body, `Location`.
pub fn post(url: &str, body: &str) -> (u16, String, Option<String>) {
    let r = agent()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, r.into_body().read_to_string().unwrap(), location)
}

/// Pays (or refuses, or cancels) one order; returns its id, the return page's status and
/// the return page.
pub fn checkout(shop: &str, choice: &str, tamper: bool) -> (String, u16, String) {
    checkout_at(shop, "/order", choice, tamper)
}

/// As [`checkout`], from the product page's button that posts to `path` (`/order/in-3`,
/// `/order/save-card`, `/order/subscribe`).
pub fn checkout_at(shop: &str, path: &str, choice: &str, tamper: bool) -> (String, u16, String) {
    let (order_id, status, page, decided) = pay_at(shop, path, choice, tamper);
    let Some((status, location)) = decided else {
        return (order_id, status, page);
    };
    assert_eq!(status, 303, "redirect to the shop's return URL");
    let r = agent().get(&location.unwrap()).call().unwrap();
    let status = r.status().as_u16();
    (order_id, status, r.into_body().read_to_string().unwrap())
}

/// The order created by posting to `path`, its form posted to the simulator and decided
/// with `choice` — the browser not sent back: the order id, the payment page's status and
/// page, and (when the page took the form) the decision's status and `Location`.
pub fn pay_at(
    shop: &str,
    path: &str,
    choice: &str,
    tamper: bool,
) -> (String, u16, String, Option<(u16, Option<String>)>) {
    let (_, page, _) = post(&format!("{shop}{path}"), "");
    let action = page
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut fields = inputs(&page);
    let order_id = fields
        .iter()
        .find(|(n, _)| n == "vads_order_id")
        .unwrap()
        .1
        .clone();
    if tamper {
        fields
            .iter_mut()
            .find(|(n, _)| n == "vads_amount")
            .unwrap()
            .1 = "1".into();
    }
    let (status, page, _) = post(&action, &vads::testing::urlencode_pairs(&fields));
    if status != 200 {
        return (order_id, status, page, None);
    }
    let token = inputs(&page)
        .into_iter()
        .find(|(n, _)| n == "token")
        .unwrap()
        .1;
    let decide = action.replace("/vads-payment/", "/vads-payment/decide");
    let (decided, _, location) = post(&decide, &format!("token={token}&choice={choice}"));
    (order_id, status, page, Some((decided, location)))
}

/// A page's HTML.
pub fn page(url: &str) -> String {
    agent()
        .get(url)
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap()
}
