//! `vads-demo`: starts the demo shop and the platform simulator on 127.0.0.1 and prints
//! the URL to open.
//!
//! Settings (environment): `VADS_DEMO_CONFIG` (default: demo.toml beside this crate),
//! `VADS_DEMO_LIVE_CONFIG` (the same shop's PRODUCTION deployment, served at
//! `/notify/live`; default: demo-production.toml beside this crate; `none` for none),
//! `VADS_DEMO_SHOP_ADDR` (127.0.0.1:8080), `VADS_DEMO_SIMULATOR_ADDR` (127.0.0.1:8081),
//! `VADS_DEMO_HOSTS` (more `Host` names the servers answer to, comma-separated, e.g.
//! `demo.internal:8080,demo.internal:8081`; any other is answered 421),
//! `VADS_DEMO_DB` (a SQLite file; default: in the temporary folder), `VADS_DEMO_DATABASE_URL`
//! (`postgres://user:password@host/db` instead of the SQLite file: several instances may
//! share it), `VADS_DEMO_OUTBOX_LEASE_MS` (how long the outbox worker holds an entry;
//! 30000), `VADS_DEMO_API_IPN` (`off`: the
//! simulator sends no IPN for what a REST API operation changed). When the config's
//! `payment_url` is on 127.0.0.1 forms go to the simulator; otherwise to that URL (a real
//! platform).

use std::time::Duration;
use vads::ShopConfig;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn fail(message: &str) -> ! {
    eprintln!("vads-demo: {message}");
    std::process::exit(2);
}

fn recovery_policy() -> vads::api::recovery::SweepPolicy {
    let mut p = vads::api::recovery::SweepPolicy::default();
    p.after = Duration::from_secs(20);
    p.backoff = Duration::from_secs(10);
    p.max_backoff = Duration::from_secs(600);
    p
}

#[tokio::main]
async fn main() {
    // vads' events (one per verification: code, site id, mode, kind, source, key; never a
    // body, a signature or a key) on standard error.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(true)
        .init();
    let config_path = env_or(
        "VADS_DEMO_CONFIG",
        concat!(env!("CARGO_MANIFEST_DIR"), "/demo.toml"),
    );
    let load = || ShopConfig::from_toml_file(&config_path).unwrap_or_else(|e| fail(&e.to_string()));
    let bind = |addr: String| {
        std::net::TcpListener::bind(&addr)
            .unwrap_or_else(|e| fail(&format!("cannot listen on {addr}: {e}")))
    };
    let shop_listener = bind(env_or("VADS_DEMO_SHOP_ADDR", "127.0.0.1:8080"));
    let simulator_listener = bind(env_or("VADS_DEMO_SIMULATOR_ADDR", "127.0.0.1:8081"));
    let sim_addr = simulator_listener
        .local_addr()
        .unwrap_or_else(|e| fail(&e.to_string()));
    let mut shop = load();
    let local = shop
        .payment_url
        .as_deref()
        .is_none_or(|u| u.starts_with("http://127.0.0.1"));
    if local {
        shop.payment_url = Some(format!("http://{sim_addr}/vads-payment/"));
        shop.api_url = Some(format!("http://{sim_addr}"));
    }
    let database = match std::env::var("VADS_DEMO_DATABASE_URL") {
        Ok(url) if !url.is_empty() => vads_demo::Database::Url(url),
        _ => vads_demo::Database::SqliteFile(
            std::env::var_os("VADS_DEMO_DB")
                .map(Into::into)
                .unwrap_or_else(|| std::env::temp_dir().join("vads-demo.sqlite")),
        ),
    };
    let outbox_lease = match std::env::var("VADS_DEMO_OUTBOX_LEASE_MS") {
        Ok(ms) => Duration::from_millis(
            ms.parse()
                .unwrap_or_else(|_| fail("VADS_DEMO_OUTBOX_LEASE_MS is a number of milliseconds")),
        ),
        Err(_) => Duration::from_secs(30),
    };
    let live_path = env_or(
        "VADS_DEMO_LIVE_CONFIG",
        concat!(env!("CARGO_MANIFEST_DIR"), "/demo-production.toml"),
    );
    let live_shop = (live_path != "none")
        .then(|| ShopConfig::from_toml_file(&live_path).unwrap_or_else(|e| fail(&e.to_string())));
    let demo = vads_demo::start(vads_demo::DemoConfig {
        shop,
        live_shop,
        platform_shop: load(),
        shop_listener,
        simulator_listener,
        database: database.clone(),
        outbox_lease,
        retry_delay: Duration::from_secs(2),
        limits: vads_demo::Limits::default(),
        notify_api_operations: std::env::var("VADS_DEMO_API_IPN").map_or(true, |v| v != "off"),
        // A demo's minutes are seconds: an order still pending 20 s after its payment
        // started is asked for, then again after 10 s, 20 s, ...
        recovery: Some((recovery_policy(), Duration::from_secs(2))),
        hosts: std::env::var("VADS_DEMO_HOSTS")
            .map(|h| h.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
    .await
    .unwrap_or_else(|e| fail(&e));
    println!("vads demo shop:      {}/   <- open this", demo.shop_url);
    println!(
        "platform simulator:  {}/vads-payment/{}",
        demo.simulator_url,
        if local {
            ""
        } else {
            " (unused: the config posts to a real platform)"
        }
    );
    println!("orders database:     {database}");
    println!(
        "This command keeps running: use another terminal for anything else; Ctrl-C stops it."
    );
    let _ = tokio::signal::ctrl_c().await;
}
