//! Several shops in one process: a website and a call centre, or several brands, each
//! with its own site id, keys and mode (one can be in PRODUCTION while another stays in
//! TEST). Signing picks a shop by name; verification dispatches on `vads_site_id`.
//!
//! ```toml
//! [shops.website]
//! site_id = "12345678"
//! ctx_mode = "PRODUCTION"
//! production_key_file = "/run/secrets/website_production_key"
//!
//! [shops.call-centre]
//! site_id = "87654321"
//! ctx_mode = "TEST"
//! test_key_env = "CALL_CENTRE_TEST_KEY"
//! ```
//!
//! A single-shop config (the fields of [`ShopConfig`] at the top level) is a set of one
//! shop named `default`.

use crate::body;
use crate::error::VerifyError;
use crate::notification::Notification;
use crate::shop::{ConfigError, Shop, ShopConfig};
use indexmap::IndexMap;

/// The configuration of several named shops.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ShopsConfig {
    /// The shops by name, in config order.
    pub shops: IndexMap<String, ShopConfig>,
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
    /// [`ConfigError::Invalid`], whose message never quotes a value.
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    message: crate::shop::redact_quoted(e.message()),
                })?;
        if table.contains_key("shops") {
            toml::from_str(text).map_err(|e| ConfigError::Invalid {
                message: crate::shop::redact_quoted(e.message()),
            })
        } else {
            ShopConfig::from_toml_str(text).map(ShopsConfig::single)
        }
    }

    /// Reads a TOML file (feature `toml`); relative key file paths are taken relative to
    /// the file's folder.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when the file cannot be read or parsed.
    #[cfg(feature = "toml")]
    pub fn from_toml_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let mut config = crate::shop::read_toml_file(path, Self::from_toml_str)?;
        let base = path.parent().unwrap_or(std::path::Path::new(""));
        for shop in config.shops.values_mut() {
            shop.resolve_relative_paths(base);
        }
        Ok(config)
    }
}

/// Validated shops. Two shops never share a site id.
#[derive(Debug)]
pub struct Shops {
    shops: Vec<(String, Shop)>,
}

impl Shops {
    /// Checks every shop's config, and that site ids are unique.
    ///
    /// # Errors
    /// [`ConfigError::InShop`] wrapping a shop's error, [`ConfigError::DuplicateSiteId`],
    /// [`ConfigError::Invalid`] when there is no shop.
    pub fn new(config: ShopsConfig) -> Result<Shops, ConfigError> {
        if config.shops.is_empty() {
            return Err(ConfigError::Invalid {
                message: "the config has no shop".into(),
            });
        }
        let mut shops: Vec<(String, Shop)> = Vec::with_capacity(config.shops.len());
        for (name, c) in config.shops {
            let shop = Shop::new(c).map_err(|source| ConfigError::InShop {
                shop: name.clone(),
                source: Box::new(source),
            })?;
            if let Some((other, _)) = shops.iter().find(|(_, s)| s.site_id() == shop.site_id()) {
                return Err(ConfigError::DuplicateSiteId {
                    first: other.clone(),
                    second: name,
                });
            }
            shops.push((name, shop));
        }
        Ok(Shops { shops })
    }

    /// The shop named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Shop> {
        self.shops.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    /// The only shop, when there is exactly one.
    #[must_use]
    pub fn only(&self) -> Option<&Shop> {
        match self.shops.as_slice() {
            [(_, shop)] => Some(shop),
            _ => None,
        }
    }

    /// The shops' names, in config order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.shops.iter().map(|(n, _)| n.as_str())
    }

    /// The shops with their names, in config order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Shop)> {
        self.shops.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// Verifies a notification with the shop whose site id it carries, and returns that
    /// shop's name with the notification. No heap allocation.
    ///
    /// # Errors
    /// [`VerifyError::SiteMismatch`] when no shop has the body's `vads_site_id`, and the
    /// errors of [`Shop::verify`].
    pub fn verify<'b>(&self, body: &'b [u8]) -> Result<(&str, Notification<'b>), VerifyError> {
        if let [(name, shop)] = self.shops.as_slice() {
            // One shop: exactly Shop::verify, with its order of checks.
            return shop.verify(body).map(|n| (name.as_str(), n));
        }
        if body.len() > crate::MAX_BODY_LEN {
            return Err(VerifyError::BodyTooLarge);
        }
        let site = body::segments(body).find(|f| f.name_is("vads_site_id"));
        let (name, shop) = self
            .shops
            .iter()
            .find(|(_, s)| site.is_some_and(|f| f.value_is(s.site_id())))
            .ok_or(VerifyError::SiteMismatch)?;
        shop.verify(body).map(|n| (name.as_str(), n))
    }
}
