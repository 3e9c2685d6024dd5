//! Money that moves once (feature `api`): refund, cancel and validate an *order*, the way
//! the official plugins decide (protocol section 8), with what the API lacks — an
//! idempotency key — made up for by a lock, reading first and reading again.
//!
//! - **One operation in flight per order.** [`Money`] takes the order's lock
//!   ([`super::lock::OrderLock`], keyed by site id, mode and order id) before its first
//!   read and holds it until the order is settled or the outcome is unknown, renewing it
//!   before each call; a second caller waits ([`LockPolicy::wait`]), then gets
//!   [`MoneyError::Lock`] `busy`: never a second send. Two operators who press "Refund"
//!   at the same moment see one refund and two successes.
//! - Read first (`Order/Get`; per operation type on `PSP_015`), refuse what the status
//!   forbids, what is more than is left, amounts whose sum overflows and payments in
//!   several currencies, before sending anything.
//! - Send each operation once ([`super::Client`] never retries one that moves money).
//! - When its answer is lost (`outcome_unknown`) or the platform says it is already done
//!   or not possible in this status (`PSP_104`, `PSP_105`, `PSP_011`), read the order
//!   again and decide whether *this* operation was applied: only an effect it could have
//!   made counts (a refund's new `CREDIT` of this payment, of the amount asked, that was
//!   not there before the send); nothing is sent again.
//! - Say the intent, not only the delta: [`RefundAmount::Total`] ("make the given-back
//!   total T") is idempotent by construction — run twice, it refunds once;
//!   [`RefundAmount::More`] ("N more, given that R is given back now") is refused when R
//!   changed meanwhile. A cancel or validate of an order already cancelled or validated
//!   sends nothing and succeeds: the intent is met.
//!
//! What `vads` cannot know: whether a request whose answer was lost will still be applied
//! later. A read that does not show it yet is [`MoneyError::StillUnknown`]: read again
//! later (or look in the back office) before asking again.
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use vads::api::lock::LocalLocks;
//! use vads::api::money::{Money, RefundAmount};
//! use vads::api::{Client, ClientConfig, Credentials};
//! use vads::testing::platform::{NewPayment, Platform};
//! use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus};
//! let mut c = ShopConfig::new("69876357", Mode::Test);
//! c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
//! let shop = Shop::new(c)?;
//! let platform = Arc::new(Platform::for_shop(&shop));
//! platform.add_payment(NewPayment::new("A-1", 3000, "EUR", TransStatus::Captured));
//! let client = Client::new(Credentials::of(&shop)?, platform.clone(), ClientConfig::default());
//! let locks = LocalLocks::new(); // one process; vads-store's Store for several
//! let money = Money::new(&client, &locks);
//! let done = money.refund("A-1", RefundAmount::Total(1000)).await?;
//! assert_eq!((done.sent.len(), done.state.refunded), (1, 1000));
//! // Run twice, it refunds once.
//! assert!(money.refund("A-1", RefundAmount::Total(1000)).await?.sent.is_empty());
//! # Ok(()) }
//! # #[cfg(not(feature = "testing"))] fn main() {}
//! ```

use super::answer::OrderTransactions;
use super::client::{CallReport, Client, Transport};
use super::error::{ApiError, ErrorCode, OutcomeUnknown};
use super::lock::{acquire, Lease, LockError, LockPolicy, OrderLock, LEASE_MARGIN};
use super::request::{
    ApiCall, Cancel, CancelOrRefund, Credentials, OrderGet, ResolutionMode, Update, Validate,
};
use super::Operation;
use crate::protocol::lifecycle::{
    reconcile, OrderKey, OrderState, ReconcileError, TransactionEvent,
};
use crate::protocol::notification::OperationType;
use crate::protocol::rest_answer::RestTransaction;
use core::fmt;
use std::collections::BTreeSet;
use std::time::Duration;

/// How much to refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefundAmount {
    /// Everything that is left.
    All,
    /// `amount` more, given that `refunded_now` is given back now (refunded after
    /// capture, or taken off before it): refused ([`MoneyError::RefundedChanged`]) when
    /// the platform says otherwise — a retry of a refund that went through is then
    /// refused, not sent.
    More {
        /// Minor units to refund.
        amount: u64,
        /// What the caller believes is given back now.
        refunded_now: u64,
    },
    /// Make the order's given-back total this many minor units: sends the difference, or
    /// nothing when it is reached. Run twice, it refunds once.
    Total(u64),
}

/// One operation sent for the order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// The operation.
    pub operation: Operation,
    /// The transaction it acted on.
    pub uuid: String,
    /// The amount it asked for (refund, cancellation) or set (update), minor units.
    pub amount: Option<u64>,
    /// Whether its answer was lost (or the platform refused it as already done) and a
    /// read found it applied.
    pub found_applied: bool,
}

/// What was done: the operations sent (none when the intent was already met), and the
/// order's state as the platform shows it afterwards.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Settled {
    /// The operations sent, in order.
    pub sent: Vec<Sent>,
    /// The order, reconciled from the platform's transactions after them.
    pub state: OrderState,
    /// Those transactions.
    pub transactions: Vec<RestTransaction>,
}

/// Why an operation on an order was not made, or not completed.
#[derive(Debug)]
#[non_exhaustive]
pub enum MoneyError {
    /// A read or the operation failed (a refusal, a transport failure, a request refused
    /// before sending). Nothing more was sent.
    Api(ApiError),
    /// The order's lock could not be taken (`busy`: another operation on this order is in
    /// flight) or kept (`lock_lost`), or its storage failed: nothing was sent (or nothing
    /// more, for `lock_lost`).
    Lock(LockError),
    /// The order has no payment the operation applies to.
    NoPayment,
    /// Nothing is left to refund.
    NothingToRefund {
        /// Given back now, minor units.
        refunded: u64,
    },
    /// More was asked than is left.
    AboveRefundable {
        /// Asked, minor units.
        asked: u64,
        /// Left, minor units.
        left: u64,
    },
    /// [`RefundAmount::More`]: the given-back total is not what the caller said.
    RefundedChanged {
        /// What the caller said.
        expected: u64,
        /// What the platform shows.
        now: u64,
    },
    /// [`RefundAmount::Total`] below what is already given back.
    TotalBelowRefunded {
        /// The total asked.
        total: u64,
        /// Given back now.
        refunded: u64,
    },
    /// The payment's status forbids the operation (e.g. cancelling a captured payment,
    /// validating one that does not wait for it).
    StatusForbids {
        /// The operation.
        operation: Operation,
        /// The status, as the platform gives it.
        status: String,
    },
    /// The order's payments are in several currencies: amounts of different currencies
    /// are never added or refunded together. Nothing was sent.
    MixedCurrencies,
    /// The platform's answer holds a transaction of another shop or mode than the
    /// password's (`mixed_sites`, `mixed_modes`): it is not this order's, and nothing was
    /// sent.
    Scope(ReconcileError),
    /// An amount, or a sum of the order's amounts, does not fit in 64 bits: the
    /// platform's answer cannot be trusted as it is. Nothing was sent.
    AmountOverflow,
    /// An operation's answer was lost and the order, read again, does not show it
    /// applied: it may still be. Nothing was sent again.
    StillUnknown(OutcomeUnknown),
}

impl MoneyError {
    /// The stable code: the API error's, the lock's (`busy`, `lock_lost`,
    /// `lock_unavailable`), the scope's (`mixed_sites`, `mixed_modes`), or `no_payment`, `nothing_to_refund`,
    /// `amount_above_refundable`, `refunded_changed`, `total_below_refunded`,
    /// `status_forbids`, `mixed_currencies`, `amount_overflow`, `outcome_unknown`.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            MoneyError::Api(e) => e.code(),
            MoneyError::Lock(e) => e.code(),
            MoneyError::NoPayment => "no_payment",
            MoneyError::NothingToRefund { .. } => "nothing_to_refund",
            MoneyError::AboveRefundable { .. } => "amount_above_refundable",
            MoneyError::RefundedChanged { .. } => "refunded_changed",
            MoneyError::TotalBelowRefunded { .. } => "total_below_refunded",
            MoneyError::StatusForbids { .. } => "status_forbids",
            MoneyError::MixedCurrencies => "mixed_currencies",
            MoneyError::Scope(e) => e.code(),
            MoneyError::AmountOverflow => "amount_overflow",
            MoneyError::StillUnknown(_) => "outcome_unknown",
        }
    }

    /// Whether the money may have moved and nobody knows yet: read the order again (or
    /// look in the back office) before asking again.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, MoneyError::StillUnknown(_))
    }
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Api(e) => e.fmt(f),
            MoneyError::Lock(e) => e.fmt(f),
            MoneyError::Scope(e) => write!(f, "{e}; nothing was sent"),
            MoneyError::StillUnknown(u) => write!(
                f,
                "{u}; the order was read again and does not show it applied yet: it may still be, so nothing was sent again"
            ),
            other => {
                write!(f, "{}: ", other.code())?;
                match other {
                    MoneyError::NoPayment => {
                        f.write_str("the order has no payment this operation applies to; nothing was sent")
                    }
                    MoneyError::NothingToRefund { refunded } => write!(
                        f,
                        "nothing is left to refund ({refunded} refunded); nothing was sent"
                    ),
                    MoneyError::AboveRefundable { asked, left } => write!(
                        f,
                        "{asked} asked, {left} left to refund; nothing was sent"
                    ),
                    MoneyError::RefundedChanged { expected, now } => write!(
                        f,
                        "{now} is refunded, not {expected} (what was taken off before capture included): an earlier refund may have gone through; nothing was sent"
                    ),
                    MoneyError::TotalBelowRefunded { total, refunded } => write!(
                        f,
                        "{refunded} is already refunded, more than the total {total} asked; nothing was sent"
                    ),
                    MoneyError::StatusForbids { operation, status } => write!(
                        f,
                        "{} is not possible on a payment {status}; nothing was sent",
                        operation.name()
                    ),
                    MoneyError::MixedCurrencies => f.write_str(
                        "the order's payments are in several currencies: refund each in the back office; nothing was sent",
                    ),
                    MoneyError::AmountOverflow => f.write_str(
                        "the order's amounts add up to more than 64 bits hold: look at it in the back office; nothing was sent",
                    ),
                    MoneyError::Api(_)
                    | MoneyError::Lock(_)
                    | MoneyError::Scope(_)
                    | MoneyError::StillUnknown(_) => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for MoneyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MoneyError::Lock(e) => e.source(),
            _ => None,
        }
    }
}

impl From<ApiError> for MoneyError {
    fn from(e: ApiError) -> Self {
        MoneyError::Api(e)
    }
}

impl From<LockError> for MoneyError {
    fn from(e: LockError) -> Self {
        MoneyError::Lock(e)
    }
}

fn status(t: &RestTransaction) -> &str {
    t.detailed_status.as_deref().unwrap_or("")
}

fn is_debit(t: &RestTransaction) -> bool {
    t.operation_type.as_deref() == Some("DEBIT")
}

fn is_credit(t: &RestTransaction) -> bool {
    t.operation_type.as_deref() == Some("CREDIT")
}

const NOT_CAPTURED: [&str; 4] = [
    "AUTHORISED",
    "AUTHORISED_TO_VALIDATE",
    "WAITING_AUTHORISATION",
    "WAITING_AUTHORISATION_TO_VALIDATE",
];

/// A payment that still holds money: captured, or authorised and not captured yet.
fn holds_money(t: &RestTransaction) -> bool {
    is_debit(t) && (status(t) == "CAPTURED" || NOT_CAPTURED.contains(&status(t)))
}

fn parent_of(t: &RestTransaction) -> Option<&str> {
    t.transaction_details
        .as_ref()?
        .parent_transaction_uuid
        .as_deref()
}

/// What has been given back of a payment: refunded (`captureResponse.refundAmount`, or
/// its `CREDIT`s when the platform gives no such amount) and, for the order's only
/// payment, what `Transaction/Update` took off before capture — the same *lowered* as
/// [`crate::lifecycle::OrderState::lowered`], from the same event field
/// ([`crate::lifecycle::TransactionEvent::initial_amount`]). `None` when a sum overflows.
fn refunded_of(t: &RestTransaction, all: &[RestTransaction]) -> Option<u64> {
    let lowered = if all.iter().filter(|p| holds_money(p)).count() == 1 {
        let event = t.to_event(None);
        event
            .initial_amount
            .zip(event.amount)
            .map_or(0, |(initial, amount)| initial.saturating_sub(amount))
    } else {
        0
    };
    refunded_after_capture(t, all)?.checked_add(lowered)
}

/// What was refunded of a captured payment (nothing for one not captured).
fn refunded_after_capture(t: &RestTransaction, all: &[RestTransaction]) -> Option<u64> {
    if status(t) == "CAPTURED" {
        let stated = t
            .transaction_details
            .as_ref()
            .and_then(|d| d.card_details.as_ref())
            .and_then(|c| c.capture_response.as_ref())
            .and_then(|r| r.refund_amount);
        match stated {
            Some(r) => Some(r),
            None => all
                .iter()
                .filter(|c| is_credit(c) && parent_of(c) == t.uuid.as_deref())
                .try_fold(0u64, |sum, c| sum.checked_add(c.amount.unwrap_or(0))),
        }
    } else {
        Some(0)
    }
}

/// What is left to refund of a payment.
fn left_of(t: &RestTransaction, all: &[RestTransaction]) -> Option<u64> {
    if !holds_money(t) {
        return Some(0);
    }
    let amount = t.amount.unwrap_or(0);
    Some(amount.saturating_sub(refunded_after_capture(t, all)?))
}

/// The payments of an order, newest first (the plugins' order for installments).
fn payments(all: &[RestTransaction]) -> Vec<&RestTransaction> {
    let mut p: Vec<&RestTransaction> = all.iter().filter(|t| is_debit(t)).collect();
    p.sort_by(|a, b| b.creation_date.cmp(&a.creation_date));
    p
}

/// What the order's payments hold, checked: one currency for every payment that holds
/// money or was given back, and sums that fit in 64 bits.
struct Totals {
    /// Given back (refunded after capture, taken off before it).
    refunded: u64,
    /// Left to refund.
    left: u64,
}

fn totals(pays: &[&RestTransaction], all: &[RestTransaction]) -> Result<Totals, MoneyError> {
    let mut refunded = 0u64;
    let mut left = 0u64;
    let mut currencies = BTreeSet::new();
    for t in pays {
        let r = refunded_of(t, all).ok_or(MoneyError::AmountOverflow)?;
        let l = left_of(t, all).ok_or(MoneyError::AmountOverflow)?;
        if r > 0 || l > 0 {
            currencies.insert(t.currency.as_deref().unwrap_or(""));
        }
        refunded = refunded.checked_add(r).ok_or(MoneyError::AmountOverflow)?;
        left = left.checked_add(l).ok_or(MoneyError::AmountOverflow)?;
    }
    for credit in all.iter().filter(|t| is_credit(t)) {
        currencies.insert(credit.currency.as_deref().unwrap_or(""));
    }
    if currencies.len() > 1 {
        return Err(MoneyError::MixedCurrencies);
    }
    Ok(Totals { refunded, left })
}

/// The order's transactions: `Order/Get`, or on `PSP_015` (more than 30) its `DEBIT` and
/// `CREDIT` transactions asked apart. A read takes no lock.
///
/// # Errors
/// [`ApiError`].
pub async fn read_order<T: Transport>(
    client: &Client<T>,
    order_id: &str,
) -> Result<Vec<RestTransaction>, ApiError> {
    let mut log = Vec::new();
    read_logged(client, &mut log, order_id).await
}

/// A call, its report kept in `log`.
async fn logged<T: Transport, C: ApiCall>(
    client: &Client<T>,
    log: &mut Vec<CallReport>,
    call: &C,
) -> Result<C::Answer, ApiError> {
    let (result, report) = client.call_with_report(call).await;
    log.push(report);
    result
}

/// [`read_order`], each call's report pushed to `log`.
/// Whether every transaction the platform answered is the credentials' shop's and mode's
/// (a transaction that names neither is taken as theirs): else the scope error, before
/// anything is decided from it.
pub(crate) fn in_scope(
    credentials: &Credentials,
    transactions: &[RestTransaction],
) -> Result<(), ReconcileError> {
    for t in transactions {
        if t.shop_id
            .as_deref()
            .is_some_and(|s| s != credentials.site_id())
        {
            return Err(ReconcileError::MixedSites);
        }
        let mode = t.order_details.as_ref().and_then(|d| d.mode.as_deref());
        if mode.is_some_and(|m| m != credentials.mode().as_str()) {
            return Err(ReconcileError::MixedModes);
        }
    }
    Ok(())
}

/// The events of order `order_id`'s transactions, each scoped to the credentials' shop and
/// mode where the platform's answer does not name them.
pub(crate) fn events_of(
    credentials: &Credentials,
    order_id: &str,
    transactions: &[RestTransaction],
) -> Vec<TransactionEvent> {
    transactions
        .iter()
        .map(|t| {
            t.to_event(Some(order_id))
                .or_scope(credentials.site_id(), credentials.mode())
        })
        .collect()
}

pub(crate) async fn read_logged<T: Transport>(
    client: &Client<T>,
    log: &mut Vec<CallReport>,
    order_id: &str,
) -> Result<Vec<RestTransaction>, ApiError> {
    match logged(client, log, &OrderGet::new(order_id)).await {
        Ok(OrderTransactions { transactions, .. }) => Ok(transactions),
        Err(ApiError::Refused(e)) if e.kind() == ErrorCode::Psp015 => {
            let mut all = Vec::new();
            for operation in [OperationType::Debit, OperationType::Credit] {
                let mut call = OrderGet::new(order_id);
                call.operation_type = Some(operation);
                all.extend(logged(client, log, &call).await?.transactions);
            }
            Ok(all)
        }
        Err(e) => Err(e),
    }
}

/// Refund, cancel and validate orders once, under the order's lock (see the module).
///
/// `lock` is what every process that may move this shop's money shares: `vads-store`'s
/// `Store` for several instances, [`super::lock::LocalLocks`] for one process.
#[derive(Debug)]
pub struct Money<'a, T, L> {
    client: &'a Client<T>,
    lock: &'a L,
    policy: LockPolicy,
}

impl<'a, T: Transport, L: OrderLock> Money<'a, T, L> {
    /// Operations with `client`, under `lock`, with [`LockPolicy::default`].
    #[must_use]
    pub fn new(client: &'a Client<T>, lock: &'a L) -> Money<'a, T, L> {
        Money {
            client,
            lock,
            policy: LockPolicy::default(),
        }
    }

    /// The same, waiting and leasing as `policy` says.
    #[must_use]
    pub fn with_policy(mut self, policy: LockPolicy) -> Money<'a, T, L> {
        self.policy = policy;
        self
    }

    /// The order's key: the client's shop and mode (the password chooses the mode).
    #[must_use]
    pub fn key(&self, order_id: &str) -> OrderKey {
        let c = self.client.credentials();
        OrderKey::new(c.site_id(), c.mode(), order_id)
    }

    /// Refunds `amount` of order `order_id` (see the module's rules): captured payments
    /// get `CancelOrRefund` `REFUND_ONLY`; a payment not captured yet is cancelled
    /// (`CANCELLATION_ONLY`) when all of it goes, else lowered (`Transaction/Update`).
    /// Newest payment first.
    ///
    /// # Errors
    /// [`MoneyError`]; nothing is sent when the read already shows a reason to refuse, or
    /// when the lock cannot be taken.
    pub async fn refund(
        &self,
        order_id: &str,
        amount: RefundAmount,
    ) -> Result<Settled, MoneyError> {
        self.refund_logged(order_id, amount, &mut Vec::new()).await
    }

    /// As [`Money::refund`], with the report of every call made (reads included) pushed
    /// to `calls`, whatever the result.
    ///
    /// # Errors
    /// As [`Money::refund`].
    pub async fn refund_logged(
        &self,
        order_id: &str,
        amount: RefundAmount,
        calls: &mut Vec<CallReport>,
    ) -> Result<Settled, MoneyError> {
        let mut held = self.begin(order_id, calls).await?;
        let result = held.refund(amount).await;
        held.end().await;
        result
    }

    /// Cancels the payments of order `order_id` that are not captured yet
    /// (`Transaction/Cancel`). Already cancelled: nothing is sent, and it succeeds.
    /// Captured: refused (refund it instead).
    ///
    /// # Errors
    /// [`MoneyError`].
    pub async fn cancel(&self, order_id: &str) -> Result<Settled, MoneyError> {
        self.cancel_logged(order_id, &mut Vec::new()).await
    }

    /// As [`Money::cancel`], with the report of every call made pushed to `calls`.
    ///
    /// # Errors
    /// As [`Money::cancel`].
    pub async fn cancel_logged(
        &self,
        order_id: &str,
        calls: &mut Vec<CallReport>,
    ) -> Result<Settled, MoneyError> {
        let mut held = self.begin(order_id, calls).await?;
        let result = held
            .on_each(Operation::Cancel, &NOT_CAPTURED, &["CANCELLED"])
            .await;
        held.end().await;
        result
    }

    /// Validates the payments of order `order_id` that wait for it
    /// (`Transaction/Validate`). Already validated: nothing is sent, and it succeeds.
    ///
    /// # Errors
    /// [`MoneyError`].
    pub async fn validate(&self, order_id: &str) -> Result<Settled, MoneyError> {
        self.validate_logged(order_id, &mut Vec::new()).await
    }

    /// As [`Money::validate`], with the report of every call made pushed to `calls`.
    ///
    /// # Errors
    /// As [`Money::validate`].
    pub async fn validate_logged(
        &self,
        order_id: &str,
        calls: &mut Vec<CallReport>,
    ) -> Result<Settled, MoneyError> {
        let mut held = self.begin(order_id, calls).await?;
        let result = held
            .on_each(
                Operation::Validate,
                &[
                    "AUTHORISED_TO_VALIDATE",
                    "WAITING_AUTHORISATION_TO_VALIDATE",
                ],
                &["AUTHORISED", "WAITING_AUTHORISATION", "CAPTURED"],
            )
            .await;
        held.end().await;
        result
    }

    /// Takes the order's lock (waiting at most [`LockPolicy::wait`]).
    async fn begin<'c>(
        &self,
        order_id: &str,
        log: &'c mut Vec<CallReport>,
    ) -> Result<Held<'a, 'c, T, L>, MoneyError> {
        let key = self.key(order_id);
        // A lease outlives any one call: renewed before each, it covers the whole of it.
        let lease_for = self
            .policy
            .lease
            .max(self.client.config().call_timeout + LEASE_MARGIN);
        let lease = acquire(
            self.lock,
            &key,
            &self.policy,
            lease_for,
            self.client.transport(),
        )
        .await?;
        Ok(Held {
            client: self.client,
            lock: self.lock,
            lease,
            lease_for,
            order_id: order_id.to_owned(),
            log,
        })
    }
}

/// An order whose lock is held: every call renews the lease first (a holder whose lease
/// was taken over sends nothing more).
struct Held<'a, 'c, T, L> {
    client: &'a Client<T>,
    lock: &'a L,
    lease: Lease,
    lease_for: Duration,
    order_id: String,
    log: &'c mut Vec<CallReport>,
}

impl<T: Transport, L: OrderLock> Held<'_, '_, T, L> {
    /// Gives the lock back. A failure is not an error of the operation: the lease ends
    /// on its own.
    async fn end(self) {
        let _ = self.lock.release(&self.lease).await;
    }

    async fn renew(&mut self) -> Result<(), MoneyError> {
        self.lock.renew(&self.lease, self.lease_for).await?;
        Ok(())
    }

    /// One call, after renewing the lease.
    async fn call<C: ApiCall>(&mut self, call: &C) -> Result<C::Answer, MoneyError> {
        self.renew().await?;
        Ok(logged(self.client, self.log, call).await?)
    }

    /// The order read, after renewing the lease. A transaction of another shop or mode
    /// than the password's is refused: it is not this order's.
    async fn read(&mut self) -> Result<Vec<RestTransaction>, MoneyError> {
        self.renew().await?;
        let all = read_logged(self.client, self.log, &self.order_id).await?;
        in_scope(self.client.credentials(), &all).map_err(MoneyError::Scope)?;
        Ok(all)
    }

    fn settled(
        &self,
        sent: Vec<Sent>,
        transactions: Vec<RestTransaction>,
    ) -> Result<Settled, MoneyError> {
        let events = events_of(self.client.credentials(), &self.order_id, &transactions);
        // `read` refused an answer that names another shop or mode than the password's.
        let mut state = reconcile(events, None).map_err(MoneyError::Scope)?;
        state.order_id = Some(self.order_id.clone());
        Ok(Settled {
            sent,
            state,
            transactions,
        })
    }

    /// What a money-moving call's failure means: `Ok(())` when the order, read again,
    /// shows *this* call applied (its answer was lost, or the platform says it is already
    /// done or not possible now: `PSP_104`, `PSP_105`, `PSP_011`); else the error —
    /// [`MoneyError::StillUnknown`] for a lost answer not visible yet. Nothing is ever sent
    /// again here.
    async fn resolve(
        &mut self,
        error: MoneyError,
        applied: impl Fn(&[RestTransaction]) -> bool,
    ) -> Result<(), MoneyError> {
        let unknown = match &error {
            MoneyError::Api(ApiError::OutcomeUnknown(u)) => Some(u.clone()),
            MoneyError::Api(ApiError::Refused(e))
                if matches!(
                    e.kind(),
                    ErrorCode::Psp104 | ErrorCode::Psp105 | ErrorCode::Psp011
                ) =>
            {
                None
            }
            _ => return Err(error),
        };
        let now = self.read().await?;
        if applied(&now) {
            return Ok(());
        }
        match unknown {
            Some(u) => Err(MoneyError::StillUnknown(u)),
            None => Err(error),
        }
    }

    async fn refund(&mut self, amount: RefundAmount) -> Result<Settled, MoneyError> {
        let before = self.read().await?;
        let pays = payments(&before);
        let Totals { refunded, left } = totals(&pays, &before)?;
        // A payment that was paid once (cancelled or refunded since) leaves nothing to
        // refund; an order that never had one has no payment.
        let ever_paid =
            |t: &&RestTransaction| holds_money(t) || matches!(status(t), "CANCELLED" | "CAPTURED");
        if !pays.iter().any(ever_paid) && refunded == 0 {
            return Err(MoneyError::NoPayment);
        }
        let wanted = match amount {
            RefundAmount::All => left,
            RefundAmount::More {
                amount,
                refunded_now,
            } => {
                if refunded_now != refunded {
                    return Err(MoneyError::RefundedChanged {
                        expected: refunded_now,
                        now: refunded,
                    });
                }
                amount
            }
            RefundAmount::Total(total) => {
                if total < refunded {
                    return Err(MoneyError::TotalBelowRefunded { total, refunded });
                }
                if total == refunded {
                    return self.settled(Vec::new(), before);
                }
                total - refunded
            }
        };
        if wanted == 0 || left == 0 {
            return Err(MoneyError::NothingToRefund { refunded });
        }
        if wanted > left {
            return Err(MoneyError::AboveRefundable {
                asked: wanted,
                left,
            });
        }
        let mut sent = Vec::new();
        let mut remaining = wanted;
        let mut plan = Vec::new();
        for t in &pays {
            let l = left_of(t, &before).ok_or(MoneyError::AmountOverflow)?;
            if l > 0 {
                plan.push(((*t).clone(), l));
            }
        }
        for (t, left) in plan {
            if remaining == 0 {
                break;
            }
            let x = remaining.min(left);
            let step = Step::of(&t, x, &before);
            let found_applied = match self.send(&step).await {
                Ok(()) => false,
                Err(error) => {
                    self.resolve(error, |now| step.applied(now)).await?;
                    true
                }
            };
            sent.push(Sent {
                operation: step.operation(),
                uuid: step.uuid.clone(),
                amount: Some(step.amount),
                found_applied,
            });
            remaining -= x;
        }
        let after = self.read().await?;
        self.settled(sent, after)
    }

    async fn send(&mut self, step: &Step) -> Result<(), MoneyError> {
        let (u, a, c) = (&step.uuid, step.amount, &step.currency);
        match step.kind {
            StepKind::Refund => {
                let call = CancelOrRefund::new(u, a, c, ResolutionMode::RefundOnly);
                self.call(&call).await.map(|_| ())
            }
            StepKind::CancelWhole => {
                let call = CancelOrRefund::new(u, a, c, ResolutionMode::CancellationOnly);
                self.call(&call).await.map(|_| ())
            }
            StepKind::Lower => self.call(&Update::new(u, a, c)).await.map(|_| ()),
        }
    }

    /// `operation` on each payment in one of the `from` statuses; none, and one already
    /// in a `done` status: nothing to do, and the intent is met.
    async fn on_each(
        &mut self,
        operation: Operation,
        from: &[&str],
        done: &[&str],
    ) -> Result<Settled, MoneyError> {
        let before = self.read().await?;
        let pays = payments(&before);
        let targets: Vec<String> = pays
            .iter()
            .filter(|t| from.contains(&status(t)))
            .filter_map(|t| t.uuid.clone())
            .collect();
        if targets.is_empty() {
            return match pays.first() {
                None => Err(MoneyError::NoPayment),
                Some(_) if pays.iter().any(|t| done.contains(&status(t))) => {
                    self.settled(Vec::new(), before)
                }
                Some(t) => Err(MoneyError::StatusForbids {
                    operation,
                    status: status(t).to_owned(),
                }),
            };
        }
        let mut sent = Vec::new();
        for uuid in targets {
            let result = match operation {
                Operation::Cancel => self.call(&Cancel::new(&uuid)).await.map(|_| ()),
                _ => self.call(&Validate::new(&uuid)).await.map(|_| ()),
            };
            let found_applied = match result {
                Ok(()) => false,
                Err(error) => {
                    let check = uuid.clone();
                    self.resolve(error, |now: &[RestTransaction]| {
                        now.iter().any(|p| {
                            p.uuid.as_deref() == Some(check.as_str()) && done.contains(&status(p))
                        })
                    })
                    .await?;
                    true
                }
            };
            sent.push(Sent {
                operation,
                uuid,
                amount: None,
                found_applied,
            });
        }
        let after = self.read().await?;
        self.settled(sent, after)
    }
}

/// How far the platform's clock may be behind the shop's when a refund's creation date
/// is compared with the time it was sent.
const CLOCK_SKEW: u64 = 300;

/// One money-moving call of a refund, and how to recognise it applied.
struct Step {
    kind: StepKind,
    uuid: String,
    currency: String,
    /// Refunded or cancelled (`Refund`, `CancelWhole`), or the new amount (`Lower`).
    amount: u64,
    /// For `Refund`: the order's `CREDIT` uuids before the send, and when it was sent
    /// (seconds since the Unix epoch).
    credits_before: Vec<String>,
    sent_at: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StepKind {
    /// A captured payment: `CancelOrRefund` `REFUND_ONLY`.
    Refund,
    /// All of a payment not captured: `CancelOrRefund` `CANCELLATION_ONLY`.
    CancelWhole,
    /// Part of a payment not captured: `Transaction/Update` down.
    Lower,
}

impl Step {
    fn of(t: &RestTransaction, x: u64, before: &[RestTransaction]) -> Step {
        let amount_now = t.amount.unwrap_or(0);
        let (kind, amount) = if status(t) == "CAPTURED" {
            (StepKind::Refund, x)
        } else if x == amount_now {
            (StepKind::CancelWhole, x)
        } else {
            (StepKind::Lower, amount_now - x)
        };
        Step {
            kind,
            uuid: t.uuid.clone().unwrap_or_default(),
            currency: t.currency.clone().unwrap_or_default(),
            amount,
            credits_before: before
                .iter()
                .filter(|c| is_credit(c))
                .filter_map(|c| c.uuid.clone())
                .collect(),
            sent_at: crate::protocol::time::unix_now(),
        }
    }

    fn operation(&self) -> Operation {
        match self.kind {
            StepKind::Refund | StepKind::CancelWhole => Operation::CancelOrRefund,
            StepKind::Lower => Operation::Update,
        }
    }

    /// Whether `now` (the order read again) shows this step applied — only an effect this
    /// call could have made: for a refund, a `CREDIT` of this payment, of exactly the
    /// amount asked, that was not there before the send and was not created before it;
    /// the payment cancelled; its amount lowered to exactly the amount set.
    fn applied(&self, now: &[RestTransaction]) -> bool {
        let payment = now
            .iter()
            .find(|p| p.uuid.as_deref() == Some(self.uuid.as_str()));
        match self.kind {
            StepKind::Refund => now.iter().any(|c| {
                is_credit(c)
                    && c.amount == Some(self.amount)
                    && parent_of(c) == Some(self.uuid.as_str())
                    && c.uuid
                        .as_ref()
                        .is_some_and(|u| !self.credits_before.contains(u))
                    && c.created_unix()
                        .is_some_and(|at| at + CLOCK_SKEW >= self.sent_at)
            }),
            StepKind::CancelWhole => payment.is_some_and(|p| status(p) == "CANCELLED"),
            StepKind::Lower => payment.is_some_and(|p| p.amount == Some(self.amount)),
        }
    }
}
