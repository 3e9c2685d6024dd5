//! Money that recurs in the store: an installment plan is one order, each installment
//! recorded once on any number of instances, the outbox saying "installment k paid" or
//! "refused" once each; a subscription's installment is its own record (keyed by the
//! token and its number, linked to the order by its id), recorded once even when two
//! instances receive it at once, with "subscription installment n paid/refused" once.
//! On SQLite always, on PostgreSQL with `VADS_TEST_DATABASE_URL`.

mod common;

use common::{event, key, SITE};
use std::collections::BTreeMap;
use std::time::Duration;
use vads::lifecycle::{Expected, OrderKey, OrderOutcome, TransactionEvent};
use vads::Mode;
use vads_store::{Source, Store};

const PLAN: &str = "MULTI:first=4000;count=3;period=30";

fn installment(k: u32, status: &str) -> TransactionEvent {
    TransactionEvent {
        payment_config: Some(PLAN.into()),
        sequence_number: Some(k),
        url_check_src: Some(if k == 1 { "PAY" } else { "BATCH_AUTO" }.into()),
        ..event("PLAN-1", &format!("i{k}"), "DEBIT", status, 4000)
    }
}

fn renewal(n: u32, subscription: Option<&str>, status: &str) -> TransactionEvent {
    TransactionEvent {
        url_check_src: Some("REC".into()),
        token: Some("tok-1".into()),
        subscription: subscription.map(str::to_owned),
        recurrence_number: Some(n),
        payment_src: Some("OTHER".into()),
        ..event("SUB-ORDER", &format!("r{n}"), "DEBIT", status, 990)
    }
}

/// Two instances of one database.
async fn pairs(test: &str) -> Vec<(Store, Store)> {
    let (a, path) = common::sqlite(test).await;
    let b = Store::open_sqlite_file(&path).await.unwrap();
    let mut all = vec![(a, b)];
    if let Some((a, url)) = common::postgres(test).await {
        all.push((a, Store::open(&url).await.unwrap()));
    }
    all
}

async fn notes(store: &Store) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for e in store
        .claim("w", 100, Duration::from_secs(30))
        .await
        .unwrap()
    {
        if let Some(note) = &e.note {
            *seen.entry(format!("{}: {note}", e.key)).or_default() += 1;
        }
        store.complete(&e).await.unwrap();
    }
    seen
}

#[tokio::test]
async fn each_installment_once_on_two_instances_and_the_outbox_says_which() {
    for (a, b) in pairs("installments").await {
        a.create_order(
            &key("PLAN-1"),
            &Expected {
                amount: 12_000,
                currency: Some("978".into()),
            },
        )
        .await
        .unwrap();
        // Every installment delivered to both instances at once, twice.
        for (k, status) in [(1, "CAPTURED"), (2, "CAPTURED"), (3, "REFUSED")] {
            let e = installment(k, status);
            let (r1, r2, r3) = tokio::join!(
                a.record(std::slice::from_ref(&e), Source::Notification("PAY")),
                b.record(std::slice::from_ref(&e), Source::Notification("RETRY")),
                a.record(std::slice::from_ref(&e), Source::Notification("BO")),
            );
            let news = [r1.unwrap().new, r2.unwrap().new, r3.unwrap().new];
            assert_eq!(
                news.iter().sum::<usize>(),
                1,
                "{:?} installment {k}",
                a.backend()
            );
        }
        let o = a.order(&key("PLAN-1")).await.unwrap().unwrap();
        assert_eq!(o.state.paid, 8000);
        assert_eq!(o.state.attention_codes, ["installment_refused"]);
        let plan = o.state.plan.unwrap();
        assert_eq!((plan.accepted, plan.refused), (vec![1, 2], vec![3]));
        let seen = notes(&b).await;
        let want: BTreeMap<String, usize> = [
            "installment 1 paid",
            "installment 2 paid",
            "installment 3 refused",
        ]
        .into_iter()
        .map(|n| (format!("{SITE}/TEST/PLAN-1: {n}"), 1))
        .collect();
        assert_eq!(seen, want, "{:?}", a.backend());
    }
}

#[tokio::test]
async fn a_subscriptions_installment_is_its_own_record_recorded_once() {
    for (a, b) in pairs("renewals").await {
        a.create_order(
            &key("SUB-ORDER"),
            &Expected {
                amount: 0,
                currency: None,
            },
        )
        .await
        .unwrap();
        for (n, status) in [(1, "CAPTURED"), (2, "REFUSED")] {
            // With its subscription id on one instance, without it on the other (as
            // integrators report): one record, one event.
            let with = renewal(n, Some("SUB-1"), status);
            let without = renewal(n, None, status);
            let (r1, r2) = tokio::join!(
                a.record(std::slice::from_ref(&with), Source::Notification("REC")),
                b.record(std::slice::from_ref(&without), Source::Notification("REC")),
            );
            let (r1, r2) = (r1.unwrap(), r2.unwrap());
            assert_eq!(r1.key, r2.key);
            assert_eq!(r1.new + r2.new, 1, "{:?} installment {n}", a.backend());
        }
        let first = OrderKey::installment(SITE, Mode::Test, "SUB-ORDER", "tok-1", 1);
        let o = a.order(&first).await.unwrap().unwrap();
        assert_eq!((o.state.outcome, o.state.paid), (OrderOutcome::Paid, 990));
        assert_eq!(o.state.order_id.as_deref(), Some("SUB-ORDER"));
        assert_eq!(o.state.recurrence_number, Some(1));
        let second = OrderKey::installment(SITE, Mode::Test, "SUB-ORDER", "tok-1", 2);
        let o = a.order(&second).await.unwrap().unwrap();
        assert_eq!(o.state.outcome, OrderOutcome::Failed);
        assert!(o.state.attention.is_empty());
        // The order that created the subscription is untouched: no second payment on it.
        let order = a.order(&key("SUB-ORDER")).await.unwrap().unwrap();
        assert_eq!((order.events, order.state.paid), (0, 0));
        let seen = notes(&a).await;
        assert_eq!(
            seen.keys().collect::<Vec<_>>(),
            [
                &format!("{SITE}/TEST/SUB-ORDER#1: subscription installment 1 paid"),
                &format!("{SITE}/TEST/SUB-ORDER#2: subscription installment 2 refused"),
            ],
            "{:?}",
            a.backend()
        );
        assert!(seen.values().all(|n| *n == 1));
        // The order lists its subscription's installments, numbered, and only its own:
        // not those of an order whose id merely starts like its own, nor its own record.
        for (n, id) in [(1, "SUB-ORDER-2"), (10, "SUB-ORDER")] {
            let other = TransactionEvent {
                order_id: Some(id.into()),
                ..renewal(n, Some("SUB-1"), "CAPTURED")
            };
            a.record(&[other], Source::Notification("REC"))
                .await
                .unwrap();
        }
        let listed: Vec<(Option<u32>, OrderOutcome)> = b
            .subscription_installments(&key("SUB-ORDER"), 100)
            .await
            .unwrap()
            .iter()
            .map(|o| (o.state.recurrence_number, o.state.outcome))
            .collect();
        assert_eq!(
            listed,
            [
                (Some(1), OrderOutcome::Paid),
                (Some(2), OrderOutcome::Failed),
                (Some(10), OrderOutcome::Paid)
            ],
            "numbered, not sorted as text; {:?}",
            a.backend()
        );
        assert_eq!(
            b.subscription_installments(&key("SUB-ORDER"), 2)
                .await
                .unwrap()
                .len(),
            2,
            "bounded"
        );
        assert!(b
            .subscription_installments(&key("NO-SUCH"), 100)
            .await
            .unwrap()
            .is_empty());
    }
}
