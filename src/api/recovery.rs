//! When a notification never comes (protocol section 9): a sweeper that asks `Order/Get`
//! for the orders a shop still holds as pending, and returns the platform's view as
//! reconciliation events, to record like notifications (the same idempotency keys: an
//! IPN arriving later is a duplicate, and the other way round).
//!
//! The decision is sans-IO ([`due`]: which orders to ask now); [`sweep`] asks them through
//! a [`Client`].
//!
//! ```
//! use std::time::Duration;
//! use vads::api::recovery::{due, Pending, SweepPolicy};
//! let policy = SweepPolicy::default(); // after 10 minutes, backing off, 20 calls a run
//! let pending = [
//!     Pending::new("A-1", 1_000),          // payment page shown at t = 1000 s
//!     Pending::new("A-2", 1_500),
//! ];
//! assert_eq!(due(&pending, 1_000 + 599, &policy), Vec::<&str>::new());
//! assert_eq!(due(&pending, 1_000 + 600, &policy), ["A-1"]);
//! ```

use super::client::{Client, Transport};
use super::error::ApiError;
use super::money::read_order;
use crate::protocol::lifecycle::TransactionEvent;
use std::time::Duration;

/// An order the shop holds as pending: its id, when its payment started (Unix seconds),
/// and how often and when it was last asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pending {
    /// The order id.
    pub order_id: String,
    /// When the payment page was shown (or the formToken created), Unix seconds.
    pub started_at: u64,
    /// How many times it was asked for already.
    pub asked: u32,
    /// When it was last asked for, Unix seconds.
    pub last_asked: Option<u64>,
}

impl Pending {
    /// An order never asked for yet.
    #[must_use]
    pub fn new(order_id: impl Into<String>, started_at: u64) -> Pending {
        Pending {
            order_id: order_id.into(),
            started_at,
            asked: 0,
            last_asked: None,
        }
    }
}

/// When to ask, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepPolicy {
    /// An order is asked for once its payment is this old (default 10 minutes: the
    /// platform's first notification is immediate, its retries every quarter-hour).
    pub after: Duration,
    /// The wait after the first question; doubled after each one (default 5 minutes).
    pub backoff: Duration,
    /// The longest wait between two questions about one order (default 6 hours).
    pub max_backoff: Duration,
    /// At most this many `Order/Get` calls per run (default 20).
    pub max_calls: usize,
}

impl Default for SweepPolicy {
    fn default() -> Self {
        SweepPolicy {
            after: Duration::from_secs(600),
            backoff: Duration::from_secs(300),
            max_backoff: Duration::from_secs(6 * 3600),
            max_calls: 20,
        }
    }
}

impl SweepPolicy {
    /// The wait after the `asked`-th question.
    fn wait(&self, asked: u32) -> u64 {
        let doubled = self
            .backoff
            .saturating_mul(1u32 << asked.saturating_sub(1).min(20));
        doubled.min(self.max_backoff).as_secs()
    }
}

/// The orders to ask for at `now` (Unix seconds), oldest payment first, at most
/// `policy.max_calls`: those whose payment is at least `policy.after` old and that were
/// not asked for within their backoff.
#[must_use]
pub fn due<'p>(pending: &'p [Pending], now: u64, policy: &SweepPolicy) -> Vec<&'p str> {
    let mut ready: Vec<&Pending> = pending
        .iter()
        .filter(|p| now >= p.started_at.saturating_add(policy.after.as_secs()))
        .filter(|p| match p.last_asked {
            None => true,
            Some(at) => now >= at.saturating_add(policy.wait(p.asked)),
        })
        .collect();
    ready.sort_by_key(|p| (p.started_at, p.order_id.as_str()));
    ready
        .into_iter()
        .take(policy.max_calls)
        .map(|p| p.order_id.as_str())
        .collect()
}

/// What one question found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Recovered {
    /// The order.
    pub order_id: String,
    /// The platform's view of its transactions as events (empty when the platform has
    /// none yet: the buyer has not paid), or why it could not be read.
    pub events: Result<Vec<TransactionEvent>, ApiError>,
}

/// Asks `Order/Get` for each order [`due`] chooses; returns what each answered. Record
/// the events as notifications (by idempotency key), and count the question in
/// `asked` / `last_asked` for the next run.
pub async fn sweep<T: Transport>(
    client: &Client<T>,
    pending: &[Pending],
    now: u64,
    policy: &SweepPolicy,
) -> Vec<Recovered> {
    let mut out = Vec::new();
    for order_id in due(pending, now, policy) {
        let events = read_order(client, order_id)
            .await
            .map(|ts| ts.iter().map(|t| t.to_event(Some(order_id))).collect());
        out.push(Recovered {
            order_id: order_id.to_owned(),
            events,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_per_order_and_bounds_a_run() {
        let policy = SweepPolicy {
            max_calls: 2,
            ..SweepPolicy::default()
        };
        let mut asked = Pending::new("B", 0);
        asked.asked = 2;
        asked.last_asked = Some(10_000);
        let pending = vec![
            Pending::new("C", 100),
            asked,
            Pending::new("A", 50),
            Pending::new("D", 10_100),
        ];
        // 2nd question -> a wait of 10 minutes.
        assert_eq!(due(&pending, 10_000 + 599, &policy), ["A", "C"]);
        let all = SweepPolicy {
            max_calls: 10,
            ..policy
        };
        assert_eq!(due(&pending, 10_000 + 600, &all), ["B", "A", "C"]);
        assert_eq!(due(&pending, 10_700, &all), ["B", "A", "C", "D"]);
        // The wait never passes max_backoff.
        let mut old = Pending::new("E", 0);
        old.asked = 60;
        old.last_asked = Some(0);
        assert!(due(&[old.clone()], 6 * 3600 - 1, &all).is_empty());
        assert_eq!(due(&[old], 6 * 3600, &all), ["E"]);
    }
}
