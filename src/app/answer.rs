//! What to answer the platform after a notification.
//!
//! The platform counts only the HTTP status of the shop's answer: 200–206 (and redirects)
//! is delivered; anything else, or no answer within 35 seconds, is a failure that it
//! retries (when the shop enabled retries: up to 4 more times, at the next quarter-hours)
//! and shows in the back office.
//!
//! - **Recorded** (durably, e.g. committed to the database) or recognised as a
//!   **duplicate** of a delivery already recorded: `200`. Never answer success before the
//!   notification is durably recorded: it would be lost.
//! - **Storage failed** transiently: `503`, so that the platform retries later.
//! - **Kept for review**: verified (so genuine), but its content cannot be read as an
//!   event (a REST answer whose signed JSON repeats a key the typed view reads, a value of
//!   the wrong type): `200` once the raw body is durably kept and flagged for a human. A
//!   retry would bring the same signed bytes and fail the same way, four more times, for
//!   nothing; the body kept is what a human (or a later version of the shop) reads.
//! - **Rejected** (bad signature, wrong mode or site, malformed body): `400`. The platforms'
//!   plugins answer 200 to a bad signature "so that a forgery is not retried", but a forgery
//!   does not come from the platform, so nothing is retried either way; what a 200 would
//!   hide is a *genuine* notification refused because of a configuration mistake on the
//!   shop's side (a key not rotated yet, a TEST notification URL pointing at the PRODUCTION
//!   deployment). Answering 400 keeps it: the platform reports the failed delivery to the
//!   merchant and retries, and it can be replayed from the back office once the
//!   configuration is fixed. Nothing is lost, and the body of the answer never says why
//!   (no oracle for a forger). A body above [`crate::MAX_BODY_LEN`] is `413` (refused
//!   unread: no notification is that large), a failure the platform retries as well.
//!
//! ```
//! use vads::answer::{answer, Handled};
//! assert_eq!(answer(&Handled::Recorded).status, 200);
//! assert_eq!(answer(&Handled::Duplicate).status, 200);
//! assert_eq!(answer(&Handled::StorageFailed).status, 503);
//! assert_eq!(answer(&Handled::KeptForReview).status, 200);
//! assert_eq!(answer(&Handled::Rejected(vads::VerifyError::BadSignature)).status, 400);
//! assert_eq!(answer(&Handled::Rejected(vads::VerifyError::BodyTooLarge)).status, 413);
//! ```

use crate::protocol::error::VerifyError;

/// What the shop did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Verified and durably recorded.
    Recorded,
    /// Verified; the same delivery (same idempotency key) was already recorded.
    Duplicate,
    /// Verified, but recording failed transiently (database unavailable, ...).
    StorageFailed,
    /// Verified, but its content could not be read as events; the raw body was durably
    /// kept and flagged as needing attention (a retry would bring the same bytes).
    KeptForReview,
    /// Not verified.
    Rejected(VerifyError),
}

/// The HTTP answer to give the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// A short body (the platform ignores it); never the reason of a rejection.
    pub body: &'static str,
}

/// The answer for `handled` (see the [module](self) documentation for why).
#[must_use]
pub fn answer(handled: &Handled) -> Answer {
    match handled {
        Handled::Recorded | Handled::Duplicate | Handled::KeptForReview => Answer {
            status: 200,
            body: "OK",
        },
        Handled::StorageFailed => Answer {
            status: 503,
            body: "retry later",
        },
        Handled::Rejected(VerifyError::BodyTooLarge) => Answer {
            status: 413,
            body: "too large",
        },
        Handled::Rejected(_) => Answer {
            status: 400,
            body: "rejected",
        },
    }
}

/// Whether the platform counts an HTTP status as a successful delivery (protocol section
/// 4: 200–206, and the redirects 301, 302, 303, 307, 308 that it follows).
///
/// ```
/// assert!(vads::answer::platform_counts_delivered(204));
/// assert!(!vads::answer::platform_counts_delivered(500));
/// ```
#[must_use]
pub fn platform_counts_delivered(status: u16) -> bool {
    matches!(status, 200..=206 | 301 | 302 | 303 | 307 | 308)
}
