//! `vads`: sign and verify the `vads_*` payment form protocol from the command line.
//!
//! Exit statuses: 0 success; 1 bad data (malformed body, rejected notification, nothing to
//! sign, a key that cannot be loaded or is malformed, whether named on the command line or
//! in the config, an API call refused or unanswered); 2 bad usage (unknown option or
//! algorithm, unreadable or invalid config); 3 an API call that moves money whose outcome
//! is unknown.
//! Errors are one line on standard error: `vads: CODE: sentence`. Nothing printed ever
//! contains a key.

mod api;
mod charge;
mod common;
mod form;
mod lock;
mod money;
mod preflight;
mod reconcile;
mod rehearse;
mod saved;
mod sign;
mod verify;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

/// What `--help` says after the commands: the same contract as the README.
const AFTER_HELP: &str = "\
Errors are one line on standard error: `vads: CODE: sentence`.
Exit statuses:
  0  success
  1  bad data: malformed body, rejected notification, nothing to sign, a key that cannot
     be loaded or is malformed (from --key-file/--key-env or from the config), failed
     preflight or delivery, refused reconcile lines, an API call refused or unanswered,
     an order busy with another operation (busy: nothing was sent), a channel that is
     off (channel_off: nothing was signed or sent), a charge refused
  2  bad usage: unknown command or option, unreadable or invalid config
  3  outcome unknown: a refund, cancellation, update, validation, charge or subscription
     was sent once and its answer lost, or a charge is still pending; read the order
     (vads api order-get) before trying again
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
    Sign(sign::SignArgs),
    /// Verify a notification body (IPN or browser return, vads_* or REST format) read from
    /// standard input; print its fields as JSON.
    Verify(verify::VerifyArgs),
    /// Build and sign a payment form for the shop of a config; print it as HTML or JSON.
    Form(Box<form::FormArgs>),
    /// Check that a config is ready to go live; print the findings.
    Preflight(preflight::PreflightArgs),
    /// Rebuild the state of orders from a log of IPN bodies (vads_* or REST), one per line
    /// (from FILE, or standard input); print one JSON object per order, sorted by order id.
    /// Refused lines are reported on standard error and change nothing; the exit status
    /// is 1 if any line was refused.
    Reconcile(reconcile::ReconcileArgs),
    /// Post a correctly signed, harmless notification (status ABANDONED) to the shop's
    /// notification endpoint and report whether the platform would count it delivered.
    Rehearse(rehearse::RehearseArgs),
    /// Call the REST API V4 with the config's shop (its mode's REST password, its API
    /// host: api_url or the brand's); print the answer as one JSON object.
    Api(api::ApiArgs),
    /// Refund an order through the REST API, once: all that is left, --amount N more, or
    /// up to a refunded --total T (run twice, it refunds once). Prints the order's state.
    Refund(money::RefundArgs),
    /// Cancel an order's payment not captured yet, once. Prints the order's state.
    Cancel(money::OrderArgs),
    /// Validate an order's payment that waits for it, once. Prints the order's state.
    Validate(money::OrderArgs),
    /// Charge a saved card without the buyer (zero-click, the merchant-initiated channel),
    /// once: run again with the same --order-id, it charges at most once. Prints the
    /// order's state with `charge`.
    Charge(Box<charge::ChargeArgs>),
    /// A saved card (token): get, cancel, reactivate.
    Token(saved::TokenArgs),
    /// A subscription on a saved card: create (sent once), get (with its status), cancel.
    Subscription(saved::SubscriptionArgs),
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
            let line = common::withhold_quoted(line);
            let _ = writeln!(std::io::stderr(), "vads: usage: {line}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Sign(args) => sign::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Form(args) => form::run(&args),
        Command::Preflight(args) => preflight::run(&args),
        Command::Reconcile(args) => reconcile::run(&args),
        Command::Rehearse(args) => rehearse::run(&args),
        Command::Api(args) => api::run(&args),
        Command::Refund(args) => money::refund(&args),
        Command::Cancel(args) => money::cancel(&args),
        Command::Validate(args) => money::validate(&args),
        Command::Charge(args) => charge::run(&args),
        Command::Token(args) => saved::token(&args),
        Command::Subscription(args) => saved::subscription(&args),
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
