//! `vads charge`: a zero-click charge of a saved card (`vads::api::charge`), once. It uses
//! the merchant-initiated channel of the config (`[channels] merchant_initiated`, off by
//! default: `channel_off`, nothing sent), takes the order's lock (the store's when the
//! config names one, else a lock file of this machine), reads the order first, sends once,
//! and reads a lost answer back. It prints the order's state as `vads reconcile` does, with
//! `charge` (`charged`, `already_charged`, `pending`, `refused`, `already_refused`,
//! `outcome_unknown`) and `sent`. With a store, the charge's events are recorded in it like
//! a notification's (no notification follows a zero-click charge).
//!
//! Exit 0 charged or already charged; 1 refused, already refused, or refused before sending
//! (`channel_off`, `busy`, an invalid request); 3 the outcome is unknown (the answer was
//! lost and the order, read again, does not show it) or the payment is still pending.

use crate::api::{api_failure, runtime};
use crate::common::{amount_arg, load_shops, pick, Failure};
use crate::lock::CliLock;
use crate::money::OrderArgs;
use crate::reconcile::order_json;
use clap::Args;
use serde_json::{json, Value};
use std::io::Write;
use vads::api::charge::{Charge, ChargeError, ChargeOutcome, Charges};
use vads::api::Client;
use vads::lifecycle::{OrderState, TransactionEvent};
use vads::Channel;

#[derive(Args)]
pub(crate) struct ChargeArgs {
    #[command(flatten)]
    order: OrderArgs,
    /// The saved card: its token (`vads_identifier`, `paymentMethodToken`).
    #[arg(long, value_name = "T")]
    token: String,
    /// The amount in minor units (cents for EUR): 990 is 9.90 EUR.
    #[arg(long, value_name = "N", value_parser = amount_arg)]
    amount: u64,
    /// The currency: EUR (or 978).
    #[arg(long, value_name = "CODE")]
    currency: String,
    /// The chaining reference kept with the token
    /// (`vads_initial_issuer_transaction_identifier`): issuers may refuse a charge without.
    #[arg(long, value_name = "R")]
    chaining_ref: Option<String>,
    /// Send a new attempt when the order holds only a refused charge (by default that is
    /// `already_refused`, nothing sent).
    #[arg(long)]
    retry_refused: bool,
}

/// The state line: the order as `vads reconcile` prints it, with what the charge did.
fn state_line(state: &OrderState, charge: &str, sent: bool) -> Value {
    let mut line = order_json(state);
    if let Some(map) = line.as_object_mut() {
        map.insert("charge".into(), json!(charge));
        map.insert("sent".into(), json!(sent));
    }
    line
}

fn failure(e: &ChargeError) -> Failure {
    let status = match e {
        ChargeError::StillUnknown { .. } => 3,
        ChargeError::Api(vads::api::ApiError::OutcomeUnknown(_)) => 3,
        _ => 1,
    };
    Failure {
        status,
        message: e.to_string(),
    }
}

/// Records the charge's events in the store, when there is one: a failure to record is
/// said on standard error (the money moved; the store can be brought up to date by a
/// `vads reconcile --fetch` or the next read) and does not change the exit status.
async fn record(lock: &CliLock, events: &[TransactionEvent]) {
    let Some(store) = lock.store() else { return };
    if events.is_empty() {
        return;
    }
    if let Err(e) = store
        .record(
            events,
            vads_store::Source::PlatformRead("Charge/CreatePayment"),
        )
        .await
    {
        let _ = writeln!(
            std::io::stderr(),
            "vads: warning: the charge's events could not be recorded in the store: {e}"
        );
    }
}

pub(crate) fn run(args: &ChargeArgs) -> Result<(), Failure> {
    let o = &args.order;
    let shops = load_shops(&o.config)?;
    let shop = pick(&shops, o.shop.as_deref())?;
    // The merchant-initiated channel's shop (its mode's password): off → nothing is sent.
    let channel_shop = shop
        .for_channel(Channel::MerchantInitiated)
        .map_err(crate::common::data_error)?;
    let client =
        Client::for_shop_with(channel_shop, o.client_config()).map_err(|e| api_failure(&e))?;
    let mut charge = Charge::new(&o.order_id, &args.token, args.amount, &args.currency);
    if let Some(r) = &args.chaining_ref {
        charge = charge.chaining_ref(r);
    }
    let policy = o.lock_policy();
    runtime()?.block_on(async {
        let lock = CliLock::of(channel_shop).await?;
        let charges = Charges::new(&client, &lock)
            .with_policy(policy)
            .retry_refused(args.retry_refused);
        match charges.charge(&charge).await {
            Ok(done) => {
                record(&lock, &done.events).await;
                println!(
                    "{}",
                    state_line(&done.state, done.outcome.as_str(), done.sent)
                );
                if done.found_applied {
                    let _ = writeln!(
                        std::io::stderr(),
                        "sent: the charge's answer was lost; the order read again shows it"
                    );
                }
                match done.outcome {
                    ChargeOutcome::Pending => Err(Failure {
                        status: 3,
                        message: "pending: the order's payment is not final yet; nothing more was sent: read it again later (vads api order-get)".into(),
                    }),
                    _ => Ok(()),
                }
            }
            Err(e) => {
                match &e {
                    ChargeError::Refused(d) => {
                        record(&lock, &d.events).await;
                        println!("{}", state_line(&d.state, "refused", true));
                    }
                    ChargeError::AlreadyRefused { state } => {
                        println!("{}", state_line(state, "already_refused", false));
                    }
                    ChargeError::StillUnknown { attempt, .. } => {
                        println!(
                            "{}",
                            json!({
                                "order_id": o.order_id,
                                "site_id": channel_shop.site_id(),
                                "mode": channel_shop.mode().as_str(),
                                "charge": "outcome_unknown",
                                "sent": true,
                                "attempt": attempt,
                            })
                        );
                    }
                    _ => {}
                }
                Err(failure(&e))
            }
        }
    })
}
