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

    /// The brand's payment URL.
    #[must_use]
    pub fn payment_url(self) -> &'static str {
        BRANDS
            .iter()
            .find(|(b, _, _)| *b == self)
            .map_or(BRANDS[0].2, |(_, _, u)| u)
    }
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
