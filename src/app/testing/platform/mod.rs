//! A stand-in for the platform's REST API V4 (features `testing` and `api`), so that a
//! shop's tests can call the API in-process ([`Platform`] is a [`Transport`]) or over
//! HTTP ([`router`], feature `axum`): every operation `vads::api` calls, with the
//! envelopes, `_type`s and error codes of the protocol (section 8), over payments the
//! test creates ([`Platform::add_payment`], or a formToken then [`Platform::pay`]).
//! Faults can be injected per operation: a delay, HTTP 500, or the connection dropped
//! *after* the operation was applied. Every request is recorded ([`Platform::calls`]), so
//! a test can count what was sent.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::sync::Arc;
//! use vads::api::{Client, ClientConfig, Credentials, TransactionGet};
//! use vads::testing::platform::{NewPayment, Platform};
//! use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus};
//! let mut c = ShopConfig::new("69876357", Mode::Test);
//! c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
//! let shop = Shop::new(c)?;
//! let platform = Arc::new(Platform::for_shop(&shop));
//! let uuid = platform.add_payment(NewPayment::new("A-1", 1250, "EUR", TransStatus::Captured));
//! let client = Client::new(Credentials::of(&shop)?, platform.clone(), ClientConfig::default());
//! let t = futures_lite_block_on(client.call(&TransactionGet::new(&uuid)))?;
//! assert_eq!(t.amount, Some(1250));
//! # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let waker = std::task::Waker::noop(); let mut cx = std::task::Context::from_waker(&waker);
//! #     let mut f = std::pin::pin!(f);
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
//! # }
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::api::request::basic_authorization;
use crate::api::{HttpRequest, HttpResponse, Operation, Transport, TransportError, TransportKind};
use crate::policy::shop::Shop;
use crate::protocol::currency::Currency;
use crate::protocol::mode::Mode;
use crate::protocol::notification::TransStatus;
use crate::protocol::time::{since_epoch, TransDate};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use zeroize::Zeroizing;

mod recurring;
pub use recurring::{SimSubscription, SimToken};

/// A transaction on the simulated platform.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimTransaction {
    /// 32 lowercase hex digits.
    pub uuid: String,
    /// The order id it belongs to.
    pub order_id: Option<String>,
    /// The mode it was made in.
    pub mode: Mode,
    /// Minor units (lowered by `Transaction/Update`).
    pub amount: u64,
    /// The amount it was created with (`orderDetails.orderTotalAmount` in its answers).
    pub initial_amount: u64,
    /// Alphabetic ISO 4217 code.
    pub currency: String,
    /// `detailedStatus` (`CAPTURED`, `AUTHORISED`, `CANCELLED`, ...).
    pub detailed_status: String,
    /// `DEBIT` or `CREDIT` (a refund).
    pub operation_type: String,
    /// What has been refunded of it (a `DEBIT`), minor units.
    pub refunded: u64,
    /// For a refund, the payment it refunds.
    pub parent_uuid: Option<String>,
    /// The legacy transaction id (6 digits).
    pub trans_id: String,
    /// The creation date (`YYYY-MM-DDTHH:MM:SS+00:00`).
    pub creation_date: String,
    /// Where its notification goes: the `ipnTargetUrl` of the `CreatePayment` that
    /// started it, if any.
    pub ipn_target_url: Option<String>,
    /// `metadata` the request that created it carried.
    pub metadata: Option<Value>,
    /// The token (saved card) it used or created.
    pub token: Option<String>,
    /// `cardDetails.paymentSource` (`EC`, `MOTO`, `CC`, `OTHER`), when said.
    pub payment_source: Option<String>,
}

/// A payment to put on the platform ([`Platform::add_payment`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewPayment {
    /// The order id.
    pub order_id: String,
    /// Minor units.
    pub amount: u64,
    /// Alphabetic ISO 4217 code.
    pub currency: String,
    /// Its status.
    pub status: TransStatus,
    /// Its mode (default: the platform's first password's).
    pub mode: Option<Mode>,
    /// Its uuid (default: a new one), e.g. the `vads_trans_uuid` of a hosted-form payment.
    pub uuid: Option<String>,
    /// Its legacy transaction id (default: a new one), e.g. the `vads_trans_id` of a
    /// hosted-form payment: what `Order/Get` then reads as `legacyTransId`.
    pub trans_id: Option<String>,
    /// Where its notifications go.
    pub ipn_target_url: Option<String>,
}

impl NewPayment {
    /// A `DEBIT` of `amount` minor units of `currency` for `order_id`, in `status`.
    #[must_use]
    pub fn new(
        order_id: impl Into<String>,
        amount: u64,
        currency: impl Into<String>,
        status: TransStatus,
    ) -> NewPayment {
        NewPayment {
            order_id: order_id.into(),
            amount,
            currency: currency.into(),
            status,
            mode: None,
            uuid: None,
            trans_id: None,
            ipn_target_url: None,
        }
    }
}

/// A fault to inject into the next call of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer after this delay (the operation is applied at once: a client that times
    /// out has lost an answer to an applied operation).
    Delay(Duration),
    /// Answer HTTP 500 with an HTML page, applying nothing.
    ServerError,
    /// Apply the operation, then drop the connection before the answer.
    DropAfterApply,
    /// Refuse with this error code (an `ERROR` envelope: `PSP_099`, `PSP_106`, ...),
    /// applying nothing.
    Refuse(&'static str),
    /// Answer HTTP 429 (too many requests), applying nothing, with a `Retry-After` of
    /// this many seconds when given.
    TooManyRequests(Option<u64>),
    /// The bank declines the next charge (`Charge/CreatePayment` `SILENT`): a refused
    /// transaction, answered with the `SUCCESS` envelope (`orderStatus` `UNPAID`).
    Decline,
}

/// What a merchant does to a transaction in the platform's back office: the same rules
/// and effects as the REST API's operations ([`Platform::back_office`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackOffice {
    /// Validate a payment waiting for the merchant (as `Transaction/Validate`).
    Validate,
    /// Cancel a payment not captured yet (as `Transaction/Cancel`).
    Cancel,
    /// Capture an authorised payment now (what the platform's capture batch does on the
    /// capture date). A captured one: nothing to do.
    Capture,
    /// Refund this much of a captured payment: a new `CREDIT` (as
    /// `Transaction/CancelOrRefund` with `REFUND_ONLY`).
    Refund(u64),
}

/// One request the platform received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Call {
    /// The operation (`None` for an unknown path).
    pub operation: Option<Operation>,
    /// The error code answered, if any.
    pub error_code: Option<String>,
    /// Whether the operation changed a transaction or created one.
    pub applied: bool,
    /// The mode whose password authenticated the request (`None`: no valid password).
    pub mode: Option<Mode>,
    /// The request's JSON body as received (`None` when it is not JSON).
    pub body: Option<Value>,
}

/// What the platform answers a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body (the JSON envelope, or an HTML page for a fault).
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Drop the connection instead of answering.
    pub drop_connection: bool,
    /// The `Retry-After` header's seconds, if any.
    pub retry_after: Option<u64>,
}

/// A formToken the platform gave, and the payment it starts.
#[derive(Debug, Clone)]
struct Token {
    token: String,
    mode: Mode,
    order_id: Option<String>,
    amount: u64,
    currency: String,
    manual_validation: bool,
    ipn_target_url: Option<String>,
    used: bool,
    /// The saved card it pays with (one-click).
    card: Option<String>,
    /// Whether paying with it saves the card (`REGISTER_PAY`, `Charge/CreateToken`).
    registers: bool,
    /// The buyer's e-mail, for the card it saves.
    email: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    transactions: Vec<SimTransaction>,
    tokens: Vec<Token>,
    /// Saved cards.
    saved: Vec<recurring::SimToken>,
    /// Subscriptions.
    subscriptions: Vec<recurring::SimSubscription>,
    faults: Vec<(Operation, Fault)>,
    calls: Vec<Call>,
    next: u64,
}

impl State {
    /// A new formToken: two digits, `tag` (what it is for, base64url), 16 hex digits.
    fn new_form_token(&mut self, tag: &str) -> String {
        self.next += 1;
        format!(
            "{:02}{tag}{:016x}",
            self.next % 100,
            since_epoch().as_nanos() as u64 ^ self.next.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        )
    }

    /// A new saved card's token: 32 hex digits.
    fn new_saved_token(&mut self) -> String {
        self.next += 1;
        format!(
            "{:016x}{:016x}",
            since_epoch().as_nanos() as u64,
            self.next.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        )
    }
}

/// The simulated platform: one shop id, the REST passwords it accepts (each chooses a
/// mode), its transactions.
pub struct Platform {
    site_id: String,
    /// The expected `Authorization` headers, by mode.
    passwords: Vec<(Mode, Zeroizing<String>)>,
    state: Mutex<State>,
    /// Called with each transaction an operation created or changed.
    on_change: Option<OnChange>,
    /// Added to every answer's delay (after the operation is applied).
    latency: Duration,
}

/// What [`Platform::on_change`] calls.
type OnChange = Box<dyn Fn(&SimTransaction) + Send + Sync>;

impl core::fmt::Debug for Platform {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Platform")
            .field("site_id", &self.site_id)
            .field(
                "modes",
                &self.passwords.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// At most this many transactions are answered by `Order/Get` (more: `PSP_015`).
const MAX_ORDER_TRANSACTIONS: usize = 30;

impl Platform {
    /// A platform for `site_id` accepting no password yet ([`Platform::accept_password`]).
    #[must_use]
    pub fn new(site_id: impl Into<String>) -> Platform {
        Platform {
            site_id: site_id.into(),
            passwords: Vec::new(),
            state: Mutex::new(State::default()),
            on_change: None,
            latency: Duration::ZERO,
        }
    }

    /// A platform for `shop`, accepting its REST password in its mode.
    #[must_use]
    pub fn for_shop(shop: &Shop) -> Platform {
        let mut p = Platform::new(shop.site_id());
        if let Some(password) = shop.rest_password() {
            p.passwords.push((
                shop.mode(),
                basic_authorization(shop.site_id().as_bytes(), password.expose()),
            ));
        }
        p
    }

    /// Also accepts `password` as the REST password of `mode`.
    #[must_use]
    pub fn accept_password(mut self, mode: Mode, password: &str) -> Platform {
        let header = basic_authorization(self.site_id.as_bytes(), password.as_bytes());
        self.passwords.push((mode, header));
        self
    }

    /// Calls `f` with each transaction an operation created (a refund's `CREDIT`) or
    /// changed (cancelled, validated, lowered), after the platform applied it, even when
    /// the answer is then lost: where a simulator sends the notification of an API
    /// operation, as its setting says (whether the platform does is unconfirmed).
    #[must_use]
    pub fn on_change(mut self, f: impl Fn(&SimTransaction) + Send + Sync + 'static) -> Platform {
        self.on_change = Some(Box::new(f));
        self
    }

    /// Answers every call `latency` after applying it, as a distant platform does: the
    /// window in which two callers that do not take the order's lock both read "nothing
    /// refunded" and both send.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Platform {
        self.latency = latency;
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn default_mode(&self) -> Mode {
        self.passwords.first().map_or(Mode::Test, |(m, _)| *m)
    }

    /// Puts a payment on the platform; returns its uuid.
    pub fn add_payment(&self, payment: NewPayment) -> String {
        let mode = payment.mode.unwrap_or_else(|| self.default_mode());
        let mut state = self.state();
        let t = new_transaction(
            &mut state,
            Some(payment.order_id),
            mode,
            payment.amount,
            payment.currency.to_ascii_uppercase(),
            payment.status.as_str().to_owned(),
            "DEBIT",
            None,
        );
        let mut t = t;
        if let Some(uuid) = payment.uuid {
            t.uuid = uuid;
        }
        if let Some(trans_id) = payment.trans_id {
            t.trans_id = trans_id;
        }
        t.ipn_target_url = payment.ipn_target_url;
        let uuid = t.uuid.clone();
        state.transactions.push(t);
        uuid
    }

    /// Pays with a formToken (the stand-in payment page): the payment it started, in
    /// `status` (`AUTHORISED_TO_VALIDATE` stands for `AUTHORISED` when the token asked for
    /// manual validation). `None` for an unknown or used token.
    pub fn pay(&self, form_token: &str, status: TransStatus) -> Option<SimTransaction> {
        let mut state = self.state();
        let token = state
            .tokens
            .iter_mut()
            .find(|t| t.token == form_token && !t.used)?;
        token.used = true;
        let token = token.clone();
        // A registration (`Charge/CreateToken`) is a card check, never a payment.
        let verification = token.registers && token.amount == 0;
        let status = match status {
            TransStatus::Authorised if verification => "ACCEPTED",
            TransStatus::Authorised if token.manual_validation => "AUTHORISED_TO_VALIDATE",
            other => other.as_str(),
        };
        let mut t = new_transaction(
            &mut state,
            token.order_id,
            token.mode,
            token.amount,
            token.currency,
            status.to_owned(),
            if verification {
                "VERIFICATION"
            } else {
                "DEBIT"
            },
            None,
        );
        t.ipn_target_url = token.ipn_target_url;
        t.token = token.card.clone();
        if token.registers && matches!(status, "ACCEPTED" | "AUTHORISED" | "CAPTURED") {
            let saved = state.new_saved_token();
            state.saved.push(SimToken {
                token: saved.clone(),
                mode: token.mode,
                email: token.email.clone(),
                creation_date: iso_date(TransDate::now()),
                cancellation_date: None,
                declines: false,
            });
            t.token = Some(saved);
        }
        state.transactions.push(t.clone());
        Some(t)
    }

    /// The formToken's payment: order id, amount, currency (for the stand-in page).
    #[must_use]
    pub fn token_payment(&self, form_token: &str) -> Option<(Option<String>, u64, String)> {
        self.state()
            .tokens
            .iter()
            .find(|t| t.token == form_token && !t.used)
            .map(|t| (t.order_id.clone(), t.amount, t.currency.clone()))
    }

    /// The transaction of `uuid`, as it is now.
    #[must_use]
    pub fn transaction(&self, uuid: &str) -> Option<SimTransaction> {
        self.state()
            .transactions
            .iter()
            .find(|t| t.uuid == uuid)
            .cloned()
    }

    /// A back-office operation on transaction `uuid`: the platform's one state, shared
    /// with its REST API (an operation made here is what `Order/Get` then reads, and the
    /// other way round). `Ok`: the transaction it created (a refund's `CREDIT`) or
    /// changed. `Err`: the platform's error code (`PSP_011` wrong status, `PSP_104`
    /// nothing left to refund, `PSP_105` cancelled, `PSP_010` unknown, ...). Not
    /// recorded among [`Platform::calls`] (it is not an API call) and not passed to
    /// [`Platform::on_change`] (the back office sends its own notification).
    ///
    /// # Errors
    /// The platform's error code, as a string.
    pub fn back_office(&self, uuid: &str, operation: BackOffice) -> Result<SimTransaction, String> {
        let mut state = self.state();
        let Some(t) = state.transactions.iter_mut().find(|t| t.uuid == uuid) else {
            return Err("PSP_010".into());
        };
        let (mode, currency) = (t.mode, t.currency.clone());
        let (op, req) = match operation {
            BackOffice::Validate => (Operation::Validate, json!({"uuid": uuid})),
            BackOffice::Cancel => (Operation::Cancel, json!({"uuid": uuid})),
            BackOffice::Capture => {
                return match t.detailed_status.as_str() {
                    "CAPTURED" => Ok(t.clone()),
                    "AUTHORISED" if t.operation_type == "DEBIT" => {
                        t.detailed_status = "CAPTURED".into();
                        Ok(t.clone())
                    }
                    _ => Err("PSP_011".into()),
                };
            }
            BackOffice::Refund(amount) => (
                Operation::CancelOrRefund,
                json!({"uuid": uuid, "amount": amount, "currency": currency, "resolutionMode": "REFUND_ONLY"}),
            ),
        };
        let Value::Object(req) = req else {
            return Err("INT_902".into());
        };
        match self.on_transaction(&mut state, op, mode, &req) {
            (Ok(answer), _) => {
                let uuid = answer.get("uuid").and_then(Value::as_str).unwrap_or("");
                state
                    .transactions
                    .iter()
                    .find(|t| t.uuid == uuid)
                    .cloned()
                    .ok_or_else(|| "PSP_010".to_owned())
            }
            (Err(e), _) => Err(e
                .get("errorCode")
                .and_then(Value::as_str)
                .unwrap_or("PSP_011")
                .to_owned()),
        }
    }

    /// Every transaction, in creation order.
    #[must_use]
    pub fn transactions(&self) -> Vec<SimTransaction> {
        self.state().transactions.clone()
    }

    /// Injects `fault` into the next call of `operation` (faults queue up).
    pub fn inject(&self, operation: Operation, fault: Fault) {
        self.state().faults.push((operation, fault));
    }

    /// Every request received, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// How many requests of `operation` were received.
    #[must_use]
    pub fn count(&self, operation: Operation) -> usize {
        self.state()
            .calls
            .iter()
            .filter(|c| c.operation == Some(operation))
            .count()
    }

    /// Answers one request: its path (`/api-payment/V4/...`), its `Authorization` header,
    /// its body.
    pub fn handle(&self, path: &str, authorization: Option<&str>, body: &[u8]) -> SimResponse {
        let operation = Operation::from_path(path);
        let mode = authorization.and_then(|a| {
            self.passwords
                .iter()
                .find(|(_, expected)| {
                    subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), a.as_bytes()).into()
                })
                .map(|(m, _)| *m)
        });
        let sent: Option<Value> = serde_json::from_slice(body).ok();
        let mut state = self.state();
        let fault = operation.and_then(|op| {
            let i = state.faults.iter().position(|(o, _)| *o == op)?;
            Some(state.faults.remove(i).1)
        });
        let Some(op) = operation else {
            state.calls.push(Call {
                operation: None,
                error_code: None,
                applied: false,
                mode,
                body: sent.clone(),
            });
            return SimResponse {
                status: 404,
                body: b"<html><body>Not found</body></html>".to_vec(),
                delay: Duration::ZERO,
                drop_connection: false,
                retry_after: None,
            };
        };
        if fault == Some(Fault::ServerError) {
            state.calls.push(Call {
                operation,
                error_code: Some("http_500".into()),
                applied: false,
                mode,
                body: sent.clone(),
            });
            return SimResponse {
                status: 500,
                body: b"<html><body>Internal error</body></html>".to_vec(),
                delay: Duration::ZERO,
                drop_connection: false,
                retry_after: None,
            };
        }
        if let Some(Fault::TooManyRequests(retry_after)) = fault {
            state.calls.push(Call {
                operation,
                error_code: Some("http_429".into()),
                applied: false,
                mode,
                body: sent.clone(),
            });
            return SimResponse {
                status: 429,
                body: b"<html><body>Too many requests</body></html>".to_vec(),
                delay: self.latency,
                drop_connection: false,
                retry_after,
            };
        }
        if let Some(Fault::Refuse(code)) = fault {
            state.calls.push(Call {
                operation,
                error_code: Some(code.to_owned()),
                applied: false,
                mode,
                body: sent.clone(),
            });
            return SimResponse {
                status: 200,
                body: envelope(op, "ERROR", error(code, "refused by fault injection", None))
                    .to_string()
                    .into_bytes(),
                delay: Duration::ZERO,
                drop_connection: false,
                retry_after: None,
            };
        }
        let (status, answer, applied) = match mode {
            None => (
                401,
                Err(error("INT_905", "invalid credentials", None)),
                false,
            ),
            Some(mode) => {
                let (answer, applied) = match serde_json::from_slice::<Value>(body) {
                    Ok(Value::Object(req)) => self.apply(&mut state, op, mode, &req, fault),
                    _ => (
                        Err(error(
                            "INT_902",
                            "web-service input data validation error",
                            None,
                        )),
                        false,
                    ),
                };
                (200, answer, applied)
            }
        };
        state.calls.push(Call {
            operation,
            error_code: answer.as_ref().err().and_then(|e| {
                e.get("errorCode")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }),
            applied,
            mode,
            body: sent.clone(),
        });
        let changed = if applied {
            answer
                .as_ref()
                .ok()
                .and_then(|v| {
                    v.get("uuid").or_else(|| {
                        v.get("transactions")
                            .and_then(|t| t.get(0))
                            .and_then(|t| t.get("uuid"))
                    })
                })
                .and_then(Value::as_str)
                .and_then(|u| state.transactions.iter().find(|t| t.uuid == u).cloned())
        } else {
            None
        };
        drop(state);
        if let (Some(t), Some(f)) = (&changed, &self.on_change) {
            f(t);
        }
        let envelope = match answer {
            Ok(answer) => envelope(op, "SUCCESS", answer),
            Err(e) => envelope(op, "ERROR", e),
        };
        SimResponse {
            status,
            body: envelope.to_string().into_bytes(),
            delay: match fault {
                Some(Fault::Delay(d)) => d + self.latency,
                _ => self.latency,
            },
            drop_connection: fault == Some(Fault::DropAfterApply),
            retry_after: None,
        }
    }

    /// The operation's effect and answer: `Ok(answer)` or `Err(error answer)`, and
    /// whether anything changed.
    fn apply(
        &self,
        state: &mut State,
        op: Operation,
        mode: Mode,
        req: &serde_json::Map<String, Value>,
        fault: Option<Fault>,
    ) -> (Result<Value, Value>, bool) {
        let text = |name: &str| req.get(name).and_then(Value::as_str);
        let amount = |v: Option<&Value>| v.and_then(Value::as_u64).filter(|a| *a > 0);
        match op {
            Operation::SdkTest => (
                Ok(json!({"value": text("value"), "_type": "V4/Type/String"})),
                false,
            ),
            Operation::CreatePayment
                if matches!(
                    text("formAction"),
                    Some("SILENT" | "REGISTER_PAY" | "ASK_REGISTER_PAY" | "CUSTOMER_WALLET")
                ) || req.contains_key("paymentMethodToken") =>
            {
                recurring::create_payment(self, state, mode, req, fault)
            }
            Operation::CreateToken
            | Operation::TokenGet
            | Operation::TokenCancel
            | Operation::TokenReactivate
            | Operation::TokenUpdate
            | Operation::CreateSubscription
            | Operation::SubscriptionGet
            | Operation::SubscriptionUpdate
            | Operation::SubscriptionCancel => recurring::apply(self, state, op, mode, req),
            Operation::CreatePayment => {
                let Some(amount) = amount(req.get("amount")) else {
                    return (Err(invalid("INT_009", "invalid amount", "amount")), false);
                };
                let Some(currency) = text("currency").and_then(Currency::find) else {
                    return (
                        Err(invalid("INT_010", "invalid currency", "currency")),
                        false,
                    );
                };
                let order_id = text("orderId").map(str::to_owned);
                if order_id.as_ref().is_some_and(|o| o.chars().count() > 64) {
                    return (
                        Err(invalid("INT_013", "invalid order id", "orderId")),
                        false,
                    );
                }
                let email = req
                    .get("customer")
                    .and_then(|c| c.get("email"))
                    .and_then(Value::as_str);
                if email.is_some_and(|e| !e.contains('@')) {
                    return (
                        Err(invalid("INT_015", "invalid email", "customer.email")),
                        false,
                    );
                }
                let manual = req
                    .get("transactionOptions")
                    .and_then(|o| o.get("cardOptions"))
                    .and_then(|c| c.get("manualValidation"))
                    .and_then(Value::as_str)
                    == Some("YES");
                let token = state.new_form_token("ZGVtb2Zvcm10b2tlbg");
                state.tokens.push(Token {
                    token: token.clone(),
                    mode,
                    order_id,
                    amount,
                    currency: currency.alpha.to_owned(),
                    manual_validation: manual,
                    ipn_target_url: text("ipnTargetUrl").map(str::to_owned),
                    used: false,
                    card: None,
                    registers: false,
                    email: None,
                });
                (
                    Ok(json!({"formToken": token, "_type": "V4/Charge/PaymentForm"})),
                    true,
                )
            }
            Operation::OrderGet => {
                let Some(order_id) = text("orderId") else {
                    return (
                        Err(invalid("INT_013", "invalid order id", "orderId")),
                        false,
                    );
                };
                let wanted = text("operationType");
                let found: Vec<&SimTransaction> = state
                    .transactions
                    .iter()
                    .filter(|t| t.mode == mode && t.order_id.as_deref() == Some(order_id))
                    .filter(|t| wanted.is_none_or(|w| t.operation_type == w))
                    .collect();
                if found.len() > MAX_ORDER_TRANSACTIONS {
                    return (Err(error("PSP_015", "too many results", None)), false);
                }
                let list: Vec<Value> = found.iter().map(|t| self.transaction_json(t)).collect();
                (
                    Ok(
                        json!({"orderId": order_id, "transactions": list, "_type": "V4/OrderTransactions"}),
                    ),
                    false,
                )
            }
            _ => self.on_transaction(state, op, mode, req),
        }
    }

    fn on_transaction(
        &self,
        state: &mut State,
        op: Operation,
        mode: Mode,
        req: &serde_json::Map<String, Value>,
    ) -> (Result<Value, Value>, bool) {
        let uuid = req.get("uuid").and_then(Value::as_str).unwrap_or("");
        let Some(i) = state.transactions.iter().position(|t| t.uuid == uuid) else {
            return (Err(error("PSP_010", "transaction not found", None)), false);
        };
        if state.transactions[i].mode != mode {
            return (
                Err(error(
                    "INT_912",
                    "the password does not match the transaction",
                    None,
                )),
                false,
            );
        }
        let comment_ok = req
            .get("comment")
            .is_none_or(|c| c.as_str().is_some_and(|c| c.chars().count() <= 255));
        if !comment_ok {
            return (Err(invalid("INT_902", "invalid comment", "comment")), false);
        }
        let status = state.transactions[i].detailed_status.clone();
        let debit = state.transactions[i].operation_type == "DEBIT";
        let cancellable = debit
            && matches!(
                status.as_str(),
                "AUTHORISED"
                    | "AUTHORISED_TO_VALIDATE"
                    | "WAITING_AUTHORISATION"
                    | "WAITING_AUTHORISATION_TO_VALIDATE"
            );
        let wrong_status = || {
            (
                Err(error("PSP_011", "wrong transaction status", None)),
                false,
            )
        };
        let ok = |p: &Platform, t: &SimTransaction| (Ok(p.transaction_json(t)), true);
        match op {
            Operation::TransactionGet => (Ok(self.transaction_json(&state.transactions[i])), false),
            Operation::Cancel => {
                if status == "CANCELLED" {
                    return (
                        Err(error("PSP_105", "transaction already cancelled", None)),
                        false,
                    );
                }
                if !cancellable {
                    return wrong_status();
                }
                state.transactions[i].detailed_status = "CANCELLED".into();
                ok(self, &state.transactions[i])
            }
            Operation::Validate => {
                let validated = match status.as_str() {
                    "AUTHORISED_TO_VALIDATE" => "AUTHORISED",
                    "WAITING_AUTHORISATION_TO_VALIDATE" => "WAITING_AUTHORISATION",
                    _ => return wrong_status(),
                };
                state.transactions[i].detailed_status = validated.into();
                ok(self, &state.transactions[i])
            }
            Operation::Update => {
                let card = req.get("cardUpdate");
                let new_amount = card.and_then(|c| c.get("amount")).and_then(Value::as_u64);
                let currency = card.and_then(|c| c.get("currency")).and_then(Value::as_str);
                if !cancellable {
                    return wrong_status();
                }
                if currency.is_some_and(|c| c != state.transactions[i].currency) {
                    return (
                        Err(invalid("INT_010", "invalid currency", "currency")),
                        false,
                    );
                }
                match new_amount {
                    Some(a) if a > 0 && a <= state.transactions[i].amount => {
                        state.transactions[i].amount = a;
                        ok(self, &state.transactions[i])
                    }
                    _ => (
                        Err(invalid("INT_009", "invalid amount", "cardUpdate.amount")),
                        false,
                    ),
                }
            }
            Operation::CancelOrRefund => {
                let Some(amount) = req.get("amount").and_then(Value::as_u64).filter(|a| *a > 0)
                else {
                    return (Err(invalid("INT_009", "invalid amount", "amount")), false);
                };
                if req.get("currency").and_then(Value::as_str)
                    != Some(state.transactions[i].currency.as_str())
                {
                    return (
                        Err(invalid("INT_010", "invalid currency", "currency")),
                        false,
                    );
                }
                let resolution = req
                    .get("resolutionMode")
                    .and_then(Value::as_str)
                    .unwrap_or("AUTO");
                if !debit {
                    return (
                        Err(error("PSP_083", "transaction cannot be refunded", None)),
                        false,
                    );
                }
                if status == "CANCELLED" {
                    return (
                        Err(error("PSP_105", "transaction already cancelled", None)),
                        false,
                    );
                }
                if status == "CAPTURED" {
                    if resolution == "CANCELLATION_ONLY" {
                        return (
                            Err(error("PSP_075", "cannot cancel, refund instead", None)),
                            false,
                        );
                    }
                    let t = &state.transactions[i];
                    let left = t.amount.saturating_sub(t.refunded);
                    if left == 0 {
                        return (
                            Err(error("PSP_104", "transaction already refunded", None)),
                            false,
                        );
                    }
                    if amount > left {
                        return (
                            Err(invalid(
                                "INT_009",
                                "amount above what is left to refund",
                                "amount",
                            )),
                            false,
                        );
                    }
                    state.transactions[i].refunded += amount;
                    let (order, currency, parent, target) = {
                        let t = &state.transactions[i];
                        (
                            t.order_id.clone(),
                            t.currency.clone(),
                            t.uuid.clone(),
                            t.ipn_target_url.clone(),
                        )
                    };
                    let mut credit = new_transaction(
                        state,
                        order,
                        mode,
                        amount,
                        currency,
                        "CAPTURED".into(),
                        "CREDIT",
                        Some(parent),
                    );
                    credit.ipn_target_url = target;
                    state.transactions.push(credit.clone());
                    return ok(self, &credit);
                }
                if !cancellable {
                    return wrong_status();
                }
                if resolution == "REFUND_ONLY" {
                    return (
                        Err(error("PSP_076", "cannot refund yet, cancel instead", None)),
                        false,
                    );
                }
                let t = &mut state.transactions[i];
                if amount >= t.amount {
                    t.detailed_status = "CANCELLED".into();
                } else {
                    t.amount -= amount;
                }
                ok(self, &state.transactions[i])
            }
            _ => wrong_status(),
        }
    }

    /// A `V4/Transaction`.
    fn transaction_json(&self, t: &SimTransaction) -> Value {
        let status = match t.detailed_status.as_str() {
            "AUTHORISED" | "CAPTURED" => "PAID",
            "AUTHORISED_TO_VALIDATE"
            | "WAITING_AUTHORISATION"
            | "WAITING_AUTHORISATION_TO_VALIDATE"
            | "INITIAL"
            | "UNDER_VERIFICATION" => "RUNNING",
            _ => "UNPAID",
        };
        json!({
            "shopId": self.site_id,
            "uuid": t.uuid,
            "amount": t.amount,
            "currency": t.currency,
            "paymentMethodType": "CARD",
            "status": status,
            "detailedStatus": t.detailed_status,
            "operationType": t.operation_type,
            "creationDate": t.creation_date,
            "errorCode": null,
            "detailedErrorCode": null,
            "metadata": t.metadata,
            "paymentMethodToken": t.token,
            "orderDetails": {
                "orderId": t.order_id,
                "mode": t.mode.as_str(),
                "orderTotalAmount": t.initial_amount,
                "orderCurrency": t.currency,
                "_type": "V4/OrderDetails"
            },
            "transactionDetails": {
                "parentTransactionUuid": t.parent_uuid,
                "effectiveAmount": t.amount,
                "sequenceNumber": 1,
                "cardDetails": {
                    "paymentSource": t.payment_source,
                    "initialIssuerTransactionIdentifier": t.token.as_ref().map(|tok| recurring::chaining_ref_of(tok)),
                    "legacyTransId": t.trans_id,
                    "legacyTransDate": t.creation_date,
                    "effectiveBrand": "CB",
                    "captureResponse": {
                        "refundAmount": if t.refunded > 0 { json!(t.refunded) } else { Value::Null },
                        "refundCurrency": if t.refunded > 0 { json!(t.currency) } else { Value::Null },
                        "captureDate": null,
                        "_type": "V4/PaymentMethod/Details/Cards/CardCaptureResponse"
                    },
                    "_type": "V4/PaymentMethod/Details/CardDetails"
                },
                "_type": "V4/TransactionDetails"
            },
            "_type": "V4/Transaction"
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn new_transaction(
    state: &mut State,
    order_id: Option<String>,
    mode: Mode,
    amount: u64,
    currency: String,
    detailed_status: String,
    operation_type: &str,
    parent_uuid: Option<String>,
) -> SimTransaction {
    state.next += 1;
    // Random-looking, unique: the counter and the clock through std's keyed hasher.
    let hasher = std::collections::hash_map::RandomState::new();
    let seed = (since_epoch().as_nanos(), state.next);
    let uuid = format!(
        "{:016x}{:016x}",
        std::hash::BuildHasher::hash_one(&hasher, seed),
        std::hash::BuildHasher::hash_one(&hasher, (seed, 1u8))
    );
    SimTransaction {
        uuid,
        order_id,
        mode,
        amount,
        initial_amount: amount,
        currency,
        detailed_status,
        operation_type: operation_type.to_owned(),
        refunded: 0,
        parent_uuid,
        trans_id: format!("{:06}", state.next % 900_000 + 100_000),
        creation_date: iso_date(TransDate::now()),
        ipn_target_url: None,
        metadata: None,
        token: None,
        payment_source: None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS+00:00` of a `YYYYMMDDHHMMSS` date.
fn iso_date(date: TransDate) -> String {
    let d = date.to_string();
    format!(
        "{}-{}-{}T{}:{}:{}+00:00",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[8..10],
        &d[10..12],
        &d[12..14]
    )
}

fn error(code: &str, message: &str, detail: Option<String>) -> Value {
    json!({
        "errorCode": code,
        "errorMessage": message,
        "detailedErrorCode": null,
        "detailedErrorMessage": detail,
        "ticket": "null",
        "_type": "V4/WebService/WebServiceError"
    })
}

fn invalid(code: &str, message: &str, field: &str) -> Value {
    error(
        code,
        message,
        Some(format!("Invalid input value [name={field}]")),
    )
}

fn envelope(op: Operation, status: &str, answer: Value) -> Value {
    json!({
        "webService": op.name(),
        "version": "V4",
        "applicationVersion": "vads-simulator",
        "status": status,
        "answer": answer,
        "ticket": null,
        "serverDate": iso_date(TransDate::now()),
        "applicationProvider": "LYRA",
        "metadata": null,
        "_type": "V4/WebService/Response"
    })
}

/// The path of a URL (`http://host:port/api-payment/...` → `/api-payment/...`).
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

impl Transport for Arc<Platform> {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let authorization = request
            .headers()
            .iter()
            .find(|(n, _)| *n == "Authorization")
            .map(|(_, v)| *v);
        let answer = self.handle(path_of(request.url()), authorization, request.body());
        if answer.delay > timeout {
            ThreadSleep::new(timeout).await;
            return Err(TransportError::new(TransportKind::Timeout));
        }
        if !answer.delay.is_zero() {
            ThreadSleep::new(answer.delay).await;
        }
        if answer.drop_connection {
            return Err(TransportError::new(TransportKind::Interrupted));
        }
        Ok(HttpResponse::new(answer.status, answer.body)
            .with_retry_after(answer.retry_after.map(Duration::from_secs)))
    }

    async fn sleep(&self, duration: Duration) {
        ThreadSleep::new(duration).await;
    }
}

/// A wait that needs no runtime: a thread sleeps, then wakes the task.
pub(crate) struct ThreadSleep {
    duration: Duration,
    shared: Option<Arc<Mutex<Wake>>>,
}

/// Whether the wait is over, and whom to wake then.
type Wake = (bool, Option<core::task::Waker>);

impl ThreadSleep {
    pub(crate) fn new(duration: Duration) -> ThreadSleep {
        ThreadSleep {
            duration,
            shared: None,
        }
    }
}

impl core::future::Future for ThreadSleep {
    type Output = ();
    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        if self.duration.is_zero() {
            return core::task::Poll::Ready(());
        }
        let shared = match &self.shared {
            Some(s) => s.clone(),
            None => {
                let s = Arc::new(Mutex::new((false, Some(cx.waker().clone()))));
                let (theirs, duration) = (s.clone(), self.duration);
                std::thread::spawn(move || {
                    std::thread::sleep(duration);
                    let mut g = theirs
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    g.0 = true;
                    if let Some(w) = g.1.take() {
                        w.wake();
                    }
                });
                self.shared = Some(s.clone());
                return core::task::Poll::Pending;
            }
        };
        let mut g = shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if g.0 {
            core::task::Poll::Ready(())
        } else {
            g.1 = Some(cx.waker().clone());
            core::task::Poll::Pending
        }
    }
}

/// The platform over HTTP (feature `axum`): `POST /api-payment/V4/...` answered by
/// [`Platform::handle`], a delay waited, a dropped connection dropped (the answer's body
/// fails mid-way). Serve it on 127.0.0.1 and point a shop's `api_url` at it.
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub fn router(platform: Arc<Platform>) -> axum::Router {
    use axum::body::Body;
    use axum::extract::{Request, State};
    use axum::response::Response;
    async fn handle(State(platform): State<Arc<Platform>>, request: Request) -> Response {
        let path = request.uri().path().to_owned();
        let authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(|v| Zeroizing::new(v.to_owned()));
        let body = match http_body_util::BodyExt::collect(http_body_util::Limited::new(
            request.into_body(),
            crate::MAX_BODY_LEN,
        ))
        .await
        {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                let mut r = Response::new(Body::from("request too large"));
                *r.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
                return r;
            }
        };
        let answer = platform.handle(&path, authorization.as_deref().map(String::as_str), &body);
        if !answer.delay.is_zero() {
            ThreadSleep::new(answer.delay).await;
        }
        let body = if answer.drop_connection {
            Body::new(Broken)
        } else {
            Body::from(answer.body)
        };
        let mut response = Response::new(body);
        *response.status_mut() =
            axum::http::StatusCode::from_u16(answer.status).unwrap_or(axum::http::StatusCode::OK);
        let content_type = if answer.status == 200 || answer.status == 401 {
            "application/json"
        } else {
            "text/html"
        };
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(content_type),
        );
        if let Some(seconds) = answer.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
    axum::Router::new()
        .route(
            "/api-payment/V4/{namespace}/{op}",
            axum::routing::post(handle),
        )
        .with_state(platform)
}

/// A body that fails at once: the server drops the connection mid-answer.
#[cfg(feature = "axum")]
struct Broken;

#[cfg(feature = "axum")]
impl http_body::Body for Broken {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: core::pin::Pin<&mut Self>,
        _: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        core::task::Poll::Ready(Some(Err(std::io::Error::other("connection dropped"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "testpassword_PlatformUnit1234";

    fn platform() -> (Platform, String) {
        let p = Platform::new("69876357").accept_password(Mode::Test, PASSWORD);
        let auth = basic_authorization(b"69876357", PASSWORD.as_bytes()).to_string();
        (p, auth)
    }

    fn code(r: &SimResponse) -> String {
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["_type"], "V4/WebService/Response");
        v["answer"]["errorCode"].as_str().unwrap_or("").to_owned()
    }

    #[test]
    fn wrong_credentials_bad_json_and_unknown_paths() {
        let (p, auth) = platform();
        let path = Operation::SdkTest.path();
        let r = p.handle(path, Some("Basic d3Jvbmc6d3Jvbmc="), br#"{"value":"x"}"#);
        assert_eq!((r.status, code(&r)), (401, "INT_905".into()));
        let r = p.handle(path, None, br#"{"value":"x"}"#);
        assert_eq!((r.status, code(&r)), (401, "INT_905".into()));
        let r = p.handle(path, Some(&auth), b"{not json");
        assert_eq!((r.status, code(&r)), (200, "INT_902".into()));
        let r = p.handle(path, Some(&auth), b"[1,2]");
        assert_eq!(code(&r), "INT_902");
        let r = p.handle("/api-payment/V4/Charge/Nope", Some(&auth), b"{}");
        assert_eq!(r.status, 404);
        assert_eq!(p.calls().len(), 5);
    }

    #[test]
    fn refunds_until_nothing_is_left_then_psp_104() {
        let (p, auth) = platform();
        let uuid = p.add_payment(NewPayment::new("A", 1000, "EUR", TransStatus::Captured));
        let refund = |amount: u64| {
            let body = json!({"uuid": uuid, "amount": amount, "currency": "EUR", "resolutionMode": "REFUND_ONLY"});
            p.handle(
                Operation::CancelOrRefund.path(),
                Some(&auth),
                body.to_string().as_bytes(),
            )
        };
        assert_eq!(code(&refund(600)), "");
        assert_eq!(code(&refund(500)), "INT_009");
        assert_eq!(code(&refund(400)), "");
        assert_eq!(code(&refund(1)), "PSP_104");
        let credits: u64 = p
            .transactions()
            .iter()
            .filter(|t| t.operation_type == "CREDIT")
            .map(|t| t.amount)
            .sum();
        assert_eq!(credits, 1000);
        // A refund of a refund, another mode's transaction, an unknown one.
        let credit = p
            .transactions()
            .into_iter()
            .find(|t| t.operation_type == "CREDIT")
            .unwrap();
        let body = json!({"uuid": credit.uuid, "amount": 1, "currency": "EUR"});
        assert_eq!(
            code(&p.handle(
                Operation::CancelOrRefund.path(),
                Some(&auth),
                body.to_string().as_bytes()
            )),
            "PSP_083"
        );
        let mut other = NewPayment::new("B", 1000, "EUR", TransStatus::Captured);
        other.mode = Some(Mode::Production);
        let prod = p.add_payment(other);
        let body = json!({"uuid": prod});
        assert_eq!(
            code(&p.handle(
                Operation::TransactionGet.path(),
                Some(&auth),
                body.to_string().as_bytes()
            )),
            "INT_912"
        );
        let body = json!({"uuid": "0123456789abcdef0123456789abcdef"});
        assert_eq!(
            code(&p.handle(
                Operation::TransactionGet.path(),
                Some(&auth),
                body.to_string().as_bytes()
            )),
            "PSP_010"
        );
    }
}
