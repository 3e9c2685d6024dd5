//! A shop's configuration ([`ShopConfig`]) and the validated [`Shop`] built from it: the
//! TEST/PRODUCTION switch, key choice and verification policy.
//!
//! This layer allocates when a shop is built (keys are read from files or the
//! environment); [`Shop::sign`] and [`Shop::verify`] do not.

use crate::algorithm::Algorithm;
use crate::body::{self, RawField, MAX_FIELDS};
use crate::error::{KeyError, SignError, VerifyError};
use crate::key::{Key, SecretString};
use crate::notification::{KeyMatch, Notification};
use crate::signature::{self, Signature};
use core::fmt;
use core::str::FromStr;
use std::path::PathBuf;

/// The shop's mode, the value of `vads_ctx_mode`: the go-live switch.
///
/// Parsing is exact and case-sensitive, like the platform's (`test` or `PROD` are
/// refused there with error 11, so they are refused here too).
///
/// ```
/// use vads::Mode;
/// assert_eq!("PRODUCTION".parse::<Mode>(), Ok(Mode::Production));
/// assert!("PROD".parse::<Mode>().is_err());
/// assert!("test".parse::<Mode>().is_err());
/// assert_eq!(Mode::Test.to_string(), "TEST");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `TEST`: signed with the test key; no real money moves.
    Test,
    /// `PRODUCTION`: signed with the production key; real payments.
    Production,
}

impl Mode {
    /// `"TEST"` or `"PRODUCTION"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "TEST",
            Mode::Production => "PRODUCTION",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is neither `TEST` nor `PRODUCTION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid_ctx_mode: expected TEST or PRODUCTION (uppercase)")]
pub struct InvalidMode;

impl FromStr for Mode {
    type Err = InvalidMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "TEST" => Ok(Mode::Test),
            "PRODUCTION" => Ok(Mode::Production),
            _ => Err(InvalidMode),
        }
    }
}

impl serde::Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(|_| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&s),
                &"TEST or PRODUCTION (uppercase)",
            )
        })
    }
}

/// A shop's configuration, as written in a config file (serde) or the environment.
///
/// ```toml
/// site_id = "12345678"            # 8 digits
/// ctx_mode = "TEST"               # TEST | PRODUCTION: the go-live switch
/// algorithm = "HMAC-SHA-256"      # HMAC-SHA-256 | SHA-1 (default HMAC-SHA-256)
/// test_key_env = "VADS_TEST_KEY"  # or test_key = "...", or test_key_file = "path"
/// production_key_file = "/run/secrets/vads_production_key"  # may be absent while in TEST
/// previous_production_keys = []   # accepted to VERIFY only, while a regenerated key rolls out
/// ```
///
/// Unknown fields are refused (a misspelt `ctx_mode` must not silently leave a shop in
/// TEST). `Debug` never shows a key. Turn it into a [`Shop`] with [`Shop::new`], which
/// checks it.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ShopConfig {
    /// The shop id: 8 digits.
    pub site_id: String,
    /// The mode: `TEST` or `PRODUCTION`.
    pub ctx_mode: Mode,
    /// The signature algorithm for both modes (default HMAC-SHA-256).
    #[serde(default)]
    pub algorithm: Algorithm,
    /// The algorithm in TEST mode, when it differs from `algorithm`.
    #[serde(default)]
    pub test_algorithm: Option<Algorithm>,
    /// The algorithm in PRODUCTION mode, when it differs from `algorithm`.
    #[serde(default)]
    pub production_algorithm: Option<Algorithm>,
    /// The test key, literally (prefer `test_key_file` or `test_key_env`).
    #[serde(default)]
    pub test_key: Option<SecretString>,
    /// A file holding the test key.
    #[serde(default)]
    pub test_key_file: Option<PathBuf>,
    /// An environment variable holding the test key.
    #[serde(default)]
    pub test_key_env: Option<String>,
    /// The production key, literally (prefer `production_key_file` or `production_key_env`).
    #[serde(default)]
    pub production_key: Option<SecretString>,
    /// A file holding the production key.
    #[serde(default)]
    pub production_key_file: Option<PathBuf>,
    /// An environment variable holding the production key.
    #[serde(default)]
    pub production_key_env: Option<String>,
    /// Production keys replaced by a regenerated one, accepted to verify only (never to
    /// sign) while notifications signed with them may still arrive.
    #[serde(default)]
    pub previous_production_keys: Vec<SecretString>,
    /// The platform brand whose payment URL forms post to (`payzen`, `systempay`,
    /// `sogecommerce`, `scellius`, `clicandpay`, `lyra-collect`, ...; see
    /// [`crate::form::Brand`]). Default: `payzen`.
    #[serde(default)]
    pub brand: Option<String>,
    /// The payment URL, overriding the brand's.
    #[serde(default)]
    pub payment_url: Option<String>,
    /// While changing the signature algorithm in the back office (the platform accepts
    /// both for 24 hours), verification may accept either algorithm until this UTC time,
    /// `YYYY-MM-DDTHH:MM:SSZ`, at most 48 hours ahead. The signature's shape (40 hex
    /// digits or 44 base64 characters) tells which was used. Preflight warns while open.
    #[serde(default)]
    pub accept_both_algorithms_until: Option<String>,
    /// The shop's notification URL (informational: set it in the back office per mode;
    /// checked by the go-live preflight).
    #[serde(default)]
    pub notification_url: Option<String>,
}

impl ShopConfig {
    /// A configuration in `mode` with the given site id and no key yet.
    #[must_use]
    pub fn new(site_id: impl Into<String>, mode: Mode) -> Self {
        ShopConfig {
            site_id: site_id.into(),
            ctx_mode: mode,
            algorithm: Algorithm::default(),
            test_algorithm: None,
            production_algorithm: None,
            test_key: None,
            test_key_file: None,
            test_key_env: None,
            production_key: None,
            production_key_file: None,
            production_key_env: None,
            previous_production_keys: Vec::new(),
            accept_both_algorithms_until: None,
            brand: None,
            payment_url: None,
            notification_url: None,
        }
    }

    /// Reads a configuration from TOML text (feature `toml`).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`], whose message never quotes the config's values (a key
    /// could be among them).
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            message: redact_quoted(e.message()),
        })
    }

    /// Reads a configuration from a TOML file (feature `toml`). Relative key file paths are
    /// taken relative to the file's folder.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when the file cannot be read or parsed.
    #[cfg(feature = "toml")]
    pub fn from_toml_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let mut config = read_toml_file(path, Self::from_toml_str)?;
        config.resolve_relative_paths(path.parent().unwrap_or(std::path::Path::new("")));
        Ok(config)
    }

    /// Makes relative key file paths relative to `base` (the config file's folder).
    pub fn resolve_relative_paths(&mut self, base: &std::path::Path) {
        for file in [&mut self.test_key_file, &mut self.production_key_file]
            .into_iter()
            .flatten()
        {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
    }

    /// Reads a configuration from `VADS_` environment variables: `VADS_SITE_ID`,
    /// `VADS_CTX_MODE`, `VADS_ALGORITHM`, `VADS_TEST_ALGORITHM`,
    /// `VADS_PRODUCTION_ALGORITHM`, `VADS_TEST_KEY`, `VADS_TEST_KEY_FILE`,
    /// `VADS_TEST_KEY_ENV`, `VADS_PRODUCTION_KEY`, `VADS_PRODUCTION_KEY_FILE`,
    /// `VADS_PRODUCTION_KEY_ENV`, `VADS_PREVIOUS_PRODUCTION_KEYS` (comma-separated).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable that is missing or invalid.
    pub fn from_env() -> Result<Self, ConfigError> {
        fn var(name: &str) -> Result<Option<String>, ConfigError> {
            match std::env::var(name) {
                Ok(v) => Ok(Some(v)),
                Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::Invalid {
                    message: format!("{name} is not valid UTF-8"),
                }),
            }
        }
        fn required(name: &str) -> Result<String, ConfigError> {
            var(name)?.ok_or_else(|| ConfigError::Invalid {
                message: format!("{name} is not set"),
            })
        }
        fn algorithm(name: &str) -> Result<Option<Algorithm>, ConfigError> {
            var(name)?
                .map(|v| {
                    v.parse().map_err(|_| ConfigError::Invalid {
                        message: format!("{name} must be HMAC-SHA-256 or SHA-1"),
                    })
                })
                .transpose()
        }
        let mode = required("VADS_CTX_MODE")?
            .parse()
            .map_err(|_| ConfigError::Invalid {
                message: "VADS_CTX_MODE must be TEST or PRODUCTION".into(),
            })?;
        let mut config = ShopConfig::new(required("VADS_SITE_ID")?, mode);
        config.algorithm = algorithm("VADS_ALGORITHM")?.unwrap_or_default();
        config.test_algorithm = algorithm("VADS_TEST_ALGORITHM")?;
        config.production_algorithm = algorithm("VADS_PRODUCTION_ALGORITHM")?;
        // Keys given in the environment are read from it (not copied into the config).
        if std::env::var_os("VADS_TEST_KEY").is_some() {
            config.test_key_env = Some("VADS_TEST_KEY".into());
        }
        config.test_key_file = var("VADS_TEST_KEY_FILE")?.map(PathBuf::from);
        if let Some(v) = var("VADS_TEST_KEY_ENV")? {
            config.test_key_env = Some(v);
        }
        if std::env::var_os("VADS_PRODUCTION_KEY").is_some() {
            config.production_key_env = Some("VADS_PRODUCTION_KEY".into());
        }
        config.production_key_file = var("VADS_PRODUCTION_KEY_FILE")?.map(PathBuf::from);
        if let Some(v) = var("VADS_PRODUCTION_KEY_ENV")? {
            config.production_key_env = Some(v);
        }
        if let Some(list) = var("VADS_PREVIOUS_PRODUCTION_KEYS")? {
            let list = zeroize::Zeroizing::new(list);
            config.previous_production_keys = list
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(|k| SecretString::new(k.to_owned()))
                .collect();
        }
        Ok(config)
    }

    /// The algorithm configured for `mode`.
    #[must_use]
    pub fn algorithm_for(&self, mode: Mode) -> Algorithm {
        match mode {
            Mode::Test => self.test_algorithm,
            Mode::Production => self.production_algorithm,
        }
        .unwrap_or(self.algorithm)
    }
}

/// Reads a config file (kept in zeroed memory: it may hold keys) and parses it with
/// `parse`, naming the file in errors.
#[cfg(feature = "toml")]
pub(crate) fn read_toml_file<T>(
    path: &std::path::Path,
    parse: impl FnOnce(&str) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
        message: format!("cannot read config file {}: {}", path.display(), e.kind()),
    })?;
    let text = zeroize::Zeroizing::new(text);
    parse(&text).map_err(|e| match e {
        ConfigError::Invalid { message } => ConfigError::Invalid {
            message: format!("{}: {message}", path.display()),
        },
        other => other,
    })
}

/// Replaces every `` `quoted` `` part of a parser message: it could quote a key.
#[cfg(feature = "toml")]
pub(crate) fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '`' {
            if inside {
                out.push_str("…`");
            } else {
                out.push('`');
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out.trim_end().to_owned()
}

/// Why a [`ShopConfig`] is not a valid [`Shop`]. Messages name the setting at fault and
/// never contain a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `site_id` is not 8 digits.
    #[error("invalid_site_id: site_id must be exactly 8 digits")]
    InvalidSiteId,
    /// No key is configured for the shop's mode.
    #[error("missing_key: ctx_mode is {mode} but no {which} key is configured (set {which}_key_file, {which}_key_env or {which}_key)")]
    MissingKey {
        /// The shop's mode.
        mode: Mode,
        /// `"test"` or `"production"`.
        which: &'static str,
    },
    /// More than one source is given for one key.
    #[error(
        "key_source_conflict: give only one of {which}_key, {which}_key_file and {which}_key_env"
    )]
    ConflictingKeySources {
        /// `"test"` or `"production"`.
        which: &'static str,
    },
    /// A key source could not be read, or holds an empty key.
    #[error("{which} key: {source}")]
    Key {
        /// `"test"`, `"production"` or `"previous production"`.
        which: &'static str,
        /// Why.
        source: KeyError,
    },
    /// The test and production keys are the same secret.
    #[error(
        "same_keys: the test key and a production key are the same; they must be different secrets"
    )]
    SameTestAndProductionKey,
    /// Two shops have the same site id (a notification could not be dispatched).
    #[error("duplicate_site_id: shops {first} and {second} have the same site_id")]
    DuplicateSiteId {
        /// The first shop's name.
        first: String,
        /// The second shop's name.
        second: String,
    },
    /// A shop's configuration is invalid.
    #[error("shop {shop}: {source}")]
    InShop {
        /// The shop's name.
        shop: String,
        /// Why.
        source: Box<ConfigError>,
    },
    /// The configuration text or environment is invalid (syntax, type, unknown setting).
    #[error("invalid_config: {message}")]
    Invalid {
        /// What is wrong; never quotes a value.
        message: String,
    },
}

impl ConfigError {
    /// The stable code of this error, e.g. `"missing_key"`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::InvalidSiteId => "invalid_site_id",
            ConfigError::MissingKey { .. } => "missing_key",
            ConfigError::ConflictingKeySources { .. } => "key_source_conflict",
            ConfigError::Key { source, .. } => source.code(),
            ConfigError::SameTestAndProductionKey => "same_keys",
            ConfigError::DuplicateSiteId { .. } => "duplicate_site_id",
            ConfigError::InShop { source, .. } => source.code(),
            ConfigError::Invalid { .. } => "invalid_config",
        }
    }
}

/// Loads the key given by at most one of three sources; `Ok(None)` when none is given.
pub(crate) fn load_key(
    which: &'static str,
    literal: Option<&SecretString>,
    file: Option<&PathBuf>,
    env: Option<&String>,
) -> Result<Option<Key>, ConfigError> {
    let given =
        usize::from(literal.is_some()) + usize::from(file.is_some()) + usize::from(env.is_some());
    if given > 1 {
        return Err(ConfigError::ConflictingKeySources { which });
    }
    let key = if let Some(s) = literal {
        Key::new(s.expose())
    } else if let Some(path) = file {
        Key::from_file(path)
    } else if let Some(var) = env {
        Key::from_env(var)
    } else {
        return Ok(None);
    };
    key.map(Some)
        .map_err(|source| ConfigError::Key { which, source })
}

/// Whether `s` is a site id: exactly 8 ASCII digits.
pub(crate) fn is_site_id(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A validated shop: its site id, mode, algorithm and keys. It cannot be inconsistent:
/// the key of its mode is present and non-empty, test and production keys differ, the
/// mode is fixed for its lifetime.
///
/// `Debug` never shows a key.
///
/// ```
/// use vads::{Mode, Shop, ShopConfig, SecretString};
/// let mut config = ShopConfig::new("12345678", Mode::Test);
/// config.test_key = Some(SecretString::new("1122334455667788".into()));
/// let shop = Shop::new(config)?;
///
/// // Sign: the shop adds vads_site_id and vads_ctx_mode.
/// let sig = shop.sign([("vads_amount", "5124"), ("vads_currency", "978")])?;
/// assert_eq!(sig.as_str().len(), 44);
///
/// // Verify a notification body (here one we sign ourselves).
/// let body = format!(
///     "vads_amount=5124&vads_ctx_mode=TEST&vads_currency=978&vads_site_id=12345678&signature={}",
///     sig.as_str().replace('+', "%2B").replace('/', "%2F").replace('=', "%3D"),
/// );
/// let notification = shop.verify(body.as_bytes())?;
/// assert_eq!(notification.amount()?, 5124);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Shop {
    site_id: String,
    mode: Mode,
    algorithm: Algorithm,
    test_key: Option<Key>,
    production_key: Option<Key>,
    previous_production_keys: Vec<Key>,
    payment_url: String,
    /// Unix time until which either algorithm is accepted to verify.
    both_algorithms_until: Option<u64>,
}

impl Shop {
    /// Checks `config` and builds the shop.
    ///
    /// # Errors
    /// [`ConfigError::InvalidSiteId`], [`ConfigError::MissingKey`] (no key for the active
    /// mode), [`ConfigError::ConflictingKeySources`], [`ConfigError::Key`] (a key source
    /// that is unreadable or empty), [`ConfigError::SameTestAndProductionKey`].
    pub fn new(config: ShopConfig) -> Result<Shop, ConfigError> {
        if !is_site_id(&config.site_id) {
            return Err(ConfigError::InvalidSiteId);
        }
        let test_key = load_key(
            "test",
            config.test_key.as_ref(),
            config.test_key_file.as_ref(),
            config.test_key_env.as_ref(),
        )?;
        let production_key = load_key(
            "production",
            config.production_key.as_ref(),
            config.production_key_file.as_ref(),
            config.production_key_env.as_ref(),
        )?;
        let previous_production_keys = config
            .previous_production_keys
            .iter()
            .map(|s| {
                Key::new(s.expose()).map_err(|source| ConfigError::Key {
                    which: "previous production",
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        match config.ctx_mode {
            Mode::Test if test_key.is_none() => {
                return Err(ConfigError::MissingKey {
                    mode: Mode::Test,
                    which: "test",
                })
            }
            Mode::Production if production_key.is_none() => {
                return Err(ConfigError::MissingKey {
                    mode: Mode::Production,
                    which: "production",
                })
            }
            _ => {}
        }
        if let Some(test) = &test_key {
            let clash = production_key
                .iter()
                .chain(previous_production_keys.iter())
                .any(|p| p.same_as(test));
            if clash {
                return Err(ConfigError::SameTestAndProductionKey);
            }
        }
        let payment_url = match (&config.payment_url, &config.brand) {
            (Some(url), _) => url.clone(),
            (None, Some(brand)) => crate::form::Brand::from_name(brand)
                .ok_or_else(|| ConfigError::Invalid {
                    message: format!(
                        "unknown brand; expected one of: {}",
                        crate::form::Brand::NAMES.join(", ")
                    ),
                })?
                .payment_url()
                .to_owned(),
            (None, None) => crate::form::Brand::PayZen.payment_url().to_owned(),
        };
        if !crate::form::is_http_url(&payment_url) {
            return Err(ConfigError::Invalid {
                message: "payment_url must be an absolute http(s) URL".into(),
            });
        }
        let both_algorithms_until = match &config.accept_both_algorithms_until {
            None => None,
            Some(text) => {
                let until = parse_utc(text).ok_or_else(|| ConfigError::Invalid {
                    message: "accept_both_algorithms_until must be a UTC time YYYY-MM-DDTHH:MM:SSZ"
                        .into(),
                })?;
                if until > unix_now().saturating_add(MAX_ALGORITHM_WINDOW) {
                    return Err(ConfigError::Invalid {
                        message: "accept_both_algorithms_until is more than 48 hours ahead: the window must be short (the platform accepts both algorithms for 24 hours)".into(),
                    });
                }
                Some(until)
            }
        };
        Ok(Shop {
            both_algorithms_until,
            payment_url,
            algorithm: config.algorithm_for(config.ctx_mode),
            site_id: config.site_id,
            mode: config.ctx_mode,
            test_key,
            production_key,
            previous_production_keys,
        })
    }

    /// The shop's site id.
    #[must_use]
    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    /// The shop's mode (fixed when the shop was built).
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The URL payment forms post to (`payment_url`, or the brand's, default PayZen).
    #[must_use]
    pub fn payment_url(&self) -> &str {
        &self.payment_url
    }

    /// Starts a payment form for this shop (see [`crate::form`]).
    #[must_use]
    pub fn form(&self) -> crate::form::FormBuilder<'_> {
        crate::form::FormBuilder::new(self)
    }

    /// The signature algorithm of the shop's mode.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key that signs in the shop's mode (for the `testing` builder).
    #[cfg(feature = "testing")]
    pub(crate) fn signing_key(&self) -> Option<&Key> {
        self.active_key()
    }

    /// The key that signs in the shop's mode.
    fn active_key(&self) -> Option<&Key> {
        match self.mode {
            Mode::Test => self.test_key.as_ref(),
            Mode::Production => self.production_key.as_ref(),
        }
    }

    /// Runs `f` over `fields` with `vads_site_id` and `vads_ctx_mode` filled from the shop,
    /// refusing fields that contradict them.
    fn with_shop_fields<'a, I, T>(
        &'a self,
        fields: I,
        f: impl FnOnce(&mut dyn Iterator<Item = (&'a str, &'a str)>) -> Result<T, SignError>,
    ) -> Result<T, SignError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut conflict = None;
        let result = {
            let mut all = fields
                .into_iter()
                .filter(|&(name, value)| match name {
                    "vads_site_id" => {
                        if value != self.site_id {
                            conflict = Some(SignError::SiteMismatch);
                        }
                        false
                    }
                    "vads_ctx_mode" => {
                        if value != self.mode.as_str() {
                            conflict = Some(SignError::ModeMismatch);
                        }
                        false
                    }
                    _ => true,
                })
                .chain([
                    ("vads_site_id", self.site_id.as_str()),
                    ("vads_ctx_mode", self.mode.as_str()),
                ]);
            f(&mut all)
        };
        match conflict {
            Some(e) => Err(e),
            None => result,
        }
    }

    /// Signs `fields` with the key and algorithm of the shop's mode, after filling
    /// `vads_site_id` and `vads_ctx_mode` from the shop. No heap allocation.
    ///
    /// # Errors
    /// [`SignError::SiteMismatch`] / [`SignError::ModeMismatch`] when `fields` hold a
    /// `vads_site_id` / `vads_ctx_mode` that contradicts the shop, and the errors of
    /// [`crate::sign`].
    pub fn sign<'a, I>(&'a self, fields: I) -> Result<Signature, SignError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let key = self.active_key().ok_or(SignError::MissingKey)?;
        self.with_shop_fields(fields, |all| signature::sign(all, key, self.algorithm))
    }

    /// The signing string [`Shop::sign`] would hash, key masked (allocates).
    ///
    /// # Errors
    /// As [`Shop::sign`].
    pub fn signing_string_masked<'a, I>(&'a self, fields: I) -> Result<String, SignError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.with_shop_fields(fields, |all| signature::signing_string_masked(all))
    }

    /// Verifies a notification: an IPN body (`application/x-www-form-urlencoded`) or the
    /// query string / body of a browser return. Returns the verified fields, borrowed from
    /// `body`.
    ///
    /// In order: the body must be at most [`crate::MAX_BODY_LEN`] bytes, well encoded
    /// (strict decoder, see [`crate::body`]), have at most [`MAX_FIELDS`] fields, no field
    /// name twice, a `signature`; its `vads_ctx_mode` must be the shop's mode and its
    /// `vads_site_id` the shop's; then the signature must match, compared in constant time,
    /// with the key of the shop's mode (in PRODUCTION, or else one of the previous
    /// production keys). Nothing received is altered before hashing. The values of `vads_`
    /// fields are checked for encoding while they are hashed (one read of the body instead
    /// of two), so a malformed `vads_` value is reported as `malformed_body` after the mode
    /// and site checks; every other part of the body is checked first.
    ///
    /// No heap allocation, whether accepted or rejected.
    ///
    /// # Errors
    /// A [`VerifyError`], by the first rule broken.
    pub fn verify<'b>(&self, body: &'b [u8]) -> Result<Notification<'b>, VerifyError> {
        // A small table first: zeroing one of MAX_FIELDS entries costs more than parsing
        // a typical notification.
        match self.verify_in::<SMALL_TABLE>(body) {
            Err(VerifyError::TooManyFields) => self.verify_large(body),
            result => result,
        }
    }

    #[cold]
    #[inline(never)]
    fn verify_large<'b>(&self, body: &'b [u8]) -> Result<Notification<'b>, VerifyError> {
        self.verify_in::<MAX_FIELDS>(body)
    }

    fn verify_in<'b, const N: usize>(
        &self,
        body: &'b [u8],
    ) -> Result<Notification<'b>, VerifyError> {
        let mut storage = [RawField::EMPTY; N];
        let (signed, others) = body::parse_split(body, &mut storage)?;
        // vads_ names and the others cannot be equal: checking duplicates within each
        // group checks the whole body. The vads_ fields usually arrive in order (fast path).
        signature::sort_fields(signed).map_err(|_| VerifyError::DuplicateField)?;
        signature::sort_fields(others).map_err(|_| VerifyError::DuplicateField)?;
        let (signed, others): (&[RawField<'b>], &[RawField<'b>]) = (signed, others);
        let signature = find(others, "signature").ok_or(VerifyError::MissingSignature)?;
        let mode = find(signed, "vads_ctx_mode").and_then(|f| {
            if f.value_is("TEST") {
                Some(Mode::Test)
            } else if f.value_is("PRODUCTION") {
                Some(Mode::Production)
            } else {
                None
            }
        });
        if mode != Some(self.mode) {
            return Err(VerifyError::ModeMismatch {
                notification: mode,
                shop: self.mode,
            });
        }
        if !find(signed, "vads_site_id").is_some_and(|f| f.value_is(&self.site_id)) {
            return Err(VerifyError::SiteMismatch);
        }
        let mut buf = [0u8; 64];
        let received = signature
            .decode_value_into(&mut buf)
            .ok_or(VerifyError::BadSignature)?;
        let (matched, algorithm) = self
            .match_key(signed, received)?
            .ok_or(VerifyError::BadSignature)?;
        Ok(Notification::new(body, self.mode, matched, algorithm))
    }

    /// Whether an algorithm-change window is open now (either algorithm verifies).
    #[must_use]
    pub fn algorithm_window_open(&self) -> bool {
        self.both_algorithms_until
            .is_some_and(|until| unix_now() < until)
    }

    /// Which accepted key signed `fields`, if any.
    fn match_key(
        &self,
        signed: &[RawField<'_>],
        received: &[u8],
    ) -> Result<Option<(KeyMatch, Algorithm)>, VerifyError> {
        let algorithm = if self.algorithm_window_open() {
            Algorithm::from_signature_shape(received).unwrap_or(self.algorithm)
        } else {
            self.algorithm
        };
        let Some(current) = self.active_key() else {
            return Ok(None);
        };
        if signature::verify_with_key(algorithm, signed, current.expose(), received)? {
            return Ok(Some((KeyMatch::Current, algorithm)));
        }
        if self.mode == Mode::Production {
            for (index, key) in self.previous_production_keys.iter().enumerate() {
                if signature::verify_with_key(algorithm, signed, key.expose(), received)? {
                    return Ok(Some((KeyMatch::Previous { index }, algorithm)));
                }
            }
        }
        Ok(None)
    }

    /// The signing string of a received body, key masked: what to compare with the
    /// platform's when a signature does not match. Does not verify anything (allocates).
    ///
    /// # Errors
    /// The parsing errors of [`Shop::verify`] (malformed body, duplicates, ...).
    pub fn explain(&self, body: &[u8]) -> Result<String, VerifyError> {
        let mut storage = vec![RawField::EMPTY; MAX_FIELDS];
        let fields = body::parse(body, &mut storage)?;
        signature::sort_fields(fields).map_err(|_| VerifyError::DuplicateField)?;
        Ok(signature::masked_string(signature::vads_range(fields)))
    }
}

/// Fields a verification holds in its first stack table (a notification has 40–90).
const SMALL_TABLE: usize = 128;

/// The field named `name` in sorted `fields`.
fn find<'s, 'a>(fields: &'s [RawField<'a>], name: &str) -> Option<&'s RawField<'a>> {
    fields
        .binary_search_by(|f| f.cmp_name_to(name.as_bytes()))
        .ok()
        .and_then(|i| fields.get(i))
}

/// The longest algorithm-change window accepted: 48 hours.
const MAX_ALGORITHM_WINDOW: u64 = 48 * 3600;

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (UTC) into Unix seconds.
pub(crate) fn parse_utc(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || b.get(19) != Some(&b'Z')
    {
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let date = crate::notification::TransDate::parse(&digits)?;
    if date.year < 1970 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m, d) = (
        i64::from(date.year) - i64::from(date.month <= 2),
        i64::from(date.month),
        i64::from(date.day),
    );
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400
        + i64::from(date.hour) * 3600
        + i64::from(date.minute) * 60
        + i64::from(date.second);
    u64::try_from(secs).ok()
}
