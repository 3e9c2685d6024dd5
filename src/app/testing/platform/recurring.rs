//! The simulated platform's saved cards, subscriptions and zero-click charges (protocol
//! section 11): `Charge/CreateToken`, `Token/Get`, `Cancel`, `Reactivate`, `Update`,
//! `Charge/CreatePayment` with `formAction: SILENT` (synchronous: a `V4/Payment`, no
//! notification), `Charge/CreateSubscription`, `Subscription/Get`, `Update`, `Cancel`,
//! with the documented refusals (`PSP_030` unknown token, `PSP_031` cancelled token,
//! `PSP_032` unknown subscription, `PSP_033` invalid rule or already cancelled).

use super::{error, invalid, iso_date, new_transaction, Fault, Platform, State, Token};
use crate::protocol::currency::Currency;
use crate::protocol::mode::Mode;
use crate::protocol::recurring::RRule;
use crate::protocol::time::TransDate;
use serde_json::{json, Map, Value};

/// A saved card on the simulated platform.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimToken {
    /// The token (`paymentMethodToken`).
    pub token: String,
    /// The mode it was saved in.
    pub mode: Mode,
    /// The buyer's e-mail.
    pub email: Option<String>,
    /// `creationDate`.
    pub creation_date: String,
    /// `cancellationDate`, once cancelled.
    pub cancellation_date: Option<String>,
    /// Whether the bank declines its charges ([`Platform::decline_token`]).
    pub declines: bool,
}

/// A subscription on the simulated platform.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimSubscription {
    /// `subscriptionId`.
    pub id: String,
    /// The token it charges.
    pub token: String,
    /// The mode it runs in.
    pub mode: Mode,
    /// Each installment, minor units.
    pub amount: u64,
    /// Alphabetic ISO 4217 code.
    pub currency: String,
    /// `rrule`.
    pub rrule: String,
    /// `effectDate` (ISO 8601).
    pub effect_date: String,
    /// `orderId`.
    pub order_id: Option<String>,
    /// `initialAmount`, `initialAmountNumber`.
    pub initial: Option<(u64, u32)>,
    /// `cancelDate`, once cancelled.
    pub cancel_date: Option<String>,
    /// `pastPaymentsNumber`.
    pub past_payments: u32,
    /// `totalPaymentsNumber` (0: no end; the rule's `COUNT`).
    pub total_payments: u32,
    /// `metadata`.
    pub metadata: Option<Value>,
}

impl SimSubscription {
    /// Subscription `id` on `token` in `mode`: `amount` of `currency` by `rrule` from
    /// `effect_date` (`YYYY-MM-DD`, or ISO 8601).
    #[must_use]
    pub fn new(
        id: &str,
        token: &str,
        mode: Mode,
        amount: u64,
        currency: &str,
        rrule: &str,
        effect_date: &str,
    ) -> SimSubscription {
        let effect = if effect_date.len() == 10 {
            format!("{effect_date}T00:00:00+00:00")
        } else {
            effect_date.to_owned()
        };
        SimSubscription {
            id: id.to_owned(),
            token: token.to_owned(),
            mode,
            amount,
            currency: Currency::find(currency)
                .map_or_else(|| currency.to_owned(), |c| c.alpha.to_owned()),
            rrule: rrule.to_owned(),
            effect_date: effect,
            order_id: None,
            initial: None,
            cancel_date: None,
            past_payments: 0,
            total_payments: count_of(rrule),
            metadata: None,
        }
    }
}

/// The rule's `COUNT`, or 0 (no end).
fn count_of(rrule: &str) -> u32 {
    rrule
        .split(';')
        .find_map(|p| p.strip_prefix("COUNT="))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// A token's chaining reference on this platform (the same for every answer of it).
pub(super) fn chaining_ref_of(token: &str) -> String {
    let h = token.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:015}", h % 1_000_000_000_000_000)
}

fn now_iso() -> String {
    iso_date(TransDate::now())
}

impl Platform {
    /// Saves a card for the buyer of `email` in the platform's default mode; returns its
    /// token (32 letters and digits).
    pub fn add_token(&self, email: &str) -> String {
        let mode = self.default_mode();
        let mut state = self.state();
        let token = state.new_saved_token();
        state.saved.push(SimToken {
            token: token.clone(),
            mode,
            email: Some(email.to_owned()),
            creation_date: now_iso(),
            cancellation_date: None,
            declines: false,
        });
        token
    }

    /// Saves a card under a token the test (or a payment page) chose, in `mode`.
    pub fn add_token_with(&self, token: &str, mode: Mode, email: Option<&str>) {
        let mut state = self.state();
        if state.saved.iter().any(|t| t.token == token) {
            return;
        }
        state.saved.push(SimToken {
            token: token.to_owned(),
            mode,
            email: email.map(str::to_owned),
            creation_date: now_iso(),
            cancellation_date: None,
            declines: false,
        });
    }

    /// Whether the bank declines the charges of `token` from now on.
    pub fn decline_token(&self, token: &str, declines: bool) {
        if let Some(t) = self.state().saved.iter_mut().find(|t| t.token == token) {
            t.declines = declines;
        }
    }

    /// The saved card of `token`, as it is now.
    #[must_use]
    pub fn saved_token(&self, token: &str) -> Option<SimToken> {
        self.state()
            .saved
            .iter()
            .find(|t| t.token == token)
            .cloned()
    }

    /// Puts a subscription on the platform (one a payment form created, say).
    pub fn add_subscription(&self, subscription: SimSubscription) {
        let mut state = self.state();
        if !state
            .subscriptions
            .iter()
            .any(|s| s.id == subscription.id && s.token == subscription.token)
        {
            state.subscriptions.push(subscription);
        }
    }

    /// Every subscription, in creation order.
    #[must_use]
    pub fn subscriptions(&self) -> Vec<SimSubscription> {
        self.state().subscriptions.clone()
    }

    /// Counts one more installment charged for subscription (`id`, `token`) (the
    /// nightly batch's doing); the new `pastPaymentsNumber`, `None` when unknown or
    /// cancelled.
    pub fn count_installment(&self, id: &str, token: &str) -> Option<u32> {
        let mut state = self.state();
        let s = state
            .subscriptions
            .iter_mut()
            .find(|s| s.id == id && s.token == token && s.cancel_date.is_none())?;
        s.past_payments += 1;
        Some(s.past_payments)
    }
}

fn token_json(t: &super::recurring::SimToken) -> Value {
    json!({
        "paymentMethodToken": t.token,
        "paymentMethodType": "CARD",
        "status": if t.cancellation_date.is_some() { "CANCELLED" } else { "ACTIVE" },
        "creationDate": t.creation_date,
        "cancellationDate": t.cancellation_date,
        "customer": {"email": t.email, "reference": null, "_type": "V4/Customer/Customer"},
        "tokenDetails": {
            "pan": "497010XXXXXX0055",
            "expiryMonth": 12,
            "expiryYear": 2030,
            "effectiveBrand": "CB",
            "_type": "V4/PaymentMethod/Details/TokenDetails"
        },
        "_type": "V4/Token"
    })
}

fn subscription_json(s: &SimSubscription) -> Value {
    json!({
        "subscriptionId": s.id,
        "paymentMethodToken": s.token,
        "effectDate": s.effect_date,
        "cancelDate": s.cancel_date,
        "pastPaymentsNumber": s.past_payments,
        "totalPaymentsNumber": s.total_payments,
        "amount": s.amount,
        "currency": s.currency,
        "rrule": s.rrule,
        "initialAmount": s.initial.map(|i| i.0),
        "initialAmountNumber": s.initial.map(|i| i.1),
        "orderId": s.order_id,
        "metadata": s.metadata,
        "_type": "V4/Subscription"
    })
}

type Answer = (Result<Value, Value>, bool);

/// The saved card a request names, usable in `mode`: `PSP_030` when there is none (or
/// it is another mode's), `PSP_031` when it is cancelled.
fn usable<'s>(
    state: &'s mut State,
    req: &Map<String, Value>,
    mode: Mode,
) -> Result<&'s mut super::recurring::SimToken, Value> {
    let token = req
        .get("paymentMethodToken")
        .and_then(Value::as_str)
        .unwrap_or("");
    let t = state
        .saved
        .iter_mut()
        .find(|t| t.token == token && t.mode == mode)
        .ok_or_else(|| error("PSP_030", "token not found", None))?;
    if t.cancellation_date.is_some() {
        return Err(error("PSP_031", "invalid token", None));
    }
    Ok(t)
}

/// `Charge/CreatePayment` that names a token or saves one: `SILENT` charges at once;
/// the others give a formToken (one-click: the token must be usable).
pub(super) fn create_payment(
    p: &Platform,
    state: &mut State,
    mode: Mode,
    req: &Map<String, Value>,
    fault: Option<Fault>,
) -> Answer {
    let text = |name: &str| req.get(name).and_then(Value::as_str);
    let Some(amount) = req.get("amount").and_then(Value::as_u64).filter(|a| *a > 0) else {
        return (Err(invalid("INT_009", "invalid amount", "amount")), false);
    };
    let Some(currency) = text("currency").and_then(Currency::find) else {
        return (
            Err(invalid("INT_010", "invalid currency", "currency")),
            false,
        );
    };
    let order_id = text("orderId").map(str::to_owned);
    let action = text("formAction").unwrap_or("PAYMENT");
    let card = text("paymentMethodToken").map(str::to_owned);
    if card.is_some() {
        if let Err(e) = usable(state, req, mode) {
            return (Err(e), false);
        }
    }
    if action != "SILENT" {
        let email = req
            .get("customer")
            .and_then(|c| c.get("email"))
            .and_then(Value::as_str);
        if matches!(action, "REGISTER_PAY" | "ASK_REGISTER_PAY") && email.is_none() {
            return (
                Err(invalid("INT_015", "invalid email", "customer.email")),
                false,
            );
        }
        let form_token = state.new_form_token("b25lY2xpY2t0b2tlbg");
        state.tokens.push(Token {
            token: form_token.clone(),
            mode,
            order_id,
            amount,
            currency: currency.alpha.to_owned(),
            manual_validation: false,
            ipn_target_url: text("ipnTargetUrl").map(str::to_owned),
            used: false,
            card,
            registers: matches!(action, "REGISTER_PAY" | "ASK_REGISTER_PAY"),
            email: email.map(str::to_owned),
        });
        return (
            Ok(json!({"formToken": form_token, "_type": "V4/Charge/PaymentForm"})),
            true,
        );
    }
    // SILENT: synchronous, the answer is the payment.
    let Some(card) = card else {
        return (
            Err(invalid(
                "INT_902",
                "paymentMethodToken is required",
                "paymentMethodToken",
            )),
            false,
        );
    };
    let declines =
        state.saved.iter().any(|t| t.token == card && t.declines) || fault == Some(Fault::Decline);
    let status = if declines { "REFUSED" } else { "AUTHORISED" };
    let mut t = new_transaction(
        state,
        order_id.clone(),
        mode,
        amount,
        currency.alpha.to_owned(),
        status.to_owned(),
        "DEBIT",
        None,
    );
    t.metadata = req.get("metadata").cloned();
    t.token = Some(card);
    state.transactions.push(t.clone());
    let answer = json!({
        "shopId": p.site_id,
        "orderCycle": "CLOSED",
        "orderStatus": if declines { "UNPAID" } else { "PAID" },
        "serverDate": now_iso(),
        "orderDetails": {
            "orderTotalAmount": amount,
            "orderEffectiveAmount": if declines { 0 } else { amount },
            "orderCurrency": currency.alpha,
            "mode": mode.as_str(),
            "orderId": order_id,
            "_type": "V4/OrderDetails"
        },
        "customer": {"email": req.get("customer").and_then(|c| c.get("email")), "_type": "V4/Customer/Customer"},
        "transactions": [p.transaction_json(&t)],
        "_type": "V4/Payment"
    });
    (Ok(answer), true)
}

/// The other operations on tokens and subscriptions.
pub(super) fn apply(
    _p: &Platform,
    state: &mut State,
    op: crate::api::Operation,
    mode: Mode,
    req: &Map<String, Value>,
) -> Answer {
    use crate::api::Operation as Op;
    let text = |name: &str| req.get(name).and_then(Value::as_str);
    match op {
        Op::CreateToken => {
            let Some(currency) = text("currency").and_then(Currency::find) else {
                return (
                    Err(invalid("INT_010", "invalid currency", "currency")),
                    false,
                );
            };
            let email = req
                .get("customer")
                .and_then(|c| c.get("email"))
                .and_then(Value::as_str);
            if !email.is_some_and(|e| e.contains('@')) {
                return (
                    Err(invalid("INT_015", "invalid email", "customer.email")),
                    false,
                );
            }
            let form_token = state.new_form_token("cmVnaXN0ZXJ0b2tlbg");
            state.tokens.push(Token {
                token: form_token.clone(),
                mode,
                order_id: text("orderId").map(str::to_owned),
                amount: 0,
                currency: currency.alpha.to_owned(),
                manual_validation: false,
                ipn_target_url: text("ipnTargetUrl").map(str::to_owned),
                used: false,
                card: None,
                registers: true,
                email: email.map(str::to_owned),
            });
            (
                Ok(json!({"formToken": form_token, "_type": "V4/Charge/PaymentForm"})),
                true,
            )
        }
        Op::TokenGet => {
            let token = text("paymentMethodToken").unwrap_or("");
            match state
                .saved
                .iter()
                .find(|t| t.token == token && t.mode == mode)
            {
                Some(t) => (Ok(token_json(t)), false),
                None => (Err(error("PSP_030", "token not found", None)), false),
            }
        }
        Op::TokenCancel => match usable(state, req, mode) {
            Ok(t) => {
                t.cancellation_date = Some(now_iso());
                (
                    Ok(json!({"responseCode": 0, "_type": "V4/Token/Cancel"})),
                    true,
                )
            }
            Err(e) => (Err(e), false),
        },
        Op::TokenReactivate => {
            let token = text("paymentMethodToken").unwrap_or("");
            match state
                .saved
                .iter_mut()
                .find(|t| t.token == token && t.mode == mode)
            {
                Some(t) if t.cancellation_date.is_some() => {
                    t.cancellation_date = None;
                    (
                        Ok(json!({"responseCode": 0, "_type": "V4/Token/Reactivate"})),
                        true,
                    )
                }
                // Active already: refused, as the platform refuses a token in the wrong
                // state (the caller reads it back).
                Some(_) => (Err(error("PSP_031", "invalid token", None)), false),
                None => (Err(error("PSP_030", "token not found", None)), false),
            }
        }
        Op::TokenUpdate => match usable(state, req, mode) {
            Ok(t) => {
                if let Some(e) = req
                    .get("customer")
                    .and_then(|c| c.get("email"))
                    .and_then(Value::as_str)
                {
                    t.email = Some(e.to_owned());
                }
                (
                    Ok(json!({"responseCode": 0, "_type": "V4/Token/Update"})),
                    true,
                )
            }
            Err(e) => (Err(e), false),
        },
        Op::CreateSubscription => {
            let token = match usable(state, req, mode) {
                Ok(t) => t.token.clone(),
                Err(e) => return (Err(e), false),
            };
            let Some(amount) = req.get("amount").and_then(Value::as_u64).filter(|a| *a > 0) else {
                return (Err(invalid("INT_009", "invalid amount", "amount")), false);
            };
            let Some(currency) = text("currency").and_then(Currency::find) else {
                return (
                    Err(invalid("INT_010", "invalid currency", "currency")),
                    false,
                );
            };
            let rrule = text("rrule").unwrap_or("");
            if RRule::parse(rrule).is_err() {
                return (Err(error("PSP_033", "invalid rule", None)), false);
            }
            let effect = text("effectDate").and_then(TransDate::parse_iso8601);
            let today = TransDate::now();
            match effect {
                None => {
                    return (
                        Err(invalid("INT_902", "invalid effect date", "effectDate")),
                        false,
                    )
                }
                Some(d) if (d.year, d.month, d.day) < (today.year, today.month, today.day) => {
                    return (
                        Err(invalid("INT_902", "effect date in the past", "effectDate")),
                        false,
                    )
                }
                Some(_) => {}
            }
            state.next += 1;
            let id = format!(
                "{}{:08x}",
                &now_iso()[..10].replace('-', ""),
                state.next.wrapping_mul(0x9e37_79b9)
            );
            let mut s = SimSubscription::new(
                &id,
                &token,
                mode,
                amount,
                currency.alpha,
                rrule,
                text("effectDate").unwrap_or(""),
            );
            s.order_id = text("orderId").map(str::to_owned);
            s.initial = req.get("initialAmount").and_then(Value::as_u64).zip(
                req.get("initialAmountNumber")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok()),
            );
            s.metadata = req.get("metadata").cloned();
            state.subscriptions.push(s);
            (
                Ok(json!({"subscriptionId": id, "_type": "V4/SubscriptionCreated"})),
                true,
            )
        }
        Op::SubscriptionGet | Op::SubscriptionUpdate | Op::SubscriptionCancel => {
            let id = text("subscriptionId").unwrap_or("");
            let token = text("paymentMethodToken").unwrap_or("");
            let token_known = state
                .saved
                .iter()
                .any(|t| t.token == token && t.mode == mode);
            let found = state
                .subscriptions
                .iter_mut()
                .find(|s| s.id == id && s.token == token && s.mode == mode);
            match (op, found) {
                (Op::SubscriptionCancel, _) if !token_known => (
                    Ok(json!({"responseCode": 30, "_type": "V4/Subscription/Cancel"})),
                    false,
                ),
                (Op::SubscriptionCancel, None) => (
                    Ok(json!({"responseCode": 32, "_type": "V4/Subscription/Cancel"})),
                    false,
                ),
                (_, None) if !token_known => {
                    (Err(error("PSP_030", "token not found", None)), false)
                }
                (_, None) => (Err(error("PSP_032", "subscription not found", None)), false),
                (Op::SubscriptionGet, Some(s)) => (Ok(subscription_json(s)), false),
                (_, Some(s)) if s.cancel_date.is_some() => (
                    Err(error("PSP_033", "subscription already cancelled", None)),
                    false,
                ),
                (Op::SubscriptionCancel, Some(s)) => {
                    s.cancel_date = Some(now_iso());
                    (
                        Ok(json!({"responseCode": 0, "_type": "V4/Subscription/Cancel"})),
                        true,
                    )
                }
                (_, Some(s)) => {
                    if let Some(a) = req.get("amount").and_then(Value::as_u64) {
                        s.amount = a;
                    }
                    if let Some(r) = text("rrule") {
                        if RRule::parse(r).is_err() {
                            return (Err(error("PSP_033", "invalid rule", None)), false);
                        }
                        s.rrule = r.to_owned();
                        s.total_payments = count_of(r);
                    }
                    if let Some(d) = text("effectDate") {
                        s.effect_date = d.to_owned();
                    }
                    (
                        Ok(json!({"responseCode": 0, "_type": "V4/Subscription/Update"})),
                        true,
                    )
                }
            }
        }
        _ => (Err(error("PSP_011", "wrong operation", None)), false),
    }
}
