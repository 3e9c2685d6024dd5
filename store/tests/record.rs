//! `Store::record` on both backends: new, replay, conflict, a platform's read; concurrent
//! deliveries of the same and of different events; the outbox entry of each change.

mod common;

use common::{event, key, stores};
use std::collections::BTreeMap;
use vads::lifecycle::{reconcile, Expected, OrderOutcome};
use vads_store::{Source, Store, StoreError};

fn eur(amount: u64) -> Expected {
    Expected {
        amount,
        currency: Some("978".into()),
    }
}

#[tokio::test]
async fn an_event_is_new_once_then_a_replay_and_changes_the_outcome_once() {
    for store in stores("replay").await {
        store.create_order(&key("ORD-1"), &eur(1250)).await.unwrap();
        let auth = event("ORD-1", "u1", "DEBIT", "AUTHORISED", 1250);
        let first = store
            .record(std::slice::from_ref(&auth), Source::Notification("PAY"))
            .await
            .unwrap();
        assert_eq!((first.new, first.replays, first.conflicts), (1, 0, 0));
        assert!(first.is_new());
        let change = first
            .change
            .clone()
            .expect("first event changes the outcome");
        assert_eq!((change.from, change.to), (None, first.state.outcome));
        // The retry and the back office's resend: replays, no change, no outbox entry.
        for label in ["RETRY", "BO"] {
            let again = store
                .record(std::slice::from_ref(&auth), Source::Notification(label))
                .await
                .unwrap();
            assert_eq!((again.new, again.replays), (0, 1), "{:?}", store.backend());
            assert!(!again.is_new() && again.change.is_none());
            assert_eq!(again.state, first.state);
        }
        let capture = event("ORD-1", "u1", "DEBIT", "CAPTURED", 1250);
        let paid = store
            .record(std::slice::from_ref(&capture), Source::Notification("PAY"))
            .await
            .unwrap();
        assert_eq!(paid.state.outcome, OrderOutcome::Paid);
        assert_eq!(paid.state.paid, 1250);
        // An authorised payment of the expected amount is paid already: the capture is
        // new but changes no outcome, so it writes no outbox entry.
        assert_eq!(first.state.outcome, OrderOutcome::Paid);
        assert_eq!((paid.new, paid.change.clone()), (1, None));
        assert_eq!(
            reconcile([auth, capture], Some(&eur(1250)))
                .unwrap()
                .outcome,
            OrderOutcome::Paid
        );
        let stored = store.order(&key("ORD-1")).await.unwrap().unwrap();
        assert_eq!(
            (stored.events, stored.state.outcome),
            (2, OrderOutcome::Paid)
        );
        assert_eq!(stored.expected, Some(eur(1250)));
        // One change, one outbox entry.
        let entries = store
            .claim("w", 10, std::time::Duration::from_secs(30))
            .await
            .unwrap();
        let chain: Vec<_> = entries.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(chain, [(None, OrderOutcome::Paid)]);
        assert_eq!(entries[0].id, change.outbox_id);
        let sources: Vec<String> = store
            .events(&key("ORD-1"))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.source)
            .collect();
        assert_eq!(sources, ["notification:PAY", "notification:PAY"]);
    }
}

#[tokio::test]
async fn other_facts_under_a_known_key_are_a_conflict_and_a_platform_read_settles_them() {
    for store in stores("conflict").await {
        store.create_order(&key("ORD-2"), &eur(1000)).await.unwrap();
        let paid = event("ORD-2", "u2", "DEBIT", "AUTHORISED", 1000);
        store
            .record(&[paid], Source::Notification("PAY"))
            .await
            .unwrap();
        // Same transaction, status and operation, another amount (what an amount lowered
        // by Transaction/Update looks like): kept aside, the order needs a human.
        let lowered = event("ORD-2", "u2", "DEBIT", "AUTHORISED", 700);
        let r = store
            .record(std::slice::from_ref(&lowered), Source::Notification("BO"))
            .await
            .unwrap();
        assert_eq!((r.new, r.conflicts), (0, 1));
        assert_eq!(r.state.outcome, OrderOutcome::NeedsAttention);
        assert!(
            r.state.attention.iter().any(|a| a.contains("other facts")),
            "{:?}",
            r.state.attention
        );
        // Delivered again: the conflict is kept once.
        let again = store
            .record(
                std::slice::from_ref(&lowered),
                Source::Notification("RETRY"),
            )
            .await
            .unwrap();
        assert_eq!((again.conflicts, again.replays), (0, 1));
        assert_eq!(
            store.order(&key("ORD-2")).await.unwrap().unwrap().conflicts,
            1
        );
        // The platform's read says 700: its facts replace the recorded ones and settle
        // the conflict.
        let read = store
            .record(&[lowered], Source::PlatformRead("ORDER_GET"))
            .await
            .unwrap();
        assert_eq!(read.new, 1);
        assert!(
            !read
                .state
                .attention
                .iter()
                .any(|a| a.contains("other facts")),
            "{:?}",
            read.state
        );
        // What is left is the amount: 700 paid, 1000 expected (the shop's own Update
        // would change what it expects).
        assert_eq!(
            read.state.attention,
            ["paid 700 but the order expects 1000"]
        );
        assert_eq!(
            store.order(&key("ORD-2")).await.unwrap().unwrap().conflicts,
            0
        );
        let events = store.events(&key("ORD-2")).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event.amount, Some(700));
        assert_eq!(events[0].source, "platform:ORDER_GET");
    }
}

#[tokio::test]
async fn a_transaction_already_recorded_for_another_order_is_a_conflict_of_the_second() {
    for store in stores("cross_order").await {
        let first = event("ORD-A", "shared", "DEBIT", "CAPTURED", 1000);
        let r = store
            .record(&[first], Source::Notification("PAY"))
            .await
            .unwrap();
        assert_eq!((r.new, r.state.outcome), (1, OrderOutcome::Paid));
        // The same transaction key under another order: one transaction cannot pay two
        // orders. Nothing of it is counted; the second order needs a human.
        let second = event("ORD-B", "shared", "DEBIT", "CAPTURED", 1000);
        let r = store
            .record(std::slice::from_ref(&second), Source::Notification("PAY"))
            .await
            .unwrap();
        assert_eq!((r.new, r.conflicts), (0, 1), "{r:?}");
        assert_eq!(r.state.outcome, OrderOutcome::NeedsAttention);
        assert_eq!(r.state.paid, 0);
        assert!(store.events(&key("ORD-B")).await.unwrap().is_empty());
        let a = store.order(&key("ORD-A")).await.unwrap().unwrap();
        assert_eq!((a.events, a.state.outcome), (1, OrderOutcome::Paid));
        // Again: kept aside once.
        let r = store
            .record(&[second], Source::Notification("RETRY"))
            .await
            .unwrap();
        assert_eq!((r.conflicts, r.replays), (0, 1));
    }
}

#[tokio::test]
async fn a_first_payment_of_another_amount_than_the_order_expects_needs_attention() {
    for store in stores("first_other_amount").await {
        store.create_order(&key("ORD-F"), &eur(1000)).await.unwrap();
        let r = store
            .record(
                &[event("ORD-F", "uf", "DEBIT", "CAPTURED", 900)],
                Source::Notification("PAY"),
            )
            .await
            .unwrap();
        assert_eq!(r.new, 1);
        assert_eq!(r.state.outcome, OrderOutcome::NeedsAttention, "{r:?}");
        assert_eq!(r.state.attention, ["paid 900 but the order expects 1000"]);
        let change = r.change.expect("the first event changes the outcome");
        assert_eq!(
            (change.from, change.to),
            (None, OrderOutcome::NeedsAttention)
        );
        // The same order, the same amount: paid.
        store.create_order(&key("ORD-G"), &eur(900)).await.unwrap();
        let r = store
            .record(
                &[event("ORD-G", "ug", "DEBIT", "CAPTURED", 900)],
                Source::Notification("PAY"),
            )
            .await
            .unwrap();
        assert_eq!((r.new, r.state.outcome), (1, OrderOutcome::Paid));
        assert_eq!(
            store.order(&key("ORD-G")).await.unwrap().unwrap().expected,
            Some(eur(900))
        );
    }
}

#[tokio::test]
async fn the_same_event_delivered_concurrently_is_new_exactly_once() {
    for store in stores("concurrent_same").await {
        store.create_order(&key("ORD-3"), &eur(500)).await.unwrap();
        let e = event("ORD-3", "u3", "DEBIT", "CAPTURED", 500);
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (store, e) = (store.clone(), e.clone());
                tokio::spawn(async move { store.record(&[e], Source::Notification("PAY")).await })
            })
            .collect();
        let mut new = 0;
        let mut changes = 0;
        for t in tasks {
            let r = t.await.unwrap().unwrap();
            new += r.new;
            changes += usize::from(r.change.is_some());
        }
        assert_eq!((new, changes), (1, 1), "{:?}", store.backend());
        let entries = store
            .claim("w", 100, std::time::Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
    }
}

#[tokio::test]
async fn different_events_of_one_order_concurrently_give_the_reconciled_state_and_a_chain_of_changes(
) {
    for store in stores("concurrent_mixed").await {
        let orders = 12;
        let mut all = BTreeMap::new();
        let mut deliveries = Vec::new();
        for o in 0..orders {
            let id = format!("ORD-M{o}");
            store.create_order(&key(&id), &eur(2000)).await.unwrap();
            let events = vec![
                event(&id, &format!("p{o}"), "DEBIT", "AUTHORISED", 2000),
                event(&id, &format!("p{o}"), "DEBIT", "CAPTURED", 2000),
                event(&id, &format!("r{o}"), "CREDIT", "CAPTURED", 500),
            ];
            for e in &events {
                for label in ["PAY", "RETRY", "BO"] {
                    deliveries.push((e.clone(), label));
                }
            }
            all.insert(id, events);
        }
        // A fixed shuffle: deliveries of all orders interleaved.
        let n = deliveries.len();
        let mut order: Vec<usize> = (0..n).map(|i| (i * 37 + 11) % n).collect();
        order.dedup();
        let tasks: Vec<_> = order
            .into_iter()
            .map(|i| {
                let (store, (e, label)) = (store.clone(), deliveries[i].clone());
                tokio::spawn(async move { store.record(&[e], Source::Notification(label)).await })
            })
            .collect();
        let mut new = 0;
        for t in tasks {
            new += t.await.unwrap().unwrap().new;
        }
        assert_eq!(new, orders * 3, "{:?}", store.backend());
        let entries = store
            .claim("w", 1000, std::time::Duration::from_secs(30))
            .await
            .unwrap();
        for (id, events) in &all {
            let want = reconcile(events.clone(), Some(&eur(2000))).unwrap();
            let got = store.order(&key(id)).await.unwrap().unwrap();
            assert_eq!(got.state.outcome, want.outcome, "{id}");
            assert_eq!(
                (got.state.paid, got.state.refunded),
                (want.paid, want.refunded)
            );
            assert_eq!(got.state.outcome, OrderOutcome::PartiallyRefunded);
            // The outbox holds the order's changes as a chain: None -> ... -> final.
            let chain: Vec<_> = entries.iter().filter(|e| e.key.order_id == *id).collect();
            assert_eq!(chain[0].from, None);
            for pair in chain.windows(2) {
                assert_eq!(Some(pair[0].to), pair[1].from, "{id}: {chain:?}");
            }
            assert_eq!(chain.last().unwrap().to, want.outcome);
        }
    }
}

#[tokio::test]
async fn an_order_first_seen_in_a_notification_is_created_and_its_expected_amount_checked_later() {
    for store in stores("unknown_order").await {
        let e = event("ORD-4", "u4", "DEBIT", "CAPTURED", 900);
        let r = store
            .record(&[e], Source::Notification("PAY"))
            .await
            .unwrap();
        assert_eq!(r.state.outcome, OrderOutcome::Paid);
        assert_eq!(
            store.order(&key("ORD-4")).await.unwrap().unwrap().expected,
            None
        );
        // The shop says it expected 1000: the payment of 900 no longer settles it.
        store.create_order(&key("ORD-4"), &eur(1000)).await.unwrap();
        let o = store.order(&key("ORD-4")).await.unwrap().unwrap();
        assert_eq!(o.expected, Some(eur(1000)));
        assert_eq!(
            o.state.outcome,
            OrderOutcome::NeedsAttention,
            "{:?}",
            o.state
        );
        // Again with the same amount: nothing; with another: refused.
        store.create_order(&key("ORD-4"), &eur(1000)).await.unwrap();
        let e = store
            .create_order(&key("ORD-4"), &eur(1001))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::OrderConflict));
        assert!(store.order(&key("ORD-none")).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn what_cannot_be_recorded_is_refused_with_a_code_and_nothing_is_written() {
    for store in stores("refused").await {
        let mut no_order = event("x", "u5", "DEBIT", "CAPTURED", 1);
        no_order.order_id = None;
        let mut empty_order = no_order.clone();
        empty_order.order_id = Some(String::new());
        let long = event(&"L".repeat(256), "u6", "DEBIT", "CAPTURED", 1);
        let cases: Vec<(Vec<_>, &str)> = vec![
            (vec![], "store_no_events"),
            (vec![no_order], "store_no_order_id"),
            (vec![empty_order], "store_no_order_id"),
            (vec![long], "store_order_id_invalid"),
            (
                vec![
                    event("A", "u7", "DEBIT", "CAPTURED", 1),
                    event("B", "u8", "DEBIT", "CAPTURED", 1),
                ],
                "store_mixed_orders",
            ),
        ];
        for (events, code) in cases {
            let e = store
                .record(&events, Source::Notification("PAY"))
                .await
                .unwrap_err();
            assert_eq!(e.code(), code);
            assert!(e.to_string().starts_with(&format!("{code}: ")), "{e}");
            // Delivering it again would change nothing: kept for a human, not retried.
            assert!(e.is_unrecordable() && !e.is_transient(), "{e}");
        }
        assert!(store.order(&key("A")).await.unwrap().is_none());
        assert_eq!(store.outbox_pending().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn an_order_takes_at_most_max_events() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let max = vads_store::MAX_EVENTS_PER_ORDER;
    let events: Vec<_> = (0..max)
        .map(|i| event("ORD-BIG", &format!("t{i}"), "DEBIT", "REFUSED", 1))
        .collect();
    assert_eq!(
        store
            .record(&events, Source::Notification("PAY"))
            .await
            .unwrap()
            .new,
        max
    );
    let one_more = event("ORD-BIG", "t-last", "DEBIT", "REFUSED", 1);
    let e = store
        .record(&[one_more], Source::Notification("PAY"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::TooManyEvents) && e.is_unrecordable());
    assert_eq!(
        store.order(&key("ORD-BIG")).await.unwrap().unwrap().events,
        max
    );
}

#[tokio::test]
async fn a_row_edited_by_hand_is_corrupt_not_a_panic() {
    for store in stores("corrupt").await {
        store
            .record(
                &[event("ORD-C", "u9", "DEBIT", "CAPTURED", 1)],
                Source::Notification("PAY"),
            )
            .await
            .unwrap();
        for bad in ["not json", "[{\"transaction\": 5}]", "{}"] {
            vads_store::sqlx::query("UPDATE vads_orders SET events = $1 WHERE order_id = 'ORD-C'")
                .bind(bad)
                .execute(store.pool())
                .await
                .unwrap();
            let e = store.order(&key("ORD-C")).await.unwrap_err();
            assert_eq!(e.code(), "store_corrupt");
            assert!(
                !e.is_unrecordable(),
                "a corrupt store is answered 503, not kept and 200"
            );
            let e = store
                .record(
                    &[event("ORD-C", "u10", "DEBIT", "CAPTURED", 1)],
                    Source::Notification("PAY"),
                )
                .await
                .unwrap_err();
            assert_eq!(e.code(), "store_corrupt");
        }
        vads_store::sqlx::query(
            "UPDATE vads_orders SET expected_amount = -1, events = '[]' WHERE order_id = 'ORD-C'",
        )
        .execute(store.pool())
        .await
        .unwrap();
        assert_eq!(
            store.order(&key("ORD-C")).await.unwrap_err().code(),
            "store_corrupt"
        );
    }
}

#[tokio::test]
async fn a_payment_lowered_before_capture_replaces_its_facts_and_an_older_delivery_is_a_replay() {
    use vads::lifecycle::TransactionEvent;
    for store in stores("lowered").await {
        store.create_order(&key("ORD-L"), &eur(1250)).await.unwrap();
        let paid = event("ORD-L", "u1", "DEBIT", "AUTHORISED", 1250);
        store
            .record(std::slice::from_ref(&paid), Source::Notification("PAY"))
            .await
            .unwrap();
        // The platform's IPN of the lowered payment: same key, lower amount, and the
        // amount it was created with. Not a conflict: the platform's word.
        let lowered = TransactionEvent {
            amount: Some(750),
            initial_amount: Some(1250),
            ..paid.clone()
        };
        let r = store
            .record(std::slice::from_ref(&lowered), Source::Notification("REST"))
            .await
            .unwrap();
        assert_eq!((r.new, r.conflicts), (1, 0), "{:?}", store.backend());
        assert_eq!((r.state.paid, r.state.lowered), (750, 500));
        assert_eq!(
            r.state.outcome,
            OrderOutcome::Paid,
            "{:?}",
            r.state.attention
        );
        // The original delivered again (the back office's resend): a replay.
        let r = store
            .record(std::slice::from_ref(&paid), Source::Notification("BO"))
            .await
            .unwrap();
        assert_eq!((r.new, r.replays, r.conflicts), (0, 1, 0));
        // Another amount without the platform's word: a conflict, as before.
        let other = TransactionEvent {
            amount: Some(600),
            ..paid.clone()
        };
        let r = store
            .record(std::slice::from_ref(&other), Source::Notification("RETRY"))
            .await
            .unwrap();
        assert_eq!(r.conflicts, 1);
        assert_eq!(r.state.outcome, OrderOutcome::NeedsAttention);
    }
}
