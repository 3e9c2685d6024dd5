//! Opening a store: URLs, the schema's version, what an unreachable database says.

mod common;

use common::key;
use vads_store::{Backend, Store, StoreError};

#[tokio::test]
async fn urls_that_name_no_database_are_refused_with_a_code() {
    for url in ["", "mysql://x", "http://127.0.0.1/", "sqlite"] {
        let e = Store::open(url).await.unwrap_err();
        assert_eq!(e.code(), "store_url_invalid", "{url}");
    }
    for path in ["a?b.db", "a#b.db", "a%20.db", ""] {
        let e = Store::open_sqlite_file(std::path::Path::new(path))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "store_url_invalid", "{path}");
    }
}

#[tokio::test]
async fn an_unreachable_postgres_is_unavailable_and_says_no_password() {
    let url = "postgres://user:SeCrEtPaSs@127.0.0.1:1/db";
    let options = vads_store::StoreOptions {
        acquire_timeout: std::time::Duration::from_secs(2),
        ..Default::default()
    };
    let e = Store::open_with(url, options).await.unwrap_err();
    if cfg!(not(feature = "postgres")) {
        // Built without the backend: said so, and still no password.
        assert!(
            matches!(e, StoreError::BackendNotBuilt("postgres")),
            "{e:?}"
        );
        assert!(!format!("{e} {e:?}").contains("SeCrEtPaSs"));
        return;
    }
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    assert!(e.is_transient());
    let shown = e.to_string();
    assert_eq!(shown, "store_unavailable: the database cannot be reached");
    assert!(!format!("{e:?}").contains("SeCrEtPaSs"));
}

#[tokio::test]
async fn a_file_store_opens_again_with_its_data_and_a_newer_schema_is_refused() {
    let (store, path) = common::sqlite("reopen").await;
    assert_eq!(store.backend(), Backend::Sqlite);
    let e = common::event("ORD-R", "u1", "DEBIT", "CAPTURED", 10);
    store
        .record(&[e], vads_store::Source::Notification("PAY"))
        .await
        .unwrap();
    store.close().await;
    let again = Store::open_sqlite_file(&path).await.unwrap();
    assert_eq!(again.order(&key("ORD-R")).await.unwrap().unwrap().events, 1);
    assert!(format!("{again:?}").contains("Sqlite"));
    vads_store::sqlx::query("INSERT INTO vads_store_schema (version, applied_ms) VALUES (99, 0)")
        .execute(again.pool())
        .await
        .unwrap();
    again.close().await;
    let e = Store::open_sqlite_file(&path).await.unwrap_err();
    assert_eq!(e.code(), "store_corrupt");
}

#[tokio::test]
async fn instances_that_start_together_on_postgres_migrate_once() {
    let Some((_, url)) = common::postgres("migrate_together").await else {
        return;
    };
    // The schema exists already (the helper opened it); drop the store's tables and let
    // eight instances create them at once.
    let admin = Store::open(&url).await.unwrap();
    vads_store::sqlx::query(
        "DROP TABLE vads_orders, vads_events, vads_conflicts, vads_outbox, vads_locks, vads_store_log, vads_store_schema",
    )
    .execute(admin.pool())
    .await
    .unwrap();
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::open(&url).await.map(|_| ()) })
        })
        .collect();
    for o in opens {
        o.await.unwrap().unwrap();
    }
    // Each version applied once: 1 (the first schema), 2 (modes apart), 3 (notes).
    let n: i64 = vads_store::sqlx::query_scalar("SELECT COUNT(*) FROM vads_store_schema")
        .fetch_one(admin.pool())
        .await
        .unwrap();
    assert_eq!(n, 3);
}
