//! Go-live checks: the providers' go-live checklists turned into findings the software
//! computes itself (see `vads preflight`). A config with no error-level finding is ready
//! to go live.
//!
//! ```
//! use vads::{Mode, SecretString, ShopConfig, ShopsConfig};
//! use vads::preflight::{preflight, Severity};
//! let mut c = ShopConfig::new("12345678", Mode::Production);
//! c.production_key = Some(SecretString::new("changeme".into()));
//! let findings = preflight(&ShopsConfig::single(c));
//! assert!(findings.iter().any(|f| f.code == "key_looks_like_placeholder" && f.severity == Severity::Error));
//! ```
//!
//! This layer allocates and reads key files and the environment (to compare keys and
//! check file permissions); it never puts a key in a finding.

use crate::algorithm::Algorithm;
use crate::brand::{is_http_url, Brand};
use crate::config::{is_site_id, ShopConfig, ShopsConfig};
use crate::mode::Mode;
use crate::time::{parse_utc, unix_now};
use std::path::Path;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth fixing; does not block going live.
    Warning,
    /// Blocks going live.
    Error,
}

/// One finding: a stable code, a severity, a sentence and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The stable code, e.g. `production_key_missing`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// The shop it concerns (`None` for the whole config).
    pub shop: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: &'static str,
}

/// Whether `findings` allow going live (no error).
#[must_use]
pub fn ready(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.severity != Severity::Error)
}

/// Runs every check over every shop of `config`.
#[must_use]
pub fn preflight(config: &ShopsConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (name, shop) in &config.shops {
        check_shop(name, shop, &mut out);
        if let Some((other, _)) = seen.iter().find(|(_, site)| *site == shop.site_id) {
            out.push(Finding {
                code: "duplicate_site_id",
                severity: Severity::Error,
                shop: Some(name.clone()),
                message: format!("shops {other} and {name} have the same site_id"),
                fix: "give each shop its own site id: notifications are dispatched by vads_site_id",
            });
        }
        seen.push((name, &shop.site_id));
    }
    out
}

const PLACEHOLDERS: [&str; 8] = [
    "changeme",
    "change_me",
    "placeholder",
    "secret",
    "password",
    "yourkey",
    "your_key",
    "example",
];
const MIN_KEY_LEN: usize = 10;

fn placeholder(text: &str) -> Option<&'static str> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if t.is_empty() {
        Some("is empty")
    } else if PLACEHOLDERS.iter().any(|p| lower.contains(p)) || lower.starts_with("todo") {
        Some("looks like a placeholder")
    } else if t
        .chars()
        .all(|c| c == 'x' || c == 'X' || c == '*' || c == '0')
    {
        Some("is made of placeholder characters (xxxx, 0000, ****)")
    } else if t.chars().count() < MIN_KEY_LEN {
        Some("is too short to be a real key")
    } else {
        None
    }
}

fn check_shop(name: &str, c: &ShopConfig, out: &mut Vec<Finding>) {
    let mut add = |code: &'static str, severity: Severity, message: String, fix: &'static str| {
        out.push(Finding {
            code,
            severity,
            shop: Some(name.to_owned()),
            message,
            fix,
        });
    };
    if !is_site_id(&c.site_id) {
        add(
            "site_id_invalid",
            Severity::Error,
            "site_id is not 8 digits".into(),
            "copy the shop id from the back office (Settings > Shop)",
        );
    }

    // Keys: load what is configured to compare it; report sources that fail.
    let mut load = |mode: Mode| match c.load_key(mode) {
        Ok(k) => k,
        Err(e) => {
            add(
                "key_unreadable",
                Severity::Error,
                e.to_string(),
                "make the key source readable by this process and non-empty",
            );
            None
        }
    };
    let test = load(Mode::Test);
    let production = load(Mode::Production);
    let production_configured = c.production_key.is_some()
        || c.production_key_file.is_some()
        || c.production_key_env.is_some();
    let test_configured =
        c.test_key.is_some() || c.test_key_file.is_some() || c.test_key_env.is_some();
    if !production_configured {
        add("production_key_missing", Severity::Error, "no production key is configured".into(),
            "generate the production key in the back office, then set production_key_file or production_key_env");
    }
    if let (Some(t), Some(p)) = (&test, &production) {
        if t.same_as(p) {
            add(
                "production_key_equals_test_key",
                Severity::Error,
                "the production key is the test key".into(),
                "copy the production key (not the test key) from the back office",
            );
        }
    }
    for (which, key, severity) in [
        ("test", &test, Severity::Warning),
        ("production", &production, Severity::Error),
    ] {
        if let Some(reason) = key
            .as_ref()
            .and_then(|k| placeholder(&String::from_utf8_lossy(k.expose())))
        {
            add(
                "key_looks_like_placeholder",
                severity,
                format!("the {which} key {reason}"),
                "paste the real key from the back office",
            );
        }
    }
    for (which, literal, severity) in [
        ("test", c.test_key.is_some(), Severity::Warning),
        ("production", c.production_key.is_some(), Severity::Error),
    ] {
        if literal {
            add("key_in_plain_config", severity, format!("the {which} key is written in the config file"),
                "move it to a file readable only by the service (key_file) or to an environment variable (key_env)");
        }
    }
    if !c.previous_production_keys.is_empty() {
        add(
            "key_in_plain_config",
            Severity::Warning,
            "previous production keys are written in the config file".into(),
            "remove them once no notification signed with them can arrive",
        );
    }
    for (which, file, severity) in [
        ("test", &c.test_key_file, Severity::Warning),
        ("production", &c.production_key_file, Severity::Error),
    ] {
        if let Some(path) = file {
            if let Some(mode) = loose_permissions(path) {
                add(
                    "key_file_permissions",
                    severity,
                    format!(
                        "the {which} key file {} is readable by group or others (mode {mode:o})",
                        path.display()
                    ),
                    "chmod 600 the key file (owner only)",
                );
            }
        }
    }
    if c.ctx_mode == Mode::Production && test_configured {
        add("test_key_loaded_in_production", Severity::Warning, "a PRODUCTION shop also holds the test key".into(),
            "keep test and production keys in separate environments: remove the test key from the production config");
    }
    for mode in [Mode::Test, Mode::Production] {
        if c.algorithm_for(mode) == Algorithm::Sha1 {
            add("sha1_algorithm", Severity::Warning, format!("{mode} uses the legacy SHA-1 signature"),
                "switch the shop to HMAC-SHA-256 in the back office, then here (see accept_both_algorithms_until)");
        }
    }
    if let Some(until) = &c.accept_both_algorithms_until {
        match parse_utc(until) {
            Some(t) if t > unix_now() => add(
                "algorithm_window_open",
                Severity::Warning,
                format!("either signature algorithm is accepted until {until}"),
                "remove accept_both_algorithms_until once the back office change is done",
            ),
            Some(_) => {}
            None => add(
                "algorithm_window_invalid",
                Severity::Error,
                "accept_both_algorithms_until is not YYYY-MM-DDTHH:MM:SSZ".into(),
                "write the end of the window as a UTC time, e.g. 2026-11-25T12:00:00Z",
            ),
        }
    }
    match &c.notification_url {
        None => add("notification_url_missing", Severity::Warning, "notification_url is not set".into(),
            "set notification_url to the URL configured in the back office for this mode, so preflight and rehearse can check it"),
        Some(url) => {
            if !url.starts_with("https://") {
                add("notification_url_not_https", if c.ctx_mode == Mode::Production { Severity::Error } else { Severity::Warning },
                    "the notification URL is not https".into(), "serve the notification endpoint over https");
            }
            if !is_http_url(url) {
                add("notification_url_invalid", Severity::Error, "the notification URL is not an absolute http(s) URL".into(),
                    "use the full URL, e.g. https://shop.example/payment/notify");
            } else if c.ctx_mode == Mode::Production && looks_non_public(url) {
                add("notification_url_not_public", Severity::Error, "the PRODUCTION notification URL points at a local or staging host".into(),
                    "set the production notification URL to the live shop's endpoint");
            }
        }
    }
    let payment_url = match (&c.payment_url, &c.brand) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(b)) => Brand::from_name(b).map(|b| b.payment_url().to_owned()),
        (None, None) => None,
    };
    if c.payment_url.is_none() && c.brand.is_none() {
        add("payment_url_default", Severity::Warning, "neither brand nor payment_url is set: forms post to PayZen".into(),
            "set brand (payzen, systempay, sogecommerce, scellius, clicandpay, lyra-collect, ...) to your platform");
    }
    if let Some(url) = payment_url {
        if !url.starts_with("https://") {
            add(
                "payment_url_not_https",
                Severity::Error,
                "the payment URL is not https".into(),
                "use the platform's https payment URL",
            );
        }
        if Brand::from_payment_url(&url).is_none() {
            add("payment_url_unknown_platform", Severity::Warning, "the payment URL is not a known platform's".into(),
                "check it against your platform's documentation (a shop must post to its own brand's host)");
        }
    } else if c.brand.is_some() {
        add(
            "payment_url_unknown_platform",
            Severity::Error,
            "the brand is unknown".into(),
            "use one of: payzen, systempay, sogecommerce, scellius, clicandpay, lyra-collect, ...",
        );
    }
}

fn looks_non_public(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', ':', '?'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    host == "localhost"
        || host.starts_with("127.")
        || host.starts_with("10.")
        || host.starts_with("192.168.")
        || host.ends_with(".local")
        || host.ends_with(".test")
        || host
            .split(['.', '-'])
            .any(|part| matches!(part, "staging" | "preprod" | "dev" | "test" | "recette"))
}

#[cfg(unix)]
fn loose_permissions(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn loose_permissions(_path: &Path) -> Option<u32> {
    None
}
