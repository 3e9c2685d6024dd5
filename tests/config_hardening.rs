//! Configuration and keys under hostile input (issue 13): no value in any error, bounded
//! and non-blocking reads of regular files only, one-line keys, a shop that reads only the
//! keys of its mode, and preflight's classification of notification hosts.
#![cfg(feature = "toml")]

use vads::preflight::preflight;
use vads::{Key, Shop, ShopConfig, ShopsConfig};

const SECRET: &str = "MyOldProdKey123456";

fn temp(name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vads-hardening-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn error_of(text: &str) -> String {
    let e = ShopsConfig::from_toml_str(text).unwrap_err();
    assert_eq!(e.code(), "invalid_config", "{e}");
    e.to_string()
}

#[test]
fn wrong_types_name_the_setting_and_line_but_never_the_value() {
    let base = "site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_key_env = \"K\"\n";
    let cases = [
        (
            format!("{base}previous_production_keys = \"{SECRET}\"\n"),
            "invalid_config: line 4: previous_production_keys: expected a list of strings, found a string",
        ),
        (
            format!("{base}algorithm = \"{SECRET}\"\n"),
            "invalid_config: line 4: algorithm: expected \"HMAC-SHA-256\" or \"SHA-1\"",
        ),
        (
            format!("site_id = \"12345678\"\nctx_mode = \"{SECRET}\"\n"),
            "invalid_config: line 2: ctx_mode: expected \"TEST\" or \"PRODUCTION\"",
        ),
        (
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = [\"{SECRET}\"]\n"),
            "invalid_config: line 3: test_key: expected a string, found a list",
        ),
        (
            format!("shops = \"{SECRET}\"\n"),
            "invalid_config: line 1: shops: expected tables [shops.NAME], one per shop, found a string",
        ),
        (
            format!(
                "[shops.web]\nsite_id = \"12345678\"\nctx_mode = \"TEST\"\n\n[shops.phone]\nsite_id = \"87654321\"\nctx_mode = \"TEST\"\nprevious_production_keys = \"{SECRET}\"\n"
            ),
            "invalid_config: line 8: previous_production_keys: expected a list of strings, found a string",
        ),
        (
            format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\nsite_id = \"{SECRET}\"\n"),
            "invalid_config: line 3: site_id: ",
        ),
    ];
    for (text, expected) in cases {
        let e = error_of(&text);
        assert!(e.starts_with(expected), "{e}\nexpected: {expected}");
        assert!(!e.contains(SECRET), "{e}");
        let e = ShopConfig::from_toml_str(&text).map_or_else(|e| e.to_string(), |_| String::new());
        assert!(!e.contains(SECRET), "{e}");
    }
}

#[test]
fn unknown_settings_are_named_with_a_suggestion_and_syntax_errors_located() {
    let e = error_of("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_fiel = \"k\"\n");
    assert_eq!(
        e,
        "invalid_config: line 3: test_key_fiel: unknown setting (did you mean test_key_file?); the settings are listed in the ShopConfig docs"
    );
    // A key pasted where a name goes is not printed.
    let e = error_of(&format!(
        "site_id = \"12345678\"\nctx_mode = \"TEST\"\n{SECRET} = 1\n"
    ));
    assert!(
        e.starts_with("invalid_config: line 3: an unknown setting"),
        "{e}"
    );
    assert!(!e.contains(SECRET), "{e}");
    // Syntax: the line, the column, no text of the file.
    let e = error_of(&format!(
        "site_id = \"12345678\"\nctx_mode = TEST\ntest_key = \"{SECRET}\n"
    ));
    assert!(
        e.starts_with("invalid_config: line 2: ctx_mode: not valid TOML at column 12"),
        "{e}"
    );
    let e = error_of(&format!("site_id = \"12345678\"\ntest_key = \"{SECRET}\n"));
    assert!(
        e.starts_with("invalid_config: line 2: test_key: not valid TOML"),
        "{e}"
    );
    assert!(!e.contains(SECRET), "{e}");
    let e = error_of("site_id = \"12345678\"\n");
    assert_eq!(
        e,
        "invalid_config: ctx_mode: missing: it is required (\"TEST\" or \"PRODUCTION\")"
    );
}

#[test]
fn config_files_are_regular_bounded_and_never_block() {
    let e = ShopsConfig::from_toml_file("/dev/zero").unwrap_err();
    assert_eq!(
        e.to_string(),
        "config_file_unreadable: cannot read config file /dev/zero: not a regular file"
    );
    let big = temp("big.toml", &vec![b'#'; vads::MAX_CONFIG_FILE_LEN + 1]);
    let e = ShopsConfig::from_toml_file(&big).unwrap_err();
    assert_eq!(e.code(), "config_file_too_large");
    assert!(
        e.to_string()
            .ends_with("larger than the limit of 1024 KiB (MAX_CONFIG_FILE_LEN)"),
        "{e}"
    );
    let e = ShopsConfig::from_toml_file("/nonexistent/vads.toml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "config_file_unreadable: cannot read config file /nonexistent/vads.toml: No such file or directory"
    );
    let e = ShopsConfig::from_toml_file(std::env::temp_dir()).unwrap_err();
    assert!(e.to_string().ends_with("not a regular file"), "{e}");
    // A FIFO as config file or key file: refused at once instead of waiting for a writer.
    let fifo = std::env::temp_dir().join(format!("vads-hardening-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let e = ShopsConfig::from_toml_file(&fifo).unwrap_err();
    assert!(e.to_string().ends_with("not a regular file"), "{e}");
    let e = Key::from_file(&fifo).unwrap_err();
    assert_eq!(e.code(), "key_file_unreadable");
    std::fs::remove_file(&fifo).unwrap();
}

#[test]
fn key_files_hold_one_line_of_printable_text() {
    let ok = [
        &b"1122334455667788"[..],
        b"1122334455667788\n",
        b"1122334455667788\r\n",
        b"  1122334455667788  \n",
    ];
    for content in ok {
        let path = temp("ok.key", content);
        assert!(Key::from_file(&path).is_ok(), "{content:?}");
    }
    let refused: [(&[u8], &str); 6] = [
        (b"\xef\xbb\xbf1122334455667788\n", "key_has_bom"),
        (b"1122334455667788\nsecond line\n", "key_has_line_break"),
        (b"1122334455667788\n\n1122\n", "key_has_line_break"),
        (b"11223344\r55667788", "key_has_line_break"),
        (b"11223344\t55667788", "key_has_control_character"),
        (b"1122334455667788\x00", "key_has_control_character"),
    ];
    for (content, code) in refused {
        let path = temp("bad.key", content);
        let e = Key::from_file(&path).unwrap_err();
        assert_eq!(e.code(), code, "{content:?}");
        assert!(!e.to_string().contains("1122334455667788"), "{e}");
    }
}

#[test]
fn a_shop_reads_only_the_keys_of_its_mode() {
    // The README's configuration: a TEST shop whose production key file is not on this
    // machine yet starts; preflight says what is missing for going live.
    let dir = std::env::temp_dir().join(format!("vads-hardening-modes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("test.key"), "TestKey1122334455\n").unwrap();
    let text = "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key_file = \"test.key\"\nproduction_key_file = \"/run/secrets/absent_production_key\"\n";
    std::fs::write(dir.join("shop.toml"), text).unwrap();
    let config = ShopsConfig::from_toml_file(dir.join("shop.toml")).unwrap();
    let findings = preflight(&config);
    assert!(
        findings.iter().any(|f| f.code == "key_unreadable"),
        "{findings:?}"
    );
    let shops = vads::Shops::new(config).unwrap();
    assert_eq!(shops.only().unwrap().mode(), vads::Mode::Test);
    // And the other way round: PRODUCTION does not read the test key.
    let text = "site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\ntest_key_file = \"/absent/test.key\"\nproduction_key = \"ProdKey9988776655\"\n";
    assert!(Shop::new(ShopConfig::from_toml_str(text).unwrap()).is_ok());
    // Two sources for one key stay a mistake in either mode.
    let text = "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"TestKey1122334455\"\nproduction_key = \"a\"\nproduction_key_env = \"B\"\n";
    let e = Shop::new(ShopConfig::from_toml_str(text).unwrap()).unwrap_err();
    assert_eq!(e.code(), "key_source_conflict");
    // Equal keys are preflight's finding now, with production_key_missing in TEST.
    let text = "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"SameKey1122334455\"\nprevious_production_keys = [\"SameKey1122334455\"]\n";
    let config = ShopsConfig::from_toml_str(text).unwrap();
    let codes: Vec<&str> = preflight(&config).iter().map(|f| f.code).collect();
    assert!(
        codes.contains(&"production_key_equals_test_key"),
        "{codes:?}"
    );
    assert!(codes.contains(&"production_key_missing"), "{codes:?}");
}

#[test]
fn preflight_classifies_notification_hosts_by_address() {
    let finding = |url: &str| {
        let text = format!(
            "site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_key = \"Pr0dKey9988776655\"\nnotification_url = \"{url}\"\n"
        );
        preflight(&ShopsConfig::from_toml_str(&text).unwrap())
            .into_iter()
            .find(|f| f.code == "notification_url_not_public")
            .map(|f| f.message)
    };
    for url in [
        "https://172.16.0.5/notify",
        "https://172.31.255.255/",
        "https://192.168.1.1/",
        "https://10.0.0.1/",
        "https://[::1]/",
        "https://[::1]:8443/notify",
        "https://user@127.0.0.1/",
        "https://user:pw@127.0.0.1:443/",
        "https://169.254.169.254/latest",
        "https://0.0.0.0/",
        "https://[fd00::1]/",
        "https://[fe80::1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://[::]/",
        "https://100.64.0.1/",
        "https://127.1/",
        "https://2130706433/",
        "https://localhost./notify",
        "https://LOCALHOST/",
        "https://shop.localhost/",
        "https://shop.internal/",
        "https://intranet/",
        "https://staging.shop.fr/",
    ] {
        assert!(finding(url).is_some(), "{url} was taken for public");
    }
    for url in [
        "https://shop.example.fr/notify",
        "https://93.184.216.34/notify",
        "https://[2a00:1450:4007:80e::200e]/notify",
        "https://172.32.0.1/",
        "https://123.be/notify",
        "https://user@shop.example.fr/",
    ] {
        assert_eq!(finding(url), None, "{url} was taken for local");
    }
    assert_eq!(
        finding("https://[fd00::1]/").unwrap(),
        "the PRODUCTION notification URL is a unique-local address: the platform cannot reach it"
    );
}

#[test]
fn the_readme_configuration_is_the_example_file_and_works_as_copied() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    // The README's TOML block of the Configuration section (the first that sets site_id).
    let block = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.starts_with("site_id"))
        .unwrap();
    let file = root.join("examples/data/shop.toml");
    assert_eq!(block, std::fs::read_to_string(&file).unwrap());
    // A TEST shop without its production key file on this machine starts.
    let config = ShopsConfig::from_toml_file(&file).unwrap();
    let shop = vads::Shops::new(config).unwrap();
    let shop = shop.only().unwrap();
    let signed = shop
        .form()
        .amount(1050)
        .currency("EUR")
        .order_id("A-1")
        .sign()
        .unwrap();
    assert!(signed.to_html().contains("vads_site_id"));
}

/// A key is printable ASCII, as the platforms' are: a Unicode space around it (NBSP,
/// U+0085, an em space) is not trimmed silently, and a zero-width space or a line
/// separator inside it is not accepted; each is `key_not_printable_ascii`, from every
/// loader (text, file, environment, a config's literal, file and variable).
#[test]
fn keys_with_invisible_characters_are_refused_by_every_loader() {
    let bad = [
        "\u{a0}1122334455667788",
        "1122334455667788\u{85}",
        "\u{2003}1122334455667788\u{2003}",
        "11223344\u{200b}55667788",
        "11223344\u{2028}55667788",
        "1122334455667788é",
    ];
    for (i, key) in bad.iter().enumerate() {
        let code = |e: vads::KeyError| e.code();
        assert_eq!(
            Key::new(key).map(drop).map_err(code),
            Err("key_not_printable_ascii"),
            "{key:?}"
        );
        let path = temp(&format!("invisible-{i}.key"), key.as_bytes());
        assert_eq!(
            Key::from_file(&path).map(drop).map_err(code),
            Err("key_not_printable_ascii"),
            "{key:?}"
        );
        let var = format!("VADS_INVISIBLE_KEY_{i}");
        std::env::set_var(&var, key);
        assert_eq!(
            Key::from_env(&var).map(drop).map_err(code),
            Err("key_not_printable_ascii"),
            "{key:?}"
        );
        let escaped: String = key
            .chars()
            .map(|c| format!("\\u{:04X}", c as u32))
            .collect();
        for setting in [
            format!("test_key = \"{escaped}\""),
            format!("test_key_file = \"{}\"", path.display()),
            format!("test_key_env = \"{var}\""),
            format!("test_key = \"1234567890abcdefXYZ\"\ntest_password = \"{escaped}\""),
        ] {
            let text = format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\n{setting}\n");
            let config = ShopConfig::from_toml_str(&text).unwrap();
            let e = Shop::new(config).unwrap_err();
            assert_eq!(e.code(), "key_not_printable_ascii", "{setting}: {e}");
            assert!(!e.to_string().contains("1122334455667788"), "{e}");
        }
    }
    // ASCII spaces and a final line break around a key are still trimmed.
    assert!(Key::new(" \t1122334455667788 \r\n").is_ok());
}

/// Each error names what is actually wrong (issue 21, item 8).
#[test]
fn errors_name_what_is_actually_wrong() {
    // `shops` given as a string beside a single shop's settings: the shops setting is
    // named, not the single shop's settings as "unknown".
    let e = error_of(
        "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"1122334455667788\"\nshops = \"web\"\n",
    );
    assert!(
        e.contains("line 4: shops: expected tables [shops.NAME], one per shop, found a string"),
        "{e}"
    );
    // A pseudo-file announces no size: read within the limit, then judged as TOML.
    #[cfg(target_os = "linux")]
    {
        let e = ShopsConfig::from_toml_file("/proc/self/environ").unwrap_err();
        assert!(!e.to_string().contains("larger than"), "{e}");
        assert!(e.to_string().contains("not valid TOML"), "{e}");
    }
}

#[test]
fn a_store_url_is_checked_and_its_password_never_shown() {
    let base = "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"1122334455667788\"\n";
    let ok = format!("{base}store_url = \"postgres://shop:Pw5ecretDb@db.internal/shop\"\n");
    let config = ShopConfig::from_toml_str(&ok).unwrap();
    assert!(!format!("{config:?}").contains("Pw5ecretDb"));
    let shop = Shop::new(config).unwrap();
    assert!(!format!("{shop:?}").contains("Pw5ecretDb"));
    let url = shop.store_url().unwrap();
    assert_eq!(url.redacted(), "postgres://shop:***@db.internal/shop");
    assert_eq!(
        url.expose_secret(),
        "postgres://shop:Pw5ecretDb@db.internal/shop"
    );
    for bad in ["mysql://u:Pw5ecretDb@h/db", "db.sqlite", ""] {
        let text = format!("{base}store_url = \"{bad}\"\n");
        let e = Shop::new(ShopConfig::from_toml_str(&text).unwrap()).unwrap_err();
        assert_eq!(e.code(), "invalid_config", "{bad}");
        assert!(e.to_string().contains("store_url must be"), "{e}");
        assert!(!format!("{e} {e:?}").contains("Pw5ecretDb"));
    }
    // Not a string: refused without the value.
    let e = ShopConfig::from_toml_str(&format!("{base}store_url = 12345\n")).unwrap_err();
    assert!(!e.to_string().contains("12345\""), "{e}");
}
