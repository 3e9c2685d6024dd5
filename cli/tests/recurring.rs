//! `vads form` with installments, page actions, subscriptions and a channel, and `vads
//! reconcile` on installment, registration and subscription histories in several line
//! orders (protocol sections 11 and 12).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use vads::testing::NotificationBuilder;
use vads::{Mode, SecretString, Shop, ShopConfig, TransStatus, UrlCheckSource};

const KEY: &str = "1122334455667788";

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vads"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn config() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vads-cli-recurring-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shop.toml");
    if !path.exists() {
        let aside = dir.join(format!("shop.{:?}.tmp", std::thread::current().id()));
        std::fs::write(
            &aside,
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"{KEY}\"\n"),
        )
        .unwrap();
        std::fs::rename(&aside, &path).unwrap();
    }
    path
}

fn shop() -> Shop {
    let mut c = ShopConfig::new("12345678", Mode::Test);
    c.test_key = Some(SecretString::new(KEY.into()));
    Shop::new(c).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `vads form` with the config and `args`.
fn form(args: &[&str]) -> Output {
    let config = config();
    let mut all = vec!["form", "--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all, b"")
}

/// A one-line error `vads: CODE: ...`, exit `status`, nothing on standard output.
fn assert_refused(o: &Output, status: i32, code: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(status), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with(&format!("vads: {code}: ")), "{code}: {err}");
    assert!(o.stdout.is_empty(), "nothing but the error");
    assert!(!err.contains(KEY));
}

#[test]
fn form_writes_a_plan_and_shows_its_schedule() {
    let base = [
        "--amount",
        "10001",
        "--currency",
        "EUR",
        "--order-id",
        "P-1",
        "--installments",
        "3",
        "--first",
        "3000",
        "--period",
        "30",
        "--field",
        "vads_trans_date=20261207101500",
    ];
    let o = form(&[&base[..], &["--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fields: Vec<(String, String)> = serde_json::from_value(json["fields"].clone()).unwrap();
    let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(
        get("vads_payment_config"),
        Some("MULTI:first=3000;count=3;period=30")
    );
    assert_eq!(get("vads_amount"), Some("10001"));
    assert_eq!(
        json["schedule"],
        serde_json::json!([
            {"installment": 1, "date": "2026-12-07", "amount": 3000},
            {"installment": 2, "date": "2027-01-06", "amount": 3500},
            {"installment": 3, "date": "2027-02-05", "amount": 3501},
        ])
    );
    // The signature is the library's over exactly these fields.
    let signed = shop()
        .sign(
            fields
                .iter()
                .filter(|(n, _)| n != "signature")
                .map(|(n, v)| (n.as_str(), v.as_str())),
        )
        .unwrap();
    assert_eq!(get("signature"), Some(signed.as_str()));
    // As HTML: the form on standard output, the schedule on standard error.
    let o = form(&base);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("MULTI:first=3000;count=3;period=30"));
    assert_eq!(
        text(&o.stderr),
        "vads: installment 1: 2026-12-07: 3000\nvads: installment 2: 2027-01-06: 3500\nvads: installment 3: 2027-02-05: 3501\n"
    );
    // Without --first: an equal share, the remainder on the last.
    let o = form(&[
        "--amount",
        "10001",
        "--currency",
        "EUR",
        "--order-id",
        "P-2",
        "--installments",
        "3",
        "--period",
        "30",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let amounts: Vec<u64> = json["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["amount"].as_u64().unwrap())
        .collect();
    assert_eq!(amounts, [3333, 3334, 3334]);
}

#[test]
fn form_refuses_each_bad_schedule_and_rule_with_its_code() {
    let pay = [
        "--amount",
        "12000",
        "--currency",
        "EUR",
        "--order-id",
        "P-3",
    ];
    let with = |extra: &[&str]| form(&[&pay[..], extra].concat());
    for (extra, code) in [
        (
            &["--installments", "1", "--period", "30"][..],
            "installments_count",
        ),
        (
            &["--installments", "three", "--period", "30"],
            "installments_count",
        ),
        (
            &["--installments", "3", "--first", "12001", "--period", "30"],
            "installments_first",
        ),
        (
            &["--installments", "3", "--first", "-1", "--period", "30"],
            "installments_first",
        ),
        (
            &["--installments", "3", "--period", "0"],
            "installments_period",
        ),
        (
            &["--installments", "3", "--period", "1w"],
            "installments_period",
        ),
        (
            &["--installments", "14", "--period", "30"],
            "installments_too_long",
        ),
        (&["--page-action", "REGISTER_ALL"], "page_action_unknown"),
        (&["--page-action", "REGISTER_PAY"], "email_required"),
        (
            &[
                "--page-action",
                "REGISTER_UPDATE_PAY",
                "--cust-email",
                "b@example.com",
            ],
            "token_required",
        ),
        (
            &["--page-action", "REGISTER", "--cust-email", "b@example.com"],
            "amount_not_allowed",
        ),
        (
            &[
                "--page-action",
                "REGISTER_PAY",
                "--cust-email",
                "b@example.com",
                "--token",
                "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            ],
            "token_id_shape",
        ),
        (&["--payment-src", "PHONE"], "payment_src_unknown"),
        (&["--sub-amount", "990"], "subscription_without_action"),
    ] {
        assert_refused(&with(extra), 1, code);
    }
    // Subscriptions: no payment now (REGISTER_SUBSCRIBE), so no --amount.
    let sub = |extra: &[&str]| {
        let base = [
            "--currency",
            "EUR",
            "--order-id",
            "S-1",
            "--cust-email",
            "b@example.com",
            "--page-action",
            "REGISTER_SUBSCRIBE",
            "--field",
            "vads_trans_date=20261207101500",
        ];
        form(&[&base[..], extra].concat())
    };
    let good = [
        "--sub-amount",
        "990",
        "--sub-rrule",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=12",
        "--sub-effect-date",
        "2027-01-01",
    ];
    let o = sub(&[&good[..], &["--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fields = json["fields"].to_string();
    for pair in [
        r#"["vads_sub_amount","990"]"#,
        r#"["vads_sub_currency","978"]"#,
        r#"["vads_sub_effect_date","20270101"]"#,
        r#"["vads_page_action","REGISTER_SUBSCRIBE"]"#,
    ] {
        assert!(fields.contains(pair), "{pair} in {fields}");
    }
    assert!(!fields.contains("vads_amount"));
    let replace = |name: &str, value: &str| {
        let mut v: Vec<&str> = good.to_vec();
        let at = v.iter().position(|a| *a == name).unwrap();
        v[at + 1] = value;
        v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>()
    };
    for (args, code) in [
        (replace("--sub-amount", "0"), "sub_amount_zero"),
        (replace("--sub-rrule", "FREQ=MONTHLY"), "rrule_prefix"),
        (
            replace("--sub-rrule", "RRULE:FREQ=MONTHLY; COUNT=12"),
            "rrule_space",
        ),
        (replace("--sub-rrule", "RRULE:FREQ=HOURLY"), "rrule_period"),
        (
            replace("--sub-rrule", "RRULE:FREQ=MONTHLY;BYEASTER=1"),
            "rrule_part",
        ),
        (
            replace("--sub-effect-date", "2026-12-06"),
            "sub_effect_date_past",
        ),
        (replace("--sub-effect-date", "20261306"), "sub_effect_date"),
        (
            [&good[..], &["--sub-init-amount", "490"]]
                .concat()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            "sub_init_pair",
        ),
        (
            [&good[..], &["--sub-currency", "XXX"]]
                .concat()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            "sub_currency",
        ),
        (
            good[..4].iter().map(|s| (*s).to_owned()).collect(),
            "subscription_required",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_refused(&sub(&args), 1, code);
    }
    // Both initial options together are fine.
    let o = sub(&[
        &good[..],
        &["--sub-init-amount", "490", "--sub-init-count", "3"],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(r#"name="vads_sub_init_amount_number" value="3""#));
}

#[test]
fn form_warns_on_a_daily_subscription_that_starts_today() {
    let o = form(&[
        "--currency",
        "EUR",
        "--order-id",
        "D-1",
        "--page-action",
        "SUBSCRIBE",
        "--token",
        "customer-42-visa",
        "--sub-amount",
        "100",
        "--sub-rrule",
        "RRULE:FREQ=DAILY;COUNT=7",
        "--sub-effect-date",
        "20261207",
        "--field",
        "vads_trans_date=20261207101500",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.starts_with("vads: warning: daily_same_day: "), "{err}");
    assert!(text(&o.stdout).contains("<form"));
}

fn uuid(n: u32) -> String {
    format!("{n:032x}")
}

/// Reconciles `lines` in the given orders (and repeated); every order gives the same
/// standard output, which is returned as JSON lines.
fn reconcile_in_every_order(lines: &[String]) -> Vec<serde_json::Value> {
    let config = config();
    let args = ["reconcile", "--config", config.to_str().unwrap()];
    let input = |order: &[usize]| {
        order
            .iter()
            .map(|&i| lines[i].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let n = lines.len();
    let forward: Vec<usize> = (0..n).collect();
    let first = run(&args, input(&forward).as_bytes());
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    let reversed: Vec<usize> = (0..n).rev().collect();
    let interleaved: Vec<usize> = (0..n).step_by(2).chain((1..n).step_by(2)).collect();
    let repeated: Vec<usize> = (0..n).chain((0..n).rev()).collect();
    for order in [reversed, interleaved, repeated] {
        let o = run(&args, input(&order).as_bytes());
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout), out, "line order {order:?}");
    }
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn reconcile_reads_a_plan_a_registration_and_a_subscription() {
    let shop = shop();
    let plan = "MULTI:first=4000;count=3;period=30";
    let installment = |k: u32, amount: u64, status| {
        NotificationBuilder::new(&shop)
            .order_id("A-PLAN")
            .installment(k, plan)
            .trans_uuid(&uuid(k))
            .amount(amount)
            .status(status)
            .body()
            .unwrap()
    };
    let token = "4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e";
    let renewal = |n: u32, sub: Option<&str>, status| {
        NotificationBuilder::new(&shop)
            .order_id("C-SUB")
            .renewal(token, sub, n)
            .trans_uuid(&uuid(100 + n))
            .amount(990)
            .status(status)
    };
    let lines = vec![
        // A plan whose notifications carry the total: never paid more than 12,000.
        installment(1, 12_000, TransStatus::Captured),
        installment(2, 12_000, TransStatus::Captured),
        installment(3, 12_000, TransStatus::Refused),
        // A card saved without a payment.
        NotificationBuilder::new(&shop)
            .order_id("B-REG")
            .registration("REGISTER", "customer-42-visa")
            .trans_uuid(&uuid(50))
            .body()
            .unwrap(),
        // A subscription created with a card saved, then three of its installments, one
        // retried, one without its subscription id.
        NotificationBuilder::new(&shop)
            .order_id("C-SUB")
            .registration("REGISTER_SUBSCRIBE", token)
            .trans_uuid(&uuid(99))
            .field("vads_subscription", "SUB-1")
            .field("vads_recurrence_status", "CREATED")
            .body()
            .unwrap(),
        renewal(2, Some("SUB-1"), TransStatus::Refused)
            .body()
            .unwrap(),
        renewal(1, Some("SUB-1"), TransStatus::Captured)
            .body()
            .unwrap(),
        renewal(1, Some("SUB-1"), TransStatus::Captured)
            .url_check_src(UrlCheckSource::Retry)
            .body()
            .unwrap(),
        renewal(3, None, TransStatus::Captured).body().unwrap(),
    ];
    let out = reconcile_in_every_order(&lines);
    let keys: Vec<(String, Option<u64>)> = out
        .iter()
        .map(|o| {
            (
                o["order_id"].as_str().unwrap().to_owned(),
                o["recurrence_number"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("A-PLAN".to_owned(), None),
            ("B-REG".to_owned(), None),
            ("C-SUB".to_owned(), None),
            ("C-SUB".to_owned(), Some(1)),
            ("C-SUB".to_owned(), Some(2)),
            ("C-SUB".to_owned(), Some(3)),
        ]
    );
    let plan_line = &out[0];
    assert_eq!(plan_line["mode"], "TEST");
    assert_eq!(plan_line["paid"], 8000);
    assert_eq!(plan_line["refunded"], 0);
    assert_eq!(plan_line["currency"], "978");
    assert_eq!(
        plan_line["attention"],
        serde_json::json!(["installment_refused"])
    );
    assert_eq!(
        plan_line["plan"],
        serde_json::json!({"count": 3, "first": 4000, "total": 12000, "accepted": [1, 2], "refused": [3]})
    );
    let registration = &out[1];
    assert_eq!(registration["paid"], 0);
    assert_ne!(registration["outcome"], "paid");
    assert_eq!(
        registration["token"],
        serde_json::json!({"id": "customer-42-visa", "status": "CREATED"})
    );
    assert!(registration.get("plan").is_none());
    let creation = &out[2];
    assert_eq!(creation["paid"], 0);
    assert_eq!(creation["subscription"], "SUB-1");
    assert_eq!(creation["subscription_status"], "CREATED");
    assert_eq!(creation["token"]["id"], token);
    assert_eq!(creation["attention"], serde_json::json!([]));
    for (line, outcome, paid) in [
        (&out[3], "paid", 990),
        (&out[4], "failed", 0),
        (&out[5], "paid", 990),
    ] {
        assert_eq!(line["outcome"], outcome, "{line}");
        assert_eq!(line["paid"], paid, "{line}");
        assert_eq!(line["token"]["id"], token, "{line}");
        assert_eq!(line["payment_src"], "OTHER", "{line}");
        assert_eq!(line["attention"], serde_json::json!([]), "{line}");
        assert!(line["recurrence_number"].is_u64(), "an integer: {line}");
    }
    assert_eq!(out[3]["subscription"], "SUB-1");
    // Installment 3 came without its subscription id: it is still its own line, found by
    // token and number, and says it does not know the id.
    assert_eq!(out[5]["subscription"], serde_json::Value::Null);
}
