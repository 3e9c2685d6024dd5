//! Recorded deliveries per second on PostgreSQL (`VADS_TEST_DATABASE_URL`), with 1, 4 and
//! 16 concurrent writers: `Store::record` (the event, the state and the outbox entry in one
//! transaction) beside the floor measured in the same run, a
//! bare `INSERT ... ON CONFLICT DO NOTHING` of the same rows over the same pool. Each
//! delivery is a payment that changes its order's outcome (every record writes an outbox
//! entry): `store_record` for orders first seen in the notification, `store_record_created`
//! for orders created beforehand with `create_order` (not timed). Orders and events are
//! keyed by (site id, mode, ...), and so is the floor's table.
//!
//! `order_lock`: the round trip of a money operation's order lock on the same database
//! (`try_acquire` then `release`, one order per operation), by 1 and 16 concurrent
//! callers: what `vads::api::money` adds before and after its API calls.
//!
//! `VADS_TEST_DATABASE_URL=postgres://... cargo bench -p vads-store --features postgres --bench deliveries`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vads::api::lock::OrderLock;
use vads::lifecycle::{Expected, OrderKey, TransactionEvent};
use vads::Mode;
use vads_store::{Source, Store, StoreOptions};

static NEXT: AtomicU64 = AtomicU64::new(0);

const SITE: &str = "12345678";

fn event(n: u64) -> TransactionEvent {
    let id = format!("BENCH-{}-{n}", std::process::id());
    TransactionEvent {
        site_id: Some(SITE.into()),
        mode: Some(Mode::Production),
        transaction: format!("{n:032x}"),
        order_id: Some(id),
        trans_uuid: Some(format!("{n:032x}")),
        trans_id: None,
        trans_date: None,
        operation_type: Some("DEBIT".into()),
        trans_status: Some("CAPTURED".into()),
        amount: Some(1250),
        currency: Some("978".into()),
        ..TransactionEvent::default()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Writer {
    /// The bare insert.
    Floor,
    /// `record` of an order first seen in the notification.
    Store,
    /// `record` of an order created beforehand with its expected amount
    /// (`create_order`, not timed): what a shop that creates its orders does.
    StoreCreated,
    /// The order lock's round trip: `try_acquire`, then `release`.
    Lock,
}

/// `total` deliveries by `writers` concurrent tasks; the time they took.
async fn run(store: &Arc<Store>, writer: Writer, writers: u64, total: u64) -> Duration {
    let base = NEXT.fetch_add(total, Ordering::Relaxed);
    if writer == Writer::StoreCreated {
        let expected = Expected {
            amount: 1250,
            currency: Some("978".into()),
        };
        for n in base..base + total {
            let key = OrderKey::of(&event(n)).unwrap();
            store.create_order(&key, &expected).await.unwrap();
        }
    }
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in (base + w..base + total).step_by(writers as usize) {
                    let e = event(n);
                    match writer {
                        Writer::Store | Writer::StoreCreated => {
                            store
                                .record(std::slice::from_ref(&e), Source::Notification("PAY"))
                                .await
                                .unwrap();
                        }
                        Writer::Lock => {
                            let key = OrderKey::of(&e).unwrap();
                            let lease = store
                                .try_acquire(&key, "bench", Duration::from_secs(60))
                                .await
                                .unwrap()
                                .unwrap();
                            OrderLock::release(&*store, &lease).await.unwrap();
                        }
                        Writer::Floor => {
                            vads_store::sqlx::query(
                                "INSERT INTO bench_floor (site_id, mode, idempotency_key, order_id, event) VALUES ($1, $2, $3, $4, $5) \
                                 ON CONFLICT (site_id, mode, idempotency_key) DO NOTHING",
                            )
                            .bind(SITE)
                            .bind("PRODUCTION")
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
    // A schema of its own, dropped at the end: the benchmark never touches the tables of
    // the database it is pointed at.
    let schema = format!("vads_bench_{}", std::process::id());
    vads_store::sqlx::any::install_default_drivers();
    let admin = rt
        .block_on(
            vads_store::sqlx::any::AnyPoolOptions::new()
                .max_connections(1)
                .connect(&url),
        )
        .unwrap();
    rt.block_on(vads_store::sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let store = Arc::new(rt.block_on(Store::open_with(&scoped, options)).unwrap());
    rt.block_on(async {
        vads_store::sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_floor (site_id TEXT NOT NULL, mode TEXT NOT NULL, idempotency_key TEXT NOT NULL, \
             order_id TEXT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (site_id, mode, idempotency_key))",
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
            ("store_record_created", Writer::StoreCreated),
        ] {
            group.bench_with_input(BenchmarkId::new(name, writers), &writers, |b, &w| {
                b.iter_custom(|iters| rt.block_on(run(&store, writer, w, iters)));
            });
        }
    }
    group.finish();
    let mut group = c.benchmark_group("order_lock");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for writers in [1u64, 16] {
        // The floor again, in this group: one statement per element.
        group.bench_with_input(
            BenchmarkId::new("floor_insert", writers),
            &writers,
            |b, &w| {
                b.iter_custom(|iters| rt.block_on(run(&store, Writer::Floor, w, iters)));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("acquire_release", writers),
            &writers,
            |b, &w| {
                b.iter_custom(|iters| rt.block_on(run(&store, Writer::Lock, w, iters)));
            },
        );
    }
    group.finish();
    rt.block_on(async {
        store.close().await;
        vads_store::sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
    });
}

criterion_group!(benches, deliveries);
criterion_main!(benches);
