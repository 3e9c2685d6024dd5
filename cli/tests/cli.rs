//! Runs the built `vads` binary on urlencoded input; signatures are checked against the
//! one independent reference implementation (`vads-reference`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const KEY: &str = "1122334455667788";

fn run(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vads"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // The tool may exit before reading (usage errors): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn tmp(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vads-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    // Written aside then renamed: tests running in parallel may write the same file.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let aside = dir.join(format!("{name}.{n}.tmp"));
    std::fs::write(&aside, content).unwrap();
    std::fs::rename(&aside, &p).unwrap();
    p
}

fn reference(fields: &[(&str, &str)], key: &str, sha1: bool) -> String {
    use vads_reference::Algorithm;
    let algorithm = if sha1 {
        Algorithm::Sha1
    } else {
        Algorithm::HmacSha256
    };
    vads_reference::sign(fields, key, algorithm)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}
fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const DOC_FORM: &str = "vads_action_mode=INTERACTIVE&vads_amount=5124&vads_ctx_mode=TEST&vads_currency=978&vads_page_action=PAYMENT&vads_payment_config=SINGLE&vads_site_id=12345678&vads_trans_date=20170129130025&vads_trans_id=123456&vads_version=V2\n";

#[test]
fn signs_the_documented_example() {
    let key = tmp("doc.key", "1122334455667788\n");
    let o = run(
        &["sign", "--key-file", key.to_str().unwrap()],
        DOC_FORM.as_bytes(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=\n");
    let o = run(
        &[
            "sign",
            "--key-file",
            key.to_str().unwrap(),
            "--algorithm",
            "sha-1",
        ],
        DOC_FORM.as_bytes(),
        &[],
    );
    assert_eq!(stdout(&o), "59c96b34c74b9375c332b0b6a32e6deeec87de2b\n");
}

#[test]
fn decodes_plus_escapes_and_utf8_like_a_browser() {
    let key = tmp("k2.key", KEY);
    let body = "vads_a=a+b&vads_b=1%2B1&vads_c=%C3%A9t%C3%A9+%E2%82%AC&submit=Pay+now&vads_D=%26%3D%25&vads_e=&VADS_F=x";
    let fields = [
        ("vads_a", "a b"),
        ("vads_b", "1+1"),
        ("vads_c", "été €"),
        ("vads_D", "&=%"),
        ("vads_e", ""),
    ];
    for (alg, sha1) in [("HMAC-SHA-256", false), ("SHA-1", true)] {
        let o = run(
            &[
                "sign",
                "--key-file",
                key.to_str().unwrap(),
                "--algorithm",
                alg,
            ],
            body.as_bytes(),
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o).trim_end(), reference(&fields, KEY, sha1));
    }
}

#[test]
fn key_from_environment_and_explain() {
    let o = run(
        &["sign", "--key-env", "MY_SHOP_KEY", "--explain"],
        DOC_FORM.as_bytes(),
        &[("MY_SHOP_KEY", KEY)],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=\n");
    let err = stderr(&o);
    assert!(
        err.contains(
            "INTERACTIVE+5124+TEST+978+PAYMENT+SINGLE+12345678+20170129130025+123456+V2+****"
        ),
        "{err}"
    );
    assert!(!err.contains(KEY) && !stdout(&o).contains(KEY));
}

fn assert_error(o: &Output, status: i32, code: &str) {
    assert_eq!(o.status.code(), Some(status), "{}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(code), "{code} in {err}");
    assert!(!err.contains(KEY) && !stdout(o).contains(KEY));
    assert!(stdout(o).is_empty());
}

#[test]
fn errors_and_exit_statuses() {
    let key = tmp("k3.key", KEY);
    let k = key.to_str().unwrap();
    assert_error(
        &run(&["sign", "--key-file", k], b"vads_a=%G0", &[]),
        1,
        "malformed_body",
    );
    assert_error(
        &run(&["sign", "--key-file", k], b"vads_a=%0", &[]),
        1,
        "malformed_body",
    );
    assert_error(
        &run(&["sign", "--key-file", k], b"vads_a=1&vads_a=2", &[]),
        1,
        "duplicate_field",
    );
    assert_error(
        &run(
            &["sign", "--key-file", "/nonexistent/vads.key"],
            b"vads_a=1",
            &[],
        ),
        1,
        "key_file_unreadable",
    );
    let empty = tmp("empty.key", "  \n");
    assert_error(
        &run(
            &["sign", "--key-file", empty.to_str().unwrap()],
            b"vads_a=1",
            &[],
        ),
        1,
        "empty_key",
    );
    assert_error(
        &run(
            &["sign", "--key-env", "VADS_SURELY_UNSET"],
            b"vads_a=1",
            &[],
        ),
        1,
        "key_env_missing",
    );
    assert_error(
        &run(
            &["sign", "--key-file", k, "--algorithm", "MD5"],
            b"vads_a=1",
            &[],
        ),
        2,
        "unknown_algorithm",
    );
    assert_error(&run(&["sign"], b"vads_a=1", &[]), 2, "usage");
    assert_error(
        &run(
            &["sign", "--key-file", k, "--key-env", "X"],
            b"vads_a=1",
            &[],
        ),
        2,
        "usage",
    );
    assert_error(&run(&["sign", "--key", KEY], b"vads_a=1", &[]), 2, "usage");
    assert_error(&run(&["frobnicate"], b"", &[]), 2, "usage");
}

fn shop_config(mode: &str) -> PathBuf {
    let key = tmp(&format!("{mode}.key"), KEY);
    let (tk, pk) = if mode == "TEST" {
        ("test_key_file", "production_key")
    } else {
        ("production_key_file", "test_key")
    };
    tmp(
        &format!("{mode}.toml"),
        &format!(
            "site_id = \"12345678\"\nctx_mode = \"{mode}\"\n{tk} = \"{}\"\n{pk} = \"other-key\"\n",
            key.display()
        ),
    )
}

fn notification(mode: &str) -> String {
    let fields = [
        ("vads_amount", "5124"),
        ("vads_ctx_mode", mode),
        ("vads_currency", "978"),
        ("vads_site_id", "12345678"),
        ("vads_trans_id", "000042"),
        ("vads_trans_status", "CAPTURED"),
        ("vads_trans_uuid", "0123456789abcdef0123456789abcdef"),
        ("vads_order_id", "A-1"),
        ("vads_url_check_src", "PAY"),
        ("vads_hash", "abc"),
        ("vads_cust_first_name", "René +1"),
    ];
    signed(&fields)
}

#[test]
fn verify_accepts_and_prints_json() {
    let config = shop_config("PRODUCTION");
    let o = run(
        &["verify", "--config", config.to_str().unwrap()],
        notification("PRODUCTION").as_bytes(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["mode"], "PRODUCTION");
    assert_eq!(v["site_id"], "12345678");
    assert_eq!(v["trans_id"], "000042");
    assert_eq!(v["trans_uuid"], "0123456789abcdef0123456789abcdef");
    assert_eq!(v["order_id"], "A-1");
    assert_eq!(v["trans_status"], "CAPTURED");
    assert_eq!(v["outcome"], "paid");
    assert_eq!(v["amount"], 5124);
    assert_eq!(v["currency"], "978");
    assert_eq!(v["url_check_src"], "PAY");
    assert_eq!(v["kind"], "ipn");
    assert!(!stdout(&o).contains(KEY));
}

#[test]
fn verify_rejections() {
    let config = shop_config("PRODUCTION");
    let c = config.to_str().unwrap();
    let o = run(
        &["verify", "--config", c],
        notification("TEST").as_bytes(),
        &[],
    );
    assert_error(
        &o,
        1,
        "mode_mismatch: notification is TEST, shop is PRODUCTION",
    );
    let forged = notification("PRODUCTION").replace("vads_amount=5124", "vads_amount=1");
    assert_error(
        &run(&["verify", "--config", c], forged.as_bytes(), &[]),
        1,
        "bad_signature",
    );
    let dup = format!("{}&vads_amount=1", notification("PRODUCTION"));
    assert_error(
        &run(&["verify", "--config", c], dup.as_bytes(), &[]),
        1,
        "duplicate_field",
    );
    assert_error(
        &run(&["verify", "--config", c], b"vads_amount=1", &[]),
        1,
        "missing_signature",
    );
    // Invalid config or usage: 2.
    let bad = tmp(
        "bad.toml",
        "site_id = \"123\"\nctx_mode = \"TEST\"\ntest_key = \"1122334455667788\"\n",
    );
    assert_error(
        &run(&["verify", "--config", bad.to_str().unwrap()], b"", &[]),
        2,
        "invalid_site_id",
    );
    assert_error(
        &run(&["verify", "--config", "/nonexistent.toml"], b"", &[]),
        2,
        "config_file_unreadable",
    );
    assert_error(&run(&["verify"], b"", &[]), 2, "usage");
}

#[test]
fn form_prints_a_signed_form() {
    let config = shop_config("TEST");
    let c = config.to_str().unwrap();
    let o = run(
        &[
            "form",
            "--config",
            c,
            "--amount",
            "1050",
            "--currency",
            "EUR",
            "--order-id",
            "A-1",
            "--field",
            "vads_cust_first_name=René",
            "--format",
            "json",
        ],
        b"",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["action"], "https://secure.payzen.eu/vads-payment/");
    let fields: Vec<(String, String)> = serde_json::from_value(v["fields"].clone()).unwrap();
    let (sig, rest) = fields.split_last().unwrap();
    assert_eq!(sig.0, "signature");
    let pairs: Vec<(&str, &str)> = rest.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(sig.1, reference(&pairs, KEY, false));
    assert!(
        pairs.contains(&("vads_amount", "1050"))
            && pairs.contains(&("vads_currency", "978"))
            && pairs.contains(&("vads_ctx_mode", "TEST"))
    );
    let date = pairs
        .iter()
        .find(|(n, _)| *n == "vads_trans_date")
        .unwrap()
        .1;
    assert_eq!(date.len(), 14);

    let o = run(
        &[
            "form",
            "--config",
            c,
            "--amount",
            "1050",
            "--currency",
            "EUR",
            "--order-id",
            "A-1",
        ],
        b"",
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("<form method=\"POST\""));

    assert_error(
        &run(
            &[
                "form",
                "--config",
                c,
                "--amount",
                "10.50",
                "--currency",
                "EUR",
                "--order-id",
                "A-1",
            ],
            b"",
            &[],
        ),
        1,
        "invalid_field: vads_amount",
    );
    assert_error(
        &run(
            &[
                "form",
                "--config",
                c,
                "--amount",
                "1",
                "--currency",
                "XXX",
                "--order-id",
                "A-1",
            ],
            b"",
            &[],
        ),
        1,
        "invalid_field: vads_currency",
    );
    assert_error(
        &run(
            &[
                "form",
                "--config",
                c,
                "--amount",
                "1",
                "--currency",
                "EUR",
                "--order-id",
                "A-1",
                "--field",
                "novalue",
            ],
            b"",
            &[],
        ),
        2,
        "usage",
    );
    assert_error(
        &run(
            &["form", "--config", c, "--amount", "1", "--currency", "EUR"],
            b"",
            &[],
        ),
        2,
        "usage",
    );
}

/// A signed TEST notification body from the reference signer.
fn signed(fields: &[(&str, &str)]) -> String {
    let mut all: Vec<(String, String)> = fields
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    all.push(("signature".into(), reference(fields, KEY, false)));
    vads_reference::encode_body(&all)
}

fn event(uuid: &str, order: &str, op: &str, status: &str, amount: &str, src: &str) -> String {
    signed(&[
        ("vads_amount", amount),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_site_id", "12345678"),
        ("vads_trans_id", "000042"),
        ("vads_trans_date", "20261124130025"),
        ("vads_trans_status", status),
        ("vads_trans_uuid", uuid),
        ("vads_operation_type", op),
        ("vads_order_id", order),
        ("vads_url_check_src", src),
        ("vads_hash", "abc"),
    ])
}

#[test]
fn reconcile_is_independent_of_order_and_repetition() {
    let config = shop_config("TEST");
    let paid = event(
        "a".repeat(32).as_str(),
        "A-1",
        "DEBIT",
        "CAPTURED",
        "5000",
        "PAY",
    );
    let refund = event(
        "b".repeat(32).as_str(),
        "A-1",
        "CREDIT",
        "CAPTURED",
        "2000",
        "MERCH_BO",
    );
    let authorised = event(
        "c".repeat(32).as_str(),
        "B-2",
        "DEBIT",
        "AUTHORISED",
        "100",
        "PAY",
    );
    let cancelled = event(
        "c".repeat(32).as_str(),
        "B-2",
        "DEBIT",
        "CANCELLED",
        "100",
        "MERCH_BO",
    );
    let retry = event(
        "c".repeat(32).as_str(),
        "B-2",
        "DEBIT",
        "AUTHORISED",
        "100",
        "RETRY",
    );
    let lines = [&paid, &refund, &authorised, &cancelled, &retry];
    let input = |order: &[usize]| {
        order
            .iter()
            .map(|&i| lines[i].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    // vads verify prints the operation-aware outcome: a refund is never paid.
    let o = run(
        &["verify", "--config", config.to_str().unwrap()],
        refund.as_bytes(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["outcome"], "refunded");
    let args = ["reconcile", "--config", config.to_str().unwrap()];
    let first = run(&args, input(&[0, 1, 2, 3, 4]).as_bytes(), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let out = stdout(&first);
    let orders: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["order_id"], "A-1");
    assert_eq!(orders[0]["outcome"], "partially_refunded");
    assert_eq!(orders[0]["paid"], 5000);
    assert_eq!(orders[0]["refunded"], 2000);
    assert_eq!(orders[0]["currency"], "978");
    assert_eq!(orders[1]["order_id"], "B-2");
    assert_eq!(orders[1]["outcome"], "cancelled");
    assert_eq!(orders[1]["transactions"][0]["trans_status"], "CANCELLED");
    // Shuffled, repeated, with blank lines and CRLF: the same standard output.
    for order in [&[4, 3, 2, 1, 0][..], &[1, 1, 4, 0, 2, 3, 3, 0]] {
        let text = input(order).replace('\n', "\r\n\n");
        let o = run(&args, text.as_bytes(), &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), out);
    }
    // From a file too.
    let file = tmp("log.txt", &input(&[2, 0, 1]));
    let o = run(
        &[
            "reconcile",
            "--config",
            config.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2);
    // A refused line is reported with its number and changes nothing; exit status 1.
    let forged = paid.replace("5000", "9000");
    let text = format!("{}\n\n{forged}\nnot a body%zz", input(&[0, 1, 2, 3, 4]));
    let o = run(&args, text.as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), out);
    let err = stderr(&o);
    assert!(err.contains("vads: bad_signature: line 7: "), "{err}");
    assert!(err.contains("vads: malformed_body: line 8: "), "{err}");
}

/// Every error line is `vads: CODE: sentence`, with the code a snake_case word.
fn assert_code_first(o: &Output, status: i32, code: &str) {
    assert_error(o, status, code);
    let err = stderr(o);
    let rest = err
        .strip_prefix("vads: ")
        .and_then(|r| r.strip_prefix(code))
        .and_then(|r| r.strip_prefix(": "));
    assert!(rest.is_some_and(|r| r.len() > 3), "code first: {err}");
}

#[test]
fn the_error_contract_holds_for_config_keys_and_empty_input() {
    let key = tmp("c13.key", KEY);
    let bom = tmp("c13-bom.key", &format!("\u{feff}{KEY}\n"));
    let config = |name: &str, text: &str| tmp(name, text).to_str().unwrap().to_owned();
    // A key at fault, named by the config: code first, exit 1 (as a --key-file would).
    let c = config(
        "c13-bom.toml",
        &format!(
            "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{}\"\n",
            bom.display()
        ),
    );
    assert_code_first(
        &run(&["verify", "--config", &c], b"", &[]),
        1,
        "key_has_bom",
    );
    let c = config(
        "c13-missing.toml",
        "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"/nonexistent/test.key\"\n",
    );
    let o = run(&["verify", "--config", &c], b"", &[]);
    assert_code_first(&o, 1, "key_file_unreadable");
    assert!(
        stderr(&o).ends_with("/nonexistent/test.key: No such file or directory\n"),
        "{}",
        stderr(&o)
    );
    assert_code_first(
        &run(
            &["sign", "--key-file", bom.to_str().unwrap()],
            b"vads_amount=1",
            &[],
        ),
        1,
        "key_has_bom",
    );
    // A config at fault: exit 2, the setting and the line named, the value never.
    let c = config(
        "c13-type.toml",
        "site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_key_env = \"K\"\nprevious_production_keys = \"MyOldProdKey123456\"\n",
    );
    let o = run(&["verify", "--config", &c], b"", &[]);
    assert_code_first(&o, 2, "invalid_config");
    assert!(
        stderr(&o).contains("line 4: previous_production_keys: expected a list of strings"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("MyOldProdKey123456"));
    assert_code_first(
        &run(&["verify", "--config", "/dev/zero"], b"", &[]),
        2,
        "config_file_unreadable",
    );
    // Nothing to sign is an error, not the HMAC of the key alone.
    let k = key.to_str().unwrap();
    for input in [&b""[..], b"\n", b"a=1&b=2"] {
        assert_code_first(
            &run(&["sign", "--key-file", k], input, &[]),
            1,
            "nothing_to_sign",
        );
    }
    // Only vads_ fields count toward the limit: 600 others and one vads_ field sign.
    let mut body: Vec<String> = (0..600).map(|i| format!("x{i}=1")).collect();
    body.push("vads_amount=1".into());
    let o = run(&["sign", "--key-file", k], body.join("&").as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        reference(&[("vads_amount", "1")], KEY, false)
    );
    // The verdicts say what they saw.
    let c = config(
        "c13-ok.toml",
        &format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{k}\"\nproduction_key_file = \"/run/secrets/absent\"\n"),
    );
    let o = run(
        &["verify", "--config", &c],
        b"vads_ctx_mode=TEST&vads_site_id=87654321&signature=x",
        &[],
    );
    assert_code_first(&o, 1, "site_mismatch");
    assert!(
        stderr(&o).contains("notification is for site 87654321, shop is 12345678"),
        "{}",
        stderr(&o)
    );
    let o = run(
        &["verify", "--config", &c],
        b"vads_ctx_mode=TEST&vads_site_id=12345678&vads_order_info=%ZZ&signature=x",
        &[],
    );
    assert_code_first(&o, 1, "malformed_body");
    assert!(
        stderr(&o).contains("the value of vads_order_info"),
        "{}",
        stderr(&o)
    );
    let o = run(&["reconcile", "--config", &c, "/nonexistent/log"], b"", &[]);
    assert_code_first(&o, 1, "read_error");
    assert!(
        stderr(&o).ends_with("No such file or directory\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn without_arguments_it_lists_its_commands_and_exit_statuses() {
    let o = run(&[], b"", &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    for command in [
        "sign",
        "verify",
        "form",
        "preflight",
        "reconcile",
        "rehearse",
        "refund",
        "charge",
        "token",
        "subscription",
    ] {
        assert!(
            err.contains(&format!("\n  {command} ")),
            "{command} in {err}"
        );
    }
    // --help tells the same story as the README: the exit statuses.
    let help = stdout(&run(&["--help"], b"", &[]));
    assert!(help.contains("Exit statuses:"), "{help}");
    // This crate's README, and the repository's when the test runs in a checkout (the
    // published crate has only its own).
    let own = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let repository = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .unwrap_or_else(|_| own.clone());
    for line in ["0  success", "1  bad data", "2  bad usage"] {
        assert!(help.contains(line), "{line}");
        assert!(own.contains(line) && repository.contains(line), "{line}");
    }
    // Every line of the README's block, word for word.
    let from = own.find("Exit statuses:").unwrap();
    let block = &own[from..from + own[from..].find("```").unwrap()];
    for line in block.lines() {
        assert!(help.contains(line), "{line:?} not in --help");
    }
}

/// The platform's two published REST answers (tests/data/rest-kr-hash.json, copied from
/// shared/vectors/rest-kr-hash.json like the library's).
fn rest_vectors() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rest-kr-hash.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

/// Each published answer re-sent with its slashes escaped (`\/`, as some servers send
/// them) verifies at its endpoint, as the official SDKs verify it; one more backslash
/// before an escaped slash (`\\/`: an escaped backslash, then a plain slash) does not.
#[test]
fn verify_accepts_escaped_slashes_as_the_official_sdks_do() {
    let config = tmp(
        "rest-slashes.toml",
        "site_id = \"69876357\"\nctx_mode = \"TEST\"\ntest_password = \"testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M\"\ntest_hmac_key = \"38453613e7f44dc58732bad3dca2bca3\"\n",
    );
    let config = config.to_str().unwrap();
    for v in rest_vectors() {
        let endpoint = v["endpoint"].as_str().unwrap();
        let escaped = v["kr_answer"].as_str().unwrap().replace('/', "\\/");
        let key_name = if endpoint == "ipn" {
            "password"
        } else {
            "sha256_hmac"
        };
        let body = |answer: &str| {
            vads_reference::encode_body(&[
                ("kr-hash", v["kr_hash"].as_str().unwrap()),
                ("kr-hash-algorithm", "sha256_hmac"),
                ("kr-hash-key", key_name),
                ("kr-answer-type", "V4/Payment"),
                ("kr-answer", answer),
            ])
        };
        let o = run(
            &["verify", "--config", config, "--endpoint", endpoint],
            body(&escaped).as_bytes(),
            &[],
        );
        assert!(o.status.success(), "{endpoint}: {}", stderr(&o));
        let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(j["outcome"], "paid");
        let doubled = escaped.replacen("\\/", "\\\\/", 1);
        let o = run(
            &["verify", "--config", config, "--endpoint", endpoint],
            body(&doubled).as_bytes(),
            &[],
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).starts_with("vads: bad_signature: "),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn verify_takes_both_formats_and_the_endpoint_chooses_the_rest_key() {
    let config = tmp(
        "rest-shop.toml",
        "site_id = \"69876357\"\nctx_mode = \"TEST\"\ntest_key = \"form-key-1234567\"\ntest_password = \"testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M\"\ntest_hmac_key = \"38453613e7f44dc58732bad3dca2bca3\"\n",
    );
    let config = config.to_str().unwrap();
    for v in rest_vectors() {
        let endpoint = v["endpoint"].as_str().unwrap();
        let body = v["body"].as_str().unwrap();
        let o = run(
            &["verify", "--config", config, "--endpoint", endpoint],
            body.as_bytes(),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(j["format"], "rest");
        assert_eq!(j["site_id"], "69876357");
        assert_eq!(j["mode"], "TEST");
        assert_eq!(j["outcome"], "paid");
        assert_eq!(j["currency"], "978");
        assert_eq!(j["trans_status"], "AUTHORISED");
        assert_eq!(
            j["kind"],
            if endpoint == "ipn" {
                "ipn"
            } else {
                "browser_return"
            }
        );
        let answer: serde_json::Value =
            serde_json::from_str(v["kr_answer"].as_str().unwrap()).unwrap();
        assert_eq!(j["amount"], answer["transactions"][0]["amount"]);
        assert_eq!(j["trans_uuid"], answer["transactions"][0]["uuid"]);
        assert_eq!(j["order_id"], answer["orderDetails"]["orderId"]);
    }
    // The default endpoint is the IPN: a browser return is refused there, with a hint.
    let ret = rest_vectors()
        .into_iter()
        .find(|v| v["endpoint"] == "return")
        .unwrap();
    let o = run(
        &["verify", "--config", config],
        ret["body"].as_str().unwrap().as_bytes(),
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("vads: wrong_hash_key: "),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--endpoint return"), "{}", stderr(&o));
    // A vads_* body at the same endpoint, with the form key: the same JSON shape.
    let fields = [
        ("vads_amount", "990"),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_site_id", "69876357"),
        ("vads_trans_status", "AUTHORISED"),
        ("vads_trans_uuid", "017574bda28e4f1d8413b97fc65c8197"),
    ];
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    let sig = reference(&fields, "form-key-1234567", false);
    all.push(("signature", &sig));
    let o = run(
        &["verify", "--config", config],
        vads_reference::encode_body(&all).as_bytes(),
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (j["format"].as_str(), j["amount"].as_u64()),
        (Some("form"), Some(990))
    );
    // Unknown endpoint: a usage error.
    let o = run(
        &["verify", "--config", config, "--endpoint", "IPN"],
        b"",
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected ipn or return"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn reconcile_accepts_rest_lines_beside_vads_lines() {
    let config = tmp(
        "rest-reconcile.toml",
        "site_id = \"69876357\"\nctx_mode = \"TEST\"\ntest_key = \"form-key-1234567\"\ntest_password = \"testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M\"\n",
    );
    let ipn = rest_vectors()
        .into_iter()
        .find(|v| v["endpoint"] == "ipn")
        .unwrap();
    let body = ipn["body"].as_str().unwrap();
    // The same payment as a vads_* IPN (same uuid, amount, currency), then a refund.
    let vads_line = |uuid: &str, amount: &str, op: &str| {
        let fields = [
            ("vads_amount", amount),
            ("vads_ctx_mode", "TEST"),
            ("vads_currency", "978"),
            ("vads_operation_type", op),
            ("vads_order_id", "myOrderId-618776"),
            ("vads_site_id", "69876357"),
            ("vads_trans_status", "CAPTURED"),
            ("vads_trans_uuid", uuid),
        ];
        let sig = reference(&fields, "form-key-1234567", false);
        let mut all = fields.to_vec();
        all.push(("signature", &sig));
        vads_reference::encode_body(&all)
    };
    let log = format!(
        "{}\n{body}\n{}\n{body}\n",
        vads_line("017574bda28e4f1d8413b97fc65c8197", "990", "DEBIT"),
        vads_line("ffffffffffffffffffffffffffffffff", "300", "CREDIT"),
    );
    let o = run(
        &["reconcile", "--config", config.to_str().unwrap()],
        log.as_bytes(),
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(j["outcome"], "partially_refunded");
    assert_eq!(
        (j["paid"].as_u64(), j["refunded"].as_u64()),
        (Some(990), Some(300))
    );
    assert_eq!(j["attention"], serde_json::json!([]));
}

/// Keys of every shape the platforms use (digits, mixed case, capitals, with `_`, hex),
/// written where a path, a variable's name, a setting's name, a shop's name or an
/// argument goes: no output of `vads` (standard output or error) holds one.
#[test]
fn a_key_written_in_the_wrong_place_is_never_printed() {
    const PLANTED: &[&str] = &[
        "1122334455667788",
        "MyOldProdKey123456",
        "K7X9QZ2M4HVT8R1D",
        "QWERTYUIOPASDFGH",
        "38453613e7f44dc58732bad3dca2bca3",
        "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M",
        "TESTPASSWORD_DEMOPRIVATEKEY23G4475ZXZQ2UA5X7M",
        "SECRET_KEY_7F3A9B2C1D",
        "a1b2c3d4e5f6a7b8",
    ];
    let good_key = tmp("planted-good.key", "1234567890abcdefXYZ\n");
    let good_key = good_key.to_str().unwrap();
    for key in PLANTED {
        let configs = [
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{key}\"\n"),
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_env = \"{key}\"\n"),
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_password_file = \"{key}\"\ntest_key_file = \"{good_key}\"\n"),
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_hmac_key_env = \"{key}\"\ntest_key_file = \"{good_key}\"\n"),
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{good_key}\"\n{key} = \"x\"\n"),
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{good_key}\"\n\"{key}\" = \"x\"\n"),
            format!("[shops.{key}]\nsite_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{key}\"\n"),
            format!("[shops.\"{key}\"]\nsite_id = \"1234567\"\nctx_mode = \"TEST\"\ntest_key_file = \"{good_key}\"\n"),
            format!("[shops.\"{key}\"]\nsite_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{good_key}\"\n[shops.b]\nsite_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{good_key}\"\n"),
            format!("[shops.\"{key}\"]\nsite_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{good_key}\"\nproduction_key_file = \"{key}\"\n"),
        ];
        let mut outputs = Vec::new();
        for (i, text) in configs.iter().enumerate() {
            let config = tmp(&format!("planted-{i}.toml"), text);
            let config = config.to_str().unwrap();
            for args in [
                vec!["verify", "--config", config],
                vec!["preflight", "--config", config],
                vec!["preflight", "--config", config, "--format", "json"],
                vec![
                    "form",
                    "--config",
                    config,
                    "--amount",
                    "100",
                    "--currency",
                    "EUR",
                    "--order-id",
                    "A",
                ],
                vec![
                    "form",
                    "--config",
                    config,
                    "--amount",
                    "100",
                    "--currency",
                    "EUR",
                    "--order-id",
                    "A",
                    "--shop",
                    key,
                ],
                vec!["reconcile", "--config", config],
            ] {
                outputs.push(run(&args, DOC_FORM.as_bytes(), &[]));
            }
        }
        let loaded = tmp(
            "planted-ok.toml",
            &format!(
                "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"{good_key}\"\n"
            ),
        );
        let loaded = loaded.to_str().unwrap();
        for args in [
            vec!["sign", "--key-env", key],
            vec!["sign", "--key-file", key],
            vec!["sign", "--key-file", good_key, key],
            vec!["sign", key],
            vec![key],
            vec!["verify", "--config", loaded, key],
            vec!["verify", "--config", key],
            vec![
                "form",
                "--config",
                loaded,
                "--amount",
                "1",
                "--currency",
                "EUR",
                "--order-id",
                "A",
                "--field",
                key,
            ],
            vec![
                "form",
                "--config",
                loaded,
                "--amount",
                "1",
                "--currency",
                "EUR",
                "--order-id",
                "A",
                "--shop",
                key,
            ],
            vec!["sign", "--key-file", good_key, "--algorithm", key],
            vec!["verify", "--config", loaded, "--endpoint", key],
        ] {
            outputs.push(run(&args, DOC_FORM.as_bytes(), &[]));
        }
        for o in &outputs {
            let (out, err) = (stdout(o), stderr(o));
            assert!(
                !out.contains(key) && !err.contains(key),
                "{key} printed: {}",
                out.lines()
                    .chain(err.lines())
                    .filter(|l| l.contains(key))
                    .collect::<Vec<_>>()
                    .join(" / ")
            );
            let lower = key.to_ascii_lowercase();
            assert!(!err.to_ascii_lowercase().contains(&lower), "{key}: {err}");
        }
        // The errors still say what is wrong.
        assert!(outputs
            .iter()
            .any(|o| stderr(o).contains("(file name withheld)")));
        assert!(outputs.iter().any(|o| stderr(o).contains("(name withheld")));
    }
}

/// Runs `vads` with `args` and `stdin` from a file (or nothing), its data segment (heap
/// and private mappings: `RLIMIT_DATA`) limited to 10 MiB, so that any allocation that
/// would take it past that fails (and the process aborts).
///
/// (Not the child's `ru_maxrss`: a child spawned from the test process starts as a copy
/// of it, whose resident pages count in its peak before `exec`.)
#[cfg(target_os = "linux")]
fn run_limited(args: &[&str], stdin: Option<&std::path::Path>) -> Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vads"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    match stdin {
        Some(p) => cmd.stdin(std::fs::File::open(p).unwrap()),
        None => cmd.stdin(Stdio::null()),
    };
    const LIMIT: libc::rlim_t = 10 << 20;
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT,
                rlim_max: LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd.output().unwrap()
}

/// A line longer than MAX_BODY_LEN is refused (`body_too_large: line N`) without being
/// held, the lines around it still count, and an input that never ends (`/dev/zero`) is
/// not read forever: every run fits in 10 MiB of data segment whatever the input.
#[cfg(target_os = "linux")]
#[test]
fn reconcile_reads_lines_with_a_bound() {
    let config = shop_config("TEST");
    let config = config.to_str().unwrap();
    let paid = event(&"a".repeat(32), "A-1", "DEBIT", "CAPTURED", "5000", "PAY");
    let other = event(&"b".repeat(32), "B-2", "DEBIT", "CAPTURED", "100", "PAY");
    let log = std::env::temp_dir().join(format!("vads-long-line-{}.log", std::process::id()));
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        writeln!(f, "{paid}").unwrap();
        // 200 MB of one line, then a line of exactly MAX_BODY_LEN + 1 bytes.
        let block = vec![b'x'; 1 << 20];
        for _ in 0..200 {
            f.write_all(&block).unwrap();
        }
        writeln!(f).unwrap();
        f.write_all(&vec![b'y'; 64 * 1024 + 1]).unwrap();
        writeln!(f, "\n{other}").unwrap();
    }
    for stdin in [false, true] {
        let o = if stdin {
            run_limited(&["reconcile", "--config", config], Some(&log))
        } else {
            run_limited(
                &["reconcile", "--config", config, log.to_str().unwrap()],
                None,
            )
        };
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("vads: body_too_large: line 2: longer than 65536 bytes"),
            "{err}"
        );
        assert!(err.contains("vads: body_too_large: line 3: "), "{err}");
        let orders: Vec<serde_json::Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(orders.len(), 2, "the lines around the long ones count");
    }
    std::fs::remove_file(&log).unwrap();
    let zero = std::path::Path::new("/dev/zero");
    for o in [
        run_limited(&["reconcile", "--config", config, "/dev/zero"], None),
        run_limited(&["reconcile", "--config", config], Some(zero)),
    ] {
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("vads: body_too_large: line 1: no line break"),
            "{err}"
        );
    }
}

/// The first-hour messages: a missing key names both ways to give one, fields written one
/// per line get a hint to join them with `&`, and an empty body is called empty.
#[test]
fn first_hour_errors_say_what_to_do() {
    let o = run(&["sign"], DOC_FORM.as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("--key-file") && err.contains("--key-env"),
        "{err}"
    );
    let key = tmp("first-hour.key", "1122334455667788\n");
    let lines = DOC_FORM.trim_end().replace('&', "\n");
    let o = run(
        &["sign", "--key-file", key.to_str().unwrap()],
        lines.as_bytes(),
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("join them with '&'"), "{}", stderr(&o));
    let config = shop_config("TEST");
    for body in [&b""[..], b"\n", b"  \r\n"] {
        let o = run(&["verify", "--config", config.to_str().unwrap()], body, &[]);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).starts_with("vads: empty_body: the body is empty"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn verify_says_why_a_signature_does_not_match_without_showing_the_key() {
    let config = shop_config("TEST");
    let config = config.to_str().unwrap();
    let fields = [
        ("vads_amount", "5124"),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_cust_phone", "+33 1 23"),
        ("vads_site_id", "12345678"),
        ("vads_trans_status", "CAPTURED"),
        ("vads_trans_uuid", "0123456789abcdef0123456789abcdef"),
    ];
    let encoded = |fields: &[(&str, &str)], signature: &str| {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        pairs.push(("signature".into(), signature.to_owned()));
        vads::testing::urlencode_pairs(&pairs)
    };
    // Fields one per line: the hint to join them.
    let lines = encoded(&fields, "x").replace('&', "\n");
    let o = run(&["verify", "--config", config], lines.as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("join them with '&'"), "{}", stderr(&o));

    // Signed with SHA-1 where the config says HMAC-SHA-256.
    let sha1 = reference(&fields, KEY, true);
    let o = run(
        &["verify", "--config", config],
        encoded(&fields, &sha1).as_bytes(),
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("vads: bad_signature: "), "{err}");
    assert!(
        err.contains(
            "this is a valid SHA-1 signature with the shop's key, but the config says HMAC-SHA-256"
        ),
        "{err}"
    );

    // The right signature, but the body decoded once too often: '+' became a space.
    let good = reference(&fields, KEY, false);
    let once_too_often = encoded(&fields, &good).replace("%2B33", "+33");
    let o = run(
        &["verify", "--config", config],
        once_too_often.as_bytes(),
        &[],
    );
    let err = stderr(&o);
    assert!(
        err.contains(
            "a value holds a space where '+' would make the signature valid (vads_cust_phone)"
        ),
        "{err}"
    );

    // Another key: said so, and neither key nor signature is printed.
    let other = reference(&fields, "another-key-0000", false);
    let o = run(
        &["verify", "--config", config],
        encoded(&fields, &other).as_bytes(),
        &[],
    );
    let err = stderr(&o);
    assert!(
        err.contains("the key that signed it is not this mode's key"),
        "{err}"
    );
    for secret in [KEY, "another-key-0000", good.as_str()] {
        assert!(!err.contains(secret), "{err}");
    }
    // The genuine body is accepted.
    let o = run(
        &["verify", "--config", config],
        encoded(&fields, &good).as_bytes(),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
