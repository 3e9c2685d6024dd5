//! `vads reconcile`: orders rebuilt from a log of IPN bodies, one per line, each line read
//! with a bound.

use crate::common::{data_error, load_shops, os_reason, Failure};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ReconcileArgs {
    /// The shop's (or shops') TOML configuration.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The log of notification bodies, one per line (blank lines are ignored); standard
    /// input when absent (with --fetch: unless --order-id is given).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Also ask the platform (Order/Get) for every order the lines mention and every
    /// --order-id, and merge its view of their transactions in.
    #[arg(long)]
    fetch: bool,
    /// With --fetch: an order to ask for that no line mentions (repeatable).
    #[arg(long = "order-id", value_name = "ID", requires = "fetch")]
    order_ids: Vec<String>,
    /// With --fetch: the shop whose credentials ask, when the config has several.
    #[arg(long, value_name = "NAME", requires = "fetch")]
    shop: Option<String>,
}

/// How far past [`vads::MAX_BODY_LEN`] a line without a line break is skipped, when the
/// input is not a regular file (a pipe, a device), before reading stops: an input that
/// never ends, like `/dev/zero`, is not read forever. A regular file ends: its long lines
/// are skipped to their end.
pub(crate) const MAX_SKIPPED: usize = 16 << 20;

/// One line of a log, read with a bound.
pub(crate) enum Line<'b> {
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
pub(crate) struct BoundedLines<R> {
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
pub(crate) fn stdin_is_a_regular_file() -> bool {
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

pub(crate) fn run(args: &ReconcileArgs) -> Result<(), Failure> {
    use std::io::BufRead;
    let shops = load_shops(&args.config)?;
    let read_lines = args.file.is_some() || !args.fetch || args.order_ids.is_empty();
    let (input, regular): (Box<dyn BufRead>, bool) = match &args.file {
        _ if !read_lines => (Box::new(std::io::empty()), true),
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
    if args.fetch {
        refused += fetch(&shops, args, &mut events)?;
    }
    let mut out = std::io::stdout().lock();
    for order in vads::lifecycle::reconcile_orders(events) {
        let _ = writeln!(out, "{}", order_json(&order));
    }
    if refused > 0 {
        return Err(Failure {
            status: 1,
            message: format!("refused: {refused} line(s) or order(s) refused, see above"),
        });
    }
    Ok(())
}

/// `--fetch`: the platform's view (Order/Get) of every order of `events` and of
/// `--order-id`, merged into `events`; how many orders could not be read (each reported).
fn fetch(
    shops: &vads::Shops,
    args: &ReconcileArgs,
    events: &mut Vec<vads::lifecycle::TransactionEvent>,
) -> Result<usize, Failure> {
    let shop = crate::common::pick(shops, args.shop.as_deref())?;
    let client = vads::api::Client::for_shop(shop).map_err(|e| crate::api::api_failure(&e))?;
    let mut ids: Vec<String> = events.iter().filter_map(|e| e.order_id.clone()).collect();
    ids.extend(args.order_ids.iter().cloned());
    ids.sort();
    ids.dedup();
    let rt = crate::api::runtime()?;
    let mut failed = 0;
    for id in ids {
        match rt.block_on(vads::api::money::read_order(&client, &id)) {
            Ok(transactions) => {
                let c = client.credentials();
                events.extend(
                    transactions
                        .iter()
                        .map(|t| t.to_event(Some(&id)).or_scope(c.site_id(), c.mode())),
                );
            }
            Err(e) => {
                failed += 1;
                let text = e.to_string();
                let sentence = text
                    .strip_prefix(e.code())
                    .and_then(|s| s.strip_prefix(": "))
                    .unwrap_or(&text);
                let _ = writeln!(
                    std::io::stderr(),
                    "vads: {}: order {}: {sentence}",
                    e.code(),
                    vads::shown::shown_name(&id, &[])
                );
            }
        }
    }
    Ok(failed)
}

/// The JSON line of an order for `vads reconcile`.
pub(crate) fn order_json(order: &vads::lifecycle::OrderState) -> serde_json::Value {
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
    let mut line = serde_json::json!({
        "order_id": order.order_id,
        "site_id": order.site_id,
        "mode": order.mode,
        "outcome": order.outcome.as_str(),
        "paid": order.paid,
        "refunded": order.refunded,
        "lowered": order.lowered,
        "currency": order.currency,
        "attention": order.attention_codes,
        "attention_details": order.attention,
        "transactions": transactions,
    });
    // What applies: an installment plan, a token, a subscription (the order that
    // created it, or one of its installments, with its number), the channel.
    if let Some(plan) = &order.plan {
        line["plan"] = serde_json::json!({
            "count": plan.count,
            "first": plan.first,
            "total": plan.total,
            "accepted": plan.accepted,
            "refused": plan.refused,
        });
    }
    if let Some(token) = &order.token {
        line["token"] = serde_json::json!({"id": token.id, "status": token.status});
    }
    if order.subscription.is_some()
        || order.recurrence_number.is_some()
        || order.recurrence_status.is_some()
    {
        line["subscription"] = serde_json::json!(order.subscription);
    }
    if let Some(status) = &order.recurrence_status {
        line["subscription_status"] = serde_json::json!(status);
    }
    if let Some(n) = order.recurrence_number {
        line["recurrence_number"] = serde_json::json!(n);
    }
    if let Some(src) = &order.payment_src {
        line["payment_src"] = serde_json::json!(src);
    }
    if let Some(reference) = &order.chaining_ref {
        line["chaining_ref"] = serde_json::json!(reference);
    }
    line
}
