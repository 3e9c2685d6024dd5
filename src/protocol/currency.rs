//! ISO 4217 currencies: codes and minor units ([`Currency`]), a protocol fact shared by
//! forms, REST answers and the API.

use core::fmt;

/// A decimal amount that is not one of its currency ([`Currency::minor_units`]): not
/// digits with at most one separator, more decimals than the currency has, or too large.
/// Its `Display` is the form's `invalid_field: vads_amount: ...` (a form error converts
/// from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidAmount;

impl InvalidAmount {
    /// What the amount must be, as a sentence.
    pub const RULE: &'static str =
        "must be a decimal amount such as 19.99, with no more decimals than the currency has";
}

impl fmt::Display for InvalidAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid_field: vads_amount: {}", InvalidAmount::RULE)
    }
}

impl std::error::Error for InvalidAmount {}

/// An ISO 4217 currency: numeric code and number of decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    /// Alphabetic code, e.g. `EUR`.
    pub alpha: &'static str,
    /// Numeric code, e.g. `978`.
    pub numeric: &'static str,
    /// Decimals of the minor unit: EUR 2, JPY and XPF 0, KWD and TND 3.
    pub exponent: u32,
}

const CURRENCIES: &[(&str, &str, u32)] = &[
    ("AED", "784", 2),
    ("ARS", "032", 2),
    ("AUD", "036", 2),
    ("BGN", "975", 2),
    ("BHD", "048", 3),
    ("BOB", "068", 2),
    ("BRL", "986", 2),
    ("CAD", "124", 2),
    ("CHF", "756", 2),
    ("CLP", "152", 0),
    ("CNY", "156", 2),
    ("COP", "170", 2),
    ("CRC", "188", 2),
    ("CZK", "203", 2),
    ("DKK", "208", 2),
    ("DOP", "214", 2),
    ("EUR", "978", 2),
    ("GBP", "826", 2),
    ("GTQ", "320", 2),
    ("HKD", "344", 2),
    ("HUF", "348", 2),
    ("IDR", "360", 2),
    ("ILS", "376", 2),
    ("INR", "356", 2),
    ("ISK", "352", 0),
    ("JOD", "400", 3),
    ("JPY", "392", 0),
    ("KRW", "410", 0),
    ("KWD", "414", 3),
    ("MAD", "504", 2),
    ("MXN", "484", 2),
    ("MYR", "458", 2),
    ("NOK", "578", 2),
    ("NZD", "554", 2),
    ("OMR", "512", 3),
    ("PEN", "604", 2),
    ("PHP", "608", 2),
    ("PLN", "985", 2),
    ("PYG", "600", 0),
    ("RON", "946", 2),
    ("SAR", "682", 2),
    ("SEK", "752", 2),
    ("SGD", "702", 2),
    ("THB", "764", 2),
    ("TND", "788", 3),
    ("TRY", "949", 2),
    ("USD", "840", 2),
    ("UYU", "858", 2),
    ("VND", "704", 0),
    ("XAF", "950", 0),
    ("XOF", "952", 0),
    ("XPF", "953", 0),
    ("ZAR", "710", 2),
];

impl Currency {
    /// Looks a currency up by alphabetic (`EUR`, case-insensitive) or numeric (`978`) code.
    ///
    /// ```
    /// let eur = vads::form::Currency::find("eur").unwrap();
    /// assert_eq!((eur.numeric, eur.exponent), ("978", 2));
    /// assert_eq!(vads::form::Currency::find("953").unwrap().alpha, "XPF");
    /// assert!(vads::form::Currency::find("XXX").is_none());
    /// ```
    #[must_use]
    pub fn find(code: &str) -> Option<Currency> {
        CURRENCIES
            .iter()
            .find(|(a, n, _)| a.eq_ignore_ascii_case(code) || *n == code)
            .map(|&(alpha, numeric, exponent)| Currency {
                alpha,
                numeric,
                exponent,
            })
    }

    /// Converts a decimal amount (`"19.99"`, `"19,99"`, `"20"`) to minor units, exactly
    /// (no floating point). More decimals than the currency has is an error, never a
    /// rounding.
    ///
    /// # Errors
    /// [`InvalidAmount`] for anything but digits with at most one separator, too many
    /// decimals, or an overflow (`invalid_field` on `vads_amount`, as a form error).
    ///
    /// ```
    /// use vads::form::Currency;
    /// assert_eq!(Currency::find("EUR").unwrap().minor_units("19.99")?, 1999);
    /// assert_eq!(Currency::find("EUR").unwrap().minor_units("20")?, 2000);
    /// assert_eq!(Currency::find("JPY").unwrap().minor_units("1500")?, 1500);
    /// assert_eq!(Currency::find("KWD").unwrap().minor_units("1.5")?, 1500);
    /// assert!(Currency::find("EUR").unwrap().minor_units("19.999").is_err());
    /// assert!(Currency::find("XPF").unwrap().minor_units("10.5").is_err());
    /// # Ok::<(), vads::form::FormError>(())
    /// ```
    pub fn minor_units(&self, decimal: &str) -> Result<u64, InvalidAmount> {
        let bad = || InvalidAmount;
        let (int, frac) = match decimal.find(['.', ',']) {
            Some(i) => (&decimal[..i], &decimal[i + 1..]),
            None => (decimal, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > self.exponent as usize {
            return Err(bad());
        }
        if decimal.contains(['.', ',']) && frac.is_empty() {
            return Err(bad());
        }
        let scale = 10u64.pow(self.exponent);
        let int: u64 = int.parse().map_err(|_| bad())?;
        let mut f: u64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        for _ in frac.len()..self.exponent as usize {
            f *= 10;
        }
        int.checked_mul(scale)
            .and_then(|v| v.checked_add(f))
            .ok_or_else(bad)
    }
}
