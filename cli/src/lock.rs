//! The order lock of `vads refund`, `cancel` and `validate`: the store's (a lease row per
//! order, shared by every machine that uses the same database) when the config names one
//! (`store_url`), else a lock file per (site, mode, order) under the user's state
//! directory (`$XDG_STATE_HOME/vads/locks`, or `~/.local/state/vads/locks`), shared by
//! every `vads` of this machine. A lock file is held with the system's file lock (`flock`
//! on Unix): the kernel releases it when its process ends, however it ends (SIGKILL
//! included).

use crate::common::Failure;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use vads::api::lock::{Lease, LockError, OrderLock};
use vads::lifecycle::OrderKey;

/// The lock the config chose.
pub(crate) enum CliLock {
    /// `store_url`: the store's lease rows.
    Store(vads_store::Store),
    /// No store: lock files on this machine.
    Files(FileLocks),
}

impl CliLock {
    /// The store of `shop`'s `store_url`, or the lock files of this machine.
    pub(crate) async fn of(shop: &vads::Shop) -> Result<CliLock, Failure> {
        match shop.store_url() {
            Some(url) => vads_store::Store::open(url.expose_secret())
                .await
                .map(CliLock::Store)
                .map_err(|e| Failure {
                    status: 1,
                    // The store's errors never quote the URL or the database's text.
                    message: format!("{e} (store_url {})", url.redacted()),
                }),
            None => FileLocks::in_state_dir().map(CliLock::Files),
        }
    }
}

impl CliLock {
    /// The store, when the config names one: where the events of a charge are recorded.
    pub(crate) fn store(&self) -> Option<&vads_store::Store> {
        match self {
            CliLock::Store(s) => Some(s),
            CliLock::Files(_) => None,
        }
    }
}

impl OrderLock for CliLock {
    async fn try_acquire(
        &self,
        key: &OrderKey,
        holder: &str,
        lease: Duration,
    ) -> Result<Option<Lease>, LockError> {
        match self {
            CliLock::Store(s) => OrderLock::try_acquire(s, key, holder, lease).await,
            CliLock::Files(f) => f.try_acquire(key, holder, lease).await,
        }
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<(), LockError> {
        match self {
            CliLock::Store(s) => OrderLock::renew(s, lease, lease_for).await,
            CliLock::Files(f) => f.renew(lease, lease_for).await,
        }
    }

    async fn release(&self, lease: &Lease) -> Result<(), LockError> {
        match self {
            CliLock::Store(s) => OrderLock::release(s, lease).await,
            CliLock::Files(f) => f.release(lease).await,
        }
    }
}

/// Lock files in one directory, one per order: `<sha-256 of site, mode, order>.lock`.
pub(crate) struct FileLocks {
    dir: PathBuf,
    /// The files this process holds locked, by lease token.
    held: Mutex<HashMap<u64, std::fs::File>>,
    next: AtomicU64,
}

/// Why the lock files cannot be used, as an error of the operation.
fn unavailable(what: &str) -> LockError {
    LockError::Unavailable(what.to_owned().into())
}

impl FileLocks {
    /// `$XDG_STATE_HOME/vads/locks`, else `$HOME/.local/state/vads/locks`, created
    /// (mode 0700) if missing.
    pub(crate) fn in_state_dir() -> Result<FileLocks, Failure> {
        let base = std::env::var_os("XDG_STATE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".local").join("state"))
            })
            .ok_or_else(|| Failure {
                status: 1,
                message: "lock_unavailable: no state directory for the order locks (set XDG_STATE_HOME or HOME, or name a store with store_url); nothing was sent".into(),
            })?;
        let dir = base.join("vads").join("locks");
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(|e| Failure {
            status: 1,
            message: format!(
                "lock_unavailable: cannot create the order locks' directory {}: {}; nothing was sent",
                vads::shown::shown_path(&dir),
                crate::common::os_reason(&e)
            ),
        })?;
        Ok(FileLocks {
            dir,
            held: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
        })
    }

    fn path(&self, key: &OrderKey) -> PathBuf {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for part in [
            key.site_id.as_str(),
            key.mode.as_str(),
            key.order_id.as_str(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        let name: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.lock"))
    }

    async fn try_acquire(
        &self,
        key: &OrderKey,
        _holder: &str,
        _lease: Duration,
    ) -> Result<Option<Lease>, LockError> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(self.path(key))
            .map_err(|_| unavailable("the order's lock file cannot be opened"))?;
        if !try_lock(&file)? {
            return Ok(None);
        }
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(token, file);
        Ok(Some(Lease::new(key.clone(), token)))
    }

    async fn renew(&self, lease: &Lease, _lease_for: Duration) -> Result<(), LockError> {
        // A lock file is held until it is released or its process ends: nothing expires.
        let held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if held.contains_key(&lease.token()) {
            Ok(())
        } else {
            Err(LockError::Lost)
        }
    }

    async fn release(&self, lease: &Lease) -> Result<(), LockError> {
        // Closing the file releases its lock.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&lease.token());
        Ok(())
    }
}

/// An exclusive lock on the file without waiting (`flock` on Unix, `LockFileEx` on
/// Windows): `Ok(false)` when another process holds it.
fn try_lock(file: &std::fs::File) -> Result<bool, LockError> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(_)) => {
            Err(unavailable("the order's lock file cannot be locked"))
        }
    }
}
