//! What vads did for one order: the signed form, every delivery with its verdict, the
//! reconciled state, the playground's buttons; and the same as JSON.

use super::store::{api_calls, deliveries, order_row, order_state, shipments};
use super::{ShopState, PRODUCT};
use crate::ui::{self, escape_html, money, outcome_badge, query_escape};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use vads::lifecycle::OrderOutcome;

/// What the outbox worker shipped for an order.
fn shipped_words(shipped: &[(i64, String, String)]) -> String {
    match shipped {
        [] => "not yet (the outbox ships an order once its money arrived)".to_owned(),
        [(entry, worker, at)] => format!(
            "yes, at {} UTC by {} (outbox entry {entry})",
            escape_html(at),
            escape_html(worker)
        ),
        more => format!(
            "<span class=\"badge bad\">{} times</span> (outbox entries {})",
            more.len(),
            more.iter()
                .map(|(e, ..)| e.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// An endpoint as a table cell: its path, and the deployment it belongs to beneath
/// (`/notify/live (PRODUCTION)` is the PRODUCTION deployment's), so the column stays
/// narrow.
fn endpoint_cell(endpoint: &str) -> String {
    match endpoint.split_once(" (") {
        Some((path, rest)) => format!(
            "<code>{}</code><span class=\"badge warn sub\">{}</span>",
            escape_html(path),
            escape_html(rest.trim_end_matches(')'))
        ),
        None => format!("<code>{}</code>", escape_html(endpoint)),
    }
}

/// What a simulator operation was, in words (for the notice after it).
pub(crate) fn operation_words(op: &str) -> &'static str {
    match op {
        "replay" => {
            "the payment's notification again, as the back office replays it (url_check_src=BO)"
        }
        "retry" => "the payment's notification again, as an automatic retry (url_check_src=RETRY)",
        "forgery" => {
            "a forgery: the payment's notification signed with a key that is not the shop's"
        }
        "test_to_production" => {
            "the payment's TEST notification to the shop's PRODUCTION deployment"
        }
        "duplicate_field" => "the payment's notification with one field twice",
        "validate" => "the back office's validation of the payment",
        "cancel" => "the back office's cancellation of the payment",
        "refund" => "a full refund (a new CREDIT transaction)",
        "refund_part" => "a partial refund (a new CREDIT transaction)",
        "rest_payment" => "the payment again as a REST IPN (kr-hash)",
        "rest_refund_part" => "a partial refund as a REST IPN (kr-hash)",
        _ => "a notification",
    }
}

pub(crate) async fn order_page(
    State(s): State<Arc<ShopState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let row = order_row(&s, &id).await;
    let Some(super::store::OrderRow {
        amount,
        currency,
        form,
        signing_string,
        created,
        kind,
    }) = row
    else {
        return s.fail(
            StatusCode::NOT_FOUND,
            "No such order",
            &format!("There is no order {id} in this shop."),
        );
    };
    let Some((state, events)) = order_state(&s, &id).await else {
        return s.fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "the database is busy",
        );
    };
    let form: Vec<(String, String)> = serde_json::from_str(&form).unwrap_or_default();
    let signature = form
        .iter()
        .find(|(n, _)| n == "signature")
        .map_or("", |(_, v)| v.as_str());
    let algorithm = s.shop().map_or("", |shop| shop.algorithm().name());
    let mut body = String::new();

    // What the simulator just did, if this page follows one of its operations: shown
    // just above the notifications, where its verdict is (the redirect lands there).
    let mut sent_notice = String::new();
    if let Some(op) = q.get("sent") {
        let answered = q.get("answered").map_or("nothing", String::as_str);
        let what = q.get("what").map_or("", String::as_str);
        let class = if answered.starts_with('2') {
            "ok"
        } else {
            "bad"
        };
        let words = match op.as_str() {
            "batch" | "batch_refused" => format!(
                "its nightly batch's {what}, {}",
                if op == "batch" {
                    "accepted"
                } else {
                    "refused by the bank"
                }
            ),
            op => operation_words(op).to_owned(),
        };
        sent_notice = format!(
            "<div class=\"notice {class}\" id=\"sent\">The platform simulator sent {}; the shop answered <strong>{}</strong>. \
             Its verdict is the last row below.</div>",
            escape_html(&words),
            escape_html(answered)
        );
    }
    body += &format!(
        "<div class=\"card\"><dl class=\"facts\"><dt>Order</dt><dd id=\"order\">{}</dd><dt>Product</dt><dd>{PRODUCT}</dd>\
         <dt>Amount</dt><dd>{}</dd><dt>Created (UTC)</dt><dd>{}</dd><dt>State</dt><dd>{}</dd><dt>Shipped</dt><dd id=\"shipped\">{}</dd></dl></div>",
        escape_html(&id),
        match kind.as_str() {
            "card" => "nothing: the card is saved, not charged".to_owned(),
            "subscription" => "nothing now: the platform charges each installment of the subscription".to_owned(),
            "installments" => format!("{} in installments", money(amount, &currency)),
            _ => money(amount, &currency),
        },
        escape_html(&created),
        outcome_badge(state.outcome),
        shipped_words(&shipments(&s, &s.key(&id)).await)
    );

    // What the shop's API call did: shown just above the API calls it made.
    let mut api_notice = String::new();
    if let Some(op) = q.get("api") {
        let result = q.get("result").map_or("", String::as_str);
        let (class, said) = match result {
            "ok" => ("ok", "done".to_owned()),
            "nothing_to_send" => ("ok", "already done: nothing was sent".to_owned()),
            code => (
                "bad",
                format!(
                    "refused, <code>{}</code>; nothing more was sent",
                    escape_html(code)
                ),
            ),
        };
        api_notice = format!(
            "<div class=\"notice {class}\" id=\"api-done\">The shop called the platform's REST API to {}: {said}. \
             Every call is in the table of REST API calls below; the state is the platform's answer, folded in.</div>",
            escape_html(match op.as_str() {
                "refund" => "refund all that is left",
                "refund_part" => "refund part of the order",
                "cancel" => "cancel the payment",
                "validate" => "validate the payment",
                _ => "operate",
            })
        );
    }
    if let Some(at) = super::store::recovered_at(&s, &id).await {
        body += &format!(
            "<div class=\"notice info\" id=\"recovered\">Recovered through <code>Order/Get</code> at {} UTC: \
             no notification had told the shop about this payment, so the shop asked the platform, and \
             recorded what it answered as events, like notifications (a notification arriving later is a \
             duplicate).</div>",
            escape_html(&at)
        );
    }

    // 1. How the payment started: the signed form, or the API calls of the embedded form.
    if kind == "embedded" {
        body += &api_notice;
        body += &format!(
            "<div class=\"card\" id=\"form\"><h2><span class=\"step\">1</span>The embedded form</h2>\
             <p class=\"muted\">No signed form: the shop asked the platform's REST API for a formToken \
             (<code>Charge/CreatePayment</code>, HTTP Basic with the shop id and the REST password of its mode) \
             and the embedded form started with it. The API calls made for this order:</p>{}</div>",
            api_calls_table(&s, &id).await
        );
    } else {
        // 1. The signed form.
        let fields: String = form
            .iter()
            .filter(|(n, _)| n != "signature")
            .map(|(n, v)| {
                format!(
                    "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    escape_html(n),
                    escape_html(v)
                )
            })
            .collect();
        body += &format!(
            "<div class=\"card\" id=\"form\"><h2><span class=\"step\">1</span>The signed form</h2>\
             <p class=\"muted\">What the shop posted to the payment page. The signature covers every <code>vads_</code> \
             field: their values sorted by name, joined with <code>+</code>, then the key ({algorithm}).</p>\
             <div class=\"scroll\"><table class=\"fields\"><tr><th>Field</th><th>Value</th></tr>{fields}</table></div>\
             <p><strong>Signing string</strong> (key masked, as the platform's error e-mail shows it):<br><code id=\"signing-string\">{}</code></p>\
             <p><strong>Signature</strong>: <code>{}</code></p></div>",
            escape_html(&signing_string),
            escape_html(signature)
        );
        let calls = api_calls_table(&s, &id).await;
        body += &api_notice;
        if !calls.contains("no-api-call") {
            body += &format!(
                "<div class=\"card\" id=\"api-calls\"><h2>REST API calls</h2>{calls}</div>"
            );
        }
    }

    // 2. Every notification received, with its verdict.
    let list = deliveries(&s, &id).await;
    let rows: String = list
        .iter()
        .enumerate()
        .map(|(i, d)| {
            // The badge says what vads decided about the message, never whether the
            // payment succeeded: that is the Status column.
            let verdict = match d.verdict.as_str() {
                "accepted" => "<span class=\"badge info\">verified</span> new event, recorded".to_owned(),
                "duplicate" => "<span class=\"badge plain\">duplicate</span> verified, already recorded: nothing changes".to_owned(),
                "kept_for_review" => "<span class=\"badge warn\">kept for review</span> verified, but its content could not be read".to_owned(),
                "refused" => format!(
                    "<span class=\"badge bad\">refused</span> <code>{}</code>",
                    escape_html(d.code.as_deref().unwrap_or_default())
                ),
                other => format!("<span class=\"badge warn\">{}</span>", escape_html(other)),
            };
            let amount = d
                .amount
                .map_or_else(|| "—".to_owned(), |a| money(a, &currency));
            format!(
                "<tr class=\"delivery {}\"><td data-label=\"#\">{}</td><td data-label=\"Time\">{}</td>\
                 <td data-label=\"Endpoint\">{}</td><td data-label=\"Format\">{}</td>\
                 <td data-label=\"Source\">{}</td><td data-label=\"Operation\">{}</td><td data-label=\"Status\">{}</td>\
                 <td data-label=\"Amount\" class=\"nowrap\">{}</td><td data-label=\"Verdict\" class=\"verdict\">{}</td><td data-label=\"Answer\">{}</td></tr>",
                escape_html(&d.verdict),
                i + 1,
                escape_html(d.at.get(11..).unwrap_or(&d.at)),
                endpoint_cell(&d.endpoint),
                escape_html(&d.format),
                escape_html(d.source.as_deref().unwrap_or("—")),
                escape_html(d.operation.as_deref().unwrap_or("—")),
                escape_html(d.status.as_deref().unwrap_or("—")),
                amount,
                verdict,
                d.answer
            )
        })
        .collect();
    body += &sent_notice;
    body += &format!(
        "<div class=\"card\" id=\"notifications\"><h2><span class=\"step\">2</span>Notifications received</h2>\
         <p class=\"muted\">Every delivery to the shop's endpoints, with what <code>vads</code> decided. \
         The verdict is about the message, not the money: <em>verified</em> means the signature is the \
         shop's and the event is new (recorded once); whether the payment succeeded is its operation and \
         status. Duplicate: verified, but that event was already recorded (the shop answers 200 and nothing \
         changes). Refused: not verified; the shop answers 400, so that a genuine notification refused by a \
         configuration mistake is retried by the platform, not lost. What a refused delivery shows is what \
         its body claims.</p>{}</div>",
        if rows.is_empty() {
            if events > 0 {
                "<p id=\"no-notification\">None reached the shop: what it knows of this payment, it learnt from \
                 the platform itself (<code>Order/Get</code>, or an operation's answer).</p>"
                    .to_owned()
            } else {
                "<p id=\"no-notification\">None yet. The platform notifies the shop when the payment ends.</p>"
                    .to_owned()
            }
        } else {
            format!(
                "<div class=\"scroll\"><table class=\"stack\"><tr><th>#</th><th>Time</th><th>Endpoint</th><th>Format</th><th>Source</th>\
                 <th>Operation</th><th>Status</th><th>Amount</th><th>Verdict</th><th>Answer</th></tr>{rows}</table></div>"
            )
        }
    );

    // 3. The state reconciled from the events.
    let currency_alpha = state
        .currency
        .as_deref()
        .and_then(vads::form::Currency::find)
        .map_or(currency.as_str(), |c| c.alpha)
        .to_owned();
    let attention = if state.attention.is_empty() {
        "none".to_owned()
    } else {
        state
            .attention
            .iter()
            .map(|a| escape_html(a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // What was taken off before capture, in words: "lowered from 12.50 to 7.50".
    let lowered = if state.lowered > 0 {
        format!(
            "<dt>Lowered before capture</dt><dd id=\"lowered\">{} (from {} to {}: taken off the payment before \
             it was captured, with <code>Transaction/Update</code>; never paid, and not a refund)</dd>",
            money(state.lowered, &currency_alpha),
            money(state.paid.saturating_add(state.lowered), &currency_alpha),
            money(state.paid, &currency_alpha)
        )
    } else {
        String::new()
    };
    body += &format!(
        "<div class=\"card\" id=\"state\"><h2><span class=\"step\">3</span>The order, reconciled</h2>\
         <p class=\"muted\">Derived from the set of recorded events ({events}), never from the latest arrival: \
         delivery order and repetitions change nothing, and a refund is never a payment.</p>\
         <dl class=\"facts\"><dt>Outcome</dt><dd id=\"outcome\">{}</dd><dt>Paid</dt><dd id=\"paid\">{}</dd>{lowered}\
         <dt>Refunded</dt><dd id=\"refunded\">{}</dd><dt>Transactions</dt><dd>{}</dd><dt>Needs attention</dt><dd>{}</dd></dl></div>",
        outcome_badge(state.outcome),
        money(state.paid, &currency_alpha),
        money(state.refunded, &currency_alpha),
        state.transactions.len(),
        attention
    );

    body += &super::recurring::card(&s, &id, &state, &currency_alpha).await;
    body += &super::saved_card::card(&s, &id, &state, &q).await;

    // 4. What the merchant can do (only what applies to the order as it stands), and what
    // the platform may send (the playground's buttons replay a hosted-form payment's
    // notification; an embedded-form payment's operations go through the API).
    let back_office = if s.api.is_some() {
        back_office_card(&id, &state, &kind)
    } else {
        String::new()
    };
    if kind == "embedded" || s.simulator_url.is_none() {
        body += &format!(
            "<div class=\"card\" id=\"playground\"><h2><span class=\"step\">4</span>Act on this payment</h2>{back_office}</div>"
        );
    } else if let Some(sim) = &s.simulator_url {
        let back = format!("{}/orders/{}", s.base_url, query_escape(&id));
        let button = |op: &str, label: &str, extra: &str, class: &str| {
            format!(
                "<form method=\"POST\" action=\"{}/admin/operation\"><input type=\"hidden\" name=\"order_id\" value=\"{}\">\
                 <input type=\"hidden\" name=\"op\" value=\"{op}\"><input type=\"hidden\" name=\"back\" value=\"{}\">{extra}\
                 <button class=\"{class}\" id=\"{op}\" type=\"submit\">{label}</button></form>",
                escape_html(sim),
                escape_html(&id),
                escape_html(&back)
            )
        };
        // Once the platform has told the shop about the payment (a notification, or its
        // answer to Order/Get), its notification can be sent again.
        let ended = events > 0;
        let batch = super::recurring::batch_buttons(sim, &back, &id, &state);
        body += &format!(
            "<div class=\"card\" id=\"playground\"><h2><span class=\"step\">4</span>Act on this payment</h2>{back_office}{batch}{}</div>",
            if ended {
                format!(
                    "<h3>Make the platform send more</h3><p class=\"muted\">The simulator sends this order's payment notification \
                     again, in the ways the real platform (or someone else) may; watch the verdicts above.</p>\
                     <div class=\"actions\">{}{}{}{}{}</div>{}",
                    button("replay", "Deliver again (back office)", "", ""),
                    button("retry", "As an automatic retry", "", ""),
                    button("forgery", "As a forgery (wrong key)", "", "danger"),
                    button("test_to_production", "TEST notification to the PRODUCTION shop", "", "danger"),
                    button("duplicate_field", "With a duplicated field", "", "danger"),
                    // The REST format for one payment (a plan's or a subscription's
                    // transactions would carry no vads_payment_config in it).
                    if kind == "hosted" {
                        format!(
                            "<p class=\"muted\">The same endpoint takes REST answers (<code>kr-hash</code>, signed with the REST password):</p>\
                             <div class=\"actions\">{}</div><div class=\"actions\">{}</div>",
                            button("rest_payment", "Payment again, as REST", "", ""),
                            // A refund only where one applies (the simulator would refuse it).
                            if matches!(state.outcome, OrderOutcome::Paid | OrderOutcome::PartiallyRefunded) {
                                button("rest_refund_part", "Refund, as REST", "<label class=\"amount\">refund amount in cents <input name=\"amount\" id=\"rest_refund_amount\" value=\"300\" size=\"6\"></label> ", "")
                            } else {
                                String::new()
                            }
                        )
                    } else {
                        String::new()
                    },
                )
            } else {
                "<p id=\"not-ended\">The payment has not ended yet: once the platform has told the shop about it, its \
                 notification can be sent again here.</p>".to_owned()
            }
        );
    }
    body += "<p><a href=\"/orders\">All orders</a> · <a href=\"/\">Back to the shop</a></p>";
    ui::page(s.site(), &format!("Order {id}"), &body).into_response()
}

/// The back office's card: the REST API operations that apply to the order as it
/// stands — Validate a payment waiting for it, Cancel one not captured yet, Refund what
/// is left of a paid one; none for a refused, failed, cancelled or refunded order, or one
/// that needs a human — each form carrying what the page shows as given back, so that a
/// second press of the same button is refused rather than sent again.
fn back_office_card(id: &str, state: &vads::lifecycle::OrderState, kind: &str) -> String {
    use vads::lifecycle::Merged;
    use vads::TransStatus;
    let statuses: Vec<TransStatus> = state
        .transactions
        .iter()
        .filter(|t| t.operation() != Some(vads::OperationType::Credit))
        .filter_map(|t| match t.status.merged() {
            Merged::Status(s) => Some(s),
            _ => None,
        })
        .collect();
    let waits = statuses.iter().any(|s| {
        matches!(
            s,
            TransStatus::AuthorisedToValidate | TransStatus::WaitingAuthorisationToValidate
        )
    });
    let uncaptured = statuses.iter().any(|s| {
        matches!(
            s,
            TransStatus::Authorised
                | TransStatus::AuthorisedToValidate
                | TransStatus::WaitingAuthorisation
                | TransStatus::WaitingAuthorisationToValidate
        )
    });
    let open = matches!(
        state.outcome,
        OrderOutcome::Paid | OrderOutcome::PartiallyRefunded | OrderOutcome::Pending
    );
    let refundable = matches!(
        state.outcome,
        OrderOutcome::Paid | OrderOutcome::PartiallyRefunded
    ) && state.paid > state.refunded;
    let given_back = state.refunded.saturating_add(state.lowered);
    let api_button = |op: &str, label: &str, extra: &str| {
        format!(
            "<form method=\"POST\" action=\"/orders/{}/operation\"><input type=\"hidden\" name=\"op\" value=\"{op}\">{extra}\
             <button id=\"{op}\" type=\"submit\">{label}</button></form>",
            query_escape(id)
        )
    };
    let mut buttons = String::new();
    // A plan's installments and a subscription's are operated one transaction at a time
    // in the platform's back office: vads' money operations act on one payment per order.
    let recurring = matches!(kind, "installments" | "subscription" | "card");
    if recurring {
        return "<h3>The shop's back office</h3><p id=\"no-operation\">No operation here: an installment plan's, a \
                subscription's and a saved card's transactions are refunded or cancelled one by one in the platform's \
                back office (the shop's REST operations act on an order of one payment).</p>"
            .to_owned();
    }
    if open && waits {
        buttons += &api_button("validate", "Validate", "");
    }
    if open && uncaptured && state.refunded == 0 {
        buttons += &api_button("cancel", "Cancel the payment", "");
    }
    if refundable {
        buttons += &api_button("refund", "Refund all that is left", "");
        buttons += &api_button(
            "refund_part",
            "Refund",
            &format!(
                "<input type=\"hidden\" name=\"refunded_now\" value=\"{given_back}\">\
                 <label class=\"amount\">amount in cents <input name=\"amount\" id=\"refund_amount\" value=\"500\" size=\"6\"></label> "
            ),
        );
    }
    let why_none = match state.outcome {
        OrderOutcome::Failed => {
            "the payment failed (refused, abandoned or expired): there is nothing to act on"
        }
        OrderOutcome::Cancelled => "the payment is cancelled: nothing more can be done to it",
        OrderOutcome::Refunded => "everything paid is refunded: nothing is left to refund",
        OrderOutcome::NeedsAttention => {
            "the order needs a human first (see Needs attention above, and the attention page)"
        }
        OrderOutcome::Verified => "a card check, not a payment: there is nothing to refund",
        _ => "the payment has not ended yet: the platform has not told the shop about it",
    };
    format!(
        "<h3>The shop's back office</h3><p class=\"muted\">Through the REST API: the shop takes the order's lock, reads \
         the order first, refuses what its status forbids, sends each operation once (a lost answer is read back, \
         never sent again), and folds the platform's answer into the order. A payment not captured yet is cancelled \
         or lowered, not refunded. Only what applies to the order as it stands is offered.</p>{}",
        if buttons.is_empty() {
            format!("<p id=\"no-operation\">No operation: {why_none}.</p>")
        } else {
            format!("<div class=\"actions\" id=\"operations\">{buttons}</div>")
        }
    )
}

/// `?mode=` of `/api/orders/{id}`: `TEST` (the default) or `PRODUCTION`.
#[derive(serde::Deserialize)]
pub(crate) struct ModeQuery {
    mode: Option<String>,
}

/// The order's reconciled state as JSON, for tests and operators: `order_id`, `mode`,
/// `outcome`, `paid`, `refunded`, `currency`, `shipments` (how many times the outbox
/// shipped it), `attention`, and what was received and asked (`notifications`,
/// `api_calls`). `?mode=PRODUCTION` for the order of that id in PRODUCTION (another order
/// than the TEST one); 404 when the order does not exist in that mode.
pub(crate) async fn order_json(
    State(s): State<Arc<ShopState>>,
    Path(id): Path<String>,
    Query(q): Query<ModeQuery>,
) -> Response {
    let mode = match q.mode.as_deref().unwrap_or("TEST").parse::<vads::Mode>() {
        Ok(mode) => mode,
        Err(_) => {
            return (StatusCode::BAD_REQUEST, "mode is TEST or PRODUCTION").into_response();
        }
    };
    let own = s.key(&id);
    let key = vads::lifecycle::OrderKey::new(own.site_id.clone(), mode, id.clone());
    let created_here = key == own && order_row(&s, &id).await.is_some();
    let in_store = match s.store.order(&key).await {
        Ok(o) => o.is_some(),
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database cannot be read",
            )
                .into_response();
        }
    };
    if !created_here && !in_store {
        return (StatusCode::NOT_FOUND, "no such order in this mode").into_response();
    }
    // The delivery log first, the state second: a delivery is logged after its record
    // committed, so the state read next includes every delivery listed (the other way
    // round, a record committing between the two reads is listed but missing). Each
    // delivery is listed with the order of the mode its body claims (one that claims
    // none, with the shop's own order).
    let logged: Vec<_> = deliveries(&s, &id)
        .await
        .into_iter()
        .filter(|d| match d.mode.as_deref() {
            Some(m) => m == mode.as_str(),
            None => key == own,
        })
        .collect();
    let Some((state, events)) = super::store::order_state_of(&s, &key).await else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database cannot be read",
        )
            .into_response();
    };
    let notifications: Vec<serde_json::Value> = logged
        .into_iter()
        .map(|d| serde_json::json!({"endpoint": d.endpoint, "verdict": d.verdict, "code": d.code, "answer": d.answer}))
        .collect();
    let calls: Vec<serde_json::Value> = if key == own {
        api_calls(&s, &id)
            .await
            .into_iter()
            .map(|c| serde_json::json!({"operation": c.operation, "attempts": c.attempts, "status": c.status, "code": c.code}))
            .collect()
    } else {
        Vec::new()
    };
    let shipped = shipments(&s, &key).await;
    let recurring = super::recurring::json(&s, &key, &state).await;
    let mut answer = serde_json::json!({
            "order_id": id,
            "site_id": key.site_id,
            "mode": key.mode,
            "outcome": state.outcome.as_str(),
            "paid": state.paid,
            "refunded": state.refunded,
            "lowered": state.lowered,
            "currency": state.currency,
            "shipments": shipped.len(),
            "attention": state.attention,
            "attention_codes": state.attention_codes,
            "events": events,
            "notifications": notifications,
            "api_calls": calls,
            "recovered_at": if key == own { super::store::recovered_at(&s, &id).await } else { None },
            // The names of earlier versions of this answer.
            "id": id,
            "state": state.outcome.as_str(),
            "deliveries": events,
    });
    if let (Some(answer), serde_json::Value::Object(more)) = (answer.as_object_mut(), recurring) {
        answer.extend(more);
    }
    ([("content-type", "application/json")], answer.to_string()).into_response()
}

/// The API calls made for an order, as a table: operation, attempts, HTTP status, error
/// code, duration. Never a credential, a body or a token.
async fn api_calls_table(s: &ShopState, id: &str) -> String {
    let calls = api_calls(s, id).await;
    if calls.is_empty() {
        return "<p id=\"no-api-call\">None.</p>".to_owned();
    }
    let rows: String = calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<tr class=\"api-call\"><td data-label=\"#\">{}</td><td data-label=\"Time\">{}</td><td data-label=\"Operation\"><code>{}</code></td>\
                 <td data-label=\"Attempts\">{}</td><td data-label=\"HTTP\">{}</td><td data-label=\"Result\">{}</td><td data-label=\"Duration\">{} ms</td></tr>",
                i + 1,
                escape_html(c.at.get(11..).unwrap_or(&c.at)),
                escape_html(&c.operation),
                c.attempts,
                c.status.map_or_else(|| "—".to_owned(), |st| st.to_string()),
                c.code.as_deref().map_or_else(
                    || "<span class=\"badge ok\">answered</span>".to_owned(),
                    |code| format!("<span class=\"badge bad\">{}</span>", escape_html(code))
                ),
                c.duration_ms
            )
        })
        .collect();
    format!(
        "<div class=\"scroll\"><table class=\"stack\"><tr><th>#</th><th>Time</th><th>Operation</th><th>Attempts</th><th>HTTP</th><th>Result</th><th>Duration</th></tr>{rows}</table></div>"
    )
}
