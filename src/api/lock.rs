//! One money operation in flight per order (feature `api`): the lock that
//! [`super::money`] takes before its first read and holds until the order is settled.
//!
//! Reading first protects a retry, not a race: two operators who press "Refund" at the
//! same moment both read "nothing refunded" and both send (protocol section 10,
//! "Concurrent operators"). The API has no idempotency, so the only defence is to let one
//! of them act at a time, on every process and instance that may act on the order. That
//! is a lock the caller provides, because only the caller knows what its instances share:
//!
//! - [`OrderLock`]: the small trait ([`OrderLock::try_acquire`], [`OrderLock::renew`],
//!   [`OrderLock::release`]) over a *lease* with a *fencing token*: a holder that crashed
//!   loses the lock when its lease ends, and a holder whose lease ended can no longer
//!   renew it (its token is stale), so it never sends after another took over.
//! - [`LocalLocks`]: the lock of one process (tests, a single instance).
//! - `vads-store`'s `Store` implements it on SQLite and PostgreSQL (a lease row per
//!   order): the lock of several instances.
//! - The `vads` command line takes the store's lock when its config names a store
//!   (`store_url`), else a lock file per (site, mode, order).
//!
//! A second caller waits ([`LockPolicy::wait`], 10 s by default), then gets
//! [`LockError::Busy`]: never a second send.

use crate::protocol::lifecycle::OrderKey;
use core::fmt;
use core::future::Future;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A lock held on one order: the order, the holder's fencing token (it grows each time
/// the lock changes hands, so a stale holder cannot renew or release another's lease),
/// and until when the lock believes it is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    key: OrderKey,
    token: u64,
}

impl Lease {
    /// A lease on `key` with fencing token `token` (for implementations of [`OrderLock`]).
    #[must_use]
    pub fn new(key: OrderKey, token: u64) -> Lease {
        Lease { key, token }
    }

    /// The order.
    #[must_use]
    pub fn key(&self) -> &OrderKey {
        &self.key
    }

    /// The fencing token: larger than every token given before for this order.
    #[must_use]
    pub fn token(&self) -> u64 {
        self.token
    }
}

/// Why a lock could not be taken or kept.
#[derive(Debug)]
#[non_exhaustive]
pub enum LockError {
    /// Another operation holds the order's lock, and it was not given back within the
    /// wait: nothing was read or sent. Try again when the other operation has ended (its
    /// result is the order's state then).
    Busy {
        /// How long this caller waited.
        waited: Duration,
    },
    /// The lease ended and another holder took the lock: this holder must not send.
    Lost,
    /// The lock's storage failed (the database, the lock file). The source says how; it
    /// is not part of `Display`, which a page or a log may show.
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
}

impl LockError {
    /// The stable code: `busy`, `lock_lost`, `lock_unavailable`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            LockError::Busy { .. } => "busy",
            LockError::Lost => "lock_lost",
            LockError::Unavailable(_) => "lock_unavailable",
        }
    }
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Busy { waited } => write!(
                f,
                "busy: another operation on this order is in flight (waited {} ms); nothing was sent: run it again once that one has ended",
                waited.as_millis()
            ),
            LockError::Lost => f.write_str(
                "lock_lost: the order's lock ended and another operation took it; nothing more was sent",
            ),
            LockError::Unavailable(_) => f.write_str(
                "lock_unavailable: the order's lock cannot be taken or kept (its storage failed); nothing was sent",
            ),
        }
    }
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LockError::Unavailable(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

/// A lock per order shared by everything that may move the order's money. Implementations
/// must make [`try_acquire`](OrderLock::try_acquire) atomic across every process that
/// uses them, give an expired lease to the next caller, and refuse to renew a lease whose
/// token is no longer the order's.
pub trait OrderLock: Send + Sync {
    /// Takes the lock of `key` for `lease` if nobody holds it (or its holder's lease
    /// ended): `Ok(Some(_))` taken, `Ok(None)` held by another. Never waits. `holder`
    /// names the caller for an operator who looks at the lock (a process, an instance).
    fn try_acquire(
        &self,
        key: &OrderKey,
        holder: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Option<Lease>, LockError>> + Send;

    /// Extends `lease` by `lease_for` from now, if it is still this holder's:
    /// [`LockError::Lost`] otherwise.
    fn renew(
        &self,
        lease: &Lease,
        lease_for: Duration,
    ) -> impl Future<Output = Result<(), LockError>> + Send;

    /// Gives the lock back (nothing when it is no longer this holder's).
    fn release(&self, lease: &Lease) -> impl Future<Output = Result<(), LockError>> + Send;
}

impl<L: OrderLock> OrderLock for &L {
    fn try_acquire(
        &self,
        key: &OrderKey,
        holder: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Option<Lease>, LockError>> + Send {
        (**self).try_acquire(key, holder, lease)
    }

    fn renew(
        &self,
        lease: &Lease,
        lease_for: Duration,
    ) -> impl Future<Output = Result<(), LockError>> + Send {
        (**self).renew(lease, lease_for)
    }

    fn release(&self, lease: &Lease) -> impl Future<Output = Result<(), LockError>> + Send {
        (**self).release(lease)
    }
}

impl<L: OrderLock> OrderLock for std::sync::Arc<L> {
    fn try_acquire(
        &self,
        key: &OrderKey,
        holder: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Option<Lease>, LockError>> + Send {
        (**self).try_acquire(key, holder, lease)
    }

    fn renew(
        &self,
        lease: &Lease,
        lease_for: Duration,
    ) -> impl Future<Output = Result<(), LockError>> + Send {
        (**self).renew(lease, lease_for)
    }

    fn release(&self, lease: &Lease) -> impl Future<Output = Result<(), LockError>> + Send {
        (**self).release(lease)
    }
}

/// How long to wait for an order's lock, and how long a lease lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockPolicy {
    /// How long a second caller waits for the first before [`LockError::Busy`] (default
    /// 10 s, protocol section 10).
    pub wait: Duration,
    /// How long a lease lasts without renewal (default 120 s). The holder renews it before
    /// each call, and it is never shorter than one call may take
    /// ([`super::ClientConfig::call_timeout`] + 5 s): a lease that ended while a request
    /// was still under way would let a second caller read too early.
    pub lease: Duration,
    /// Who holds the lock, for an operator who looks at it (default `vads/<pid>`).
    pub holder: String,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy {
            wait: Duration::from_secs(10),
            lease: Duration::from_secs(120),
            holder: format!("vads/{}", std::process::id()),
        }
    }
}

/// The margin a lease keeps above one call's timeout.
pub(crate) const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// The locks of one process: enough for a shop that runs one instance, and for tests. A
/// lease still ends after its time (a task that was cancelled while it held one does not
/// block the order for ever).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), vads::api::lock::LockError> {
/// use std::time::Duration;
/// use vads::api::lock::{LocalLocks, OrderLock};
/// use vads::lifecycle::OrderKey;
/// let locks = LocalLocks::new();
/// let key = OrderKey::new("12345678", vads::Mode::Test, "A-1");
/// let held = locks.try_acquire(&key, "first", Duration::from_secs(60)).await?.unwrap();
/// assert!(locks.try_acquire(&key, "second", Duration::from_secs(60)).await?.is_none());
/// locks.release(&held).await?;
/// let again = locks.try_acquire(&key, "second", Duration::from_secs(60)).await?.unwrap();
/// assert!(again.token() > held.token());
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct LocalLocks {
    held: Mutex<HashMap<OrderKey, (u64, Option<Instant>)>>,
}

impl LocalLocks {
    /// No lock held.
    #[must_use]
    pub fn new() -> LocalLocks {
        LocalLocks::default()
    }
}

impl OrderLock for LocalLocks {
    fn try_acquire(
        &self,
        key: &OrderKey,
        _holder: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Option<Lease>, LockError>> + Send {
        let now = Instant::now();
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = held.entry(key.clone()).or_insert((0, None));
        let taken = match entry.1 {
            Some(until) if until > now => None,
            _ => {
                entry.0 += 1;
                entry.1 = Some(now + lease);
                Some(Lease::new(key.clone(), entry.0))
            }
        };
        core::future::ready(Ok(taken))
    }

    fn renew(
        &self,
        lease: &Lease,
        lease_for: Duration,
    ) -> impl Future<Output = Result<(), LockError>> + Send {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let result = match held.get_mut(&lease.key) {
            // The token is the order's: nobody took it since (even if the lease ended).
            Some(entry) if entry.0 == lease.token && entry.1.is_some() => {
                entry.1 = Some(Instant::now() + lease_for);
                Ok(())
            }
            _ => Err(LockError::Lost),
        };
        core::future::ready(result)
    }

    fn release(&self, lease: &Lease) -> impl Future<Output = Result<(), LockError>> + Send {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = held.get_mut(&lease.key) {
            if entry.0 == lease.token {
                entry.1 = None;
            }
        }
        core::future::ready(Ok(()))
    }
}

/// Takes `key`'s lock for `lease`, trying again (50 ms, doubling to 1 s) until `wait` has
/// passed: [`LockError::Busy`] then.
pub(crate) async fn acquire<L: OrderLock, T: super::Transport>(
    lock: &L,
    key: &OrderKey,
    policy: &LockPolicy,
    lease: Duration,
    transport: &T,
) -> Result<Lease, LockError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        if let Some(held) = lock.try_acquire(key, &policy.holder, lease).await? {
            return Ok(held);
        }
        let waited = start.elapsed();
        if waited >= policy.wait {
            return Err(LockError::Busy { waited });
        }
        transport.sleep(pause.min(policy.wait - waited)).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now<F: Future>(f: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn an_expired_lease_goes_to_the_next_caller_and_the_stale_holder_cannot_renew() {
        let locks = LocalLocks::new();
        let key = OrderKey::new("12345678", crate::Mode::Test, "A-1");
        let first = now(locks.try_acquire(&key, "a", Duration::ZERO))
            .unwrap()
            .unwrap();
        // Its lease ended at once: the next caller gets it, with a larger token.
        let second = now(locks.try_acquire(&key, "b", Duration::from_secs(60)))
            .unwrap()
            .unwrap();
        assert!(second.token() > first.token());
        assert!(matches!(
            now(locks.renew(&first, Duration::from_secs(60))),
            Err(LockError::Lost)
        ));
        // The stale holder's release gives nothing back.
        now(locks.release(&first)).unwrap();
        assert!(now(locks.try_acquire(&key, "c", Duration::from_secs(60)))
            .unwrap()
            .is_none());
        now(locks.renew(&second, Duration::from_secs(60))).unwrap();
        // Another mode's order of the same id is another lock.
        let live = OrderKey::new("12345678", crate::Mode::Production, "A-1");
        assert!(now(locks.try_acquire(&live, "d", Duration::from_secs(60)))
            .unwrap()
            .is_some());
    }

    #[test]
    fn codes_and_sentences() {
        let busy = LockError::Busy {
            waited: Duration::from_millis(10_000),
        };
        assert_eq!(busy.code(), "busy");
        assert!(busy.to_string().starts_with("busy: "));
        assert!(LockError::Lost.to_string().starts_with("lock_lost: "));
        let u = LockError::Unavailable("secret detail".into());
        assert!(u.to_string().starts_with("lock_unavailable: "));
        assert!(!u.to_string().contains("secret"));
    }
}
