//! TEST and PRODUCTION apart: a store that recorded TEST orders goes live with PRODUCTION
//! orders of the same ids, and nothing of TEST changes a PRODUCTION state or outbox
//! entry; nothing needs deleting, and forgetting a mode on purpose is logged. A database
//! written by the first schema (orders keyed by order id alone) is upgraded without
//! losing a row. On SQLite always, on PostgreSQL with `VADS_TEST_DATABASE_URL`.

mod common;

use common::{event_in, key_in, stores, SITE};
use std::collections::BTreeSet;
use std::time::Duration;
use vads::lifecycle::{Expected, OrderOutcome};
use vads::Mode;
use vads_store::{Backend, Source, Store, StoreError, StoreOptions};

fn eur(amount: u64) -> Expected {
    Expected {
        amount,
        currency: Some("978".into()),
    }
}

#[tokio::test]
async fn test_events_never_change_a_production_order_of_the_same_id() {
    for store in stores("modes_apart").await {
        let backend = store.backend();
        // The rehearsal: TEST orders 1..=3, paid, one refunded.
        for n in 1..=3 {
            let id = format!("ORD-{n}");
            store
                .create_order(&key_in(Mode::Test, &id), &eur(1000))
                .await
                .unwrap();
            let paid = event_in(Mode::Test, &id, &format!("t{n}"), "DEBIT", "CAPTURED", 1000);
            store
                .record(&[paid], Source::Notification("PAY"))
                .await
                .unwrap();
        }
        let refund = event_in(Mode::Test, "ORD-1", "t1r", "CREDIT", "CAPTURED", 1000);
        store
            .record(&[refund], Source::Notification("BO"))
            .await
            .unwrap();
        // Go live, same ids, no purge: ORD-1 refused in PRODUCTION, ORD-2 paid.
        for n in 1..=2 {
            store
                .create_order(&key_in(Mode::Production, &format!("ORD-{n}")), &eur(1000))
                .await
                .unwrap();
        }
        let refused = event_in(Mode::Production, "ORD-1", "p1", "DEBIT", "REFUSED", 1000);
        store
            .record(&[refused], Source::Notification("PAY"))
            .await
            .unwrap();
        // The TEST capture delivered again after go-live (a late retry, a replay from
        // the TEST back office): a replay of the TEST order, nothing in PRODUCTION.
        let late = event_in(Mode::Test, "ORD-1", "t1", "DEBIT", "CAPTURED", 1000);
        let r = store
            .record(&[late], Source::Notification("RETRY"))
            .await
            .unwrap();
        assert_eq!((r.new, r.replays, r.key.mode), (0, 1, Mode::Test));
        // Even the same transaction key in both modes is two events, never a conflict.
        let twin = event_in(Mode::Production, "ORD-2", "t2", "DEBIT", "CAPTURED", 1000);
        let r = store
            .record(&[twin], Source::Notification("PAY"))
            .await
            .unwrap();
        assert_eq!((r.new, r.conflicts), (1, 0), "{backend:?}");

        let live1 = store
            .order(&key_in(Mode::Production, "ORD-1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(live1.state.outcome, OrderOutcome::Failed, "{backend:?}");
        assert_eq!((live1.state.paid, live1.state.refunded), (0, 0));
        assert_eq!(live1.state.mode, Some(Mode::Production));
        assert_eq!(live1.events, 1);
        let test1 = store
            .order(&key_in(Mode::Test, "ORD-1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(test1.state.outcome, OrderOutcome::Refunded);
        assert_eq!(test1.state.mode, Some(Mode::Test));
        let live2 = store
            .order(&key_in(Mode::Production, "ORD-2"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((live2.state.outcome, live2.events), (OrderOutcome::Paid, 1));
        // ORD-3 was never a PRODUCTION order.
        assert!(store
            .order(&key_in(Mode::Production, "ORD-3"))
            .await
            .unwrap()
            .is_none());
        // Every outbox entry says its mode: what ships in PRODUCTION is ORD-2 alone.
        let entries = store
            .claim("shipper", 100, Duration::from_secs(30))
            .await
            .unwrap();
        let live_paid: BTreeSet<String> = entries
            .iter()
            .filter(|e| e.key.mode == Mode::Production && e.to == OrderOutcome::Paid)
            .map(|e| e.key.order_id.clone())
            .collect();
        assert_eq!(live_paid, BTreeSet::from(["ORD-2".to_owned()]));
        assert!(entries.iter().all(|e| e.key.site_id == SITE));
        let test_entries = entries.iter().filter(|e| e.key.mode == Mode::Test).count();
        assert_eq!(test_entries, 4, "3 paid, 1 refunded");

        // Forgetting TEST on purpose: only TEST goes, and the log says so.
        let gone = store.forget_mode(SITE, Mode::Test).await.unwrap();
        assert_eq!((gone.orders, gone.events), (3, 4), "{backend:?}");
        assert_eq!(gone.outbox, 4);
        assert!(store
            .order(&key_in(Mode::Test, "ORD-1"))
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            store
                .order(&key_in(Mode::Production, "ORD-1"))
                .await
                .unwrap()
                .unwrap()
                .state,
            live1.state
        );
        let log = store.log(5).await.unwrap();
        assert_eq!(log[0].action, "forget");
        assert_eq!(log[0].mode.as_deref(), Some("TEST"));
        assert!(log[0].detail.contains("3 order(s)"), "{}", log[0].detail);
    }
}

#[tokio::test]
async fn events_without_a_shop_or_a_mode_or_mixing_them_are_refused() {
    for store in stores("scopes").await {
        let mut no_mode = event_in(Mode::Test, "S-1", "u1", "DEBIT", "CAPTURED", 10);
        no_mode.mode = None;
        let mut no_site = event_in(Mode::Test, "S-1", "u1", "DEBIT", "CAPTURED", 10);
        no_site.site_id = None;
        let test = event_in(Mode::Test, "S-1", "u1", "DEBIT", "CAPTURED", 10);
        let live = event_in(Mode::Production, "S-1", "u2", "DEBIT", "CAPTURED", 10);
        for (events, code) in [
            (vec![no_mode], "store_no_scope"),
            (vec![no_site], "store_no_scope"),
            (vec![test, live], "store_mixed_scopes"),
        ] {
            let e = store
                .record(&events, Source::Notification("PAY"))
                .await
                .unwrap_err();
            assert_eq!(e.code(), code);
            assert!(e.is_unrecordable(), "{code}");
        }
        for mode in [Mode::Test, Mode::Production] {
            assert!(store.order(&key_in(mode, "S-1")).await.unwrap().is_none());
        }
    }
}

/// The first schema's tables and rows, as vads-store 0.1 wrote them: an order paid and
/// then refunded (two events, one outbox entry done, one pending), a kept conflict.
async fn write_first_schema(store_pool: &vads_store::sqlx::AnyPool, backend: Backend) {
    let init = match backend {
        Backend::Sqlite => include_str!("../migrations/sqlite/0001_init.sql"),
        _ => include_str!("../migrations/postgres/0001_init.sql"),
    };
    let mut statements: Vec<String> = vec![
        "CREATE TABLE vads_store_schema (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)"
            .into(),
        "INSERT INTO vads_store_schema (version, applied_ms) VALUES (1, 0)".into(),
    ];
    statements.extend(
        init.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    // Events as the first schema stored them: no site id, no mode in their JSON.
    let paid = r#"{"transaction":"u1","order_id":"OLD-1","trans_uuid":"u1","trans_id":null,"trans_date":null,"operation_type":"DEBIT","trans_status":"CAPTURED","amount":1000,"currency":"978"}"#;
    let refund = r#"{"transaction":"u2","order_id":"OLD-1","trans_uuid":"u2","trans_id":null,"trans_date":null,"operation_type":"CREDIT","trans_status":"CAPTURED","amount":400,"currency":"978"}"#;
    let conflict = r#"{"transaction":"u1","order_id":"OLD-1","trans_uuid":"u1","trans_id":null,"trans_date":null,"operation_type":"DEBIT","trans_status":"CAPTURED","amount":999,"currency":"978"}"#;
    statements.extend([
        format!(
            "INSERT INTO vads_orders (order_id, expected_amount, expected_currency, outcome, paid, refunded, currency, state, events, event_count, conflicts, created_ms, updated_ms) \
             VALUES ('OLD-1', 1000, '978', 'partially_refunded', 1000, 400, '978', NULL, '[{paid},{refund}]', 2, 1, 1, 2)"
        ),
        format!("INSERT INTO vads_events (idempotency_key, order_id, facts_hash, event, source, recorded_ms) VALUES ('u1|CAPTURED|DEBIT', 'OLD-1', 'h1', '{paid}', 'notification:PAY', 1)"),
        format!("INSERT INTO vads_events (idempotency_key, order_id, facts_hash, event, source, recorded_ms) VALUES ('u2|CAPTURED|CREDIT', 'OLD-1', 'h2', '{refund}', 'notification:BO', 2)"),
        format!("INSERT INTO vads_conflicts (idempotency_key, facts_hash, order_id, event, source, recorded_ms) VALUES ('u1|CAPTURED|DEBIT', 'h3', 'OLD-1', '{conflict}', 'notification:RETRY', 3)"),
        "INSERT INTO vads_outbox (id, order_id, from_outcome, to_outcome, created_ms, attempts, done_ms) VALUES (7, 'OLD-1', NULL, 'paid', 1, 1, 5)".into(),
        "INSERT INTO vads_outbox (id, order_id, from_outcome, to_outcome, created_ms, attempts) VALUES (8, 'OLD-1', 'paid', 'partially_refunded', 2, 0)".into(),
    ]);
    for s in statements {
        vads_store::sqlx::query(&s)
            .execute(store_pool)
            .await
            .unwrap();
    }
}

/// A database written by the first schema: refused without a scope (nothing changed),
/// then upgraded under the scope given, every row kept.
async fn upgrade_on(url: &str, backend: Backend) {
    // A pool of the raw database, for the first schema's statements.
    vads_store::sqlx::any::install_default_drivers();
    let raw = vads_store::sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    write_first_schema(&raw, backend).await;

    let e = Store::open(url).await.unwrap_err();
    assert!(matches!(e, StoreError::LegacyScopeNeeded), "{e:?}");
    assert!(!e.is_unrecordable() && !e.is_transient());
    assert!(e.to_string().contains("nothing was changed"), "{e}");
    let version: i64 = vads_store::sqlx::query_scalar("SELECT MAX(version) FROM vads_store_schema")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(version, 1, "refused: the database is as it was");
    raw.close().await;

    let options = StoreOptions {
        legacy_scope: Some((SITE.to_owned(), Mode::Test)),
        ..StoreOptions::default()
    };
    let store = Store::open_with(url, options).await.unwrap();
    let old = store
        .order(&key_in(Mode::Test, "OLD-1"))
        .await
        .unwrap()
        .expect("the order is kept, under the scope given");
    assert_eq!((old.events, old.conflicts), (2, 1));
    assert_eq!(old.expected, Some(eur(1000)));
    assert_eq!((old.state.paid, old.state.refunded), (1000, 400));
    assert_eq!(old.state.mode, Some(Mode::Test));
    // Needs attention: the kept conflict still stands.
    assert_eq!(old.state.outcome, OrderOutcome::NeedsAttention);
    let events = store.events(&key_in(Mode::Test, "OLD-1")).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.event.mode == Some(Mode::Test)));
    assert!(store
        .order(&key_in(Mode::Production, "OLD-1"))
        .await
        .unwrap()
        .is_none());
    // The pending outbox entry is still there, with its id; new ones come after it.
    let pending = store.claim("w", 10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].id, pending[0].key.mode), (8, Mode::Test));
    assert_eq!(pending[0].to, OrderOutcome::PartiallyRefunded);
    store.complete(&pending[0]).await.unwrap();
    // The platform's read replaces the upgraded event's facts, as for any order.
    let read = event_in(Mode::Test, "OLD-1", "u1", "DEBIT", "CAPTURED", 999);
    let r = store
        .record(&[read], Source::PlatformRead("ORDER_GET"))
        .await
        .unwrap();
    assert_eq!(r.new, 1);
    assert!(
        r.state
            .attention
            .contains(&"paid 999 but the order expects 1000".to_owned()),
        "{:?}",
        r.state.attention
    );
    let next = store.claim("w", 10, Duration::from_secs(30)).await.unwrap();
    assert!(next.iter().all(|e| e.id > 8), "{next:?}");
    let log = store.log(5).await.unwrap();
    assert_eq!(log.last().map(|l| l.action.as_str()), Some("upgrade"));
    assert!(log.last().unwrap().detail.contains("6 row(s)"), "{log:?}");
    // Opening again changes nothing, and needs no scope.
    store.close().await;
    let again = Store::open(url).await.unwrap();
    assert_eq!(
        again
            .order(&key_in(Mode::Test, "OLD-1"))
            .await
            .unwrap()
            .unwrap()
            .events,
        2
    );
}

#[tokio::test]
async fn a_database_of_the_first_schema_is_upgraded_without_losing_a_row() {
    let path = std::env::temp_dir().join(format!(
        "vads-store-upgrade-{}-{}.db",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    upgrade_on(&url, Backend::Sqlite).await;
    if let Some(url) = common::postgres_schema("upgrade").await {
        upgrade_on(&url, Backend::Postgres).await;
    }
}

#[tokio::test]
async fn an_empty_database_of_the_first_schema_needs_no_scope() {
    let (store, path) = common::sqlite("empty_upgrade").await;
    store.close().await;
    // Back to the first schema, without rows.
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let _ = std::fs::remove_file(&path);
    vads_store::sqlx::any::install_default_drivers();
    let raw = vads_store::sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    vads_store::sqlx::query(
        "CREATE TABLE vads_store_schema (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
    )
    .execute(&raw)
    .await
    .unwrap();
    vads_store::sqlx::query("INSERT INTO vads_store_schema (version, applied_ms) VALUES (1, 0)")
        .execute(&raw)
        .await
        .unwrap();
    for s in include_str!("../migrations/sqlite/0001_init.sql")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        vads_store::sqlx::query(s).execute(&raw).await.unwrap();
    }
    raw.close().await;
    let store = Store::open(&url).await.unwrap();
    assert!(store.log(5).await.unwrap().is_empty());
}
