//! # vads-store: each notification recorded once, each side effect fired once
//!
//! A shop that runs several instances behind a load balancer receives the platform's
//! notification, its automatic retry and the back office's resend on different instances
//! at the same time. [`Store::record`] makes the record **one database transaction**:
//!
//! 1. lock the order's row (`SELECT ... FOR UPDATE` on PostgreSQL; the database's write
//!    lock on SQLite), creating it if the shop never did — an order is keyed by (site id,
//!    mode, order id), so a TEST notification never touches a PRODUCTION order of the same
//!    id, and a store that kept TEST history needs no purge to go live;
//! 2. insert each [`TransactionEvent`] that is new, keyed by its idempotency key
//!    ([`TransactionEvent::idempotency_key`]: the transaction, its status and its
//!    operation — the same for a REST and a `vads_*` notification of the same event); an
//!    event whose key is known is a *replay* when its facts (order, amount, currency) are
//!    the same, a *conflict* otherwise (kept aside, the order then needs a human);
//! 3. recompute the order's state from all its events with [`vads::lifecycle::reconcile`],
//!    against the amount and currency the shop expects ([`Store::create_order`]);
//! 4. when the order's outcome changes, write an **outbox** entry (order, from, to).
//!
//! On PostgreSQL, one event takes a shorter way to the same result: the state is computed
//! from the order's row as read, and one statement writes the event, the state and the
//! outbox entry only if the row is still what was read (a compare-and-set, atomic as any
//! statement); a record that loses a race with another instance starts again, and after a
//! few tries takes the locking transaction above.
//!
//! A worker then [`claim`](Store::claim)s outbox entries (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL: two workers never get the same entry), does the side effect (ship the goods,
//! e-mail the buyer) and [`complete`](Store::complete)s them; an entry left claimed by a
//! worker that crashed comes back after its lease. A side effect written in the same
//! database happens exactly once when it is written inside the completion's transaction
//! ([`Store::begin_completion`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), vads_store::StoreError> {
//! use std::time::Duration;
//! use vads::lifecycle::{Expected, OrderKey, OrderOutcome, TransactionEvent};
//! use vads::Mode;
//! use vads_store::{Source, Store};
//!
//! let store = Store::open("sqlite::memory:").await?;
//! // An order is (site id, mode, order id): a PRODUCTION "ORD-1" is another order.
//! let key = OrderKey::new("12345678", Mode::Test, "ORD-1");
//! store.create_order(&key, &Expected { amount: 1250, currency: Some("978".into()) }).await?;
//!
//! // A verified notification's events (here made by hand).
//! let event = TransactionEvent {
//!     site_id: Some("12345678".into()),
//!     mode: Some(Mode::Test),
//!     transaction: "a1b2c3".into(),
//!     order_id: Some("ORD-1".into()),
//!     trans_uuid: Some("a1b2c3".into()),
//!     trans_id: None,
//!     trans_date: None,
//!     operation_type: Some("DEBIT".into()),
//!     trans_status: Some("CAPTURED".into()),
//!     amount: Some(1250),
//!     currency: Some("978".into()),
//!     ..TransactionEvent::default()
//! };
//! let first = store.record(&[event.clone()], Source::Notification("PAY")).await?;
//! assert!(first.is_new());
//! assert_eq!(first.state.outcome, OrderOutcome::Paid);
//! // The platform's retry: recorded already, nothing changes, no second outbox entry.
//! let again = store.record(&[event], Source::Notification("RETRY")).await?;
//! assert!(!again.is_new() && again.change.is_none());
//!
//! // The worker ships once.
//! let entries = store.claim("shipper", 10, Duration::from_secs(60)).await?;
//! assert_eq!(entries.len(), 1);
//! assert_eq!(entries[0].to, OrderOutcome::Paid);
//! store.complete(&entries[0]).await?;
//! assert!(store.claim("shipper", 10, Duration::from_secs(60)).await?.is_empty());
//! # Ok(()) }
//! ```
//!
//! The store is also the **order lock** of money operations across instances
//! ([`vads::api::lock::OrderLock`]: a lease row per order with a fencing token), so that
//! `vads::api::money` never refunds an order twice when two operators or two instances
//! ask at once.
//!
//! ## Backends
//!
//! One code path over sqlx's `Any` pool; the URL chooses: `sqlite::memory:` (tests: one
//! connection), `sqlite://path/to/file.db?mode=rwc` (or [`Store::open_sqlite_file`]), and
//! with the feature `postgres`, `postgres://user:password@host/db`. The schema is created
//! and upgraded by [`Store::open`] (its own version table, `vads_store_schema`, so that it
//! never mixes with the application's migrations); its tables are prefixed `vads_`.
//!
//! ## Errors
//!
//! [`StoreError`]'s `Display` is a sentence that names no SQL and quotes no database
//! message: it can be logged and its [`code`](StoreError::code) shown. The driver's error,
//! for an operator's log, is its [`source`](std::error::Error::source).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod fast;
mod forget;
mod lock;
mod outbox;
mod record;
mod schema;

pub use error::StoreError;
pub use forget::{Forgotten, LogEntry};
pub use outbox::{Completion, OutboxEntry};
pub use record::{Change, Recorded, Source, StoredEvent, StoredOrder};
/// The sqlx this crate is built on (a [`Completion`]'s connection is one of its types).
pub use sqlx;
pub use vads::lifecycle::OrderKey;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::time::Duration;
use vads::lifecycle::TransactionEvent;
use vads::Mode;

/// The most events one order may have (a bound on what a recompute reads).
pub const MAX_EVENTS_PER_ORDER: usize = 1000;

/// The longest order id the store accepts, in bytes.
pub const MAX_ORDER_ID_LEN: usize = 255;

/// Which database a [`Store`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite: one process (or several on one machine), the database's lock serialises
    /// writers.
    Sqlite,
    /// PostgreSQL: several instances; row locks and `SKIP LOCKED`.
    Postgres,
}

impl Backend {
    /// The backend a URL names, or why not.
    fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            if cfg!(feature = "sqlite") {
                Ok(Backend::Sqlite)
            } else {
                Err(StoreError::BackendNotBuilt("sqlite"))
            }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            if cfg!(feature = "postgres") {
                Ok(Backend::Postgres)
            } else {
                Err(StoreError::BackendNotBuilt("postgres"))
            }
        } else {
            Err(StoreError::InvalidUrl)
        }
    }
}

/// How a [`Store`] connects.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The most connections the pool opens (default 16; a memory database always has 1).
    pub max_connections: u32,
    /// How long a call waits for a free connection before
    /// [`StoreError::Unavailable`] (default 10 s).
    pub acquire_timeout: Duration,
    /// The shop and mode the orders of a database written by vads-store 0.1's first
    /// schema belong to: that schema keyed orders by order id alone and could not tell
    /// TEST from PRODUCTION, so its rows are kept under the scope named here when the
    /// database is upgraded (logged in `vads_store_log`). Needed only to upgrade such a
    /// database that holds rows ([`StoreError::LegacyScopeNeeded`] otherwise, nothing
    /// changed); ignored afterwards.
    pub legacy_scope: Option<(String, Mode)>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
            legacy_scope: None,
        }
    }
}

/// The store: a pool on SQLite or PostgreSQL, its schema up to date. Cheap to clone (the
/// pool is shared).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    /// The backend only: a URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `url` with [`StoreOptions::default`], and creates or upgrades
    /// the store's tables.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`], [`StoreError::BackendNotBuilt`],
    /// [`StoreError::Unavailable`] when the database cannot be reached,
    /// [`StoreError::Database`] when the schema cannot be created.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, StoreOptions::default()).await
    }

    /// Opens (creating it if missing) the SQLite file at `path`.
    ///
    /// # Errors
    /// As [`Store::open`]; [`StoreError::InvalidUrl`] for a path that is not UTF-8 or
    /// holds `?`, `#` or `%` (which a URL would read otherwise).
    pub async fn open_sqlite_file(path: &std::path::Path) -> Result<Store, StoreError> {
        let text = path.to_str().ok_or(StoreError::InvalidUrl)?;
        if text.is_empty() || text.contains(['?', '#', '%']) {
            return Err(StoreError::InvalidUrl);
        }
        Store::open(&format!("sqlite://{text}?mode=rwc")).await
    }

    /// Opens the database at `url` with `options`; see [`Store::open`].
    ///
    /// # Errors
    /// As [`Store::open`].
    pub async fn open_with(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        let backend = Backend::of_url(url)?;
        install_drivers();
        let memory = backend == Backend::Sqlite && url.contains(":memory:");
        let mut pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout);
        if memory {
            // A memory database lives as long as its one connection: never closed.
            pool = pool
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = pool.connect(url).await.map_err(StoreError::from_sqlx)?;
        let store = Store { pool, backend };
        schema::migrate(&store, options.legacy_scope.as_ref()).await?;
        Ok(store)
    }

    /// The backend the URL chose.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for the application's own tables in the same database.
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool (waits for the connections in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// sqlx's `Any` drivers, installed once per process (the ones this build has).
fn install_drivers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The order all `events` share — the same site id, mode and order id — or why they
/// cannot be recorded together.
pub(crate) fn order_of(events: &[TransactionEvent]) -> Result<OrderKey, StoreError> {
    let first = events.first().ok_or(StoreError::NoEvents)?;
    let id = first.order_id.as_deref().ok_or(StoreError::NoOrderId)?;
    if id.is_empty() {
        return Err(StoreError::NoOrderId);
    }
    let key = OrderKey::of(first).ok_or(StoreError::NoScope)?;
    check_key(&key)?;
    if events
        .iter()
        .any(|e| e.site_id != first.site_id || e.mode != first.mode)
    {
        return Err(StoreError::MixedScopes);
    }
    // One record: one order, or one installment of a subscription it created.
    if events
        .iter()
        .any(|e| e.order_id.as_deref() != Some(id) || OrderKey::of(e).as_ref() != Some(&key))
    {
        return Err(StoreError::MixedOrders);
    }
    Ok(key)
}

/// The longest site id the store accepts, in bytes (the platform's are 8 digits).
pub const MAX_SITE_ID_LEN: usize = 64;

pub(crate) fn check_key(key: &OrderKey) -> Result<(), StoreError> {
    if key.order_id.is_empty() {
        Err(StoreError::NoOrderId)
    } else if key.order_id.len() > MAX_ORDER_ID_LEN {
        Err(StoreError::InvalidOrderId)
    } else if key.site_id.is_empty() || key.site_id.len() > MAX_SITE_ID_LEN {
        Err(StoreError::NoScope)
    } else {
        Ok(())
    }
}
