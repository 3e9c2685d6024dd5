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
    /// The shop's notification endpoint.
    #[arg(long, value_name = "URL")]
    url: String,
    /// The shop to rehearse, when the config has several.
    #[arg(long, value_name = "NAME")]
    shop: Option<String>,
    /// Give up after this many seconds (the platform waits 35).
    #[arg(long, value_name = "SECONDS", default_value_t = 35)]
    timeout: u64,
}

pub(crate) fn run(args: &RehearseArgs) -> Result<(), Failure> {
    let shops = load_shops(&args.config)?;
    let shop = pick(&shops, args.shop.as_deref())?;
    if !(args.url.starts_with("http://") || args.url.starts_with("https://")) {
        return Err(usage_error("usage: --url must be an absolute http(s) URL"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // Synthetic and harmless: ABANDONED (nothing to fulfil), a transaction id in the
    // platform's reserved range 900000-999999 (a shop never generates one), an order id
    // with a REHEARSAL prefix, and a marker field.
    let trans_id = format!("9{:05}", now.as_secs() % 100_000);
    let order_id = format!("VADS-REHEARSAL-{}", now.as_secs());
    let body = vads::testing::NotificationBuilder::new(shop)
        .status(vads::TransStatus::Abandoned)
        .amount(0)
        .order_id(&order_id)
        .trans_id(&trans_id)
        .trans_uuid(&format!("00000000{:024x}", now.as_nanos()))
        .field("vads_ext_info_vads_rehearsal", "1")
        .body()
        .map_err(data_error)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(args.timeout.max(1))))
        .build()
        .into();
    let started = std::time::Instant::now();
    let result = agent
        .post(&args.url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("User-Agent", "vads-rehearse")
        .send(body.as_bytes());
    let elapsed = started.elapsed();
    let response = result.map_err(|e| {
        data_error(format!(
            "unreachable: could not deliver to {} after {} ms: {e}",
            args.url,
            elapsed.as_millis()
        ))
    })?;
    let status = response.status().as_u16();
    let delivered = vads::answer::platform_counts_delivered(status);
    let slow = elapsed.as_secs() >= 35;
    println!(
        "{} {status} in {} ms (order {order_id}, mode {}): the platform would count this delivery as {}",
        args.url,
        elapsed.as_millis(),
        shop.mode(),
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
