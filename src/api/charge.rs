//! A charge of a saved card that happens once (feature `api`): a merchant-initiated,
//! zero-click payment (`Charge/CreatePayment` with `formAction: SILENT`, protocol section
//! 11) — a renewal the shop schedules itself, a rebill, "pay with my saved card".
//!
//! The platform's zero-click charge is synchronous, sends **no notification**, moves money
//! and has **no idempotency**. [`Charges::charge`] makes up for it:
//!
//! - **The caller names the charge** with an order id of its own (the subscription and the
//!   period, say: `SUB-42-2027-01`): one order id, one charge.
//! - **One caller at a time**: the order's lock ([`super::lock::OrderLock`]; `vads-store`'s
//!   `Store` for several instances) is taken before the first read and held to the end.
//! - **Read first**: the order already has a payment (paid, or pending) → that is returned
//!   and nothing is sent ([`ChargeOutcome::AlreadyCharged`], [`ChargeOutcome::Pending`]);
//!   it has only a refused one → [`ChargeError::AlreadyRefused`], nothing sent, unless the
//!   caller asks for a new attempt ([`Charges::retry_refused`]).
//! - **Sent once**, never retried by the client, with `metadata` naming this attempt
//!   ([`ATTEMPT_KEY`]).
//! - **A lost answer is read back** (`Order/Get`, a few times over a short window,
//!   matching the attempt's metadata) before anything is said: charged, refused, or
//!   [`ChargeError::StillUnknown`] — and nothing is sent again on its own.
//! - **A refusal is the transaction's**: the answer's transaction status decides, never
//!   the envelope's `SUCCESS` alone; a refused charge is never paid.
//! - **The answer is the event** (no notification follows): [`Charged::events`] are the
//!   order's events, to record like a notification's (`vads-store`'s `record` with
//!   `Source::PlatformRead`), so that its outbox fires once.
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use vads::api::charge::{Charge, ChargeOutcome, Charges};
//! use vads::api::lock::LocalLocks;
//! use vads::api::{Client, ClientConfig, Credentials, Operation};
//! use vads::testing::{block_on, platform::Platform};
//! use vads::{Mode, SecretString, Shop, ShopConfig};
//! let mut c = ShopConfig::new("69876357", Mode::Test);
//! c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
//! let shop = Shop::new(c)?;
//! let platform = Arc::new(Platform::for_shop(&shop));
//! let token = platform.add_token("jane@example.com");
//! let client = Client::new(Credentials::of(&shop)?, platform.clone(), ClientConfig::default());
//! let locks = LocalLocks::new();
//! let charges = Charges::new(&client, &locks);
//!
//! let renewal = Charge::new("SUB-42-2027-01", &token, 990, "EUR");
//! let first = block_on(charges.charge(&renewal))?;
//! assert_eq!((first.outcome, first.state.paid), (ChargeOutcome::Charged, 990));
//! // Asked again (a retry, a second instance): read first, nothing sent.
//! let again = block_on(charges.charge(&renewal))?;
//! assert_eq!(again.outcome, ChargeOutcome::AlreadyCharged);
//! assert!(!again.sent);
//! assert_eq!(platform.count(Operation::CreatePayment), 1);
//! # Ok(()) }
//! # #[cfg(not(feature = "testing"))] fn main() {}
//! ```

use super::client::{CallReport, Client, Transport};
use super::error::{ApiError, OutcomeUnknown, PlatformError, RequestError};
use super::lock::{LockError, LockPolicy, OrderLock};
use super::request::{
    chaining_ref_options, check_amount, check_currency, check_email, check_token, metadata_json,
    sealed, text, ApiCall,
};
use super::{Operation, OperationClass};
use crate::protocol::lifecycle::{
    reconcile, OrderKey, OrderState, ReconcileError, TransactionEvent,
};
use crate::protocol::notification::{OperationType, Outcome};
use crate::protocol::rest_answer::{RestAnswer, RestTransaction};
use core::fmt;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// The `metadata` key that names a charge's attempt: the value is unique per attempt, so
/// that a read after a lost answer finds *this* attempt's transaction.
pub const ATTEMPT_KEY: &str = "vads_charge_attempt";

/// A zero-click charge of a saved card (`Charge/CreatePayment`, `formAction: SILENT`):
/// moves money, never retried. Prefer [`Charges::charge`], which makes it happen once.
///
/// ```
/// use vads::api::charge::Charge;
/// use vads::api::ApiCall;
/// let charge = Charge::new("SUB-42-2027-01", "4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e", 990, "EUR")
///     .chaining_ref("01234567890123");
/// let body = charge.json()?;
/// assert_eq!(body["formAction"], "SILENT");
/// assert_eq!(body["transactionOptions"]["cardOptions"]["initialIssuerTransactionIdentifier"], "01234567890123");
/// assert!(!charge.class().retried());
/// # Ok::<(), vads::api::RequestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Charge {
    /// `orderId`: the name of this charge (required: it is what makes it once).
    pub order_id: String,
    /// `paymentMethodToken`: the saved card.
    pub token: String,
    /// Minor units.
    pub amount: u64,
    /// Alphabetic ISO 4217 code (a numeric one is sent as its letters).
    pub currency: String,
    /// `transactionOptions.cardOptions.initialIssuerTransactionIdentifier`: the chaining
    /// reference kept with the token (issuers may refuse a charge without it).
    pub chaining_ref: Option<String>,
    /// `customer.email`.
    pub email: Option<String>,
    /// `metadata`: the shop's own keys (not [`ATTEMPT_KEY`], which the charge sets).
    pub metadata: Vec<(String, String)>,
    /// The attempt's id, set by [`Charges`] when it sends.
    attempt: Option<String>,
}

impl Charge {
    /// Charge `amount` of `currency` to `token`, as order `order_id`.
    #[must_use]
    pub fn new(
        order_id: impl Into<String>,
        token: impl Into<String>,
        amount: u64,
        currency: impl Into<String>,
    ) -> Charge {
        Charge {
            order_id: order_id.into(),
            token: token.into(),
            amount,
            currency: currency.into(),
            chaining_ref: None,
            email: None,
            metadata: Vec::new(),
            attempt: None,
        }
    }

    /// Sets the chaining reference.
    #[must_use]
    pub fn chaining_ref(mut self, reference: impl Into<String>) -> Charge {
        self.chaining_ref = Some(reference.into());
        self
    }
}

impl sealed::Sealed for Charge {}
impl ApiCall for Charge {
    type Answer = RestAnswer;
    fn operation(&self) -> Operation {
        Operation::CreatePayment
    }
    fn class(&self) -> OperationClass {
        OperationClass::MovesMoney
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_amount(self.amount)?;
        let currency = check_currency(&self.currency)?;
        text(
            "orderId",
            &self.order_id,
            64,
            "1 to 64 characters, no control character (it names the charge)",
        )?;
        check_token("paymentMethodToken", &self.token)?;
        if self.metadata.iter().any(|(k, _)| k == ATTEMPT_KEY) {
            return Err(super::request::invalid(
                "metadata",
                "free of vads_charge_attempt, which the charge sets",
            ));
        }
        let mut body = Map::new();
        body.insert("amount".into(), json!(self.amount));
        body.insert("currency".into(), json!(currency));
        body.insert("orderId".into(), json!(self.order_id));
        body.insert("formAction".into(), json!("SILENT"));
        body.insert("paymentMethodToken".into(), json!(self.token));
        if let Some(email) = &self.email {
            check_email(email)?;
            body.insert("customer".into(), json!({ "email": email }));
        }
        if let Some(r) = &self.chaining_ref {
            body.insert("transactionOptions".into(), chaining_ref_options(r)?);
        }
        let mut metadata = self.metadata.clone();
        if let Some(attempt) = &self.attempt {
            metadata.push((ATTEMPT_KEY.to_owned(), attempt.clone()));
        }
        if let Some(meta) = metadata_json(&metadata)? {
            body.insert("metadata".into(), meta);
        }
        Ok(Value::Object(body))
    }
    fn order(&self) -> Option<&str> {
        Some(&self.order_id)
    }
}

/// What the order shows after a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChargeOutcome {
    /// Charged now: the answer (or, after a lost answer, the read) shows this attempt paid.
    Charged,
    /// The order was paid already: nothing was sent.
    AlreadyCharged,
    /// The order's payment is not final yet (waiting for an authorisation): nothing more
    /// is sent; read it again later.
    Pending,
}

impl ChargeOutcome {
    /// `charged`, `already_charged`, `pending`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeOutcome::Charged => "charged",
            ChargeOutcome::AlreadyCharged => "already_charged",
            ChargeOutcome::Pending => "pending",
        }
    }
}

/// A charge that is paid (now or before) or pending.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Charged {
    /// What the order shows.
    pub outcome: ChargeOutcome,
    /// Whether a charge was sent by this call.
    pub sent: bool,
    /// Whether its answer was lost and a read found it.
    pub found_applied: bool,
    /// The order's transactions, as the platform gives them.
    pub transactions: Vec<RestTransaction>,
    /// Their events: record them like a notification's (no notification follows).
    pub events: Vec<TransactionEvent>,
    /// The order, reconciled from them.
    pub state: OrderState,
}

/// A declined charge: the platform's refusal when it answered with one, the order's
/// transactions (the refused one among them, when the platform made one), their events
/// (a refusal is an event of the order too: record it), the order (never paid).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Declined {
    /// The platform's refusal, when it answered with an `ERROR` envelope.
    pub refusal: Option<PlatformError>,
    /// The order's transactions.
    pub transactions: Vec<RestTransaction>,
    /// Their events.
    pub events: Vec<TransactionEvent>,
    /// The order, reconciled.
    pub state: OrderState,
}

/// Why a charge did not happen, or how it ended if not paid.
#[derive(Debug)]
#[non_exhaustive]
pub enum ChargeError {
    /// The request is invalid: nothing was sent.
    Request(RequestError),
    /// The order's lock could not be taken (`busy`) or kept (`lock_lost`): nothing was
    /// sent (or nothing more).
    Lock(LockError),
    /// A read failed, or the charge failed before the request could reach the platform:
    /// nothing was charged.
    Api(ApiError),
    /// The charge was declined: the answer's transaction is refused (or the platform
    /// refused the request). Never paid.
    Refused(Box<Declined>),
    /// The order already holds a refused charge and nothing else: nothing was sent (a new
    /// attempt is [`Charges::retry_refused`]'s decision).
    AlreadyRefused {
        /// The order, reconciled.
        state: Box<OrderState>,
    },
    /// The charge's answer was lost and the order, read again, does not show it: it may
    /// still be applied. Nothing was sent again: read the order later (or look in the back
    /// office) before asking again.
    StillUnknown {
        /// What was asked.
        unknown: Box<OutcomeUnknown>,
        /// The attempt's id ([`ATTEMPT_KEY`]), to look for in the back office.
        attempt: String,
    },
    /// The platform's answer holds a transaction of another shop or mode.
    Scope(ReconcileError),
}

impl ChargeError {
    /// The stable code: the request's (`invalid_request`, `channel_off`, ...), the lock's
    /// (`busy`, `lock_lost`, `lock_unavailable`), the API's, `refused`,
    /// `already_refused`, `outcome_unknown`, `mixed_sites` / `mixed_modes`.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            ChargeError::Request(e) => e.code(),
            ChargeError::Lock(e) => e.code(),
            ChargeError::Api(e) => e.code(),
            ChargeError::Refused(_) => "refused",
            ChargeError::AlreadyRefused { .. } => "already_refused",
            ChargeError::StillUnknown { .. } => "outcome_unknown",
            ChargeError::Scope(e) => e.code(),
        }
    }

    /// Whether the money may have moved and nobody knows yet.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, ChargeError::StillUnknown { .. })
    }

    /// The order's state, when the error has one (a refusal).
    #[must_use]
    pub fn state(&self) -> Option<&OrderState> {
        match self {
            ChargeError::Refused(d) => Some(&d.state),
            ChargeError::AlreadyRefused { state } => Some(state),
            _ => None,
        }
    }
}

impl fmt::Display for ChargeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChargeError::Request(e) => e.fmt(f),
            ChargeError::Lock(e) => e.fmt(f),
            ChargeError::Api(e) => write!(f, "{e}; nothing was charged"),
            ChargeError::Refused(d) => {
                f.write_str("refused: the charge was declined and is not paid")?;
                if let Some(r) = &d.refusal {
                    write!(f, " ({r})")?;
                }
                Ok(())
            }
            ChargeError::AlreadyRefused { .. } => f.write_str(
                "already_refused: the order holds a refused charge and no payment; nothing was sent (ask for a new attempt explicitly)",
            ),
            ChargeError::StillUnknown { unknown, attempt } => write!(
                f,
                "{unknown}; the order was read again and does not show it yet (attempt {attempt}): it may still be applied, so nothing was sent again"
            ),
            ChargeError::Scope(e) => write!(f, "{e}; nothing was sent"),
        }
    }
}

impl std::error::Error for ChargeError {}

impl From<LockError> for ChargeError {
    fn from(e: LockError) -> Self {
        ChargeError::Lock(e)
    }
}

impl From<ApiError> for ChargeError {
    fn from(e: ApiError) -> Self {
        ChargeError::Api(e)
    }
}

/// What one transaction means for a charge.
fn outcome_of(t: &RestTransaction) -> Outcome {
    let operation = t.operation_type.as_deref().map(OperationType::parse);
    match t.trans_status() {
        Some(status) => Outcome::of_operation(operation, status),
        None => Outcome::NeedsAttention,
    }
}

fn is_debit(t: &RestTransaction) -> bool {
    t.operation_type.as_deref() == Some("DEBIT")
}

/// The attempt id a transaction's metadata names, if any.
fn attempt_of(t: &RestTransaction) -> Option<&str> {
    t.metadata.as_ref()?.get(ATTEMPT_KEY)?.as_str()
}

/// A fresh attempt id: 32 hex digits from the clock and a process-wide counter, mixed.
fn new_attempt() -> String {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let seed = (crate::protocol::time::since_epoch().as_nanos(), n);
    let h = std::collections::hash_map::RandomState::new();
    format!("{:016x}{:016x}", h.hash_one(seed), h.hash_one((seed, 1u8)))
}

/// Charge saved cards once, under the order's lock (see the module).
#[derive(Debug)]
pub struct Charges<'a, T, L> {
    client: &'a Client<T>,
    lock: &'a L,
    policy: LockPolicy,
    read_back: Vec<Duration>,
    retry_refused: bool,
}

impl<'a, T: Transport, L: OrderLock> Charges<'a, T, L> {
    /// Charges with `client` under `lock`, [`LockPolicy::default`], a lost answer read
    /// back at once, after 1 s and after 3 s.
    #[must_use]
    pub fn new(client: &'a Client<T>, lock: &'a L) -> Charges<'a, T, L> {
        Charges {
            client,
            lock,
            policy: LockPolicy::default(),
            read_back: vec![
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(2),
            ],
            retry_refused: false,
        }
    }

    /// Waits and leases as `policy` says.
    #[must_use]
    pub fn with_policy(mut self, policy: LockPolicy) -> Charges<'a, T, L> {
        self.policy = policy;
        self
    }

    /// After a lost answer, reads the order after each of these waits (one after the
    /// other) until the charge shows.
    #[must_use]
    pub fn read_back_after(mut self, waits: Vec<Duration>) -> Charges<'a, T, L> {
        self.read_back = waits;
        self
    }

    /// Whether an order that holds only a refused charge gets a new attempt (default:
    /// no, [`ChargeError::AlreadyRefused`]).
    #[must_use]
    pub fn retry_refused(mut self, yes: bool) -> Charges<'a, T, L> {
        self.retry_refused = yes;
        self
    }

    /// The order's key: the client's shop and mode.
    #[must_use]
    pub fn key(&self, order_id: &str) -> OrderKey {
        let c = self.client.credentials();
        OrderKey::new(c.site_id(), c.mode(), order_id)
    }

    /// Charges once (see the module).
    ///
    /// # Errors
    /// [`ChargeError`].
    pub async fn charge(&self, charge: &Charge) -> Result<Charged, ChargeError> {
        self.charge_logged(charge, &mut Vec::new()).await
    }

    /// As [`Charges::charge`], with the report of every call made pushed to `calls`.
    ///
    /// # Errors
    /// As [`Charges::charge`].
    pub async fn charge_logged(
        &self,
        charge: &Charge,
        calls: &mut Vec<CallReport>,
    ) -> Result<Charged, ChargeError> {
        // Checked before the lock: an invalid request sends nothing and waits for nobody.
        charge.json().map_err(ChargeError::Request)?;
        let key = self.key(&charge.order_id);
        let lease_for = self
            .policy
            .lease
            .max(self.client.config().call_timeout + Duration::from_secs(5));
        let lease = super::lock::acquire(
            self.lock,
            &key,
            &self.policy,
            lease_for,
            self.client.transport(),
        )
        .await?;
        let result = self.locked(charge, &lease, lease_for, calls).await;
        let _ = self.lock.release(&lease).await;
        result
    }

    async fn read(
        &self,
        order_id: &str,
        lease: &super::lock::Lease,
        lease_for: Duration,
        calls: &mut Vec<CallReport>,
    ) -> Result<Vec<RestTransaction>, ChargeError> {
        self.lock.renew(lease, lease_for).await?;
        let all = super::money::read_logged(self.client, calls, order_id).await?;
        super::money::in_scope(self.client.credentials(), &all).map_err(ChargeError::Scope)?;
        Ok(all)
    }

    fn events(&self, order_id: &str, transactions: &[RestTransaction]) -> Vec<TransactionEvent> {
        super::money::events_of(self.client.credentials(), order_id, transactions)
    }

    fn state(
        &self,
        order_id: &str,
        events: &[TransactionEvent],
    ) -> Result<OrderState, ChargeError> {
        let mut state = reconcile(events.iter().cloned(), None).map_err(ChargeError::Scope)?;
        state.order_id = Some(order_id.to_owned());
        Ok(state)
    }

    /// What the order's payments say: paid, pending, only refused, or nothing.
    fn judge(
        &self,
        order_id: &str,
        transactions: Vec<RestTransaction>,
        sent: bool,
        found_applied: bool,
        fresh: bool,
    ) -> Result<Result<Charged, ChargeError>, ChargeError> {
        let debits: Vec<Outcome> = transactions
            .iter()
            .filter(|t| is_debit(t))
            .map(outcome_of)
            .collect();
        let events = self.events(order_id, &transactions);
        let state = self.state(order_id, &events)?;
        let charged = |outcome| {
            Ok(Charged {
                outcome,
                sent,
                found_applied,
                transactions: transactions.clone(),
                events: events.clone(),
                state: state.clone(),
            })
        };
        if debits.contains(&Outcome::Paid) {
            let outcome = if fresh {
                ChargeOutcome::Charged
            } else {
                ChargeOutcome::AlreadyCharged
            };
            return Ok(charged(outcome));
        }
        if debits
            .iter()
            .any(|o| !matches!(o, Outcome::Failed | Outcome::Cancelled))
        {
            return Ok(charged(ChargeOutcome::Pending));
        }
        if debits.is_empty() {
            return Err(ChargeError::Api(ApiError::Transport(
                super::error::TransportError::new(super::error::TransportKind::BadAnswer),
            )));
        }
        Ok(Err(if fresh {
            ChargeError::Refused(Box::new(Declined {
                refusal: None,
                transactions,
                events,
                state,
            }))
        } else {
            ChargeError::AlreadyRefused {
                state: Box::new(state),
            }
        }))
    }

    async fn locked(
        &self,
        charge: &Charge,
        lease: &super::lock::Lease,
        lease_for: Duration,
        calls: &mut Vec<CallReport>,
    ) -> Result<Charged, ChargeError> {
        let order_id = charge.order_id.as_str();
        // 1. Read first.
        let before = self.read(order_id, lease, lease_for, calls).await?;
        if before.iter().any(is_debit) {
            match self.judge(order_id, before.clone(), false, false, false)? {
                Ok(done) => return Ok(done),
                Err(ChargeError::AlreadyRefused { state }) if !self.retry_refused => {
                    return Err(ChargeError::AlreadyRefused { state })
                }
                Err(_) => {} // only refused, and a new attempt is wanted
            }
        }
        // 2. Send once, this attempt named in the metadata.
        let attempt = new_attempt();
        let mut call = charge.clone();
        call.attempt = Some(attempt.clone());
        self.lock.renew(lease, lease_for).await?;
        let (answer, report) = self.client.call_with_report(&call).await;
        calls.push(report);
        match answer {
            Ok(answer) => {
                let ours: Vec<RestTransaction> = answer.transactions;
                match self.judge(order_id, ours, true, false, true)? {
                    Ok(done) => Ok(done),
                    Err(e) => Err(e),
                }
            }
            Err(ApiError::Refused(refusal)) => {
                // The request was refused (a decline may also be said this way): nothing
                // paid. A read shows what the order holds now (a refused transaction,
                // when the platform made one).
                let now = self
                    .read(order_id, lease, lease_for, calls)
                    .await
                    .unwrap_or_default();
                let events = self.events(order_id, &now);
                let state = self.state(order_id, &events)?;
                Err(ChargeError::Refused(Box::new(Declined {
                    refusal: Some(refusal),
                    transactions: now,
                    events,
                    state,
                })))
            }
            Err(ApiError::OutcomeUnknown(unknown)) => {
                // 3. A lost answer: read back, never send again.
                for wait in &self.read_back {
                    if !wait.is_zero() {
                        self.client.transport().sleep(*wait).await;
                    }
                    let now = self.read(order_id, lease, lease_for, calls).await?;
                    let ours: Vec<RestTransaction> = now
                        .iter()
                        .filter(|t| attempt_of(t) == Some(attempt.as_str()))
                        .cloned()
                        .collect();
                    // The platform may not give the metadata back: a payment that was not
                    // there before the send is this attempt's.
                    let appeared = now.iter().filter(|t| is_debit(t)).count()
                        > before.iter().filter(|t| is_debit(t)).count();
                    if !ours.is_empty() || appeared {
                        return match self.judge(order_id, now, true, true, true)? {
                            Ok(done) => Ok(done),
                            Err(e) => Err(e),
                        };
                    }
                }
                Err(ChargeError::StillUnknown {
                    unknown: Box::new(unknown),
                    attempt,
                })
            }
            Err(e) => Err(ChargeError::Api(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charge_is_checked_before_anything_is_sent() {
        let ok = Charge::new("SUB-1-2027-01", "tok-1", 990, "EUR");
        assert!(ok.json().is_ok());
        for (bad, field) in [
            (Charge::new("", "tok-1", 990, "EUR"), "orderId"),
            (Charge::new("A-1", "", 990, "EUR"), "paymentMethodToken"),
            (Charge::new("A-1", "tok-1", 0, "EUR"), "amount"),
            (Charge::new("A-1", "tok-1", 1, "EUX"), "currency"),
        ] {
            let e = bad.json().unwrap_err();
            assert!(e.to_string().contains(field), "{field}: {e}");
        }
        let mut sneaky = ok.clone();
        sneaky.metadata.push((ATTEMPT_KEY.into(), "x".into()));
        assert!(sneaky.json().is_err());
        assert_eq!(ok.class(), OperationClass::MovesMoney);
        assert_eq!(ok.order(), Some("SUB-1-2027-01"));
    }

    #[test]
    fn attempts_are_distinct() {
        let a: std::collections::HashSet<String> = (0..100).map(|_| new_attempt()).collect();
        assert_eq!(a.len(), 100);
        assert!(a.iter().all(|x| x.len() == 32));
    }
}
