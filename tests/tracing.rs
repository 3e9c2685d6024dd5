//! Feature `tracing`: one event per verification, with the fields an operator needs
//! (code, site id, mode, kind, url_check_src, which key matched), a warning when a
//! previous key or the algorithm window was used, and never a body, a signature or a key.
//! Events are captured by a subscriber written here (no dependency).
#![cfg(all(feature = "tracing", feature = "testing"))]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use vads::testing::{NotificationBuilder, RestAnswerBuilder};
use vads::{Algorithm, Endpoint, Key, Mode, SecretString, Shop, ShopConfig, UrlCheckSource};

/// One captured event: its level, its fields (the message as `message`).
#[derive(Debug, Clone)]
struct Captured {
    level: Level,
    fields: BTreeMap<String, String>,
}

#[derive(Default, Clone)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.0
            .insert(field.name().to_owned(), s.trim_matches('"').to_owned());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        assert_eq!(event.metadata().target(), "vads");
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Captured {
            level: *event.metadata().level(),
            fields,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// The events `f` emits.
fn events(f: impl FnOnce()) -> Vec<Captured> {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), f);
    let events = capture.0.lock().unwrap().clone();
    events
}

const KEY: &str = "TracingTestKey-1122334455";
const OLD: &str = "TracingOldKey-6677889900";
const PASSWORD: &str = "testpassword_TracingSecret123";

fn shop(mode: Mode, window: bool) -> Shop {
    let mut c = ShopConfig::new("12345678", mode);
    match mode {
        Mode::Test => c.test_key = Some(SecretString::new(KEY.into())),
        _ => {
            c.production_key = Some(SecretString::new(KEY.into()));
            c.previous_production_keys = vec![SecretString::new(OLD.into())];
        }
    }
    c.test_password = Some(SecretString::new(PASSWORD.into()));
    if window {
        let until = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        let secs = until
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let d = vads::TransDate::from_unix(secs);
        c.accept_both_algorithms_until = Some(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year, d.month, d.day, d.hour, d.minute, d.second
        ));
    }
    Shop::new(c).unwrap()
}

/// No event holds the body, the signature or a key, in any field.
fn assert_nothing_secret(events: &[Captured], body: &str) {
    let signature = body
        .split('&')
        .find_map(|s| {
            s.strip_prefix("signature=")
                .or_else(|| s.strip_prefix("kr-hash="))
        })
        .unwrap_or("");
    for e in events {
        for (name, value) in &e.fields {
            for secret in [KEY, OLD, PASSWORD] {
                assert!(!value.contains(secret), "{name} holds a key: {value}");
            }
            assert!(
                signature.len() < 20 || !value.contains(signature),
                "{name} holds the signature"
            );
            assert!(
                !value.contains("vads_amount"),
                "{name} holds the body: {value}"
            );
            assert!(
                !value.contains("4970"),
                "{name} holds a card number: {value}"
            );
        }
    }
}

#[test]
fn one_info_event_per_accepted_notification() {
    let shop = shop(Mode::Test, false);
    let body = NotificationBuilder::new(&shop)
        .url_check_src(UrlCheckSource::Retry)
        .field("vads_card_number", "497010XXXXXX0055")
        .body()
        .unwrap();
    let got = events(|| {
        shop.verify(body.as_bytes()).unwrap();
    });
    assert_eq!(got.len(), 1, "{got:?}");
    let e = &got[0];
    assert_eq!(e.level, Level::INFO);
    for (field, want) in [
        ("code", "ok"),
        ("format", "form"),
        ("site_id", "12345678"),
        ("mode", "TEST"),
        ("kind", "ipn"),
        ("url_check_src", "RETRY"),
        ("key", "current"),
        ("algorithm", "HMAC-SHA-256"),
        ("message", "notification verified"),
    ] {
        assert_eq!(
            e.fields.get(field).map(String::as_str),
            Some(want),
            "{field}: {e:?}"
        );
    }
    assert_nothing_secret(&got, &body);
}

#[test]
fn a_rejection_is_one_warning_with_its_code() {
    let shop = shop(Mode::Production, false);
    // A TEST notification (signed with the test key) reaching the PRODUCTION shop.
    let test_shop = self::shop(Mode::Test, false);
    let body = NotificationBuilder::new(&test_shop).body().unwrap();
    let got = events(|| {
        assert_eq!(
            shop.verify(body.as_bytes()).unwrap_err().code(),
            "mode_mismatch"
        );
    });
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].level, Level::WARN);
    assert_eq!(got[0].fields["code"], "mode_mismatch");
    assert_eq!(got[0].fields["mode"], "PRODUCTION");
    assert!(got[0].fields["message"].starts_with("notification rejected: mode_mismatch"));
    assert_nothing_secret(&got, &body);

    // A forgery: the body and its (wrong) signature stay out of the event.
    let forged = NotificationBuilder::new(&test_shop)
        .body_signed_with(
            &"not-the-key".parse::<Key>().unwrap(),
            Algorithm::HmacSha256,
        )
        .unwrap();
    let got = events(|| {
        test_shop.verify(forged.as_bytes()).unwrap_err();
    });
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].fields["code"], "bad_signature");
    assert_nothing_secret(&got, &forged);
}

#[test]
fn a_previous_key_or_the_algorithm_window_is_a_warning() {
    let shop = shop(Mode::Production, false);
    let old: Key = OLD.parse().unwrap();
    let body = NotificationBuilder::new(&shop)
        .body_signed_with(&old, Algorithm::HmacSha256)
        .unwrap();
    let got = events(|| {
        shop.verify(body.as_bytes()).unwrap();
    });
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].level, Level::WARN);
    assert_eq!(got[0].fields["key"], "previous");
    assert_eq!(got[0].fields["previous_index"], "0");
    assert!(got[0].fields["message"].contains("key rotation is not finished"));
    assert_nothing_secret(&got, &body);

    // SHA-1 accepted by an HMAC-SHA-256 shop inside its window.
    let shop = self::shop(Mode::Test, true);
    let key: Key = KEY.parse().unwrap();
    let body = NotificationBuilder::new(&shop)
        .body_signed_with(&key, Algorithm::Sha1)
        .unwrap();
    let got = events(|| {
        shop.verify(body.as_bytes()).unwrap();
    });
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].level, Level::WARN);
    assert_eq!(got[0].fields["algorithm"], "SHA-1");
    assert!(got[0].fields["message"].contains("algorithm-change window"));
}

#[test]
fn rest_and_either_format_give_one_event_each() {
    let shop = shop(Mode::Test, false);
    let rest = RestAnswerBuilder::new(&shop).body().unwrap();
    let form = NotificationBuilder::new(&shop).body().unwrap();
    let got = events(|| {
        shop.verify_any(rest.as_bytes(), Endpoint::Ipn).unwrap();
        shop.verify_any(form.as_bytes(), Endpoint::Ipn).unwrap();
        shop.verify_rest(rest.as_bytes(), Endpoint::Return)
            .unwrap_err();
    });
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].fields["format"], "rest");
    assert_eq!(got[0].fields["kind"], "ipn");
    assert_eq!(got[1].fields["format"], "form");
    assert_eq!(got[2].fields["code"], "wrong_hash_key");
    assert_nothing_secret(&got, &rest);
}
