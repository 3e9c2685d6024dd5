//! What notifications mean for an order: each transaction's lifecycle as a merge, and the
//! order's state reconciled from all its transactions.
//!
//! A notification is an event about one transaction (`vads_trans_uuid`; without one, its
//! site id, date and `vads_trans_id`). The platform may deliver an event several times
//! (automatic `RETRY`, back-office replay) and in any order, so nothing here depends on
//! arrival: a transaction's state is a **merge** of its events that is commutative,
//! associative and idempotent, and an order's state is a function of the **set** of its
//! verified events.
//!
//! - Final statuses (`CAPTURED`, `CANCELLED`, `REFUSED`, `EXPIRED`, `ACCEPTED`,
//!   `ABANDONED`, `NOT_CREATED`) never move; the others only move forward
//!   (`WAITING_AUTHORISATION` → `AUTHORISED_TO_VALIDATE` → `AUTHORISED` → `CAPTURED`,
//!   see [`TransStatus::rank`]). Two different final statuses are a conflict: a human must
//!   look.
//! - A refund is its own `CREDIT` transaction: it is never paid.
//!
//! The types are serde so that a shop can keep the events in its own database and
//! recompute the state whenever one more arrives:
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use vads::lifecycle::{reconcile, OrderOutcome, TransactionEvent};
//! use vads::testing::NotificationBuilder;
//! use vads::{Mode, OperationType, SecretString, Shop, ShopConfig, TransStatus};
//! let mut config = ShopConfig::new("12345678", Mode::Test);
//! config.test_key = Some(SecretString::new("1122334455667788".into()));
//! let shop = Shop::new(config)?;
//!
//! // A payment of 50.00 EUR, then a refund of 20.00 EUR (a CREDIT, its own uuid).
//! let paid = NotificationBuilder::new(&shop).order_id("A-1").amount(5000)
//!     .trans_uuid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").status(TransStatus::Captured).body()?;
//! let refund = NotificationBuilder::new(&shop).order_id("A-1").amount(2000)
//!     .trans_uuid("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").status(TransStatus::Captured)
//!     .field("vads_operation_type", "CREDIT").body()?;
//!
//! // Store events as they are verified (here, in any order, one twice)...
//! let mut stored = Vec::new();
//! for body in [&refund, &paid, &refund] {
//!     stored.push(TransactionEvent::from_notification(&shop.verify(body.as_bytes())?));
//! }
//! // ...and recompute the order from all of them.
//! let order = reconcile(stored, None)?;
//! assert_eq!(order.outcome, OrderOutcome::PartiallyRefunded);
//! assert_eq!((order.paid, order.refunded), (5000, 2000));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::protocol::mode::Mode;
use crate::protocol::notification::{Notification, OperationType, Outcome, TransStatus};
use std::collections::{BTreeMap, BTreeSet};

/// One verified notification, reduced to the facts reconciliation needs: owned, serde,
/// with the platform's raw texts (so unknown values stay distinct). `Default` gives an
/// event with nothing known, to fill with `..TransactionEvent::default()`.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct TransactionEvent {
    /// The shop (`vads_site_id`, a REST answer's `shopId`): events of different shops are
    /// never merged ([`reconcile`] refuses them).
    #[serde(default)]
    pub site_id: Option<String>,
    /// The mode the event happened in (`vads_ctx_mode`, a REST answer's
    /// `orderDetails.mode`, the mode of the password that read it): a TEST event never
    /// changes a PRODUCTION order ([`reconcile`] refuses to merge them).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The transaction: `vads_trans_uuid`, or `SITE-DATE-transid` without one.
    pub transaction: String,
    /// `vads_order_id`.
    pub order_id: Option<String>,
    /// `vads_trans_uuid`.
    pub trans_uuid: Option<String>,
    /// `vads_trans_id`.
    pub trans_id: Option<String>,
    /// `vads_trans_date`.
    pub trans_date: Option<String>,
    /// `vads_operation_type` (`DEBIT`, `CREDIT`, `VERIFICATION`), as received.
    pub operation_type: Option<String>,
    /// `vads_trans_status`, as received.
    pub trans_status: Option<String>,
    /// `vads_amount` in minor units, when it is digits.
    pub amount: Option<u64>,
    /// `vads_currency`, the ISO 4217 numeric code as received (`978`).
    pub currency: Option<String>,
    /// The amount the payment was created with, when the platform says it beside a
    /// lowered one (a REST answer's `orderDetails.orderTotalAmount` for a `DEBIT`): a
    /// payment lowered before capture (`Transaction/Update`) is then read as *lowered*,
    /// not as another amount. Unconfirmed platform behaviour (protocol section 8).
    #[serde(default)]
    pub initial_amount: Option<u64>,
}

impl TransactionEvent {
    /// The key to record this event once: `TRANSACTION|trans_status|operation_type`, the
    /// same as [`Notification::idempotency_key`] for the notification it came from, and
    /// the same for the same event delivered again in either format (a REST answer's
    /// transaction and its `vads_*` twin).
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use vads::lifecycle::TransactionEvent;
    /// use vads::testing::NotificationBuilder;
    /// let mut config = vads::ShopConfig::new("12345678", vads::Mode::Test);
    /// config.test_key = Some(vads::SecretString::new("1122334455667788".into()));
    /// let shop = vads::Shop::new(config).unwrap();
    /// let body = NotificationBuilder::new(&shop).body().unwrap();
    /// let n = shop.verify(body.as_bytes()).unwrap();
    /// assert_eq!(TransactionEvent::from_notification(&n).idempotency_key(), n.idempotency_key());
    /// # }
    /// ```
    #[must_use]
    pub fn idempotency_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.transaction,
            self.trans_status.as_deref().unwrap_or_default(),
            self.operation_type.as_deref().unwrap_or_default()
        )
    }

    /// The event with `site_id` and `mode` where it has none: for what the platform
    /// answered to a password of that shop and mode (an API answer that does not name its
    /// mode is that password's).
    #[must_use]
    pub fn or_scope(mut self, site_id: &str, mode: Mode) -> TransactionEvent {
        if self.site_id.is_none() {
            self.site_id = Some(site_id.to_owned());
        }
        if self.mode.is_none() {
            self.mode = Some(mode);
        }
        self
    }

    /// The event of a verified notification.
    #[must_use]
    pub fn from_notification(n: &Notification<'_>) -> TransactionEvent {
        let text = |name: &str| n.get(name).map(std::borrow::Cow::into_owned);
        TransactionEvent {
            site_id: Some(n.site_id().into_owned()),
            mode: Some(n.mode()),
            transaction: n.transaction_id(),
            order_id: text("vads_order_id"),
            trans_uuid: text("vads_trans_uuid"),
            trans_id: text("vads_trans_id"),
            trans_date: text("vads_trans_date"),
            operation_type: text("vads_operation_type"),
            trans_status: text("vads_trans_status"),
            amount: n.amount().ok(),
            currency: text("vads_currency"),
            initial_amount: None,
        }
    }
}

/// An order's identity: (site id, mode, order id). A TEST order and a PRODUCTION order of
/// the same id are two orders; so are two shops' orders of the same id (protocol section
/// 10, "Modes apart").
///
/// ```
/// use vads::lifecycle::OrderKey;
/// use vads::Mode;
/// let test = OrderKey::new("12345678", Mode::Test, "A-1");
/// let live = OrderKey::new("12345678", Mode::Production, "A-1");
/// assert_ne!(test, live);
/// assert_eq!(live.to_string(), "12345678/PRODUCTION/A-1");
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct OrderKey {
    /// The shop id (8 digits).
    pub site_id: String,
    /// The mode.
    pub mode: Mode,
    /// The shop's order reference.
    pub order_id: String,
}

impl OrderKey {
    /// The key of order `order_id` of shop `site_id` in `mode`.
    #[must_use]
    pub fn new(site_id: impl Into<String>, mode: Mode, order_id: impl Into<String>) -> OrderKey {
        OrderKey {
            site_id: site_id.into(),
            mode,
            order_id: order_id.into(),
        }
    }

    /// The order an event belongs to: `None` when it lacks its site id, its mode or its
    /// order id.
    #[must_use]
    pub fn of(event: &TransactionEvent) -> Option<OrderKey> {
        Some(OrderKey {
            site_id: event.site_id.clone()?,
            mode: event.mode?,
            order_id: event.order_id.clone()?,
        })
    }
}

impl core::fmt::Display for OrderKey {
    /// `SITE/MODE/ORDER`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}/{}", self.site_id, self.mode, self.order_id)
    }
}

/// Why events cannot be reconciled into one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// The events belong to different shops (`site_id`).
    #[error("mixed_sites: the events belong to different shops; reconcile each shop's apart")]
    MixedSites,
    /// The events belong to different modes: a TEST event never counts for a PRODUCTION
    /// order.
    #[error("mixed_modes: the events mix TEST and PRODUCTION (or an event without a mode); reconcile each mode apart")]
    MixedModes,
}

impl ReconcileError {
    /// The stable code: `mixed_sites` or `mixed_modes`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            ReconcileError::MixedSites => "mixed_sites",
            ReconcileError::MixedModes => "mixed_modes",
        }
    }
}

/// A fact every event of a transaction should agree on (amount, currency, operation):
/// unset, one value, or a conflict. Merging is a flat lattice, so it is commutative,
/// associative and idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreed<T> {
    /// No event said.
    #[default]
    Unset,
    /// Every event that said agrees.
    Value(T),
    /// Two events disagree.
    Conflict,
}

impl<T: PartialEq> Agreed<T> {
    fn merge(self, other: Agreed<T>) -> Agreed<T> {
        match (self, other) {
            (Agreed::Unset, x) | (x, Agreed::Unset) => x,
            (Agreed::Value(a), Agreed::Value(b)) if a == b => Agreed::Value(a),
            _ => Agreed::Conflict,
        }
    }

    fn of(value: Option<T>) -> Agreed<T> {
        value.map_or(Agreed::Unset, Agreed::Value)
    }

    /// The agreed value, if any.
    #[must_use]
    pub fn value(&self) -> Option<&T> {
        match self {
            Agreed::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// The statuses seen for one transaction, merged: the furthest non-final status, the
/// final statuses, and the unknown ones. A join-semilattice (max × union × union).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StatusState {
    /// The furthest non-final status seen ([`TransStatus::rank`], then name).
    pub progress: Option<String>,
    /// Every final status seen (more than one is a conflict).
    pub finals: BTreeSet<String>,
    /// Statuses this version of `vads` does not know (never paid).
    pub unknown: BTreeSet<String>,
}

/// Where a transaction stands after merging its statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merged {
    /// No status was received.
    None,
    /// One status stands.
    Status(TransStatus),
    /// Two different final statuses: a human must look.
    Conflict,
}

impl StatusState {
    /// The state of one status text.
    #[must_use]
    pub fn of(status: &str) -> StatusState {
        let mut state = StatusState::default();
        let parsed = TransStatus::parse(status);
        if parsed == TransStatus::Unknown {
            state.unknown.insert(status.to_owned());
        } else if parsed.is_final() {
            state.finals.insert(status.to_owned());
        } else {
            state.progress = Some(status.to_owned());
        }
        state
    }

    /// Merges two states: commutative, associative and idempotent.
    ///
    /// ```
    /// use vads::lifecycle::{Merged, StatusState};
    /// use vads::TransStatus;
    /// let a = StatusState::of("AUTHORISED").merge(StatusState::of("CANCELLED"));
    /// let b = StatusState::of("CANCELLED").merge(StatusState::of("AUTHORISED"));
    /// assert_eq!(a, b);
    /// assert_eq!(a.merged(), Merged::Status(TransStatus::Cancelled));
    /// ```
    #[must_use]
    pub fn merge(mut self, other: StatusState) -> StatusState {
        self.progress = match (self.progress, other.progress) {
            (Some(a), Some(b)) => {
                let key = |s: &String| (TransStatus::parse(s).rank(), s.clone());
                Some(if key(&a) >= key(&b) { a } else { b })
            }
            (a, b) => a.or(b),
        };
        self.finals.extend(other.finals);
        self.unknown.extend(other.unknown);
        self
    }

    /// The status that stands: a final one if exactly one was seen, a conflict if
    /// several, else the furthest non-final one.
    #[must_use]
    pub fn merged(&self) -> Merged {
        let mut finals = self.finals.iter();
        match (finals.next(), finals.next()) {
            (Some(_), Some(_)) => Merged::Conflict,
            (Some(only), None) => Merged::Status(TransStatus::parse(only)),
            (None, _) => self
                .progress
                .as_deref()
                .map_or(Merged::None, |s| Merged::Status(TransStatus::parse(s))),
        }
    }
}

/// One transaction, merged from all its events.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transaction {
    /// The transaction's id (see [`TransactionEvent::transaction`]).
    pub id: String,
    /// `vads_trans_uuid`.
    pub trans_uuid: Agreed<String>,
    /// `vads_trans_id`.
    pub trans_id: Agreed<String>,
    /// `vads_order_id`.
    pub order_id: Agreed<String>,
    /// `vads_operation_type`.
    pub operation_type: Agreed<String>,
    /// `vads_amount`, minor units: the one amount the events agree on; or, for a payment
    /// lowered before capture, the lowest of its amounts when an event states the
    /// initial one and no amount exceeds it (the amount only goes down).
    pub amount: Agreed<u64>,
    /// Every amount an event gave (what [`Transaction::amount`] is derived from).
    #[serde(default)]
    pub amounts: BTreeSet<u64>,
    /// The amount the payment was created with, when an event stated it.
    #[serde(default)]
    pub initial_amount: Agreed<u64>,
    /// `vads_currency`, ISO 4217 numeric.
    pub currency: Agreed<String>,
    /// The merged statuses.
    pub status: StatusState,
}

/// The amount that stands among `amounts`: the only one; or, below a stated initial
/// amount that none exceeds, the lowest (a payment lowered, once or more); else a
/// conflict.
fn standing_amount(amounts: &BTreeSet<u64>, initial: &Agreed<u64>) -> Agreed<u64> {
    let mut all = amounts.iter();
    match (all.next(), amounts.len()) {
        (None, _) => Agreed::Unset,
        (Some(only), 1) => Agreed::Value(*only),
        (Some(lowest), _) => match initial {
            Agreed::Value(i) if amounts.iter().all(|a| a <= i) => Agreed::Value(*lowest),
            _ => Agreed::Conflict,
        },
    }
}

impl Transaction {
    /// The transaction of one event.
    #[must_use]
    pub fn of(event: TransactionEvent) -> Transaction {
        Transaction {
            id: event.transaction,
            trans_uuid: Agreed::of(event.trans_uuid),
            trans_id: Agreed::of(event.trans_id.map(|t| t.to_ascii_lowercase())),
            order_id: Agreed::of(event.order_id),
            operation_type: Agreed::of(event.operation_type),
            amount: Agreed::of(event.amount),
            amounts: event.amount.into_iter().collect(),
            initial_amount: Agreed::of(event.initial_amount),
            currency: Agreed::of(event.currency),
            status: event
                .trans_status
                .as_deref()
                .map(StatusState::of)
                .unwrap_or_default(),
        }
    }

    /// Merges another part of the same transaction (commutative, associative,
    /// idempotent).
    #[must_use]
    pub fn merge(self, other: Transaction) -> Transaction {
        let mut amounts = self.amounts;
        amounts.extend(other.amounts);
        let initial_amount = self.initial_amount.merge(other.initial_amount);
        Transaction {
            id: self.id.max(other.id),
            trans_uuid: self.trans_uuid.merge(other.trans_uuid),
            trans_id: self.trans_id.merge(other.trans_id),
            order_id: self.order_id.merge(other.order_id),
            operation_type: self.operation_type.merge(other.operation_type),
            amount: standing_amount(&amounts, &initial_amount),
            amounts,
            initial_amount,
            currency: self.currency.merge(other.currency),
            status: self.status.merge(other.status),
        }
    }

    /// What was taken off this payment before capture (`Transaction/Update`): its stated
    /// initial amount minus the amount that stands; 0 when either is unknown.
    #[must_use]
    pub fn lowered(&self) -> u64 {
        match (self.initial_amount.value(), self.amount.value()) {
            (Some(initial), Some(amount)) => initial.saturating_sub(*amount),
            _ => 0,
        }
    }

    /// Why a human must look at this transaction, if any.
    #[must_use]
    pub fn attention(&self) -> Option<String> {
        let conflicting = [
            (
                "vads_operation_type",
                self.operation_type == Agreed::Conflict,
            ),
            ("vads_amount", self.amount == Agreed::Conflict),
            ("vads_currency", self.currency == Agreed::Conflict),
            ("vads_order_id", self.order_id == Agreed::Conflict),
            ("vads_trans_id", self.trans_id == Agreed::Conflict),
        ];
        if let Some((name, _)) = conflicting.iter().find(|(_, c)| *c) {
            return Some(format!(
                "transaction {}: notifications disagree on {name}",
                self.id
            ));
        }
        let unknown = || {
            self.status
                .unknown
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self.status.merged() {
            Merged::Conflict => Some(format!(
                "transaction {}: conflicting final statuses {}",
                self.id,
                self.status
                    .finals
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Merged::None if self.status.unknown.is_empty() => {
                Some(format!("transaction {}: no status", self.id))
            }
            Merged::None => Some(format!(
                "transaction {}: unknown status {}",
                self.id,
                unknown()
            )),
            Merged::Status(s) if !s.is_final() && !self.status.unknown.is_empty() => Some(format!(
                "transaction {}: unknown status {}",
                self.id,
                unknown()
            )),
            Merged::Status(s) => self.status_attention(s),
        }
    }

    /// Why a status that stands needs a human (protocol section 4): a failed capture, a
    /// partial authorisation, an operation type this version does not know, or a status
    /// that makes no sense for the operation (an `ACCEPTED` refund).
    fn status_attention(&self, status: TransStatus) -> Option<String> {
        let operation = self.operation();
        if Outcome::of_operation(operation, status) != Outcome::NeedsAttention {
            return None;
        }
        let id = &self.id;
        Some(match (status, operation) {
            (TransStatus::CaptureFailed, _) => {
                format!("transaction {id}: capture failed (CAPTURE_FAILED): contact support")
            }
            (TransStatus::PartiallyAuthorised, _) => format!(
                "transaction {id}: only part of the amount was authorised (PARTIALLY_AUTHORISED)"
            ),
            (_, Some(OperationType::Unknown)) => match self.operation_type.value() {
                Some(op) => format!("transaction {id}: unknown operation type {op}"),
                None => format!("transaction {id}: notifications disagree on vads_operation_type"),
            },
            (s, op) => format!(
                "transaction {id}: status {} on a {} transaction",
                s.as_str(),
                op.map_or("DEBIT", OperationType::as_str)
            ),
        })
    }

    /// The operation, parsed; `None` when absent.
    #[must_use]
    pub fn operation(&self) -> Option<OperationType> {
        match &self.operation_type {
            Agreed::Unset => None,
            Agreed::Value(op) => Some(OperationType::parse(op)),
            Agreed::Conflict => Some(OperationType::Unknown),
        }
    }

    /// What this transaction means: [`Outcome::of_operation`] of its merged status;
    /// [`Outcome::NeedsAttention`] whenever [`Transaction::attention`] has a reason.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        if self.attention().is_some() {
            return Outcome::NeedsAttention;
        }
        match self.status.merged() {
            Merged::Status(s) => Outcome::of_operation(self.operation(), s),
            Merged::None | Merged::Conflict => Outcome::NeedsAttention,
        }
    }
}

/// What the shop expects an order to be paid, to check the payments against.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Expected {
    /// The amount in minor units.
    pub amount: u64,
    /// The ISO 4217 numeric code (`978`), if the shop wants it checked.
    pub currency: Option<String>,
}

/// The state of an order, reconciled from all its transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderOutcome {
    /// Paid, nothing refunded.
    Paid,
    /// Paid, then part of it refunded.
    PartiallyRefunded,
    /// Paid, then all of it refunded.
    Refunded,
    /// A card verification succeeded; nothing was paid.
    Verified,
    /// Nothing final yet (a payment waits for authorisation or for the merchant).
    Pending,
    /// Every attempt failed (refused, abandoned, expired...).
    Failed,
    /// The merchant cancelled the payment.
    Cancelled,
    /// A human must look: see [`OrderState::attention`].
    NeedsAttention,
}

impl OrderOutcome {
    /// `"paid"`, `"partially_refunded"`, `"refunded"`, `"verified"`, `"pending"`,
    /// `"failed"`, `"cancelled"` or `"needs_attention"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderOutcome::Paid => "paid",
            OrderOutcome::PartiallyRefunded => "partially_refunded",
            OrderOutcome::Refunded => "refunded",
            OrderOutcome::Verified => "verified",
            OrderOutcome::Pending => "pending",
            OrderOutcome::Failed => "failed",
            OrderOutcome::Cancelled => "cancelled",
            OrderOutcome::NeedsAttention => "needs_attention",
        }
    }
}

impl core::fmt::Display for OrderOutcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order's state: a function of the set of its verified events.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderState {
    /// The shop its events came from (`None` when they did not say).
    #[serde(default)]
    pub site_id: Option<String>,
    /// The mode its events happened in (`None` when they did not say, or there were
    /// none).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// `vads_order_id` (`None` for events without one).
    pub order_id: Option<String>,
    /// What happened to the order.
    pub outcome: OrderOutcome,
    /// Paid, in minor units: the successful payments (`DEBIT`).
    pub paid: u64,
    /// Refunded, in minor units: the successful refunds (`CREDIT`).
    pub refunded: u64,
    /// Taken off the successful payments before capture (`Transaction/Update` lowered
    /// them), in minor units: never paid, and not a refund either (no `CREDIT`). The
    /// order's expected amount is checked against `paid + lowered`.
    #[serde(default)]
    pub lowered: u64,
    /// The ISO 4217 numeric code of the amounts, when the transactions agree on one.
    pub currency: Option<String>,
    /// Why a human must look, when [`OrderOutcome::NeedsAttention`] (sorted).
    pub attention: Vec<String>,
    /// The transactions, by id.
    pub transactions: Vec<Transaction>,
}

/// Merges events into transactions, by transaction id.
fn transactions(events: impl IntoIterator<Item = TransactionEvent>) -> Vec<Transaction> {
    let mut by_id: BTreeMap<String, Transaction> = BTreeMap::new();
    for event in events {
        let t = Transaction::of(event);
        let merged = match by_id.remove(&t.id) {
            Some(existing) => existing.merge(t),
            None => t,
        };
        by_id.insert(merged.id.clone(), merged);
    }
    by_id.into_values().collect()
}

/// The state of one order from its events (any order, any repetition), checked against
/// what the shop expects when `expected` is given.
///
/// # Errors
/// [`ReconcileError`] when the events belong to different shops or modes: a TEST event
/// never counts for a PRODUCTION order, whatever its order id.
///
/// ```
/// use vads::lifecycle::{reconcile, ReconcileError, TransactionEvent};
/// use vads::Mode;
/// let event = |mode| TransactionEvent {
///     site_id: Some("12345678".into()), mode: Some(mode), transaction: "t1".into(),
///     order_id: Some("A-1".into()), trans_uuid: Some("t1".into()), trans_id: None,
///     trans_date: None, operation_type: Some("DEBIT".into()),
///     trans_status: Some("CAPTURED".into()), amount: Some(100), currency: Some("978".into()),
///     initial_amount: None,
/// };
/// assert_eq!(reconcile([event(Mode::Test)], None)?.mode, Some(Mode::Test));
/// assert_eq!(
///     reconcile([event(Mode::Production), event(Mode::Test)], None),
///     Err(ReconcileError::MixedModes)
/// );
/// # Ok::<(), ReconcileError>(())
/// ```
pub fn reconcile(
    events: impl IntoIterator<Item = TransactionEvent>,
    expected: Option<&Expected>,
) -> Result<OrderState, ReconcileError> {
    let mut scope: Option<(Option<String>, Option<Mode>)> = None;
    let mut all = Vec::new();
    for event in events {
        match &scope {
            None => scope = Some((event.site_id.clone(), event.mode)),
            Some((site, mode)) => {
                if *site != event.site_id {
                    return Err(ReconcileError::MixedSites);
                }
                if *mode != event.mode {
                    return Err(ReconcileError::MixedModes);
                }
            }
        }
        all.push(event);
    }
    let (site_id, mode) = scope.unwrap_or_default();
    Ok(order_state(
        (site_id, mode, None),
        transactions(all),
        expected,
    ))
}

/// The states of every order of `events`, one per (site id, mode, order id), sorted by
/// site id, then mode, then order id (events without an order id come first in their
/// shop and mode, as one order with `order_id: None`). A TEST event and a PRODUCTION event
/// of the same order id make two orders.
#[must_use]
pub fn reconcile_orders(events: impl IntoIterator<Item = TransactionEvent>) -> Vec<OrderState> {
    type Scope = (Option<String>, Option<Mode>);
    let mut by_scope: BTreeMap<Scope, Vec<TransactionEvent>> = BTreeMap::new();
    for event in events {
        by_scope
            .entry((event.site_id.clone(), event.mode))
            .or_default()
            .push(event);
    }
    let mut states = Vec::new();
    for ((site_id, mode), events) in by_scope {
        let mut by_order: BTreeMap<Option<String>, Vec<Transaction>> = BTreeMap::new();
        for t in transactions(events) {
            by_order
                .entry(t.order_id.value().cloned())
                .or_default()
                .push(t);
        }
        states.extend(
            by_order
                .into_iter()
                .map(|(order, ts)| order_state((site_id.clone(), mode, order), ts, None)),
        );
    }
    states
}

fn order_state(
    (site_id, mode, order_id): (Option<String>, Option<Mode>, Option<String>),
    transactions: Vec<Transaction>,
    expected: Option<&Expected>,
) -> OrderState {
    let order_id = order_id.or_else(|| {
        transactions
            .iter()
            .find_map(|t| t.order_id.value().cloned())
    });
    let mut attention: BTreeSet<String> = transactions
        .iter()
        .filter_map(Transaction::attention)
        .collect();
    // Each transaction's outcome, computed once.
    let outcomes: Vec<(Outcome, Option<OperationType>)> = transactions
        .iter()
        .map(|t| (t.outcome(), t.operation()))
        .collect();
    let with_outcome = |want: fn(Outcome) -> bool| {
        transactions
            .iter()
            .zip(&outcomes)
            .filter(move |(_, (o, _))| want(*o))
            .map(|(t, _)| t)
    };
    let sum = |want: fn(Outcome) -> bool| -> Option<u64> {
        with_outcome(want).try_fold(0u64, |acc, t| acc.checked_add(*t.amount.value()?))
    };
    // What was lowered before capture, for an order of one successful payment (the
    // platform's initial amount is the order's total: for several payments, an
    // installment plan, it is not one payment's).
    let lowered = match with_outcome(|o| o == Outcome::Paid)
        .filter(|t| t.operation() != Some(OperationType::Credit))
        .collect::<Vec<_>>()
        .as_slice()
    {
        [one] => Some(one.lowered()),
        _ => Some(0),
    };
    let (paid, refunded, lowered) = match (
        sum(|o| o == Outcome::Paid),
        sum(|o| o == Outcome::Refunded),
        lowered,
    ) {
        (Some(p), Some(r), Some(l)) => (p, r, l),
        _ => {
            attention.insert("a paid or refunded amount is missing or too large".into());
            (0, 0, 0)
        }
    };
    let money: BTreeSet<&String> = with_outcome(|o| matches!(o, Outcome::Paid | Outcome::Refunded))
        .filter_map(|t| t.currency.value())
        .collect();
    let all: BTreeSet<&String> = transactions
        .iter()
        .filter_map(|t| t.currency.value())
        .collect();
    let currency = match (money.len(), all.len()) {
        (1, _) | (0, 1) => money.iter().chain(all.iter()).next().map(|c| (*c).clone()),
        (0, _) => None,
        _ => {
            attention.insert("payments and refunds are in different currencies".into());
            None
        }
    };
    let count = |o: Outcome| outcomes.iter().filter(|(x, _)| *x == o).count();
    if count(Outcome::Paid) > 1 {
        attention.insert("more than one successful payment".into());
    }
    let has_paid = count(Outcome::Paid) > 0;
    if refunded > paid {
        attention.insert(if has_paid {
            "more refunded than paid".into()
        } else {
            "a refund without a payment".into()
        });
    }
    if let Some(expected) = expected {
        // A payment lowered before capture was the expected amount when it was made.
        if has_paid && paid.checked_add(lowered) != Some(expected.amount) {
            attention.insert(format!(
                "paid {paid} but the order expects {}",
                expected.amount
            ));
        }
        if let (Some(want), Some(got)) = (&expected.currency, &currency) {
            if has_paid && want != got {
                attention.insert(format!("paid in currency {got}, the order expects {want}"));
            }
        }
    }
    let payment_is = |o: Outcome| {
        outcomes
            .iter()
            .any(|(x, op)| *x == o && !matches!(op, Some(OperationType::Credit)))
    };
    let outcome = if !attention.is_empty() {
        OrderOutcome::NeedsAttention
    } else if has_paid {
        if refunded == 0 {
            OrderOutcome::Paid
        } else if refunded == paid {
            OrderOutcome::Refunded
        } else {
            OrderOutcome::PartiallyRefunded
        }
    } else if payment_is(Outcome::Pending) {
        OrderOutcome::Pending
    } else if payment_is(Outcome::Verified) {
        OrderOutcome::Verified
    } else if payment_is(Outcome::Cancelled) {
        OrderOutcome::Cancelled
    } else if payment_is(Outcome::Failed) {
        OrderOutcome::Failed
    } else {
        OrderOutcome::Pending
    };
    OrderState {
        site_id,
        mode,
        order_id,
        outcome,
        paid,
        refunded,
        lowered,
        currency,
        attention: attention.into_iter().collect(),
        transactions,
    }
}
