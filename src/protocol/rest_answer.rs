//! A typed view of a verified REST answer (feature `rest`): [`RestAnswer`], read from
//! [`RestNotification::answer`] with `serde_json`, and the same outcome semantics and
//! reconciliation as `vads_*` notifications ([`RestAnswer::events`]), so that one order can
//! mix both formats.
//!
//! Values are kept as the platform sent them (strings, so unknown values stay distinct);
//! typed accessors read them into non-exhaustive enums with an `Unknown` fallback. Fields
//! this version does not know are ignored (the platform adds some over time).
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use vads::testing::RestAnswerBuilder;
//! use vads::lifecycle::reconcile;
//! use vads::{Endpoint, Mode, OperationType, Outcome, SecretString, Shop, ShopConfig, TransStatus};
//! let mut config = ShopConfig::new("69876357", Mode::Test);
//! config.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
//! let shop = Shop::new(config)?;
//!
//! let refund = RestAnswerBuilder::new(&shop).order_id("A-1").amount(2000)
//!     .operation_type(OperationType::Credit).status(TransStatus::Captured).body()?;
//! let answer = shop.verify_rest(refund.as_bytes(), Endpoint::Ipn)?.answer()?;
//! assert_eq!(answer.order_details.order_id.as_deref(), Some("A-1"));
//! let t = &answer.transactions[0];
//! assert_eq!((t.amount, t.currency.as_deref()), (Some(2000), Some("EUR")));
//! assert_eq!(t.outcome(), Outcome::Refunded); // a refund is never paid
//! let order = reconcile(answer.events(), None)?;
//! assert_eq!((order.paid, order.refunded), (0, 2000)); // a refund alone is never paid
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::protocol::currency::Currency;
use crate::protocol::lifecycle::TransactionEvent;
use crate::protocol::mode::Mode;
use crate::protocol::notification::{OperationType, Outcome, TransStatus};
use crate::protocol::rest::{AnyNotification, RestNotification};
use crate::protocol::time::TransDate;
use core::fmt;

/// A `V4/Payment` answer: the order and its transactions.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RestAnswer {
    /// `shopId`: the site id (checked against the shop before the answer is readable).
    pub shop_id: String,
    /// `orderCycle`: `OPEN` or `CLOSED`.
    #[serde(default)]
    pub order_cycle: Option<String>,
    /// `orderStatus` as received; typed by [`RestAnswer::order_status`].
    #[serde(default, rename = "orderStatus")]
    pub order_status_text: Option<String>,
    /// `serverDate` (ISO 8601).
    #[serde(default)]
    pub server_date: Option<String>,
    /// `orderDetails`.
    #[serde(default)]
    pub order_details: OrderDetails,
    /// `customer`.
    #[serde(default)]
    pub customer: Option<Customer>,
    /// `transactions`, in the answer's order.
    #[serde(default)]
    pub transactions: Vec<RestTransaction>,
}

/// `orderDetails` of a [`RestAnswer`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderDetails {
    /// `orderTotalAmount`, in minor units.
    #[serde(default)]
    pub order_total_amount: Option<u64>,
    /// `orderEffectiveAmount`, in minor units.
    #[serde(default)]
    pub order_effective_amount: Option<u64>,
    /// `orderCurrency`, the ISO 4217 alphabetic code (`EUR`).
    #[serde(default)]
    pub order_currency: Option<String>,
    /// `mode`: `TEST` or `PRODUCTION` (checked against the shop).
    #[serde(default)]
    pub mode: Option<String>,
    /// `orderId`: the shop's order reference.
    #[serde(default)]
    pub order_id: Option<String>,
}

/// `customer` of a [`RestAnswer`] (the parts a shop usually reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Customer {
    /// `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `reference`: the shop's customer reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// `billingDetails`.
    #[serde(default)]
    pub billing_details: Option<BillingDetails>,
}

/// `customer.billingDetails` of a [`RestAnswer`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillingDetails {
    /// `firstName`.
    #[serde(default)]
    pub first_name: Option<String>,
    /// `lastName`.
    #[serde(default)]
    pub last_name: Option<String>,
    /// `country` (ISO 3166 alpha-2).
    #[serde(default)]
    pub country: Option<String>,
    /// `language`.
    #[serde(default)]
    pub language: Option<String>,
}

/// One element of `transactions` of a [`RestAnswer`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RestTransaction {
    /// `uuid`: the same transaction uuid as `vads_trans_uuid`.
    #[serde(default)]
    pub uuid: Option<String>,
    /// `shopId`, in an API answer's transaction (`V4/Transaction`).
    #[serde(default)]
    pub shop_id: Option<String>,
    /// `orderDetails`, in an API answer's transaction (`V4/Transaction`).
    #[serde(default)]
    pub order_details: Option<OrderDetails>,
    /// `amount`, in minor units.
    #[serde(default)]
    pub amount: Option<u64>,
    /// `currency`, the ISO 4217 alphabetic code.
    #[serde(default)]
    pub currency: Option<String>,
    /// `status` as received (`PAID`, `UNPAID`, `RUNNING`, `PARTIALLY_AUTHORISED`).
    #[serde(default)]
    pub status: Option<String>,
    /// `detailedStatus` as received: the values of `vads_trans_status`; typed by
    /// [`RestTransaction::trans_status`].
    #[serde(default)]
    pub detailed_status: Option<String>,
    /// `operationType` as received (`DEBIT`, `CREDIT`, `VERIFICATION`); typed by
    /// [`RestTransaction::operation`].
    #[serde(default)]
    pub operation_type: Option<String>,
    /// `paymentMethodType` (`CARD`, ...).
    #[serde(default)]
    pub payment_method_type: Option<String>,
    /// `creationDate` (ISO 8601).
    #[serde(default)]
    pub creation_date: Option<String>,
    /// `errorCode`, when the transaction failed.
    #[serde(default)]
    pub error_code: Option<String>,
    /// `detailedErrorCode`.
    #[serde(default)]
    pub detailed_error_code: Option<String>,
    /// `metadata`: what the shop attached to the payment, as JSON.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// `transactionDetails` (the parts reconciliation uses).
    #[serde(default)]
    pub transaction_details: Option<TransactionDetails>,
    /// `paymentMethodToken`: the token (saved card) the payment used or created.
    #[serde(default)]
    pub payment_method_token: Option<String>,
}

/// `transactionDetails` of a [`RestTransaction`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TransactionDetails {
    /// `parentTransactionUuid`: for a refund, the payment it refunds.
    #[serde(default)]
    pub parent_transaction_uuid: Option<String>,
    /// `effectiveAmount`, in minor units.
    #[serde(default)]
    pub effective_amount: Option<u64>,
    /// `sequenceNumber`: the rank of an installment.
    #[serde(default)]
    pub sequence_number: Option<u32>,
    /// `cardDetails` (the legacy transaction id and date).
    #[serde(default)]
    pub card_details: Option<CardDetails>,
}

/// `transactionDetails.cardDetails` of a [`RestTransaction`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CardDetails {
    /// `legacyTransId`: the `vads_trans_id` of the transaction.
    #[serde(default)]
    pub legacy_trans_id: Option<String>,
    /// `legacyTransDate` (ISO 8601): its `vads_trans_date`.
    #[serde(default)]
    pub legacy_trans_date: Option<String>,
    /// `effectiveBrand` (`CB`, `VISA`, ...).
    #[serde(default)]
    pub effective_brand: Option<String>,
    /// `captureResponse`: what was captured and refunded of the transaction.
    #[serde(default)]
    pub capture_response: Option<CaptureResponse>,
    /// `paymentSource`: who started the payment (`EC`, `MOTO`, `CC`, `OTHER`), as
    /// `vads_payment_src`.
    #[serde(default)]
    pub payment_source: Option<String>,
    /// `initialIssuerTransactionIdentifier`: the chaining reference of a saved card.
    #[serde(default)]
    pub initial_issuer_transaction_identifier: Option<String>,
}

/// `transactionDetails.cardDetails.captureResponse` of a [`RestTransaction`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CaptureResponse {
    /// `refundAmount`: what has been refunded of the transaction, in minor units.
    #[serde(default)]
    pub refund_amount: Option<u64>,
    /// `refundCurrency`.
    #[serde(default)]
    pub refund_currency: Option<String>,
    /// `captureDate` (ISO 8601).
    #[serde(default)]
    pub capture_date: Option<String>,
}

/// `orderStatus` of a REST answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderStatus {
    /// The order is paid.
    Paid,
    /// Not paid (refused, cancelled, abandoned...).
    Unpaid,
    /// Not final yet.
    Running,
    /// Part of the amount is paid.
    PartiallyPaid,
    /// A value this version of `vads` does not know (or none).
    Unknown,
}

impl OrderStatus {
    /// Parses the platform's value (exact); anything else is `Unknown`.
    #[must_use]
    pub fn parse(s: &str) -> OrderStatus {
        match s {
            "PAID" => OrderStatus::Paid,
            "UNPAID" => OrderStatus::Unpaid,
            "RUNNING" => OrderStatus::Running,
            "PARTIALLY_PAID" => OrderStatus::PartiallyPaid,
            _ => OrderStatus::Unknown,
        }
    }
}

impl RestAnswer {
    /// `orderStatus`, typed. The platform's summary of the order; the order's state for
    /// the shop is [`crate::protocol::lifecycle::reconcile`] over [`RestAnswer::events`].
    #[must_use]
    pub fn order_status(&self) -> OrderStatus {
        self.order_status_text
            .as_deref()
            .map_or(OrderStatus::Unknown, OrderStatus::parse)
    }

    /// One [`TransactionEvent`] per transaction, in the shape of those of `vads_*`
    /// notifications (the currency as its numeric code, the dates as `YYYYMMDDHHMMSS`,
    /// the transaction by its uuid), so one order can mix both formats.
    #[must_use]
    pub fn events(&self) -> Vec<TransactionEvent> {
        self.transactions
            .iter()
            .enumerate()
            .map(|(index, t)| {
                t.event_in(
                    &self.shop_id,
                    Some(&self.order_details),
                    self.order_details.order_id.as_deref(),
                    index,
                )
            })
            .collect()
    }
}

impl RestTransaction {
    /// `detailedStatus`, typed (the values of `vads_trans_status`).
    #[must_use]
    pub fn trans_status(&self) -> Option<TransStatus> {
        self.detailed_status.as_deref().map(TransStatus::parse)
    }

    /// `operationType`, typed.
    #[must_use]
    pub fn operation(&self) -> Option<OperationType> {
        self.operation_type.as_deref().map(OperationType::parse)
    }

    /// What this transaction means, as for a `vads_*` notification: a `CREDIT` is
    /// [`Outcome::Refunded`], never paid; a missing or unknown status needs attention.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        self.trans_status().map_or(Outcome::NeedsAttention, |s| {
            Outcome::of_operation(self.operation(), s)
        })
    }

    /// What is left to refund (`amount - captureResponse.refundAmount`), the plugins'
    /// rule; `None` without an amount.
    #[must_use]
    pub fn refundable(&self) -> Option<u64> {
        let refunded = self
            .card()
            .and_then(|c| c.capture_response.as_ref())
            .and_then(|r| r.refund_amount)
            .unwrap_or(0);
        self.amount.map(|a| a.saturating_sub(refunded))
    }

    fn card(&self) -> Option<&CardDetails> {
        self.transaction_details.as_ref()?.card_details.as_ref()
    }

    /// `paymentMethodToken`: the token the payment used or created.
    #[must_use]
    pub fn token(&self) -> Option<&str> {
        self.payment_method_token
            .as_deref()
            .filter(|t| !t.is_empty())
    }

    /// `transactionDetails.sequenceNumber`: the installment of a plan.
    #[must_use]
    pub fn sequence_number(&self) -> Option<u32> {
        self.transaction_details.as_ref()?.sequence_number
    }

    /// `cardDetails.paymentSource`, typed.
    #[must_use]
    pub fn payment_source(&self) -> Option<crate::protocol::recurring::PaymentSource<'_>> {
        self.card()?
            .payment_source
            .as_deref()
            .map(crate::protocol::recurring::PaymentSource::parse)
    }

    /// `cardDetails.initialIssuerTransactionIdentifier`: the chaining reference.
    #[must_use]
    pub fn initial_issuer_transaction_identifier(&self) -> Option<&str> {
        self.card()?
            .initial_issuer_transaction_identifier
            .as_deref()
    }

    /// `creationDate` in seconds since the Unix epoch, when it is a UTC date.
    #[must_use]
    pub fn created_unix(&self) -> Option<u64> {
        utc_date(self.creation_date.as_deref()?)?.to_unix()
    }

    /// This transaction of an API answer (`Transaction/Get`, `Order/Get`, an operation's
    /// answer) as a reconciliation event: the same event, with the same idempotency key,
    /// as a notification of the same transaction in the same status (its own `shopId`,
    /// `orderDetails.mode` and `orderDetails.orderId`; `order_id` when it has none). An
    /// answer without a mode gives an event without one: fill it with the mode of the
    /// password that read it ([`TransactionEvent::or_scope`]).
    ///
    /// ```
    /// use vads::rest_answer::RestTransaction;
    /// let t: RestTransaction = serde_json::from_str(r#"{"shopId":"69876357","uuid":"5b158f084502a02b7e36b7d5e0e8d9a4",
    ///   "amount":990,"currency":"EUR","detailedStatus":"CAPTURED","operationType":"DEBIT",
    ///   "orderDetails":{"orderId":"A-1"}}"#)?;
    /// let e = t.to_event(None);
    /// assert_eq!(e.idempotency_key(), "5b158f084502a02b7e36b7d5e0e8d9a4|CAPTURED|DEBIT");
    /// assert_eq!((e.order_id.as_deref(), e.currency.as_deref()), (Some("A-1"), Some("978")));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn to_event(&self, order_id: Option<&str>) -> TransactionEvent {
        let order = self
            .order_details
            .as_ref()
            .and_then(|d| d.order_id.as_deref())
            .or(order_id);
        self.event_in(self.shop_id.as_deref().unwrap_or_default(), None, order, 0)
    }

    /// This transaction as a reconciliation event (the `index`-th of an answer of shop
    /// `shop_id` for `order_id`; `answer_details`: the answer's `orderDetails`, for what
    /// the transaction's own do not say).
    fn event_in(
        &self,
        shop_id: &str,
        answer_details: Option<&OrderDetails>,
        order_id: Option<&str>,
        index: usize,
    ) -> TransactionEvent {
        let details = self.order_details.as_ref().or(answer_details);
        let mode = mode_of(details);
        let trans_id = self.card().and_then(|c| c.legacy_trans_id.clone());
        let trans_date = self
            .card()
            .and_then(|c| c.legacy_trans_date.as_deref())
            .and_then(utc_date)
            .map(|d| d.to_string());
        let transaction = match (&self.uuid, &trans_date, &trans_id) {
            (Some(uuid), _, _) if !uuid.is_empty() => uuid.clone(),
            (_, Some(date), Some(id)) => {
                format!("{shop_id}-{date}-{}", id.to_ascii_lowercase())
            }
            _ => format!("{shop_id}-rest-{index}"),
        };
        let currency = self
            .currency
            .as_deref()
            .map(|c| Currency::find(c).map_or_else(|| c.to_owned(), |k| k.numeric.to_owned()));
        // A payment's initial amount, when the platform gives one above its amount
        // (lowered before capture); a refund's is not its own.
        let initial_amount = details.and_then(|d| d.order_total_amount).filter(|total| {
            self.operation() == Some(OperationType::Debit)
                && self.amount.is_some_and(|a| a < *total)
        });
        TransactionEvent {
            site_id: (!shop_id.is_empty()).then(|| shop_id.to_owned()),
            mode,
            transaction,
            order_id: order_id.map(str::to_owned),
            trans_uuid: self.uuid.clone(),
            trans_id,
            trans_date,
            operation_type: self.operation_type.clone(),
            trans_status: self.detailed_status.clone(),
            amount: self.amount,
            currency,
            initial_amount,
            payment_config: None,
            sequence_number: self
                .transaction_details
                .as_ref()
                .and_then(|d| d.sequence_number),
            url_check_src: None,
            token: self.payment_method_token.clone().filter(|t| !t.is_empty()),
            token_status: None,
            subscription: None,
            recurrence_number: None,
            recurrence_status: None,
            chaining_ref: self
                .card()
                .and_then(|c| c.initial_issuer_transaction_identifier.clone()),
            payment_src: self.card().and_then(|c| c.payment_source.clone()),
        }
    }
}

/// The mode `orderDetails.mode` names, if it names one exactly.
fn mode_of(details: Option<&OrderDetails>) -> Option<Mode> {
    details?.mode.as_deref()?.parse().ok()
}

/// A REST date in UTC (`2018-12-11T19:09:26+00:00` or `...Z`); other offsets are not
/// read (`None`), never guessed.
fn utc_date(text: &str) -> Option<TransDate> {
    match text.strip_suffix("+00:00") {
        Some(stem) => TransDate::parse_rfc3339_utc(&format!("{stem}Z")),
        None => TransDate::parse_rfc3339_utc(text),
    }
}

/// A verified answer's JSON does not have the `V4/Payment` shape: a field of the wrong
/// type, or a key the typed view reads given twice. It says where and which kind, never
/// what: the answer holds personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerError {
    line: usize,
    column: usize,
    repeated_key: bool,
}

impl AnswerError {
    /// The stable code: `"invalid_answer"`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "invalid_answer"
    }
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid_answer: the answer does not have the V4/Payment shape ({} at line {}, column {})",
            if self.repeated_key {
                "a key given twice in one object"
            } else {
                "a value of the wrong type"
            },
            self.line,
            self.column
        )
    }
}

impl std::error::Error for AnswerError {}

#[cfg_attr(docsrs, doc(cfg(feature = "rest")))]
impl RestNotification<'_> {
    /// The answer, typed (feature `rest`; allocates).
    ///
    /// # Errors
    /// [`AnswerError`] when a known field has the wrong type (e.g. a text `amount`).
    pub fn answer(&self) -> Result<RestAnswer, AnswerError> {
        serde_json::from_str(&self.answer_text()).map_err(|e| AnswerError {
            line: e.line(),
            column: e.column(),
            // serde's own wording for a repeated field of a struct (its message is never
            // passed on: it may quote a value).
            repeated_key: e.to_string().starts_with("duplicate field"),
        })
    }

    /// The reconciliation events of the answer's transactions (feature `rest`).
    ///
    /// # Errors
    /// As [`RestNotification::answer`].
    pub fn events(&self) -> Result<Vec<TransactionEvent>, AnswerError> {
        self.answer().map(|a| a.events())
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "rest")))]
impl AnyNotification<'_> {
    /// The reconciliation events of a notification in either format: one for a `vads_*`
    /// notification, one per transaction for a REST answer (feature `rest`); none for a
    /// rehearsal ([`crate::Notification::is_rehearsal`]: `vads rehearse`'s delivery
    /// check, which no order should keep).
    ///
    /// # Errors
    /// As [`RestNotification::answer`].
    pub fn events(&self) -> Result<Vec<TransactionEvent>, AnswerError> {
        match self {
            AnyNotification::Form(n) if n.is_rehearsal() => Ok(Vec::new()),
            AnyNotification::Form(n) => Ok(vec![TransactionEvent::from_notification(n)]),
            AnyNotification::Rest(n) => n.events(),
        }
    }
}
