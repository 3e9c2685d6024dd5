//! The stores a test runs on: SQLite (a fresh file) always, and PostgreSQL when
//! `VADS_TEST_DATABASE_URL` names one (a fresh schema per test). In CI (`CI` set) a missing
//! PostgreSQL fails the test; elsewhere the test says it was skipped.
#![allow(dead_code)]

use vads::lifecycle::{OrderKey, TransactionEvent};
use vads::Mode;
use vads_store::Store;

/// The shop of the tests.
pub const SITE: &str = "12345678";

/// The TEST order `order` of the tests' shop.
pub fn key(order: &str) -> OrderKey {
    OrderKey::new(SITE, Mode::Test, order)
}

/// The order `order` of the tests' shop in `mode`.
pub fn key_in(mode: Mode, order: &str) -> OrderKey {
    OrderKey::new(SITE, mode, order)
}

pub const PG_VAR: &str = "VADS_TEST_DATABASE_URL";

/// The PostgreSQL URL for tests, or `None` (outside CI) after saying so.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(PG_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{test}: {PG_VAR} is not set, and CI must run the PostgreSQL tests")
        }
        _ => {
            // Straight to the terminal, past the test's output capture: a test whose
            // PostgreSQL part did not run says so even when it "passes".
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("{test}: PostgreSQL part SKIPPED (not run): set {PG_VAR}=postgres://user:password@127.0.0.1/db to run it\n").as_bytes(),
            );
            None
        }
    }
}

/// A store on a fresh PostgreSQL schema (the URL's `search_path` set to it).
pub async fn postgres(test: &str) -> Option<(Store, String)> {
    let scoped = postgres_schema(test).await?;
    let store = Store::open(&scoped).await.expect("PostgreSQL store opens");
    Some((store, scoped))
}

/// A fresh, empty PostgreSQL schema: the URL whose `search_path` is set to it.
pub async fn postgres_schema(test: &str) -> Option<String> {
    let url = postgres_url(test)?;
    let schema = format!(
        "t_{}_{}_{}",
        test.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect::<String>(),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000
    )
    .to_lowercase();
    // A plain connection: the database's public schema is not the store's business.
    vads_store::sqlx::any::install_default_drivers();
    let admin = vads_store::sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("PostgreSQL reachable");
    vads_store::sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

/// A store on a fresh SQLite file.
pub async fn sqlite(test: &str) -> (Store, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!(
        "vads-store-{test}-{}-{}.db",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = Store::open_sqlite_file(&path)
        .await
        .expect("SQLite store opens");
    (store, path)
}

/// Every backend this run has: SQLite, and PostgreSQL when configured.
pub async fn stores(test: &str) -> Vec<Store> {
    let mut all = vec![sqlite(test).await.0];
    if let Some((pg, _)) = postgres(test).await {
        all.push(pg);
    }
    all
}

/// An event as a verified TEST notification gives it.
pub fn event(order: &str, uuid: &str, op: &str, status: &str, amount: u64) -> TransactionEvent {
    event_in(Mode::Test, order, uuid, op, status, amount)
}

/// An event as a verified notification of `mode` gives it.
pub fn event_in(
    mode: Mode,
    order: &str,
    uuid: &str,
    op: &str,
    status: &str,
    amount: u64,
) -> TransactionEvent {
    TransactionEvent {
        site_id: Some(SITE.into()),
        mode: Some(mode),
        transaction: uuid.into(),
        order_id: Some(order.into()),
        trans_uuid: Some(uuid.into()),
        trans_id: None,
        trans_date: None,
        operation_type: Some(op.into()),
        trans_status: Some(status.into()),
        amount: Some(amount),
        currency: Some("978".into()),
        ..TransactionEvent::default()
    }
}
