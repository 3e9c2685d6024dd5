//! A verified notification: borrowed fields, typed accessors, and what the status means for
//! the order.
//!
//! A [`Notification`] only exists once [`crate::Shop::verify`] accepted the body: fields
//! are readable only after verification. Informational fields with an unexpected shape
//! never undo the verdict: their accessors return `None` or a [`FieldError`].

use crate::protocol::algorithm::Algorithm;
use crate::protocol::body::{self, RawField};
use crate::protocol::mode::Mode;
use crate::protocol::time::TransDate;
use std::borrow::Cow;

/// The signed marker field of `vads rehearse`'s notification
/// ([`Notification::is_rehearsal`]).
pub const REHEARSAL_FIELD: &str = "vads_ext_info_vads_rehearsal";

/// Which key verified a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMatch {
    /// The key of the shop's mode.
    Current,
    /// One of `previous_production_keys` (its index in the config): the old key is still in
    /// use somewhere; do not retire it yet.
    Previous {
        /// Index in `previous_production_keys`.
        index: usize,
    },
}

/// Whether the body is an Instant Payment Notification or a browser return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The server-to-server IPN (carries `vads_hash` and `vads_url_check_src`): the source
    /// of truth for the order.
    Ipn,
    /// The browser's return to the shop: a convenience, never the source of truth.
    BrowserReturn,
}

/// A field of a verified notification is absent or does not have the expected shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The field is absent.
    #[error("missing_field: {0} is absent")]
    Missing(&'static str),
    /// The field's value does not have the expected shape.
    #[error("invalid_field: {0} does not have the expected format")]
    Invalid(&'static str),
}

impl FieldError {
    /// The stable code: `"missing_field"` or `"invalid_field"`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            FieldError::Missing(_) => "missing_field",
            FieldError::Invalid(_) => "invalid_field",
        }
    }
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $variant,)*
            /// A value this version of `vads` does not know.
            Unknown,
        }

        impl $name {
            /// Parses the platform's value (exact); unknown values give `Unknown`.
            #[must_use]
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    _ => $name::Unknown,
                }
            }

            /// The platform's value, or `"UNKNOWN"`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown => "UNKNOWN",
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// `vads_trans_status` (protocol section 4).
    TransStatus {
        /// Accepted, will be captured automatically.
        Authorised = "AUTHORISED",
        /// Captured by the bank.
        Captured = "CAPTURED",
        /// A VERIFICATION succeeded; never captured.
        Accepted = "ACCEPTED",
        /// Accepted, waits for manual validation by the merchant.
        AuthorisedToValidate = "AUTHORISED_TO_VALIDATE",
        /// Authorization deferred.
        WaitingAuthorisation = "WAITING_AUTHORISATION",
        /// Authorization deferred, then manual validation.
        WaitingAuthorisationToValidate = "WAITING_AUTHORISATION_TO_VALIDATE",
        /// Waiting for the acquirer's answer.
        UnderVerification = "UNDER_VERIFICATION",
        /// Intermediate.
        Initial = "INITIAL",
        /// Intermediate.
        PreAuthorised = "PRE_AUTHORISED",
        /// Intermediate.
        Suspended = "SUSPENDED",
        /// Declined.
        Refused = "REFUSED",
        /// The buyer left; no transaction created.
        Abandoned = "ABANDONED",
        /// Cancelled by the merchant.
        Cancelled = "CANCELLED",
        /// Not validated in time / authorization expired.
        Expired = "EXPIRED",
        /// Capture failed.
        CaptureFailed = "CAPTURE_FAILED",
        /// Transaction not created.
        NotCreated = "NOT_CREATED",
        /// Part of the amount authorised.
        PartiallyAuthorised = "PARTIALLY_AUTHORISED",
        /// Capture requested, not confirmed yet (listed by the official SDK).
        CapturePending = "CAPTURE_PENDING",
        /// Waiting for the buyer's payment, e.g. a transfer (listed by the official SDK).
        WaitingForPayment = "WAITING_FOR_PAYMENT",
        /// Pending (listed by the official SDK).
        Pending = "PENDING",
        /// A refund to be retried (listed by the official SDK).
        RefundToRetry = "REFUND_TO_RETRY",
    }
}

impl TransStatus {
    /// Whether the status is final: it never changes again (`CAPTURED`, `CANCELLED`,
    /// `REFUSED`, `EXPIRED`, `ACCEPTED`, `ABANDONED`, `NOT_CREATED`).
    ///
    /// ```
    /// use vads::TransStatus;
    /// assert!(TransStatus::Captured.is_final());
    /// assert!(!TransStatus::Authorised.is_final());
    /// ```
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            TransStatus::Captured
                | TransStatus::Cancelled
                | TransStatus::Refused
                | TransStatus::Expired
                | TransStatus::Accepted
                | TransStatus::Abandoned
                | TransStatus::NotCreated
        )
    }

    /// How far a non-final status is along `WAITING_AUTHORISATION` →
    /// `AUTHORISED_TO_VALIDATE` → `AUTHORISED` → capture: a status only moves to a higher
    /// rank (or to a final status). Final statuses rank highest.
    #[must_use]
    pub const fn rank(self) -> u8 {
        use TransStatus as S;
        match self {
            S::Unknown => 0,
            S::Initial => 1,
            S::WaitingForPayment
            | S::Pending
            | S::WaitingAuthorisation
            | S::WaitingAuthorisationToValidate
            | S::UnderVerification
            | S::PreAuthorised
            | S::Suspended
            | S::RefundToRetry => 2,
            S::AuthorisedToValidate | S::PartiallyAuthorised => 3,
            S::Authorised => 4,
            S::CapturePending | S::CaptureFailed => 5,
            S::Captured
            | S::Cancelled
            | S::Refused
            | S::Expired
            | S::Accepted
            | S::Abandoned
            | S::NotCreated => 6,
        }
    }
}

string_enum! {
    /// `vads_url_check_src`: why the notification was sent.
    UrlCheckSource {
        /// End of payment.
        Pay = "PAY",
        /// Replayed from the back office.
        Bo = "BO",
        /// Status changed after synchronisation.
        Batch = "BATCH",
        /// Deferred authorization.
        BatchAuto = "BATCH_AUTO",
        /// Recurring payment.
        Rec = "REC",
        /// Operation made in the back office (refund, cancel, validate...).
        MerchBo = "MERCH_BO",
        /// Automatic retry of a failed notification.
        Retry = "RETRY",
        /// Data collection form.
        Dcf = "DCF",
        /// Payment order.
        PaymentOrder = "PAYMENT_ORDER",
        /// Voice order.
        VoiceOrder = "VOICE_ORDER",
    }
}

string_enum! {
    /// `vads_operation_type`.
    OperationType {
        /// A debit (payment).
        Debit = "DEBIT",
        /// A credit (refund).
        Credit = "CREDIT",
        /// A card verification.
        Verification = "VERIFICATION",
    }
}

/// What one transaction's status means (protocol section 4), given its operation: a
/// payment (`DEBIT`), a refund (`CREDIT`) or a card verification (`VERIFICATION`). An
/// unknown or missing status, or an unknown operation, is never [`Outcome::Paid`], and a
/// refund never is either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// A payment whose money is (or will be automatically) captured: `AUTHORISED`,
    /// `CAPTURED` of a `DEBIT`.
    Paid,
    /// A refund that went through: `AUTHORISED`, `CAPTURED` of a `CREDIT`.
    Refunded,
    /// A card verification succeeded; nothing will be captured: `ACCEPTED`, or a
    /// successful `VERIFICATION`.
    Verified,
    /// Not final yet (some statuses need the merchant's action, e.g.
    /// `AUTHORISED_TO_VALIDATE`).
    Pending,
    /// Declined, abandoned, expired or not created.
    Failed,
    /// Cancelled by the merchant.
    Cancelled,
    /// A human must look: `CAPTURE_FAILED`, `PARTIALLY_AUTHORISED`, a status or an
    /// operation that is unknown, a missing status.
    NeedsAttention,
}

impl Outcome {
    /// The outcome of a status for a payment (`DEBIT`).
    #[must_use]
    pub const fn of(status: TransStatus) -> Outcome {
        Outcome::of_operation(Some(OperationType::Debit), status)
    }

    /// The outcome of a status for an operation; `None` (absent, as in abandoned or
    /// cancelled payments) is read as a payment.
    ///
    /// ```
    /// use vads::{OperationType as Op, Outcome, TransStatus as S};
    /// assert_eq!(Outcome::of_operation(Some(Op::Debit), S::Captured), Outcome::Paid);
    /// assert_eq!(Outcome::of_operation(Some(Op::Credit), S::Captured), Outcome::Refunded);
    /// assert_eq!(Outcome::of_operation(Some(Op::Verification), S::Accepted), Outcome::Verified);
    /// assert_eq!(Outcome::of_operation(Some(Op::Unknown), S::Captured), Outcome::NeedsAttention);
    /// ```
    #[must_use]
    pub const fn of_operation(operation: Option<OperationType>, status: TransStatus) -> Outcome {
        use TransStatus as S;
        let success = match operation {
            None | Some(OperationType::Debit) => Outcome::Paid,
            Some(OperationType::Credit) => Outcome::Refunded,
            Some(OperationType::Verification) => Outcome::Verified,
            Some(OperationType::Unknown) => Outcome::NeedsAttention,
        };
        match status {
            S::Authorised | S::Captured => success,
            S::Accepted => match operation {
                None | Some(OperationType::Debit | OperationType::Verification) => {
                    Outcome::Verified
                }
                _ => Outcome::NeedsAttention,
            },
            S::AuthorisedToValidate
            | S::WaitingAuthorisation
            | S::WaitingAuthorisationToValidate
            | S::UnderVerification
            | S::Initial
            | S::PreAuthorised
            | S::Suspended
            | S::CapturePending
            | S::WaitingForPayment
            | S::Pending
            | S::RefundToRetry => Outcome::Pending,
            S::Refused | S::Abandoned | S::Expired | S::NotCreated => Outcome::Failed,
            S::Cancelled => Outcome::Cancelled,
            S::CaptureFailed | S::PartiallyAuthorised | S::Unknown => Outcome::NeedsAttention,
        }
    }

    /// `"paid"`, `"refunded"`, `"verified"`, `"pending"`, `"failed"`, `"cancelled"` or
    /// `"needs_attention"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Paid => "paid",
            Outcome::Refunded => "refunded",
            Outcome::Verified => "verified",
            Outcome::Pending => "pending",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::NeedsAttention => "needs_attention",
        }
    }
}

impl core::fmt::Display for Outcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A notification whose signature was verified by [`crate::Shop::verify`]; its fields
/// borrow the body.
///
/// Values are decoded on demand: [`Notification::get`] borrows from the body when the value
/// has no escapes and allocates only when it has.
#[derive(Debug, Clone, Copy)]
pub struct Notification<'a> {
    body: &'a [u8],
    mode: Mode,
    key: KeyMatch,
    algorithm: Algorithm,
}

impl<'a> Notification<'a> {
    pub(crate) fn new(body: &'a [u8], mode: Mode, key: KeyMatch, algorithm: Algorithm) -> Self {
        Notification {
            body,
            mode,
            key,
            algorithm,
        }
    }

    /// The body's fields. Verification hashed, and so validated, every value of the body
    /// before a `Notification` could exist: they are readable as text.
    fn validated_fields(&self) -> impl Iterator<Item = RawField<'a>> + 'a {
        body::segments(self.body).map(RawField::validated)
    }

    fn raw(&self, name: &str) -> Option<RawField<'a>> {
        self.validated_fields().find(|f| f.name_is(name))
    }

    /// The decoded value of field `name` (any field of the body), or `None`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        self.raw(name).map(|f| f.value())
    }

    /// Every field of the body, decoded, in body order (including `signature`).
    pub fn fields(&self) -> impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)> + 'a {
        self.validated_fields().map(|f| (f.name(), f.value()))
    }

    /// The mode (always the shop's: anything else was rejected).
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Which key verified the signature.
    #[must_use]
    pub fn matched_key(&self) -> KeyMatch {
        self.key
    }

    /// The algorithm of the signature.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// IPN or browser return: only the IPN carries `vads_hash` and `vads_url_check_src`.
    #[must_use]
    pub fn kind(&self) -> Kind {
        if self.raw("vads_hash").is_some() && self.raw("vads_url_check_src").is_some() {
            Kind::Ipn
        } else {
            Kind::BrowserReturn
        }
    }

    /// `vads_site_id` (always the shop's).
    #[must_use]
    pub fn site_id(&self) -> Cow<'a, str> {
        self.get("vads_site_id").unwrap_or_default()
    }

    /// `vads_trans_id`, as received.
    #[must_use]
    pub fn trans_id(&self) -> Option<Cow<'a, str>> {
        self.get("vads_trans_id")
    }

    /// `vads_trans_uuid` (normally 32 hex digits), as received.
    #[must_use]
    pub fn trans_uuid(&self) -> Option<Cow<'a, str>> {
        self.get("vads_trans_uuid")
    }

    /// `vads_order_id`, as received.
    #[must_use]
    pub fn order_id(&self) -> Option<Cow<'a, str>> {
        self.get("vads_order_id")
    }

    fn number(&self, name: &'static str, max_digits: usize) -> Result<u64, FieldError> {
        let v = self.get(name).ok_or(FieldError::Missing(name))?;
        if v.is_empty() || v.len() > max_digits || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::Invalid(name));
        }
        v.parse().map_err(|_| FieldError::Invalid(name))
    }

    /// `vads_amount` in minor units (cents for EUR).
    ///
    /// # Errors
    /// [`FieldError`] when absent or not digits only.
    pub fn amount(&self) -> Result<u64, FieldError> {
        self.number("vads_amount", 18)
    }

    /// `vads_effective_amount` in minor units, if present.
    ///
    /// # Errors
    /// [`FieldError`] when absent or not digits only.
    pub fn effective_amount(&self) -> Result<u64, FieldError> {
        self.number("vads_effective_amount", 18)
    }

    /// `vads_currency`, the ISO 4217 numeric code (e.g. 978 for EUR).
    ///
    /// # Errors
    /// [`FieldError`] when absent or not 1–3 digits.
    pub fn currency(&self) -> Result<u16, FieldError> {
        self.number("vads_currency", 3)
            .and_then(|n| u16::try_from(n).map_err(|_| FieldError::Invalid("vads_currency")))
    }

    /// `vads_trans_date` (UTC).
    ///
    /// # Errors
    /// [`FieldError`] when absent or not `YYYYMMDDHHMMSS`.
    pub fn trans_date(&self) -> Result<TransDate, FieldError> {
        let v = self
            .get("vads_trans_date")
            .ok_or(FieldError::Missing("vads_trans_date"))?;
        TransDate::parse(&v).ok_or(FieldError::Invalid("vads_trans_date"))
    }

    /// `vads_trans_status`, or `None` when absent.
    #[must_use]
    pub fn trans_status(&self) -> Option<TransStatus> {
        self.get("vads_trans_status")
            .map(|v| TransStatus::parse(&v))
    }

    /// `vads_operation_type`, or `None` when absent (abandoned or cancelled payments).
    #[must_use]
    pub fn operation_type(&self) -> Option<OperationType> {
        self.get("vads_operation_type")
            .map(|v| OperationType::parse(&v))
    }

    /// `vads_url_check_src`, or `None` when absent (a browser return).
    #[must_use]
    pub fn url_check_src(&self) -> Option<UrlCheckSource> {
        self.get("vads_url_check_src")
            .map(|v| UrlCheckSource::parse(&v))
    }

    /// What this transaction's status means, given its operation (a refund is
    /// [`Outcome::Refunded`], never paid); a missing or unknown status is
    /// [`Outcome::NeedsAttention`], never paid. The order's state comes from all its
    /// notifications: see [`crate::protocol::lifecycle`].
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        self.trans_status()
            .map_or(Outcome::NeedsAttention, |status| {
                Outcome::of_operation(self.operation_type(), status)
            })
    }

    /// A field's value when present and not empty.
    fn nonempty(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A field's word, borrowed from the body: its decoded value when it holds no escape
    /// (the protocol's words never need one), else the value as received, still escaped
    /// (an unknown word then stays distinct, never guessed).
    fn raw_str(&self, name: &str) -> Option<&'a str> {
        let field = self.raw(name)?;
        match field.value() {
            Cow::Borrowed(s) => Some(s),
            Cow::Owned(_) => core::str::from_utf8(field.raw_value()).ok(),
        }
    }

    /// `vads_payment_config`, typed: a single payment or an installment plan (its `:`,
    /// `=` and `;` arrive escaped: decoded first, so the plan is owned).
    #[must_use]
    pub fn payment_config(&self) -> Option<crate::protocol::recurring::PaymentConfig> {
        self.get("vads_payment_config")
            .map(|v| crate::protocol::recurring::PaymentConfig::parse(&v))
    }

    /// `vads_sequence_number`: the installment of a plan (1-based), or the attempt of a
    /// payment retried after a soft decline. `None` when absent or not a number.
    #[must_use]
    pub fn sequence_number(&self) -> Option<u32> {
        self.nonempty("vads_sequence_number")?.parse().ok()
    }

    /// `vads_page_action`, typed.
    #[must_use]
    pub fn page_action(&self) -> Option<crate::protocol::recurring::PageAction<'a>> {
        self.raw_str("vads_page_action")
            .map(crate::protocol::recurring::PageAction::parse)
    }

    /// `vads_identifier`: the token (a saved card), when the notification carries one.
    #[must_use]
    pub fn identifier(&self) -> Option<Cow<'a, str>> {
        self.nonempty("vads_identifier")
    }

    /// `vads_identifier_status`, typed: what happened to the token.
    #[must_use]
    pub fn identifier_status(&self) -> Option<crate::protocol::recurring::IdentifierStatus<'a>> {
        self.raw_str("vads_identifier_status")
            .map(crate::protocol::recurring::IdentifierStatus::parse)
    }

    /// `vads_identifier_previously_registered=true`: the platform found the same card
    /// already saved and returned its existing token (which may differ from the one sent).
    #[must_use]
    pub fn identifier_previously_registered(&self) -> bool {
        self.get("vads_identifier_previously_registered").as_deref() == Some("true")
    }

    /// `vads_subscription`: the subscription id (not unique alone: a subscription is
    /// (token, id)).
    #[must_use]
    pub fn subscription(&self) -> Option<Cow<'a, str>> {
        self.nonempty("vads_subscription")
    }

    /// `vads_recurrence_status`, typed: what happened to the subscription at its creation.
    #[must_use]
    pub fn recurrence_status(&self) -> Option<crate::protocol::recurring::RecurrenceStatus<'a>> {
        self.raw_str("vads_recurrence_status")
            .map(crate::protocol::recurring::RecurrenceStatus::parse)
    }

    /// `vads_recurrence_number`: which installment of the subscription this is.
    #[must_use]
    pub fn recurrence_number(&self) -> Option<u32> {
        self.nonempty("vads_recurrence_number")?.parse().ok()
    }

    /// `vads_occurrence_type`, typed.
    #[must_use]
    pub fn occurrence_type(&self) -> Option<crate::protocol::recurring::OccurrenceType<'a>> {
        self.raw_str("vads_occurrence_type")
            .map(crate::protocol::recurring::OccurrenceType::parse)
    }

    /// `vads_initial_issuer_transaction_identifier`: the chaining reference to keep with
    /// the token (merchant-initiated payments send it back).
    #[must_use]
    pub fn initial_issuer_transaction_identifier(&self) -> Option<Cow<'a, str>> {
        self.nonempty("vads_initial_issuer_transaction_identifier")
    }

    /// `vads_payment_src`, typed (empty or absent: `None`; the platform's default is `EC`).
    #[must_use]
    pub fn payment_src(&self) -> Option<crate::protocol::recurring::PaymentSource<'a>> {
        self.raw_str("vads_payment_src")
            .filter(|v| !v.is_empty())
            .map(crate::protocol::recurring::PaymentSource::parse)
    }

    /// Whether this is an installment of a subscription the platform runs: notified with
    /// `vads_url_check_src=REC`, or a retry or replay of one (it then still carries its
    /// `vads_recurrence_number`).
    #[must_use]
    pub fn is_subscription_installment(&self) -> bool {
        self.get("vads_url_check_src").as_deref() == Some("REC")
            || self.recurrence_number().is_some()
    }

    /// Whether this is `vads rehearse`'s delivery check: its signed marker field
    /// `vads_ext_info_vads_rehearsal=1` (with an `ABANDONED` status, no amount and a
    /// `VADS-REHEARSAL-` order id). It proves the endpoint verifies and answers; it is no
    /// payment, and [`crate::AnyNotification::events`] gives it no event, so no order
    /// keeps it. Only the shop's key signs the marker.
    #[must_use]
    pub fn is_rehearsal(&self) -> bool {
        self.get(REHEARSAL_FIELD).as_deref() == Some("1")
    }

    /// The transaction this notification is about: `vads_trans_uuid`; without one (e.g.
    /// an abandoned payment), `SITE-DATE-transid` from `vads_site_id`, `vads_trans_date`
    /// and `vads_trans_id` (unique per shop per day, compared case-insensitively).
    #[must_use]
    pub fn transaction_id(&self) -> String {
        match self.trans_uuid() {
            Some(uuid) if !uuid.is_empty() => uuid.into_owned(),
            _ => {
                let part = |n: &str| self.get(n).unwrap_or_default();
                format!(
                    "{}-{}-{}",
                    self.site_id(),
                    part("vads_trans_date"),
                    part("vads_trans_id").to_ascii_lowercase()
                )
            }
        }
    }

    /// A key to de-duplicate repeated deliveries: the same payment event delivered again
    /// (retry, back-office replay) gives the same key; a new status or operation gives a
    /// new one. It is `TRANSACTION|vads_trans_status|vads_operation_type`, with
    /// [`Notification::transaction_id`]. Raw status text is used, so unknown statuses
    /// stay distinct.
    #[must_use]
    pub fn idempotency_key(&self) -> String {
        let part = |n: &str| self.get(n).unwrap_or_default();
        format!(
            "{}|{}|{}",
            self.transaction_id(),
            part("vads_trans_status"),
            part("vads_operation_type")
        )
    }
}
