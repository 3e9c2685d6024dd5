//! A checkout a user can run, and a local stand-in for the payment platform: a protocol
//! playground.
//!
//! - The **shop** ([`shop`], axum + `vads-store` on SQLite or PostgreSQL): a product page; "Pay" creates an order and
//!   posts the signed form (built with [`vads::Shop::form`]) to the payment URL of the
//!   config; the notification endpoint takes both formats at one URL
//!   ([`vads::axum::VerifiedNotification`]: `vads_*` fields checked with the form key, REST
//!   answers with the REST password), records each transaction event once (keyed by
//!   [`vads::lifecycle::TransactionEvent::idempotency_key`], the same key for the same
//!   event in either format), logs every delivery with its verdict, and answers with
//!   [`vads::answer::answer`]. Each order has a page: the signed form (fields, masked
//!   signing string), every notification with its verdict (accepted, duplicate, refused
//!   with its code), and the state reconciled from the events.
//! - The **simulator** ([`simulator`]): the payment page (it checks the form like the
//!   platform), the choice of outcome, the notification (retried like the platform), the
//!   return, the back office, and the playground's deliveries: again, as a retry, as a
//!   forgery, as a TEST notification to the shop's PRODUCTION deployment, with a
//!   duplicated field.
//! - Both are served with the limits of [`server`]: body limit, header and request
//!   timeouts, a bound on connections.

mod guard;
mod server;
mod shop;
mod simulator;
mod ui;

pub use server::Limits;
pub use shop::{Database, CURRENCY, PRICE};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vads::{Shop, ShopConfig, Shops};

/// Where to listen and what to use.
pub struct DemoConfig {
    /// The shop's configuration, in TEST (its `payment_url` should be the simulator's).
    pub shop: ShopConfig,
    /// The same shop's PRODUCTION deployment, served at `/notify/live` (optional): what
    /// the playground sends a TEST notification to.
    pub live_shop: Option<ShopConfig>,
    /// The same shop, for the simulator (it needs the key to check and sign, like the
    /// platform).
    pub platform_shop: ShopConfig,
    /// The shop's listener.
    pub shop_listener: std::net::TcpListener,
    /// The simulator's listener.
    pub simulator_listener: std::net::TcpListener,
    /// Where the orders are kept: a SQLite file (created if missing) or a database URL
    /// (PostgreSQL: several instances may share it).
    pub database: Database,
    /// How long the outbox worker holds an entry it claimed: an instance killed while it
    /// held one, the entry goes to another after this.
    pub outbox_lease: Duration,
    /// Delay between the simulator's notification retries (the platform: 15 minutes).
    pub retry_delay: Duration,
    /// The servers' limits.
    pub limits: Limits,
    /// Whether the simulator sends a REST IPN for what a REST API operation changed (a
    /// refund, a cancellation, ...): the platform's behaviour is unconfirmed; the shop
    /// folds the operation's own answer in either way.
    pub notify_api_operations: bool,
    /// When to ask `Order/Get` for an order still pending (its notification lost), and
    /// how often to look; `None`: never.
    pub recovery: Option<(vads::api::recovery::SweepPolicy, Duration)>,
    /// `Host` names both servers answer to besides their bound address (and
    /// `localhost:PORT`): `VADS_DEMO_HOSTS`. Any other is answered 421.
    pub hosts: Vec<String>,
}

/// The running demo.
pub struct Demo {
    /// The shop's base URL, e.g. `http://127.0.0.1:8080`.
    pub shop_url: String,
    /// The simulator's base URL.
    pub simulator_url: String,
}

/// Starts the shop, its outbox worker and the simulator on the given listeners (in the
/// current tokio runtime).
///
/// # Errors
/// A sentence when the config, the database or a listener cannot be used.
pub async fn start(config: DemoConfig) -> Result<Demo, String> {
    let shop_addr = config
        .shop_listener
        .local_addr()
        .map_err(|e| e.to_string())?;
    let sim_addr = config
        .simulator_listener
        .local_addr()
        .map_err(|e| e.to_string())?;
    let shop_url = format!("http://{shop_addr}");
    let simulator_url = format!("http://{sim_addr}");
    let mut shop_config = config.shop;
    let to_simulator = shop_config
        .payment_url
        .as_deref()
        .is_some_and(|u| u.starts_with(&format!("{simulator_url}/")));
    // A shop that pays on the simulator calls the simulator's REST API too; one whose
    // config names an API host calls that one (another instance's simulator, say).
    let has_api = to_simulator || shop_config.api_url.is_some();
    if to_simulator && shop_config.api_url.is_none() {
        shop_config.api_url = Some(simulator_url.clone());
    }
    let shop = Shop::new(shop_config).map_err(|e| format!("shop config: {e}"))?;
    let shop_site = shop.site_id().to_owned();
    let live = config
        .live_shop
        .map(|c| Shop::new(c).map_err(|e| format!("production shop config: {e}")))
        .transpose()?;
    let platform_shop =
        Shop::new(config.platform_shop).map_err(|e| format!("simulator config: {e}"))?;
    // The embedded form needs the REST API: a client when the shop has its credentials.
    let api = vads::api::Client::for_shop(&shop).ok().filter(|_| has_api);
    // Zero-click charges: the merchant-initiated channel's client, when it is on.
    let charges = vads::api::Client::for_channel(
        &shop,
        vads::Channel::MerchantInitiated,
        vads::api::ClientConfig::default(),
    )
    .ok()
    .filter(|_| has_api);
    let shop_state = Arc::new(shop::ShopState {
        shops: Arc::new(Shops::from(shop)),
        live: live.map(|l| Arc::new(Shops::from(l))),
        store: shop::store::open(&config.database, (shop_site.clone(), vads::Mode::Test)).await?,
        instance: format!("shop@{shop_addr}"),
        base_url: shop_url.clone(),
        simulator_url: to_simulator.then(|| simulator_url.clone()),
        api,
        charges,
    });
    // What an API operation changed goes to a task that sends its REST IPN (the
    // simulator's setting), outside the API's request.
    let (changes, mut changed) = tokio::sync::mpsc::unbounded_channel();
    let mut platform = vads::testing::platform::Platform::for_shop(&platform_shop);
    if config.notify_api_operations {
        platform = platform.on_change(move |t| {
            let _ = changes.send(t.clone());
        });
    }
    let platform = Arc::new(platform);
    let sim_state = Arc::new(simulator::SimState {
        platform,
        shop: platform_shop,
        sessions: Mutex::new(HashMap::new()),
        last: Mutex::new(HashMap::new()),
        recurring: Mutex::new(HashMap::new()),
        retry_delay: config.retry_delay,
        next: Mutex::new(0),
    });
    let notifier = sim_state.clone();
    tokio::spawn(async move {
        while let Some(t) = changed.recv().await {
            simulator::notify_api_change(&notifier, t).await;
        }
    });
    for l in [&config.shop_listener, &config.simulator_listener] {
        l.set_nonblocking(true).map_err(|e| e.to_string())?;
    }
    let shop_listener =
        tokio::net::TcpListener::from_std(config.shop_listener).map_err(|e| e.to_string())?;
    let sim_listener =
        tokio::net::TcpListener::from_std(config.simulator_listener).map_err(|e| e.to_string())?;
    let limits = config.limits;
    tokio::spawn(shop::shipping::run(
        shop_state.clone(),
        config.outbox_lease,
        Duration::from_millis(200),
    ));
    if let Some((policy, every)) = config.recovery {
        tokio::spawn(shop::recovery::run(shop_state.clone(), policy, every));
    }
    // Only their own host names; the shop's back office only from the shop's pages, the
    // simulator's admin from the shop's and its own (the order page's buttons post there).
    let shop_hosts = guard::host_names(shop_addr, &config.hosts);
    let sim_hosts = guard::host_names(sim_addr, &config.hosts);
    let shop_guard = guard::Guard::new(
        shop_hosts.clone(),
        &shop_hosts,
        vec![
            "/orders/*/operation",
            "/orders/*/charge",
            "/orders/*/subscription/cancel",
            "/order/",
        ],
    );
    let both: Vec<String> = shop_hosts.iter().chain(&sim_hosts).cloned().collect();
    let sim_guard = guard::Guard::new(sim_hosts, &both, vec!["/admin/"]);
    // Each side's requests run in a span of its name, so that the terminal's log says
    // which side verified what (`shop: vads: ...`, `simulator: vads: ...`).
    tokio::spawn(server::serve(
        shop_listener,
        in_span(guard::guarded(shop::router(shop_state), shop_guard), "shop"),
        limits,
    ));
    tokio::spawn(server::serve(
        sim_listener,
        in_span(
            guard::guarded(simulator::router(sim_state), sim_guard),
            "simulator",
        ),
        limits,
    ));
    Ok(Demo {
        shop_url,
        simulator_url,
    })
}

/// `router` with each request handled inside a span named `side` (`shop` or `simulator`).
fn in_span(router: axum::Router, side: &'static str) -> axum::Router {
    use tracing::Instrument;
    router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let span = if side == "shop" {
                tracing::info_span!("shop")
            } else {
                tracing::info_span!("simulator")
            };
            next.run(request).instrument(span)
        },
    ))
}
