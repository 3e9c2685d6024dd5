//! The order lock of money operations on the store: one holder at a time across
//! instances (two pools on one database), a dead holder's lease ends, a stale holder
//! cannot renew; and `vads::api::money` through it: two instances refunding one order at
//! the same moment refund it once, in every round — where a lock that lets everyone in
//! refunds twice. On SQLite always, on PostgreSQL with `VADS_TEST_DATABASE_URL`.

mod common;

use common::{key, key_in, SITE};
use std::sync::Arc;
use std::time::Duration;
use vads::api::lock::{Lease, LockError, LockPolicy, OrderLock};
use vads::api::money::{Money, MoneyError, RefundAmount};
use vads::api::{Client, ClientConfig, Credentials, Operation};
use vads::testing::platform::{Fault, NewPayment, Platform};
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus};
use vads_store::Store;

/// Two instances of one database: two stores, each with its own pool.
async fn two_instances(test: &str) -> Vec<(Store, Store)> {
    let (first, path) = common::sqlite(test).await;
    let second = Store::open_sqlite_file(&path).await.unwrap();
    let mut all = vec![(first, second)];
    if let Some((a, url)) = common::postgres(test).await {
        let b = Store::open(&url).await.unwrap();
        all.push((a, b));
    }
    all
}

#[tokio::test]
async fn one_holder_at_a_time_a_dead_holders_lease_ends_and_a_stale_one_cannot_renew() {
    for (a, b) in two_instances("lock_lease").await {
        let k = key("L-1");
        let held = a
            .try_acquire(&k, "a", Duration::from_secs(60))
            .await
            .unwrap()
            .expect("free");
        assert!(b
            .try_acquire(&k, "b", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none());
        // Another mode's order of the same id is another lock.
        assert!(b
            .try_acquire(
                &key_in(Mode::Production, "L-1"),
                "b",
                Duration::from_secs(60)
            )
            .await
            .unwrap()
            .is_some());
        a.renew(&held, Duration::from_secs(60)).await.unwrap();
        OrderLock::release(&a, &held).await.unwrap();
        let again = b
            .try_acquire(&k, "b", Duration::from_millis(300))
            .await
            .unwrap()
            .expect("released");
        assert!(again.token() > held.token());
        // The holder dies without releasing: its lease ends on its own.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let third = a
            .try_acquire(&k, "a", Duration::from_secs(60))
            .await
            .unwrap()
            .expect("the dead holder's lease ended");
        assert!(third.token() > again.token());
        // The stale holder can neither renew nor release the new holder's lease.
        assert!(matches!(
            b.renew(&again, Duration::from_secs(60)).await,
            Err(LockError::Lost)
        ));
        OrderLock::release(&b, &again).await.unwrap();
        assert!(b
            .try_acquire(&k, "b", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none());
        // A forged lease of a token never given is not the holder's either.
        let forged = Lease::new(k.clone(), third.token() + 1);
        assert!(matches!(
            b.renew(&forged, Duration::from_secs(1)).await,
            Err(LockError::Lost)
        ));
    }
}

#[tokio::test]
async fn sixteen_callers_at_once_on_two_instances_one_gets_the_lock() {
    for (a, b) in two_instances("lock_race").await {
        for round in 0..5 {
            let k = key(&format!("RACE-{round}"));
            let tries: Vec<_> = (0..16)
                .map(|i| {
                    let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                    let k = k.clone();
                    tokio::spawn(async move {
                        store
                            .try_acquire(&k, &format!("caller-{i}"), Duration::from_secs(60))
                            .await
                    })
                })
                .collect();
            let mut won = 0;
            for t in tries {
                if t.await.unwrap().unwrap().is_some() {
                    won += 1;
                }
            }
            assert_eq!(won, 1, "{:?} round {round}", a.backend());
        }
    }
}

const PASSWORD: &str = "testpassword_LockedMoney0a1b2c";

fn shop() -> Shop {
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    Shop::new(c).unwrap()
}

/// A platform whose answers take `latency` (the window in which two callers that do not
/// serialise both read "nothing refunded"), and a client for it.
fn platform(latency: Duration) -> (Arc<Platform>, Client<Arc<Platform>>) {
    let shop = shop();
    let p = Arc::new(Platform::for_shop(&shop).latency(latency));
    let mut config = ClientConfig::default();
    config.call_timeout = Duration::from_secs(2);
    config.attempt_timeout = Duration::from_secs(2);
    let client = Client::new(Credentials::of(&shop).unwrap(), p.clone(), config);
    (p, client)
}

fn credits(p: &Platform, order: &str) -> Vec<u64> {
    p.transactions()
        .into_iter()
        .filter(|t| t.operation_type == "CREDIT" && t.order_id.as_deref() == Some(order))
        .map(|t| t.amount)
        .collect()
}

#[tokio::test]
async fn two_instances_refunding_one_order_at_once_refund_it_once_in_every_round() {
    for (a, b) in two_instances("money_race").await {
        let (p, client) = platform(Duration::from_millis(60));
        for round in 0..10 {
            let order = format!("M-{round}");
            p.add_payment(NewPayment::new(&order, 1000, "EUR", TransStatus::Captured));
            let (on_a, on_b) = (Money::new(&client, &a), Money::new(&client, &b));
            let (ra, rb) = tokio::join!(
                on_a.refund(&order, RefundAmount::Total(300)),
                on_b.refund(&order, RefundAmount::Total(300)),
            );
            // Two operators, two successes, one refund.
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            assert_eq!(ra.sent.len() + rb.sent.len(), 1, "round {round}");
            assert_eq!((ra.state.refunded, rb.state.refunded), (300, 300));
            assert_eq!(
                credits(&p, &order),
                [300],
                "{:?} round {round}",
                a.backend()
            );
            // "300 more, given that 300 is given back", twice at once: the second to get
            // the lock reads 600 and refuses.
            let more = RefundAmount::More {
                amount: 300,
                refunded_now: 300,
            };
            let (ma, mb) = tokio::join!(on_a.refund(&order, more), on_b.refund(&order, more));
            let codes: Vec<&str> = [&ma, &mb]
                .iter()
                .map(|r| r.as_ref().map_or_else(MoneyError::code, |_| "ok"))
                .collect();
            let mut sorted = codes.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, ["ok", "refunded_changed"], "round {round}");
            assert_eq!(credits(&p, &order), [300, 300]);
        }
        assert_eq!(p.count(Operation::CancelOrRefund), 20);
    }
}

/// A "lock" that lets everyone in: what the money module did before it took a lock.
struct Everyone;

impl OrderLock for Everyone {
    async fn try_acquire(
        &self,
        key: &vads::lifecycle::OrderKey,
        _: &str,
        _: Duration,
    ) -> Result<Option<Lease>, LockError> {
        Ok(Some(Lease::new(key.clone(), 1)))
    }
    async fn renew(&self, _: &Lease, _: Duration) -> Result<(), LockError> {
        Ok(())
    }
    async fn release(&self, _: &Lease) -> Result<(), LockError> {
        Ok(())
    }
}

#[tokio::test]
async fn without_a_shared_lock_the_same_race_refunds_twice() {
    // The control of the test above: it can fail. Both read "nothing refunded", both send.
    let (p, client) = platform(Duration::from_millis(60));
    p.add_payment(NewPayment::new("X-1", 1000, "EUR", TransStatus::Captured));
    let (first, second) = (
        Money::new(&client, &Everyone),
        Money::new(&client, &Everyone),
    );
    let (ra, rb) = tokio::join!(
        first.refund("X-1", RefundAmount::Total(300)),
        second.refund("X-1", RefundAmount::Total(300)),
    );
    assert!(ra.is_ok() && rb.is_ok());
    assert_eq!(credits(&p, "X-1"), [300, 300]);
}

#[tokio::test]
async fn a_holder_that_dies_mid_refund_blocks_the_order_until_its_lease_ends_and_nothing_is_sent_twice(
) {
    for (a, b) in two_instances("money_crash").await {
        let (p, client) = platform(Duration::ZERO);
        let client = Arc::new(client);
        p.add_payment(NewPayment::new("K-1", 1000, "EUR", TransStatus::Captured));
        // The refund is applied at once and answered in 30 s: the holder dies meanwhile.
        p.inject(
            Operation::CancelOrRefund,
            Fault::Delay(Duration::from_secs(30)),
        );
        let mut short = LockPolicy::default();
        short.lease = Duration::from_millis(500); // raised to call_timeout + 5 s = 7 s
        let holder = {
            let (client, a, policy) = (client.clone(), a.clone(), short.clone());
            tokio::spawn(async move {
                Money::new(&*client, &a)
                    .with_policy(policy)
                    .refund("K-1", RefundAmount::Total(300))
                    .await
            })
        };
        while p.count(Operation::CancelOrRefund) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        holder.abort(); // killed mid-send: no release, no read-back
        let _ = holder.await;
        // An impatient operator at once: busy, nothing read or sent.
        let mut impatient = short.clone();
        impatient.wait = Duration::from_millis(300);
        let e = Money::new(&*client, &b)
            .with_policy(impatient)
            .refund("K-1", RefundAmount::Total(300))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "busy");
        assert!(e.to_string().contains("nothing was sent"), "{e}");
        // A patient one gets the lock when the lease ends, reads the refund applied, and
        // sends nothing.
        let mut patient = short.clone();
        patient.wait = Duration::from_secs(15);
        let started = std::time::Instant::now();
        let done = Money::new(&*client, &b)
            .with_policy(patient)
            .refund("K-1", RefundAmount::Total(300))
            .await
            .unwrap();
        assert!(
            started.elapsed() >= Duration::from_secs(3),
            "waited for the lease"
        );
        assert!(done.sent.is_empty());
        assert_eq!(done.state.refunded, 300);
        assert_eq!(p.count(Operation::CancelOrRefund), 1, "{:?}", a.backend());
        assert_eq!(credits(&p, "K-1"), [300]);
    }
}

/// Two instances charging one saved card for one order at once, in each of 10 rounds —
/// and one of them losing the answer — charge it once; each records what its charge
/// returned like a notification, and the outbox says "paid" once per order.
#[tokio::test]
async fn two_instances_charging_one_order_at_once_charge_it_once_and_the_outbox_fires_once() {
    use vads::api::charge::{Charge, ChargeOutcome, Charges};
    use vads_store::Source;
    for (a, b) in two_instances("charge_race").await {
        let (p, client) = platform(Duration::from_millis(60));
        let token = p.add_token("jane@example.com");
        for round in 0..10 {
            let order = format!("CH-{round}");
            if round % 3 == 0 {
                // The first charge's answer is lost: read back, still once.
                p.inject(Operation::CreatePayment, Fault::DropAfterApply);
            }
            let charge = Charge::new(&order, &token, 990, "EUR");
            let (on_a, on_b) = (Charges::new(&client, &a), Charges::new(&client, &b));
            let (ra, rb) = tokio::join!(on_a.charge(&charge), on_b.charge(&charge));
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            let mut outcomes = [ra.outcome, rb.outcome];
            outcomes.sort_by_key(|o| o.as_str());
            assert_eq!(
                outcomes,
                [ChargeOutcome::AlreadyCharged, ChargeOutcome::Charged],
                "{:?} round {round}",
                a.backend()
            );
            assert_eq!(u8::from(ra.sent) + u8::from(rb.sent), 1, "round {round}");
            let debits = p
                .transactions()
                .into_iter()
                .filter(|t| t.order_id.as_deref() == Some(order.as_str()))
                .count();
            assert_eq!(debits, 1, "round {round}");
            // Each instance records what it was told: one new event, one replay.
            let first = a
                .record(&ra.events, Source::PlatformRead("Charge/CreatePayment"))
                .await
                .unwrap();
            let second = b
                .record(&rb.events, Source::PlatformRead("Charge/CreatePayment"))
                .await
                .unwrap();
            assert_eq!(first.new + second.new, 1, "round {round}");
            assert_eq!(second.state.paid, 990);
        }
        let entries = a.claim("w", 100, Duration::from_secs(30)).await.unwrap();
        assert_eq!(entries.len(), 10, "{:?}", a.backend());
        assert!(entries.iter().all(|e| e.to.as_str() == "paid"));
        assert_eq!(p.count(Operation::CreatePayment), 10);
    }
}

/// A TEST charge and a PRODUCTION charge of the same order id, on one store: two orders,
/// two locks, two charges; recording each changes only its own mode's order.
#[tokio::test]
async fn a_test_charge_never_stands_for_a_production_charge_of_the_same_order_id() {
    use vads::api::charge::{Charge, ChargeOutcome, Charges};
    use vads_store::Source;
    const PRODUCTION: &str = "prodpassword_LockedMoneyProd9z8y";
    for (a, _) in two_instances("charge_modes").await {
        let p = Arc::new(
            Platform::new(SITE)
                .accept_password(Mode::Test, PASSWORD)
                .accept_password(Mode::Production, PRODUCTION),
        );
        let client_of = |mode: Mode| {
            let mut c = ShopConfig::new(SITE, mode);
            match mode {
                Mode::Test => c.test_password = Some(SecretString::new(PASSWORD.into())),
                Mode::Production => {
                    c.production_password = Some(SecretString::new(PRODUCTION.into()));
                }
            }
            Client::new(
                Credentials::of(&Shop::new(c).unwrap()).unwrap(),
                p.clone(),
                ClientConfig::default(),
            )
        };
        let (test, production) = (client_of(Mode::Test), client_of(Mode::Production));
        // A token lives in one mode: the card saved in each.
        let token = p.add_token("jane@example.com");
        let live_token = "4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e";
        p.add_token_with(live_token, Mode::Production, None);
        let charge = Charge::new("SUB-1-2027-01", &token, 990, "EUR");
        let in_test = Charges::new(&test, &a).charge(&charge).await.unwrap();
        assert_eq!(in_test.outcome, ChargeOutcome::Charged);
        a.record(
            &in_test.events,
            Source::PlatformRead("Charge/CreatePayment"),
        )
        .await
        .unwrap();
        // The TEST order is paid; the PRODUCTION order of that id is not: it is charged.
        let live = Charge::new("SUB-1-2027-01", live_token, 990, "EUR");
        let in_production = Charges::new(&production, &a).charge(&live).await.unwrap();
        assert_eq!(
            (in_production.outcome, in_production.sent),
            (ChargeOutcome::Charged, true),
            "{:?}",
            a.backend()
        );
        let recorded = a
            .record(
                &in_production.events,
                Source::PlatformRead("Charge/CreatePayment"),
            )
            .await
            .unwrap();
        assert_eq!((recorded.key.mode, recorded.new), (Mode::Production, 1));
        assert_eq!(p.count(Operation::CreatePayment), 2);
        for mode in [Mode::Test, Mode::Production] {
            let order = a
                .order(&key_in(mode, "SUB-1-2027-01"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!((order.state.paid, order.events), (990, 1), "{mode:?}");
        }
    }
}
