//! `vads refund`, `vads cancel`, `vads validate`: the safe operations on an order
//! (`vads::api::money`): the order's lock taken first (the store's when the config names
//! one, else a lock file of this machine), read first, send once, read a lost answer back.
//! They print the order's state afterwards as `vads reconcile` prints it, and on standard
//! error one `sent:` line per operation sent (none when the intent was already met). Exit
//! 1 on `busy` (another operation on the order is in flight: nothing was sent), 3 when an
//! operation's outcome stays unknown after reading again.

use crate::api::runtime;
use crate::common::{amount_arg, load_shops, pick, Failure};
use crate::lock::CliLock;
use crate::reconcile::order_json;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use vads::api::lock::LockPolicy;
use vads::api::money::{Money, MoneyError, RefundAmount, Settled};
use vads::api::{Client, ClientConfig};

#[derive(Args)]
pub(crate) struct OrderArgs {
    /// The shop's TOML configuration (its mode's REST password; `api_url`, else the
    /// brand's API host; `store_url`, where the order locks are shared).
    #[arg(long, value_name = "PATH")]
    pub(crate) config: PathBuf,
    /// The shop, when the config has several.
    #[arg(long, value_name = "NAME")]
    pub(crate) shop: Option<String>,
    /// The shop's order reference.
    #[arg(long, value_name = "ID")]
    pub(crate) order_id: String,
    /// How long to wait for another operation on the same order to end before giving up
    /// with `busy` (seconds).
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600))]
    lock_wait: u64,
    /// How long the order's lock outlives this process if it dies without giving it back
    /// (seconds; a store's lock only: a lock file is released by the system at once). Each
    /// API call is given at most this minus 5 seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(10..=3600))]
    lock_lease: u64,
}

#[derive(Args)]
pub(crate) struct RefundArgs {
    #[command(flatten)]
    order: OrderArgs,
    /// Refund this much more (minor units, digits only), given that --refunded-now is
    /// given back now (default 0): refused if the platform shows another total.
    #[arg(long, value_name = "N", conflicts_with = "total", value_parser = amount_arg)]
    amount: Option<u64>,
    /// With --amount: what is given back now, as you know it (minor units).
    #[arg(long, value_name = "R", requires = "amount", default_value = "0", value_parser = amount_arg)]
    refunded_now: u64,
    /// Make the order's given-back total T (minor units): sends the difference, or
    /// nothing when it is reached. Run twice, it refunds once.
    #[arg(long, value_name = "T", value_parser = amount_arg)]
    total: Option<u64>,
}

fn money_failure(e: &MoneyError) -> Failure {
    Failure {
        status: if e.is_unknown() { 3 } else { 1 },
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

/// What an operation needs: the order, the policy, and the operation itself.
enum Op {
    Refund(RefundAmount),
    Cancel,
    Validate,
}

impl OrderArgs {
    /// The client's settings: a call never outlives the lease that covers it.
    pub(crate) fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::default();
        let most = Duration::from_secs(self.lock_lease).saturating_sub(Duration::from_secs(5));
        config.call_timeout = config.call_timeout.min(most);
        config.attempt_timeout = config.attempt_timeout.min(most);
        config
    }

    /// How long to wait for the order's lock and how long it lasts.
    pub(crate) fn lock_policy(&self) -> LockPolicy {
        let mut policy = LockPolicy::default();
        policy.wait = Duration::from_secs(self.lock_wait);
        policy.lease = Duration::from_secs(self.lock_lease);
        policy.holder = format!("vads-cli/{}", std::process::id());
        policy
    }
}

fn run_on(args: &OrderArgs, op: Op) -> Result<(), Failure> {
    let shops = load_shops(&args.config)?;
    let shop = pick(&shops, args.shop.as_deref())?;
    let client = Client::for_shop_with(shop, args.client_config())
        .map_err(|e| crate::api::api_failure(&e))?;
    let policy = args.lock_policy();
    let done = runtime()?.block_on(async {
        let lock = CliLock::of(shop).await?;
        let money = Money::new(&client, &lock).with_policy(policy);
        let id = &args.order_id;
        let result = match op {
            Op::Refund(amount) => money.refund(id, amount).await,
            Op::Cancel => money.cancel(id).await,
            Op::Validate => money.validate(id).await,
        };
        result.map_err(|e| money_failure(&e))
    })?;
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
    run_on(&args.order, Op::Refund(amount))
}

pub(crate) fn cancel(args: &OrderArgs) -> Result<(), Failure> {
    run_on(args, Op::Cancel)
}

pub(crate) fn validate(args: &OrderArgs) -> Result<(), Failure> {
    run_on(args, Op::Validate)
}
