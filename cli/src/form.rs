//! `vads form`: a signed payment form for the config's shop, as HTML or JSON; with an
//! installment plan, a page action (save a card, subscribe), a subscription and a channel
//! (protocol sections 11 and 12). Every rule is the library's (`FormBuilder::sign`): a
//! mistake is one line `CODE: field: sentence` and nothing else is printed. The schedule
//! of a plan and any warning go to standard error (HTML) or into the JSON.

use crate::common::{data_error, load_shops, pick, usage_error, Failure};
use clap::Args;
use std::path::PathBuf;
use vads::form::{compact_date, Currency, Installments, SignedForm};
use vads::TransDate;

#[derive(Args)]
pub(crate) struct FormArgs {
    /// The shop's TOML configuration.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The amount in minor units (cents for EUR): 1050 is 10.50 EUR; with --installments,
    /// the plan's total. Not given when the page action takes no payment (REGISTER, ...).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    amount: Option<String>,
    /// The currency: EUR or 978.
    #[arg(long, value_name = "CODE")]
    currency: String,
    /// The shop's order reference.
    #[arg(long, value_name = "ID")]
    order_id: String,
    /// The buyer's e-mail (vads_cust_email): required to save a card.
    #[arg(long, value_name = "EMAIL")]
    cust_email: Option<String>,
    /// Pay in N installments (vads_payment_config=MULTI:...), N >= 2; with --period.
    #[arg(
        long,
        value_name = "N",
        requires = "period",
        allow_negative_numbers = true
    )]
    installments: Option<String>,
    /// The first installment in minor units (default: an equal share of the amount, the
    /// remainder on the last installment).
    #[arg(
        long,
        value_name = "F",
        requires = "installments",
        allow_negative_numbers = true
    )]
    first: Option<String>,
    /// Days between installments (1 or more).
    #[arg(
        long,
        value_name = "D",
        requires = "installments",
        allow_negative_numbers = true
    )]
    period: Option<String>,
    /// What the payment page does (vads_page_action): PAYMENT, REGISTER, REGISTER_UPDATE,
    /// REGISTER_PAY, ASK_REGISTER_PAY, REGISTER_UPDATE_PAY, REGISTER_SUBSCRIBE,
    /// REGISTER_PAY_SUBSCRIBE, SUBSCRIBE.
    #[arg(long, value_name = "ACTION")]
    page_action: Option<String>,
    /// The token (vads_identifier): the saved card to pay with or subscribe, or the id you
    /// choose for the one a registration creates.
    #[arg(long, value_name = "ID")]
    token: Option<String>,
    /// Each installment of the subscription, minor units (vads_sub_amount).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    sub_amount: Option<String>,
    /// The subscription's currency: EUR or 978 (vads_sub_currency; default: --currency).
    #[arg(long, value_name = "CODE")]
    sub_currency: Option<String>,
    /// When the subscription's installments are due: an RFC 5545 rule, RRULE:FREQ=...
    /// (vads_sub_desc).
    #[arg(long, value_name = "RULE")]
    sub_rrule: Option<String>,
    /// The subscription's first possible day, YYYYMMDD or YYYY-MM-DD, UTC.
    #[arg(long, value_name = "DATE")]
    sub_effect_date: Option<String>,
    /// The first --sub-init-count installments at this amount instead.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    sub_init_amount: Option<String>,
    /// How many installments are at --sub-init-amount.
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    sub_init_count: Option<String>,
    /// Who starts the payment (vads_payment_src): EC, MOTO, CC or OTHER.
    #[arg(long, value_name = "SRC")]
    payment_src: Option<String>,
    /// Any other vads_ field, NAME=VALUE (repeatable).
    #[arg(long = "field", value_name = "NAME=VALUE")]
    fields: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "html", value_parser = ["html", "json"])]
    format: String,
    /// The shop, when the config has several.
    #[arg(long, value_name = "NAME")]
    shop: Option<String>,
}

/// A whole number of an option, or the error of its code.
fn number<T: std::str::FromStr>(
    text: &str,
    option: &str,
    code: &str,
    what: &str,
) -> Result<T, Failure> {
    let parsed = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    };
    parsed.ok_or_else(|| data_error(format!("{code}: {option}: {what}")))
}

/// The plan of `--installments N [--first F] --period D` for `amount`.
fn plan(args: &FormArgs, amount: Option<&str>) -> Result<Option<Installments>, Failure> {
    let Some(count) = args.installments.as_deref() else {
        return Ok(None);
    };
    let count: u32 = number(
        count,
        "--installments",
        "installments_count",
        "a whole number of installments, 2 or more",
    )?;
    let period: u32 = number(
        args.period.as_deref().unwrap_or_default(),
        "--period",
        "installments_period",
        "a whole number of days between installments, 1 or more",
    )?;
    let first = match args.first.as_deref() {
        Some(f) => number(
            f,
            "--first",
            "installments_first",
            "the first installment in minor units (digits only)",
        )?,
        None => {
            let total: u64 = number(
                amount.unwrap_or_default(),
                "--amount",
                "invalid_field",
                "the plan's total in minor units (digits only)",
            )?;
            total / u64::from(count.max(1))
        }
    };
    Ok(Some(Installments::new(count, first, period)))
}

pub(crate) fn run(args: &FormArgs) -> Result<(), Failure> {
    let shops = load_shops(&args.config)?;
    let shop = pick(&shops, args.shop.as_deref())?;
    let amount = args.amount.as_deref();
    let plan = plan(args, amount)?;
    let mut builder = shop
        .form()
        .currency(&args.currency)
        .order_id(args.order_id.as_str());
    if let Some(a) = amount {
        builder = builder.field("vads_amount", a);
    }
    if let Some(p) = plan {
        builder = builder.installments(p);
    }
    let currency_of =
        |c: &str| Currency::find(c).map_or_else(|| c.to_owned(), |c| c.numeric.to_owned());
    let sub_given = args.sub_amount.is_some()
        || args.sub_rrule.is_some()
        || args.sub_effect_date.is_some()
        || args.sub_init_amount.is_some()
        || args.sub_init_count.is_some();
    let optional = [
        ("vads_cust_email", args.cust_email.clone()),
        ("vads_page_action", args.page_action.clone()),
        ("vads_identifier", args.token.clone()),
        ("vads_sub_amount", args.sub_amount.clone()),
        (
            "vads_sub_currency",
            args.sub_currency
                .as_deref()
                .or(sub_given.then_some(args.currency.as_str()))
                .map(currency_of),
        ),
        ("vads_sub_desc", args.sub_rrule.clone()),
        (
            "vads_sub_effect_date",
            args.sub_effect_date
                .as_deref()
                .map(|d| compact_date(d).unwrap_or_else(|| d.to_owned())),
        ),
        ("vads_sub_init_amount", args.sub_init_amount.clone()),
        ("vads_sub_init_amount_number", args.sub_init_count.clone()),
        ("vads_payment_src", args.payment_src.clone()),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            builder = builder.field(name, v);
        }
    }
    for f in &args.fields {
        let (name, value) = f.split_once('=').ok_or_else(|| {
            usage_error("usage: --field takes NAME=VALUE, and this one has no '='")
        })?;
        builder = builder.field(name, value);
    }
    let signed = builder.sign().map_err(data_error)?;
    let schedule = match plan {
        Some(p) => schedule_of(&signed, p)?,
        None => Vec::new(),
    };
    if args.format == "json" {
        let mut json =
            serde_json::to_value(&signed).map_err(|e| data_error(format!("output_error: {e}")))?;
        if !schedule.is_empty() {
            json["schedule"] = serde_json::Value::Array(
                schedule
                    .iter()
                    .enumerate()
                    .map(|(i, (date, amount))| {
                        serde_json::json!({"installment": i + 1, "date": date, "amount": amount})
                    })
                    .collect(),
            );
        }
        if !signed.warnings.is_empty() {
            json["warnings"] = serde_json::json!(signed.warnings);
        }
        println!("{json}");
    } else {
        for (i, (date, amount)) in schedule.iter().enumerate() {
            eprintln!("vads: installment {}: {date}: {amount}", i + 1);
        }
        print!("{}", signed.to_html());
    }
    for w in &signed.warnings {
        eprintln!("vads: warning: {w}");
    }
    Ok(())
}

/// When each installment of the signed plan is due (`YYYY-MM-DD`, UTC) and its amount.
fn schedule_of(signed: &SignedForm, plan: Installments) -> Result<Vec<(String, u64)>, Failure> {
    let total: u64 = signed
        .get("vads_amount")
        .and_then(|a| a.parse().ok())
        .unwrap_or_default();
    let delay: u32 = signed
        .get("vads_capture_delay")
        .and_then(|d| d.parse().ok())
        .unwrap_or_default();
    let start = signed
        .get("vads_trans_date")
        .and_then(TransDate::parse)
        .unwrap_or_else(TransDate::now);
    let schedule = plan.schedule(total, delay, start).map_err(data_error)?;
    Ok(schedule
        .into_iter()
        .map(|(d, a)| (format!("{:04}-{:02}-{:02}", d.year, d.month, d.day), a))
        .collect())
}
