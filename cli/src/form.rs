//! `vads form`: a signed payment form for the config's shop, as HTML or JSON.

use crate::common::{data_error, load_shops, pick, usage_error, Failure};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct FormArgs {
    /// The shop's TOML configuration.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The amount in minor units (cents for EUR): 1050 is 10.50 EUR.
    #[arg(long, value_name = "N")]
    amount: String,
    /// The currency: EUR or 978.
    #[arg(long, value_name = "CODE")]
    currency: String,
    /// The shop's order reference.
    #[arg(long, value_name = "ID")]
    order_id: String,
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

pub(crate) fn run(args: &FormArgs) -> Result<(), Failure> {
    let shops = load_shops(&args.config)?;
    let shop = pick(&shops, args.shop.as_deref())?;
    let mut builder = shop
        .form()
        .field("vads_amount", args.amount.as_str())
        .currency(&args.currency)
        .order_id(args.order_id.as_str());
    for f in &args.fields {
        let (name, value) = f.split_once('=').ok_or_else(|| {
            usage_error("usage: --field takes NAME=VALUE, and this one has no '='")
        })?;
        builder = builder.field(name, value);
    }
    let signed = builder.sign().map_err(data_error)?;
    if args.format == "json" {
        let json =
            serde_json::to_string(&signed).map_err(|e| data_error(format!("output_error: {e}")))?;
        println!("{json}");
    } else {
        print!("{}", signed.to_html());
    }
    Ok(())
}
