//! `vads verify`: a notification body (either format) verified with the config's shops,
//! printed as one JSON object.

use crate::common::{data_error, load_shops, read_stdin, Failure};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct VerifyArgs {
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

/// The `vads_site_id` a body claims (to choose the shop whose key explains a refusal).
fn signed_site(body: &[u8]) -> Option<String> {
    let mut storage = vec![vads::body::RawField::EMPTY; vads::MAX_FIELDS];
    let fields = vads::body::parse(body, &mut storage).ok()?;
    fields
        .iter()
        .find(|f| f.name_is("vads_site_id"))
        .map(|f| f.value().into_owned())
}

pub(crate) fn parse_endpoint(s: &str) -> Result<vads::Endpoint, String> {
    s.parse().map_err(|_| "expected ipn or return".to_owned())
}

pub(crate) fn run(args: &VerifyArgs) -> Result<(), Failure> {
    let shops = load_shops(&args.config)?;
    let body = read_stdin()?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(data_error(
            "empty_body: the body is empty: nothing was read on standard input (vads verify reads the notification's raw body there)",
        ));
    }
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
            // Fields written one per line: a raw line break is not urlencoded.
            vads::VerifyError::MissingSignature | vads::VerifyError::MalformedBody { .. }
                if body.contains(&b'\n') =>
            {
                data_error(format!(
                    "{e}; the fields are on several lines: join them with '&' (name=value&name=value)"
                ))
            }
            // The shop's key can tell why (never showing it): the other algorithm, '+'
            // read as a space, or another key.
            vads::VerifyError::BadSignature => {
                let hint = shops
                    .only()
                    .or_else(|| {
                        let site = signed_site(&body)?;
                        shops.names().find_map(|n| {
                            shops.get(n).filter(|s| s.site_id() == site)
                        })
                    })
                    .and_then(|shop| shop.diagnose_signature(&body));
                match hint {
                    Some(hint) => data_error(format!("{e} ({hint})")),
                    None => data_error(e),
                }
            }
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

pub(crate) fn kind_name(kind: vads::Kind) -> &'static str {
    match kind {
        vads::Kind::Ipn => "ipn",
        vads::Kind::BrowserReturn => "browser_return",
    }
}

/// The JSON of a verified REST answer: the same shape as a `vads_*` notification's, from
/// its first transaction, and every transaction under `transactions`.
pub(crate) fn rest_json(
    shop: &str,
    n: &vads::RestNotification<'_>,
) -> Result<serde_json::Value, Failure> {
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
                "idempotency_key": e.idempotency_key(),
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
