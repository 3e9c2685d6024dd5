//! Subscriptions the platform runs, through the REST API (protocol section 11): create
//! one on a saved card ([`CreateSubscription`]: it starts a schedule of payments, so it is
//! **never retried**: a lost answer is `outcome_unknown`, and no API lists subscriptions),
//! read one with its derived status ([`SubscriptionGet`], [`SubscriptionInfo::status`]),
//! replace its schedule ([`SubscriptionUpdate`]) and cancel it, idempotently
//! ([`cancel_subscription`]).
//!
//! A subscription is (token, subscription id): the id alone is not unique, and both are
//! needed to read or cancel it. Keep them together ([`SubscriptionRef`]).
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use vads::api::subscriptions::{
//!     cancel_subscription, create_subscription, CreateSubscription, SubscriptionChange,
//!     SubscriptionGet, SubscriptionStatus,
//! };
//! use vads::api::{Client, ClientConfig, Credentials};
//! use vads::testing::{block_on, platform::Platform};
//! use vads::{Mode, SecretString, Shop, ShopConfig, TransDate};
//! let mut c = ShopConfig::new("69876357", Mode::Test);
//! c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
//! let shop = Shop::new(c)?;
//! let platform = Arc::new(Platform::for_shop(&shop));
//! let token = platform.add_token("jane@example.com");
//! let client = Client::new(Credentials::of(&shop)?, platform.clone(), ClientConfig::default());
//!
//! let monthly = CreateSubscription::new(&token, 990, "EUR", "RRULE:FREQ=MONTHLY;COUNT=12", "2099-01-01")
//!     .order_id("SUB-42");
//! let created = block_on(create_subscription(&client, &monthly))?;
//! let info = block_on(client.call(&SubscriptionGet::new(&created.id, &token)))?;
//! assert_eq!(info.status(TransDate::now()), SubscriptionStatus::Pending);
//! assert_eq!(block_on(cancel_subscription(&client, &created))?, SubscriptionChange::Cancelled);
//! // Cancelled twice: the intent is met, nothing breaks.
//! assert_eq!(block_on(cancel_subscription(&client, &created))?, SubscriptionChange::AlreadyCancelled);
//! # Ok(()) }
//! # #[cfg(not(feature = "testing"))] fn main() {}
//! ```

use super::answer::{sealed as answer_sealed, FromAnswer};
use super::client::{Client, Transport};
use super::error::{ApiError, ErrorCode, PlatformError, RequestError};
use super::request::{
    chaining_ref_options, check_amount, check_currency, check_order_id, check_token, invalid,
    metadata_json, sealed, text, ApiCall,
};
use super::tokens::Acknowledged;
use super::Operation;
use crate::protocol::recurring::RRule;
use crate::protocol::time::TransDate;
use serde_json::{json, Map, Value};

/// A date as the API takes it (ISO 8601, UTC midnight) from `YYYY-MM-DD` or
/// `YYYYMMDD`; `None` when it is not a calendar date.
///
/// ```
/// use vads::api::subscriptions::iso_date;
/// assert_eq!(iso_date("2027-01-31").as_deref(), Some("2027-01-31T00:00:00+00:00"));
/// assert_eq!(iso_date("20270131").as_deref(), Some("2027-01-31T00:00:00+00:00"));
/// assert_eq!(iso_date("2027-02-30"), None);
/// ```
#[must_use]
pub fn iso_date(date: &str) -> Option<String> {
    let compact: String = if date.len() == 10
        && date.as_bytes().get(4) == Some(&b'-')
        && date.as_bytes().get(7) == Some(&b'-')
    {
        date.replace('-', "")
    } else {
        date.to_owned()
    };
    if compact.len() != 8 {
        return None;
    }
    TransDate::parse(&format!("{compact}000000"))?;
    Some(format!(
        "{}-{}-{}T00:00:00+00:00",
        &compact[..4],
        &compact[4..6],
        &compact[6..8]
    ))
}

/// `Charge/CreateSubscription`: a schedule of payments on a saved card. It moves money
/// later without anyone present, so it is never retried: a lost answer is
/// `outcome_unknown` (look for it in the back office before asking again).
///
/// ```
/// use vads::api::ApiCall;
/// use vads::api::subscriptions::CreateSubscription;
/// let s = CreateSubscription::new("tok-1", 990, "EUR", "RRULE:FREQ=MONTHLY;COUNT=12", "2027-01-01")
///     .order_id("SUB-42")
///     .with_initial(490, 3);
/// let body = s.json()?;
/// assert_eq!(body["effectDate"], "2027-01-01T00:00:00+00:00");
/// assert_eq!(body["initialAmountNumber"], 3);
/// let spaced = CreateSubscription::new("tok-1", 990, "EUR", "RRULE:FREQ=MONTHLY; COUNT=12", "2027-01-01");
/// assert!(spaced.json().is_err()); // refused before anything is sent
/// # Ok::<(), vads::api::RequestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateSubscription {
    /// `paymentMethodToken`: the saved card.
    pub token: String,
    /// Each installment, minor units.
    pub amount: u64,
    /// Alphabetic ISO 4217 code.
    pub currency: String,
    /// `rrule`: when installments are due (RFC 5545, as the platform takes it).
    pub rrule: String,
    /// `effectDate`: `YYYY-MM-DD` (or `YYYYMMDD`), UTC.
    pub effect_date: String,
    /// `orderId`: the order the installments are notified with.
    pub order_id: Option<String>,
    /// `initialAmount` and `initialAmountNumber`: the first installments at another
    /// amount.
    pub initial: Option<(u64, u32)>,
    /// `description`.
    pub description: Option<String>,
    /// `metadata`.
    pub metadata: Vec<(String, String)>,
    /// `transactionOptions.cardOptions.initialIssuerTransactionIdentifier`: the chaining
    /// reference kept with the token.
    pub chaining_ref: Option<String>,
}

impl CreateSubscription {
    /// `amount` of `currency` by `rrule` from `effect_date`, on `token`.
    #[must_use]
    pub fn new(
        token: impl Into<String>,
        amount: u64,
        currency: impl Into<String>,
        rrule: impl Into<String>,
        effect_date: impl Into<String>,
    ) -> CreateSubscription {
        CreateSubscription {
            token: token.into(),
            amount,
            currency: currency.into(),
            rrule: rrule.into(),
            effect_date: effect_date.into(),
            order_id: None,
            initial: None,
            description: None,
            metadata: Vec::new(),
            chaining_ref: None,
        }
    }

    /// Sets `orderId`.
    #[must_use]
    pub fn order_id(mut self, id: impl Into<String>) -> CreateSubscription {
        self.order_id = Some(id.into());
        self
    }

    /// The first `count` installments at `amount` instead.
    #[must_use]
    pub fn with_initial(mut self, amount: u64, count: u32) -> CreateSubscription {
        self.initial = Some((amount, count));
        self
    }

    /// Whether the effect date is before `today` (UTC): the platform refuses it.
    #[must_use]
    pub fn starts_before(&self, today: TransDate) -> bool {
        let today = format!("{:04}-{:02}-{:02}", today.year, today.month, today.day);
        iso_date(&self.effect_date).is_some_and(|d| d[..10] < *today.as_str())
    }
}

impl sealed::Sealed for CreateSubscription {}
impl ApiCall for CreateSubscription {
    type Answer = SubscriptionCreated;
    fn operation(&self) -> Operation {
        Operation::CreateSubscription
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_token("paymentMethodToken", &self.token)?;
        check_amount(self.amount)?;
        let currency = check_currency(&self.currency)?;
        RRule::parse(&self.rrule).map_err(|_| {
            invalid(
                "rrule",
                "an RFC 5545 rule the platform takes (RRULE:FREQ=MONTHLY;...: no space, a period of at least a day, known parts)",
            )
        })?;
        let effect =
            iso_date(&self.effect_date).ok_or(invalid("effectDate", "a date YYYY-MM-DD (UTC)"))?;
        let mut body = Map::new();
        body.insert("amount".into(), json!(self.amount));
        body.insert("currency".into(), json!(currency));
        body.insert("effectDate".into(), json!(effect));
        body.insert("paymentMethodToken".into(), json!(self.token));
        body.insert("rrule".into(), json!(self.rrule));
        if let Some(id) = &self.order_id {
            check_order_id(id)?;
            body.insert("orderId".into(), json!(id));
        }
        if let Some((amount, count)) = self.initial {
            check_amount(amount)
                .map_err(|_| invalid("initialAmount", "a positive amount in minor units"))?;
            if count == 0 {
                return Err(invalid("initialAmountNumber", "at least 1"));
            }
            body.insert("initialAmount".into(), json!(amount));
            body.insert("initialAmountNumber".into(), json!(count));
        }
        if let Some(d) = &self.description {
            text(
                "description",
                d,
                255,
                "1 to 255 characters, no control character",
            )?;
            body.insert("description".into(), json!(d));
        }
        if let Some(meta) = metadata_json(&self.metadata)? {
            body.insert("metadata".into(), meta);
        }
        if let Some(r) = &self.chaining_ref {
            body.insert("transactionOptions".into(), chaining_ref_options(r)?);
        }
        Ok(Value::Object(body))
    }
    fn order(&self) -> Option<&str> {
        self.order_id.as_deref()
    }
}

/// The answer of `Charge/CreateSubscription` (`V4/SubscriptionCreated`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubscriptionCreated {
    /// `subscriptionId`.
    pub subscription_id: String,
}

impl answer_sealed::Sealed for SubscriptionCreated {}
impl FromAnswer for SubscriptionCreated {
    const DOCUMENTED_TYPE: Option<&'static str> = Some("V4/SubscriptionCreated");
    fn shape_fits(&self) -> bool {
        !self.subscription_id.is_empty()
    }
}

/// A subscription: its id and its token (the id alone is not unique).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SubscriptionRef {
    /// The subscription id.
    pub id: String,
    /// The token it charges.
    pub token: String,
}

/// A request on one subscription: `{"subscriptionId", "paymentMethodToken"}`.
macro_rules! subscription_call {
    ($(#[$m:meta])* $name:ident, $op:expr, $answer:ty) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// `subscriptionId`.
            pub subscription_id: String,
            /// `paymentMethodToken`.
            pub token: String,
        }

        impl $name {
            /// The request on subscription `id` of `token`.
            #[must_use]
            pub fn new(id: impl Into<String>, token: impl Into<String>) -> $name {
                $name {
                    subscription_id: id.into(),
                    token: token.into(),
                }
            }
        }

        impl sealed::Sealed for $name {}
        impl ApiCall for $name {
            type Answer = $answer;
            fn operation(&self) -> Operation {
                $op
            }
            fn json(&self) -> Result<Value, RequestError> {
                text(
                    "subscriptionId",
                    &self.subscription_id,
                    64,
                    "1 to 64 characters, no control character",
                )?;
                check_token("paymentMethodToken", &self.token)?;
                Ok(json!({
                    "subscriptionId": self.subscription_id,
                    "paymentMethodToken": self.token,
                }))
            }
        }
    };
}

subscription_call!(
    /// `Subscription/Get`: the subscription and its schedule. A read.
    SubscriptionGet,
    Operation::SubscriptionGet,
    SubscriptionInfo
);
subscription_call!(
    /// `Subscription/Cancel`: no further installment is charged (one already in flight
    /// is not cancelled). Prefer [`cancel_subscription`], which reads its `responseCode`
    /// and an "already cancelled" refusal.
    SubscriptionCancel,
    Operation::SubscriptionCancel,
    Acknowledged
);

/// `Subscription/Update`: the whole schedule again (amount, currency, rule, effect date,
/// initial installments). Repeatable: sending it twice sets the same schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionUpdate {
    /// `subscriptionId`.
    pub subscription_id: String,
    /// The schedule, as created (its `order_id`, `description` and `metadata` are sent
    /// too when set).
    pub schedule: CreateSubscription,
}

impl SubscriptionUpdate {
    /// Subscription `id`'s schedule replaced by `schedule` (its token is `schedule`'s).
    #[must_use]
    pub fn new(id: impl Into<String>, schedule: CreateSubscription) -> SubscriptionUpdate {
        SubscriptionUpdate {
            subscription_id: id.into(),
            schedule,
        }
    }
}

impl sealed::Sealed for SubscriptionUpdate {}
impl ApiCall for SubscriptionUpdate {
    type Answer = Acknowledged;
    fn operation(&self) -> Operation {
        Operation::SubscriptionUpdate
    }
    fn json(&self) -> Result<Value, RequestError> {
        text(
            "subscriptionId",
            &self.subscription_id,
            64,
            "1 to 64 characters, no control character",
        )?;
        let mut body = self.schedule.json()?;
        if let Value::Object(m) = &mut body {
            m.insert("subscriptionId".into(), json!(self.subscription_id));
        }
        Ok(body)
    }
}

/// The answer of `Subscription/Get` (`V4/Subscription`). It has no status field: see
/// [`SubscriptionInfo::status`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubscriptionInfo {
    /// `subscriptionId`.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// `paymentMethodToken`.
    #[serde(default)]
    pub payment_method_token: Option<String>,
    /// `effectDate` (ISO 8601).
    #[serde(default)]
    pub effect_date: Option<String>,
    /// `cancelDate` (ISO 8601): set once cancelled.
    #[serde(default)]
    pub cancel_date: Option<String>,
    /// `pastPaymentsNumber`: installments already charged.
    #[serde(default)]
    pub past_payments_number: Option<u32>,
    /// `totalPaymentsNumber`: installments in all (0: no end).
    #[serde(default)]
    pub total_payments_number: Option<u32>,
    /// `amount`, minor units.
    #[serde(default)]
    pub amount: Option<u64>,
    /// `currency`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `rrule`.
    #[serde(default)]
    pub rrule: Option<String>,
    /// `initialAmount`.
    #[serde(default)]
    pub initial_amount: Option<u64>,
    /// `initialAmountNumber`.
    #[serde(default)]
    pub initial_amount_number: Option<u32>,
    /// `orderId`.
    #[serde(default)]
    pub order_id: Option<String>,
    /// `metadata`.
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// A subscription's state, derived (the platform gives no status field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SubscriptionStatus {
    /// Before its effect date.
    Pending,
    /// Running.
    Active,
    /// Every installment charged (`pastPaymentsNumber` ≥ `totalPaymentsNumber` > 0).
    Completed,
    /// Cancelled (`cancelDate` set).
    Cancelled,
}

impl SubscriptionStatus {
    /// `pending`, `active`, `completed`, `cancelled`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Completed => "completed",
            SubscriptionStatus::Cancelled => "cancelled",
        }
    }
}

impl SubscriptionInfo {
    /// Cancelled when `cancelDate` is set; completed when past ≥ total > 0; pending before
    /// `effectDate` (at `now`, UTC) while no installment ran; else active.
    ///
    /// ```
    /// use vads::api::subscriptions::{SubscriptionInfo, SubscriptionStatus};
    /// let info: SubscriptionInfo = serde_json::from_str(
    ///     r#"{"effectDate":"2027-01-01T00:00:00+00:00","pastPaymentsNumber":0,"totalPaymentsNumber":12}"#,
    /// )?;
    /// let before = vads::TransDate::parse("20261231235959").unwrap();
    /// let after = vads::TransDate::parse("20270101000000").unwrap();
    /// assert_eq!(info.status(before), SubscriptionStatus::Pending);
    /// assert_eq!(info.status(after), SubscriptionStatus::Active);
    /// // An installment already ran: active, even if the shop's clock is behind.
    /// let ran: SubscriptionInfo = serde_json::from_str(
    ///     r#"{"effectDate":"2027-01-01T00:00:00+00:00","pastPaymentsNumber":1,"totalPaymentsNumber":12}"#,
    /// )?;
    /// assert_eq!(ran.status(before), SubscriptionStatus::Active);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn status(&self, now: TransDate) -> SubscriptionStatus {
        if self.cancel_date.as_deref().is_some_and(|d| !d.is_empty()) {
            return SubscriptionStatus::Cancelled;
        }
        let (past, total) = (
            self.past_payments_number.unwrap_or(0),
            self.total_payments_number.unwrap_or(0),
        );
        if total > 0 && past >= total {
            return SubscriptionStatus::Completed;
        }
        let start = self
            .effect_date
            .as_deref()
            .and_then(TransDate::parse_iso8601)
            .and_then(|d| d.to_unix());
        match (start, now.to_unix()) {
            // An installment already ran: started, whatever the clocks say.
            (Some(start), Some(now)) if now < start && past == 0 => SubscriptionStatus::Pending,
            _ => SubscriptionStatus::Active,
        }
    }
}

impl answer_sealed::Sealed for SubscriptionInfo {}
impl FromAnswer for SubscriptionInfo {
    const DOCUMENTED_TYPE: Option<&'static str> = Some("V4/Subscription");
}

/// Creates a subscription: the platform's id with its token. Sent once, never retried.
///
/// # Errors
/// [`ApiError`]; [`ApiError::OutcomeUnknown`] when the answer was lost (it may exist:
/// look in the back office before asking again), [`ApiError::Request`] for a request
/// refused before sending (an effect date in the past included).
pub async fn create_subscription<T: Transport>(
    client: &Client<T>,
    request: &CreateSubscription,
) -> Result<SubscriptionRef, ApiError> {
    if request.starts_before(TransDate::now()) {
        return Err(ApiError::Request(invalid(
            "effectDate",
            "today or later (UTC): the platform refuses a date in the past",
        )));
    }
    let created = client.call(request).await?;
    Ok(SubscriptionRef {
        id: created.subscription_id,
        token: request.token.clone(),
    })
}

/// What a cancellation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriptionChange {
    /// Cancelled now (`responseCode` 0).
    Cancelled,
    /// It was cancelled already (the platform refused, and the subscription, read back,
    /// has a `cancelDate`): the intent is met, nothing more was sent.
    AlreadyCancelled,
}

impl SubscriptionChange {
    /// `cancelled` or `already_cancelled`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionChange::Cancelled => "cancelled",
            SubscriptionChange::AlreadyCancelled => "already_cancelled",
        }
    }
}

/// A `responseCode` as the refusal it stands for (30: `PSP_030`, token not found; 32:
/// `PSP_032`, subscription not found; other: the code itself).
fn refusal_of(response_code: i64) -> ApiError {
    let code = match response_code {
        30 => "PSP_030".to_owned(),
        32 => "PSP_032".to_owned(),
        other => format!("RESPONSE_{other}"),
    };
    ApiError::Refused(PlatformError {
        error_code: code,
        error_message: Some(format!(
            "Subscription/Cancel answered responseCode {response_code}"
        )),
        detailed_error_code: None,
        detailed_error_message: None,
    })
}

/// Cancels a subscription, idempotently: [`SubscriptionChange::Cancelled`]; or, when the
/// platform says it cannot (`responseCode` 32, `PSP_033`) and the subscription, read back,
/// is cancelled, [`SubscriptionChange::AlreadyCancelled`]. Installments already in flight
/// are not cancelled by the platform: cancel them afterwards with
/// [`cancel_running_installments`], as the plugins do, if that is the intent.
///
/// # Errors
/// [`ApiError`]: `PSP_030` (token not found), `PSP_032` (subscription not found), another
/// `responseCode` (`RESPONSE_99`), a refusal the read does not explain.
pub async fn cancel_subscription<T: Transport>(
    client: &Client<T>,
    subscription: &SubscriptionRef,
) -> Result<SubscriptionChange, ApiError> {
    let call = SubscriptionCancel::new(&subscription.id, &subscription.token);
    let refusal = match client.call(&call).await {
        Ok(Acknowledged {
            response_code: None | Some(0),
            ..
        }) => return Ok(SubscriptionChange::Cancelled),
        Ok(Acknowledged {
            response_code: Some(code),
            ..
        }) => refusal_of(code),
        Err(e) => e,
    };
    let explained_by_a_read = match &refusal {
        ApiError::Refused(e) => matches!(e.kind(), ErrorCode::Psp033 | ErrorCode::Psp032),
        _ => false,
    };
    if !explained_by_a_read {
        return Err(refusal);
    }
    match client
        .call(&SubscriptionGet::new(&subscription.id, &subscription.token))
        .await
    {
        Ok(info) if info.status(TransDate::now()) == SubscriptionStatus::Cancelled => {
            Ok(SubscriptionChange::AlreadyCancelled)
        }
        _ => Err(refusal),
    }
}

/// What [`cancel_running_installments`] did: the installments it cancelled (their uuids),
/// those found cancelled already, and those it could not cancel, with the error's code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunningCancelled {
    /// Cancelled now.
    pub cancelled: Vec<String>,
    /// Cancelled before (a read after a refusal or a lost answer shows it).
    pub already_cancelled: Vec<String>,
    /// Not cancelled: the uuid and the code (`outcome_unknown` when the answer was lost
    /// and a read does not show it cancelled: read it again before anything else).
    pub failed: Vec<(String, String)>,
}

/// After [`cancel_subscription`], cancels the installments the platform had already
/// started and not finished (`RUNNING` debits of the subscription's order, on its token),
/// one `Transaction/Cancel` each — as the official plugins do. Optional and explicit:
/// call it only when the intent is "charge nothing more", including what is in flight.
///
/// Each cancel is sent once; a refusal or a lost answer is read back
/// (`Transaction/Get`): cancelled is done, anything else is listed in
/// [`RunningCancelled::failed`]. Debits of another token, captured ones and refunds are
/// never touched.
///
/// # Errors
/// [`ApiError`] when the order cannot be read (nothing was sent).
pub async fn cancel_running_installments<T: Transport>(
    client: &Client<T>,
    order_id: &str,
    subscription: &SubscriptionRef,
) -> Result<RunningCancelled, ApiError> {
    use super::request::{Cancel, OrderGet, TransactionGet};
    let order = client.call(&OrderGet::new(order_id)).await?;
    let mut done = RunningCancelled::default();
    for t in order.transactions {
        let running = t.operation_type.as_deref() == Some("DEBIT")
            && t.status.as_deref() == Some("RUNNING")
            && t.payment_method_token
                .as_deref()
                .is_none_or(|token| token == subscription.token);
        let Some(uuid) = t.uuid.filter(|_| running) else {
            continue;
        };
        match client.call(&Cancel::new(&uuid)).await {
            Ok(_) => done.cancelled.push(uuid),
            Err(e) => match client.call(&TransactionGet::new(&uuid)).await {
                Ok(now) if now.detailed_status.as_deref() == Some("CANCELLED") => {
                    if matches!(e, ApiError::OutcomeUnknown(_)) {
                        done.cancelled.push(uuid);
                    } else {
                        done.already_cancelled.push(uuid);
                    }
                }
                _ => done.failed.push((uuid, e.code().to_owned())),
            },
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::parse_answer;

    #[test]
    fn a_subscription_request_has_the_documented_shape_and_is_checked() {
        let mut s = CreateSubscription::new(
            "tok-1",
            990,
            "978",
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=12",
            "20270101",
        )
        .order_id("SUB-42");
        s.chaining_ref = Some("CHAIN1".into());
        assert_eq!(
            s.json().unwrap(),
            json!({"amount": 990, "currency": "EUR", "effectDate": "2027-01-01T00:00:00+00:00",
                   "paymentMethodToken": "tok-1",
                   "rrule": "RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=12",
                   "orderId": "SUB-42",
                   "transactionOptions": {"cardOptions": {"initialIssuerTransactionIdentifier": "CHAIN1"}}})
        );
        for (bad, field) in [
            (
                CreateSubscription::new("tok", 0, "EUR", "RRULE:FREQ=DAILY", "2027-01-01"),
                "amount",
            ),
            (
                CreateSubscription::new("tok", 1, "EUR", "RRULE:FREQ=HOURLY", "2027-01-01"),
                "rrule",
            ),
            (
                CreateSubscription::new("tok", 1, "EUR", "FREQ=DAILY", "2027-01-01"),
                "rrule",
            ),
            (
                CreateSubscription::new("tok", 1, "EUR", "RRULE:FREQ=DAILY", "2027-13-01"),
                "effectDate",
            ),
            (
                CreateSubscription::new("", 1, "EUR", "RRULE:FREQ=DAILY", "2027-01-01"),
                "paymentMethodToken",
            ),
            (
                CreateSubscription::new("tok", 1, "EUR", "RRULE:FREQ=DAILY", "2027-01-01")
                    .with_initial(5, 0),
                "initialAmountNumber",
            ),
        ] {
            let e = bad.json().unwrap_err();
            assert!(e.to_string().contains(field), "{field}: {e}");
        }
        let today = TransDate::parse("20270101120000").unwrap();
        assert!(!s.starts_before(today));
        assert!(s.starts_before(TransDate::parse("20270102000000").unwrap()));
    }

    #[test]
    fn the_derived_status_follows_the_documented_rules() {
        let info = |json: &str| serde_json::from_str::<SubscriptionInfo>(json).unwrap();
        let now = TransDate::parse("20270601000000").unwrap();
        for (json, status) in [
            (
                r#"{"cancelDate":"2027-02-01T00:00:00+00:00","pastPaymentsNumber":12,"totalPaymentsNumber":12}"#,
                SubscriptionStatus::Cancelled,
            ),
            (
                r#"{"pastPaymentsNumber":12,"totalPaymentsNumber":12}"#,
                SubscriptionStatus::Completed,
            ),
            (
                r#"{"pastPaymentsNumber":40,"totalPaymentsNumber":0,"effectDate":"2024-01-01T00:00:00+00:00"}"#,
                SubscriptionStatus::Active,
            ),
            (
                r#"{"pastPaymentsNumber":0,"totalPaymentsNumber":12,"effectDate":"2027-07-01T00:00:00+00:00"}"#,
                SubscriptionStatus::Pending,
            ),
            (
                r#"{"pastPaymentsNumber":3,"totalPaymentsNumber":12,"effectDate":"2027-01-01T00:00:00+00:00"}"#,
                SubscriptionStatus::Active,
            ),
        ] {
            assert_eq!(info(json).status(now), status, "{json}");
        }
        let body = r#"{"webService":"Charge/CreateSubscription","status":"SUCCESS","answer":{"subscriptionId":"20270101abc","_type":"V4/SubscriptionCreated"},"_type":"V4/WebService/Response"}"#;
        let created: SubscriptionCreated =
            parse_answer(Operation::CreateSubscription, 200, body.as_bytes()).unwrap();
        assert_eq!(created.subscription_id, "20270101abc");
    }

    #[test]
    fn response_codes_read_as_the_refusals_they_stand_for() {
        assert_eq!(refusal_of(30).code(), "PSP_030");
        assert_eq!(refusal_of(32).code(), "PSP_032");
        assert_eq!(refusal_of(99).code(), "RESPONSE_99");
        let ApiError::Refused(p) = refusal_of(32) else {
            panic!()
        };
        assert_eq!(p.kind(), ErrorCode::Psp032);
    }
}
