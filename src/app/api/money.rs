//! Money that moves once (feature `api`): refund, cancel and validate an *order*, the way
//! the official plugins decide (protocol section 8), with what the API lacks — an
//! idempotency key — made up for by reading first and reading again.
//!
//! - Read first (`Order/Get`; per operation type on `PSP_015`), refuse what the status
//!   forbids or what is more than is left before sending anything.
//! - Send each operation once ([`super::Client`] never retries one that moves money).
//! - When its answer is lost (`outcome_unknown`) or the platform says it is already done
//!   (`PSP_104`, `PSP_105`), read the order again and decide whether the intent was
//!   applied; nothing is sent again.
//! - Say the intent, not only the delta: [`RefundAmount::Total`] ("make the refunded total
//!   T") is idempotent by construction — run twice, it refunds once;
//!   [`RefundAmount::More`] ("N more, given that R is refunded now") is refused when R
//!   changed meanwhile.
//!
//! What `vads` cannot know: whether a request whose answer was lost will still be applied
//! later. A read that does not show it yet is [`MoneyError::StillUnknown`]: read again
//! later (or look in the back office) before asking again.

use super::answer::OrderTransactions;
use super::client::{CallReport, Client, Transport};
use super::error::{ApiError, ErrorCode, OutcomeUnknown};
use super::request::{Cancel, CancelOrRefund, OrderGet, ResolutionMode, Update, Validate};
use super::Operation;
use crate::app::rest_answer::RestTransaction;
use crate::protocol::lifecycle::{reconcile, OrderState};
use crate::protocol::notification::OperationType;
use core::fmt;

/// How much to refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefundAmount {
    /// Everything that is left.
    All,
    /// `amount` more, given that `refunded_now` is refunded now: refused
    /// ([`MoneyError::RefundedChanged`]) when the platform says otherwise — a retry of a
    /// refund that went through is then refused, not sent.
    More {
        /// Minor units to refund.
        amount: u64,
        /// What the caller believes is refunded now.
        refunded_now: u64,
    },
    /// Make the order's refunded total this many minor units: sends the difference, or
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
    /// Whether its answer was lost and a read found it applied.
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
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MoneyError {
    /// A read or the operation failed (a refusal, a transport failure, a request refused
    /// before sending). Nothing more was sent.
    Api(ApiError),
    /// The order has no payment the operation applies to.
    NoPayment,
    /// Nothing is left to refund.
    NothingToRefund {
        /// Refunded now, minor units.
        refunded: u64,
    },
    /// More was asked than is left.
    AboveRefundable {
        /// Asked, minor units.
        asked: u64,
        /// Left, minor units.
        left: u64,
    },
    /// [`RefundAmount::More`]: the refunded total is not what the caller said.
    RefundedChanged {
        /// What the caller said.
        expected: u64,
        /// What the platform shows.
        now: u64,
    },
    /// [`RefundAmount::Total`] below what is already refunded.
    TotalBelowRefunded {
        /// The total asked.
        total: u64,
        /// Refunded now.
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
    /// An operation's answer was lost and the order, read again, does not show it
    /// applied: it may still be. Nothing was sent again.
    StillUnknown(OutcomeUnknown),
}

impl MoneyError {
    /// The stable code: the API error's, or `no_payment`, `nothing_to_refund`,
    /// `amount_above_refundable`, `refunded_changed`, `total_below_refunded`,
    /// `status_forbids`, `outcome_unknown`.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            MoneyError::Api(e) => e.code(),
            MoneyError::NoPayment => "no_payment",
            MoneyError::NothingToRefund { .. } => "nothing_to_refund",
            MoneyError::AboveRefundable { .. } => "amount_above_refundable",
            MoneyError::RefundedChanged { .. } => "refunded_changed",
            MoneyError::TotalBelowRefunded { .. } => "total_below_refunded",
            MoneyError::StatusForbids { .. } => "status_forbids",
            MoneyError::StillUnknown(_) => "outcome_unknown",
        }
    }
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Api(e) => e.fmt(f),
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
                        "{now} is refunded, not {expected}: an earlier refund may have gone through; nothing was sent"
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
                    MoneyError::Api(_) | MoneyError::StillUnknown(_) => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for MoneyError {}

impl From<ApiError> for MoneyError {
    fn from(e: ApiError) -> Self {
        MoneyError::Api(e)
    }
}

fn status(t: &RestTransaction) -> &str {
    t.detailed_status.as_deref().unwrap_or("")
}

fn is_debit(t: &RestTransaction) -> bool {
    t.operation_type.as_deref() == Some("DEBIT")
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

/// What has been refunded of a payment: for a captured one, `captureResponse.refundAmount`
/// (or its `CREDIT`s, when the platform gives no such amount); for one not captured, what
/// `Transaction/Update` or a partial cancellation took off (`orderTotalAmount - amount`;
/// the platform's `orderTotalAmount` as the first amount is unconfirmed).
fn refunded_of(t: &RestTransaction, all: &[RestTransaction]) -> u64 {
    let amount = t.amount.unwrap_or(0);
    if status(t) == "CAPTURED" {
        let stated = t
            .transaction_details
            .as_ref()
            .and_then(|d| d.card_details.as_ref())
            .and_then(|c| c.capture_response.as_ref())
            .and_then(|r| r.refund_amount);
        stated.unwrap_or_else(|| {
            all.iter()
                .filter(|c| c.operation_type.as_deref() == Some("CREDIT"))
                .filter(|c| {
                    c.transaction_details
                        .as_ref()
                        .and_then(|d| d.parent_transaction_uuid.as_deref())
                        == t.uuid.as_deref()
                })
                .filter_map(|c| c.amount)
                .sum()
        })
    } else {
        let total = t
            .order_details
            .as_ref()
            .and_then(|d| d.order_total_amount)
            .unwrap_or(amount);
        total.saturating_sub(amount)
    }
}

/// What is left to refund of a payment.
fn left_of(t: &RestTransaction, all: &[RestTransaction]) -> u64 {
    if !holds_money(t) {
        return 0;
    }
    let amount = t.amount.unwrap_or(0);
    if status(t) == "CAPTURED" {
        amount.saturating_sub(refunded_of(t, all))
    } else {
        amount
    }
}

/// The payments of an order, newest first (the plugins' order for installments).
fn payments(all: &[RestTransaction]) -> Vec<&RestTransaction> {
    let mut p: Vec<&RestTransaction> = all.iter().filter(|t| is_debit(t)).collect();
    p.sort_by(|a, b| b.creation_date.cmp(&a.creation_date));
    p
}

/// The order's transactions: `Order/Get`, or on `PSP_015` (more than 30) its `DEBIT` and
/// `CREDIT` transactions asked apart.
pub async fn read_order<T: Transport>(
    client: &Client<T>,
    order_id: &str,
) -> Result<Vec<RestTransaction>, ApiError> {
    read_logged(client, &mut Vec::new(), order_id).await
}

/// A call, its report kept in `log`.
async fn logged<T: Transport, C: super::request::ApiCall>(
    client: &Client<T>,
    log: &mut Vec<CallReport>,
    call: &C,
) -> Result<C::Answer, ApiError> {
    let (result, report) = client.call_with_report(call).await;
    log.push(report);
    result
}

async fn read_logged<T: Transport>(
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

fn settled(sent: Vec<Sent>, transactions: Vec<RestTransaction>, order_id: &str) -> Settled {
    let mut state = reconcile(
        transactions.iter().map(|t| t.to_event(Some(order_id))),
        None,
    );
    state.order_id = Some(order_id.to_owned());
    Settled {
        sent,
        state,
        transactions,
    }
}

/// What a money-moving call's failure means: `Ok(())` when the order, read again, shows
/// the intent applied (its answer was lost, or the platform says it is already done:
/// `PSP_104`, `PSP_105`); else the error — [`MoneyError::StillUnknown`] for a lost answer
/// not visible yet. Nothing is ever sent again here.
async fn resolve<T: Transport>(
    client: &Client<T>,
    log: &mut Vec<CallReport>,
    order_id: &str,
    error: ApiError,
    applied: impl Fn(&[RestTransaction]) -> bool,
) -> Result<(), MoneyError> {
    let unknown = match &error {
        ApiError::OutcomeUnknown(u) => Some(u.clone()),
        ApiError::Refused(e) if matches!(e.kind(), ErrorCode::Psp104 | ErrorCode::Psp105) => None,
        _ => return Err(MoneyError::Api(error)),
    };
    let now = read_logged(client, log, order_id).await?;
    if applied(&now) {
        return Ok(());
    }
    match unknown {
        Some(u) => Err(MoneyError::StillUnknown(u)),
        None => Err(MoneyError::Api(error)),
    }
}

/// Refunds `amount` of order `order_id` (see the module's rules): captured payments get
/// `CancelOrRefund` `REFUND_ONLY`; a payment not captured yet is cancelled
/// (`CANCELLATION_ONLY`) when all of it goes, else lowered (`Transaction/Update`). Newest
/// payment first.
///
/// # Errors
/// [`MoneyError`]; nothing is sent when the read already shows a reason to refuse.
pub async fn refund<T: Transport>(
    client: &Client<T>,
    order_id: &str,
    amount: RefundAmount,
) -> Result<Settled, MoneyError> {
    refund_logged(client, order_id, amount, &mut Vec::new()).await
}

/// As [`refund`], with the report of every call made (reads included) pushed to `calls`,
/// whatever the result.
///
/// # Errors
/// As [`refund`].
pub async fn refund_logged<T: Transport>(
    client: &Client<T>,
    order_id: &str,
    amount: RefundAmount,
    calls: &mut Vec<CallReport>,
) -> Result<Settled, MoneyError> {
    refund_in(client, calls, order_id, amount).await
}

async fn refund_in<T: Transport>(
    client: &Client<T>,
    log: &mut Vec<CallReport>,
    order_id: &str,
    amount: RefundAmount,
) -> Result<Settled, MoneyError> {
    let before = read_logged(client, log, order_id).await?;
    let pays = payments(&before);
    if !pays.iter().any(|t| holds_money(t)) && pays.iter().all(|t| refunded_of(t, &before) == 0) {
        return Err(MoneyError::NoPayment);
    }
    let refunded: u64 = pays.iter().map(|t| refunded_of(t, &before)).sum();
    let left: u64 = pays.iter().map(|t| left_of(t, &before)).sum();
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
                return Ok(settled(Vec::new(), before, order_id));
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
    let plan: Vec<(RestTransaction, u64)> = pays
        .iter()
        .map(|t| ((*t).clone(), left_of(t, &before)))
        .filter(|(_, l)| *l > 0)
        .collect();
    for (t, left) in plan {
        if remaining == 0 {
            break;
        }
        let x = remaining.min(left);
        let step = Step::of(&t, x, &before);
        let found_applied = match step.send(client, log).await {
            Ok(()) => false,
            Err(error) => {
                resolve(client, log, order_id, error, |now| step.applied(now)).await?;
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
    let after = read_logged(client, log, order_id).await?;
    Ok(settled(sent, after, order_id))
}

/// One money-moving call of a refund, and how to recognise it applied.
struct Step {
    kind: StepKind,
    uuid: String,
    currency: String,
    /// Refunded or cancelled (`Refund`, `CancelWhole`), or the new amount (`Lower`).
    amount: u64,
    /// For `Refund`: the order's `CREDIT` uuids and the payment's refunded amount before.
    credits_before: Vec<String>,
    refunded_before: u64,
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
                .filter(|c| c.operation_type.as_deref() == Some("CREDIT"))
                .filter_map(|c| c.uuid.clone())
                .collect(),
            refunded_before: refunded_of(t, before),
        }
    }

    fn operation(&self) -> Operation {
        match self.kind {
            StepKind::Refund | StepKind::CancelWhole => Operation::CancelOrRefund,
            StepKind::Lower => Operation::Update,
        }
    }

    async fn send<T: Transport>(
        &self,
        client: &Client<T>,
        log: &mut Vec<CallReport>,
    ) -> Result<(), ApiError> {
        let (u, a, c) = (&self.uuid, self.amount, &self.currency);
        match self.kind {
            StepKind::Refund => {
                let call = CancelOrRefund::new(u, a, c, ResolutionMode::RefundOnly);
                logged(client, log, &call).await.map(|_| ())
            }
            StepKind::CancelWhole => {
                let call = CancelOrRefund::new(u, a, c, ResolutionMode::CancellationOnly);
                logged(client, log, &call).await.map(|_| ())
            }
            StepKind::Lower => logged(client, log, &Update::new(u, a, c)).await.map(|_| ()),
        }
    }

    /// Whether `now` (the order read again) shows this step applied: a new `CREDIT` of
    /// the amount, or the payment refunded by that much more; the payment cancelled; its
    /// amount lowered.
    fn applied(&self, now: &[RestTransaction]) -> bool {
        let payment = now
            .iter()
            .find(|p| p.uuid.as_deref() == Some(self.uuid.as_str()));
        match self.kind {
            StepKind::Refund => {
                now.iter().any(|c| {
                    c.operation_type.as_deref() == Some("CREDIT")
                        && c.amount == Some(self.amount)
                        && c.uuid
                            .as_ref()
                            .is_some_and(|u| !self.credits_before.contains(u))
                }) || payment
                    .is_some_and(|p| refunded_of(p, now) >= self.refunded_before + self.amount)
            }
            StepKind::CancelWhole => payment.is_some_and(|p| status(p) == "CANCELLED"),
            StepKind::Lower => payment.is_some_and(|p| p.amount.is_some_and(|a| a <= self.amount)),
        }
    }
}

/// Cancels the payments of order `order_id` that are not captured yet
/// (`Transaction/Cancel`). Already cancelled: nothing is sent. Captured: refused (refund
/// it instead).
///
/// # Errors
/// [`MoneyError`].
pub async fn cancel<T: Transport>(
    client: &Client<T>,
    order_id: &str,
) -> Result<Settled, MoneyError> {
    cancel_logged(client, order_id, &mut Vec::new()).await
}

/// As [`cancel`], with the report of every call made pushed to `calls`.
///
/// # Errors
/// As [`cancel`].
pub async fn cancel_logged<T: Transport>(
    client: &Client<T>,
    order_id: &str,
    calls: &mut Vec<CallReport>,
) -> Result<Settled, MoneyError> {
    on_each(
        client,
        calls,
        order_id,
        Operation::Cancel,
        &NOT_CAPTURED,
        &["CANCELLED"],
    )
    .await
}

/// Validates the payments of order `order_id` that wait for it
/// (`Transaction/Validate`). Already validated: nothing is sent.
///
/// # Errors
/// [`MoneyError`].
pub async fn validate<T: Transport>(
    client: &Client<T>,
    order_id: &str,
) -> Result<Settled, MoneyError> {
    validate_logged(client, order_id, &mut Vec::new()).await
}

/// As [`validate`], with the report of every call made pushed to `calls`.
///
/// # Errors
/// As [`validate`].
pub async fn validate_logged<T: Transport>(
    client: &Client<T>,
    order_id: &str,
    calls: &mut Vec<CallReport>,
) -> Result<Settled, MoneyError> {
    on_each(
        client,
        calls,
        order_id,
        Operation::Validate,
        &[
            "AUTHORISED_TO_VALIDATE",
            "WAITING_AUTHORISATION_TO_VALIDATE",
        ],
        &["AUTHORISED", "WAITING_AUTHORISATION", "CAPTURED"],
    )
    .await
}

/// `operation` on each payment in one of the `from` statuses; none, and one already in a
/// `done` status: nothing to do.
async fn on_each<T: Transport>(
    client: &Client<T>,
    log: &mut Vec<CallReport>,
    order_id: &str,
    operation: Operation,
    from: &[&str],
    done: &[&str],
) -> Result<Settled, MoneyError> {
    let before = read_logged(client, log, order_id).await?;
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
                Ok(settled(Vec::new(), before, order_id))
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
            Operation::Cancel => logged(client, log, &Cancel::new(&uuid)).await.map(|_| ()),
            _ => logged(client, log, &Validate::new(&uuid)).await.map(|_| ()),
        };
        let found_applied = match result {
            Ok(()) => false,
            Err(error) => {
                let check = uuid.clone();
                resolve(client, log, order_id, error, |now: &[RestTransaction]| {
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
    let after = read_logged(client, log, order_id).await?;
    Ok(settled(sent, after, order_id))
}
