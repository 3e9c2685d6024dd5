//! `vads token get|cancel|reactivate` and `vads subscription create|get|cancel`: the saved
//! cards and the subscriptions of the REST API V4, with the config's shop (the website's
//! mode by default, or another channel's with `--channel`). Each prints one JSON object;
//! a refusal is `vads: CODE: sentence`, exit 1; a subscription whose creation answer was
//! lost is `outcome_unknown`, exit 3 (never sent again: look for it in the back office).

use crate::api::{api_failure, runtime};
use crate::common::{amount_arg, load_shops, pick, usage_error, Failure};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use std::path::PathBuf;
use vads::api::subscriptions::{
    cancel_running_installments, cancel_subscription, create_subscription, iso_date,
    CreateSubscription, SubscriptionGet, SubscriptionRef,
};
use vads::api::tokens::{cancel_token, reactivate_token, TokenGet};
use vads::api::{ApiError, Client, ReqwestTransport};
use vads::{Channel, TransDate};

/// A channel on the command line.
#[derive(Clone, Copy, ValueEnum)]
enum ChannelArg {
    Website,
    Moto,
    CallCentre,
    MerchantInitiated,
}

impl From<ChannelArg> for Channel {
    fn from(c: ChannelArg) -> Channel {
        match c {
            ChannelArg::Website => Channel::Website,
            ChannelArg::Moto => Channel::Moto,
            ChannelArg::CallCentre => Channel::CallCentre,
            ChannelArg::MerchantInitiated => Channel::MerchantInitiated,
        }
    }
}

#[derive(Args)]
struct Common {
    /// The shop's TOML configuration (the REST password of the channel's mode; `api_url`,
    /// else the brand's API host).
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The shop, when the config has several.
    #[arg(long, value_name = "NAME")]
    shop: Option<String>,
    /// The channel whose mode and password are used (a token lives in one mode).
    #[arg(long, value_enum, default_value = "website")]
    channel: ChannelArg,
}

impl Common {
    fn client(&self) -> Result<Client<ReqwestTransport>, Failure> {
        let shops = load_shops(&self.config)?;
        let shop = pick(&shops, self.shop.as_deref())?;
        Client::for_channel(
            shop,
            self.channel.into(),
            vads::api::ClientConfig::default(),
        )
        .map_err(|e| api_failure(&e))
    }
}

#[derive(Args)]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    op: TokenOp,
}

#[derive(Subcommand)]
enum TokenOp {
    /// Token/Get: the saved card (masked), its status and whether it is cancelled.
    Get {
        #[command(flatten)]
        common: Common,
        /// The token.
        #[arg(long, value_name = "T")]
        token: String,
    },
    /// Token/Cancel: the card can no longer be charged (already cancelled: done).
    Cancel {
        #[command(flatten)]
        common: Common,
        /// The token.
        #[arg(long, value_name = "T")]
        token: String,
    },
    /// Token/Reactivate: a cancelled token can be charged again (already active: done).
    Reactivate {
        #[command(flatten)]
        common: Common,
        /// The token.
        #[arg(long, value_name = "T")]
        token: String,
    },
}

#[derive(Args)]
pub(crate) struct SubscriptionArgs {
    #[command(subcommand)]
    op: SubscriptionOp,
}

#[derive(Subcommand)]
enum SubscriptionOp {
    /// Charge/CreateSubscription: a schedule of payments on a saved card. Sent once, never
    /// again on its own: a lost answer is outcome_unknown (exit 3).
    Create {
        #[command(flatten)]
        common: Common,
        /// The saved card's token.
        #[arg(long, value_name = "T")]
        token: String,
        /// Each installment, minor units.
        #[arg(long, value_name = "N", value_parser = amount_arg)]
        amount: u64,
        /// The currency: EUR (or 978).
        #[arg(long, value_name = "CODE")]
        currency: String,
        /// When installments are due: RRULE:FREQ=MONTHLY;COUNT=12 (no spaces).
        #[arg(long, value_name = "RULE")]
        rrule: String,
        /// The first installment's day, UTC: YYYY-MM-DD (or YYYYMMDD), today or later.
        #[arg(long, value_name = "DATE")]
        effect_date: String,
        /// The order the installments are notified with.
        #[arg(long, value_name = "ID")]
        order_id: Option<String>,
        /// The first --initial-count installments at this amount instead.
        #[arg(long, value_name = "N", value_parser = amount_arg, requires = "initial_count")]
        initial_amount: Option<u64>,
        /// How many installments are at --initial-amount.
        #[arg(long, value_name = "K", requires = "initial_amount", value_parser = clap::value_parser!(u32).range(1..))]
        initial_count: Option<u32>,
        /// The chaining reference kept with the token.
        #[arg(long, value_name = "R")]
        chaining_ref: Option<String>,
    },
    /// Subscription/Get: the schedule, and its status (pending, active, completed,
    /// cancelled) derived from its dates and counts.
    Get {
        #[command(flatten)]
        common: Common,
        /// The saved card's token (a subscription id alone is not unique).
        #[arg(long, value_name = "T")]
        token: String,
        /// The subscription id.
        #[arg(long, value_name = "ID")]
        subscription: String,
    },
    /// Subscription/Cancel: no further installment (already cancelled: done).
    Cancel {
        #[command(flatten)]
        common: Common,
        /// The saved card's token.
        #[arg(long, value_name = "T")]
        token: String,
        /// The subscription id.
        #[arg(long, value_name = "ID")]
        subscription: String,
        /// Also cancel the installments the platform started and did not finish (the
        /// RUNNING debits of the subscription's order --order-id), as the plugins do.
        #[arg(long, requires = "order_id")]
        cancel_running: bool,
        /// The subscription's order (with --cancel-running).
        #[arg(long, value_name = "ID")]
        order_id: Option<String>,
    },
}

fn print(value: &serde_json::Value) {
    println!("{value}");
}

pub(crate) fn token(args: &TokenArgs) -> Result<(), Failure> {
    let fail = |e: ApiError| api_failure(&e);
    match &args.op {
        TokenOp::Get { common, token } => {
            let client = common.client()?;
            runtime()?.block_on(async {
                let t = client.call(&TokenGet::new(token)).await.map_err(fail)?;
                let mut v = serde_json::to_value(&t).unwrap_or_default();
                if let Some(map) = v.as_object_mut() {
                    map.insert("cancelled".into(), json!(t.is_cancelled()));
                }
                print(&v);
                Ok(())
            })
        }
        TokenOp::Cancel { common, token } | TokenOp::Reactivate { common, token } => {
            let cancel = matches!(args.op, TokenOp::Cancel { .. });
            let client = common.client()?;
            runtime()?.block_on(async {
                let change = if cancel {
                    cancel_token(&client, token).await
                } else {
                    reactivate_token(&client, token).await
                }
                .map_err(fail)?;
                print(&json!({"token": token, "change": change.as_str(), "cancelled": cancel}));
                Ok(())
            })
        }
    }
}

pub(crate) fn subscription(args: &SubscriptionArgs) -> Result<(), Failure> {
    let fail = |e: ApiError| api_failure(&e);
    match &args.op {
        SubscriptionOp::Create {
            common,
            token,
            amount,
            currency,
            rrule,
            effect_date,
            order_id,
            initial_amount,
            initial_count,
            chaining_ref,
        } => {
            if iso_date(effect_date).is_none() {
                return Err(usage_error(
                    "usage: --effect-date is a day: YYYY-MM-DD (or YYYYMMDD)",
                ));
            }
            let mut request =
                CreateSubscription::new(token, *amount, currency, rrule, effect_date.as_str());
            if let Some(id) = order_id {
                request = request.order_id(id);
            }
            if let (Some(a), Some(k)) = (initial_amount, initial_count) {
                request = request.with_initial(*a, *k);
            }
            request.chaining_ref.clone_from(chaining_ref);
            let client = common.client()?;
            runtime()?.block_on(async {
                match create_subscription(&client, &request).await {
                    Ok(created) => {
                        print(&json!({
                            "subscription": created.id,
                            "token": created.token,
                            "status": "created",
                        }));
                        Ok(())
                    }
                    Err(ApiError::OutcomeUnknown(u)) => Err(Failure {
                        status: 3,
                        message: format!(
                            "{}; it was not sent again: a second send could start a second live schedule. Look in the back office for a subscription of this token before asking again",
                            ApiError::OutcomeUnknown(u)
                        ),
                    }),
                    Err(e) => Err(fail(e)),
                }
            })
        }
        SubscriptionOp::Get {
            common,
            token,
            subscription,
        } => {
            let client = common.client()?;
            runtime()?.block_on(async {
                let info = client
                    .call(&SubscriptionGet::new(subscription, token))
                    .await
                    .map_err(fail)?;
                let mut v = serde_json::to_value(&info).unwrap_or_default();
                if let Some(map) = v.as_object_mut() {
                    map.insert(
                        "status".into(),
                        json!(info.status(TransDate::now()).as_str()),
                    );
                }
                print(&v);
                Ok(())
            })
        }
        SubscriptionOp::Cancel {
            common,
            token,
            subscription,
            cancel_running,
            order_id,
        } => {
            let client = common.client()?;
            runtime()?.block_on(async {
                let r = SubscriptionRef {
                    id: subscription.clone(),
                    token: token.clone(),
                };
                let change = cancel_subscription(&client, &r).await.map_err(fail)?;
                let mut out = json!({
                    "subscription": subscription,
                    "token": token,
                    "change": change.as_str(),
                    "status": "cancelled",
                });
                let mut failed = false;
                if let (true, Some(order)) = (*cancel_running, order_id) {
                    let running = cancel_running_installments(&client, order, &r)
                        .await
                        .map_err(fail)?;
                    failed = !running.failed.is_empty();
                    out["running"] = json!({
                        "cancelled": running.cancelled,
                        "already_cancelled": running.already_cancelled,
                        "failed": running.failed.iter().map(|(u, c)| json!({"uuid": u, "code": c})).collect::<Vec<_>>(),
                    });
                }
                print(&out);
                if failed {
                    return Err(Failure {
                        status: 1,
                        message: "running_not_cancelled: the subscription is cancelled, but an installment in flight could not be cancelled (see running.failed); read it before trying again".into(),
                    });
                }
                Ok(())
            })
        }
    }
}
