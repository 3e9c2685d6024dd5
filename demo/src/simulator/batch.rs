//! The nightly batch, on a button: the platform runs the installments that are due —
//! a plan's next installment (notified by the "batch authorization" rule,
//! `vads_url_check_src=BATCH_AUTO`, a new transaction with its `vads_sequence_number`) or
//! a subscription's next installment (`REC`: a new transaction with the subscription, the
//! token and its recurrence number, channel `OTHER`) — accepted, or refused on demand (a
//! refused installment is not presented again).

use super::notify::{an32, builder, deliver};
use super::{no_payment_here, origin, Fields, SimState};
use crate::ui::{self, escape_html, query_escape, Site};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;
use vads::recurring::PaymentConfig;
use vads::testing::platform::NewPayment;
use vads::testing::NotificationBuilder;
use vads::{TransStatus, UrlCheckSource};

/// What the nightly batch runs for an order.
pub(crate) enum Recurring {
    /// A plan: its installment `next` is due next.
    Plan {
        config: PaymentConfig,
        total: u64,
        next: u32,
        url: String,
        /// Installment 1's notification: the next ones are shaped like it.
        fields: Fields,
    },
    /// A subscription: its schedule and how many installments ran are the platform's
    /// (`SimSubscription`, which its REST API reads and cancels).
    Subscription {
        token: String,
        id: String,
        url: String,
    },
}

fn field<'f>(fields: &'f Fields, name: &str) -> &'f str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Remembers a plan whose installment 1 was accepted.
pub(crate) fn plan(
    s: &SimState,
    order: &str,
    url: &str,
    fields: &Fields,
    config: &PaymentConfig,
    total: u64,
) {
    s.recurring
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            order.to_owned(),
            Recurring::Plan {
                config: config.clone(),
                total,
                next: 2,
                url: url.to_owned(),
                fields: fields.clone(),
            },
        );
}

/// Remembers a subscription created with its token.
pub(crate) fn subscription(
    s: &SimState,
    order: &str,
    url: &str,
    fields: &Fields,
    token: &str,
    id: &str,
) {
    let number = |name: &str| field(fields, name).parse::<u64>().ok();
    let init = number("vads_sub_init_amount")
        .zip(number("vads_sub_init_amount_number").and_then(|n| u32::try_from(n).ok()));
    // The subscription exists on the platform's side: Subscription/Get and
    // Subscription/Cancel act on it, and the batch charges by it.
    let effect = field(fields, "vads_sub_effect_date");
    let effect = vads::api::subscriptions::iso_date(effect).unwrap_or_else(|| effect.to_owned());
    let mode = match field(fields, "vads_ctx_mode") {
        "PRODUCTION" => vads::Mode::Production,
        _ => vads::Mode::Test,
    };
    let mut on_platform = vads::testing::platform::SimSubscription::new(
        id,
        token,
        mode,
        number("vads_sub_amount").unwrap_or_default(),
        field(fields, "vads_sub_currency"),
        field(fields, "vads_sub_desc"),
        &effect,
    );
    on_platform.order_id = Some(order.to_owned());
    on_platform.initial = init;
    s.platform.add_subscription(on_platform);
    s.recurring
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            order.to_owned(),
            Recurring::Subscription {
                token: token.to_owned(),
                id: id.to_owned(),
                url: url.to_owned(),
            },
        );
}

#[derive(serde::Deserialize)]
pub(crate) struct Batch {
    order_id: String,
    /// `1`: the bank refuses this installment.
    refuse: Option<String>,
    /// Where to send the browser afterwards (the shop's order page); ignored unless it is
    /// on the shop the order's notifications go to.
    back: Option<String>,
}

/// The next installment that is due, as the notification the batch sends: where it goes,
/// its fields, its amount and currency (alphabetic), and what it is in words. `Err`: why
/// nothing is due.
fn next_due(
    s: &SimState,
    order: &str,
    status: TransStatus,
) -> Result<(String, Fields, u64, String, String), String> {
    let mut all = s.recurring.lock().unwrap_or_else(|e| e.into_inner());
    let Some(due) = all.get_mut(order) else {
        return Err("this order has no plan and no subscription on this simulator".into());
    };
    let uuid = an32(s);
    let trans_id = format!("{:06}", 800_000 + s.next() % 100_000);
    let now = vads::TransDate::now().to_string();
    match due {
        Recurring::Plan {
            config,
            total,
            next,
            url,
            fields,
        } => {
            let count = config.count().unwrap_or(1);
            if *next > count {
                return Err(format!("the plan's {count} installments have all run"));
            }
            let k = *next;
            let amount = config.installment(k, *total).unwrap_or_default();
            let b = builder(&s.shop, fields)
                .trans_uuid(&uuid)
                .trans_id(&trans_id)
                .field("vads_trans_date", now)
                .field("vads_sequence_number", k.to_string())
                .amount(amount)
                .field("vads_effective_amount", amount.to_string())
                .url_check_src(UrlCheckSource::BatchAuto)
                .status(status);
            *next += 1;
            let currency = vads::form::Currency::find(field(fields, "vads_currency"))
                .map_or("EUR", |c| c.alpha)
                .to_owned();
            Ok((
                url.clone(),
                b.fields(),
                amount,
                currency,
                format!("installment {k} of {count}"),
            ))
        }
        Recurring::Subscription { token, id, url } => {
            let Some(sub) = s
                .platform
                .subscriptions()
                .into_iter()
                .find(|x| x.id == *id && x.token == *token)
            else {
                return Err("the platform has no such subscription".into());
            };
            // Cancelled through the API (Subscription/Cancel): nothing more is charged.
            if sub.cancel_date.is_some() {
                return Err("the subscription is cancelled".into());
            }
            let n = sub.past_payments + 1;
            if sub.total_payments > 0 && n > sub.total_payments {
                return Err(format!(
                    "the subscription's {} installments have all run",
                    sub.past_payments
                ));
            }
            let amount = match sub.initial {
                Some((a, k)) if n <= k => a,
                _ => sub.amount,
            };
            let currency = vads::form::Currency::find(&sub.currency);
            let b = NotificationBuilder::new(&s.shop)
                .order_id(order)
                .renewal(token, Some(id), n)
                .trans_uuid(&uuid)
                .trans_id(&trans_id)
                .currency(currency.map_or("978", |c| c.numeric))
                .amount(amount)
                .field("vads_effective_amount", amount.to_string())
                .status(status);
            s.platform.count_installment(id, token);
            Ok((
                url.clone(),
                b.fields(),
                amount,
                currency.map_or("EUR", |c| c.alpha).to_owned(),
                format!("subscription installment {n}"),
            ))
        }
    }
}

/// Runs the nightly batch for one order: its next installment, accepted (captured) or
/// refused; then back to the shop's order page.
pub(crate) async fn run(State(s): State<Arc<SimState>>, Form(b): Form<Batch>) -> Response {
    let status = if b.refuse.as_deref() == Some("1") {
        TransStatus::Refused
    } else {
        TransStatus::Captured
    };
    let (url, fields, amount, currency, what) = match next_due(&s, &b.order_id, status) {
        Ok(due) => due,
        Err(why) if why.starts_with("this order has no") => return no_payment_here(&b.order_id),
        Err(why) => {
            return ui::error(
                Site::Platform,
                StatusCode::CONFLICT,
                "Nothing is due",
                &format!(
                    "The nightly batch has nothing to run for order {}: {why}.",
                    b.order_id
                ),
                &[(
                    b.back.as_deref().unwrap_or("javascript:history.back()"),
                    "Back to the order",
                )],
            )
        }
    };
    // The platform's one state holds the installment too (Order/Get reads it).
    let mut payment = NewPayment::new(b.order_id.clone(), amount, currency, status);
    payment.uuid = Some(field(&fields, "vads_trans_uuid").to_owned());
    payment.trans_id = Some(field(&fields, "vads_trans_id").to_owned());
    payment.ipn_target_url = Some(url.clone());
    s.platform.add_payment(payment);
    eprintln!(
        "vads-demo simulator: nightly batch: order {}, {what}: {}",
        b.order_id,
        status.as_str()
    );
    let answered = deliver(s.clone(), url.clone(), fields).await;
    let answered_text =
        answered.map_or_else(|| "nothing (unreachable)".to_owned(), |c| c.to_string());
    let back = b
        .back
        .as_deref()
        .filter(|back| origin(&url).is_some_and(|shop| origin(back) == Some(shop)));
    if let Some(back) = back {
        let sep = if back.contains('?') { '&' } else { '?' };
        let op = if status == TransStatus::Refused {
            "batch_refused"
        } else {
            "batch"
        };
        return Redirect::to(&format!(
            "{back}{sep}sent={op}&what={}&answered={}#sent",
            query_escape(&what),
            query_escape(&answered_text)
        ))
        .into_response();
    }
    ui::page(
        Site::Platform,
        "Nightly batch run",
        &format!(
            "<div class=\"card\"><p id=\"sent\">Order {}: {} {}; the shop answered <strong>{}</strong>.</p></div>",
            escape_html(&b.order_id),
            escape_html(&what),
            escape_html(status.as_str()),
            escape_html(&answered_text)
        ),
    )
    .into_response()
}
