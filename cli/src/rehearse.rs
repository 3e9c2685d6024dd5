//! `vads rehearse`: a correctly signed, harmless notification posted to the shop's
//! endpoint, and whether the platform would count it delivered.

use crate::common::{data_error, load_shops, pick, usage_error, Failure};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct RehearseArgs {
    /// The shop's (or shops') TOML configuration.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The shop's notification endpoint: post a signed, harmless notification to it.
    #[arg(long, value_name = "URL", required_unless_present = "order_id")]
    url: Option<String>,
    /// After a real (test or first production) payment: ask the platform (Order/Get)
    /// for this order, and say whether each of its transactions was notified to the shop
    /// (with --log) — the check the go-live guides describe by hand ("notification URL
    /// status: sent").
    #[arg(long, value_name = "ID")]
    order_id: Option<String>,
    /// With --order-id: the shop's log of notification bodies, one per line, to find the
    /// platform's transactions in.
    #[arg(long, value_name = "FILE", requires = "order_id")]
    log: Option<PathBuf>,
    /// The shop to rehearse, when the config has several.
    #[arg(long, value_name = "NAME")]
    shop: Option<String>,
    /// Give up after this many seconds (the platform waits 35).
    #[arg(long, value_name = "SECONDS", default_value_t = 35)]
    timeout: u64,
    /// With --url: shape the notification like a subscription's installment (the nightly
    /// batch's: vads_url_check_src=REC, a token, a subscription id and a recurrence
    /// number, channel OTHER), still harmless.
    #[arg(long, requires = "url")]
    recurring: bool,
}

pub(crate) fn run(args: &RehearseArgs) -> Result<(), Failure> {
    let shops = load_shops(&args.config)?;
    let shop = pick(&shops, args.shop.as_deref())?;
    if let Some(url) = &args.url {
        deliver(args, shop, url)?;
    }
    match &args.order_id {
        Some(order) => seen_by_the_platform(args, &shops, shop, order),
        None => Ok(()),
    }
}

/// `--order-id`: the platform's transactions of the order, each found (or not) among the
/// notifications of `--log`, by idempotency key.
fn seen_by_the_platform(
    args: &RehearseArgs,
    shops: &vads::Shops,
    shop: &vads::Shop,
    order: &str,
) -> Result<(), Failure> {
    let client = vads::api::Client::for_shop(shop).map_err(|e| crate::api::api_failure(&e))?;
    let transactions = crate::api::runtime()?
        .block_on(vads::api::money::read_order(&client, order))
        .map_err(|e| crate::api::api_failure(&e))?;
    let shown = vads::shown::shown_name(order, &[]);
    if transactions.is_empty() {
        return Err(data_error(format!(
            "order_unknown: the platform has no transaction for order {shown} in {} mode: pay it first (a test payment in TEST)",
            shop.mode()
        )));
    }
    let logged: Option<std::collections::HashSet<String>> = match &args.log {
        None => None,
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| {
                data_error(format!(
                    "read_error: cannot read {}: {}",
                    vads::shown::shown_path(path),
                    crate::common::os_reason(&e)
                ))
            })?;
            let mut keys = std::collections::HashSet::new();
            for line in text.split(|b| *b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if let Ok((_, n)) = shops.verify_any(line, vads::Endpoint::Ipn) {
                    if let Ok(events) = n.events() {
                        keys.extend(
                            events
                                .iter()
                                .map(vads::lifecycle::TransactionEvent::idempotency_key),
                        );
                    }
                }
            }
            Some(keys)
        }
    };
    let mut missing = 0;
    for t in &transactions {
        let event = t.to_event(Some(order));
        let notified = logged
            .as_ref()
            .map(|keys| keys.contains(&event.idempotency_key()));
        if notified == Some(false) {
            missing += 1;
        }
        println!(
            "order {shown}: transaction {} {} {} {}: {}",
            t.uuid.as_deref().unwrap_or("?"),
            t.operation_type.as_deref().unwrap_or("?"),
            t.detailed_status.as_deref().unwrap_or("?"),
            t.amount.map_or_else(|| "?".to_owned(), |a| a.to_string()),
            match notified {
                None => "on the platform (give --log to check the shop received its notification)",
                Some(true) => "notified: the shop's log has it",
                Some(false) => "NOT in the shop's log: its notification did not arrive (check the notification URL in the back office)",
            }
        );
    }
    if missing > 0 {
        return Err(data_error(format!(
            "notification_missing: {missing} transaction(s) of order {shown} are on the platform but not in the shop's log"
        )));
    }
    Ok(())
}

/// `--url`: the harmless notification posted, and whether the platform would count it
/// delivered.
fn deliver(args: &RehearseArgs, shop: &vads::Shop, url: &str) -> Result<(), Failure> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(usage_error("usage: --url must be an absolute http(s) URL"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // Synthetic and harmless: ABANDONED (nothing to fulfil), a transaction id in the
    // platform's reserved range 900000-999999 (a shop never generates one), an order id
    // with a REHEARSAL prefix, and the signed marker field that makes every vads handler
    // record nothing (`Notification::is_rehearsal`: no events).
    let trans_id = format!("9{:05}", now.as_secs() % 100_000);
    let order_id = format!("VADS-REHEARSAL-{}", now.as_secs());
    let mut builder = vads::testing::NotificationBuilder::new(shop)
        .status(vads::TransStatus::Abandoned)
        .amount(0)
        .order_id(&order_id)
        .trans_id(&trans_id)
        .trans_uuid(&format!("00000000{:024x}", now.as_nanos()))
        .field(vads::REHEARSAL_FIELD, "1");
    if args.recurring {
        // Token and subscription ids no real one has (a real token is 32 letters and
        // digits, a chosen one would not start with the rehearsal's prefix).
        builder = builder.renewal("VADS-REHEARSAL-TOKEN", Some("VADS-REHEARSAL-SUB"), 1);
    }
    let body = builder.body().map_err(data_error)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(args.timeout.max(1))))
        .build()
        .into();
    let started = std::time::Instant::now();
    let result = agent
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("User-Agent", "vads-rehearse")
        .send(body.as_bytes());
    let elapsed = started.elapsed();
    let response = result.map_err(|e| {
        data_error(format!(
            "unreachable: could not deliver to {} after {} ms: {e}",
            url,
            elapsed.as_millis()
        ))
    })?;
    let status = response.status().as_u16();
    let delivered = vads::answer::platform_counts_delivered(status);
    let slow = elapsed.as_secs() >= 35;
    println!(
        "{} {status} in {} ms (order {order_id}, mode {}{}): the platform would count this delivery as {}",
        url,
        elapsed.as_millis(),
        shop.mode(),
        if args.recurring { ", a subscription's installment: REC" } else { "" },
        if delivered && !slow { "successful" } else { "FAILED" }
    );
    if delivered && !slow {
        Ok(())
    } else {
        Err(Failure {
            status: 1,
            message: format!("delivery_failed: the endpoint answered {status}; the platform retries anything but 200-206, 301, 302, 303, 307, 308 within 35 s"),
        })
    }
}
