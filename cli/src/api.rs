//! `vads api OP`: one REST API V4 call with the config's shop (the credentials of its
//! mode, its API host), the answer printed as one JSON object. A refusal or a transport
//! failure is `vads: CODE: sentence`, exit 1; a money-moving call whose answer was lost is
//! `outcome_unknown`, exit 3 (it was sent once and not retried).

use crate::common::{data_error, load_shops, pick, Failure};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use vads::api::{
    ApiError, Cancel, CancelOrRefund, Client, CreatePayment, OrderGet, ResolutionMode, SdkTest,
    TransactionGet, Update, Validate,
};

#[derive(Args)]
pub(crate) struct ApiArgs {
    #[command(subcommand)]
    op: Op,
}

#[derive(Args)]
struct Common {
    /// The shop's TOML configuration (its mode's REST password; `api_url`, else the
    /// brand's API host).
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The shop, when the config has several.
    #[arg(long, value_name = "NAME")]
    shop: Option<String>,
}

#[derive(Subcommand)]
enum Op {
    /// Charge/SDKTest: the value echoed when the credentials are right.
    SdkTest {
        #[command(flatten)]
        common: Common,
        /// The value to echo.
        #[arg(long, value_name = "V", default_value = "vads")]
        value: String,
    },
    /// Charge/CreatePayment: a formToken for the embedded form.
    CreatePayment {
        #[command(flatten)]
        common: Common,
        /// The amount in minor units (cents for EUR): 1050 is 10.50 EUR.
        #[arg(long, value_name = "N", value_parser = crate::common::amount_arg)]
        amount: u64,
        /// The currency: EUR (or 978).
        #[arg(long, value_name = "CODE")]
        currency: String,
        /// The shop's order reference.
        #[arg(long, value_name = "ID")]
        order_id: String,
        /// The customer's e-mail.
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
    },
    /// Order/Get: every transaction of an order id.
    OrderGet {
        #[command(flatten)]
        common: Common,
        /// The shop's order reference.
        #[arg(long, value_name = "ID")]
        order_id: String,
    },
    /// Transaction/Get: one transaction.
    TransactionGet {
        #[command(flatten)]
        common: Common,
        /// The transaction's uuid (32 lowercase hex digits).
        #[arg(long, value_name = "U")]
        uuid: String,
    },
    /// Transaction/CancelOrRefund (REFUND_ONLY): refund a captured transaction. Sent once.
    Refund {
        #[command(flatten)]
        common: Common,
        /// The transaction's uuid.
        #[arg(long, value_name = "U")]
        uuid: String,
        /// The amount to refund, minor units.
        #[arg(long, value_name = "N", value_parser = crate::common::amount_arg)]
        amount: u64,
        /// The currency (default: the transaction's, read first).
        #[arg(long, value_name = "CODE")]
        currency: Option<String>,
    },
    /// Transaction/Cancel: cancel a transaction not captured yet. Sent once.
    Cancel {
        #[command(flatten)]
        common: Common,
        /// The transaction's uuid.
        #[arg(long, value_name = "U")]
        uuid: String,
    },
    /// Transaction/Validate: validate a transaction waiting for validation. Sent once.
    Validate {
        #[command(flatten)]
        common: Common,
        /// The transaction's uuid.
        #[arg(long, value_name = "U")]
        uuid: String,
    },
    /// Transaction/Update: lower the amount of a transaction not captured yet. Sent once.
    Update {
        #[command(flatten)]
        common: Common,
        /// The transaction's uuid.
        #[arg(long, value_name = "U")]
        uuid: String,
        /// The new amount, minor units (it can only go down).
        #[arg(long, value_name = "N", value_parser = crate::common::amount_arg)]
        amount: u64,
        /// The currency (default: the transaction's, read first).
        #[arg(long, value_name = "CODE")]
        currency: Option<String>,
    },
}

impl Op {
    fn common(&self) -> &Common {
        match self {
            Op::SdkTest { common, .. }
            | Op::CreatePayment { common, .. }
            | Op::OrderGet { common, .. }
            | Op::TransactionGet { common, .. }
            | Op::Refund { common, .. }
            | Op::Cancel { common, .. }
            | Op::Validate { common, .. }
            | Op::Update { common, .. } => common,
        }
    }
}

/// An API error as the CLI reports it: `CODE: sentence`; exit 3 for `outcome_unknown`.
pub(crate) fn api_failure(e: &ApiError) -> Failure {
    Failure {
        status: if matches!(e, ApiError::OutcomeUnknown(_)) {
            3
        } else {
            1
        },
        message: e.to_string(),
    }
}

/// A single-threaded runtime for one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| data_error(format!("runtime_error: cannot start the HTTP client: {e}")))
}

fn print(value: &impl serde::Serialize) -> Result<(), Failure> {
    let json =
        serde_json::to_string(value).map_err(|e| data_error(format!("output_error: {e}")))?;
    println!("{json}");
    Ok(())
}

pub(crate) fn run(args: &ApiArgs) -> Result<(), Failure> {
    let common = args.op.common();
    let shops = load_shops(&common.config)?;
    let shop = pick(&shops, common.shop.as_deref())?;
    let client = Client::for_shop(shop).map_err(|e| api_failure(&e))?;
    let rt = runtime()?;
    rt.block_on(async {
        let fail = |e: ApiError| api_failure(&e);
        // The currency of a transaction, read first when not given.
        let currency_of = |uuid: String, given: Option<String>| {
            let client = &client;
            async move {
                match given {
                    Some(c) => Ok(c),
                    None => client
                        .call(&TransactionGet::new(uuid))
                        .await
                        .map_err(fail)?
                        .currency
                        .ok_or_else(|| {
                            data_error(
                                "api_bad_answer: the transaction has no currency: give --currency",
                            )
                        }),
                }
            }
        };
        match &args.op {
            Op::SdkTest { value, .. } => {
                print(&client.call(&SdkTest::new(value)).await.map_err(fail)?)
            }
            Op::CreatePayment {
                amount,
                currency,
                order_id,
                email,
                ..
            } => {
                let mut call = CreatePayment::new(*amount, currency).order_id(order_id);
                if let Some(email) = email {
                    call = call.email(email);
                }
                print(&client.call(&call).await.map_err(fail)?)
            }
            Op::OrderGet { order_id, .. } => {
                print(&client.call(&OrderGet::new(order_id)).await.map_err(fail)?)
            }
            Op::TransactionGet { uuid, .. } => print(
                &client
                    .call(&TransactionGet::new(uuid))
                    .await
                    .map_err(fail)?,
            ),
            Op::Refund {
                uuid,
                amount,
                currency,
                ..
            } => {
                let currency = currency_of(uuid.clone(), currency.clone()).await?;
                let call = CancelOrRefund::new(uuid, *amount, currency, ResolutionMode::RefundOnly);
                print(&client.call(&call).await.map_err(fail)?)
            }
            Op::Cancel { uuid, .. } => print(&client.call(&Cancel::new(uuid)).await.map_err(fail)?),
            Op::Validate { uuid, .. } => {
                print(&client.call(&Validate::new(uuid)).await.map_err(fail)?)
            }
            Op::Update {
                uuid,
                amount,
                currency,
                ..
            } => {
                let currency = currency_of(uuid.clone(), currency.clone()).await?;
                print(
                    &client
                        .call(&Update::new(uuid, *amount, currency))
                        .await
                        .map_err(fail)?,
                )
            }
        }
    })
}
