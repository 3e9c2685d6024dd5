//! Money that recurs on an order's page: the plan and its installments, the saved card
//! (its token masked), the subscription and each of its installments (their own records
//! in the store, linked to the order that created them), and the buttons that make the
//! simulator's nightly batch run.

use super::store::{logged, shipments};
use super::ShopState;
use crate::ui::{escape_html, money};
use vads::lifecycle::{OrderKey, OrderOutcome, OrderState};
use vads::recurring::PaymentConfig;
use vads_store::StoredOrder;

/// A token as a page shows it: its first and last 4 characters (a token charges the card
/// through the API: a page never needs it whole).
pub(crate) fn masked_token(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    if chars.len() <= 10 {
        return "•".repeat(chars.len().max(4));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// The subscription's installments of an order (each its own record), at most 120.
pub(crate) async fn installments_of(s: &ShopState, key: &OrderKey) -> Vec<StoredOrder> {
    logged(
        "cannot read a subscription's installments",
        s.store.subscription_installments(key, 120).await,
    )
    .unwrap_or_default()
}

/// The card "Money that recurs": empty for a single payment.
pub(crate) async fn card(s: &ShopState, id: &str, state: &OrderState, currency: &str) -> String {
    let key = s.key(id);
    let installments = installments_of(s, &key).await;
    let mut parts = String::new();
    if let Some(plan) = &state.plan {
        let config = PaymentConfig::parse(&plan.config);
        let total = plan.total.unwrap_or_default();
        let rows: String = (1..=plan.count)
            .map(|k| {
                let status = if plan.accepted.contains(&k) {
                    "<span class=\"badge ok\">accepted</span>"
                } else if plan.refused.contains(&k) {
                    "<span class=\"badge bad\">refused</span>"
                } else {
                    "<span class=\"badge info\">due</span>"
                };
                format!(
                    "<tr class=\"installment\"><td data-label=\"Installment\">{k} of {}</td><td data-label=\"Amount\" class=\"nowrap\">{}</td><td data-label=\"Status\">{status}</td></tr>",
                    plan.count,
                    config
                        .installment(k, total)
                        .map_or_else(|| "—".to_owned(), |a| money(a, currency))
                )
            })
            .collect();
        parts += &format!(
            "<h3>The plan</h3><p class=\"muted\">One order paid in installments (<code>{}</code>): each installment \
             is its own transaction, the first notified at the end of the payment, the others by the platform's \
             nightly batch (its \"batch authorization\" notification rule). The order is paid once installment 1 \
             is accepted; <em>paid</em> counts the installments accepted, never more than the plan's total.</p>\
             <div class=\"scroll\"><table class=\"stack\" id=\"plan\"><tr><th>Installment</th><th>Amount</th><th>Status</th></tr>{rows}</table></div>",
            escape_html(&plan.config)
        );
    }
    if let Some(token) = &state.token {
        parts += &format!(
            "<h3>The saved card</h3><dl class=\"facts\"><dt>Token</dt><dd><code id=\"token\">{}</code> (masked)</dd>\
             <dt>Token status</dt><dd id=\"token-status\">{}</dd><dt>Chaining reference</dt><dd>{}</dd></dl>\
             <p class=\"muted\">Saving a card is not a payment: a card check (<code>VERIFICATION</code>) accepted means \
             the card was saved, never that money came. Keep the chaining reference with the token: a payment the \
             shop starts itself sends it back.</p>",
            escape_html(&masked_token(&token.id)),
            escape_html(token.status.as_deref().unwrap_or("—")),
            if state.chaining_ref.is_some() {
                "kept"
            } else {
                "none received"
            }
        );
    }
    if state.subscription.is_some() || state.recurrence_status.is_some() || !installments.is_empty()
    {
        let rows = installment_rows(s, &installments, currency).await;
        parts += &format!(
            "<h3>The subscription</h3><dl class=\"facts\"><dt>Subscription</dt><dd id=\"subscription\">{}</dd>\
             <dt>Created</dt><dd id=\"subscription-status\">{}</dd></dl>\
             <p class=\"muted\">The platform charges each installment in its nightly batch and notifies it \
             (<code>vads_url_check_src=REC</code>, with the \"creating a recurring payment\" rule on). Each is a \
             payment <em>of the subscription</em>, recorded as its own record (token and number), never a second \
             payment of this order; a refused one is not presented again.</p>{}{}",
            escape_html(state.subscription.as_deref().unwrap_or("—")),
            escape_html(state.recurrence_status.as_deref().unwrap_or("—")),
            if s.api.is_some() && state.recurrence_status.as_deref() == Some("CREATED") {
                format!(
                    "<p><a id=\"subscription-link\" href=\"/orders/{}/subscription\">The subscription as the platform has it (its status; cancel it)</a></p>",
                    escape_html(&crate::ui::query_escape(id))
                )
            } else {
                String::new()
            },
            if rows.is_empty() {
                "<p id=\"no-installment\">No installment yet: the first runs on the subscription's start date.</p>".to_owned()
            } else {
                format!(
                    "<div class=\"scroll\"><table class=\"stack\" id=\"sub-installments\"><tr><th>#</th><th>Amount</th>\
                     <th>Outcome</th><th>Shipped</th></tr>{rows}</table></div>"
                )
            }
        );
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("<div class=\"card\" id=\"recurring\"><h2>Money that recurs</h2>{parts}</div>")
}

async fn installment_rows(s: &ShopState, installments: &[StoredOrder], currency: &str) -> String {
    let mut rows = String::new();
    for i in installments {
        let n = i.state.recurrence_number.unwrap_or_default();
        let amount = i
            .state
            .transactions
            .first()
            .and_then(|t| t.amount.value().copied())
            .unwrap_or(i.state.paid);
        let shipped = !shipments(s, &i.key).await.is_empty();
        rows += &format!(
            "<tr class=\"sub-installment\"><td data-label=\"#\">{n}</td><td data-label=\"Amount\" class=\"nowrap\">{}</td>\
             <td data-label=\"Outcome\">{}</td><td data-label=\"Shipped\">{}</td></tr>",
            money(amount, currency),
            crate::ui::outcome_badge(i.state.outcome),
            if shipped { "yes" } else { "no" }
        );
    }
    rows
}

/// The nightly batch's buttons (on the simulator), when something is due: a plan with
/// installments left, or a subscription created.
pub(crate) fn batch_buttons(sim: &str, back: &str, id: &str, state: &OrderState) -> String {
    let plan_left = state
        .plan
        .as_ref()
        .is_some_and(|p| (p.accepted.len() + p.refused.len()) < p.count as usize);
    let subscribed = state.recurrence_status.as_deref() == Some("CREATED");
    let plan_runs = plan_left && state.outcome != OrderOutcome::Failed;
    if !plan_runs && !subscribed {
        return String::new();
    }
    let button = |refuse: bool, label: &str, id_attr: &str, class: &str| {
        format!(
            "<form method=\"POST\" action=\"{}/admin/batch\"><input type=\"hidden\" name=\"order_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"back\" value=\"{}\">{}\
             <button class=\"{class}\" id=\"{id_attr}\" type=\"submit\">{label}</button></form>",
            escape_html(sim),
            escape_html(id),
            escape_html(back),
            if refuse {
                "<input type=\"hidden\" name=\"refuse\" value=\"1\">"
            } else {
                ""
            }
        )
    };
    format!(
        "<h3>The platform's nightly batch</h3><p class=\"muted\">The platform runs what is due at night: {}. \
         Run it now, or have the bank refuse the next one.</p><div class=\"actions\">{}{}</div>",
        if subscribed {
            "the subscription's next installment (notified as <code>REC</code>)"
        } else {
            "the plan's next installment (notified as <code>BATCH_AUTO</code>)"
        },
        button(false, "Run the nightly batch", "batch", "primary"),
        button(true, "Run it, the bank refuses", "batch-refuse", "danger"),
    )
}

/// What recurs, as the order's JSON adds it: `plan`, `token` (masked), `subscription`,
/// `subscription_status` and `installments` (the subscription's, each with its number,
/// outcome, paid and shipments).
pub(crate) async fn json(s: &ShopState, key: &OrderKey, state: &OrderState) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Some(plan) = &state.plan {
        out.insert(
            "plan".into(),
            serde_json::json!({"count": plan.count, "first": plan.first, "total": plan.total,
                "accepted": plan.accepted, "refused": plan.refused}),
        );
    }
    if let Some(token) = &state.token {
        out.insert(
            "token".into(),
            serde_json::json!({"masked": masked_token(&token.id), "status": token.status}),
        );
    }
    if state.subscription.is_some() || state.recurrence_status.is_some() {
        out.insert("subscription".into(), serde_json::json!(state.subscription));
        out.insert(
            "subscription_status".into(),
            serde_json::json!(state.recurrence_status),
        );
    }
    let mut installments = Vec::new();
    for i in installments_of(s, key).await {
        installments.push(serde_json::json!({
            "recurrence_number": i.state.recurrence_number,
            "outcome": i.state.outcome.as_str(),
            "paid": i.state.paid,
            "shipments": shipments(s, &i.key).await.len(),
        }));
    }
    if !installments.is_empty() {
        out.insert(
            "installments".into(),
            serde_json::Value::Array(installments),
        );
    }
    serde_json::Value::Object(out)
}
