//! The payment page: checks the form like the platform, lets the tester choose the
//! outcome, sends the signed notification (retried like the platform) and sends the
//! browser back.

use super::notify::{an32, builder, deliver};
use super::{error_page, origin, Fields, SimState};
use crate::ui::{self, escape_html, money, Site};
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;
use vads::recurring::{PageAction, PaymentConfig};
use vads::testing::NotificationBuilder;
use vads::TransStatus;

pub(crate) async fn payment_page(State(s): State<Arc<SimState>>, body: Bytes) -> Response {
    let mut storage = vec![vads::body::RawField::EMPTY; vads::MAX_FIELDS];
    let fields: Fields = match vads::body::parse(&body, &mut storage) {
        Ok(f) => f
            .iter()
            .map(|f| (f.name().into_owned(), f.value().into_owned()))
            .filter(|(n, _)| n.starts_with("vads_"))
            .collect(),
        Err(e) => {
            return error_page(
                Some("00"),
                &format!("the form could not be read ({})", e.code()),
                None,
            )
        }
    };
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let shop_home = get("vads_url_return").and_then(|u| origin(&u).map(|o| format!("{o}/")));
    // Exactly the platform's check: mode, site id, then the signature with the key of the
    // mode (error 00 on a bad signature).
    if let Err(e) = s.shop.verify(&body) {
        let code = match e.code() {
            "mode_mismatch" => "11",
            "site_mismatch" => "02",
            _ => "00",
        };
        return error_page(
            Some(code),
            &format!("The payment form was refused ({e}). No payment was made."),
            shop_home.as_deref(),
        );
    }
    if get("vads_url_check").is_none() {
        return error_page(
            Some("70"),
            "vads_url_check is required by this simulator",
            shop_home.as_deref(),
        );
    }
    let token = format!("s{}", s.next());
    let amount: u64 = get("vads_amount")
        .and_then(|a| a.parse().ok())
        .unwrap_or_default();
    let currency = get("vads_currency").unwrap_or_default();
    let order = get("vads_order_id").unwrap_or_default();
    let asked = what_is_asked(&fields, amount, &currency);
    let single = asked.is_none();
    let masked = s.shop.explain(&body).unwrap_or_default();
    s.sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token.clone(), fields);
    let button = |choice: &str, label: &str, class: &str| {
        format!(
            "<form method=\"POST\" action=\"/vads-payment/decide\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <input type=\"hidden\" name=\"choice\" value=\"{choice}\">\
             <button class=\"{class}\" id=\"{choice}\" type=\"submit\">{label}</button></form>"
        )
    };
    ui::page(
        Site::Platform,
        "Payment",
        &format!(
            "<div class=\"card\"><dl class=\"facts\"><dt>Merchant</dt><dd>site {}</dd><dt>Order</dt><dd id=\"sim-order\">{}</dd>\
             <dt>Amount</dt><dd id=\"amount\"><strong>{}</strong></dd>{}</dl>\
             <p><span class=\"badge ok\">signature verified</span> The platform recomputed the form's signature \
             with the shop's key; its signing string (key masked):<br><code>{}</code></p></div>\
             <div class=\"card\"><h2>Choose the outcome</h2><p class=\"muted\">A real payment page asks for a card; \
             this simulator lets you decide what the bank says.{}</p><div class=\"actions\">{}{}{}{}{}</div></div>",
            escape_html(s.shop.site_id()),
            escape_html(&order),
            escape_html(&money(amount, &currency)),
            asked.as_ref().map_or_else(String::new, |(label, html)| format!(
                "<dt>{}</dt><dd id=\"asked\">{html}</dd>",
                escape_html(label)
            )),
            escape_html(&masked),
            match &asked {
                None => " \"Notification lost\" pays but sends no notification, as when the shop's notification URL \
                 is down: the shop finds the payment through <code>Order/Get</code>.",
                Some(("Card", _)) => " Saving a card checks it with the bank (a <code>VERIFICATION</code>): nothing is charged.",
                Some(_) => " What follows runs in the platform's nightly batch (a button on the shop's order page here).",
            },
            button(
                "pay",
                if amount == 0 { "Save the card (bank accepts)" } else { "Pay" },
                "primary"
            ),
            // A plan, a saved card or a subscription: the outcomes of its first step.
            if single { button("pay_later", "Pay, merchant validates later", "") } else { String::new() },
            if single { button("pay_lost", "Pay, notification lost (URL down)", "") } else { String::new() },
            button("refuse", "Refuse (bank declines)", "danger"),
            button("cancel", "Cancel (buyer abandons)", "")
        ),
    )
    .into_response()
}

/// What a form asks beyond one payment, in words (a plan's schedule, a card saved, a
/// subscription): the label and the text as HTML (escaped); `None` for one payment.
fn what_is_asked(fields: &Fields, amount: u64, currency: &str) -> Option<(&'static str, String)> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let config = PaymentConfig::parse(get("vads_payment_config"));
    if let PaymentConfig::Multi { count, period, .. } = &config {
        let parts: Vec<String> = (1..=*count)
            .filter_map(|k| config.installment(k, amount))
            .map(|a| money(a, currency))
            .collect();
        return Some((
            "Installments",
            escape_html(&format!(
                "{count}: {} now, then {} every {period} days",
                parts.first().cloned().unwrap_or_default(),
                parts.get(1..).unwrap_or_default().join(", ")
            )),
        ));
    }
    let action = PageAction::parse(get("vads_page_action"));
    if action.subscribes() {
        let sub: u64 = get("vads_sub_amount").parse().unwrap_or_default();
        let date = get("vads_sub_effect_date");
        return Some((
            "Subscription",
            format!(
                "the card saved, then {} by the rule <code>{}</code> from {}",
                escape_html(&money(sub, get("vads_sub_currency"))),
                escape_html(get("vads_sub_desc")),
                escape_html(&match (date.get(..4), date.get(4..6), date.get(6..8)) {
                    (Some(y), Some(m), Some(d)) => format!("{y}-{m}-{d}"),
                    _ => date.to_owned(),
                })
            ),
        ));
    }
    if action.registers() {
        return Some((
            "Card",
            if action.without_payment() {
                "saved as a token; no payment".to_owned()
            } else {
                "saved as a token during the payment".to_owned()
            },
        ));
    }
    None
}

#[derive(serde::Deserialize)]
pub(crate) struct Decision {
    token: String,
    choice: String,
}

pub(crate) async fn decide(State(s): State<Arc<SimState>>, Form(d): Form<Decision>) -> Response {
    let Some(form) = s
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&d.token)
    else {
        return error_page(
            None,
            "This payment session is unknown or already used: start again from the shop.",
            None,
        );
    };
    let get = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let shop_home = get("vads_url_return").and_then(|u| origin(&u).map(|o| format!("{o}/")));
    let mut fields: Fields = form
        .iter()
        .filter(|(n, _)| !n.starts_with("vads_url_") && n != "vads_return_mode")
        .cloned()
        .collect();
    let action_text = get("vads_page_action").unwrap_or_default();
    let action = PageAction::parse(&action_text);
    let config = PaymentConfig::parse(&get("vads_payment_config").unwrap_or_default());
    let accepted = matches!(d.choice.as_str(), "pay" | "pay_lost" | "pay_later");
    let status = match d.choice.as_str() {
        // A card saved without a payment: a VERIFICATION, accepted.
        "pay" if action.without_payment() => TransStatus::Accepted,
        "pay" | "pay_lost" => TransStatus::Authorised,
        "pay_later" => TransStatus::AuthorisedToValidate,
        "refuse" => TransStatus::Refused,
        _ => TransStatus::Abandoned,
    };
    let total: u64 = get("vads_amount")
        .and_then(|a| a.parse().ok())
        .unwrap_or_default();
    // A plan's first installment is its own transaction, of its own amount.
    let amount = if config.is_plan() {
        config.installment(1, total).unwrap_or(total)
    } else {
        total
    };
    // The platform's defaults, then the form's own fields, then what the outcome changes.
    let mut b = fields
        .iter()
        .fold(NotificationBuilder::new(&s.shop), |b, (n, v)| {
            b.field(n, v.as_str())
        })
        .amount(amount)
        .field("vads_effective_amount", amount.to_string())
        .status(status);
    if status == TransStatus::AuthorisedToValidate {
        b = b.field("vads_validation_mode", "1");
    }
    if config.is_plan() {
        b = b.field("vads_sequence_number", "1");
    }
    if action.without_payment() && status != TransStatus::Abandoned {
        b = b.field("vads_operation_type", "VERIFICATION");
    }
    // A card saved: its token (the form's chosen id, or the platform's), what became of
    // it, and the chaining reference a merchant-initiated payment sends back.
    let token = get("vads_identifier")
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| an32(&s));
    if action.registers() {
        let (done, not_done) = if action == PageAction::RegisterUpdate {
            ("UPDATED", "NOT_UPDATED")
        } else {
            ("CREATED", "NOT_CREATED")
        };
        b = b.field("vads_identifier", token.as_str()).field(
            "vads_identifier_status",
            match d.choice.as_str() {
                _ if accepted => done,
                "refuse" => not_done,
                _ => "ABANDONED",
            },
        );
        if accepted {
            b = b.field(
                "vads_initial_issuer_transaction_identifier",
                format!("{:015}", s.next() * 7_919),
            );
            // The card is saved on the platform: its REST API reads, cancels and charges
            // it from now on.
            let mode = match get("vads_ctx_mode").as_deref() {
                Some("PRODUCTION") => vads::Mode::Production,
                _ => vads::Mode::Test,
            };
            s.platform
                .add_token_with(&token, mode, get("vads_cust_email").as_deref());
        }
    }
    let subscription = get("vads_subscription")
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("SUB-{}", s.next()));
    if action.subscribes() {
        b = b.field("vads_subscription", subscription.as_str()).field(
            "vads_recurrence_status",
            match d.choice.as_str() {
                _ if accepted => "CREATED",
                "refuse" => "NOT_CREATED",
                _ => "ABANDONED",
            },
        );
    }
    fields = b.fields();
    let url_check = get("vads_url_check").unwrap_or_default();
    // The payment exists on the platform's side too: the REST API reads and acts on it.
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let is_payment = !action.without_payment();
    if let (true, Some(uuid), Some(amount)) = (
        is_payment,
        field("vads_trans_uuid"),
        field("vads_amount").and_then(|a| a.parse::<u64>().ok()),
    ) {
        let currency = field("vads_currency")
            .and_then(|c| vads::form::Currency::find(&c))
            .map_or("EUR", |c| c.alpha);
        let mut payment = vads::testing::platform::NewPayment::new(
            get("vads_order_id").unwrap_or_default(),
            amount,
            currency,
            status,
        );
        payment.uuid = Some(uuid);
        // The platform's one transaction: the same legacy id as its notification's.
        payment.trans_id = get("vads_trans_id");
        payment.ipn_target_url = Some(url_check.clone());
        s.platform.add_payment(payment);
    }
    let order_id = get("vads_order_id").unwrap_or_default();
    // What the nightly batch will run for this order: the plan's next installments, or the
    // subscription's.
    if accepted && config.is_plan() {
        super::batch::plan(&s, &order_id, &url_check, &fields, &config, total);
    } else if accepted && action.subscribes() {
        super::batch::subscription(&s, &order_id, &url_check, &fields, &token, &subscription);
    }
    s.last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(order_id, (url_check.clone(), fields.clone()));
    // The IPN first (the source of truth), retried like the platform on failure; unless
    // the notification URL is "down": then nothing is sent, and the failure is recorded.
    if d.choice == "pay_lost" {
        eprintln!(
            "vads-demo simulator: notification for order {} lost (URL down): nothing sent",
            get("vads_order_id").unwrap_or_default()
        );
    } else {
        deliver(s.clone(), url_check, fields.clone()).await;
    }
    // Then the browser goes back with the signed return fields.
    let Some(url_return) = get("vads_url_return") else {
        return ui::page(
            Site::Platform,
            "Payment done",
            "<p id=\"done\">Done (the form gave no return URL).</p>",
        )
        .into_response();
    };
    let signed = match builder(&s.shop, &fields).browser_return().signed_fields() {
        Ok(signed) => signed,
        Err(e) => return error_page(None, &e.to_string(), shop_home.as_deref()),
    };
    if get("vads_return_mode").as_deref() == Some("POST") {
        let inputs: String = signed
            .iter()
            .map(|(n, v)| {
                format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    escape_html(n),
                    escape_html(v)
                )
            })
            .collect();
        ui::page(
            Site::Platform,
            "Back to the shop…",
            &format!(
                "<form id=\"back\" method=\"POST\" action=\"{}\">{inputs}<button class=\"primary\">Back to the shop</button></form>\
                 <script>document.getElementById('back').submit();</script>",
                escape_html(&url_return)
            ),
        )
        .into_response()
    } else {
        let sep = if url_return.contains('?') { '&' } else { '?' };
        let query = vads::testing::urlencode_pairs(&signed);
        Redirect::to(&format!("{url_return}{sep}{query}")).into_response()
    }
}
