//! The payment page: checks the form like the platform, lets the tester choose the
//! outcome, sends the signed notification (retried like the platform) and sends the
//! browser back.

use super::{error_page, origin, Fields, SimState};
use crate::ui::{self, escape_html, money, Site};
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;
use std::time::Duration;
use vads::testing::NotificationBuilder;
use vads::{Shop, TransStatus, UrlCheckSource};

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
             <dt>Amount</dt><dd id=\"amount\"><strong>{}</strong></dd></dl>\
             <p><span class=\"badge ok\">signature verified</span> The platform recomputed the form's signature \
             with the shop's key; its signing string (key masked):<br><code>{}</code></p></div>\
             <div class=\"card\"><h2>Choose the outcome</h2><p class=\"muted\">A real payment page asks for a card; \
             this simulator lets you decide what the bank says. \"Notification lost\" pays but sends no \
             notification, as when the shop's notification URL is down: the shop finds the payment \
             through <code>Order/Get</code>.</p><div class=\"actions\">{}{}{}{}{}</div></div>",
            escape_html(s.shop.site_id()),
            escape_html(&order),
            escape_html(&money(amount, &currency)),
            escape_html(&masked),
            button("pay", "Pay", "primary"),
            button("pay_later", "Pay, merchant validates later", ""),
            button("pay_lost", "Pay, notification lost (URL down)", ""),
            button("refuse", "Refuse (bank declines)", "danger"),
            button("cancel", "Cancel (buyer abandons)", "")
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct Decision {
    token: String,
    choice: String,
}

/// Posts a notification body; the HTTP status, or `None` when unreachable.
pub(crate) async fn post_notification(url: String, body: String) -> Option<u16> {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(35)))
            .build()
            .into();
        agent
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.as_bytes())
            .ok()
            .map(|r| r.status().as_u16())
    })
    .await
    .ok()
    .flatten()
}

/// A notification of exactly `fields`.
pub(crate) fn builder<'s>(shop: &'s Shop, fields: &[(String, String)]) -> NotificationBuilder<'s> {
    NotificationBuilder::from_fields(shop, fields)
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
    let status = match d.choice.as_str() {
        "pay" | "pay_lost" => TransStatus::Authorised,
        "pay_later" => TransStatus::AuthorisedToValidate,
        "refuse" => TransStatus::Refused,
        _ => TransStatus::Abandoned,
    };
    let amount = get("vads_amount").unwrap_or_default();
    // The platform's defaults, then the form's own fields, then what the outcome changes.
    let b = fields
        .iter()
        .fold(NotificationBuilder::new(&s.shop), |b, (n, v)| {
            b.field(n, v.as_str())
        })
        .field("vads_effective_amount", amount.as_str())
        .status(status);
    let b = if status == TransStatus::AuthorisedToValidate {
        b.field("vads_validation_mode", "1")
    } else {
        b
    };
    fields = b.fields();
    let url_check = get("vads_url_check").unwrap_or_default();
    // The payment exists on the platform's side too: the REST API reads and acts on it.
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if let (Some(uuid), Some(amount)) = (
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

/// Sends a notification; when the shop does not answer success, retries up to 4 more
/// times (`vads_url_check_src=RETRY`) after `retry_delay` each, in the background.
pub(crate) async fn deliver(s: Arc<SimState>, url: String, fields: Fields) {
    let Ok(body) = builder(&s.shop, &fields).body() else {
        return;
    };
    let delivered = post_notification(url.clone(), body)
        .await
        .is_some_and(vads::answer::platform_counts_delivered);
    if delivered {
        return;
    }
    tokio::spawn(async move {
        for _ in 0..4 {
            tokio::time::sleep(s.retry_delay).await;
            let Ok(body) = builder(&s.shop, &fields)
                .url_check_src(UrlCheckSource::Retry)
                .body()
            else {
                return;
            };
            if post_notification(url.clone(), body)
                .await
                .is_some_and(vads::answer::platform_counts_delivered)
            {
                return;
            }
        }
    });
}
