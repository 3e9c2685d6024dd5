//! The attention page: what needs a human. The orders whose state says so (a conflict
//! kept aside, amounts that disagree, a refund without a payment, an unknown status, ...)
//! with why, in both modes; and every verified notification the shop could not record,
//! kept whole, with the facts it verified (order, operation, status, amount, uuid).

use super::notify::claimed_facts;
use super::store::{reviews, Review};
use super::ShopState;
use crate::ui::{self, escape_html, money, outcome_badge, query_escape};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// At most this many of each list.
const LIMIT: u32 = 200;

/// Text cut to `max` characters, saying how long it was.
fn shortened(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        escape_html(text)
    } else {
        let head: String = text.chars().take(max).collect();
        format!(
            "{}… <span class=\"muted\">({n} characters)</span>",
            escape_html(&head)
        )
    }
}

fn review_row(r: &Review) -> String {
    let facts = r.body.as_deref().map(|b| claimed_facts(b.as_bytes()));
    let fact = |f: Option<&str>| f.map_or_else(|| "—".to_owned(), |v| shortened(v, 48));
    let (operation, status, amount, uuid, mode) = match &facts {
        Some(f) => (
            fact(f.operation.as_deref()),
            fact(f.status.as_deref()),
            f.amount.map_or_else(
                || "—".to_owned(),
                |a| money(a, f.currency.as_deref().unwrap_or("")),
            ),
            fact(f.uuid.as_deref()),
            fact(f.mode.as_deref()),
        ),
        None => ("—".into(), "—".into(), "—".into(), "—".into(), "—".into()),
    };
    let whole = r
        .body
        .as_deref()
        .filter(|b| !b.is_empty())
        .map_or_else(
            || {
                if r.answer.is_empty() {
                    "<span class=\"muted\">(kept by an earlier demo: its body was not kept)</span>"
                        .to_owned()
                } else {
                    format!("<code class=\"wrap\">{}</code>", escape_html(&r.answer))
                }
            },
            |b| {
                format!(
                    "<details><summary>verified body, {} bytes</summary><code class=\"wrap\">{}</code></details>",
                    b.len(),
                    escape_html(b)
                )
            },
        );
    format!(
        "<tr class=\"review\"><td data-label=\"Time\">{}</td><td data-label=\"Why\"><code>{}</code>{}</td>\
         <td data-label=\"Order\" class=\"wrap\">{}</td><td data-label=\"Mode\">{mode}</td><td data-label=\"Operation\">{operation}</td>\
         <td data-label=\"Status\">{status}</td><td data-label=\"Amount\" class=\"nowrap\">{amount}</td>\
         <td data-label=\"Transaction\" class=\"wrap\">{uuid}</td><td data-label=\"Kept\">{whole}</td></tr>",
        escape_html(&r.at),
        escape_html(&r.code),
        r.endpoint.as_deref().map_or_else(String::new, |e| format!(
            "<br><span class=\"muted\">at <code>{}</code></span>",
            escape_html(e)
        )),
        if r.order_id.is_empty() {
            "<span class=\"muted\">none</span>".to_owned()
        } else {
            shortened(&r.order_id, 32)
        },
    )
}

pub(crate) async fn attention_page(State(s): State<Arc<ShopState>>) -> Response {
    let orders = match s.store.needing_attention(LIMIT).await {
        Ok(orders) => orders,
        Err(e) => {
            eprintln!("vads-demo: cannot read the orders needing attention: {e}");
            return s.fail(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "the database is busy",
            );
        }
    };
    let own = s.key("");
    let order_rows: String = orders
        .iter()
        .map(|o| {
            let id = &o.key.order_id;
            let link = if o.key.mode == own.mode {
                format!("/orders/{}", query_escape(id))
            } else {
                format!("/api/orders/{}?mode={}", query_escape(id), o.key.mode)
            };
            let currency = o
                .state
                .currency
                .as_deref()
                .and_then(vads::form::Currency::find)
                .map_or("", |c| c.alpha);
            format!(
                "<tr class=\"attention-order\"><td data-label=\"Order\" class=\"wrap\"><a href=\"{}\">{}</a></td>\
                 <td data-label=\"Mode\">{}</td><td data-label=\"State\">{}</td><td data-label=\"Paid\" class=\"nowrap\">{}</td>\
                 <td data-label=\"Refunded\" class=\"nowrap\">{}</td><td data-label=\"Why\">{}</td></tr>",
                escape_html(&link),
                shortened(id, 48),
                o.key.mode,
                outcome_badge(o.state.outcome),
                money(o.state.paid, currency),
                money(o.state.refunded, currency),
                o.state
                    .attention
                    .iter()
                    .map(|a| escape_html(a))
                    .collect::<Vec<_>>()
                    .join("<br>")
            )
        })
        .collect();
    let kept = reviews(&s, i64::from(LIMIT)).await;
    let review_rows: String = kept.iter().map(review_row).collect();
    let body = format!(
        "<div class=\"card\" id=\"attention-orders\"><h2>Orders that need a human ({})</h2>\
         <p class=\"muted\">Their state says <em>needs attention</em>: notifications that disagree on the facts of \
         one event (kept aside, never counted), amounts that disagree with the order, a refund without a payment, \
         a status <code>vads</code> does not know. Nothing is shipped or refunded on their account until someone \
         looks. TEST and PRODUCTION orders are listed apart by their mode.</p>{}</div>\
         <div class=\"card\" id=\"kept\"><h2>Verified notifications the shop could not record ({})</h2>\
         <p class=\"muted\">Genuine (their signature is the shop's) but not recordable as they are — no order id, one \
         longer than the store takes, content that cannot be read. Each was kept whole before the platform was \
         answered 200 (a retry would bring the same bytes): what it says of the money is here.</p>{}</div>",
        orders.len(),
        if order_rows.is_empty() {
            "<p id=\"no-attention-order\">None.</p>".to_owned()
        } else {
            format!(
                "<div class=\"scroll\"><table class=\"stack\"><tr><th>Order</th><th>Mode</th><th>State</th><th>Paid</th>\
                 <th>Refunded</th><th>Why</th></tr>{order_rows}</table></div>"
            )
        },
        kept.len(),
        if review_rows.is_empty() {
            "<p id=\"no-kept\">None.</p>".to_owned()
        } else {
            format!(
                "<div class=\"scroll\"><table class=\"stack\"><tr><th>Time</th><th>Why</th><th>Order</th><th>Mode</th>\
                 <th>Operation</th><th>Status</th><th>Amount</th><th>Transaction</th><th>Kept</th></tr>{review_rows}</table></div>"
            )
        }
    );
    ui::page(s.site(), "Needs attention", &body).into_response()
}
