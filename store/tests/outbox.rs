//! The outbox on both backends: concurrent claims never share an entry, a completion and
//! its side effect commit together, a lease that ends gives the entry to another worker.

mod common;

use common::{event, stores};
use std::collections::BTreeSet;
use std::time::Duration;
use vads_store::{Source, Store, StoreError};

async fn changes(store: &Store, n: usize, prefix: &str) {
    for i in 0..n {
        let e = event(
            &format!("{prefix}{i}"),
            &format!("{prefix}u{i}"),
            "DEBIT",
            "CAPTURED",
            100,
        );
        assert!(store
            .record(&[e], Source::Notification("PAY"))
            .await
            .unwrap()
            .change
            .is_some());
    }
}

#[tokio::test]
async fn concurrent_workers_claim_disjoint_entries_and_all_of_them() {
    for store in stores("claims").await {
        changes(&store, 60, "C").await;
        let workers: Vec<_> = (0..6)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let got = store
                            .claim(&format!("w{w}"), 4, Duration::from_secs(60))
                            .await
                            .unwrap();
                        if got.is_empty() {
                            break mine;
                        }
                        for e in got {
                            store.complete(&e).await.unwrap();
                            mine.push(e.id);
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        let distinct: BTreeSet<_> = all.iter().copied().collect();
        assert_eq!(
            (all.len(), distinct.len()),
            (60, 60),
            "{:?}",
            store.backend()
        );
        assert_eq!(store.outbox_pending().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_side_effect_commits_with_the_completion_or_not_at_all() {
    for store in stores("completion").await {
        vads_store::sqlx::query(
            "CREATE TABLE shipments (outbox_id BIGINT PRIMARY KEY, order_id TEXT NOT NULL)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        changes(&store, 1, "S").await;
        let entry = store
            .claim("w", 1, Duration::from_secs(60))
            .await
            .unwrap()
            .remove(0);
        // Dropped without commit: neither the shipment nor the completion.
        {
            let mut c = store.begin_completion(&entry).await.unwrap();
            vads_store::sqlx::query("INSERT INTO shipments (outbox_id, order_id) VALUES ($1, $2)")
                .bind(entry.id)
                .bind(&entry.key.order_id)
                .execute(c.connection())
                .await
                .unwrap();
        }
        let count = || async {
            let n: i64 = vads_store::sqlx::query_scalar("SELECT COUNT(*) FROM shipments")
                .fetch_one(store.pool())
                .await
                .unwrap();
            n
        };
        assert_eq!(count().await, 0);
        assert_eq!(store.outbox_pending().await.unwrap(), 1);
        let mut c = store.begin_completion(&entry).await.unwrap();
        vads_store::sqlx::query("INSERT INTO shipments (outbox_id, order_id) VALUES ($1, $2)")
            .bind(entry.id)
            .bind(&entry.key.order_id)
            .execute(c.connection())
            .await
            .unwrap();
        c.commit().await.unwrap();
        assert_eq!(count().await, 1);
        assert_eq!(store.outbox_pending().await.unwrap(), 0);
        // Done: a second completion is refused before any side effect.
        assert!(matches!(
            store.begin_completion(&entry).await,
            Err(StoreError::LeaseLost)
        ));
    }
}

#[tokio::test]
async fn an_entry_whose_lease_ends_goes_to_another_worker_and_the_first_loses_it() {
    for store in stores("lease").await {
        changes(&store, 1, "L").await;
        let first = store
            .claim("crashed", 10, Duration::from_millis(300))
            .await
            .unwrap();
        assert_eq!(first.len(), 1);
        // Within the lease nobody else gets it.
        assert!(store
            .claim("other", 10, Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty());
        tokio::time::sleep(Duration::from_millis(400)).await;
        let second = store
            .claim("other", 10, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!((second[0].id, second[0].attempts), (first[0].id, 2));
        // The first worker comes back: its claim no longer holds.
        assert!(matches!(
            store.complete(&first[0]).await,
            Err(StoreError::LeaseLost)
        ));
        assert!(!store.release(&first[0]).await.unwrap());
        store.complete(&second[0]).await.unwrap();
        assert_eq!(store.outbox_pending().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_released_entry_comes_back_at_once() {
    for store in stores("release").await {
        changes(&store, 1, "R").await;
        let e = store
            .claim("w", 1, Duration::from_secs(600))
            .await
            .unwrap()
            .remove(0);
        assert!(store.release(&e).await.unwrap());
        let again = store.claim("w", 1, Duration::from_secs(600)).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].id, e.id);
    }
}
