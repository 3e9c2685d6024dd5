//! The platform brands and their payment URLs (protocol section 5), and the shape check
//! of a URL in a configuration.

/// A platform brand and its payment URL (protocol section 5). TEST and PRODUCTION use the
/// same URL; a shop must post to its own brand's host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Brand {
    /// PayZen (Europe).
    PayZen,
    /// PayZen LATAM.
    PayZenLatam,
    /// PayZen Brazil.
    PayZenBrazil,
    /// PayZen India.
    PayZenIndia,
    /// Systempay.
    Systempay,
    /// Sogecommerce.
    Sogecommerce,
    /// Scellius.
    Scellius,
    /// Clic&Pay.
    ClicAndPay,
    /// Lyra Collect.
    LyraCollect,
    /// Mi Cuenta Web.
    MiCuentaWeb,
    /// Cobro Inmediato.
    CobroInmediato,
    /// OSB.
    Osb,
    /// EpayNC.
    EpayNc,
    /// Innopay.
    Innopay,
    /// Payty.
    Payty,
}

const BRANDS: [(Brand, &str, &str); 15] = [
    (
        Brand::PayZen,
        "payzen",
        "https://secure.payzen.eu/vads-payment/",
    ),
    (
        Brand::PayZenLatam,
        "payzen-latam",
        "https://secure.payzen.lat/vads-payment/",
    ),
    (
        Brand::PayZenBrazil,
        "payzen-brazil",
        "https://secure.payzen.com.br/vads-payment/",
    ),
    (
        Brand::PayZenIndia,
        "payzen-india",
        "https://secure.payzen.co.in/vads-payment/",
    ),
    (
        Brand::Systempay,
        "systempay",
        "https://paiement.systempay.fr/vads-payment/",
    ),
    (
        Brand::Sogecommerce,
        "sogecommerce",
        "https://sogecommerce.societegenerale.eu/vads-payment/",
    ),
    (
        Brand::Scellius,
        "scellius",
        "https://scelliuspaiement.labanquepostale.fr/vads-payment/",
    ),
    (
        Brand::ClicAndPay,
        "clicandpay",
        "https://clicandpay.groupecdn.fr/vads-payment/",
    ),
    (
        Brand::LyraCollect,
        "lyra-collect",
        "https://secure.lyra.com/vads-payment/",
    ),
    (
        Brand::MiCuentaWeb,
        "micuentaweb",
        "https://secure.micuentaweb.pe/vads-payment/",
    ),
    (
        Brand::CobroInmediato,
        "cobroinmediato",
        "https://secure.cobroinmediato.tech/vads-payment/",
    ),
    (Brand::Osb, "osb", "https://secure.osb.pf/vads-payment/"),
    (Brand::EpayNc, "epaync", "https://epaync.nc/vads-payment/"),
    (
        Brand::Innopay,
        "innopay",
        "https://secure.innopay.ch/vads-payment/",
    ),
    (
        Brand::Payty,
        "payty",
        "https://secure.payty.com/vads-payment/",
    ),
];

/// The REST API hosts the platforms' documentation confirms (protocol section 8); the
/// other brands' are unconfirmed and must be configured (`api_url`).
const API_HOSTS: [(Brand, &str); 7] = [
    (Brand::PayZen, "https://api.payzen.eu"),
    (Brand::PayZenLatam, "https://api.payzen.lat"),
    (Brand::Systempay, "https://api.systempay.fr"),
    (
        Brand::Sogecommerce,
        "https://api-sogecommerce.societegenerale.eu",
    ),
    (
        Brand::Scellius,
        "https://api.scelliuspaiement.labanquepostale.fr",
    ),
    (Brand::LyraCollect, "https://api.lyra.com"),
    (Brand::MiCuentaWeb, "https://api.micuentaweb.pe"),
];

impl Brand {
    /// The names accepted in a config's `brand`.
    pub const NAMES: [&'static str; 15] = {
        let mut names = [""; 15];
        let mut i = 0;
        while i < 15 {
            names[i] = BRANDS[i].1;
            i += 1;
        }
        names
    };

    /// The brand of a config name (case-insensitive; `-`, `_` and spaces ignored, `&` read
    /// as `and`).
    ///
    /// ```
    /// use vads::form::Brand;
    /// assert_eq!(Brand::from_name("Systempay"), Some(Brand::Systempay));
    /// assert_eq!(Brand::from_name("Clic&Pay"), Some(Brand::ClicAndPay));
    /// assert_eq!(Brand::from_name("nope"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Option<Brand> {
        let norm = |s: &str| {
            s.replace('&', "and")
                .chars()
                .filter(|c| !matches!(c, '-' | '_' | ' '))
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let wanted = norm(name);
        BRANDS
            .iter()
            .find(|(_, n, _)| norm(n) == wanted)
            .map(|(b, _, _)| *b)
    }

    /// The brand whose payment URL is `url`, if any.
    #[must_use]
    pub fn from_payment_url(url: &str) -> Option<Brand> {
        BRANDS
            .iter()
            .find(|(_, _, u)| u.trim_end_matches('/') == url.trim_end_matches('/'))
            .map(|(b, _, _)| *b)
    }

    /// The brand's REST API V4 host (protocol section 8), e.g. `https://api.payzen.eu`;
    /// `None` where no official source confirms it (configure `api_url` then).
    ///
    /// ```
    /// use vads::Brand;
    /// assert_eq!(Brand::Systempay.api_url(), Some("https://api.systempay.fr"));
    /// assert_eq!(Brand::Osb.api_url(), None);
    /// ```
    #[must_use]
    pub fn api_url(self) -> Option<&'static str> {
        API_HOSTS
            .iter()
            .find(|(b, _)| *b == self)
            .map(|(_, host)| *host)
    }

    /// The brand's payment URL.
    #[must_use]
    pub fn payment_url(self) -> &'static str {
        BRANDS
            .iter()
            .find(|(b, _, _)| *b == self)
            .map_or(BRANDS[0].2, |(_, _, u)| u)
    }
}

/// Whether `url` may carry a REST password: `https://`, or `http://` to a loopback host
/// (`127.0.0.1`, `localhost`, `[::1]`: a local simulator). Basic authentication over plain
/// HTTP to any other host would send the password in clear.
pub(crate) fn is_api_url(url: &str) -> bool {
    if !is_http_url(url) {
        return false;
    }
    match url.strip_prefix("http://") {
        None => true,
        Some(rest) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = match authority.strip_prefix("[::1]") {
                Some(port) => return port.is_empty() || is_port(port),
                None => authority,
            };
            let (name, port) = host.split_once(':').unwrap_or((host, ""));
            (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
                && (port.is_empty() || is_port(&format!(":{port}")))
        }
    }
}

/// `:` and 1 to 5 digits.
fn is_port(text: &str) -> bool {
    text.strip_prefix(':').is_some_and(|digits| {
        (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether `url` is an absolute `http(s)` URL with a host and no whitespace.
pub(crate) fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_url_is_https_or_a_loopback_simulator() {
        for ok in [
            "https://api.payzen.eu",
            "https://api.example.com:8443/",
            "http://127.0.0.1:8081",
            "http://localhost:3000/",
            "http://[::1]:8081",
            "http://127.0.0.1",
        ] {
            assert!(is_api_url(ok), "{ok}");
        }
        for refused in [
            "http://api.payzen.eu",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "http://127.0.0.1:port",
            "http://[::1].evil",
            "ftp://127.0.0.1",
            "api.payzen.eu",
            "https://",
            "https://api.payzen.eu/ x",
        ] {
            assert!(!is_api_url(refused), "{refused}");
        }
    }

    #[test]
    fn every_confirmed_host_is_an_https_api_url() {
        for (_, host) in API_HOSTS {
            assert!(
                host.starts_with("https://api") && is_api_url(host),
                "{host}"
            );
        }
    }
}
