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

use crate::policy::brand::{is_api_url, is_http_url, Brand};
use crate::policy::config::{is_site_id, KeyRole, ShopConfig, ShopsConfig};
use crate::protocol::algorithm::Algorithm;
use crate::protocol::channel::Channel;
use crate::protocol::key::Key;
use crate::protocol::mode::Mode;
use crate::protocol::time::{parse_utc, unix_now};
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
    /// The shop it concerns (`None` for the whole config), its name as [`crate::protocol::shown`]
    /// lets it be printed.
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
                shop: Some(crate::protocol::shown::shown_name(name, &[])),
                message: format!(
                    "shops {} and {} have the same site_id",
                    crate::protocol::shown::shown_name(other, &[]),
                    crate::protocol::shown::shown_name(name, &[])
                ),
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

/// Why a key looks like a placeholder, if it does. Works on the key's bytes in place:
/// no copy of a key (lowercased or otherwise) is made, so none is left in freed memory.
fn placeholder(key: &[u8]) -> Option<&'static str> {
    let contains = |word: &str| {
        key.windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    };
    if key.is_empty() {
        Some("is empty")
    } else if PLACEHOLDERS.iter().any(|p| contains(p))
        || key
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"todo"))
    {
        Some("looks like a placeholder")
    } else if key.iter().all(|c| matches!(c, b'x' | b'X' | b'*' | b'0')) {
        Some("is made of placeholder characters (xxxx, 0000, ****)")
    } else if core::str::from_utf8(key).map_or(key.len(), |t| t.chars().count()) < MIN_KEY_LEN {
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
            shop: Some(crate::protocol::shown::shown_name(name, &[])),
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
    let mut load = |mode: Mode, role: KeyRole| match c.load_key(mode, role) {
        Ok(k) => k,
        Err(e) => {
            // The sentence, then the key error's own code.
            let text = e.to_string();
            let sentence = text
                .strip_prefix(e.code())
                .and_then(|rest| rest.strip_prefix(": "))
                .unwrap_or(&text);
            add(
                "key_unreadable",
                Severity::Error,
                format!("{sentence} ({})", e.code()),
                "make the key source readable by this process and non-empty",
            );
            None
        }
    };
    let keys: Vec<(KeyRole, Option<Key>, Option<Key>)> = KeyRole::ALL
        .into_iter()
        .map(|role| (role, load(Mode::Test, role), load(Mode::Production, role)))
        .collect();
    // Previous production keys: malformed ones are reported like any key source.
    let previous: Vec<Key> = c
        .previous_production_keys
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match Key::new(s.expose()) {
            Ok(k) => Some(k),
            Err(e) => {
                add(
                    "key_unreadable",
                    Severity::Error,
                    format!("previous production key #{}: {e}", i + 1),
                    "remove or fix the previous production key",
                );
                None
            }
        })
        .collect();
    // A key is "in use" when it is configured in either mode; a config with no key at all
    // is a form shop that has not set its keys yet.
    let configured = |mode: Mode, role: KeyRole| c.has_key_source(mode, role);
    let in_use = |role: KeyRole| configured(Mode::Test, role) || configured(Mode::Production, role);
    let none_at_all = !KeyRole::ALL.into_iter().any(in_use);
    for role in KeyRole::ALL {
        if !(in_use(role) || none_at_all && role == KeyRole::Form) {
            continue;
        }
        if !configured(Mode::Production, role) {
            let (code, fix) = match role {
                KeyRole::Form => ("production_key_missing",
                    "generate the production key in the back office, then set production_key_file or production_key_env"),
                KeyRole::Password => ("production_password_missing",
                    "copy the production REST password (prodpassword_...) from the back office (REST API keys), then set production_password_file or production_password_env"),
                KeyRole::HmacKey => ("production_hmac_key_missing",
                    "copy the production HMAC-SHA-256 key from the back office (REST API keys), then set production_hmac_key_file or production_hmac_key_env"),
            };
            add(
                code,
                Severity::Error,
                format!("no {} is configured", role.label(Mode::Production)),
                fix,
            );
        }
    }
    for (role, test, production) in &keys {
        let (t_label, p_label) = (role.label(Mode::Test), role.label(Mode::Production));
        if let Some(t) = test {
            if production.iter().any(|p| t.same_as(p)) {
                add(
                    "production_key_equals_test_key",
                    Severity::Error,
                    format!("the {p_label} is the {t_label}"),
                    "copy the production key (not the test key) from the back office",
                );
            }
            if *role == KeyRole::Form && previous.iter().any(|p| t.same_as(p)) {
                add(
                    "production_key_equals_test_key",
                    Severity::Error,
                    "a previous production key is the test key".into(),
                    "remove the test key from previous_production_keys",
                );
            }
        }
        for (mode, key, severity) in [
            (Mode::Test, test, Severity::Warning),
            (Mode::Production, production, Severity::Error),
        ] {
            let Some(key) = key else { continue };
            let bytes = key.expose();
            if *role == KeyRole::Password {
                // The platform's own prefixes are not placeholders; what follows them is
                // checked like any key.
                let wrong = match mode {
                    Mode::Production => b"testpassword_",
                    Mode::Test => b"prodpassword_",
                };
                if bytes.starts_with(wrong) {
                    match mode {
                        Mode::Production => add("test_password_in_production", Severity::Error,
                            "the production password is a test password (testpassword_...)".into(),
                            "copy the production REST password (prodpassword_...) from the back office"),
                        Mode::Test => add("production_password_in_test", Severity::Warning,
                            "the test password is a production password (prodpassword_...)".into(),
                            "copy the test REST password (testpassword_...) from the back office; keep the production one out of test configs"),
                    }
                }
            }
            let checked = if *role == KeyRole::Password {
                bytes
                    .strip_prefix(b"testpassword_")
                    .or_else(|| bytes.strip_prefix(b"prodpassword_"))
                    .unwrap_or(bytes)
            } else {
                bytes
            };
            if let Some(reason) = placeholder(checked) {
                add(
                    "key_looks_like_placeholder",
                    severity,
                    format!("the {} {reason}", role.label(mode)),
                    "paste the real key from the back office",
                );
            }
        }
    }
    for role in KeyRole::ALL {
        for (mode, severity) in [
            (Mode::Test, Severity::Warning),
            (Mode::Production, Severity::Error),
        ] {
            let sources = c.key_sources(mode, role);
            if sources.literal.is_some() {
                add("key_in_plain_config", severity, format!("the {} is written in the config file", sources.label),
                    "move it to a file readable only by the service (_file) or to an environment variable (_env)");
            }
            if let Some(path) = sources.file {
                if let Some(perm) = loose_permissions(path) {
                    add(
                        "key_file_permissions",
                        severity,
                        format!(
                            "the {} file {} is readable by group or others (mode {perm:o})",
                            sources.label,
                            crate::protocol::shown::shown_path(path)
                        ),
                        "chmod 600 the key file (owner only)",
                    );
                }
            }
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
    if c.ctx_mode == Mode::Production && c.has_any_key_source(Mode::Test) {
        add("test_key_loaded_in_production", Severity::Warning, "a PRODUCTION shop also holds a test key".into(),
            "keep test and production keys in separate environments: remove the test keys from the production config");
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
            } else if c.ctx_mode == Mode::Production {
                if let Some(why) = non_public_host(url) {
                    add("notification_url_not_public", Severity::Error, format!("the PRODUCTION notification URL {why}: the platform cannot reach it"),
                        "set the production notification URL to the live shop's public https endpoint");
                }
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
    check_api_url(c, &mut add);
    check_uses(c, &mut add);
    check_channels(c, &mut add);
}

/// Each channel of a shop and its mode (`None`: off), the website first: what `vads
/// preflight` lists.
///
/// ```
/// use vads::{Channel, ChannelMode, Mode, ShopConfig};
/// let mut c = ShopConfig::new("12345678", Mode::Production);
/// c.channels.moto = ChannelMode::Test;
/// let modes = vads::preflight::channel_modes(&c);
/// assert_eq!(modes[0], (Channel::Website, Some(Mode::Production)));
/// assert_eq!(modes[1], (Channel::Moto, Some(Mode::Test)));
/// assert_eq!(modes[3], (Channel::MerchantInitiated, None));
/// ```
#[must_use]
pub fn channel_modes(c: &ShopConfig) -> [(Channel, Option<Mode>); 4] {
    Channel::ALL.map(|ch| (ch, c.channels.mode_of(ch, c.ctx_mode)))
}

/// The channels other than the website: a live one needs the keys of its mode (the form
/// key for MOTO and the call centre, the REST password for merchant-initiated charges);
/// one live in PRODUCTION while the website is in TEST, or left in TEST in a PRODUCTION
/// shop, is said.
fn check_channels(
    c: &ShopConfig,
    add: &mut impl FnMut(&'static str, Severity, String, &'static str),
) {
    for (channel, mode) in channel_modes(c).into_iter().skip(1) {
        let Some(mode) = mode else { continue };
        let role = match channel {
            Channel::MerchantInitiated => KeyRole::Password,
            _ => KeyRole::Form,
        };
        if !c.has_key_source(mode, role) {
            add(
                "channel_key_missing",
                Severity::Error,
                format!(
                    "the {channel} channel is live in {mode} but no {} is configured",
                    role.label(mode)
                ),
                "configure that key (file or environment variable), or set the channel to \"off\" in [channels]",
            );
        }
        match (c.ctx_mode, mode) {
            (Mode::Test, Mode::Production) => add(
                "channel_ahead_of_website",
                Severity::Warning,
                format!("the {channel} channel is in PRODUCTION while the website (ctx_mode) is in TEST: its payments are real"),
                "make sure this channel was rehearsed in TEST; its production switch changes no other channel",
            ),
            (Mode::Production, Mode::Test) => add(
                "channel_still_in_test",
                Severity::Warning,
                format!("the {channel} channel is still in TEST while the website is in PRODUCTION: its payments are not real"),
                "set the channel to \"PRODUCTION\" in [channels] when it is ready, or \"off\"",
            ),
            _ => {}
        }
    }
}

/// What money that recurs needs in the back office ([`ShopConfig::uses`]): the
/// notification rules that carry installments 2..n and a subscription's installments are
/// off by default, and a shop that never turns them on never hears of that money.
fn check_uses(c: &ShopConfig, add: &mut impl FnMut(&'static str, Severity, String, &'static str)) {
    use crate::policy::config::ShopUse;
    if c.uses.contains(&ShopUse::Installments) {
        add(
            "installments_need_batch_rule",
            Severity::Warning,
            "installments 2 and after are notified only by the rule \"Instant Payment Notification URL on batch authorization\", off by default (installment 1 by the end-of-payment rule)".into(),
            "back office: Settings > Notification rules > right-click \"Instant Payment Notification URL on batch authorization\" > Manage the rule: your notification URL in TEST and PRODUCTION; then right-click > Enable the rule",
        );
    }
    if c.uses.contains(&ShopUse::Subscriptions) {
        add(
            "subscriptions_need_recurring_rule",
            Severity::Warning,
            "a subscription's installments are notified (vads_url_check_src=REC) only by the rule \"Instant Payment Notification URL when creating a recurring payment\", off by default; a refused installment is not presented again and no e-mail is sent".into(),
            "back office: Settings > Notification rules > right-click \"Instant Payment Notification URL when creating a recurring payment\" > Manage the rule: your notification URL in TEST and PRODUCTION; then right-click > Enable the rule; rehearse it with vads rehearse --recurring",
        );
    }
    if c.uses.contains(&ShopUse::Tokens) {
        add(
            "tokens_keep_chaining_reference",
            Severity::Warning,
            "saved cards need the tokens option of the shop's offer; a token unused for 15 months is purged (a payment then fails with vads_payment_error 107)".into(),
            "check the offer with your platform; keep each token's chaining reference (vads_initial_issuer_transaction_identifier) with it: merchant-initiated payments send it back",
        );
    }
}

/// The REST API host: a configured `api_url` must be `https` (plain `http` only to a
/// loopback simulator, and never in PRODUCTION); a shop with a REST password and no host
/// (a brand whose host is unconfirmed) is told to configure one.
fn check_api_url(
    c: &ShopConfig,
    add: &mut impl FnMut(&'static str, Severity, String, &'static str),
) {
    match &c.api_url {
        Some(url) if !is_api_url(url) => add(
            "api_url_invalid",
            Severity::Error,
            "api_url is not an https URL (plain http is accepted only to 127.0.0.1, localhost or [::1])".into(),
            "set api_url to your platform's REST API host, e.g. https://api.payzen.eu",
        ),
        // Plain http to this machine: a simulator, or a local egress proxy that speaks
        // TLS onwards; only the operator knows which.
        Some(url) if c.ctx_mode == Mode::Production && !url.starts_with("https://") => add(
            "api_url_not_https",
            Severity::Warning,
            "the PRODUCTION api_url is plain http to this machine (a simulator, or a local proxy)".into(),
            "unless a local proxy forwards to the platform over TLS, remove api_url (the brand's host is used) or set the platform's https host",
        ),
        Some(_) => {}
        None => {
            let brand = match (&c.brand, &c.payment_url) {
                (Some(name), _) => Brand::from_name(name),
                (None, Some(url)) => Brand::from_payment_url(url),
                (None, None) => Some(Brand::PayZen),
            };
            let uses_api = c.has_key_source(c.ctx_mode, KeyRole::Password);
            if uses_api && brand.and_then(Brand::api_url).is_none() {
                add(
                    "api_url_unknown",
                    Severity::Warning,
                    "no REST API host is known for this shop's brand or payment URL".into(),
                    "set api_url to the REST API host your platform gives (Settings > Shop > REST API keys)",
                );
            }
        }
    }
}

/// Why the host of `url` is not one the platform can reach on the internet, if it is not:
/// an IP address that is private, loopback, link-local, unspecified, shared (CGNAT),
/// documentation or unique-local (IPv6, bracketed, IPv4-mapped included), a numeric
/// shorthand (`127.1`, `2130706433`), `localhost`, a local or staging name. Userinfo
/// (`user@`), a port and a trailing dot are seen through.
fn non_public_host(url: &str) -> Option<&'static str> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    fn v4(ip: Ipv4Addr) -> Option<&'static str> {
        let [a, b, ..] = ip.octets();
        if ip.is_loopback() {
            Some("is a loopback address")
        } else if ip.is_private() {
            Some("is a private address")
        } else if ip.is_link_local() {
            Some("is a link-local address")
        } else if ip.is_unspecified() || a == 0 {
            Some("is an unspecified address")
        } else if a == 100 && (64..128).contains(&b) {
            Some("is a shared (carrier-grade NAT) address")
        } else if ip.is_documentation() || ip.is_broadcast() || a >= 224 {
            Some("is not a unicast internet address")
        } else {
            None
        }
    }
    fn v6(ip: Ipv6Addr) -> Option<&'static str> {
        let first = ip.segments()[0];
        if let Some(mapped) = ip.to_ipv4_mapped() {
            v4(mapped)
        } else if ip.is_loopback() {
            Some("is a loopback address")
        } else if ip.is_unspecified() {
            Some("is an unspecified address")
        } else if first & 0xfe00 == 0xfc00 {
            Some("is a unique-local address")
        } else if first & 0xffc0 == 0xfe80 {
            Some("is a link-local address")
        } else if ip.is_multicast() || (first == 0x2001 && ip.segments()[1] == 0x0db8) {
            Some("is not a unicast internet address")
        } else {
            None
        }
    }
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        let inside = bracketed.split(']').next().unwrap_or_default();
        return match inside.parse::<Ipv6Addr>() {
            Ok(ip) => v6(ip),
            Err(_) => Some("has an invalid IPv6 address"),
        };
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => return v4(ip),
        Ok(IpAddr::V6(ip)) => return v6(ip),
        Err(_) => {}
    }
    let numeric = |part: &str| {
        let digits = part.strip_prefix("0x").unwrap_or(part);
        !digits.is_empty()
            && if digits.len() < part.len() {
                digits.bytes().all(|b| b.is_ascii_hexdigit())
            } else {
                digits.bytes().all(|b| b.is_ascii_digit())
            }
    };
    if !host.is_empty() && host.split('.').count() <= 4 && host.split('.').all(numeric) {
        // 127.1, 2130706433, 0x7f.1: HTTP clients read these as addresses.
        return Some("is a numeric shorthand of an address");
    }
    let local_suffixes = [
        ".localhost",
        ".local",
        ".localdomain",
        ".internal",
        ".lan",
        ".home.arpa",
        ".test",
        ".example",
        ".invalid",
    ];
    if host.is_empty() {
        Some("has no host")
    } else if host == "localhost" || local_suffixes.iter().any(|s| host.ends_with(s)) {
        Some("is a local name")
    } else if !host.contains('.') {
        Some("is a name without a domain")
    } else if host
        .split(['.', '-'])
        .any(|part| matches!(part, "staging" | "preprod" | "dev" | "test" | "recette"))
    {
        Some("is a staging host")
    } else {
        None
    }
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

/// The online check (feature `api`): `Charge/SDKTest` with the credentials of the shop's
/// mode, through `client`. `None` when the platform echoed the value (the credentials
/// work); else the finding: `api_credentials_refused` (`INT_905`), `api_not_enabled`
/// (`PSP_100`), `production_not_enabled` (`PSP_109`), `api_unreachable` (no answer: the
/// host, the network, TLS), `api_check_failed` (any other refusal). Never the password.
///
/// `shop` is the name findings carry. Only this sends anything: [`preflight`] never does.
#[cfg(feature = "api")]
#[cfg_attr(docsrs, doc(cfg(feature = "api")))]
pub async fn check_online<T: crate::api::Transport>(
    shop: &str,
    client: &crate::api::Client<T>,
) -> Option<Finding> {
    use crate::api::{ApiError, ErrorCode, SdkTest};
    const VALUE: &str = "vads preflight";
    let mode = client.credentials().mode();
    let which = match mode {
        Mode::Test => "test",
        Mode::Production => "production",
    };
    let finding = |code, message: String, fix| {
        Some(Finding {
            code,
            severity: Severity::Error,
            shop: Some(crate::protocol::shown::shown_name(shop, &[])),
            message,
            fix,
        })
    };
    match client.call(&SdkTest::new(VALUE)).await {
        Ok(answer) if answer.value.as_deref() == Some(VALUE) => None,
        Ok(_) => finding(
            "api_check_failed",
            "Charge/SDKTest answered without echoing the value sent".into(),
            "check that api_url is the platform's REST API host",
        ),
        Err(ApiError::Refused(e)) => match e.kind() {
            ErrorCode::Int905 => finding(
                "api_credentials_refused",
                format!("the platform refused the shop id or the {which} REST password (INT_905)"),
                "copy the shop id and the REST password of this mode from the back office (Settings > Shop > REST API keys)",
            ),
            ErrorCode::Psp100 => finding(
                "api_not_enabled",
                "the shop's offer does not include the REST API (PSP_100)".into(),
                "ask the platform's support to enable the REST API for the shop",
            ),
            ErrorCode::Psp109 => finding(
                "production_not_enabled",
                "production mode is not enabled for this shop (PSP_109)".into(),
                "finish the platform's go-live steps (the first production payment request) before switching ctx_mode",
            ),
            _ => finding(
                "api_check_failed",
                format!("Charge/SDKTest was refused: {e}"),
                "read the platform's error code in its documentation",
            ),
        },
        Err(ApiError::Transport(e)) => finding(
            "api_unreachable",
            format!(
                "the REST API host {} did not answer Charge/SDKTest ({})",
                client.credentials().api_url(),
                e.to_string().strip_prefix(e.code()).and_then(|s| s.strip_prefix(": ")).unwrap_or(e.code())
            ),
            "check api_url (or the brand), the network and any proxy (HTTPS_PROXY)",
        ),
        Err(e) => finding(
            "api_check_failed",
            e.to_string(),
            "set the REST password of this mode and the API host (api_url or brand)",
        ),
    }
}
