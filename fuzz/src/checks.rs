//! The checks behind the fuzz targets, shared with the stable regression replay
//! (`fuzz-replay/tests/replay.rs` in the root workspace includes this file), so that every corpus
//! input and saved crash goes through exactly the same assertions under `cargo test`.
//!
//! Each check takes raw bytes; the structured ones decode them with `arbitrary`.
//! The reference implementation here is naive and allocating on purpose, and shares no
//! code with the library.

use arbitrary::{Arbitrary, Unstructured};
use std::collections::HashSet;
use vads::{Algorithm, Endpoint, Format, Key, Mode, SecretString, Shop, ShopConfig};

pub const SITE: &str = "12345678";
pub const FUZZ_KEY: &str = "FuzzTestKey0123456789";

fn shop(algorithm: Algorithm, key: &str) -> Option<Shop> {
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.algorithm = algorithm;
    c.test_key = Some(SecretString::new(key.to_owned()));
    Shop::new(c).ok()
}

/// A TEST shop `SITE` whose REST password and HMAC key are both `key` (and whose form
/// key is `FUZZ_KEY`).
fn rest_shop(key: &str) -> Option<Shop> {
    let mut c = ShopConfig::new(SITE, Mode::Test);
    c.test_key = Some(SecretString::new(FUZZ_KEY.to_owned()));
    c.test_password = Some(SecretString::new(key.to_owned()));
    c.test_hmac_key = Some(SecretString::new(key.to_owned()));
    Shop::new(c).ok()
}

/// The naive REST verifier (protocol section 7) on decoded fields, for a TEST shop
/// `SITE` at `endpoint`: names unique, `kr-hash-algorithm`/`kr-hash-key` as expected, the
/// reference hash of `kr-answer` equal to `kr-hash`, and the answer, read by `serde_json`
/// (duplicate `shopId`, `orderDetails`, `mode` refused by its derive), naming `SITE` and
/// `TEST`.
fn reference_rest_accepts(fields: &[(String, String)], key: &str, endpoint: Endpoint) -> bool {
    // Only the two facts are read; everything else is skipped (serde_json checks its
    // syntax but not the range of its numbers, as the protocol does not either).
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "shopId")]
        shop_id: Option<serde_json::Value>,
        #[serde(rename = "orderDetails")]
        order_details: Option<Details>,
    }
    #[derive(serde::Deserialize)]
    struct Details {
        mode: Option<serde_json::Value>,
    }
    let Some(get) = unique(fields) else {
        return false;
    };
    let (Some(hash), Some(answer)) = (get("kr-hash"), get("kr-answer")) else {
        return false;
    };
    if get("kr-hash-algorithm") != Some("sha256_hmac")
        || get("kr-hash-key") != Some(endpoint.hash_key_name())
        || !vads_reference::rest_hash_accepts(answer, key, hash)
    {
        return false;
    }
    if !answer.trim_start().starts_with('{') {
        return false;
    }
    let Ok(a) = serde_json::from_str::<Answer>(answer) else {
        return false;
    };
    let mode = a.order_details.and_then(|d| d.mode);
    a.shop_id.as_ref().and_then(|v| v.as_str()) == Some(SITE)
        && mode.as_ref().and_then(|v| v.as_str()) == Some("TEST")
}

/// The naive reference signer (protocol section 2): the `vads-reference` crate.
pub fn reference_sign(fields: &[(String, String)], key: &str, algorithm: Algorithm) -> String {
    let algorithm = match algorithm {
        Algorithm::Sha1 => vads_reference::Algorithm::Sha1,
        _ => vads_reference::Algorithm::HmacSha256,
    };
    vads_reference::sign(fields, key, algorithm)
}

/// A lookup by name over `fields`, or `None` when a name appears twice (refused by both
/// naive verifiers).
fn unique<'f>(fields: &'f [(String, String)]) -> Option<impl Fn(&str) -> Option<&'f str> + 'f> {
    let mut seen = HashSet::new();
    if !fields.iter().all(|(n, _)| seen.insert(n.as_str())) {
        return None;
    }
    Some(move |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    })
}

/// The naive reference verifier for a TEST shop `SITE`, on decoded fields.
fn reference_accepts(fields: &[(String, String)], key: &str, algorithm: Algorithm) -> bool {
    let Some(get) = unique(fields) else {
        return false;
    };
    let Some(sig) = get("signature") else {
        return false;
    };
    if get("vads_ctx_mode") != Some("TEST") || get("vads_site_id") != Some(SITE) {
        return false;
    }
    let expected = reference_sign(fields, key, algorithm);
    match algorithm {
        Algorithm::Sha1 => sig.to_ascii_lowercase() == expected,
        _ => sig == expected,
    }
}

fn encode(fields: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (n, v) in fields {
        s.append_pair(n, v);
    }
    s.finish()
}

/// `body`: arbitrary bytes into the parser and `Shop::verify`: never panics; an accepted
/// body decodes, with the independent `form_urlencoded`, to the same fields.
pub fn body(data: &[u8]) {
    let mut storage = vec![vads::body::RawField::EMPTY; vads::MAX_FIELDS];
    if let Ok(fields) = vads::body::parse(data, &mut storage) {
        let ours: Vec<(String, String)> = fields
            .iter()
            .map(|f| (f.name().into_owned(), f.value().into_owned()))
            .collect();
        let theirs: Vec<(String, String)> = form_urlencoded::parse(data)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(ours, theirs, "decoders disagree on an accepted body");
    }
    // The REST path: never panics; what it accepts, the naive reference accepts.
    let _ = Format::of(data);
    let rest = rest_shop(FUZZ_KEY).unwrap();
    for endpoint in [Endpoint::Ipn, Endpoint::Return] {
        if let Ok(n) = rest.verify_rest(data, endpoint) {
            let theirs: Vec<(String, String)> = form_urlencoded::parse(data)
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            assert!(
                reference_rest_accepts(&theirs, FUZZ_KEY, endpoint),
                "vads accepted a REST body the reference refuses"
            );
            let _ = (n.answer_text(), n.answer_type(), n.kind());
        }
        let _ = rest.verify_any(data, endpoint);
    }
    for alg in [Algorithm::HmacSha256, Algorithm::Sha1] {
        let shop = shop(alg, FUZZ_KEY).unwrap();
        let _ = shop.explain(data);
        if let Ok(n) = shop.verify(data) {
            // What verification accepts, the strict parser accepts too (verification
            // checks vads_ values while hashing them, not in its parse).
            let mut strict = vec![vads::body::RawField::EMPTY; vads::MAX_FIELDS];
            assert!(
                vads::body::parse(data, &mut strict).is_ok(),
                "verify accepted a body parse refuses"
            );
            // Accepted: the reference must accept the same decoded fields.
            let theirs: Vec<(String, String)> = form_urlencoded::parse(data)
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            assert!(
                reference_accepts(&theirs, FUZZ_KEY, alg),
                "vads accepted what the reference refuses"
            );
            for (name, value) in &theirs {
                assert_eq!(n.get(name).as_deref(), Some(value.as_str()));
            }
            let _ = (
                n.amount(),
                n.currency(),
                n.trans_date(),
                n.outcome(),
                n.kind(),
                n.idempotency_key(),
            );
        }
    }
}

#[derive(Arbitrary, Debug)]
struct OracleInput {
    fields: Vec<(String, String)>,
    sha1: bool,
    key: String,
    mutate_field: usize,
    mutate_byte: usize,
    mutate_name: bool,
    xor: u8,
    shuffle: u64,
}

/// `verify_oracle`: fields signed by the reference, urlencoded by `form_urlencoded`, are
/// always accepted; with one byte of a name or value changed, `Shop::verify` agrees with
/// the reference verifier (a changed `vads_` value is always refused).
pub fn verify_oracle(data: &[u8]) {
    let Ok(input) = OracleInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let alg = if input.sha1 {
        Algorithm::Sha1
    } else {
        Algorithm::HmacSha256
    };
    let key = input.key.trim().to_owned();
    if key.is_empty() || key.contains('\0') {
        return;
    }
    let Some(shop) = shop(alg, &key) else { return };
    let mut seen = HashSet::new();
    let mut fields: Vec<(String, String)> = input
        .fields
        .into_iter()
        .filter(|(n, _)| n != "signature" && n != "vads_ctx_mode" && n != "vads_site_id")
        .filter(|(n, _)| seen.insert(n.clone()))
        .take(200)
        .collect();
    fields.push(("vads_ctx_mode".into(), "TEST".into()));
    fields.push(("vads_site_id".into(), SITE.into()));
    // Deterministic shuffle.
    let mut s = input.shuffle | 1;
    for i in (1..fields.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        fields.swap(i, (s % (i as u64 + 1)) as usize);
    }
    let sig = reference_sign(&fields, &key, alg);
    let mut all = fields.clone();
    all.push(("signature".into(), sig.clone()));
    let body = encode(&all);
    if body.len() > vads::MAX_BODY_LEN {
        assert_eq!(
            shop.verify(body.as_bytes()).unwrap_err().code(),
            "body_too_large"
        );
        return;
    }
    if let Err(e) = shop.verify(body.as_bytes()) {
        panic!("a correctly signed body was refused: {e}");
    }
    // One byte changed.
    let i = input.mutate_field % fields.len();
    let mut forged = fields.clone();
    let target = if input.mutate_name {
        &mut forged[i].0
    } else {
        &mut forged[i].1
    };
    let mut bytes = target.clone().into_bytes();
    if bytes.is_empty() {
        bytes.push(input.xor);
    } else {
        let p = input.mutate_byte % bytes.len();
        bytes[p] ^= input.xor.max(1);
    }
    let Ok(mutated) = String::from_utf8(bytes) else {
        return;
    };
    *target = mutated;
    let vads_value_changed = !input.mutate_name && forged[i].0.starts_with("vads_");
    forged.push(("signature".into(), sig));
    let body = encode(&forged);
    let ours = shop.verify(body.as_bytes()).is_ok();
    assert_eq!(
        ours,
        reference_accepts(&forged, &key, alg),
        "verdicts differ after a mutation"
    );
    if vads_value_changed {
        assert!(!ours, "a changed vads_ value was accepted");
    }
}

#[derive(Arbitrary, Debug)]
struct SignInput {
    fields: Vec<(String, String)>,
    key: String,
}

/// `sign_differential`: `vads::sign` equals the reference for both algorithms, or both
/// refuse (duplicate `vads_` name, too many fields, empty key).
pub fn sign_differential(data: &[u8]) {
    let Ok(input) = SignInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    // A key is one line of printable ASCII once its surrounding ASCII white space is
    // trimmed (as the platforms' keys are), without a byte order mark.
    let trimmed = input.key.trim_matches(|c: char| c.is_ascii_whitespace());
    let acceptable = !trimmed.is_empty()
        && !input.key.contains('\u{feff}')
        && trimmed.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let key = match Key::new(&input.key) {
        Ok(k) => {
            assert!(
                acceptable,
                "a key with a BOM, a control or a non-ASCII character was accepted"
            );
            k
        }
        Err(_) => {
            assert!(!acceptable, "a printable one-line key was refused");
            return;
        }
    };
    let vads: Vec<&String> = input
        .fields
        .iter()
        .map(|(n, _)| n)
        .filter(|n| n.starts_with("vads_"))
        .collect();
    let unique: HashSet<&&String> = vads.iter().collect();
    let reference_refuses =
        vads.is_empty() || unique.len() != vads.len() || vads.len() > vads::MAX_FIELDS;
    for alg in [Algorithm::HmacSha256, Algorithm::Sha1] {
        let ours = vads::sign(
            input.fields.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            &key,
            alg,
        );
        match ours {
            Ok(sig) => {
                assert!(!reference_refuses);
                assert_eq!(sig.as_str(), reference_sign(&input.fields, trimmed, alg));
            }
            Err(e) => {
                assert!(reference_refuses, "vads refused: {e}");
                let expected = if vads.is_empty() {
                    "nothing_to_sign"
                } else if unique.len() != vads.len() {
                    "duplicate_field"
                } else {
                    "too_many_fields"
                };
                if vads.len() <= vads::MAX_FIELDS {
                    assert_eq!(e.code(), expected);
                }
            }
        }
    }
}

/// `config`: arbitrary text as a TOML config into `Shop::new`: never panics, and no
/// error message quotes a literal key.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ShopConfig::from_toml_str(text) {
        Ok(mut c) => {
            let _ = format!("{c:?}");
            // Key files: read a known file instead of whatever path the input names (a
            // FIFO or a terminal would block the fuzzer, not the library's fault).
            let known = std::env::temp_dir().join("vads-fuzz-key.txt");
            let _ = std::fs::write(&known, "FileKey123\n");
            for f in [&mut c.test_key_file, &mut c.production_key_file]
                .into_iter()
                .flatten()
            {
                *f = known.clone();
            }
            match Shop::new(c) {
                Ok(shop) => {
                    let _ = format!("{shop:?}");
                    let _ = shop.sign([("vads_amount", "1")]);
                }
                Err(e) => {
                    let _ = (e.to_string(), e.code());
                }
            }
        }
        Err(e) => {
            let _ = (e.to_string(), e.code());
        }
    }
}

/// The settings of a shop, as written in a config file.
const SETTINGS: &[&str] = &[
    "site_id",
    "ctx_mode",
    "algorithm",
    "test_algorithm",
    "production_algorithm",
    "test_key",
    "test_key_file",
    "test_key_env",
    "production_key",
    "production_key_file",
    "production_key_env",
    "previous_production_keys",
    "brand",
    "payment_url",
    "accept_both_algorithms_until",
    "notification_url",
    "shops",
    "test_key_fiel",
    "ctx_mod",
    "test_password",
    "test_password_file",
    "test_password_env",
    "production_password",
    "production_password_file",
    "production_password_env",
    "test_hmac_key",
    "test_hmac_key_file",
    "test_hmac_key_env",
    "production_hmac_key",
    "production_hmac_key_file",
    "production_hmac_key_env",
    "test_pasword",
];

/// One line of a generated config: a setting, the shape its value is written in, and a
/// secret planted in that value.
#[derive(Arbitrary, Debug)]
struct Planted {
    setting: u8,
    shape: u8,
    secret: String,
}

#[derive(Arbitrary, Debug)]
struct PlantedConfig {
    /// Inside `[shops.NAME]` tables rather than at the top level.
    in_shops: bool,
    /// Start from a valid shop, so that later stages (Shop::new, preflight) run too.
    valid_base: bool,
    lines: Vec<Planted>,
}

/// A secret worth the name: the fuzzer's text with a fixed start (so that it can never be
/// a word of the library's own messages) and the line's number (so that no two are equal).
fn planted_secret(line: usize, raw: &str) -> String {
    let tail: String = raw.chars().take(40).collect();
    format!("S3cr{line:02}{tail}x9Q")
}

/// `value` written in one of the shapes a user could give it, valid TOML or not.
fn toml_value(secret: &str, shape: u8) -> String {
    let escaped: String = secret
        .chars()
        .map(|c| match c {
            '"' => "\\\"".to_owned(),
            '\\' => "\\\\".to_owned(),
            c if c.is_control() => format!("\\u{:04X}", u32::from(c)),
            c => c.to_string(),
        })
        .collect();
    match shape % 10 {
        0 => format!("\"{escaped}\""),
        1 => format!("[\"{escaped}\", \"{escaped}\"]"),
        2 => format!("'{secret}'"),
        3 => secret.to_owned(), // a bare word: a syntax error, or a number, or a date
        4 => format!("\"\"\"\n{escaped}\n\"\"\""),
        5 => format!("{{ key = \"{escaped}\" }}"),
        6 => format!("\"{secret}"), // unclosed
        7 => format!("[[\"{escaped}\"]]"),
        8 => format!("\"{escaped}\" \"{escaped}\""),
        _ => format!("\"{escaped}\"\n{secret}"),
    }
}

/// `config_secrets`: configs whose every value holds a planted secret, in every shape;
/// no error of the parser, of `Shop::new`/`Shops::new` and no preflight finding contains
/// any of them (in `Display` or `Debug`), and no `Debug` of a config or a shop contains a
/// key. Paths (`*_key_file`) and variable names
/// (`*_key_env`) are places, not secrets: errors name them by design, so the planted
/// values there are fixed.
pub fn config_secrets(data: &[u8]) {
    let Ok(input) = PlantedConfig::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut text = String::new();
    if input.in_shops {
        text.push_str("[shops.web]\n");
    }
    if input.valid_base {
        text.push_str("site_id = \"12345678\"\nctx_mode = \"TEST\"\n");
    }
    let mut secrets = Vec::new();
    let mut keys = Vec::new();
    for (index, line) in input.lines.iter().take(24).enumerate() {
        let name = SETTINGS[usize::from(line.setting) % SETTINGS.len()];
        let value = if name.ends_with("_file") {
            "\"/nonexistent/vads-fuzz.key\"".to_owned()
        } else if name.ends_with("_env") {
            "\"VADS_FUZZ_SURELY_UNSET\"".to_owned()
        } else {
            let secret = planted_secret(index, &line.secret);
            let value = toml_value(&secret, line.shape);
            if name.contains("_key") {
                keys.push(secret.clone());
            }
            secrets.push(secret);
            value
        };
        text.push_str(&format!("{name} = {value}\n"));
    }
    let check_in = |secrets: &[String], what: &str, message: String| {
        for secret in secrets {
            assert!(
                !message.contains(secret.as_str()),
                "{what} quotes a planted secret: {message}\nconfig:\n{text}"
            );
        }
    };
    // Errors and findings quote no value at all; Debug shows settings but never a key.
    let check = |what: &str, message: String| check_in(&secrets, what, message);
    let check_keys = |what: &str, message: String| check_in(&keys, what, message);
    match vads::ShopsConfig::from_toml_str(&text) {
        Err(e) => check("parse error", format!("{e} {e:?}")),
        Ok(config) => {
            check_keys("config Debug", format!("{config:?}"));
            for f in vads::preflight::preflight(&config) {
                check("preflight finding", format!("{} {}", f.message, f.fix));
            }
            match vads::Shops::new(config) {
                Ok(shops) => check_keys("shops Debug", format!("{shops:?}")),
                Err(e) => check("config error", format!("{e} {e:?}")),
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct RestInput {
    order_id: Option<String>,
    amount: u64,
    extra: Vec<(String, String)>,
    key: String,
    ipn: bool,
    other_site: bool,
    other_mode: bool,
    escape_slashes: bool,
    answer_edit: Option<(usize, u8)>,
    body_edit: Option<(usize, u8)>,
}

/// `rest_oracle`: answers signed by the naive reference are accepted at their endpoint
/// (refused at the other, and refused when they name another shop or mode); an answer
/// edited then signed again gets the reference's verdict exactly; a signed body edited
/// afterwards is accepted only if the reference accepts what it decodes to.
pub fn rest_oracle(data: &[u8]) {
    let Ok(input) = RestInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let key = input.key.trim().to_owned();
    let Some(shop) = rest_shop(&key) else { return };
    let (endpoint, other) = if input.ipn {
        (Endpoint::Ipn, Endpoint::Return)
    } else {
        (Endpoint::Return, Endpoint::Ipn)
    };
    let mut extra = serde_json::Map::new();
    for (k, v) in input.extra.into_iter().take(20) {
        if !matches!(k.as_str(), "shopId" | "orderDetails") {
            extra.insert(k, serde_json::Value::String(v));
        }
    }
    let mut answer = serde_json::json!({
        "shopId": if input.other_site { "87654321" } else { SITE },
        "orderStatus": "PAID",
        "orderDetails": {
            "orderTotalAmount": input.amount,
            "orderCurrency": "EUR",
            "mode": if input.other_mode { "PRODUCTION" } else { "TEST" },
            "orderId": input.order_id,
            "_type": "V4/OrderDetails",
        },
        "transactions": [{"uuid": "0123456789abcdef0123456789abcdef", "amount": input.amount,
            "currency": "EUR", "status": "PAID", "detailedStatus": "AUTHORISED",
            "operationType": "DEBIT", "metadata": extra, "_type": "V4/PaymentTransaction"}],
        "_type": "V4/Payment",
    })
    .to_string();
    if input.escape_slashes {
        answer = answer.replace('/', "\\/"); // as PHP's json_encode writes it
    }
    let hash_key = endpoint.hash_key_name();
    let body = vads_reference::rest_body(&answer, &key, hash_key);
    if body.len() > vads::MAX_BODY_LEN {
        assert_eq!(
            shop.verify_rest(body.as_bytes(), endpoint)
                .unwrap_err()
                .code(),
            "body_too_large"
        );
        return;
    }
    let verdict = shop.verify_rest(body.as_bytes(), endpoint);
    match (input.other_site, input.other_mode, &verdict) {
        (false, false, Ok(n)) => {
            assert_eq!(n.answer_text(), answer, "the answer is not what was signed");
            assert_eq!(n.site_id(), SITE);
        }
        (false, false, Err(e)) => panic!("a correctly signed answer was refused: {e}"),
        (_, true, Err(e)) => assert_eq!(e.code(), "mode_mismatch"),
        (true, false, Err(e)) => assert_eq!(e.code(), "site_mismatch"),
        (_, _, Ok(_)) => panic!("an answer for another shop or mode was accepted"),
    }
    assert_eq!(
        shop.verify_rest(body.as_bytes(), other).unwrap_err().code(),
        "wrong_hash_key"
    );
    // The answer edited, then signed again: the reference's verdict, exactly.
    if let Some((at, xor)) = input.answer_edit {
        let mut bytes = answer.clone().into_bytes();
        if !bytes.is_empty() {
            let p = at % bytes.len();
            bytes[p] ^= xor.max(1);
        }
        if let Ok(edited) = String::from_utf8(bytes) {
            let body = vads_reference::rest_body(&edited, &key, hash_key);
            let fields = vads_reference::decode_body(&body);
            assert_eq!(
                shop.verify_rest(body.as_bytes(), endpoint).is_ok(),
                reference_rest_accepts(&fields, &key, endpoint),
                "verdicts differ on a re-signed edited answer: {edited:?}"
            );
        }
    }
    // The signed body edited afterwards: accepted only if the reference accepts it.
    if let Some((at, xor)) = input.body_edit {
        let mut bytes = body.into_bytes();
        let p = at % bytes.len();
        bytes[p] ^= xor.max(1);
        if shop.verify_rest(&bytes, endpoint).is_ok() {
            let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes)
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            assert!(
                reference_rest_accepts(&fields, &key, endpoint),
                "an edited body was accepted that the reference refuses"
            );
        }
    }
}

/// What `rest_slashes` builds a JSON string value from: escaped slashes, escaped
/// backslashes (alone and before a slash), plain slashes, other escapes, and text.
const SLASH_PIECES: [&str; 10] = [
    "\\/", "\\\\", "/", "\\\\/", "a", "\\\"", "\\u002F", "\\u005C", "\\n", "\u{e9}",
];

#[derive(Arbitrary, Debug)]
struct SlashesInput {
    pieces: Vec<u8>,
    key: String,
    ipn: bool,
}

/// A REST body whose `kr-answer` is `answer` and whose `kr-hash` is the reference hash of
/// `signed` (which may differ from what is sent).
fn rest_body_signing(answer: &str, signed: &str, key: &str, endpoint: Endpoint) -> String {
    vads_reference::encode_body(&[
        ("kr-hash", vads_reference::rest_hash(signed, key).as_str()),
        ("kr-hash-algorithm", "sha256_hmac"),
        ("kr-hash-key", endpoint.hash_key_name()),
        ("kr-answer-type", "V4/Payment"),
        ("kr-answer", answer),
    ])
}

/// `rest_slashes`: the library's streamed, JSON-aware unescaping of `\/` against the
/// naive one of `vads-reference` (character by character). An answer signed over its
/// JSON-aware unescaped text and sent with its escapes is accepted, and read as sent; one
/// signed over a naive text replacement of `\/` (which turns `\\/` into `\/`, another
/// value) is refused whenever the two texts differ; one signed as sent is accepted.
pub fn rest_slashes(data: &[u8]) {
    let Ok(input) = SlashesInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let key = input.key.trim().to_owned();
    let Some(shop) = rest_shop(&key) else { return };
    let endpoint = if input.ipn {
        Endpoint::Ipn
    } else {
        Endpoint::Return
    };
    let value: String = input
        .pieces
        .iter()
        .take(300)
        .map(|&p| SLASH_PIECES[usize::from(p) % SLASH_PIECES.len()])
        .collect();
    let sent = format!(
        r#"{{"shopId":"{SITE}","orderDetails":{{"mode":"TEST","_type":"V4\/OrderDetails"}},"x":"{value}"}}"#
    );
    let plain = vads_reference::unescape_slashes(&sent);
    assert_ne!(plain, sent, "the answer always holds one escaped slash");
    let verify = |signed: &str| {
        let body = rest_body_signing(&sent, signed, &key, endpoint);
        shop.verify_rest(body.as_bytes(), endpoint)
            .map(|n| n.answer_text().into_owned())
            .map_err(|e| e.code())
    };
    assert_eq!(
        verify(&plain),
        Ok(sent.clone()),
        "signed plain, sent escaped"
    );
    assert_eq!(verify(&sent), Ok(sent.clone()), "signed as sent");
    let naive = sent.replace("\\/", "/");
    if naive != plain {
        assert_eq!(
            verify(&naive),
            Err("bad_signature"),
            "naive replacement: {sent}"
        );
    }
}

/// The names `verify_paths` builds bodies from: the protocol's, with the prefixes they
/// share (`threeds_`, `payment_`, cart lines), long shared prefixes, and names the fast
/// path must hand to the general one (escaped, non-ASCII, empty, without `vads_`).
const PATH_NAMES: [&str; 28] = [
    "vads_amount",
    "vads_currency",
    "vads_trans_id",
    "vads_trans_date",
    "vads_trans_status",
    "vads_trans_uuid",
    "vads_threeds_cavv",
    "vads_threeds_cavvAlgorithm",
    "vads_threeds_eci",
    "vads_threeds_enrolled",
    "vads_payment_certificate",
    "vads_payment_config",
    "vads_product_amount1",
    "vads_product_amount10",
    "vads_product_amount100",
    "vads_product_label1",
    "vads_ext_info_a_very_long_shared_prefix_1",
    "vads_ext_info_a_very_long_shared_prefix_2",
    "vads_cust_first_name",
    "vads_",
    "vads_a",
    "vads_caf\u{e9}",
    "vads_x-y",
    "vads_a b",
    "",
    "submit",
    "signature",
    "VADS_AMOUNT",
];

#[derive(Arbitrary, Debug)]
struct PathsInput {
    /// (name index or a name of its own, value, how to write the segment)
    fields: Vec<(u8, String, String, u8)>,
    sha1: bool,
    sign: bool,
    production: bool,
    raw: Vec<u8>,
}

/// `verify_paths`: `Shop::verify` (its fast path for the common case, its general path
/// for the rest) and `vads::verify_general` (the general path alone) give the same result
/// for every body: accepted alike, with the same fields, key and algorithm, or refused
/// with the same error. Bodies are arbitrary bytes and built ones: the protocol's names
/// in any order (with duplicates, escaped names, segments without `=`, empty segments),
/// mostly well signed so that acceptance is exercised.
pub fn verify_paths(data: &[u8]) {
    let Ok(input) = PathsInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let alg = if input.sha1 {
        Algorithm::Sha1
    } else {
        Algorithm::HmacSha256
    };
    let mode = if input.production {
        Mode::Production
    } else {
        Mode::Test
    };
    let mut c = ShopConfig::new(SITE, mode);
    c.algorithm = alg;
    match mode {
        Mode::Test => c.test_key = Some(SecretString::new(FUZZ_KEY.to_owned())),
        _ => {
            c.production_key = Some(SecretString::new(FUZZ_KEY.to_owned()));
            c.previous_production_keys = vec![SecretString::new("previous-key".to_owned())];
        }
    }
    let shop = Shop::new(c).unwrap();
    same_verdict(&shop, &input.raw);

    let mut fields: Vec<(String, String)> = Vec::new();
    let mut segments: Vec<String> = Vec::new();
    for (which, own, value, how) in input.fields.into_iter().take(120) {
        let name = match PATH_NAMES.get(usize::from(which)) {
            Some(n) => (*n).to_owned(),
            None => own,
        };
        let value = match name.as_str() {
            "vads_ctx_mode" => mode.as_str().to_owned(),
            "vads_site_id" => SITE.to_owned(),
            _ => value,
        };
        let enc = |s: &str| vads_reference::urlencode(s);
        segments.push(match how % 8 {
            // The name with an escape the fast path does not take.
            0 => format!("{}={}", enc(&name).replacen('_', "%5F", 1), enc(&value)),
            1 => enc(&name),                          // no `=`
            2 => String::new(),                       // an empty segment
            3 => format!("{}={}", enc(&name), value), // the value as it is
            _ => format!("{}={}", enc(&name), enc(&value)),
        });
        fields.push((name, value));
    }
    for (name, value) in [("vads_ctx_mode", mode.as_str()), ("vads_site_id", SITE)] {
        segments.push(format!("{name}={value}"));
        fields.push((name.to_owned(), value.to_owned()));
    }
    if input.sign {
        let sig = reference_sign(&fields, FUZZ_KEY, alg);
        segments.push(format!("signature={}", vads_reference::urlencode(&sig)));
    }
    let body = segments.join("&");
    same_verdict(&shop, body.as_bytes());
    // The same body without the segments only the general path takes.
    let plain: Vec<(String, String)> = fields
        .iter()
        .filter(|(n, _)| !n.is_empty())
        .cloned()
        .collect();
    let mut unique = HashSet::new();
    let plain: Vec<(String, String)> = plain
        .into_iter()
        .filter(|(n, _)| n != "signature" && unique.insert(n.clone()))
        .collect();
    let mut all = plain.clone();
    all.push(("signature".into(), reference_sign(&plain, FUZZ_KEY, alg)));
    let body = vads_reference::encode_body(&all);
    same_verdict(&shop, body.as_bytes());
}

/// `verify` and `verify_general` agree on `body`.
fn same_verdict(shop: &Shop, body: &[u8]) {
    match (shop.verify(body), vads::verify_general(shop, body)) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.matched_key(), b.matched_key());
            assert_eq!(a.algorithm(), b.algorithm());
            assert_eq!(a.mode(), b.mode());
            let names: Vec<String> = form_urlencoded::parse(body)
                .map(|(n, _)| n.into_owned())
                .collect();
            for name in names {
                assert_eq!(a.get(&name), b.get(&name), "{name}");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!(
            "the paths disagree: verify {:?}, verify_general {:?}",
            a.map(|_| ()),
            b.map(|_| ())
        ),
    }
}

/// The API envelope parser (`vads::api::parse_answer`) on any status and body, for every
/// answer type: never a panic; only an HTTP 200 gives an answer, and only from a body that
/// is the envelope (`_type` `V4/WebService/Response`, `status` `SUCCESS`); a refusal only
/// from 200 or 401; a status other than 200 and 401 is always `api_http_status`; what an
/// error prints is bounded whatever the body's size, and never the body (a long run of
/// the body's bytes).
pub fn api_envelope(data: &[u8]) {
    use vads::api::{
        parse_answer, ApiError, FromAnswer, Operation, OrderTransactions, PaymentForm,
        SdkTestAnswer,
    };
    use vads::rest_answer::RestTransaction;
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let status = match selector % 8 {
        0..=3 => 200,
        4 | 5 => 401,
        6 => 500,
        _ => 302,
    };
    let operation = Operation::ALL[usize::from(selector / 8) % Operation::ALL.len()];
    fn check<A: FromAnswer>(operation: Operation, status: u16, body: &[u8]) {
        match parse_answer::<A>(operation, status, body) {
            Ok(_) => {
                assert_eq!(status, 200);
                let v: serde_json::Value =
                    serde_json::from_slice(body).expect("an answer from JSON");
                assert_eq!(v["_type"], "V4/WebService/Response");
                assert_eq!(v["status"], "SUCCESS");
            }
            Err(e) => {
                if status != 200 && status != 401 {
                    assert_eq!(e.code(), "api_http_status");
                }
                if matches!(e, ApiError::Refused(_)) {
                    assert!(status == 200 || status == 401);
                }
                for text in [e.to_string(), format!("{e:?}")] {
                    assert!(text.len() < 1200, "{} bytes", text.len());
                    // A refusal may quote the platform's errorMessage (printable, at most
                    // 200 characters); anything else never holds 24 bytes of the body.
                    if !matches!(e, ApiError::Refused(_)) && body.len() >= 24 {
                        for w in body.windows(24) {
                            if let Ok(piece) = std::str::from_utf8(w) {
                                assert!(!text.contains(piece), "{piece:?} in {text}");
                            }
                        }
                    }
                }
            }
        }
    }
    check::<SdkTestAnswer>(operation, status, body);
    check::<PaymentForm>(operation, status, body);
    check::<OrderTransactions>(operation, status, body);
    check::<RestTransaction>(operation, status, body);
}
