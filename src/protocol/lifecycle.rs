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
    /// `vads_payment_config` as received (`SINGLE`, `MULTI:first=...`, ...): an
    /// installment plan makes one order of several payments.
    #[serde(default)]
    pub payment_config: Option<String>,
    /// `vads_sequence_number` (REST `transactionDetails.sequenceNumber`): the installment of
    /// a plan, 1-based.
    #[serde(default)]
    pub sequence_number: Option<u32>,
    /// `vads_url_check_src`: why the platform sent it (`PAY`, `BATCH_AUTO`, `REC`, ...).
    #[serde(default)]
    pub url_check_src: Option<String>,
    /// The token (`vads_identifier`, REST `paymentMethodToken`), when it carries one.
    #[serde(default)]
    pub token: Option<String>,
    /// `vads_identifier_status`: what happened to the token.
    #[serde(default)]
    pub token_status: Option<String>,
    /// `vads_subscription`: the subscription id.
    #[serde(default)]
    pub subscription: Option<String>,
    /// `vads_recurrence_number`: which installment of the subscription this is.
    #[serde(default)]
    pub recurrence_number: Option<u32>,
    /// `vads_recurrence_status`: what happened to the subscription at its creation.
    #[serde(default)]
    pub recurrence_status: Option<String>,
    /// The chaining reference (`vads_initial_issuer_transaction_identifier`, REST
    /// `cardDetails.initialIssuerTransactionIdentifier`): keep it with the token.
    #[serde(default)]
    pub chaining_ref: Option<String>,
    /// `vads_payment_src` (REST `cardDetails.paymentSource`): who started the payment.
    #[serde(default)]
    pub payment_src: Option<String>,
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

    /// Whether this event is an installment of a subscription the platform runs (notified
    /// with `REC`, or a retry or replay of one, which still carries its recurrence
    /// number): a payment *of the subscription*, its own record, never a second payment of
    /// the order that created it.
    #[must_use]
    pub fn is_subscription_installment(&self) -> bool {
        self.url_check_src.as_deref() == Some("REC") || self.recurrence_number.is_some()
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
            payment_config: text("vads_payment_config").filter(|v| !v.is_empty()),
            sequence_number: n.sequence_number(),
            url_check_src: text("vads_url_check_src").filter(|v| !v.is_empty()),
            token: n.identifier().map(std::borrow::Cow::into_owned),
            token_status: text("vads_identifier_status").filter(|v| !v.is_empty()),
            subscription: n.subscription().map(std::borrow::Cow::into_owned),
            recurrence_number: n.recurrence_number(),
            recurrence_status: text("vads_recurrence_status").filter(|v| !v.is_empty()),
            chaining_ref: n
                .initial_issuer_transaction_identifier()
                .map(std::borrow::Cow::into_owned),
            payment_src: text("vads_payment_src").filter(|v| !v.is_empty()),
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
    /// For an installment of a subscription the order created: its token (or `~` and its
    /// subscription id, without a token) and its recurrence number — its own record,
    /// linked to the order by the order id. `None` for the order itself.
    #[serde(default)]
    pub recurrence: Option<(String, u32)>,
}

/// What separates the parts of a subscription installment's [`OrderKey::storage_id`].
const RECURRENCE_MARK: &str = "|REC|";

impl OrderKey {
    /// The key of order `order_id` of shop `site_id` in `mode`.
    #[must_use]
    pub fn new(site_id: impl Into<String>, mode: Mode, order_id: impl Into<String>) -> OrderKey {
        OrderKey {
            site_id: site_id.into(),
            mode,
            order_id: order_id.into(),
            recurrence: None,
        }
    }

    /// The key of installment `number` of the subscription of `token` that order
    /// `order_id` created.
    #[must_use]
    pub fn installment(
        site_id: impl Into<String>,
        mode: Mode,
        order_id: impl Into<String>,
        token: impl Into<String>,
        number: u32,
    ) -> OrderKey {
        OrderKey {
            recurrence: Some((token.into(), number)),
            ..OrderKey::new(site_id, mode, order_id)
        }
    }

    /// The record an event belongs to: its order, or for a subscription's installment
    /// (`REC`, or a retry of one) that installment's own record. `None` when it lacks its
    /// site id, its mode or its order id.
    #[must_use]
    pub fn of(event: &TransactionEvent) -> Option<OrderKey> {
        Some(OrderKey {
            site_id: event.site_id.clone()?,
            mode: event.mode?,
            order_id: event.order_id.clone()?,
            recurrence: Transaction::of(event.clone()).recurrence_key(),
        })
    }

    /// One text for the record, for a store's key column: the order id, or for a
    /// subscription's installment `ORDER|REC|TOKEN|N`.
    #[must_use]
    pub fn storage_id(&self) -> String {
        match &self.recurrence {
            None => self.order_id.clone(),
            Some((of, n)) => format!("{}{RECURRENCE_MARK}{of}|{n}", self.order_id),
        }
    }

    /// What the [`OrderKey::storage_id`] of every subscription installment of this
    /// order starts with (`ORDER|REC|`): a store lists them by it.
    ///
    /// ```
    /// use vads::lifecycle::OrderKey;
    /// let order = OrderKey::new("12345678", vads::Mode::Test, "A-1");
    /// let third = OrderKey::installment("12345678", vads::Mode::Test, "A-1", "tok", 3);
    /// assert!(third.storage_id().starts_with(&order.installments_prefix()));
    /// ```
    #[must_use]
    pub fn installments_prefix(&self) -> String {
        format!("{}{RECURRENCE_MARK}", self.order_id)
    }

    /// The key of a record stored under `storage_id` ([`OrderKey::storage_id`]).
    #[must_use]
    pub fn from_storage(site_id: impl Into<String>, mode: Mode, storage_id: &str) -> OrderKey {
        let parsed = storage_id.rsplit_once('|').and_then(|(head, n)| {
            let n: u32 = n.parse().ok()?;
            let (order, of) = head.rsplit_once(RECURRENCE_MARK)?;
            Some((order, of, n))
        });
        match parsed {
            Some((order, of, n)) => OrderKey::installment(site_id, mode, order, of, n),
            None => OrderKey::new(site_id, mode, storage_id),
        }
    }
}

impl core::fmt::Display for OrderKey {
    /// `SITE/MODE/ORDER`, and `#N` for a subscription's installment.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}/{}", self.site_id, self.mode, self.order_id)?;
        if let Some((_, n)) = &self.recurrence {
            write!(f, "#{n}")?;
        }
        Ok(())
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
    /// `vads_payment_config`.
    #[serde(default)]
    pub payment_config: Agreed<String>,
    /// `vads_sequence_number`: the installment of a plan.
    #[serde(default)]
    pub sequence_number: Agreed<u32>,
    /// The token.
    #[serde(default)]
    pub token: Agreed<String>,
    /// `vads_identifier_status`.
    #[serde(default)]
    pub token_status: Agreed<String>,
    /// `vads_subscription`.
    #[serde(default)]
    pub subscription: Agreed<String>,
    /// `vads_recurrence_number`.
    #[serde(default)]
    pub recurrence_number: Agreed<u32>,
    /// `vads_recurrence_status`.
    #[serde(default)]
    pub recurrence_status: Agreed<String>,
    /// The chaining reference.
    #[serde(default)]
    pub chaining_ref: Agreed<String>,
    /// `vads_payment_src`.
    #[serde(default)]
    pub payment_src: Agreed<String>,
    /// Whether an event said it is a subscription's installment (`REC`, or a recurrence
    /// number).
    #[serde(default)]
    pub subscription_installment: bool,
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
        let subscription_installment = event.is_subscription_installment();
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
            payment_config: Agreed::of(event.payment_config),
            sequence_number: Agreed::of(event.sequence_number),
            token: Agreed::of(event.token),
            token_status: Agreed::of(event.token_status),
            subscription: Agreed::of(event.subscription),
            recurrence_number: Agreed::of(event.recurrence_number),
            recurrence_status: Agreed::of(event.recurrence_status),
            subscription_installment,
            chaining_ref: Agreed::of(event.chaining_ref),
            payment_src: Agreed::of(event.payment_src),
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
            payment_config: self.payment_config.merge(other.payment_config),
            sequence_number: self.sequence_number.merge(other.sequence_number),
            token: self.token.merge(other.token),
            token_status: self.token_status.merge(other.token_status),
            subscription: self.subscription.merge(other.subscription),
            recurrence_number: self.recurrence_number.merge(other.recurrence_number),
            recurrence_status: self.recurrence_status.merge(other.recurrence_status),
            chaining_ref: self.chaining_ref.merge(other.chaining_ref),
            payment_src: self.payment_src.merge(other.payment_src),
            subscription_installment: self.subscription_installment
                || other.subscription_installment,
        }
    }

    /// For a subscription's installment: what identifies it beside its order id — its
    /// token (or, without one, `~` and its subscription id) and its recurrence number.
    /// `None` for a payment of an order.
    #[must_use]
    pub fn recurrence_key(&self) -> Option<(String, u32)> {
        if !self.subscription_installment {
            return None;
        }
        let of = match (self.token.value(), self.subscription.value()) {
            (Some(token), _) => token.clone(),
            (None, Some(sub)) => format!("~{sub}"),
            (None, None) => String::new(),
        };
        Some((of, self.recurrence_number.value().copied().unwrap_or(0)))
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

    /// Why a human must look at this transaction, if any (the sentence of
    /// [`Transaction::attention_reason`]).
    #[must_use]
    pub fn attention(&self) -> Option<String> {
        self.attention_reason().map(|(_, why)| why)
    }

    /// Why a human must look at this transaction, if any: a stable code
    /// (`conflicting_facts`, `conflicting_statuses`, `no_status`, `unknown_status`,
    /// `capture_failed`, `partially_authorised`, `unknown_operation`,
    /// `unexpected_status`) and a sentence.
    #[must_use]
    pub fn attention_reason(&self) -> Option<(&'static str, String)> {
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
            return Some((
                "conflicting_facts",
                format!("transaction {}: notifications disagree on {name}", self.id),
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
            Merged::Conflict => Some((
                "conflicting_statuses",
                format!(
                    "transaction {}: conflicting final statuses {}",
                    self.id,
                    self.status
                        .finals
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Merged::None if self.status.unknown.is_empty() => {
                Some(("no_status", format!("transaction {}: no status", self.id)))
            }
            Merged::None => Some((
                "unknown_status",
                format!("transaction {}: unknown status {}", self.id, unknown()),
            )),
            Merged::Status(s) if !s.is_final() && !self.status.unknown.is_empty() => Some((
                "unknown_status",
                format!("transaction {}: unknown status {}", self.id, unknown()),
            )),
            Merged::Status(s) => self.status_attention(s),
        }
    }

    /// Why a status that stands needs a human (protocol section 4): a failed capture, a
    /// partial authorisation, an operation type this version does not know, or a status
    /// that makes no sense for the operation (an `ACCEPTED` refund).
    fn status_attention(&self, status: TransStatus) -> Option<(&'static str, String)> {
        let operation = self.operation();
        if Outcome::of_operation(operation, status) != Outcome::NeedsAttention {
            return None;
        }
        let id = &self.id;
        Some(match (status, operation) {
            (TransStatus::CaptureFailed, _) => (
                "capture_failed",
                format!("transaction {id}: capture failed (CAPTURE_FAILED): contact support"),
            ),
            (TransStatus::PartiallyAuthorised, _) => (
                "partially_authorised",
                format!(
                    "transaction {id}: only part of the amount was authorised (PARTIALLY_AUTHORISED)"
                ),
            ),
            (_, Some(OperationType::Unknown)) => match self.operation_type.value() {
                Some(op) => (
                    "unknown_operation",
                    format!("transaction {id}: unknown operation type {op}"),
                ),
                None => (
                    "conflicting_facts",
                    format!("transaction {id}: notifications disagree on vads_operation_type"),
                ),
            },
            (s, op) => (
                "unexpected_status",
                format!(
                    "transaction {id}: status {} on a {} transaction",
                    s.as_str(),
                    op.map_or("DEBIT", OperationType::as_str)
                ),
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
    /// Why a human must look, when [`OrderOutcome::NeedsAttention`]: a sentence per
    /// reason (sorted).
    pub attention: Vec<String>,
    /// The stable codes of those reasons (sorted, each once): `installment_refused`,
    /// `several_payments`, `amount_mismatch`, `conflicting_facts`, ...
    #[serde(default)]
    pub attention_codes: Vec<String>,
    /// The transactions, by id.
    pub transactions: Vec<Transaction>,
    /// The installment plan, when the order is one (`MULTI`, `MULTI_EXT`).
    #[serde(default)]
    pub plan: Option<Plan>,
    /// The token the order used or created, and its status.
    #[serde(default)]
    pub token: Option<TokenState>,
    /// The subscription id the order created, or (for a subscription's installment) that
    /// it belongs to.
    #[serde(default)]
    pub subscription: Option<String>,
    /// What happened to the subscription at its creation (`CREATED`, `NOT_CREATED`, ...).
    #[serde(default)]
    pub recurrence_status: Option<String>,
    /// For a subscription's installment: its number. `None` for an order.
    #[serde(default)]
    pub recurrence_number: Option<u32>,
    /// The chaining reference to keep with the token, when one came.
    #[serde(default)]
    pub chaining_ref: Option<String>,
    /// Who started the payment (`EC`, `MOTO`, `CC`, `OTHER`), when it was said.
    #[serde(default)]
    pub payment_src: Option<String>,
}

/// An order paid in installments (`vads_payment_config` `MULTI` or `MULTI_EXT`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    /// `vads_payment_config` as received.
    pub config: String,
    /// How many installments.
    pub count: u32,
    /// The first installment, minor units.
    pub first: u64,
    /// The plan's total, when known (the notifications' `vads_amount` when they carry
    /// the total, the order's expected amount, or `MULTI_EXT`'s sum).
    pub total: Option<u64>,
    /// The installments accepted (numbers, ascending).
    pub accepted: Vec<u32>,
    /// The installments refused (numbers, ascending).
    pub refused: Vec<u32>,
}

/// A token (saved card) and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenState {
    /// The token.
    pub id: String,
    /// `vads_identifier_status` (`CREATED`, `UPDATED`, ...), when said.
    pub status: Option<String>,
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
///     ..TransactionEvent::default()
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
        // An order's payments, and apart from them each installment of a subscription it
        // created (its own record, the same order id), after the order.
        type Group = (Option<String>, Option<(String, u32)>);
        let mut by_order: BTreeMap<Group, Vec<Transaction>> = BTreeMap::new();
        for t in transactions(events) {
            by_order
                .entry((t.order_id.value().cloned(), t.recurrence_key()))
                .or_default()
                .push(t);
        }
        let mut ordered: Vec<(Group, Vec<Transaction>)> = by_order.into_iter().collect();
        // Sorted by order id, then recurrence number (the order itself first).
        ordered.sort_by(|(a, _), (b, _)| {
            (&a.0, a.1.as_ref().map(|(_, n)| *n), &a.1).cmp(&(
                &b.0,
                b.1.as_ref().map(|(_, n)| *n),
                &b.1,
            ))
        });
        states.extend(
            ordered
                .into_iter()
                .map(|((order, _), ts)| order_state((site_id.clone(), mode, order), ts, None)),
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
    let mut reasons: BTreeMap<String, &'static str> = transactions
        .iter()
        .filter_map(Transaction::attention_reason)
        .map(|(code, why)| (why, code))
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
    let plan_config = transactions
        .iter()
        .filter_map(|t| t.payment_config.value())
        .map(|c| (c, crate::protocol::recurring::PaymentConfig::parse(c)))
        .find(|(_, p)| p.is_plan());
    let is_installment = transactions
        .iter()
        .any(|t| t.recurrence_number.value().is_some());
    // A plan: its accepted installments, each counted once, at most its total.
    let plan = plan_config.map(|(text, parsed)| plan_of(text, &parsed, &transactions, expected));
    let paid = match &plan {
        Some((_, paid)) => Some(*paid),
        None => sum(|o| o == Outcome::Paid),
    };
    // What was lowered before capture, for an order of one successful payment (the
    // platform's initial amount is the order's total: for several payments, an
    // installment plan, it is not one payment's).
    let lowered = match with_outcome(|o| o == Outcome::Paid)
        .filter(|t| t.operation() != Some(OperationType::Credit))
        .collect::<Vec<_>>()
        .as_slice()
    {
        [one] if plan.is_none() => Some(one.lowered()),
        _ => Some(0),
    };
    let (paid, refunded, lowered) = match (paid, sum(|o| o == Outcome::Refunded), lowered) {
        (Some(p), Some(r), Some(l)) => (p, r, l),
        _ => {
            reasons.insert(
                "a paid or refunded amount is missing or too large".into(),
                "amount_invalid",
            );
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
            reasons.insert(
                "payments and refunds are in different currencies".into(),
                "mixed_currencies",
            );
            None
        }
    };
    let count = |o: Outcome| outcomes.iter().filter(|(x, _)| *x == o).count();
    // Installments of one plan are several payments of one order by design.
    if count(Outcome::Paid) > 1 && plan.is_none() {
        reasons.insert(
            "more than one successful payment".into(),
            "several_payments",
        );
    }
    let has_paid = count(Outcome::Paid) > 0;
    if refunded > paid {
        if has_paid {
            reasons.insert("more refunded than paid".into(), "refunded_more_than_paid");
        } else {
            reasons.insert(
                "a refund without a payment".into(),
                "refund_without_payment",
            );
        }
    }
    if let Some((p, _)) = &plan {
        for k in &p.refused {
            // The first installment refused is the order's payment failing at checkout;
            // a later one is money the shop counted on: a human chases it.
            if *k > 1 || !p.accepted.is_empty() {
                reasons.insert(format!("installment {k} refused"), "installment_refused");
            }
        }
    }
    if let Some(expected) = expected.filter(|_| !is_installment) {
        // A payment lowered before capture was the expected amount when it was made; a
        // plan is checked by its total, not by what it has taken so far.
        let total = match &plan {
            Some((p, _)) => p.total,
            None => paid.checked_add(lowered).filter(|_| has_paid),
        };
        if let Some(total) = total.filter(|t| *t != expected.amount) {
            reasons.insert(
                match &plan {
                    Some(_) => format!(
                        "the plan's total is {total} but the order expects {}",
                        expected.amount
                    ),
                    None => format!("paid {paid} but the order expects {}", expected.amount),
                },
                "amount_mismatch",
            );
        }
        if let (Some(want), Some(got)) = (&expected.currency, &currency) {
            if has_paid && want != got {
                reasons.insert(
                    format!("paid in currency {got}, the order expects {want}"),
                    "currency_mismatch",
                );
            }
        }
    }
    let payment_is = |o: Outcome| {
        outcomes
            .iter()
            .any(|(x, op)| *x == o && !matches!(op, Some(OperationType::Credit)))
    };
    let plan_started = plan.as_ref().is_some_and(|(p, _)| p.accepted.contains(&1));
    let outcome = if !reasons.is_empty() {
        OrderOutcome::NeedsAttention
    } else if has_paid && (plan.is_none() || plan_started) {
        if refunded == 0 {
            OrderOutcome::Paid
        } else if refunded >= paid {
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
    let first_value = |f: fn(&Transaction) -> &Agreed<String>| {
        transactions.iter().find_map(|t| f(t).value().cloned())
    };
    // The token: the one created or changed here (it has a status), else the one used.
    let token = transactions
        .iter()
        .filter(|t| t.token_status.value().is_some())
        .chain(transactions.iter())
        .find_map(|t| {
            t.token.value().map(|id| TokenState {
                id: id.clone(),
                status: t.token_status.value().cloned(),
            })
        });
    let mut attention: Vec<String> = reasons.keys().cloned().collect();
    attention.sort();
    let attention_codes: Vec<String> = reasons
        .values()
        .map(|c| (*c).to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    OrderState {
        site_id,
        mode,
        order_id,
        outcome,
        paid,
        refunded,
        lowered,
        currency,
        attention,
        attention_codes,
        plan: plan.map(|(p, _)| p),
        token,
        subscription: first_value(|t| &t.subscription),
        recurrence_status: first_value(|t| &t.recurrence_status),
        recurrence_number: transactions
            .iter()
            .find_map(|t| t.recurrence_number.value().copied()),
        chaining_ref: first_value(|t| &t.chaining_ref),
        payment_src: first_value(|t| &t.payment_src),
        transactions,
    }
}

/// A plan's state from its transactions: which installments were accepted and refused
/// (each counted once, by its sequence number; a payment without one is the first), and
/// what it has taken — each installment's amount, read from `vads_amount` when the
/// notifications carry the installment, derived from the plan when they carry the total
/// (unconfirmed which: protocol section 11), never more than the plan's total.
fn plan_of(
    text: &str,
    config: &crate::protocol::recurring::PaymentConfig,
    transactions: &[Transaction],
    expected: Option<&Expected>,
) -> (Plan, u64) {
    use crate::protocol::recurring::PaymentConfig;
    let (count, first) = match config {
        PaymentConfig::Multi { first, count, .. } => (*count, *first),
        _ => (
            config.count().unwrap_or(0),
            config.installment(1, 0).unwrap_or(0),
        ),
    };
    let payments: Vec<(u32, &Transaction)> = transactions
        .iter()
        .filter(|t| matches!(t.operation(), None | Some(OperationType::Debit)))
        .map(|t| (t.sequence_number.value().copied().unwrap_or(1), t))
        .collect();
    // Which reading of vads_amount: installment 1 says it (its amount is `first` when
    // the notifications carry installments, more when they carry the total); else the
    // order's expected amount; else the installments' own amounts.
    let amount_of = |k: u32| {
        payments
            .iter()
            .filter(|(n, _)| *n == k)
            .find_map(|(_, t)| t.amount.value().copied())
    };
    let stated = config.stated_total();
    let total_reading = match (amount_of(1), expected) {
        (Some(a1), _) if matches!(config, PaymentConfig::Multi { .. }) && a1 > first => Some(a1),
        (Some(_), _) => None,
        (None, Some(e)) => payments
            .iter()
            .any(|(_, t)| t.amount.value() == Some(&e.amount))
            .then_some(e.amount)
            .filter(|_| count > 1),
        (None, None) => None,
    };
    let total = stated
        .or(total_reading)
        .or_else(|| expected.map(|e| e.amount));
    let mut accepted = BTreeSet::new();
    let mut refused = BTreeSet::new();
    for (k, t) in &payments {
        match t.outcome() {
            Outcome::Paid => {
                accepted.insert(*k);
            }
            Outcome::Failed => {
                refused.insert(*k);
            }
            _ => {}
        }
    }
    // An installment accepted after a refused attempt of the same number is accepted.
    refused.retain(|k| !accepted.contains(k));
    let mut paid = 0u64;
    for k in &accepted {
        let amount = match total_reading.or(stated) {
            Some(t) => config.installment(*k, t),
            None => amount_of(*k),
        };
        paid = paid.saturating_add(amount.unwrap_or(0));
    }
    if let Some(t) = total {
        paid = paid.min(t);
    }
    (
        Plan {
            config: text.to_owned(),
            count,
            first,
            total,
            accepted: accepted.into_iter().collect(),
            refused: refused.into_iter().collect(),
        },
        paid,
    )
}
