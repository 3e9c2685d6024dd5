//! `vads`: sign and verify the `vads_*` payment form protocol from the command line.
//!
//! Exit statuses: 0 success, 1 bad data (malformed body, rejected notification, unreadable
//! or empty key), 2 bad usage (unknown option or algorithm, invalid config). Errors are one
//! line on standard error, starting with `vads: ` and the error's stable code. Nothing
//! printed ever contains a key.

use clap::{Args, Parser, Subcommand};
use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use vads::body::{self, RawField};
use vads::{Algorithm, Key, Shop, ShopConfig};

#[derive(Parser)]
#[command(
    name = "vads",
    version,
    about = "Sign and verify vads_* payment forms and notifications (PayZen, Systempay, Sogecommerce, Scellius, ...)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign the fields read from standard input (an application/x-www-form-urlencoded
    /// body, as the browser posts the form); print the signature.
    Sign(SignArgs),
    /// Verify a notification body (IPN or browser return) read from standard input; print
    /// its fields as JSON.
    Verify(VerifyArgs),
    /// Build and sign a payment form for the shop of a config; print it as HTML or JSON.
    Form(FormArgs),
}

#[derive(Args)]
struct FormArgs {
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
}

#[derive(Args)]
struct KeySource {
    /// File holding the key (surrounding whitespace trimmed).
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "key_env",
        required_unless_present = "key_env"
    )]
    key_file: Option<PathBuf>,
    /// Environment variable holding the key.
    #[arg(long, value_name = "VAR")]
    key_env: Option<String>,
}

#[derive(Args)]
struct SignArgs {
    #[command(flatten)]
    key: KeySource,
    /// HMAC-SHA-256 (default) or SHA-1.
    #[arg(long, default_value = "HMAC-SHA-256", value_parser = parse_algorithm)]
    algorithm: Algorithm,
    /// Also print the signing string, key masked, on standard error.
    #[arg(long)]
    explain: bool,
}

#[derive(Args)]
struct VerifyArgs {
    /// The shop's TOML configuration.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// Also print the body's signing string, key masked, on standard error.
    #[arg(long)]
    explain: bool,
}

fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    s.parse().map_err(|e: vads::UnknownAlgorithm| e.to_string())
}

/// A failure: exit status and one line of message (starting with the error's code).
struct Failure {
    status: u8,
    message: String,
}

fn data_error(e: impl std::fmt::Display) -> Failure {
    Failure {
        status: 1,
        message: e.to_string(),
    }
}

fn usage_error(e: impl std::fmt::Display) -> Failure {
    Failure {
        status: 2,
        message: e.to_string(),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // One line: clap's first line, with its code.
            let text = e.render().to_string();
            let summary: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let line = summary.join(" ");
            let line = line.strip_prefix("error: ").unwrap_or(&line);
            let _ = writeln!(std::io::stderr(), "vads: usage: {line}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Sign(args) => sign(&args),
        Command::Verify(args) => verify(&args),
        Command::Form(args) => form(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One line, whatever the message holds.
            let line = f.message.replace(['\n', '\r'], " ");
            let _ = writeln!(std::io::stderr(), "vads: {line}");
            ExitCode::from(f.status)
        }
    }
}

/// Standard input, without one final line break (a urlencoded body never ends with a raw
/// line break; `echo` and editors add one).
fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    std::io::stdin()
        .take(vads::MAX_BODY_LEN as u64 + 3)
        .read_to_end(&mut body)
        .map_err(|e| {
            data_error(format!(
                "read_error: cannot read standard input: {}",
                e.kind()
            ))
        })?;
    if body.ends_with(b"\r\n") {
        body.truncate(body.len() - 2);
    } else if body.ends_with(b"\n") {
        body.truncate(body.len() - 1);
    }
    Ok(body)
}

fn load_key(source: &KeySource) -> Result<Key, Failure> {
    match (&source.key_file, &source.key_env) {
        (Some(path), _) => Key::from_file(path).map_err(data_error),
        (None, Some(var)) => Key::from_env(var).map_err(data_error),
        (None, None) => Err(usage_error("usage: give --key-file PATH or --key-env VAR")),
    }
}

fn sign(args: &SignArgs) -> Result<(), Failure> {
    let key = load_key(&args.key)?;
    let body = read_stdin()?;
    let mut storage = vec![RawField::EMPTY; vads::MAX_FIELDS];
    let fields = body::parse(&body, &mut storage).map_err(data_error)?;
    let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> =
        fields.iter().map(|f| (f.name(), f.value())).collect();
    let iter = || pairs.iter().map(|(n, v)| (n.as_ref(), v.as_ref()));
    let signature = vads::sign(iter(), &key, args.algorithm).map_err(data_error)?;
    if args.explain {
        let s = vads::signing_string_masked(iter()).map_err(data_error)?;
        let _ = writeln!(std::io::stderr(), "{s}");
    }
    println!("{signature}");
    Ok(())
}

fn load_shop(path: &PathBuf) -> Result<Shop, Failure> {
    let config = ShopConfig::from_toml_file(path).map_err(usage_error)?;
    Shop::new(config).map_err(usage_error)
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let shop = load_shop(&args.config)?;
    let body = read_stdin()?;
    if args.explain {
        if let Ok(s) = shop.explain(&body) {
            let _ = writeln!(std::io::stderr(), "{s}");
        }
    }
    let n = shop.verify(&body).map_err(data_error)?;
    let json = serde_json::json!({
        "kind": match n.kind() { vads::Kind::Ipn => "ipn", vads::Kind::BrowserReturn => "browser_return" },
        "mode": n.mode().as_str(),
        "site_id": n.site_id(),
        "trans_id": n.trans_id(),
        "trans_uuid": n.trans_uuid(),
        "order_id": n.order_id(),
        "trans_status": n.get("vads_trans_status"),
        "outcome": n.outcome().as_str(),
        "amount": n.amount().ok(),
        "currency": n.get("vads_currency"),
        "trans_date": n.get("vads_trans_date"),
        "operation_type": n.get("vads_operation_type"),
        "url_check_src": n.get("vads_url_check_src"),
        "key": match n.matched_key() {
            vads::KeyMatch::Current => "current".to_owned(),
            vads::KeyMatch::Previous { index } => format!("previous[{index}]"),
        },
        "algorithm": n.algorithm().name(),
        "idempotency_key": n.idempotency_key(),
    });
    println!("{json}");
    Ok(())
}

fn form(args: &FormArgs) -> Result<(), Failure> {
    let shop = load_shop(&args.config)?;
    let mut builder = shop
        .form()
        .field("vads_amount", args.amount.as_str())
        .currency(&args.currency)
        .order_id(args.order_id.as_str());
    for f in &args.fields {
        let (name, value) = f
            .split_once('=')
            .ok_or_else(|| usage_error(format!("usage: --field takes NAME=VALUE, got {f:?}")))?;
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
