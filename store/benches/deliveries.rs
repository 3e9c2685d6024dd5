//! Recorded deliveries per second on PostgreSQL (`VADS_TEST_DATABASE_URL`), with 1, 4 and
//! 16 concurrent writers: `Store::record` (one transaction: lock the order, insert the
//! event, recompute, write the outbox entry) beside the floor measured in the same run, a
//! bare `INSERT ... ON CONFLICT DO NOTHING` of the same rows over the same pool. Each
//! delivery is a new order's payment (the worst case: every record writes an outbox entry).
//!
//! `VADS_TEST_DATABASE_URL=postgres://... cargo bench -p vads-store --features postgres --bench deliveries`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vads::lifecycle::TransactionEvent;
use vads_store::{Source, Store, StoreOptions};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn event(n: u64) -> TransactionEvent {
    let id = format!("BENCH-{}-{n}", std::process::id());
    TransactionEvent {
        transaction: format!("{n:032x}"),
        order_id: Some(id),
        trans_uuid: Some(format!("{n:032x}")),
        trans_id: None,
        trans_date: None,
        operation_type: Some("DEBIT".into()),
        trans_status: Some("CAPTURED".into()),
        amount: Some(1250),
        currency: Some("978".into()),
    }
}

#[derive(Clone, Copy)]
enum Writer {
    Floor,
    Store,
}

/// `total` deliveries by `writers` concurrent tasks; the time they took.
async fn run(store: &Arc<Store>, writer: Writer, writers: u64, total: u64) -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            let share = total / writers + u64::from(w < total % writers);
            tokio::spawn(async move {
                for _ in 0..share {
                    let e = event(NEXT.fetch_add(1, Ordering::Relaxed));
                    match writer {
                        Writer::Store => {
                            store
                                .record(std::slice::from_ref(&e), Source::Notification("PAY"))
                                .await
                                .unwrap();
                        }
                        Writer::Floor => {
                            vads_store::sqlx::query(
                                "INSERT INTO bench_floor (idempotency_key, order_id, event) VALUES ($1, $2, $3) \
                                 ON CONFLICT (idempotency_key) DO NOTHING",
                            )
                            .bind(e.idempotency_key())
                            .bind(e.order_id.clone().unwrap_or_default())
                            .bind(serde_json::to_string(&e).unwrap())
                            .execute(store.pool())
                            .await
                            .unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

fn deliveries(c: &mut Criterion) {
    let Ok(url) = std::env::var("VADS_TEST_DATABASE_URL") else {
        eprintln!(
            "deliveries: skipped: set VADS_TEST_DATABASE_URL=postgres://user:password@127.0.0.1/db"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let options = StoreOptions {
        max_connections: 16,
        ..Default::default()
    };
    let store = Arc::new(rt.block_on(Store::open_with(&url, options)).unwrap());
    rt.block_on(async {
        vads_store::sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_floor (idempotency_key TEXT PRIMARY KEY, order_id TEXT NOT NULL, event TEXT NOT NULL)",
        )
        .execute(store.pool())
        .await
        .unwrap();
    });
    let mut group = c.benchmark_group("deliveries");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for writers in [1u64, 4, 16] {
        for (name, writer) in [
            ("floor_insert", Writer::Floor),
            ("store_record", Writer::Store),
        ] {
            group.bench_with_input(BenchmarkId::new(name, writers), &writers, |b, &w| {
                b.iter_custom(|iters| rt.block_on(run(&store, writer, w, iters)));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, deliveries);
criterion_main!(benches);
