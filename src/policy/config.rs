//! Configuration: [`ShopConfig`] (one shop) and [`ShopsConfig`] (several), their loaders
//! (TOML text and files, the environment), key loading, and [`ConfigError`].
//!
//! This layer allocates. It never puts a value read from a file or the environment into
//! an error: names, paths and line numbers yes, values never (a key could be among them).

#[cfg(feature = "toml")]
use crate::policy::toml_errors::from_toml;
use crate::protocol::algorithm::Algorithm;
use crate::protocol::channel::Channel;
use crate::protocol::error::{code_first_display, KeyError};
#[cfg(feature = "toml")]
use crate::protocol::file::{read_bounded, ReadError};
use crate::protocol::key::{Key, SecretString};
use crate::protocol::limits::MAX_CONFIG_FILE_LEN;
use crate::protocol::mode::Mode;
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
    #[serde(default, deserialize_with = "crate::protocol::key::secret_list")]
    pub previous_production_keys: Vec<SecretString>,
    /// The test REST **password** (`testpassword_...`): the key of REST IPNs (`kr-hash-key=password`), literally (prefer `test_password_file` or `test_password_env`).
    #[serde(default)]
    pub test_password: Option<SecretString>,
    /// A file holding the test REST password.
    #[serde(default)]
    pub test_password_file: Option<PathBuf>,
    /// An environment variable holding the test REST password.
    #[serde(default)]
    pub test_password_env: Option<String>,
    /// The test REST **HMAC-SHA-256 key**: the key of REST browser returns (`kr-hash-key=sha256_hmac`), literally (prefer `test_hmac_key_file` or `test_hmac_key_env`).
    #[serde(default)]
    pub test_hmac_key: Option<SecretString>,
    /// A file holding the test REST HMAC key.
    #[serde(default)]
    pub test_hmac_key_file: Option<PathBuf>,
    /// An environment variable holding the test REST HMAC key.
    #[serde(default)]
    pub test_hmac_key_env: Option<String>,
    /// The production REST **password** (`prodpassword_...`): the key of REST IPNs (`kr-hash-key=password`), literally (prefer `production_password_file` or `production_password_env`).
    #[serde(default)]
    pub production_password: Option<SecretString>,
    /// A file holding the production REST password.
    #[serde(default)]
    pub production_password_file: Option<PathBuf>,
    /// An environment variable holding the production REST password.
    #[serde(default)]
    pub production_password_env: Option<String>,
    /// The production REST **HMAC-SHA-256 key**: the key of REST browser returns (`kr-hash-key=sha256_hmac`), literally (prefer `production_hmac_key_file` or `production_hmac_key_env`).
    #[serde(default)]
    pub production_hmac_key: Option<SecretString>,
    /// A file holding the production REST HMAC key.
    #[serde(default)]
    pub production_hmac_key_file: Option<PathBuf>,
    /// An environment variable holding the production REST HMAC key.
    #[serde(default)]
    pub production_hmac_key_env: Option<String>,
    /// The platform brand whose payment URL forms post to (`payzen`, `systempay`,
    /// `sogecommerce`, `scellius`, `clicandpay`, `lyra-collect`, ...; see
    /// [`crate::Brand`]). Default: `payzen`.
    #[serde(default)]
    pub brand: Option<String>,
    /// The payment URL, overriding the brand's.
    #[serde(default)]
    pub payment_url: Option<String>,
    /// The REST API V4 host (`https://api.payzen.eu`), overriding the brand's: needed for
    /// brands whose host is unconfirmed, and for a local simulator
    /// (`http://127.0.0.1:8081`; plain `http` is refused for any other host, as the REST
    /// password would travel in clear).
    #[serde(default)]
    pub api_url: Option<String>,
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
    /// Where the shop keeps its orders, events and order locks (`vads-store`):
    /// `sqlite://path/to/shop.db?mode=rwc` or `postgres://user:password@host/db`. The
    /// `vads` command line takes each money operation's order lock there, so that
    /// operators on several machines never move an order's money twice. It may hold a
    /// password: `Debug` hides it ([`StoreUrl`]).
    #[serde(default)]
    pub store_url: Option<StoreUrl>,
    /// What the shop sells beyond single payments (`uses = ["installments",
    /// "subscriptions", "tokens"]`): the go-live preflight then says which back-office
    /// notification rules, off by default, these need.
    #[serde(default)]
    pub uses: Vec<ShopUse>,
    /// Each channel's switch (`[channels]`): the website follows `ctx_mode`; `moto`,
    /// `call_centre` and `merchant_initiated` are `"off"` (the default), `"TEST"` or
    /// `"PRODUCTION"`, each on its own.
    #[serde(default)]
    pub channels: Channels,
}

/// A channel's switch in `[channels]`: off, or live in a mode.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum ChannelMode {
    /// `"off"`: nothing is signed, sent or accepted for the channel.
    #[default]
    #[serde(rename = "off")]
    Off,
    /// `"TEST"`.
    #[serde(rename = "TEST")]
    Test,
    /// `"PRODUCTION"`.
    #[serde(rename = "PRODUCTION")]
    Production,
}

impl ChannelMode {
    /// The mode, `None` when off.
    #[must_use]
    pub const fn mode(self) -> Option<Mode> {
        match self {
            ChannelMode::Off => None,
            ChannelMode::Test => Some(Mode::Test),
            ChannelMode::Production => Some(Mode::Production),
        }
    }

    /// `off`, `TEST`, `PRODUCTION`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ChannelMode::Off => "off",
            ChannelMode::Test => "TEST",
            ChannelMode::Production => "PRODUCTION",
        }
    }

    /// Parses the configuration's word.
    #[must_use]
    pub fn parse(word: &str) -> Option<ChannelMode> {
        [ChannelMode::Off, ChannelMode::Test, ChannelMode::Production]
            .into_iter()
            .find(|m| m.as_str() == word)
    }
}

/// `[channels]`: the switch of each channel other than the website (which follows
/// `ctx_mode`). The production switch of one changes no other.
///
/// ```
/// # #[cfg(feature = "toml")] {
/// use vads::{Channel, Mode, ShopConfig};
/// let c = ShopConfig::from_toml_str(
///     "site_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_key = \"Pr0dKey7Hq2Zx9Lm4Np\"\n\
///      test_key = \"TestKey7Hq2Zx9Lm4Np\"\n[channels]\nmoto = \"TEST\"\n",
/// )?;
/// assert_eq!(c.channels.mode_of(Channel::Website, c.ctx_mode), Some(Mode::Production));
/// assert_eq!(c.channels.mode_of(Channel::Moto, c.ctx_mode), Some(Mode::Test));
/// assert_eq!(c.channels.mode_of(Channel::CallCentre, c.ctx_mode), None);
/// # }
/// # Ok::<(), vads::ConfigError>(())
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Channels {
    /// Mail and telephone orders (`vads_payment_src` `MOTO`).
    #[serde(default)]
    pub moto: ChannelMode,
    /// The call centre (`vads_payment_src` `CC`).
    #[serde(default)]
    pub call_centre: ChannelMode,
    /// Charges of saved cards the shop starts itself (zero-click, subscriptions it
    /// creates), through the REST API.
    #[serde(default)]
    pub merchant_initiated: ChannelMode,
}

impl Channels {
    /// The mode of `channel` in a shop whose `ctx_mode` is `website` (`None`: off).
    #[must_use]
    pub const fn mode_of(&self, channel: Channel, website: Mode) -> Option<Mode> {
        match channel {
            Channel::Website => Some(website),
            Channel::Moto => self.moto.mode(),
            Channel::CallCentre => self.call_centre.mode(),
            Channel::MerchantInitiated => self.merchant_initiated.mode(),
        }
    }
}

/// Money that recurs, as a shop's configuration declares it uses it
/// ([`ShopConfig::uses`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ShopUse {
    /// Payments in installments (`vads_payment_config=MULTI...`).
    Installments,
    /// Subscriptions the platform runs (`vads_sub_*`).
    Subscriptions,
    /// Saved cards (tokens, `vads_page_action=REGISTER...`).
    Tokens,
}

impl ShopUse {
    /// The configuration's word: `installments`, `subscriptions`, `tokens`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ShopUse::Installments => "installments",
            ShopUse::Subscriptions => "subscriptions",
            ShopUse::Tokens => "tokens",
        }
    }

    /// Parses the configuration's word.
    #[must_use]
    pub fn parse(word: &str) -> Option<ShopUse> {
        [
            ShopUse::Installments,
            ShopUse::Subscriptions,
            ShopUse::Tokens,
        ]
        .into_iter()
        .find(|u| u.as_str() == word)
    }
}

/// A store's URL (`sqlite:...`, `postgres://...`): it may hold a database password, so
/// it is zeroed on drop, its `Debug` and [`StoreUrl::redacted`] hide the password, and the
/// whole text is reached only through [`StoreUrl::expose_secret`].
///
/// ```
/// let url = vads::StoreUrl::new("postgres://shop:s3cret@db.internal/shop".into());
/// assert_eq!(url.redacted(), "postgres://shop:***@db.internal/shop");
/// assert!(!format!("{url:?}").contains("s3cret"));
/// assert!(url.is_supported());
/// assert!(!vads::StoreUrl::new("mysql://db/shop".into()).is_supported());
/// ```
#[derive(Clone, Default)]
pub struct StoreUrl(zeroize::Zeroizing<String>);

impl StoreUrl {
    /// Wraps a URL.
    #[must_use]
    pub fn new(url: String) -> StoreUrl {
        StoreUrl(zeroize::Zeroizing::new(url))
    }

    /// The whole URL, password included: for the database driver only.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether it names a backend `vads-store` knows (`sqlite:`, `postgres://`,
    /// `postgresql://`).
    #[must_use]
    pub fn is_supported(&self) -> bool {
        let u = self.0.as_str();
        u.starts_with("sqlite:") || u.starts_with("postgres://") || u.starts_with("postgresql://")
    }

    /// The URL with the password between `:` and `@` replaced by `***`; the scheme alone
    /// when the URL does not parse that way.
    #[must_use]
    pub fn redacted(&self) -> String {
        let url = self.0.as_str();
        let Some(scheme_end) = url.find("://") else {
            return url.split(':').next().unwrap_or_default().to_owned() + ":...";
        };
        let rest = &url[scheme_end + 3..];
        match rest.rfind('@') {
            Some(at) => {
                let user = rest[..at].split(':').next().unwrap_or_default();
                format!("{}{user}:***{}", &url[..scheme_end + 3], &rest[at..])
            }
            None => url.to_owned(),
        }
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({:?})", self.redacted())
    }
}

impl<'de> serde::Deserialize<'de> for StoreUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let secret = SecretString::deserialize(deserializer)?;
        Ok(StoreUrl::new(secret.expose().to_owned()))
    }
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
            test_password: None,
            test_password_file: None,
            test_password_env: None,
            test_hmac_key: None,
            test_hmac_key_file: None,
            test_hmac_key_env: None,
            production_password: None,
            production_password_file: None,
            production_password_env: None,
            production_hmac_key: None,
            production_hmac_key_file: None,
            production_hmac_key_env: None,
            accept_both_algorithms_until: None,
            brand: None,
            payment_url: None,
            api_url: None,
            notification_url: None,
            store_url: None,
            uses: Vec::new(),
            channels: Channels::default(),
        }
    }

    /// Reads a configuration from TOML text (feature `toml`).
    ///
    /// # Errors
    /// [`ConfigError::Parse`], whose message never quotes the config's values (a key
    /// could be among them).
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        Ok(from_toml(text)?)
    }

    /// Reads a configuration from a TOML file (feature `toml`). Relative key file paths are
    /// taken relative to the file's folder.
    ///
    /// # Errors
    /// [`ConfigError::FileUnreadable`] when the file cannot be read, [`ConfigError::InFile`]
    /// when it cannot be parsed.
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let mut config = read_toml_file(path, Self::from_toml_str)?;
        config.resolve_relative_paths(path.parent().unwrap_or(Path::new("")));
        Ok(config)
    }

    /// Makes relative key file paths relative to `base` (the config file's folder).
    pub fn resolve_relative_paths(&mut self, base: &Path) {
        for file in [
            &mut self.test_key_file,
            &mut self.production_key_file,
            &mut self.test_password_file,
            &mut self.production_password_file,
            &mut self.test_hmac_key_file,
            &mut self.production_hmac_key_file,
        ]
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
    /// `VADS_PRODUCTION_KEY_ENV`, `VADS_PREVIOUS_PRODUCTION_KEYS` (comma-separated), and
    /// for REST notifications `VADS_{TEST,PRODUCTION}_{PASSWORD,HMAC_KEY}` with their
    /// `_FILE` and `_ENV` forms; `VADS_USES` (comma-separated, [`ShopConfig::uses`]);
    /// `VADS_CHANNEL_MOTO`, `VADS_CHANNEL_CALL_CENTRE`, `VADS_CHANNEL_MERCHANT_INITIATED`
    /// (`off`, `TEST`, `PRODUCTION`: [`ShopConfig::channels`]).
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
        let key_vars = |literal: &'static str,
                        file_var: &'static str,
                        env_var: &'static str,
                        file: &mut Option<PathBuf>,
                        env: &mut Option<String>|
         -> Result<(), ConfigError> {
            if env_is_set(literal) {
                *env = Some(literal.into());
            }
            *file = var(file_var)?.map(PathBuf::from);
            if let Some(v) = var(env_var)? {
                *env = Some(v);
            }
            Ok(())
        };
        let c = &mut config;
        key_vars(
            "VADS_TEST_KEY",
            "VADS_TEST_KEY_FILE",
            "VADS_TEST_KEY_ENV",
            &mut c.test_key_file,
            &mut c.test_key_env,
        )?;
        key_vars(
            "VADS_PRODUCTION_KEY",
            "VADS_PRODUCTION_KEY_FILE",
            "VADS_PRODUCTION_KEY_ENV",
            &mut c.production_key_file,
            &mut c.production_key_env,
        )?;
        key_vars(
            "VADS_TEST_PASSWORD",
            "VADS_TEST_PASSWORD_FILE",
            "VADS_TEST_PASSWORD_ENV",
            &mut c.test_password_file,
            &mut c.test_password_env,
        )?;
        key_vars(
            "VADS_PRODUCTION_PASSWORD",
            "VADS_PRODUCTION_PASSWORD_FILE",
            "VADS_PRODUCTION_PASSWORD_ENV",
            &mut c.production_password_file,
            &mut c.production_password_env,
        )?;
        key_vars(
            "VADS_TEST_HMAC_KEY",
            "VADS_TEST_HMAC_KEY_FILE",
            "VADS_TEST_HMAC_KEY_ENV",
            &mut c.test_hmac_key_file,
            &mut c.test_hmac_key_env,
        )?;
        key_vars(
            "VADS_PRODUCTION_HMAC_KEY",
            "VADS_PRODUCTION_HMAC_KEY_FILE",
            "VADS_PRODUCTION_HMAC_KEY_ENV",
            &mut c.production_hmac_key_file,
            &mut c.production_hmac_key_env,
        )?;
        for (name, slot) in [
            ("VADS_CHANNEL_MOTO", &mut config.channels.moto),
            ("VADS_CHANNEL_CALL_CENTRE", &mut config.channels.call_centre),
            (
                "VADS_CHANNEL_MERCHANT_INITIATED",
                &mut config.channels.merchant_initiated,
            ),
        ] {
            if let Some(v) = var(name)? {
                *slot = ChannelMode::parse(&v).ok_or(ConfigError::EnvInvalid {
                    var: name,
                    expected: "off, TEST or PRODUCTION",
                })?;
            }
        }
        if let Some(list) = var("VADS_USES")? {
            config.uses = list
                .split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(|w| {
                    ShopUse::parse(w).ok_or(ConfigError::EnvInvalid {
                        var: "VADS_USES",
                        expected: "a comma-separated list of installments, subscriptions, tokens",
                    })
                })
                .collect::<Result<_, _>>()?;
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

    /// The key sources configured for `role` in `mode`.
    pub(crate) fn key_sources(&self, mode: Mode, role: KeyRole) -> KeySources<'_> {
        let (literal, file, env) = match (mode, role) {
            (Mode::Test, KeyRole::Form) => {
                (&self.test_key, &self.test_key_file, &self.test_key_env)
            }
            (Mode::Production, KeyRole::Form) => (
                &self.production_key,
                &self.production_key_file,
                &self.production_key_env,
            ),
            (Mode::Test, KeyRole::Password) => (
                &self.test_password,
                &self.test_password_file,
                &self.test_password_env,
            ),
            (Mode::Production, KeyRole::Password) => (
                &self.production_password,
                &self.production_password_file,
                &self.production_password_env,
            ),
            (Mode::Test, KeyRole::HmacKey) => (
                &self.test_hmac_key,
                &self.test_hmac_key_file,
                &self.test_hmac_key_env,
            ),
            (Mode::Production, KeyRole::HmacKey) => (
                &self.production_hmac_key,
                &self.production_hmac_key_file,
                &self.production_hmac_key_env,
            ),
        };
        KeySources {
            label: role.label(mode),
            setting: role.setting(mode),
            literal: literal.as_ref(),
            file: file.as_ref(),
            env: env.as_ref(),
        }
    }

    /// Whether a source is configured for the key `role` of `mode` (without reading it).
    pub(crate) fn has_key_source(&self, mode: Mode, role: KeyRole) -> bool {
        let k = self.key_sources(mode, role);
        k.literal.is_some() || k.file.is_some() || k.env.is_some()
    }

    /// Whether any key (form, REST password, REST HMAC key) is configured for `mode`.
    pub(crate) fn has_any_key_source(&self, mode: Mode) -> bool {
        KeyRole::ALL
            .into_iter()
            .any(|role| self.has_key_source(mode, role))
    }

    /// Refuses more than one source for any key of `mode` (reads nothing).
    pub(crate) fn check_key_sources(&self, mode: Mode) -> Result<(), ConfigError> {
        for role in KeyRole::ALL {
            let k = self.key_sources(mode, role);
            let given = usize::from(k.literal.is_some())
                + usize::from(k.file.is_some())
                + usize::from(k.env.is_some());
            if given > 1 {
                return Err(ConfigError::ConflictingKeySources { which: k.setting });
            }
        }
        Ok(())
    }

    /// Loads the key `role` of `mode` from the one source configured for it; `Ok(None)`
    /// when none is.
    pub(crate) fn load_key(&self, mode: Mode, role: KeyRole) -> Result<Option<Key>, ConfigError> {
        self.check_key_sources(mode)?;
        let k = self.key_sources(mode, role);
        let key = if let Some(s) = k.literal {
            Key::new(s.expose())
        } else if let Some(path) = k.file {
            Key::from_file(path)
        } else if let Some(var) = k.env {
            Key::from_env(var)
        } else {
            return Ok(None);
        };
        key.map(Some).map_err(|source| ConfigError::Key {
            which: k.label,
            source,
        })
    }
}

/// The three keys a shop may have in each mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyRole {
    /// The form key (`vads_*` signatures): `test_key`, `production_key`.
    Form,
    /// The REST password (REST IPNs, `kr-hash-key=password`).
    Password,
    /// The REST HMAC-SHA-256 key (REST browser returns, `kr-hash-key=sha256_hmac`).
    HmacKey,
}

impl KeyRole {
    pub(crate) const ALL: [KeyRole; 3] = [KeyRole::Form, KeyRole::Password, KeyRole::HmacKey];

    /// The key's name in messages: `test key`, `production password`, ...
    pub(crate) const fn label(self, mode: Mode) -> &'static str {
        match (mode, self) {
            (Mode::Test, KeyRole::Form) => "test key",
            (Mode::Production, KeyRole::Form) => "production key",
            (Mode::Test, KeyRole::Password) => "test password",
            (Mode::Production, KeyRole::Password) => "production password",
            (Mode::Test, KeyRole::HmacKey) => "test HMAC key",
            (Mode::Production, KeyRole::HmacKey) => "production HMAC key",
        }
    }

    /// The setting that holds it literally (`_file` and `_env` are the others).
    pub(crate) const fn setting(self, mode: Mode) -> &'static str {
        match (mode, self) {
            (Mode::Test, KeyRole::Form) => "test_key",
            (Mode::Production, KeyRole::Form) => "production_key",
            (Mode::Test, KeyRole::Password) => "test_password",
            (Mode::Production, KeyRole::Password) => "production_password",
            (Mode::Test, KeyRole::HmacKey) => "test_hmac_key",
            (Mode::Production, KeyRole::HmacKey) => "production_hmac_key",
        }
    }
}

/// A key's sources: its names for messages, then literal, file and environment variable.
pub(crate) struct KeySources<'a> {
    pub(crate) label: &'static str,
    pub(crate) setting: &'static str,
    pub(crate) literal: Option<&'a SecretString>,
    pub(crate) file: Option<&'a PathBuf>,
    pub(crate) env: Option<&'a String>,
}

/// Whether the environment variable `name` is set; the copy of its value that std hands
/// back is wiped (it may be a key).
fn env_is_set(name: &str) -> bool {
    use zeroize::Zeroize;
    match std::env::var_os(name) {
        Some(value) => {
            value.into_encoded_bytes().zeroize();
            true
        }
        None => false,
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
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        // Which of the two shapes, without copying any value (a copy of a key would be
        // left unwiped in freed memory).
        let probe: HasShops = from_toml(text)?;
        match probe {
            HasShops::Table => Ok(from_toml(text)?),
            // `shops = "..."`: say so, rather than call the single shop's settings unknown
            // to a config of several shops.
            HasShops::NotTable => {
                #[derive(serde::Deserialize)]
                struct OnlyShops {
                    #[serde(rename = "shops")]
                    _shops: IndexMap<String, serde::de::IgnoredAny>,
                }
                from_toml::<OnlyShops>(text)?;
                Ok(from_toml(text)?)
            }
            HasShops::No => ShopConfig::from_toml_str(text).map(ShopsConfig::single),
        }
    }

    /// Reads a TOML file (feature `toml`); relative key file paths are taken relative to
    /// the file's folder.
    ///
    /// # Errors
    /// As [`ShopConfig::from_toml_file`].
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
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

/// Whether a TOML document has a top-level `shops` table (or a `shops` of another type);
/// reads nothing else (every other value is skipped without being copied).
#[cfg(feature = "toml")]
enum HasShops {
    No,
    Table,
    NotTable,
}

#[cfg(feature = "toml")]
impl<'de> serde::Deserialize<'de> for HasShops {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = HasShops;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<HasShops, A::Error> {
                let mut found = HasShops::No;
                while let Some(name) = map.next_key::<Name>()? {
                    if name.0 {
                        found = if map.next_value::<IsTable>()?.0 {
                            HasShops::Table
                        } else {
                            HasShops::NotTable
                        };
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(found)
            }
        }
        /// A value, reduced to "is it a table" (its contents skipped, never copied).
        struct IsTable(bool);
        impl<'de> serde::Deserialize<'de> for IsTable {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = IsTable;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a value")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<IsTable, A::Error> {
                        while map
                            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                            .is_some()
                        {}
                        Ok(IsTable(true))
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> Result<IsTable, A::Error> {
                        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                        Ok(IsTable(false))
                    }
                    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<IsTable, E> {
                        Ok(IsTable(false))
                    }
                    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<IsTable, E> {
                        Ok(IsTable(false))
                    }
                    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<IsTable, E> {
                        Ok(IsTable(false))
                    }
                    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<IsTable, E> {
                        Ok(IsTable(false))
                    }
                    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<IsTable, E> {
                        Ok(IsTable(false))
                    }
                }
                d.deserialize_any(V)
            }
        }
        /// A table key, reduced to "is it `shops`".
        struct Name(bool);
        impl<'de> serde::Deserialize<'de> for Name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = Name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a name")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Name, E> {
                        Ok(Name(v == "shops"))
                    }
                }
                d.deserialize_str(V)
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// Reads a config file (a regular file of at most [`MAX_CONFIG_FILE_LEN`] bytes, opened
/// without blocking, kept in one buffer wiped afterwards: it may hold keys) and parses it
/// with `parse`, naming the file in errors.
#[cfg(feature = "toml")]
fn read_toml_file<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let raw = read_bounded(path, MAX_CONFIG_FILE_LEN).map_err(|e| match e {
        ReadError::TooLarge => ConfigError::FileTooLarge {
            path: crate::protocol::shown::shown_path(path),
        },
        other => ConfigError::FileUnreadable {
            path: crate::protocol::shown::shown_path(path),
            reason: other.reason(MAX_CONFIG_FILE_LEN),
        },
    })?;
    let text = core::str::from_utf8(&raw).map_err(|_| ConfigError::FileUnreadable {
        path: crate::protocol::shown::shown_path(path),
        reason: "not valid UTF-8 text".into(),
    })?;
    parse(text).map_err(|e| ConfigError::InFile {
        path: crate::protocol::shown::shown_path(path),
        source: Box::new(e),
    })
}

/// Whether `s` is a site id: exactly 8 ASCII digits.
pub(crate) fn is_site_id(s: &str) -> bool {
    crate::protocol::error::SiteId::parse(s.as_bytes()).is_some()
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
    /// No key at all (form key, REST password or REST HMAC key) is configured for the
    /// shop's mode.
    MissingKey {
        /// The shop's mode.
        mode: Mode,
        /// `"test"` or `"production"`.
        which: &'static str,
    },
    /// More than one source is given for one key.
    ConflictingKeySources {
        /// The key's setting: `"test_key"`, `"production_key"`, `"test_password"`,
        /// `"production_password"`, `"test_hmac_key"` or `"production_hmac_key"`.
        which: &'static str,
    },
    /// A key source could not be read, or holds an empty key. Its code is the key error's.
    Key {
        /// The key: `"test key"`, `"production key"`, `"previous production key"`,
        /// `"test password"`, `"production password"`, `"test HMAC key"` or
        /// `"production HMAC key"`.
        which: &'static str,
        /// Why.
        source: KeyError,
    },
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
    /// The configuration file could not be read, is not a regular file or is not UTF-8.
    FileUnreadable {
        /// The file's path.
        path: String,
        /// The operating system's reason, as it words it.
        reason: String,
    },
    /// The configuration file is larger than [`crate::MAX_CONFIG_FILE_LEN`].
    FileTooLarge {
        /// The file's path.
        path: String,
    },
    /// The configuration file is invalid. Its code is the inner error's.
    InFile {
        /// The file's path.
        path: String,
        /// Why.
        source: Box<ConfigError>,
    },
    /// The configuration text is not valid TOML or does not have the expected shape
    /// (syntax, type, unknown or missing setting). Holds no value of the text: its
    /// problem is in the library's words.
    Parse {
        /// The 1-based line of the problem, when known.
        line: Option<usize>,
        /// The setting at fault, when known: a setting's name (or an unknown name that
        /// reads like one), never a value.
        field: Option<String>,
        /// What is wrong and what was expected, e.g. `expected a list of strings, found a
        /// string`.
        problem: String,
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
    /// `api_url` is not an `https` URL (or `http` to a loopback host: a local simulator).
    InvalidApiUrl,
    /// `store_url` names no backend `vads-store` knows (`sqlite:`, `postgres://`).
    InvalidStoreUrl,
    /// The REST password of the shop's mode carries the other mode's prefix
    /// (`testpassword_` in PRODUCTION, `prodpassword_` in TEST): the shop would call the
    /// API, and check REST notifications, in the other mode.
    PasswordOfOtherMode {
        /// The shop's mode.
        mode: Mode,
    },
    /// `accept_both_algorithms_until` is not a UTC time `YYYY-MM-DDTHH:MM:SSZ`.
    InvalidAlgorithmWindow,
    /// `accept_both_algorithms_until` is more than 48 hours ahead.
    AlgorithmWindowTooLong,
    /// A configuration of several shops has none.
    NoShop,
    /// A channel is live in a mode whose key it needs is not configured (MOTO and
    /// call-centre forms: the form key; merchant-initiated charges: the REST password).
    ChannelKeyMissing {
        /// The channel.
        channel: Channel,
        /// The key it needs, e.g. `"test key"`, `"production password"`.
        which: &'static str,
    },
}

impl ConfigError {
    /// The key error at the root of this one, when a key source could not be loaded
    /// (unreadable, empty, malformed): the configuration names it correctly, the key
    /// itself is at fault. The CLI exits 1 on these and 2 on other configuration errors.
    ///
    /// ```
    /// use vads::{Mode, SecretString, Shop, ShopConfig};
    /// let mut c = ShopConfig::new("12345678", Mode::Test);
    /// c.test_key = Some(SecretString::new("\u{feff}1122334455667788".into()));
    /// let e = Shop::new(c).unwrap_err();
    /// assert_eq!(e.key_error().map(|k| k.code()), Some("key_has_bom"));
    /// ```
    #[must_use]
    pub fn key_error(&self) -> Option<&KeyError> {
        match self {
            ConfigError::Key { source, .. } => Some(source),
            ConfigError::InShop { source, .. } | ConfigError::InFile { source, .. } => {
                source.key_error()
            }
            _ => None,
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
            ConfigError::DuplicateSiteId { .. } => "duplicate_site_id",
            ConfigError::InShop { source, .. } | ConfigError::InFile { source, .. } => {
                source.code()
            }
            ConfigError::FileUnreadable { .. } => "config_file_unreadable",
            ConfigError::FileTooLarge { .. } => "config_file_too_large",
            ConfigError::PasswordOfOtherMode { .. } => "password_wrong_mode",
            ConfigError::ChannelKeyMissing { .. } => "channel_key_missing",
            ConfigError::Parse { .. }
            | ConfigError::EnvNotSet { .. }
            | ConfigError::EnvNotUnicode { .. }
            | ConfigError::EnvInvalid { .. }
            | ConfigError::UnknownBrand
            | ConfigError::InvalidPaymentUrl
            | ConfigError::InvalidApiUrl
            | ConfigError::InvalidStoreUrl
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
                "ctx_mode is {mode} but no {which} key is configured (set {which}_key_file, {which}_key_env or {which}_key; for REST notifications, {which}_password and {which}_hmac_key, each also as _file or _env)"
            ),
            ConfigError::ConflictingKeySources { which } => write!(
                f,
                "give only one of {which}, {which}_file and {which}_env"
            ),
            ConfigError::Key { which, source } => {
                write!(f, "{which}: ")?;
                source.sentence(f)
            }
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
            ConfigError::FileTooLarge { path } => write!(
                f,
                "cannot read config file {path}: larger than the limit of {} KiB (MAX_CONFIG_FILE_LEN)",
                MAX_CONFIG_FILE_LEN / 1024
            ),
            ConfigError::InFile { path, source } => {
                write!(f, "{path}: ")?;
                source.sentence(f)
            }
            ConfigError::Parse {
                line,
                field,
                problem,
            } => {
                if let Some(line) = line {
                    write!(f, "line {line}: ")?;
                }
                if let Some(field) = field {
                    write!(f, "{field}: ")?;
                }
                f.write_str(problem)
            }
            ConfigError::EnvNotSet { var } => write!(f, "{var} is not set"),
            ConfigError::EnvNotUnicode { var } => write!(f, "{var} is not valid UTF-8"),
            ConfigError::EnvInvalid { var, expected } => write!(f, "{var} must be {expected}"),
            ConfigError::UnknownBrand => write!(
                f,
                "unknown brand; expected one of: {}",
                crate::policy::brand::Brand::NAMES.join(", ")
            ),
            ConfigError::InvalidPaymentUrl => {
                f.write_str("payment_url must be an absolute http(s) URL")
            }
            ConfigError::InvalidApiUrl => f.write_str(
                "api_url must be an https URL (plain http only to 127.0.0.1, localhost or [::1]: the REST password would travel in clear)",
            ),
            ConfigError::InvalidStoreUrl => f.write_str(
                "store_url must be sqlite:... (a file: sqlite://path?mode=rwc) or postgres://user:password@host/db",
            ),
            ConfigError::PasswordOfOtherMode { mode } => match mode {
                Mode::Production => f.write_str(
                    "ctx_mode is PRODUCTION but the production password is a test password (testpassword_...): copy the production REST password (prodpassword_...) from the back office",
                ),
                Mode::Test => f.write_str(
                    "ctx_mode is TEST but the test password is a production password (prodpassword_...): copy the test REST password (testpassword_...) from the back office",
                ),
            },
            ConfigError::InvalidAlgorithmWindow => f.write_str(
                "accept_both_algorithms_until must be a UTC time YYYY-MM-DDTHH:MM:SSZ",
            ),
            ConfigError::AlgorithmWindowTooLong => f.write_str(
                "accept_both_algorithms_until is more than 48 hours ahead: the window must be short (the platform accepts both algorithms for 24 hours)",
            ),
            ConfigError::NoShop => f.write_str("the config has no shop"),
            ConfigError::ChannelKeyMissing { channel, which } => write!(
                f,
                "channels.{channel} is on but the config has no {which} for it (set it, or turn the channel off)"
            ),
        }
    }
}

code_first_display!(ConfigError);

#[cfg(feature = "toml")]
impl From<crate::policy::toml_errors::ParseFailure> for ConfigError {
    fn from(f: crate::policy::toml_errors::ParseFailure) -> Self {
        ConfigError::Parse {
            line: f.line,
            field: f.field,
            problem: f.problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::tests::{assert_code_first, every_key_error};

    fn every_config_error() -> Vec<ConfigError> {
        let key = every_key_error()
            .into_iter()
            .map(|source| ConfigError::Key {
                which: "production password",
                source,
            });
        let mut all = vec![
            ConfigError::InvalidSiteId,
            ConfigError::MissingKey {
                mode: Mode::Production,
                which: "production",
            },
            ConfigError::ConflictingKeySources {
                which: "test_hmac_key",
            },
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
            ConfigError::FileTooLarge {
                path: "/etc/vads.toml".into(),
            },
            ConfigError::Parse {
                line: Some(3),
                field: Some("ctx_mod".into()),
                problem: "unknown setting (did you mean ctx_mode?)".into(),
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
            ConfigError::InvalidApiUrl,
            ConfigError::InvalidStoreUrl,
            ConfigError::PasswordOfOtherMode {
                mode: Mode::Production,
            },
            ConfigError::PasswordOfOtherMode { mode: Mode::Test },
            ConfigError::InvalidAlgorithmWindow,
            ConfigError::AlgorithmWindowTooLong,
            ConfigError::NoShop,
            ConfigError::ChannelKeyMissing {
                channel: Channel::Moto,
                which: "test key",
            },
        ];
        all.extend(key);
        for e in &all {
            match e {
                ConfigError::InvalidSiteId
                | ConfigError::MissingKey { .. }
                | ConfigError::ConflictingKeySources { .. }
                | ConfigError::Key { .. }
                | ConfigError::DuplicateSiteId { .. }
                | ConfigError::InShop { .. }
                | ConfigError::FileUnreadable { .. }
                | ConfigError::FileTooLarge { .. }
                | ConfigError::InFile { .. }
                | ConfigError::Parse { .. }
                | ConfigError::EnvNotSet { .. }
                | ConfigError::EnvNotUnicode { .. }
                | ConfigError::EnvInvalid { .. }
                | ConfigError::UnknownBrand
                | ConfigError::InvalidPaymentUrl
                | ConfigError::InvalidApiUrl
                | ConfigError::InvalidStoreUrl
                | ConfigError::PasswordOfOtherMode { .. }
                | ConfigError::InvalidAlgorithmWindow
                | ConfigError::AlgorithmWindowTooLong
                | ConfigError::NoShop
                | ConfigError::ChannelKeyMissing { .. } => {}
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
                which: "test key",
                source: KeyError::Empty,
            }),
        };
        assert_eq!(
            e.to_string(),
            "empty_key: shop web: test key: the key is empty"
        );
    }
}
