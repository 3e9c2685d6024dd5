//! What notifications mean for an order: operation-aware outcomes, the transaction
//! lifecycle as a merge (commutative, associative, idempotent: proved with property
//! tests), and reconciliation that no delivery order or repetition can change.

use proptest::prelude::*;
use vads::lifecycle::{
    reconcile, reconcile_orders, Expected, Merged, OrderOutcome, StatusState, TransactionEvent,
};
use vads::{OperationType, Outcome, TransDate, TransStatus};

const ALL_STATUSES: &[&str] = &[
    "AUTHORISED",
    "CAPTURED",
    "ACCEPTED",
    "AUTHORISED_TO_VALIDATE",
    "WAITING_AUTHORISATION",
    "WAITING_AUTHORISATION_TO_VALIDATE",
    "UNDER_VERIFICATION",
    "INITIAL",
    "PRE_AUTHORISED",
    "SUSPENDED",
    "REFUSED",
    "ABANDONED",
    "CANCELLED",
    "EXPIRED",
    "CAPTURE_FAILED",
    "NOT_CREATED",
    "PARTIALLY_AUTHORISED",
    "CAPTURE_PENDING",
    "WAITING_FOR_PAYMENT",
    "PENDING",
    "REFUND_TO_RETRY",
    "SOMETHING_NEW",
];

fn event(tx: &str, order: &str, op: Option<&str>, status: &str, amount: u64) -> TransactionEvent {
    TransactionEvent {
        site_id: Some("12345678".into()),
        mode: Some(vads::Mode::Test),
        transaction: tx.into(),
        order_id: Some(order.into()),
        trans_uuid: Some(tx.into()),
        trans_id: Some("a1b2c3".into()),
        trans_date: Some("20261124130025".into()),
        operation_type: op.map(Into::into),
        trans_status: Some(status.into()),
        amount: Some(amount),
        currency: Some("978".into()),
        ..TransactionEvent::default()
    }
}

#[test]
fn a_refund_is_never_paid() {
    for status in ALL_STATUSES {
        let s = TransStatus::parse(status);
        let o = Outcome::of_operation(Some(OperationType::Credit), s);
        assert_ne!(o, Outcome::Paid, "{status}");
        let o = Outcome::of_operation(Some(OperationType::Unknown), s);
        assert_ne!(o, Outcome::Paid, "{status}");
        let o = Outcome::of_operation(Some(OperationType::Verification), s);
        assert_ne!(o, Outcome::Paid, "{status}");
    }
    assert_eq!(
        Outcome::of_operation(Some(OperationType::Credit), TransStatus::Captured),
        Outcome::Refunded
    );
    // An order whose only transaction is a refund is not paid either.
    let order = reconcile([event("r", "A", Some("CREDIT"), "CAPTURED", 500)], None).unwrap();
    assert_eq!(order.outcome, OrderOutcome::NeedsAttention);
    assert_eq!(order.paid, 0);
}

#[test]
fn every_documented_status_has_an_outcome_and_unknown_is_never_paid() {
    let pending = [
        "CAPTURE_PENDING",
        "WAITING_FOR_PAYMENT",
        "PENDING",
        "REFUND_TO_RETRY",
        "AUTHORISED_TO_VALIDATE",
    ];
    for status in ALL_STATUSES {
        let s = TransStatus::parse(status);
        assert_eq!(
            s == TransStatus::Unknown,
            *status == "SOMETHING_NEW",
            "{status}"
        );
        if pending.contains(status) {
            assert_eq!(Outcome::of(s), Outcome::Pending, "{status}");
        }
    }
    assert_eq!(Outcome::of(TransStatus::Unknown), Outcome::NeedsAttention);
}

#[test]
fn a_late_authorised_does_not_undo_a_cancellation() {
    let cancelled = event("t", "A", Some("DEBIT"), "CANCELLED", 1000);
    let authorised = event("t", "A", Some("DEBIT"), "AUTHORISED", 1000);
    for events in [
        vec![cancelled.clone(), authorised.clone()],
        vec![authorised.clone(), cancelled.clone()],
        vec![authorised.clone(), cancelled.clone(), authorised.clone()],
    ] {
        let order = reconcile(events, None).unwrap();
        assert_eq!(order.outcome, OrderOutcome::Cancelled);
        assert_eq!(order.paid, 0);
    }
}

#[test]
fn statuses_move_only_forward_and_finals_conflict() {
    let m = |a: &str, b: &str| StatusState::of(a).merge(StatusState::of(b)).merged();
    assert_eq!(
        m("WAITING_AUTHORISATION", "AUTHORISED"),
        Merged::Status(TransStatus::Authorised)
    );
    assert_eq!(
        m("AUTHORISED", "AUTHORISED_TO_VALIDATE"),
        Merged::Status(TransStatus::Authorised)
    );
    assert_eq!(
        m("CAPTURED", "AUTHORISED"),
        Merged::Status(TransStatus::Captured)
    );
    assert_eq!(m("CAPTURED", "CANCELLED"), Merged::Conflict);
    assert_eq!(
        m("REFUSED", "REFUSED"),
        Merged::Status(TransStatus::Refused)
    );
}

#[test]
fn refunds_partial_and_full() {
    let pay = event("p", "A", Some("DEBIT"), "CAPTURED", 5000);
    let partial = event("r1", "A", Some("CREDIT"), "CAPTURED", 2000);
    let rest = event("r2", "A", Some("CREDIT"), "AUTHORISED", 3000);
    let o = reconcile([pay.clone(), partial.clone()], None).unwrap();
    assert_eq!(
        (o.outcome, o.paid, o.refunded),
        (OrderOutcome::PartiallyRefunded, 5000, 2000)
    );
    let o = reconcile([rest.clone(), pay.clone(), partial.clone()], None).unwrap();
    assert_eq!(
        (o.outcome, o.paid, o.refunded),
        (OrderOutcome::Refunded, 5000, 5000)
    );
    assert_eq!(o.currency.as_deref(), Some("978"));
    // A refund still pending does not count yet.
    let pending = event("r3", "A", Some("CREDIT"), "WAITING_AUTHORISATION", 5000);
    let o = reconcile([pay, pending], None).unwrap();
    assert_eq!((o.outcome, o.refunded), (OrderOutcome::Paid, 0));
}

#[test]
fn retries_verifications_and_attention() {
    let refused = event("t1", "A", Some("DEBIT"), "REFUSED", 1000);
    let paid = event("t2", "A", Some("DEBIT"), "AUTHORISED", 1000);
    let o = reconcile([refused.clone(), paid.clone()], None).unwrap();
    assert_eq!(o.outcome, OrderOutcome::Paid);
    assert_eq!(
        reconcile([refused.clone()], None).unwrap().outcome,
        OrderOutcome::Failed
    );
    let waiting = event("t3", "A", Some("DEBIT"), "WAITING_AUTHORISATION", 1000);
    assert_eq!(
        reconcile([refused.clone(), waiting], None).unwrap().outcome,
        OrderOutcome::Pending
    );
    let check = event("v", "B", Some("VERIFICATION"), "ACCEPTED", 0);
    assert_eq!(
        reconcile([check], None).unwrap().outcome,
        OrderOutcome::Verified
    );
    // A second successful payment, or an amount the shop does not expect: a human looks.
    let twice = event("t4", "A", Some("DEBIT"), "CAPTURED", 1000);
    let o = reconcile([paid.clone(), twice], None).unwrap();
    assert_eq!(o.outcome, OrderOutcome::NeedsAttention);
    assert!(
        o.attention.iter().any(|a| a.contains("more than one")),
        "{o:?}"
    );
    let expected = Expected {
        amount: 1200,
        currency: Some("978".into()),
    };
    let o = reconcile([paid.clone()], Some(&expected)).unwrap();
    assert_eq!(o.outcome, OrderOutcome::NeedsAttention);
    let expected = Expected {
        amount: 1000,
        currency: Some("840".into()),
    };
    assert_eq!(
        reconcile([paid.clone()], Some(&expected)).unwrap().outcome,
        OrderOutcome::NeedsAttention
    );
    let expected = Expected {
        amount: 1000,
        currency: Some("978".into()),
    };
    assert_eq!(
        reconcile([paid.clone()], Some(&expected)).unwrap().outcome,
        OrderOutcome::Paid
    );
    // Notifications of one transaction that disagree on the amount.
    let other_amount = event("t2", "A", Some("DEBIT"), "CAPTURED", 900);
    assert_eq!(
        reconcile([paid, other_amount], None).unwrap().outcome,
        OrderOutcome::NeedsAttention
    );
    // An unknown status is never paid.
    let unknown = event("t5", "C", Some("DEBIT"), "SOMETHING_NEW", 1000);
    assert_eq!(
        reconcile([unknown], None).unwrap().outcome,
        OrderOutcome::NeedsAttention
    );
}

#[test]
fn a_transaction_that_needs_attention_makes_its_order_need_attention() {
    for (op, status, reason) in [
        (
            Some("DEBIT"),
            "CAPTURE_FAILED",
            "transaction tx1: capture failed (CAPTURE_FAILED): contact support",
        ),
        (
            None,
            "PARTIALLY_AUTHORISED",
            "transaction tx1: only part of the amount was authorised (PARTIALLY_AUTHORISED)",
        ),
        (
            Some("INSTALMENT"),
            "CAPTURED",
            "transaction tx1: unknown operation type INSTALMENT",
        ),
        (
            Some("CREDIT"),
            "ACCEPTED",
            "transaction tx1: status ACCEPTED on a CREDIT transaction",
        ),
        (
            Some("DEBIT"),
            "SOMETHING_NEW",
            "transaction tx1: unknown status SOMETHING_NEW",
        ),
    ] {
        let state = reconcile([event("tx1", "A", op, status, 1000)], None).unwrap();
        assert_eq!(state.outcome, OrderOutcome::NeedsAttention, "{status}");
        assert_eq!(state.attention, vec![reason.to_owned()], "{status}");
        assert_eq!(state.paid, 0, "{status}");
        // Beside a successful payment, the order still needs attention.
        let state = reconcile(
            [
                event("tx1", "A", op, status, 1000),
                event("tx2", "A", Some("DEBIT"), "CAPTURED", 1000),
            ],
            None,
        )
        .unwrap();
        assert_eq!(state.outcome, OrderOutcome::NeedsAttention, "{status}");
        assert!(state.attention.contains(&reason.to_owned()), "{status}");
    }
}

#[test]
fn a_test_event_never_counts_for_a_production_order_and_shops_stay_apart() {
    use vads::lifecycle::ReconcileError;
    use vads::Mode;
    let live = |e: TransactionEvent| TransactionEvent {
        mode: Some(Mode::Production),
        ..e
    };
    let refused = live(event("p1", "A", Some("DEBIT"), "REFUSED", 1000));
    let test_paid = event("t1", "A", Some("DEBIT"), "CAPTURED", 1000);
    let test_refund = event("t2", "A", Some("CREDIT"), "CAPTURED", 1000);
    // One order at a time: mixing modes is refused, in any order, whatever the statuses.
    for events in [
        vec![refused.clone(), test_paid.clone()],
        vec![test_paid.clone(), refused.clone()],
        vec![test_refund.clone(), refused.clone(), test_paid.clone()],
    ] {
        assert_eq!(reconcile(events, None), Err(ReconcileError::MixedModes));
    }
    let other_shop = TransactionEvent {
        site_id: Some("87654321".into()),
        ..test_paid.clone()
    };
    assert_eq!(
        reconcile([test_paid.clone(), other_shop.clone()], None),
        Err(ReconcileError::MixedSites)
    );
    let no_mode = TransactionEvent {
        mode: None,
        ..test_paid.clone()
    };
    assert_eq!(
        reconcile([test_paid.clone(), no_mode], None)
            .unwrap_err()
            .code(),
        "mixed_modes"
    );
    // A log of both: two orders "A", each its own; the shop's other site a third.
    let orders = reconcile_orders([
        test_refund.clone(),
        refused.clone(),
        other_shop,
        test_paid.clone(),
    ]);
    let seen: Vec<_> = orders
        .iter()
        .map(|o| {
            (
                o.site_id.as_deref(),
                o.mode,
                o.order_id.as_deref(),
                o.outcome,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                Some("12345678"),
                Some(Mode::Test),
                Some("A"),
                OrderOutcome::Refunded
            ),
            (
                Some("12345678"),
                Some(Mode::Production),
                Some("A"),
                OrderOutcome::Failed
            ),
            (
                Some("87654321"),
                Some(Mode::Test),
                Some("A"),
                OrderOutcome::Paid
            ),
        ]
    );
}

#[test]
fn orders_are_grouped_and_sorted() {
    let events = vec![
        event("b1", "B", Some("DEBIT"), "CAPTURED", 100),
        event("a1", "A", Some("DEBIT"), "REFUSED", 100),
    ];
    let orders = reconcile_orders(events);
    let ids: Vec<_> = orders.iter().map(|o| o.order_id.as_deref()).collect();
    assert_eq!(ids, [Some("A"), Some("B")]);
    // The serde form round-trips (a shop keeps events in its database).
    let json = serde_json::to_string(&orders).unwrap();
    let back: Vec<vads::lifecycle::OrderState> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, orders);
}

fn status() -> impl Strategy<Value = String> {
    proptest::sample::select(ALL_STATUSES).prop_map(str::to_owned)
}

fn state() -> impl Strategy<Value = StatusState> {
    proptest::collection::vec(status(), 1..4).prop_map(|v| {
        v.iter()
            .map(|s| StatusState::of(s))
            .reduce(StatusState::merge)
            .unwrap()
    })
}

fn events() -> impl Strategy<Value = Vec<TransactionEvent>> {
    let one = (
        0..4usize,
        0..2usize,
        proptest::sample::select(vec![
            Some("DEBIT"),
            Some("CREDIT"),
            Some("VERIFICATION"),
            Some("SOMETHING_ELSE"),
            None,
        ]),
        status(),
        proptest::sample::select(vec![1000u64, 400, 0]),
    )
        .prop_map(|(tx, order, op, status, amount)| {
            event(&format!("tx{tx}"), ["A", "B"][order], op, &status, amount)
        });
    proptest::collection::vec(one, 1..8)
}

proptest! {
    #[test]
    fn merge_is_commutative_associative_idempotent(a in state(), b in state(), c in state()) {
        prop_assert_eq!(a.clone().merge(b.clone()), b.clone().merge(a.clone()));
        prop_assert_eq!(
            a.clone().merge(b.clone()).merge(c.clone()),
            a.clone().merge(b.clone().merge(c.clone()))
        );
        prop_assert_eq!(a.clone().merge(a.clone()), a.clone());
        // Finals never move: once one is seen, the merged status is final (or a conflict).
        let merged = a.clone().merge(b.clone()).merged();
        if let Merged::Status(s) = a.merged() {
            if s.is_final() {
                prop_assert!(matches!(merged, Merged::Conflict) || merged == Merged::Status(s));
            }
        }
    }

    #[test]
    fn reconciliation_is_a_function_of_the_set(
        events in events(),
        seed in any::<u64>(),
        repeats in proptest::collection::vec(0..8usize, 0..6),
    ) {
        let reference = reconcile_orders(events.clone());
        let mut shuffled = events.clone();
        for r in &repeats {
            shuffled.push(events[r % events.len()].clone());
        }
        // A deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(reconcile_orders(shuffled), reference.clone());
        for order in &reference {
            // A refund is never paid: paid counts only DEBIT (or no operation) transactions.
            let paid_by_credit = order.transactions.iter().any(|t| {
                t.outcome() == Outcome::Paid && t.operation() == Some(OperationType::Credit)
            });
            prop_assert!(!paid_by_credit);
            // A transaction that needs attention makes its order need attention, with
            // the transaction's reason among the order's.
            for t in &order.transactions {
                if t.outcome() == Outcome::NeedsAttention {
                    prop_assert_eq!(order.outcome, OrderOutcome::NeedsAttention);
                    let reason = t.attention();
                    prop_assert!(reason.is_some(), "no reason for {:?}", t);
                    prop_assert!(order.attention.contains(&reason.unwrap()));
                }
            }
            // An order needs attention exactly when it gives a reason.
            prop_assert_eq!(
                order.outcome == OrderOutcome::NeedsAttention,
                !order.attention.is_empty()
            );
        }
    }

    #[test]
    fn trans_date_follows_the_calendar(
        y in 1970u16..2400, m in 0u8..14, d in 0u8..33, h in 0u8..25, mi in 0u8..61, s in 0u8..61,
    ) {
        let text = format!("{y:04}{m:02}{d:02}{h:02}{mi:02}{s:02}");
        let ours = TransDate::parse(&text);
        let month = time::Month::try_from(m).ok();
        let theirs = month
            .and_then(|month| time::Date::from_calendar_date(i32::from(y), month, d).ok())
            .and_then(|date| date.with_hms(h, mi, s).ok());
        prop_assert_eq!(ours.is_some(), theirs.is_some(), "{}", text);
        if let (Some(ours), Some(theirs)) = (ours, theirs) {
            let unix = theirs.assume_utc().unix_timestamp();
            prop_assert_eq!(ours.to_unix(), u64::try_from(unix).ok());
            prop_assert_eq!(TransDate::from_unix(ours.to_unix().unwrap()), ours);
        }
    }
}

#[test]
fn every_day_of_leap_and_common_years_matches_the_calendar() {
    for y in [1999u16, 2000, 2024, 2025, 2100, 2400] {
        for m in 1..=12u8 {
            for d in 0..=32u8 {
                let ours = TransDate::parse(&format!("{y:04}{m:02}{d:02}235959")).is_some();
                let theirs = time::Date::from_calendar_date(
                    i32::from(y),
                    time::Month::try_from(m).unwrap(),
                    d,
                )
                .is_ok();
                assert_eq!(ours, theirs, "{y}-{m}-{d}");
            }
        }
    }
}

#[test]
fn a_payment_lowered_before_capture_is_lowered_not_another_amount() {
    let paid = event("p1", "L", Some("DEBIT"), "AUTHORISED", 1250);
    let lowered = TransactionEvent {
        amount: Some(750),
        initial_amount: Some(1250),
        ..paid.clone()
    };
    let again = TransactionEvent {
        amount: Some(500),
        initial_amount: Some(1250),
        ..paid.clone()
    };
    let captured = TransactionEvent {
        trans_status: Some("CAPTURED".into()),
        ..again.clone()
    };
    let expected = Expected {
        amount: 1250,
        currency: Some("978".into()),
    };
    // In every order, with repetitions: the lowest amount stands, the rest is lowered.
    let all = [
        paid.clone(),
        lowered.clone(),
        again.clone(),
        captured.clone(),
    ];
    for shift in 0..all.len() {
        let mut events = all.to_vec();
        events.rotate_left(shift);
        events.push(events[0].clone());
        let o = reconcile(events.clone(), Some(&expected)).unwrap();
        assert_eq!((o.paid, o.lowered, o.refunded), (500, 750, 0), "{shift}");
        assert_eq!(o.outcome, OrderOutcome::Paid, "{:?}", o.attention);
        events.reverse();
        assert_eq!(reconcile(events, Some(&expected)).unwrap(), o);
    }
    // Without the platform's word on the initial amount, two amounts are a conflict.
    let bare = TransactionEvent {
        amount: Some(750),
        ..paid.clone()
    };
    let o = reconcile([paid.clone(), bare], None).unwrap();
    assert_eq!(o.outcome, OrderOutcome::NeedsAttention);
    // An amount above the stated initial one is no lowering either.
    let above = TransactionEvent {
        amount: Some(1300),
        initial_amount: Some(1250),
        ..paid.clone()
    };
    let o = reconcile([paid, above, lowered], None).unwrap();
    assert_eq!(o.outcome, OrderOutcome::NeedsAttention);
}

#[test]
fn two_legacy_ids_for_one_transaction_need_a_human() {
    let a = event("t1", "X", Some("DEBIT"), "CAPTURED", 100);
    let b = TransactionEvent {
        trans_id: Some("999999".into()),
        ..a.clone()
    };
    let o = reconcile([a.clone(), b], None).unwrap();
    assert_eq!(o.outcome, OrderOutcome::NeedsAttention);
    assert_eq!(
        o.attention,
        ["transaction t1: notifications disagree on vads_trans_id"]
    );
    // The same id in another case is the same id.
    let c = TransactionEvent {
        trans_id: Some("A1B2C3".into()),
        ..a.clone()
    };
    assert_eq!(reconcile([a, c], None).unwrap().outcome, OrderOutcome::Paid);
}
