//! Configuration: [`ShopConfig`] (one shop) and [`ShopsConfig`] (several), their loaders
//! (TOML text and files, the environment), key loading, and [`ConfigError`].
//!
//! This layer allocates. It never puts a value read from a file or the environment into
//! an error: names, paths and line numbers yes, values never (a key could be among them).

use crate::algorithm::Algorithm;
use crate::error::{code_first_display, KeyError};
use crate::key::{Key, SecretString};
use crate::mode::Mode;
use core::fmt;
use indexmap::IndexMap;
use std::path::{Path, PathBuf};

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
/// TEST). `Debug` never shows a key. Turn it into a [`crate::Shop`] with [`crate::Shop::new`], which
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
    /// [`crate::Brand`]). Default: `payzen`.
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

/// The configuration of several named shops.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ShopsConfig {
    /// The shops by name, in config order.
    pub shops: IndexMap<String, ShopConfig>,
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
    /// [`ConfigError::Parse`], whose message never quotes the config's values (a key
    /// could be among them).
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::parse(&e))
    }

    /// Reads a configuration from a TOML file (feature `toml`). Relative key file paths are
    /// taken relative to the file's folder.
    ///
    /// # Errors
    /// [`ConfigError::FileUnreadable`] when the file cannot be read, [`ConfigError::InFile`]
    /// when it cannot be parsed.
    #[cfg(feature = "toml")]
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let mut config = read_toml_file(path, Self::from_toml_str)?;
        config.resolve_relative_paths(path.parent().unwrap_or(Path::new("")));
        Ok(config)
    }

    /// Makes relative key file paths relative to `base` (the config file's folder).
    pub fn resolve_relative_paths(&mut self, base: &Path) {
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
    /// [`ConfigError::EnvNotSet`], [`ConfigError::EnvNotUnicode`] or
    /// [`ConfigError::EnvInvalid`], naming the variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        fn var(name: &'static str) -> Result<Option<String>, ConfigError> {
            match std::env::var(name) {
                Ok(v) => Ok(Some(v)),
                Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(ConfigError::EnvNotUnicode { var: name })
                }
            }
        }
        fn required(name: &'static str) -> Result<String, ConfigError> {
            var(name)?.ok_or(ConfigError::EnvNotSet { var: name })
        }
        fn algorithm(name: &'static str) -> Result<Option<Algorithm>, ConfigError> {
            var(name)?
                .map(|v| {
                    v.parse().map_err(|_| ConfigError::EnvInvalid {
                        var: name,
                        expected: "HMAC-SHA-256 or SHA-1",
                    })
                })
                .transpose()
        }
        let mode = required("VADS_CTX_MODE")?
            .parse()
            .map_err(|_| ConfigError::EnvInvalid {
                var: "VADS_CTX_MODE",
                expected: "TEST or PRODUCTION",
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

    /// Loads the key of `mode` from the one source configured for it; `Ok(None)` when
    /// none is.
    pub(crate) fn load_key(&self, mode: Mode) -> Result<Option<Key>, ConfigError> {
        match mode {
            Mode::Test => load_key(
                "test",
                self.test_key.as_ref(),
                self.test_key_file.as_ref(),
                self.test_key_env.as_ref(),
            ),
            Mode::Production => load_key(
                "production",
                self.production_key.as_ref(),
                self.production_key_file.as_ref(),
                self.production_key_env.as_ref(),
            ),
        }
    }
}

/// The name given to the shop of a single-shop config.
pub const DEFAULT_SHOP: &str = "default";

impl ShopsConfig {
    /// A set of one shop, named [`DEFAULT_SHOP`].
    #[must_use]
    pub fn single(config: ShopConfig) -> Self {
        let mut shops = IndexMap::new();
        shops.insert(DEFAULT_SHOP.to_owned(), config);
        ShopsConfig { shops }
    }

    /// Reads TOML text (feature `toml`): a `[shops.NAME]` table per shop, or a single-shop
    /// config.
    ///
    /// # Errors
    /// [`ConfigError::Parse`], whose message never quotes a value.
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::parse(&e))?;
        if table.contains_key("shops") {
            toml::from_str(text).map_err(|e| ConfigError::parse(&e))
        } else {
            ShopConfig::from_toml_str(text).map(ShopsConfig::single)
        }
    }

    /// Reads a TOML file (feature `toml`); relative key file paths are taken relative to
    /// the file's folder.
    ///
    /// # Errors
    /// As [`ShopConfig::from_toml_file`].
    #[cfg(feature = "toml")]
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let mut config = read_toml_file(path, Self::from_toml_str)?;
        let base = path.parent().unwrap_or(Path::new(""));
        for shop in config.shops.values_mut() {
            shop.resolve_relative_paths(base);
        }
        Ok(config)
    }
}

/// Reads a config file (kept in zeroed memory: it may hold keys) and parses it with
/// `parse`, naming the file in errors.
#[cfg(feature = "toml")]
fn read_toml_file<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::FileUnreadable {
        path: path.display().to_string(),
        reason: e.kind().to_string(),
    })?;
    let text = zeroize::Zeroizing::new(text);
    parse(&text).map_err(|e| ConfigError::InFile {
        path: path.display().to_string(),
        source: Box::new(e),
    })
}

/// Replaces every `` `quoted` `` part of a parser message: it could quote a key.
#[cfg(feature = "toml")]
fn redact_quoted(message: &str) -> String {
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

/// Loads the key given by at most one of three sources; `Ok(None)` when none is given.
fn load_key(
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

/// Why a configuration is not a valid [`crate::Shop`] or [`crate::Shops`]. Messages name
/// the setting at fault and never contain a key or any other value of the configuration.
///
/// ```
/// use vads::{ConfigError, Mode, Shop, ShopConfig};
/// let e = Shop::new(ShopConfig::new("1234", Mode::Test)).unwrap_err();
/// assert_eq!(e.code(), "invalid_site_id");
/// assert!(e.to_string().starts_with("invalid_site_id: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `site_id` is not 8 digits.
    InvalidSiteId,
    /// No key is configured for the shop's mode.
    MissingKey {
        /// The shop's mode.
        mode: Mode,
        /// `"test"` or `"production"`.
        which: &'static str,
    },
    /// More than one source is given for one key.
    ConflictingKeySources {
        /// `"test"` or `"production"`.
        which: &'static str,
    },
    /// A key source could not be read, or holds an empty key. Its code is the key error's.
    Key {
        /// `"test"`, `"production"` or `"previous production"`.
        which: &'static str,
        /// Why.
        source: KeyError,
    },
    /// The test and production keys are the same secret.
    SameTestAndProductionKey,
    /// Two shops have the same site id (a notification could not be dispatched).
    DuplicateSiteId {
        /// The first shop's name.
        first: String,
        /// The second shop's name.
        second: String,
    },
    /// A shop's configuration is invalid. Its code is the inner error's.
    InShop {
        /// The shop's name.
        shop: String,
        /// Why.
        source: Box<ConfigError>,
    },
    /// The configuration file could not be read.
    FileUnreadable {
        /// The file's path.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The configuration file is invalid. Its code is the inner error's.
    InFile {
        /// The file's path.
        path: String,
        /// Why.
        source: Box<ConfigError>,
    },
    /// The configuration text is not valid TOML or does not have the expected shape
    /// (syntax, type, unknown setting).
    Parse {
        /// The parser's message with every quoted value removed.
        message: String,
    },
    /// A required environment variable is not set.
    EnvNotSet {
        /// The variable's name.
        var: &'static str,
    },
    /// An environment variable is not valid UTF-8.
    EnvNotUnicode {
        /// The variable's name.
        var: &'static str,
    },
    /// An environment variable has a value that is not allowed.
    EnvInvalid {
        /// The variable's name.
        var: &'static str,
        /// What is allowed.
        expected: &'static str,
    },
    /// `brand` is not a known brand.
    UnknownBrand,
    /// `payment_url` is not an absolute `http(s)` URL.
    InvalidPaymentUrl,
    /// `accept_both_algorithms_until` is not a UTC time `YYYY-MM-DDTHH:MM:SSZ`.
    InvalidAlgorithmWindow,
    /// `accept_both_algorithms_until` is more than 48 hours ahead.
    AlgorithmWindowTooLong,
    /// A configuration of several shops has none.
    NoShop,
}

impl ConfigError {
    /// A parser error, with every quoted value removed.
    #[cfg(feature = "toml")]
    fn parse(e: &toml::de::Error) -> ConfigError {
        ConfigError::Parse {
            message: redact_quoted(e.message()),
        }
    }

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
            ConfigError::InShop { source, .. } | ConfigError::InFile { source, .. } => {
                source.code()
            }
            ConfigError::FileUnreadable { .. }
            | ConfigError::Parse { .. }
            | ConfigError::EnvNotSet { .. }
            | ConfigError::EnvNotUnicode { .. }
            | ConfigError::EnvInvalid { .. }
            | ConfigError::UnknownBrand
            | ConfigError::InvalidPaymentUrl
            | ConfigError::InvalidAlgorithmWindow
            | ConfigError::AlgorithmWindowTooLong
            | ConfigError::NoShop => "invalid_config",
        }
    }

    fn sentence(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidSiteId => f.write_str("site_id must be exactly 8 digits"),
            ConfigError::MissingKey { mode, which } => write!(
                f,
                "ctx_mode is {mode} but no {which} key is configured (set {which}_key_file, {which}_key_env or {which}_key)"
            ),
            ConfigError::ConflictingKeySources { which } => write!(
                f,
                "give only one of {which}_key, {which}_key_file and {which}_key_env"
            ),
            ConfigError::Key { which, source } => {
                write!(f, "{which} key: ")?;
                source.sentence(f)
            }
            ConfigError::SameTestAndProductionKey => f.write_str(
                "the test key and a production key are the same; they must be different secrets",
            ),
            ConfigError::DuplicateSiteId { first, second } => {
                write!(f, "shops {first} and {second} have the same site_id")
            }
            ConfigError::InShop { shop, source } => {
                write!(f, "shop {shop}: ")?;
                source.sentence(f)
            }
            ConfigError::FileUnreadable { path, reason } => {
                write!(f, "cannot read config file {path}: {reason}")
            }
            ConfigError::InFile { path, source } => {
                write!(f, "{path}: ")?;
                source.sentence(f)
            }
            ConfigError::Parse { message } => f.write_str(message),
            ConfigError::EnvNotSet { var } => write!(f, "{var} is not set"),
            ConfigError::EnvNotUnicode { var } => write!(f, "{var} is not valid UTF-8"),
            ConfigError::EnvInvalid { var, expected } => write!(f, "{var} must be {expected}"),
            ConfigError::UnknownBrand => write!(
                f,
                "unknown brand; expected one of: {}",
                crate::brand::Brand::NAMES.join(", ")
            ),
            ConfigError::InvalidPaymentUrl => {
                f.write_str("payment_url must be an absolute http(s) URL")
            }
            ConfigError::InvalidAlgorithmWindow => f.write_str(
                "accept_both_algorithms_until must be a UTC time YYYY-MM-DDTHH:MM:SSZ",
            ),
            ConfigError::AlgorithmWindowTooLong => f.write_str(
                "accept_both_algorithms_until is more than 48 hours ahead: the window must be short (the platform accepts both algorithms for 24 hours)",
            ),
            ConfigError::NoShop => f.write_str("the config has no shop"),
        }
    }
}

code_first_display!(ConfigError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::tests::{assert_code_first, every_key_error};

    fn every_config_error() -> Vec<ConfigError> {
        let key = every_key_error()
            .into_iter()
            .map(|source| ConfigError::Key {
                which: "production",
                source,
            });
        let mut all = vec![
            ConfigError::InvalidSiteId,
            ConfigError::MissingKey {
                mode: Mode::Production,
                which: "production",
            },
            ConfigError::ConflictingKeySources { which: "test" },
            ConfigError::SameTestAndProductionKey,
            ConfigError::DuplicateSiteId {
                first: "a".into(),
                second: "b".into(),
            },
            ConfigError::InShop {
                shop: "web".into(),
                source: Box::new(ConfigError::InvalidSiteId),
            },
            ConfigError::FileUnreadable {
                path: "/etc/vads.toml".into(),
                reason: "not found".into(),
            },
            ConfigError::InFile {
                path: "/etc/vads.toml".into(),
                source: Box::new(ConfigError::UnknownBrand),
            },
            ConfigError::Parse {
                message: "unknown field `…`".into(),
            },
            ConfigError::EnvNotSet {
                var: "VADS_SITE_ID",
            },
            ConfigError::EnvNotUnicode {
                var: "VADS_SITE_ID",
            },
            ConfigError::EnvInvalid {
                var: "VADS_CTX_MODE",
                expected: "TEST or PRODUCTION",
            },
            ConfigError::UnknownBrand,
            ConfigError::InvalidPaymentUrl,
            ConfigError::InvalidAlgorithmWindow,
            ConfigError::AlgorithmWindowTooLong,
            ConfigError::NoShop,
        ];
        all.extend(key);
        for e in &all {
            match e {
                ConfigError::InvalidSiteId
                | ConfigError::MissingKey { .. }
                | ConfigError::ConflictingKeySources { .. }
                | ConfigError::Key { .. }
                | ConfigError::SameTestAndProductionKey
                | ConfigError::DuplicateSiteId { .. }
                | ConfigError::InShop { .. }
                | ConfigError::FileUnreadable { .. }
                | ConfigError::InFile { .. }
                | ConfigError::Parse { .. }
                | ConfigError::EnvNotSet { .. }
                | ConfigError::EnvNotUnicode { .. }
                | ConfigError::EnvInvalid { .. }
                | ConfigError::UnknownBrand
                | ConfigError::InvalidPaymentUrl
                | ConfigError::InvalidAlgorithmWindow
                | ConfigError::AlgorithmWindowTooLong
                | ConfigError::NoShop => {}
            }
        }
        all
    }

    #[test]
    fn every_variant_displays_its_code_first() {
        for e in every_config_error() {
            assert_code_first(e.code(), &e.to_string());
        }
        // Wrappers take the code of what they wrap, and say where.
        let e = ConfigError::InShop {
            shop: "web".into(),
            source: Box::new(ConfigError::Key {
                which: "test",
                source: KeyError::Empty,
            }),
        };
        assert_eq!(
            e.to_string(),
            "empty_key: shop web: test key: the key is empty"
        );
    }
}
