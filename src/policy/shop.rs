//! [`Shop`]: a validated shop built from a [`ShopConfig`]; signing with the key of its
//! mode, verification as named steps, key rotation and the algorithm-change window.
//!
//! A shop allocates when it is built (keys are read from files or the environment);
//! [`Shop::sign`] and [`Shop::verify`] do not.

use crate::policy::brand::{is_api_url, is_http_url, Brand};
use crate::policy::config::StoreUrl;
use crate::policy::config::{Channels, ConfigError, KeyRole, ShopConfig};
use crate::policy::observe;
use crate::protocol::algorithm::Algorithm;
use crate::protocol::body::{self, Field};
use crate::protocol::channel::{Channel, ChannelOff};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::error::{SignError, SiteId, VerifyError};
use crate::protocol::key::Key;
use crate::protocol::limits::MAX_FIELDS;
use crate::protocol::mode::Mode;
use crate::protocol::notification::Notification;
use crate::protocol::rest::{AnyNotification, Format, RestNotification};
use crate::protocol::signature::Signature;
use crate::protocol::signing;
use crate::protocol::table::SortedFields;
use crate::protocol::time::{parse_utc, unix_now};
use crate::protocol::verifier::ChannelModes;
use crate::protocol::verifier::{self, FormKeys, RestKey};

/// A validated shop: its site id, mode, algorithm and keys. It cannot be inconsistent:
/// it holds at least one key of its mode (the form key for `vads_*` forms and
/// notifications, the REST password and HMAC-SHA-256 key for REST answers; each
/// non-empty), and the mode is fixed for its lifetime.
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
    site: SiteId,
    mode: Mode,
    algorithm: Algorithm,
    /// The form key of `mode`: the one that signs, and the first that verifies. `None`
    /// for a shop configured with REST keys only.
    key: Option<Key>,
    /// The REST password of `mode` (REST IPNs).
    password: Option<Key>,
    /// The REST HMAC-SHA-256 key of `mode` (REST browser returns).
    hmac_key: Option<Key>,
    /// In PRODUCTION, regenerated-away production keys that still verify (never sign).
    previous_keys: Vec<Key>,
    payment_url: String,
    /// The REST API host: `api_url`, or the brand's (protocol section 8); `None` when
    /// neither is known.
    api_url: Option<String>,
    /// Unix time until which either algorithm is accepted to verify.
    both_algorithms_until: Option<u64>,
    /// Where the shop's orders and order locks are kept (`vads-store`), if configured.
    store_url: Option<StoreUrl>,
    /// The configuration's `ctx_mode`: the website channel's mode.
    website: Mode,
    /// Each other channel's switch.
    channels: Channels,
    /// The same shop in the other mode, when a channel is live there (its keys): a
    /// `[channels] moto = "TEST"` of a PRODUCTION shop.
    other: Option<Box<Shop>>,
}

/// The API host of a configuration: `api_url` (checked: `https`, or `http` to a loopback
/// simulator); else the brand's host — the `brand` setting's, else that of the brand whose
/// payment URL is configured, else PayZen's when neither is set. A custom payment URL of
/// no known brand gives no host: credentials are never sent to a guessed one.
fn api_url_of(config: &ShopConfig) -> Result<Option<String>, ConfigError> {
    if let Some(url) = &config.api_url {
        if !is_api_url(url) {
            return Err(ConfigError::InvalidApiUrl);
        }
        return Ok(Some(url.trim_end_matches('/').to_owned()));
    }
    let brand = match (&config.brand, &config.payment_url) {
        (Some(name), _) => Brand::from_name(name),
        (None, Some(url)) => Brand::from_payment_url(url),
        (None, None) => Some(Brand::PayZen),
    };
    Ok(brand.and_then(Brand::api_url).map(str::to_owned))
}

/// The longest algorithm-change window accepted: 48 hours.
const MAX_ALGORITHM_WINDOW: u64 = 48 * 3600;

impl Shop {
    /// Checks `config` and builds the shop.
    ///
    /// Only the keys of the shop's mode are read: the test key in TEST; the production key
    /// and the previous production keys in PRODUCTION. A TEST shop starts without a
    /// production key (file, variable) in reach; whether the other mode's key is ready, or
    /// equal to this one, is for [`crate::app::preflight`] to say.
    ///
    /// # Errors
    /// [`ConfigError::InvalidSiteId`], [`ConfigError::MissingKey`] (no key for the active
    /// mode), [`ConfigError::ConflictingKeySources`] (in either mode), [`ConfigError::Key`]
    /// (a key source of the mode that is unreadable, empty or malformed),
    /// [`ConfigError::UnknownBrand`], [`ConfigError::InvalidPaymentUrl`],
    /// [`ConfigError::InvalidAlgorithmWindow`], [`ConfigError::AlgorithmWindowTooLong`].
    pub fn new(config: ShopConfig) -> Result<Shop, ConfigError> {
        let mut shop = Shop::of_mode(&config, config.ctx_mode)?;
        let other_mode = match config.ctx_mode {
            Mode::Test => Mode::Production,
            Mode::Production => Mode::Test,
        };
        let live_in = |mode: Mode| {
            [
                Channel::Moto,
                Channel::CallCentre,
                Channel::MerchantInitiated,
            ]
            .into_iter()
            .filter(move |c| config.channels.mode_of(*c, config.ctx_mode) == Some(mode))
        };
        if let Some(first) = live_in(other_mode).next() {
            let other = Shop::of_mode(&config, other_mode).map_err(|e| match e {
                ConfigError::MissingKey { .. } => ConfigError::ChannelKeyMissing {
                    channel: first,
                    which: match first {
                        Channel::MerchantInitiated => KeyRole::Password.label(other_mode),
                        _ => KeyRole::Form.label(other_mode),
                    },
                },
                other => other,
            })?;
            shop.other = Some(Box::new(other));
        }
        // Each live channel has the key it needs in its mode.
        for mode in [config.ctx_mode, other_mode] {
            for channel in live_in(mode) {
                let s = if mode == shop.mode {
                    &shop
                } else {
                    shop.other.as_deref().unwrap_or(&shop)
                };
                let (has, role) = match channel {
                    Channel::MerchantInitiated => (s.password.is_some(), KeyRole::Password),
                    _ => (s.key.is_some(), KeyRole::Form),
                };
                if !has {
                    return Err(ConfigError::ChannelKeyMissing {
                        channel,
                        which: role.label(mode),
                    });
                }
            }
        }
        Ok(shop)
    }

    /// The shop in `mode`, with that mode's keys (the website's mode, or a channel's).
    fn of_mode(config: &ShopConfig, mode: Mode) -> Result<Shop, ConfigError> {
        let site = SiteId::parse(config.site_id.as_bytes()).ok_or(ConfigError::InvalidSiteId)?;
        // A conflict is a mistake in the text, whichever the mode: said at once.
        config.check_key_sources(Mode::Test)?;
        config.check_key_sources(Mode::Production)?;
        if !config.has_any_key_source(mode) {
            return Err(ConfigError::MissingKey {
                mode,
                which: match mode {
                    Mode::Test => "test",
                    Mode::Production => "production",
                },
            });
        }
        let key = config.load_key(mode, KeyRole::Form)?;
        let password = config.load_key(mode, KeyRole::Password)?;
        if let Some(p) = &password {
            let other_prefix: &[u8] = match mode {
                Mode::Production => b"testpassword_",
                Mode::Test => b"prodpassword_",
            };
            if p.expose().starts_with(other_prefix) {
                return Err(ConfigError::PasswordOfOtherMode { mode });
            }
        }
        let hmac_key = config.load_key(mode, KeyRole::HmacKey)?;
        let previous_keys = match mode {
            Mode::Test => Vec::new(),
            Mode::Production => config
                .previous_production_keys
                .iter()
                .map(|s| {
                    Key::new(s.expose()).map_err(|source| ConfigError::Key {
                        which: "previous production key",
                        source,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let payment_url = match (&config.payment_url, &config.brand) {
            (Some(url), _) => url.clone(),
            (None, Some(brand)) => Brand::from_name(brand)
                .ok_or(ConfigError::UnknownBrand)?
                .payment_url()
                .to_owned(),
            (None, None) => Brand::PayZen.payment_url().to_owned(),
        };
        if !is_http_url(&payment_url) {
            return Err(ConfigError::InvalidPaymentUrl);
        }
        let api_url = api_url_of(config)?;
        if config.store_url.as_ref().is_some_and(|u| !u.is_supported()) {
            return Err(ConfigError::InvalidStoreUrl);
        }
        let both_algorithms_until = match &config.accept_both_algorithms_until {
            None => None,
            Some(text) => {
                let until = parse_utc(text).ok_or(ConfigError::InvalidAlgorithmWindow)?;
                if until > unix_now().saturating_add(MAX_ALGORITHM_WINDOW) {
                    return Err(ConfigError::AlgorithmWindowTooLong);
                }
                Some(until)
            }
        };
        let algorithm = config.algorithm_for(mode);
        Ok(Shop {
            store_url: config.store_url.clone(),
            both_algorithms_until,
            payment_url,
            api_url,
            algorithm,
            site,
            mode,
            key,
            password,
            hmac_key,
            previous_keys,
            website: config.ctx_mode,
            channels: config.channels,
            other: None,
        })
    }

    /// Each channel's switch (`[channels]`).
    #[must_use]
    pub fn channels(&self) -> &Channels {
        &self.channels
    }

    /// The mode of `channel`: the website's is `ctx_mode`; `None` when the channel is off.
    ///
    /// ```
    /// use vads::{Channel, ChannelMode, Mode, SecretString, Shop, ShopConfig};
    /// let mut c = ShopConfig::new("12345678", Mode::Production);
    /// c.production_key = Some(SecretString::new("Pr0dKey7Hq2Zx9Lm4Np".into()));
    /// c.test_key = Some(SecretString::new("TestKey7Hq2Zx9Lm4Np".into()));
    /// c.channels.moto = ChannelMode::Test;
    /// let shop = Shop::new(c)?;
    /// assert_eq!(shop.channel_mode(Channel::Website), Some(Mode::Production));
    /// assert_eq!(shop.channel_mode(Channel::Moto), Some(Mode::Test));
    /// assert_eq!(shop.channel_mode(Channel::CallCentre), None);
    /// // A MOTO form is the TEST shop's: its mode and its key.
    /// assert_eq!(shop.for_channel(Channel::Moto)?.mode(), Mode::Test);
    /// assert_eq!(shop.for_channel(Channel::CallCentre).unwrap_err().code(), "channel_off");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn channel_mode(&self, channel: Channel) -> Option<Mode> {
        self.channels.mode_of(channel, self.website)
    }

    /// The shop that signs, verifies and calls the API for `channel`: this one, or the
    /// same shop in the channel's mode with that mode's keys.
    ///
    /// # Errors
    /// [`ChannelOff`] when the channel is off.
    pub fn for_channel(&self, channel: Channel) -> Result<&Shop, ChannelOff> {
        match self.channel_mode(channel) {
            Some(m) if m == self.mode => Ok(self),
            Some(m) => self
                .other
                .as_deref()
                .filter(|o| o.mode == m)
                .ok_or(ChannelOff { channel }),
            None => Err(ChannelOff { channel }),
        }
    }

    /// The channels a notification may report, and their modes, for the verifier.
    fn channel_modes(&self) -> ChannelModes {
        ChannelModes {
            website: self.website,
            moto: self.channels.moto.mode(),
            call_centre: self.channels.call_centre.mode(),
        }
    }

    /// The REST API host calls go to (`api_url`, or the brand's host; protocol section 8),
    /// without a trailing `/`; `None` for a brand whose host is unconfirmed and no
    /// `api_url`.
    ///
    /// ```
    /// use vads::{Mode, SecretString, Shop, ShopConfig};
    /// let mut c = ShopConfig::new("69876357", Mode::Test);
    /// c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
    /// c.brand = Some("systempay".into());
    /// assert_eq!(Shop::new(c)?.api_url(), Some("https://api.systempay.fr"));
    /// # Ok::<(), vads::ConfigError>(())
    /// ```
    #[must_use]
    pub fn api_url(&self) -> Option<&str> {
        self.api_url.as_deref()
    }

    /// Where the shop keeps its orders, events and order locks (`store_url`), if
    /// configured.
    #[must_use]
    pub fn store_url(&self) -> Option<&StoreUrl> {
        self.store_url.as_ref()
    }

    /// The REST password of the shop's mode (the API's Basic-auth secret), if configured.
    #[cfg(feature = "api")]
    pub(crate) fn rest_password(&self) -> Option<&Key> {
        self.password.as_ref()
    }

    /// The shop's site id.
    #[must_use]
    pub fn site_id(&self) -> &str {
        self.site.as_str()
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

    /// The signature algorithm of the shop's mode.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The form key that signs in the shop's mode (for the `testing` builder).
    #[cfg(feature = "testing")]
    pub(crate) fn signing_key(&self) -> Result<&Key, SignError> {
        self.form_key_for_signing()
    }

    /// The REST key of `endpoint` in the shop's mode (for the `testing` builder).
    #[cfg(feature = "testing")]
    pub(crate) fn rest_key(&self, endpoint: Endpoint) -> Result<&Key, SignError> {
        let (key, which) = self.rest_key_of(endpoint);
        key.ok_or(SignError::KeyNotConfigured { which })
    }

    /// The REST key that checks answers at `endpoint`, and its name for errors.
    fn rest_key_of(&self, endpoint: Endpoint) -> (Option<&Key>, &'static str) {
        match endpoint {
            Endpoint::Ipn => (self.password.as_ref(), KeyRole::Password.label(self.mode)),
            Endpoint::Return => (self.hmac_key.as_ref(), KeyRole::HmacKey.label(self.mode)),
        }
    }

    /// Whether the shop has a form key (it signs forms and checks `vads_*` bodies).
    #[must_use]
    pub fn has_form_key(&self) -> bool {
        self.key.is_some()
    }

    /// Whether the shop can check REST answers at `endpoint` (it has the REST password for
    /// the IPN, the REST HMAC-SHA-256 key for the browser return).
    #[must_use]
    pub fn has_rest_key(&self, endpoint: Endpoint) -> bool {
        self.rest_key_of(endpoint).0.is_some()
    }

    fn form_key_for_signing(&self) -> Result<&Key, SignError> {
        self.key.as_ref().ok_or(SignError::KeyNotConfigured {
            which: KeyRole::Form.label(self.mode),
        })
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
                        if value != self.site.as_str() {
                            conflict = Some(SignError::SiteMismatch {
                                given: SiteId::parse(value.as_bytes()),
                                shop: self.site,
                            });
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
                    ("vads_site_id", self.site.as_str()),
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
    /// [`SignError::KeyNotConfigured`] for a shop without a form key;
    /// [`SignError::SiteMismatch`] / [`SignError::ModeMismatch`] when `fields` hold a
    /// `vads_site_id` / `vads_ctx_mode` that contradicts the shop, and the errors of
    /// [`crate::sign`].
    pub fn sign<'a, I>(&'a self, fields: I) -> Result<Signature, SignError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let key = self.form_key_for_signing()?;
        self.with_shop_fields(fields, |all| signing::sign(all, key, self.algorithm))
    }

    /// The signing string [`Shop::sign`] would hash, key masked (allocates).
    ///
    /// # Errors
    /// As [`Shop::sign`].
    pub fn signing_string_masked<'a, I>(&'a self, fields: I) -> Result<String, SignError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        self.with_shop_fields(fields, |all| signing::signing_string_masked(all))
    }

    /// Verifies a notification: an IPN body (`application/x-www-form-urlencoded`) or the
    /// query string / body of a browser return. Returns the verified fields, borrowed from
    /// `body`.
    ///
    /// In order: the body must be at most [`crate::MAX_BODY_LEN`] bytes, well encoded
    /// (strict decoder, see [`crate::protocol::body`]), have at most [`MAX_FIELDS`] fields, no field
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
        let result = verifier::verify_form(body, &self.form_keys());
        // A body of the other mode is another channel's, when one is live there: its
        // keys decide (and its channel must be that one).
        if let (
            Err(VerifyError::ModeMismatch {
                notification: Some(m),
                ..
            }),
            Some(other),
        ) = (&result, &self.other)
        {
            if *m == other.mode {
                return other.verify(body);
            }
        }
        observe::form(self.facts(), &result);
        result
    }

    /// What a `vads_*` body must match for this shop: its mode and site, its form key and
    /// previous production keys, its algorithm (and the other one while a window is open).
    fn form_keys(&self) -> FormKeys<'_> {
        FormKeys {
            mode: self.mode,
            site: self.site,
            key: self.key.as_ref().ok_or(KeyRole::Form.label(self.mode)),
            previous: &self.previous_keys,
            algorithm: self.algorithm,
            either_algorithm: self.algorithm_window_open(),
            channels: self.channel_modes(),
        }
    }

    /// What [`crate::policy::observe`]'s events say about this shop.
    fn facts(&self) -> observe::ShopFacts<'_> {
        observe::ShopFacts {
            site_id: self.site.as_str(),
            mode: self.mode,
            algorithm: self.algorithm,
        }
    }

    /// Whether an algorithm-change window is open now (either algorithm verifies).
    #[must_use]
    pub fn algorithm_window_open(&self) -> bool {
        self.both_algorithms_until
            .is_some_and(|until| unix_now() < until)
    }

    /// Verifies a REST answer (`kr-hash`, `kr-answer`, ...) that arrived at `endpoint`:
    /// the endpoint, never the body, chooses the key (the REST password at the IPN, the
    /// REST HMAC-SHA-256 key at the browser return).
    ///
    /// In order: the body's rules of [`Shop::verify`] (size, strict encoding, field count,
    /// no name twice); a `kr-hash` (`missing_signature`), a `kr-answer`, a
    /// `kr-hash-algorithm` (`missing_field`) that is `sha256_hmac`
    /// (`unsupported_hash_algorithm`), a `kr-hash-key` that names the endpoint's key
    /// (`wrong_hash_key`); the key configured (`key_not_configured`); `kr-hash`, 64
    /// lowercase hex digits, equal in constant time to the HMAC-SHA-256 of `kr-answer` as
    /// received (`bad_signature`). Then, since they live in the signed JSON: the answer is
    /// one strict JSON object (`malformed_answer`), its `orderDetails.mode` is the shop's
    /// mode (`mode_mismatch`) and its `shopId` the shop's (`site_mismatch`).
    ///
    /// No heap allocation, whether accepted or rejected.
    ///
    /// ```
    /// use vads::{Endpoint, Mode, SecretString, Shop, ShopConfig};
    /// let mut config = ShopConfig::new("69876357", Mode::Test);
    /// config.test_hmac_key = Some(SecretString::new("38453613e7f44dc58732bad3dca2bca3".into()));
    /// let shop = Shop::new(config)?;
    /// // A browser return signed with the HMAC-SHA-256 key: refused at the IPN endpoint.
    /// let body = "kr-hash=00&kr-hash-algorithm=sha256_hmac&kr-hash-key=sha256_hmac&kr-answer=%7B%7D";
    /// assert_eq!(shop.verify_rest(body.as_bytes(), Endpoint::Ipn).unwrap_err().code(), "wrong_hash_key");
    /// assert_eq!(shop.verify_rest(body.as_bytes(), Endpoint::Return).unwrap_err().code(), "bad_signature");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A [`VerifyError`], by the first rule broken.
    pub fn verify_rest<'b>(
        &self,
        body: &'b [u8],
        endpoint: Endpoint,
    ) -> Result<RestNotification<'b>, VerifyError> {
        let result = verifier::verify_rest(body, &self.rest_keys(endpoint));
        // A REST answer is hashed before its mode is read: an answer of a channel live in
        // the other mode fails this mode's key. The other mode's keys decide then (and its
        // mode and channel must be theirs); when they do not match either, the first
        // refusal stands.
        if let Some(other) = &self.other {
            let retry = match &result {
                Err(VerifyError::BadSignature) => true,
                Err(VerifyError::ModeMismatch {
                    notification: Some(m),
                    ..
                }) => *m == other.mode,
                _ => false,
            };
            if retry {
                match other.verify_rest(body, endpoint) {
                    Err(VerifyError::BadSignature | VerifyError::KeyNotConfigured { .. }) => {}
                    second => return second,
                }
            }
        }
        observe::rest(self.facts(), &result);
        result
    }

    /// What a REST answer at `endpoint` must match for this shop: its mode and site, the
    /// endpoint's key (the REST password at the IPN, the HMAC-SHA-256 key at the return).
    fn rest_keys(&self, endpoint: Endpoint) -> RestKey<'_> {
        let (key, which) = self.rest_key_of(endpoint);
        RestKey {
            mode: self.mode,
            site: self.site,
            endpoint,
            key: key.ok_or(which),
            channels: self.channel_modes(),
        }
    }

    /// Verifies a body in either format, for an endpoint that receives both: a REST
    /// answer ([`Format::of`]: it has `kr-hash` or `kr-answer`) with
    /// [`Shop::verify_rest`] for `endpoint`, anything else with [`Shop::verify`].
    ///
    /// # Errors
    /// Those of the format's verification.
    pub fn verify_any<'b>(
        &self,
        body: &'b [u8],
        endpoint: Endpoint,
    ) -> Result<AnyNotification<'b>, VerifyError> {
        match Format::of(body) {
            Format::Rest => self.verify_rest(body, endpoint).map(AnyNotification::Rest),
            Format::Form => self.verify(body).map(AnyNotification::Form),
        }
    }

    /// The signing string of a received body, key masked: what to compare with the
    /// platform's when a signature does not match. Does not verify anything (allocates).
    ///
    /// # Errors
    /// The parsing errors of [`Shop::verify`] (malformed body, duplicates, ...).
    pub fn explain(&self, body: &[u8]) -> Result<String, VerifyError> {
        let mut storage = vec![Field::EMPTY; MAX_FIELDS];
        let fields = body::parse_fields(body, &mut storage)?;
        let mut keys = vec![0; fields.len()];
        let sorted =
            SortedFields::sort(fields, &mut keys).map_err(|_| VerifyError::DuplicateField)?;
        Ok(signing::masked_string(sorted.vads()))
    }
}

/// The most signatures [`Shop::diagnose_signature`] computes looking for a `+` read as a
/// space.
const MAX_SPACE_TRIES: usize = 1024;

/// Why a `vads_*` body's signature does not match, as far as the shop's own key can
/// tell ([`Shop::diagnose_signature`]). Never holds a key or a computed signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureHint {
    /// The signature is valid with the shop's key under the other algorithm: the back
    /// office and the configuration disagree on the algorithm.
    OtherAlgorithm {
        /// The algorithm that makes it valid.
        signed_with: Algorithm,
        /// The algorithm the configuration says.
        configured: Algorithm,
    },
    /// The signature is valid once the spaces of these fields' values are `+`: the body
    /// was decoded once too often on its way (a `%2B` became `+`, then a space).
    SpaceForPlus {
        /// The fields whose spaces were `+` (names only).
        fields: Vec<String>,
    },
    /// Neither: another key signed it (the other mode's, a regenerated one, another
    /// shop's), or a value was changed on the way.
    OtherKey,
}

impl core::fmt::Display for SignatureHint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SignatureHint::OtherAlgorithm { signed_with, configured } => write!(
                f,
                "this is a valid {} signature with the shop's key, but the config says {}: set the algorithm the back office uses",
                signed_with.name(),
                configured.name()
            ),
            SignatureHint::SpaceForPlus { fields } => write!(
                f,
                "a value holds a space where '+' would make the signature valid ({}): the body was decoded once too often; pass the raw body",
                fields.join(", ")
            ),
            SignatureHint::OtherKey => f.write_str(
                "neither the other algorithm nor '+' for a space makes it valid: the key that signed it is not this mode's key (check the mode and the key in the back office)",
            ),
        }
    }
}

impl Shop {
    /// Why the signature of a `vads_*` body that [`Shop::verify`] refused with
    /// `bad_signature` does not match, as far as the shop's key can tell: the other
    /// algorithm, `+` read as a space, or another key. `None` when the body does not
    /// parse, has no signature, the shop has no form key, or the signature matches.
    /// Allocates and computes several signatures: for an operator's diagnostic (the CLI's
    /// `vads verify`), never on the path of a notification. The answer holds no key and no
    /// computed signature.
    ///
    /// ```
    /// use vads::{Algorithm, Mode, SecretString, Shop, ShopConfig, SignatureHint};
    /// let mut c = ShopConfig::new("12345678", Mode::Test);
    /// c.test_key = Some(SecretString::new("1122334455667788".into()));
    /// c.algorithm = Algorithm::HmacSha256;
    /// let shop = Shop::new(c)?;
    /// let fields = [("vads_ctx_mode", "TEST"), ("vads_site_id", "12345678"), ("vads_amount", "100")];
    /// let key: vads::Key = "1122334455667788".parse()?;
    /// let sha1 = vads::sign(fields.iter().copied(), &key, Algorithm::Sha1)?;
    /// let body = format!("vads_ctx_mode=TEST&vads_site_id=12345678&vads_amount=100&signature={}", sha1.as_str());
    /// assert!(shop.verify(body.as_bytes()).is_err());
    /// assert_eq!(
    ///     shop.diagnose_signature(body.as_bytes()),
    ///     Some(SignatureHint::OtherAlgorithm { signed_with: Algorithm::Sha1, configured: Algorithm::HmacSha256 })
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn diagnose_signature(&self, body: &[u8]) -> Option<SignatureHint> {
        let key = self.key.as_ref()?;
        let mut storage = vec![body::RawField::EMPTY; MAX_FIELDS];
        let fields = body::parse(body, &mut storage).ok()?;
        let received = fields.iter().find(|f| f.name_is("signature"))?.value();
        let pairs: Vec<(String, String)> = fields
            .iter()
            .filter(|f| f.raw_name().starts_with(b"vads_"))
            .map(|f| (f.name().into_owned(), f.value().into_owned()))
            .collect();
        let valid = |pairs: &[(String, String)], algorithm: Algorithm| {
            signing::sign(
                pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                key,
                algorithm,
            )
            .is_ok_and(|s| s.matches(&received))
        };
        if valid(&pairs, self.algorithm) {
            return None;
        }
        let other = match self.algorithm {
            Algorithm::HmacSha256 => Algorithm::Sha1,
            Algorithm::Sha1 => Algorithm::HmacSha256,
        };
        if valid(&pairs, other) {
            return Some(SignatureHint::OtherAlgorithm {
                signed_with: other,
                configured: self.algorithm,
            });
        }
        let spaced: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| v.contains(' '))
            .map(|(n, _)| n.clone())
            .collect();
        // Which spaces were '+' is unknown (a value may hold genuine spaces too): for each
        // field, every choice of its spaces (at most 2^8), within a bound of tries.
        let mut tries = 0usize;
        for name in &spaced {
            let Some((index, (_, value))) = pairs.iter().enumerate().find(|(_, (n, _))| n == name)
            else {
                continue;
            };
            let spaces: Vec<usize> = value
                .char_indices()
                .filter(|(_, c)| *c == ' ')
                .map(|(i, _)| i)
                .take(8)
                .collect();
            for mask in 1u32..(1 << spaces.len()) {
                tries += 1;
                if tries > MAX_SPACE_TRIES {
                    return Some(SignatureHint::OtherKey);
                }
                let mut bytes = value.clone().into_bytes();
                for (bit, at) in spaces.iter().enumerate() {
                    if let (true, Some(b)) = (mask & (1 << bit) != 0, bytes.get_mut(*at)) {
                        *b = b'+';
                    }
                }
                let mut candidate = pairs.clone();
                if let Some(pair) = candidate.get_mut(index) {
                    pair.1 = String::from_utf8(bytes).unwrap_or_default();
                }
                if valid(&candidate, self.algorithm) {
                    return Some(SignatureHint::SpaceForPlus {
                        fields: vec![name.clone()],
                    });
                }
            }
        }
        Some(SignatureHint::OtherKey)
    }
}

/// [`Shop::verify`]'s general path alone: every body, every error, in the order the
/// documentation of [`Shop::verify`] gives. `verify` gives the same result for every body
/// (it takes a faster path to the same verdict when it can); this exists so that the
/// differential checks (`tests/verify_paths.rs`, fuzz target `verify_paths`) can compare
/// them. Not part of the API.
#[doc(hidden)]
pub fn verify_general<'b>(shop: &Shop, body: &'b [u8]) -> Result<Notification<'b>, VerifyError> {
    verifier::verify_form_general(body, &shop.form_keys())
}
