//! Correctly signed notifications for any scenario, so that a shop's own tests can
//! exercise its notification handler offline (feature `testing`): first delivery,
//! automatic retry, back-office replay, batch update, repeated and out-of-order deliveries.
//!
//! ```
//! use vads::testing::NotificationBuilder;
//! use vads::{Mode, Outcome, SecretString, Shop, ShopConfig, TransStatus, UrlCheckSource};
//!
//! let mut config = ShopConfig::new("12345678", Mode::Test);
//! config.test_key = Some(SecretString::new("my-test-key-123".into()));
//! let shop = Shop::new(config)?;
//!
//! // The payment is authorised, then the same notification is retried by the platform.
//! let paid = NotificationBuilder::new(&shop).order_id("A-1").amount(1050).currency("978");
//! let first = paid.clone().body()?;
//! let retry = paid.clone().url_check_src(UrlCheckSource::Retry).body()?;
//! let n1 = shop.verify(first.as_bytes())?;
//! let n2 = shop.verify(retry.as_bytes())?;
//! assert_eq!(n1.outcome(), Outcome::Paid);
//! assert_eq!(n1.idempotency_key(), n2.idempotency_key()); // record it once
//!
//! // A later capture arrives with a new status (a new idempotency key).
//! let captured = paid.status(TransStatus::Captured).url_check_src(UrlCheckSource::Batch).body()?;
//! assert_ne!(shop.verify(captured.as_bytes())?.idempotency_key(), n1.idempotency_key());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::algorithm::Algorithm;
use crate::error::SignError;
use crate::key::Key;
use crate::mode::Mode;
use crate::notification::{TransStatus, UrlCheckSource};
use crate::shop::Shop;
use crate::time::{since_epoch, TransDate};
use indexmap::IndexMap;

/// Builds a notification body (`application/x-www-form-urlencoded`) signed like the
/// platform signs it. Defaults: an `AUTHORISED` single payment of 1000 (minor units) in
/// EUR, first delivery (`PAY`), with a fresh transaction uuid, id and UTC date, carrying
/// `vads_hash` and `vads_url_check_src` like an IPN.
#[derive(Debug, Clone)]
pub struct NotificationBuilder<'s> {
    shop: &'s Shop,
    fields: IndexMap<String, String>,
}

impl<'s> NotificationBuilder<'s> {
    /// A notification for `shop`, in its mode, signed with the key of its mode.
    #[must_use]
    pub fn new(shop: &'s Shop) -> Self {
        let nanos = since_epoch().as_nanos();
        let uuid = format!("{:032x}", nanos ^ 0x5a5a_0000_0000_0000_0000_0000_0000_0000);
        let mut fields = IndexMap::new();
        for (n, v) in [
            ("vads_action_mode", "INTERACTIVE".to_owned()),
            ("vads_amount", "1000".to_owned()),
            ("vads_auth_result", "00".to_owned()),
            ("vads_card_brand", "CB".to_owned()),
            ("vads_card_number", "497010XXXXXX0055".to_owned()),
            ("vads_ctx_mode", shop.mode().as_str().to_owned()),
            ("vads_currency", "978".to_owned()),
            ("vads_effective_amount", "1000".to_owned()),
            ("vads_hash", format!("{:064x}", nanos)),
            ("vads_operation_type", "DEBIT".to_owned()),
            ("vads_order_id", "ORDER-1".to_owned()),
            ("vads_page_action", "PAYMENT".to_owned()),
            ("vads_payment_config", "SINGLE".to_owned()),
            ("vads_result", "00".to_owned()),
            ("vads_site_id", shop.site_id().to_owned()),
            ("vads_trans_date", TransDate::now().to_string()),
            (
                "vads_trans_id",
                crate::form::TransId::generate().as_str().to_owned(),
            ),
            ("vads_trans_status", "AUTHORISED".to_owned()),
            ("vads_trans_uuid", uuid),
            ("vads_url_check_src", "PAY".to_owned()),
            ("vads_version", "V2".to_owned()),
        ] {
            fields.insert(n.to_owned(), v);
        }
        NotificationBuilder { shop, fields }
    }

    /// A notification of exactly `fields` (nothing added), for `shop`: e.g. to send again
    /// what [`NotificationBuilder::fields`] gave, with one field changed.
    #[must_use]
    pub fn from_fields(shop: &'s Shop, fields: &[(String, String)]) -> Self {
        NotificationBuilder {
            shop,
            fields: fields.iter().cloned().collect(),
        }
    }

    /// Sets (or adds) any field.
    #[must_use]
    pub fn field(mut self, name: &str, value: impl Into<String>) -> Self {
        self.fields.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a field.
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.fields.shift_remove(name);
        self
    }

    /// `vads_trans_status`, with the `vads_result` and `vads_operation_type` the platform
    /// sends with it (refused: `05`; abandoned or cancelled: `17` and no operation type).
    #[must_use]
    pub fn status(self, status: TransStatus) -> Self {
        let b = self.field("vads_trans_status", status.as_str());
        match status {
            TransStatus::Refused => b.field("vads_result", "05").field("vads_auth_result", "05"),
            // The buyer left: no transaction was created (no uuid, no card).
            TransStatus::Abandoned => b
                .field("vads_result", "17")
                .without("vads_operation_type")
                .without("vads_auth_result")
                .without("vads_trans_uuid")
                .without("vads_card_number")
                .without("vads_card_brand")
                .without("vads_effective_amount"),
            TransStatus::Cancelled => b
                .field("vads_result", "17")
                .without("vads_operation_type")
                .without("vads_auth_result"),
            _ => b,
        }
    }

    /// `vads_amount` (and `vads_effective_amount`), in minor units.
    #[must_use]
    pub fn amount(self, minor_units: u64) -> Self {
        self.field("vads_amount", minor_units.to_string())
            .field("vads_effective_amount", minor_units.to_string())
    }

    /// `vads_currency`: ISO 4217 numeric code.
    #[must_use]
    pub fn currency(self, numeric: &str) -> Self {
        self.field("vads_currency", numeric)
    }

    /// `vads_ctx_mode` (e.g. to test that a mismatching mode is refused).
    #[must_use]
    pub fn mode(self, mode: Mode) -> Self {
        self.field("vads_ctx_mode", mode.as_str())
    }

    /// `vads_url_check_src`: first delivery (`Pay`), automatic retry (`Retry`),
    /// back-office replay (`Bo`), batch update (`Batch`), ...
    #[must_use]
    pub fn url_check_src(self, src: UrlCheckSource) -> Self {
        self.field("vads_url_check_src", src.as_str())
    }

    /// `vads_payment_config`, e.g. `MULTI:first=5000;count=3;period=30`.
    #[must_use]
    pub fn payment_config(self, config: &str) -> Self {
        self.field("vads_payment_config", config)
    }

    /// `vads_order_id`.
    #[must_use]
    pub fn order_id(self, id: &str) -> Self {
        self.field("vads_order_id", id)
    }

    /// `vads_trans_id`.
    #[must_use]
    pub fn trans_id(self, id: &str) -> Self {
        self.field("vads_trans_id", id)
    }

    /// `vads_trans_uuid`.
    #[must_use]
    pub fn trans_uuid(self, uuid: &str) -> Self {
        self.field("vads_trans_uuid", uuid)
    }

    /// Makes it a browser return: without `vads_hash` and `vads_url_check_src`.
    #[must_use]
    pub fn browser_return(self) -> Self {
        self.without("vads_hash").without("vads_url_check_src")
    }

    /// The fields, in order, without the signature.
    #[must_use]
    pub fn fields(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect()
    }

    /// The fields with their `signature` last, signed with the key and algorithm of the
    /// shop's mode (e.g. to render a browser return as a POST form).
    ///
    /// # Errors
    /// [`SignError`] when the shop cannot sign (or a field is duplicated).
    pub fn signed_fields(self) -> Result<Vec<(String, String)>, SignError> {
        let key = self.shop.signing_key();
        let algorithm = self.shop.algorithm();
        self.fields_signed_with(key, algorithm)
    }

    fn fields_signed_with(
        self,
        key: &Key,
        algorithm: Algorithm,
    ) -> Result<Vec<(String, String)>, SignError> {
        let pairs = self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let signature = crate::signing::sign(pairs, key, algorithm)?;
        let mut fields = self.fields();
        fields.push(("signature".to_owned(), signature.as_str().to_owned()));
        Ok(fields)
    }

    /// The urlencoded body, signed with the key and algorithm of the shop's mode.
    ///
    /// # Errors
    /// [`SignError`] when the shop cannot sign (or a field is duplicated).
    pub fn body(self) -> Result<String, SignError> {
        self.signed_fields().map(|f| urlencode_pairs(&f))
    }

    /// The urlencoded body signed with `key` and `algorithm` (e.g. a forged or a
    /// previous key, to test rejections and key rotation).
    ///
    /// # Errors
    /// [`SignError`] on a duplicated field.
    pub fn body_signed_with(self, key: &Key, algorithm: Algorithm) -> Result<String, SignError> {
        self.fields_signed_with(key, algorithm)
            .map(|f| urlencode_pairs(&f))
    }
}

/// Fields as an `application/x-www-form-urlencoded` body, in order.
///
/// ```
/// let body = vads::testing::urlencode_pairs(&[("vads_a".into(), "x y".into()), ("b".into(), "&".into())]);
/// assert_eq!(body, "vads_a=x+y&b=%26");
/// ```
#[must_use]
pub fn urlencode_pairs(fields: &[(String, String)]) -> String {
    let mut out = String::new();
    for (n, v) in fields {
        if !out.is_empty() {
            out.push('&');
        }
        urlencode_into(n, &mut out);
        out.push('=');
        urlencode_into(v, &mut out);
    }
    out
}

/// `application/x-www-form-urlencoded` encoding, as browsers and the platform do.
///
/// ```
/// let mut s = String::new();
/// vads::testing::urlencode_into("a b+c/é", &mut s);
/// assert_eq!(s, "a+b%2Bc%2F%C3%A9");
/// ```
pub fn urlencode_into(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}
