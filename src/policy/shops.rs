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
//! A single-shop config (the fields of [`crate::ShopConfig`] at the top level) is a set of
//! one shop named [`crate::DEFAULT_SHOP`]; see [`ShopsConfig`].

use crate::policy::config::{ConfigError, ShopsConfig};
use crate::policy::observe;
use crate::policy::shop::Shop;
use crate::protocol::body;
use crate::protocol::endpoint::Endpoint;
use crate::protocol::error::VerifyError;
use crate::protocol::limits::MAX_BODY_LEN;
use crate::protocol::notification::Notification;
use crate::protocol::rest::{self, AnyNotification, Format, RestNotification};

/// Validated shops. Two shops never share a site id.
#[derive(Debug)]
pub struct Shops {
    shops: Vec<(String, Shop)>,
}

impl From<Shop> for Shops {
    /// One shop, named [`crate::DEFAULT_SHOP`].
    fn from(shop: Shop) -> Shops {
        Shops {
            shops: vec![(crate::policy::config::DEFAULT_SHOP.to_owned(), shop)],
        }
    }
}

impl Shops {
    /// Checks every shop's config, and that site ids are unique.
    ///
    /// # Errors
    /// [`ConfigError::InShop`] wrapping a shop's error, [`ConfigError::DuplicateSiteId`],
    /// [`ConfigError::NoShop`] when there is no shop.
    pub fn new(config: ShopsConfig) -> Result<Shops, ConfigError> {
        if config.shops.is_empty() {
            return Err(ConfigError::NoShop);
        }
        let mut shops: Vec<(String, Shop)> = Vec::with_capacity(config.shops.len());
        for (name, c) in config.shops {
            let shop = Shop::new(c).map_err(|source| ConfigError::InShop {
                shop: crate::protocol::shown::shown_name(&name, &[]),
                source: Box::new(source),
            })?;
            if let Some((other, _)) = shops.iter().find(|(_, s)| s.site_id() == shop.site_id()) {
                return Err(ConfigError::DuplicateSiteId {
                    first: crate::protocol::shown::shown_name(other, &[]),
                    second: crate::protocol::shown::shown_name(&name, &[]),
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
        let (name, shop) = self
            .dispatch(body)
            .inspect_err(|e| observe::unrouted(Format::Form, e))?;
        shop.verify(body).map(|n| (name, n))
    }

    /// [`Shop::verify_rest`] with the shop whose site id the answer's `shopId` claims (or
    /// the only shop), for a body that arrived at `endpoint`. The claim only chooses the
    /// shop; that shop's key and checks decide.
    ///
    /// # Errors
    /// [`VerifyError::SiteMismatch`] when no shop has the claimed `shopId` (with several
    /// shops), and the errors of [`Shop::verify_rest`].
    pub fn verify_rest<'b>(
        &self,
        body: &'b [u8],
        endpoint: Endpoint,
    ) -> Result<(&str, RestNotification<'b>), VerifyError> {
        if let [(name, shop)] = self.shops.as_slice() {
            return shop.verify_rest(body, endpoint).map(|n| (name.as_str(), n));
        }
        let (name, shop) = self
            .rest_dispatch(body)
            .inspect_err(|e| observe::unrouted(Format::Rest, e))?;
        shop.verify_rest(body, endpoint).map(|n| (name, n))
    }

    /// [`Shop::verify_any`] over several shops: a REST answer ([`Format::of`]) with
    /// [`Shops::verify_rest`], anything else with [`Shops::verify`].
    ///
    /// # Errors
    /// Those of the format's verification.
    pub fn verify_any<'b>(
        &self,
        body: &'b [u8],
        endpoint: Endpoint,
    ) -> Result<(&str, AnyNotification<'b>), VerifyError> {
        match Format::of(body) {
            Format::Rest => self
                .verify_rest(body, endpoint)
                .map(|(name, n)| (name, AnyNotification::Rest(n))),
            Format::Form => self
                .verify(body)
                .map(|(name, n)| (name, AnyNotification::Form(n))),
        }
    }

    /// The shop whose site id a REST answer claims.
    fn rest_dispatch(&self, body: &[u8]) -> Result<(&str, &Shop), VerifyError> {
        if body.len() > MAX_BODY_LEN {
            return Err(VerifyError::BodyTooLarge);
        }
        let site = rest::claimed_site(body);
        self.shops
            .iter()
            .find(|(_, s)| site.is_some_and(|id| id.as_str() == s.site_id()))
            .map(|(name, shop)| (name.as_str(), shop))
            .ok_or(VerifyError::SiteMismatch {
                notification: site,
                shop: None,
            })
    }

    /// The shop whose site id the body carries.
    fn dispatch(&self, body: &[u8]) -> Result<(&str, &Shop), VerifyError> {
        if body.len() > MAX_BODY_LEN {
            return Err(VerifyError::BodyTooLarge);
        }
        let site = body::segments(body).find(|f| f.name_is("vads_site_id"));
        self.shops
            .iter()
            .find(|(_, s)| site.is_some_and(|f| f.value_is(s.site_id())))
            .map(|(name, shop)| (name.as_str(), shop))
            .ok_or(VerifyError::SiteMismatch {
                notification: site.and_then(|f| f.site_id()),
                shop: None,
            })
    }

    /// [`Shop::explain`] with the shop whose site id the body carries (or the only shop):
    /// the masked signing string of a received body. Allocates.
    ///
    /// # Errors
    /// [`VerifyError::SiteMismatch`] when no shop has the body's `vads_site_id` (with
    /// several shops), and the errors of [`Shop::explain`].
    pub fn explain(&self, body: &[u8]) -> Result<String, VerifyError> {
        match self.only() {
            Some(shop) => shop.explain(body),
            None => self.dispatch(body)?.1.explain(body),
        }
    }
}
