//! `vads refund`, `vads cancel`, `vads validate`: the safe operations on an order
//! (`vads::api::money`): read first, send once, read a lost answer back. They print the
//! order's state afterwards as `vads reconcile` prints it, and on standard error one
//! `sent:` line per operation sent (none when the intent was already met). Exit 3 when an
//! operation's outcome stays unknown after reading again.

use crate::api::runtime;
use crate::common::{load_shops, pick, Failure};
use crate::reconcile::order_json;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use vads::api::money::{self, MoneyError, RefundAmount, Settled};
use vads::api::Client;

#[derive(Args)]
pub(crate) struct OrderArgs {
    /// The shop's TOML configuration (its mode's REST password; `api_url`, else the
    /// brand's API host).
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The shop, when the config has several.
    #[arg(long, value_name = "NAME")]
    shop: Option<String>,
    /// The shop's order reference.
    #[arg(long, value_name = "ID")]
    order_id: String,
}

#[derive(Args)]
pub(crate) struct RefundArgs {
    #[command(flatten)]
    order: OrderArgs,
    /// Refund this much more (minor units), given that --refunded-now is refunded now
    /// (default 0): refused if the platform shows another refunded total.
    #[arg(long, value_name = "N", conflicts_with = "total")]
    amount: Option<u64>,
    /// With --amount: what is refunded now, as you know it (minor units).
    #[arg(long, value_name = "R", requires = "amount", default_value_t = 0)]
    refunded_now: u64,
    /// Make the order's refunded total T (minor units): sends the difference, or nothing
    /// when it is reached. Run twice, it refunds once.
    #[arg(long, value_name = "T")]
    total: Option<u64>,
}

fn money_failure(e: &MoneyError) -> Failure {
    Failure {
        status: if matches!(e, MoneyError::StillUnknown(_)) {
            3
        } else {
            1
        },
        message: e.to_string(),
    }
}

fn report(done: &Settled) {
    let mut err = std::io::stderr().lock();
    for s in &done.sent {
        let _ = writeln!(
            err,
            "sent: {} on transaction {}{}{}",
            s.operation.name(),
            s.uuid,
            s.amount.map(|a| format!(" ({a})")).unwrap_or_default(),
            if s.found_applied {
                " (answer lost; the order read again shows it applied)"
            } else {
                ""
            }
        );
    }
    println!("{}", order_json(&done.state));
}

fn run_on<F, Fut>(args: &OrderArgs, f: F) -> Result<(), Failure>
where
    F: FnOnce(Client<vads::api::ReqwestTransport>, String) -> Fut,
    Fut: std::future::Future<Output = Result<Settled, MoneyError>>,
{
    let shops = load_shops(&args.config)?;
    let shop = pick(&shops, args.shop.as_deref())?;
    let client = Client::for_shop(shop).map_err(|e| crate::api::api_failure(&e))?;
    let done = runtime()?
        .block_on(f(client, args.order_id.clone()))
        .map_err(|e| money_failure(&e))?;
    report(&done);
    Ok(())
}

pub(crate) fn refund(args: &RefundArgs) -> Result<(), Failure> {
    let amount = match (args.amount, args.total) {
        (Some(amount), _) => RefundAmount::More {
            amount,
            refunded_now: args.refunded_now,
        },
        (None, Some(total)) => RefundAmount::Total(total),
        (None, None) => RefundAmount::All,
    };
    run_on(&args.order, |client, order| async move {
        money::refund(&client, &order, amount).await
    })
}

pub(crate) fn cancel(args: &OrderArgs) -> Result<(), Failure> {
    run_on(args, |client, order| async move {
        money::cancel(&client, &order).await
    })
}

pub(crate) fn validate(args: &OrderArgs) -> Result<(), Failure> {
    run_on(args, |client, order| async move {
        money::validate(&client, &order).await
    })
}
