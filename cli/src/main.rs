//! `vads`: sign and verify the `vads_*` payment form protocol from the command line.
//!
//! Exit statuses: 0 success; 1 bad data (malformed body, rejected notification, nothing to
//! sign, a key that cannot be loaded or is malformed, whether named on the command line or
//! in the config); 2 bad usage (unknown option or algorithm, unreadable or invalid config).
//! Errors are one line on standard error: `vads: CODE: sentence`. Nothing printed ever
//! contains a key.

use clap::{Args, Parser, Subcommand};
use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use vads::body::{self, RawField};
use vads::preflight::{Finding, Severity};
use vads::{Algorithm, Key, Shop, Shops, ShopsConfig};

/// What `--help` says after the commands: the same contract as the README.
const AFTER_HELP: &str = "\
Errors are one line on standard error: `vads: CODE: sentence`.
Exit statuses:
  0  success
  1  bad data: malformed body, rejected notification, nothing to sign, a key that cannot
     be loaded or is malformed (from --key-file/--key-env or from the config), failed
     preflight or delivery, refused reconcile lines
  2  bad usage: unknown command or option, unreadable or invalid config
A key is never a command-line argument and never printed.";

#[derive(Parser)]
#[command(
    name = "vads",
    version,
    about = "Sign and verify vads_* payment forms and notifications (PayZen, Systempay, Sogecommerce, Scellius, ...)",
    after_help = AFTER_HELP,
    arg_required_else_help = true
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
    /// Verify a notification body (IPN or browser return, vads_* or REST format) read from
    /// standard input; print its fields as JSON.
    Verify(VerifyArgs),
    /// Build and sign a payment form for the shop of a config; print it as HTML or JSON.
    Form(FormArgs),
    /// Check that a config is ready to go live; print the findings.
    Preflight(PreflightArgs),
    /// Rebuild the state of orders from a log of IPN bodies (vads_* or REST), one per line
    /// (from FILE, or standard input); print one JSON object per order, sorted by order id.
    /// Refused lines are reported on standard error and change nothing; the exit status
    /// is 1 if any line was refused.
    Reconcile(ReconcileArgs),
    /// Post a correctly signed, harmless notification (status ABANDONED) to the shop's
    /// notification endpoint and report whether the platform would count it delivered.
    Rehearse(RehearseArgs),
}

#[derive(Args)]
struct ReconcileArgs {
    /// The shop's (or shops') TOML configuration.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The log of notification bodies, one per line (blank lines are ignored); standard
    /// input when absent.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

#[derive(Args)]
struct PreflightArgs {
    /// The shop's (or shops') TOML configuration.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

#[derive(Args)]
struct RehearseArgs {
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
    /// The shop, when the config has several.
    #[arg(long, value_name = "NAME")]
    shop: Option<String>,
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
    /// The endpoint the body arrived at: it chooses the key of a REST answer (ipn: the
    /// REST password; return: the REST HMAC-SHA-256 key). A vads_* body is checked with
    /// the form key at both.
    #[arg(long, value_name = "ipn|return", default_value = "ipn", value_parser = parse_endpoint)]
    endpoint: vads::Endpoint,
    /// Also print the body's signing string, key masked, on standard error (vads_* bodies).
    #[arg(long)]
    explain: bool,
}

fn parse_endpoint(s: &str) -> Result<vads::Endpoint, String> {
    s.parse().map_err(|_| "expected ipn or return".to_owned())
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
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `vads` alone: the list of commands, on standard error, exit 2.
            let _ = write!(std::io::stderr(), "{}", e.render());
            return ExitCode::from(2);
        }
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
            let line = withhold_quoted(line);
            let _ = writeln!(std::io::stderr(), "vads: usage: {line}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Sign(args) => sign(&args),
        Command::Verify(args) => verify(&args),
        Command::Form(args) => form(&args),
        Command::Preflight(args) => preflight(&args),
        Command::Reconcile(args) => reconcile(&args),
        Command::Rehearse(args) => rehearse(&args),
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

/// clap's message with each quoted piece of the user's command line (`'...'`) kept only
/// when it is an option (`--config`, `<PATH>`) or reads like a name
/// ([`vads::shown`]): a key pasted as a stray argument is not printed back.
fn withhold_quoted(line: &str) -> String {
    let mut out = String::new();
    let mut parts = line.split('\'');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('\'');
        // Odd pieces (0, 2, ... here) are inside quotes.
        let inside = i % 2 == 0;
        if inside
            && !part.starts_with('-')
            && !part.contains('<')
            && !vads::shown::reads_like_a_name(part)
        {
            out.push_str(vads::shown::NAME_WITHHELD);
        } else {
            out.push_str(part);
        }
    }
    out
}

/// An I/O error as the operating system words it ("No such file or directory"), without
/// std's " (os error 2)".
fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// A configuration error: exit 1 when a key is at fault, 2 when the config is.
fn config_error(e: vads::ConfigError) -> Failure {
    Failure {
        status: if e.key_error().is_some() { 1 } else { 2 },
        message: e.to_string(),
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
                os_reason(&e)
            ))
        })?;
    if body.ends_with(b"\r\n") {
        body.truncate(body.len() - 2);
    } else if body.ends_with(b"\n") {
        body.truncate(body.len() - 1);
    }
    Ok(body)
}

/// How far past [`vads::MAX_BODY_LEN`] a line without a line break is skipped, when the
/// input is not a regular file (a pipe, a device), before reading stops: an input that
/// never ends, like `/dev/zero`, is not read forever. A regular file ends: its long lines
/// are skipped to their end.
const MAX_SKIPPED: usize = 16 << 20;

/// One line of a log, read with a bound.
enum Line<'b> {
    /// A line of at most [`vads::MAX_BODY_LEN`] bytes (without its line break).
    Body(&'b [u8]),
    /// A longer line, skipped without being held.
    TooLong,
    /// No line break within [`MAX_SKIPPED`] bytes past the limit: reading stops.
    Unended,
    /// The end of the input.
    End,
}

/// Lines of at most [`vads::MAX_BODY_LEN`] bytes from a reader, in one buffer that never
/// grows past that: memory stays flat whatever the input.
struct BoundedLines<R> {
    input: R,
    line: Vec<u8>,
    /// [`MAX_SKIPPED`] for an input that may never end; `None` for a regular file.
    skip_limit: Option<usize>,
}

impl<R: std::io::BufRead> BoundedLines<R> {
    fn new(input: R, regular_file: bool) -> Self {
        BoundedLines {
            input,
            line: Vec::with_capacity(vads::MAX_BODY_LEN + 1),
            skip_limit: (!regular_file).then_some(MAX_SKIPPED),
        }
    }

    fn next_line(&mut self) -> std::io::Result<Line<'_>> {
        self.line.clear();
        let mut skipped: Option<usize> = None;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(match skipped {
                    Some(_) => Line::TooLong,
                    None if self.line.is_empty() => Line::End,
                    None => Line::Body(&self.line),
                });
            }
            let (part, ended) = match chunk.iter().position(|&b| b == b'\n') {
                Some(at) => (&chunk[..at], true),
                None => (chunk, false),
            };
            let used = part.len() + usize::from(ended);
            match skipped.as_mut() {
                Some(n) => *n += part.len(),
                None if self.line.len() + part.len() <= vads::MAX_BODY_LEN => {
                    self.line.extend_from_slice(part);
                }
                None => {
                    skipped = Some(self.line.len() + part.len());
                    self.line.clear();
                }
            }
            self.input.consume(used);
            if ended {
                return Ok(if skipped.is_some() {
                    Line::TooLong
                } else {
                    Line::Body(&self.line)
                });
            }
            if skipped.is_some_and(|n| self.skip_limit.is_some_and(|limit| n > limit)) {
                return Ok(Line::Unended);
            }
        }
    }
}

/// Whether standard input is a regular file (`< log`), which ends, rather than a pipe or a
/// device, which may not.
fn stdin_is_a_regular_file() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map(std::fs::File::from)
            .and_then(|f| f.metadata())
            .is_ok_and(|m| m.is_file())
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn reconcile(args: &ReconcileArgs) -> Result<(), Failure> {
    use std::io::BufRead;
    let shops = load_shops(&args.config)?;
    let (input, regular): (Box<dyn BufRead>, bool) = match &args.file {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                data_error(format!(
                    "read_error: cannot read {}: {}",
                    vads::shown::shown_path(path),
                    os_reason(&e)
                ))
            })?;
            let regular = file.metadata().is_ok_and(|m| m.is_file());
            (Box::new(std::io::BufReader::new(file)), regular)
        }
        None => (Box::new(std::io::stdin().lock()), stdin_is_a_regular_file()),
    };
    let mut events = Vec::new();
    let mut refused = 0usize;
    let mut lines = BoundedLines::new(input, regular);
    let mut index = 0usize;
    loop {
        index += 1;
        let line = match lines.next_line() {
            Ok(Line::End) => break,
            Ok(Line::Body(line)) => line,
            Ok(Line::TooLong) => {
                refused += 1;
                let _ = writeln!(
                    std::io::stderr(),
                    "vads: body_too_large: line {index}: longer than {} bytes (MAX_BODY_LEN), not read",
                    vads::MAX_BODY_LEN
                );
                continue;
            }
            Ok(Line::Unended) => {
                refused += 1;
                let _ = writeln!(
                    std::io::stderr(),
                    "vads: body_too_large: line {index}: no line break in the next {} MiB; the rest of the input is not read",
                    MAX_SKIPPED >> 20
                );
                break;
            }
            Err(e) => {
                return Err(data_error(format!(
                    "read_error: cannot read the input: {}",
                    os_reason(&e)
                )))
            }
        };
        let body = line.strip_suffix(b"\r").unwrap_or(line);
        if body.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // A log holds IPNs: a REST line is checked with the REST password.
        let verified = shops
            .verify_any(body, vads::Endpoint::Ipn)
            .map_err(|e| (e.code(), e.to_string()))
            .and_then(|(_, n)| n.events().map_err(|e| (e.code(), e.to_string())));
        match verified {
            Ok(new) => events.extend(new),
            Err((code, text)) => {
                refused += 1;
                let sentence = text
                    .strip_prefix(code)
                    .and_then(|s| s.strip_prefix(": "))
                    .unwrap_or(&text);
                let _ = writeln!(
                    std::io::stderr(),
                    "vads: {code}: line {}: {sentence}",
                    index
                );
            }
        }
    }
    let mut out = std::io::stdout().lock();
    for order in vads::lifecycle::reconcile_orders(events) {
        let _ = writeln!(out, "{}", order_json(&order));
    }
    if refused > 0 {
        return Err(Failure {
            status: 1,
            message: format!("refused: {refused} line(s) refused, see above"),
        });
    }
    Ok(())
}

/// The JSON line of an order for `vads reconcile`.
fn order_json(order: &vads::lifecycle::OrderState) -> serde_json::Value {
    use vads::lifecycle::{Agreed, Merged};
    fn agreed<T: serde::Serialize>(a: &Agreed<T>) -> serde_json::Value {
        match a {
            Agreed::Unset => serde_json::Value::Null,
            Agreed::Value(v) => serde_json::json!(v),
            Agreed::Conflict => serde_json::json!("CONFLICT"),
        }
    }
    let transactions: Vec<_> = order
        .transactions
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "trans_uuid": agreed(&t.trans_uuid),
                "trans_id": agreed(&t.trans_id),
                "operation_type": agreed(&t.operation_type),
                "trans_status": match t.status.merged() {
                    Merged::Status(s) => serde_json::json!(s.as_str()),
                    Merged::Conflict => serde_json::json!("CONFLICT"),
                    Merged::None => serde_json::Value::Null,
                },
                "outcome": t.outcome().as_str(),
                "amount": agreed(&t.amount),
                "currency": agreed(&t.currency),
            })
        })
        .collect();
    serde_json::json!({
        "order_id": order.order_id,
        "outcome": order.outcome.as_str(),
        "paid": order.paid,
        "refunded": order.refunded,
        "currency": order.currency,
        "attention": order.attention,
        "transactions": transactions,
    })
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
    // Room for every field a body of MAX_BODY_LEN can hold: only vads_ fields count
    // toward the signing limit, which `vads::sign` enforces.
    let mut storage = vec![RawField::EMPTY; vads::MAX_BODY_LEN / 2 + 1];
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

fn load_shops(path: &PathBuf) -> Result<Shops, Failure> {
    let config = ShopsConfig::from_toml_file(path).map_err(config_error)?;
    Shops::new(config).map_err(config_error)
}

/// The shop named `name`, or the only one.
fn pick<'s>(shops: &'s Shops, name: Option<&str>) -> Result<&'s Shop, Failure> {
    match name {
        Some(n) => shops.get(n).ok_or_else(|| {
            usage_error(format!(
                "usage: no shop named {} in the config",
                vads::shown::shown_name(n, &[])
            ))
        }),
        None => shops.only().ok_or_else(|| {
            let names: Vec<String> = shops
                .names()
                .map(|n| vads::shown::shown_name(n, &[]))
                .collect();
            usage_error(format!(
                "usage: the config has several shops; choose one with --shop ({})",
                names.join(", ")
            ))
        }),
    }
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let shops = load_shops(&args.config)?;
    let body = read_stdin()?;
    if args.explain && vads::Format::of(&body) == vads::Format::Form {
        if let Ok(s) = shops.explain(&body) {
            let _ = writeln!(std::io::stderr(), "{s}");
        }
    }
    let (name, n) = shops
        .verify_any(&body, args.endpoint)
        .map_err(|e| match e {
            vads::VerifyError::WrongHashKey { endpoint } => data_error(format!(
                "{e} (if the body arrived at the other endpoint, say so: --endpoint {})",
                match endpoint {
                    vads::Endpoint::Ipn => "return",
                    vads::Endpoint::Return => "ipn",
                }
            )),
            e => data_error(e),
        })?;
    let json = match n {
        vads::AnyNotification::Form(n) => serde_json::json!({
            "shop": vads::shown::shown_name(name, &[]),
            "format": "form",
            "kind": kind_name(n.kind()),
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
        }),
        vads::AnyNotification::Rest(n) => rest_json(name, &n)?,
    };
    println!("{json}");
    Ok(())
}

fn kind_name(kind: vads::Kind) -> &'static str {
    match kind {
        vads::Kind::Ipn => "ipn",
        vads::Kind::BrowserReturn => "browser_return",
    }
}

/// The JSON of a verified REST answer: the same shape as a `vads_*` notification's, from
/// its first transaction, and every transaction under `transactions`.
fn rest_json(shop: &str, n: &vads::RestNotification<'_>) -> Result<serde_json::Value, Failure> {
    let answer = n.answer().map_err(data_error)?;
    let events = answer.events();
    let transactions: Vec<serde_json::Value> = answer
        .transactions
        .iter()
        .zip(&events)
        .map(|(t, e)| {
            serde_json::json!({
                "trans_uuid": t.uuid,
                "trans_id": e.trans_id,
                "trans_status": t.detailed_status,
                "status": t.status,
                "operation_type": t.operation_type,
                "amount": t.amount,
                "currency": e.currency,
                "currency_alpha": t.currency,
                "outcome": t.outcome().as_str(),
                "idempotency_key": idempotency_key(e),
            })
        })
        .collect();
    let first = transactions.first().cloned().unwrap_or_default();
    let field = |name: &str| first.get(name).cloned().unwrap_or_default();
    Ok(serde_json::json!({
        "shop": vads::shown::shown_name(shop, &[]),
        "format": "rest",
        "kind": kind_name(n.kind()),
        "mode": n.mode().as_str(),
        "site_id": n.site_id(),
        "trans_id": field("trans_id"),
        "trans_uuid": field("trans_uuid"),
        "order_id": answer.order_details.order_id,
        "trans_status": field("trans_status"),
        "outcome": first.get("outcome").cloned().unwrap_or_else(|| "needs_attention".into()),
        "amount": field("amount"),
        "currency": field("currency"),
        "trans_date": events.first().and_then(|e| e.trans_date.clone()),
        "operation_type": field("operation_type"),
        "order_status": answer.order_status_text,
        "answer_type": n.answer_type(),
        "key": match n.endpoint() {
            vads::Endpoint::Ipn => "password",
            vads::Endpoint::Return => "hmac_key",
        },
        "algorithm": "sha256_hmac",
        "idempotency_key": field("idempotency_key"),
        "transactions": transactions,
    }))
}

/// `TRANSACTION|status|operation`: the same key a `vads_*` notification of the same event
/// gives (`Notification::idempotency_key`).
fn idempotency_key(e: &vads::lifecycle::TransactionEvent) -> String {
    format!(
        "{}|{}|{}",
        e.transaction,
        e.trans_status.as_deref().unwrap_or_default(),
        e.operation_type.as_deref().unwrap_or_default()
    )
}

fn form(args: &FormArgs) -> Result<(), Failure> {
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

fn preflight(args: &PreflightArgs) -> Result<(), Failure> {
    let config = ShopsConfig::from_toml_file(&args.config).map_err(config_error)?;
    let findings = vads::preflight::preflight(&config);
    let ready = vads::preflight::ready(&findings);
    if args.format == "json" {
        let json = serde_json::json!({ "ready": ready, "findings": findings });
        println!("{json}");
    } else {
        for f in &findings {
            print_finding(f);
        }
        let errors = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let warnings = findings.len() - errors;
        if ready {
            println!("ready to go live ({warnings} warning(s))");
        } else {
            println!("NOT ready to go live: {errors} error(s), {warnings} warning(s)");
        }
    }
    if ready {
        Ok(())
    } else {
        Err(Failure {
            status: 1,
            message: "not_ready: the config has error-level findings".into(),
        })
    }
}

fn print_finding(f: &Finding) {
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let shop = f
        .shop
        .as_deref()
        .map(|s| format!("[{s}] "))
        .unwrap_or_default();
    println!("{level}: {shop}{}: {}\n  fix: {}", f.code, f.message, f.fix);
}

fn rehearse(args: &RehearseArgs) -> Result<(), Failure> {
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
