//! The back office: the merchant's operations (validate, cancel, refund) and the
//! playground's deliveries (again, as a retry, forged, to PRODUCTION, duplicated field,
//! as REST).

use super::notify::{builder, post_notification};
use super::{error_page, no_payment_here, origin, Fields, SimState};
use crate::ui::{self, escape_html, money, query_escape, Site};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::Arc;
use vads::testing::platform::{BackOffice, SimTransaction};
use vads::testing::{NotificationBuilder, RestAnswerBuilder};
use vads::{Key, TransStatus, UrlCheckSource};

fn field<'f>(fields: &'f Fields, name: &str) -> &'f str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// What the platform holds for an order's payment now (the one state its back office and
/// its REST API share): status, amount, refunded. `None` when the platform has no such
/// transaction.
pub(crate) fn payment_now(s: &SimState, payment: &Fields) -> Option<SimTransaction> {
    s.platform.transaction(field(payment, "vads_trans_uuid"))
}

/// Whether the platform would do `op` to this payment as it is now, and the amount of a
/// refund (`refund`: what is left). `Err`: its refusal, in words. The playground's faults
/// (replays, a forgery, ...) are always sent: they are not operations.
pub(crate) fn check(
    op: &str,
    amount: Option<&str>,
    now: Option<&SimTransaction>,
) -> Result<Option<u64>, String> {
    if !matches!(
        op,
        "validate" | "cancel" | "refund" | "refund_part" | "rest_refund_part"
    ) {
        return Ok(None);
    }
    let Some(t) = now else {
        return Err("the platform has no such payment".into());
    };
    let status = t.detailed_status.as_str();
    let left = t.amount.saturating_sub(t.refunded);
    let uncaptured = matches!(
        status,
        "AUTHORISED"
            | "AUTHORISED_TO_VALIDATE"
            | "WAITING_AUTHORISATION"
            | "WAITING_AUTHORISATION_TO_VALIDATE"
    );
    if status == "CANCELLED" {
        return Err("the payment is cancelled: nothing more can be done to it".into());
    }
    match op {
        "validate" => {
            if matches!(
                status,
                "AUTHORISED_TO_VALIDATE" | "WAITING_AUTHORISATION_TO_VALIDATE"
            ) {
                Ok(None)
            } else {
                Err(format!("only a payment waiting for the merchant's validation is validated; this one is {status}"))
            }
        }
        "cancel" => {
            if t.refunded > 0 {
                Err("the payment is partly refunded: the rest is refunded, not cancelled".into())
            } else if !uncaptured {
                Err(format!(
                    "only a payment not captured yet is cancelled; this one is {status}"
                ))
            } else {
                Ok(None)
            }
        }
        _ => {
            if !matches!(status, "AUTHORISED" | "CAPTURED") {
                return Err(format!(
                    "only a paid payment is refunded; this one is {status}"
                ));
            }
            let amount = if op == "refund" {
                left
            } else {
                amount.unwrap_or_default().trim().parse().map_err(|_| {
                    "the refund amount must be a whole number of minor units (cents)".to_owned()
                })?
            };
            if left == 0 {
                Err(format!(
                    "nothing is left to refund: {} paid, {} refunded",
                    t.amount, t.refunded
                ))
            } else if amount == 0 || amount > left {
                Err(format!(
                    "a refund is between 1 and what is left to refund ({left}); {amount} asked"
                ))
            } else {
                Ok(Some(amount))
            }
        }
    }
}

/// Applies a back-office operation on the platform (its one state): a refund of an
/// authorised payment captures it first, as the platform's capture batch would on its
/// capture date. `Ok`: the transaction created (a refund's `CREDIT`) or changed.
fn apply(
    s: &SimState,
    op: &str,
    amount: Option<u64>,
    payment: &Fields,
) -> Result<Option<SimTransaction>, String> {
    let uuid = field(payment, "vads_trans_uuid");
    let refused = |code: String| format!("the platform refused it ({code})");
    let done = match op {
        "validate" => s.platform.back_office(uuid, BackOffice::Validate),
        "cancel" => s.platform.back_office(uuid, BackOffice::Cancel),
        "refund" | "refund_part" | "rest_refund_part" => {
            let minor = amount.ok_or("A refund needs its amount.")?;
            s.platform
                .back_office(uuid, BackOffice::Capture)
                .and_then(|_| s.platform.back_office(uuid, BackOffice::Refund(minor)))
        }
        _ => return Ok(None),
    };
    done.map(Some).map_err(refused)
}

/// The payment notification of an order (where it went, its fields).
pub(crate) fn last_payment(s: &SimState, order: &str) -> Option<(String, Fields)> {
    s.last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(order)
        .cloned()
}

pub(crate) async fn replay(
    State(s): State<Arc<SimState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let order = q.get("order_id").cloned().unwrap_or_default();
    let Some((url, fields)) = last_payment(&s, &order) else {
        return (StatusCode::NOT_FOUND, "no notification for that order").into_response();
    };
    let Ok(body) = builder(&s.shop, &fields)
        .url_check_src(UrlCheckSource::Bo)
        .body()
    else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "cannot sign").into_response();
    };
    match post_notification(url, body).await {
        Some(status) => format!("shop answered {status}").into_response(),
        None => (StatusCode::BAD_GATEWAY, "shop unreachable").into_response(),
    }
}

/// The back office of one order: the operations a merchant makes on a payment, and the
/// playground's deliveries.
pub(crate) async fn back_office(
    State(s): State<Arc<SimState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let order = q.get("order_id").cloned().unwrap_or_default();
    let Some((url, fields)) = last_payment(&s, &order) else {
        return no_payment_here(&order);
    };
    let get = |name: &str| field(&fields, name);
    let now = payment_now(&s, &fields);
    // What the platform would refuse is not offered: the button is disabled, and the
    // reason is beside it.
    let op = |op: &str, label: &str, extra: &str| match check(op, Some("1"), now.as_ref()) {
        Ok(_) => format!(
            "<form method=\"POST\" action=\"/admin/operation\">\
             <input type=\"hidden\" name=\"order_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"op\" value=\"{op}\">{extra}\
             <button id=\"{op}\" type=\"submit\">{label}</button></form>",
            escape_html(&order)
        ),
        Err(why) => format!(
            "<span class=\"refusal\"><button id=\"{op}\" type=\"button\" disabled>{label}</button> \
             <small class=\"muted\">not offered: {}</small></span>",
            escape_html(&why)
        ),
    };
    let shop_order = origin(&url).map(|o| format!("{o}/orders/{}", query_escape(&order)));
    ui::page(
        Site::Platform,
        "Back office",
        &format!(
            "<div class=\"card\"><dl class=\"facts\"><dt>Order</dt><dd>{}</dd><dt>Payment</dt><dd><code>{}</code></dd>\
             <dt>Amount</dt><dd>{}</dd><dt>Status</dt><dd><strong>{}</strong></dd></dl></div>\
             <div class=\"card\"><h2>Operations</h2><p class=\"muted\">Each changes the platform's one state (what \
             its REST API reads too) and sends the shop the notification the platform sends \
             (<code>vads_url_check_src=MERCH_BO</code>); a refund is a new <code>CREDIT</code> transaction. \
             What the platform would refuse (validating a payment that needs no validation, refunding more than is \
             left, anything after a cancellation, whoever made it) is not offered. Refunding an authorised payment \
             captures it first, as the platform's capture batch does on the capture date.</p>\
             <div class=\"actions\">{}{}{}{}</div>\
             <p class=\"muted\">The same notification endpoint takes REST answers (<code>kr-hash</code>, signed with the REST password):</p>\
             <div class=\"actions\">{}{}</div></div>{}",
            escape_html(&order),
            escape_html(get("vads_trans_uuid")),
            escape_html(&money(now.as_ref().map_or_else(|| get("vads_amount").parse().unwrap_or_default(), |t| t.amount), get("vads_currency"))),
            escape_html(now.as_ref().map_or_else(|| get("vads_trans_status"), |t| t.detailed_status.as_str())),
            op("validate", "Validate", ""),
            op("cancel", "Cancel the payment", ""),
            op("refund", "Refund in full", ""),
            op("refund_part", "Refund part", "<label class=\"amount\">amount in cents <input name=\"amount\" id=\"refund_amount\" value=\"500\" size=\"6\"></label> "),
            op("rest_payment", "Send the payment again as a REST IPN (a duplicate)", ""),
            op("rest_refund_part", "Refund part, as a REST IPN", "<label class=\"amount\">amount in cents <input name=\"amount\" id=\"rest_refund_amount\" value=\"300\" size=\"6\"></label> "),
            shop_order.map_or_else(String::new, |u| format!(
                "<p><a href=\"{}\">See the order in the shop</a></p>",
                escape_html(&u)
            )),
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct Operation {
    order_id: String,
    op: String,
    amount: Option<String>,
    /// Where to send the browser afterwards (the shop's order page); ignored unless it
    /// is on the shop that received the payment's notification.
    back: Option<String>,
}

/// A back-office operation or a playground delivery; then back to the shop's order page
/// (or a page that says what was sent).
pub(crate) async fn operation(
    State(s): State<Arc<SimState>>,
    Form(o): Form<Operation>,
) -> Response {
    let Some((url, payment)) = last_payment(&s, &o.order_id) else {
        return no_payment_here(&o.order_id);
    };
    // Where the browser goes afterwards: the shop's order page, if `back` is on the shop
    // that received the payment's notification.
    let back = o
        .back
        .as_deref()
        .filter(|b| origin(&url).is_some_and(|shop| origin(b) == Some(shop)));
    let amount = match check(
        &o.op,
        o.amount.as_deref(),
        payment_now(&s, &payment).as_ref(),
    ) {
        Ok(amount) => amount,
        Err(refusal) => {
            let here = format!("/admin/order?order_id={}", query_escape(&o.order_id));
            return ui::error(
                Site::Platform,
                StatusCode::CONFLICT,
                "Operation refused by the platform",
                &format!("Nothing was done, nothing was sent: {refusal}."),
                &[(back.unwrap_or(&here), "Back to the order")],
            );
        }
    };
    // The platform does it (its one state), then notifies the shop.
    let changed = match apply(&s, &o.op, amount, &payment) {
        Ok(changed) => changed,
        Err(refusal) => {
            let here = format!("/admin/order?order_id={}", query_escape(&o.order_id));
            return ui::error(
                Site::Platform,
                StatusCode::CONFLICT,
                "Operation refused by the platform",
                &format!("Nothing was done, nothing was sent: {refusal}."),
                &[(back.unwrap_or(&here), "Back to the order")],
            );
        }
    };
    let sent = match o.op.as_str() {
        "rest_payment" | "rest_refund_part" => {
            rest_operation(&s, &o.op, changed.as_ref(), &payment).map(|body| (url.clone(), body))
        }
        _ => form_operation(&s, &o.op, changed.as_ref(), &url, &payment),
    };
    let (target, body) = match sent {
        Ok(sent) => sent,
        Err(message) => {
            return error_page(
                Some("05"),
                &message,
                origin(&url).map(|o| format!("{o}/")).as_deref(),
            )
        }
    };
    let answered = post_notification(target, body).await;
    let answered_text =
        answered.map_or_else(|| "nothing (unreachable)".to_owned(), |c| c.to_string());
    if let Some(back) = back {
        let sep = if back.contains('?') { '&' } else { '?' };
        return Redirect::to(&format!(
            "{back}{sep}sent={}&answered={}#sent",
            query_escape(&o.op),
            query_escape(&answered_text)
        ))
        .into_response();
    }
    ui::page(
        Site::Platform,
        "Operation sent",
        &format!(
            "<div class=\"card\"><p id=\"sent\">{} sent; the shop answered <strong>{}</strong>.</p></div>\
             <p><a href=\"/admin/order?order_id={}\">Back to the order</a></p>",
            escape_html(&o.op),
            escape_html(&answered_text),
            query_escape(&o.order_id)
        ),
    )
    .into_response()
}

/// A `vads_*` notification for operation `op` on `payment` (`changed`: the transaction
/// the platform created or changed, a refund's `CREDIT`): where it goes and its body.
pub(crate) fn form_operation(
    s: &SimState,
    op: &str,
    changed: Option<&SimTransaction>,
    url: &str,
    payment: &Fields,
) -> Result<(String, String), String> {
    let bo = builder(&s.shop, payment).url_check_src(UrlCheckSource::MerchBo);
    let sign = |b: NotificationBuilder<'_>| b.body().map_err(|e| e.to_string());
    let to_shop = |body| Ok((url.to_owned(), body));
    match op {
        "replay" => to_shop(sign(
            builder(&s.shop, payment).url_check_src(UrlCheckSource::Bo),
        )?),
        "retry" => to_shop(sign(
            builder(&s.shop, payment).url_check_src(UrlCheckSource::Retry),
        )?),
        "forgery" => {
            let wrong: Key = "not-the-shops-key-0000"
                .parse()
                .map_err(|e: vads::KeyError| e.to_string())?;
            let body = builder(&s.shop, payment)
                .body_signed_with(&wrong, s.shop.algorithm())
                .map_err(|e| e.to_string())?;
            to_shop(body)
        }
        // The payment's TEST notification, at the PRODUCTION deployment's endpoint.
        "test_to_production" => Ok((format!("{url}/live"), sign(builder(&s.shop, payment))?)),
        "duplicate_field" => to_shop(sign(builder(&s.shop, payment))? + "&vads_amount=1"),
        "validate" => to_shop(sign(bo.status(TransStatus::Authorised))?),
        "cancel" => to_shop(sign(bo.status(TransStatus::Cancelled))?),
        "refund" | "refund_part" => {
            // The platform's own CREDIT: its uuid is what Order/Get reads too.
            let credit = changed.ok_or("A refund needs its transaction.")?;
            to_shop(sign(
                bo.status(TransStatus::Captured)
                    .field("vads_operation_type", "CREDIT")
                    .field("vads_trans_uuid", credit.uuid.clone())
                    .field("vads_trans_id", credit.trans_id.clone())
                    .field("vads_trans_date", vads::TransDate::now().to_string())
                    .amount(credit.amount),
            )?)
        }
        _ => Err("This operation is unknown to the simulator.".to_owned()),
    }
}

/// A back-office operation sent as a REST IPN: the payment again (same transaction and
/// status, so the shop records nothing new), or a partial refund (a new `CREDIT`).
pub(crate) fn rest_operation(
    s: &SimState,
    op: &str,
    changed: Option<&SimTransaction>,
    payment: &Fields,
) -> Result<String, String> {
    let get = |name: &str| field(payment, name);
    let currency = vads::form::Currency::find(get("vads_currency")).map_or("EUR", |c| c.alpha);
    let b = RestAnswerBuilder::new(&s.shop)
        .order_id(get("vads_order_id"))
        .currency(currency);
    let b = match op {
        "rest_payment" => b
            .uuid(get("vads_trans_uuid"))
            .amount(get("vads_amount").parse().unwrap_or_default())
            .status(TransStatus::parse(get("vads_trans_status"))),
        _ => {
            let credit = changed.ok_or("A refund needs its transaction.")?;
            b.uuid(&credit.uuid)
                .amount(credit.amount)
                .operation_type(vads::OperationType::Credit)
                .status(TransStatus::Captured)
        }
    };
    b.body().map_err(|e| e.to_string())
}

#[derive(serde::Deserialize)]
pub(crate) struct ApiFault {
    /// The operation, as the API names it (`Transaction/CancelOrRefund`, ...).
    op: String,
    /// `drop` (applied, then the connection drops), `500`, or `delay` (applied, answered
    /// after 60 s).
    fault: String,
}

/// Injects a fault into the next call of a REST API operation (for tests and for trying
/// what `vads` does with a lost answer).
pub(crate) async fn api_fault(State(s): State<Arc<SimState>>, Form(f): Form<ApiFault>) -> Response {
    use vads::testing::platform::Fault;
    let Some(op) = vads::api::Operation::ALL
        .into_iter()
        .find(|o| o.name() == f.op)
    else {
        return (axum::http::StatusCode::BAD_REQUEST, "unknown operation").into_response();
    };
    let fault = match f.fault.as_str() {
        "drop" => Fault::DropAfterApply,
        "500" => Fault::ServerError,
        "delay" => Fault::Delay(std::time::Duration::from_secs(60)),
        _ => return (axum::http::StatusCode::BAD_REQUEST, "unknown fault").into_response(),
    };
    s.platform.inject(op, fault);
    "fault armed".into_response()
}
