//! The store's errors: a sentence and a code, never the database's own text.

/// Why the store could not do what was asked.
///
/// `Display` names no SQL and quotes no database message (a driver's error may hold a
/// value or a statement): it is safe in a log line and its [`code`](StoreError::code) in an
/// answer or a page. The driver's error is the [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL names no database the store can open.
    #[error("store_url_invalid: the store's URL is not sqlite:... or postgres://...")]
    InvalidUrl,
    /// The URL names a backend this build was compiled without.
    #[error("store_backend_not_built: this build has no {0} backend (enable vads-store's feature of that name)")]
    BackendNotBuilt(&'static str),
    /// The database cannot be reached, or no connection was free in time: try again later
    /// (a notification answered 500 is delivered again).
    #[error("store_unavailable: the database cannot be reached")]
    Unavailable(#[source] sqlx::Error),
    /// The database refused a statement.
    #[error("store_failed: the database refused the operation")]
    Database(#[source] sqlx::Error),
    /// What the store wrote earlier cannot be read back (edited by hand, or by a newer
    /// version).
    #[error("store_corrupt: the stored {0} cannot be read")]
    Corrupt(&'static str),
    /// [`Store::record`](crate::Store::record) was given no event.
    #[error("store_no_events: there is no event to record")]
    NoEvents,
    /// An event has no order id (or an empty one): it cannot be attached to an order.
    #[error("store_no_order_id: an event has no order id")]
    NoOrderId,
    /// An order id longer than [`MAX_ORDER_ID_LEN`](crate::MAX_ORDER_ID_LEN).
    #[error("store_order_id_invalid: the order id is too long")]
    InvalidOrderId,
    /// The events given to one record belong to several orders.
    #[error("store_mixed_orders: the events belong to more than one order")]
    MixedOrders,
    /// An event does not say its shop (site id) or its mode: it cannot be kept apart from
    /// the other mode's orders.
    #[error("store_no_scope: an event has no site id or no mode")]
    NoScope,
    /// The events given to one record belong to several shops or modes.
    #[error("store_mixed_scopes: the events belong to more than one shop or mode")]
    MixedScopes,
    /// The database was written by vads-store's first schema (orders keyed by order id
    /// alone) and holds rows: say which shop and mode they belong to
    /// ([`StoreOptions::legacy_scope`](crate::StoreOptions::legacy_scope)). Nothing was
    /// changed.
    #[error("store_legacy_scope_needed: this database was written before vads-store kept modes apart; name the shop and mode its orders belong to (StoreOptions::legacy_scope) to upgrade it; nothing was changed")]
    LegacyScopeNeeded,
    /// The order has [`MAX_EVENTS_PER_ORDER`](crate::MAX_EVENTS_PER_ORDER) events already.
    #[error("store_too_many_events: the order has too many events to record another")]
    TooManyEvents,
    /// [`Store::create_order`](crate::Store::create_order) for an order that exists with
    /// another expected amount or currency.
    #[error("store_order_conflict: the order exists with another amount or currency")]
    OrderConflict,
    /// The outbox entry is no longer this worker's: its lease ended and another worker
    /// claimed it, or it is done. Do not do its side effect.
    #[error("store_lease_lost: the outbox entry is no longer claimed by this worker")]
    LeaseLost,
}

impl StoreError {
    /// The stable code: the part of `Display` before the colon.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::InvalidUrl => "store_url_invalid",
            StoreError::BackendNotBuilt(_) => "store_backend_not_built",
            StoreError::Unavailable(_) => "store_unavailable",
            StoreError::Database(_) => "store_failed",
            StoreError::Corrupt(_) => "store_corrupt",
            StoreError::NoEvents => "store_no_events",
            StoreError::NoOrderId => "store_no_order_id",
            StoreError::InvalidOrderId => "store_order_id_invalid",
            StoreError::MixedOrders => "store_mixed_orders",
            StoreError::NoScope => "store_no_scope",
            StoreError::MixedScopes => "store_mixed_scopes",
            StoreError::LegacyScopeNeeded => "store_legacy_scope_needed",
            StoreError::TooManyEvents => "store_too_many_events",
            StoreError::OrderConflict => "store_order_conflict",
            StoreError::LeaseLost => "store_lease_lost",
        }
    }

    /// Whether trying again later may succeed (the database was unreachable or busy).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// Whether these events can never be recorded as they are (no order id, an order id
    /// too long, several orders, no site id or mode, several shops or modes, an order at
    /// its bound): delivering them again changes
    /// nothing. Keep the notification's body for a human, then answer 200
    /// (`Handled::KeptForReview`). Any other error is the database's: answer 503
    /// (`Handled::StorageFailed`), and the platform delivers the notification again.
    ///
    /// ```
    /// use vads_store::StoreError;
    /// assert!(StoreError::NoOrderId.is_unrecordable());
    /// assert!(!StoreError::Corrupt("event").is_unrecordable());
    /// ```
    #[must_use]
    pub fn is_unrecordable(&self) -> bool {
        matches!(
            self,
            StoreError::NoEvents
                | StoreError::NoOrderId
                | StoreError::InvalidOrderId
                | StoreError::MixedOrders
                | StoreError::NoScope
                | StoreError::MixedScopes
                | StoreError::TooManyEvents
        )
    }

    pub(crate) fn from_sqlx(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            // A serialization failure or a deadlock (PostgreSQL), a busy database (SQLite):
            // the transaction was rolled back, trying again may succeed.
            sqlx::Error::Database(ref d)
                if matches!(d.code().as_deref(), Some("40001" | "40P01" | "5" | "6")) =>
            {
                StoreError::Unavailable(e)
            }
            other => StoreError::Database(other),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from_sqlx(e)
    }
}
