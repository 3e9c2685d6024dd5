//! The payment form: typed fields, validation before signing, transaction ids, and the
//! signed form as HTML or JSON.
//!
//! This layer allocates (it builds strings); the signature itself goes through the same
//! zero-allocation core as [`crate::sign`].
//!
//! **Values are normalised, then signed, then emitted exactly as signed.** The platform
//! drops line breaks inside a posted value and then the signature fails (error 00), so,
//! like the platforms' own SDK, every value is trimmed and each run of whitespace (spaces,
//! tabs, line breaks) becomes one space. Other control characters are refused with
//! `invalid_field`. `<`, `>`, quotes and `&` are kept: the HTML output escapes them so that
//! the browser posts exactly the signed bytes.
//!
//! ```
//! use vads::{Mode, SecretString, Shop, ShopConfig};
//! let mut config = ShopConfig::new("12345678", Mode::Test);
//! config.test_key = Some(SecretString::new("1122334455667788".into()));
//! let shop = Shop::new(config)?;
//! let form = shop
//!     .form()
//!     .amount(1050)
//!     .currency("EUR")
//!     .order_id("A-1")
//!     .cust_email("buyer@example.com")
//!     .url_return("https://shop.example/return")
//!     .sign()?;
//! assert_eq!(form.get("vads_amount"), Some("1050"));
//! assert_eq!(form.get("vads_currency"), Some("978"));
//! assert_eq!(form.get("vads_ctx_mode"), Some("TEST"));
//! assert!(form.to_html().contains(r#"name="signature""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::app::form_error::invalid;
pub use crate::app::form_error::FormError;
pub use crate::app::recurring::{compact_date, Installments, RRule, Subscription};
use crate::policy::brand::is_http_url;
pub use crate::policy::brand::Brand;
use crate::policy::config::is_site_id;
use crate::policy::shop::Shop;
pub use crate::protocol::currency::{Currency, InvalidAmount};
use crate::protocol::recurring::{PageAction, PaymentSource};
use crate::protocol::time::{since_epoch, TransDate};
use indexmap::IndexMap;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

impl Shop {
    /// Starts a payment form for this shop (see [`crate::app::form`]).
    #[must_use]
    pub fn form(&self) -> FormBuilder<'_> {
        FormBuilder::new(self)
    }
}

/// A transaction id (`vads_trans_id`): 6 characters of `[0-9a-zA-Z]`, unique per shop per
/// **UTC day** (compared case-insensitively by the platform). `900000`–`999999` are
/// reserved for the platform.
///
/// A retry of a failed or cancelled payment needs a **new** id: a cancelled attempt still
/// uses its id for the day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransId(String);

impl TransId {
    /// Checks a given id.
    ///
    /// # Errors
    /// `invalid_field` unless 6 characters of `[0-9a-zA-Z]` outside `900000`–`999999`.
    pub fn new(id: &str) -> Result<TransId, FormError> {
        if id.len() != 6 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid(
                "vads_trans_id",
                "must be 6 characters of [0-9a-zA-Z]",
            ));
        }
        if id.bytes().all(|b| b.is_ascii_digit()) && id.starts_with('9') {
            return Err(invalid(
                "vads_trans_id",
                "900000-999999 are reserved for the platform",
            ));
        }
        Ok(TransId(id.to_owned()))
    }

    /// From the caller's own counter (e.g. a per-day database sequence): `000000` to
    /// `899999`.
    ///
    /// # Errors
    /// `invalid_field` when `counter` ≥ 900000 (reserved range): reset it daily.
    ///
    /// ```
    /// assert_eq!(vads::form::TransId::from_counter(42)?.as_str(), "000042");
    /// assert!(vads::form::TransId::from_counter(900_000).is_err());
    /// # Ok::<(), vads::form::FormError>(())
    /// ```
    pub fn from_counter(counter: u32) -> Result<TransId, FormError> {
        if counter >= 900_000 {
            return Err(invalid(
                "vads_trans_id",
                "a counter must stay below 900000 (reserved range); reset it every UTC day",
            ));
        }
        Ok(TransId(format!("{counter:06}")))
    }

    /// From the UTC time of day, like the platforms' SDK: tenths of a second since UTC
    /// midnight, `000000`–`863999`. No shared state; unique per shop per day as long as
    /// two payments of one shop never start within the same 100 ms (the collision window).
    /// Several processes of one shop that can start payments in the same 100 ms should use
    /// [`TransId::from_counter`] with a shared counter instead.
    #[must_use]
    pub fn from_time(t: SystemTime) -> TransId {
        let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let tenths = (since.as_secs() % 86_400) * 10 + u64::from(since.subsec_millis() / 100);
        TransId(format!("{tenths:06}"))
    }

    /// [`TransId::from_time`] now.
    #[must_use]
    pub fn generate() -> TransId {
        TransId::from_time(UNIX_EPOCH + since_epoch())
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Builds a payment form for a [`Shop`]; see the [module](self) documentation.
///
/// Setters never fail; every rule is checked by [`FormBuilder::sign`], which reports the
/// first broken one. The shop fills `vads_site_id`, `vads_ctx_mode` and `vads_version`;
/// `vads_action_mode` (`INTERACTIVE`), `vads_page_action` (`PAYMENT`),
/// `vads_payment_config` (`SINGLE`), `vads_trans_id` ([`TransId::generate`]) and
/// `vads_trans_date` (UTC now) get defaults when not set.
#[derive(Debug)]
pub struct FormBuilder<'s> {
    shop: &'s Shop,
    fields: IndexMap<String, String>,
    currency_error: bool,
}

/// Length limits used (characters), from the platform's field dictionary (protocol
/// section 3).
const LIMITS: &[(&str, usize)] = &[
    ("vads_order_id", 64),
    ("vads_order_info", 255),
    ("vads_order_info2", 255),
    ("vads_order_info3", 255),
    ("vads_cust_email", 150),
    ("vads_cust_first_name", 63),
    ("vads_cust_last_name", 63),
    ("vads_cust_address", 255),
    ("vads_cust_zip", 64),
    ("vads_cust_city", 128),
    ("vads_cust_phone", 32),
    ("vads_cust_cell_phone", 32),
    ("vads_ship_to_first_name", 63),
    ("vads_ship_to_last_name", 63),
    ("vads_ship_to_street", 255),
    ("vads_ship_to_zip", 64),
    ("vads_ship_to_city", 128),
    ("vads_ship_to_phone_num", 32),
    ("vads_url_return", 1024),
    ("vads_url_success", 1024),
    ("vads_url_refused", 1024),
    ("vads_url_cancel", 1024),
    ("vads_url_error", 1024),
    ("vads_url_check", 1024),
];

macro_rules! setters {
    ($($(#[$m:meta])* $fn:ident => $name:literal,)*) => {
        $(
            $(#[$m])*
            #[must_use]
            pub fn $fn(self, value: impl Into<String>) -> Self {
                self.field($name, value)
            }
        )*
    };
}

impl<'s> FormBuilder<'s> {
    pub(crate) fn new(shop: &'s Shop) -> Self {
        let mut fields = IndexMap::new();
        fields.insert("vads_site_id".to_owned(), shop.site_id().to_owned());
        fields.insert("vads_ctx_mode".to_owned(), shop.mode().as_str().to_owned());
        fields.insert("vads_version".to_owned(), "V2".to_owned());
        FormBuilder {
            shop,
            fields,
            currency_error: false,
        }
    }

    /// Sets any `vads_` field (e.g. `vads_ext_info_*` for your own data, returned in the
    /// notification). Setting a field twice keeps the last value.
    #[must_use]
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// The amount in minor units (cents for EUR): `5124` is 51.24 EUR. See
    /// [`Currency::minor_units`] for a decimal string.
    #[must_use]
    pub fn amount(self, minor_units: u64) -> Self {
        self.field("vads_amount", minor_units.to_string())
    }

    /// The currency: alphabetic (`EUR`) or numeric (`978`) ISO 4217 code.
    #[must_use]
    pub fn currency(mut self, code: &str) -> Self {
        match Currency::find(code) {
            Some(c) => self.field("vads_currency", c.numeric),
            None => {
                self.currency_error = true;
                self.fields.insert("vads_currency".into(), code.to_owned());
                self
            }
        }
    }

    /// The transaction id.
    #[must_use]
    pub fn trans_id(self, id: &TransId) -> Self {
        self.field("vads_trans_id", id.as_str())
    }

    /// The transaction date (UTC).
    #[must_use]
    pub fn trans_date(self, date: TransDate) -> Self {
        self.field("vads_trans_date", date.to_string())
    }

    setters! {
        /// `vads_order_id`: up to 64 characters of `[A-Za-z0-9_-]`.
        order_id => "vads_order_id",
        /// `vads_order_info`.
        order_info => "vads_order_info",
        /// `vads_cust_email`.
        cust_email => "vads_cust_email",
        /// `vads_cust_first_name`.
        cust_first_name => "vads_cust_first_name",
        /// `vads_cust_last_name`.
        cust_last_name => "vads_cust_last_name",
        /// `vads_cust_phone`.
        cust_phone => "vads_cust_phone",
        /// `vads_cust_cell_phone`.
        cust_cell_phone => "vads_cust_cell_phone",
        /// `vads_cust_address`.
        cust_address => "vads_cust_address",
        /// `vads_cust_zip`.
        cust_zip => "vads_cust_zip",
        /// `vads_cust_city`.
        cust_city => "vads_cust_city",
        /// `vads_cust_country`: 2 letters (ISO 3166).
        cust_country => "vads_cust_country",
        /// `vads_ship_to_first_name`.
        ship_to_first_name => "vads_ship_to_first_name",
        /// `vads_ship_to_last_name`.
        ship_to_last_name => "vads_ship_to_last_name",
        /// `vads_ship_to_street`.
        ship_to_street => "vads_ship_to_street",
        /// `vads_ship_to_zip`.
        ship_to_zip => "vads_ship_to_zip",
        /// `vads_ship_to_city`.
        ship_to_city => "vads_ship_to_city",
        /// `vads_ship_to_country`: 2 letters.
        ship_to_country => "vads_ship_to_country",
        /// `vads_language`: 2 lowercase letters (`fr`, `en`, ...).
        language => "vads_language",
        /// `vads_url_return`: where the browser comes back.
        url_return => "vads_url_return",
        /// `vads_url_success`.
        url_success => "vads_url_success",
        /// `vads_url_refused`.
        url_refused => "vads_url_refused",
        /// `vads_url_cancel`.
        url_cancel => "vads_url_cancel",
        /// `vads_url_error`.
        url_error => "vads_url_error",
        /// `vads_url_check`: overrides the notification URL for this payment.
        url_check => "vads_url_check",
        /// `vads_return_mode`: `GET`, `POST` or `NONE`.
        return_mode => "vads_return_mode",
        /// `vads_payment_config`: `SINGLE` (default) or `MULTI:...`.
        payment_config => "vads_payment_config",
    }

    /// An installment plan (`vads_payment_config=MULTI:...`); the total is the form's
    /// amount. Checked by [`FormBuilder::sign`] ([`Installments::check`]).
    #[must_use]
    pub fn installments(self, plan: Installments) -> Self {
        self.field("vads_payment_config", plan.config())
    }

    /// Installments at chosen dates (`vads_payment_config=MULTI_EXT:...`, an option of
    /// the shop's offer): `(YYYYMMDD, amount)` each, adding up to the form's amount.
    #[must_use]
    pub fn installments_ext(self, schedule: &[(&str, u64)]) -> Self {
        let parts: Vec<String> = schedule
            .iter()
            .map(|(date, amount)| {
                format!(
                    "{}={amount}",
                    compact_date(date).unwrap_or_else(|| (*date).to_owned())
                )
            })
            .collect();
        self.field(
            "vads_payment_config",
            format!("MULTI_EXT:{}", parts.join(";")),
        )
    }

    /// What the payment page does (`vads_page_action`): a payment (the default), save a
    /// card, subscribe, ... Each action's needs are checked by [`FormBuilder::sign`]: a
    /// token for `SUBSCRIBE` and the updates, the buyer's e-mail to save a card, no amount
    /// without a payment.
    #[must_use]
    pub fn page_action(self, action: PageAction<'_>) -> Self {
        self.field("vads_page_action", action.as_str())
    }

    /// The token (`vads_identifier`): the saved card to pay with or subscribe, or the id
    /// you choose for the one a registration creates (not the platform's 32-character
    /// shape).
    #[must_use]
    pub fn token(self, id: impl Into<String>) -> Self {
        self.field("vads_identifier", id)
    }

    /// A subscription the platform runs (`vads_sub_*`); with
    /// `page_action(REGISTER_SUBSCRIBE)`, `REGISTER_PAY_SUBSCRIBE` or `SUBSCRIBE`.
    #[must_use]
    pub fn subscription(mut self, subscription: &Subscription) -> Self {
        for (name, value) in subscription.fields() {
            self = self.field(name, value);
        }
        self
    }

    /// Who starts the payment (`vads_payment_src`): `EC` (the buyer; the default),
    /// `MOTO`, `CC`, `OTHER`.
    #[must_use]
    pub fn payment_src(self, source: PaymentSource<'_>) -> Self {
        self.field("vads_payment_src", source.as_str())
    }

    /// Normalises, validates and signs the form.
    ///
    /// # Errors
    /// [`FormError::InvalidField`] naming the field and the rule (see the module
    /// documentation), or a [`SignError`](crate::SignError).
    pub fn sign(self) -> Result<SignedForm, FormError> {
        let FormBuilder {
            shop,
            fields,
            currency_error,
        } = self;
        // The channel (`vads_payment_src`) chooses the shop that signs: its mode and key
        // (a MOTO form of a PRODUCTION shop whose MOTO channel is TEST is a TEST form).
        let channel = fields
            .get("vads_payment_src")
            .map_or(crate::protocol::channel::Channel::Website, |src| {
                crate::protocol::channel::Channel::of_payment_src(src.trim().as_bytes())
            });
        let website = shop;
        let shop = shop.for_channel(channel).map_err(|off| FormError::Rule {
            code: "channel_off",
            field: "vads_payment_src".to_owned(),
            sentence: format!(
                "the {} channel is off in the shop's configuration ([channels] {} = \"TEST\" or \"PRODUCTION\" to open it); nothing was signed",
                off.channel, off.channel
            ),
        })?;
        // The mode the builder filled in is the website's: a channel's form carries its own.
        let mut fields = fields;
        if let Some(mode) = fields.get_mut("vads_ctx_mode") {
            if mode == website.mode().as_str() {
                shop.mode().as_str().clone_into(mode);
            }
        }
        let mut out: IndexMap<String, String> = IndexMap::with_capacity(fields.len() + 6);
        for (name, value) in fields {
            let own = match name.as_str() {
                "vads_site_id" => Some(shop.site_id()),
                "vads_ctx_mode" => Some(shop.mode().as_str()),
                "vads_version" => Some("V2"),
                "signature" => Some(""),
                _ => None,
            };
            if own.is_some_and(|own| own != value || name == "signature") {
                return Err(invalid(
                    &name,
                    "is filled by the shop from its configuration; do not set it",
                ));
            }
            check_name(&name)?;
            let value = normalise(&name, &value)?;
            out.insert(name, value);
        }
        if currency_error {
            return Err(invalid(
                "vads_currency",
                "must be a known ISO 4217 code (EUR or 978)",
            ));
        }
        for (name, default) in [
            ("vads_action_mode", "INTERACTIVE"),
            ("vads_page_action", "PAYMENT"),
            ("vads_payment_config", "SINGLE"),
        ] {
            out.entry(name.to_owned())
                .or_insert_with(|| default.to_owned());
        }
        out.entry("vads_trans_id".to_owned())
            .or_insert_with(|| TransId::generate().0);
        out.entry("vads_trans_date".to_owned())
            .or_insert_with(|| TransDate::now().to_string());
        // The amount, unless the page action takes no payment (checked there); a currency
        // with any amount. Dates (a subscription's start, installments) are checked against
        // the payment's day, `vads_trans_date` (UTC).
        let today = out
            .get("vads_trans_date")
            .and_then(|d| TransDate::parse(d))
            .unwrap_or_else(TransDate::now);
        let warnings = crate::app::recurring::check(&out, today)?;
        if out.contains_key("vads_amount") && !out.contains_key("vads_currency") {
            return Err(invalid("vads_currency", "is required"));
        }
        for (name, value) in &out {
            validate(name, value)?;
        }
        let signature = shop.sign(out.iter().map(|(n, v)| (n.as_str(), v.as_str())))?;
        let mut fields: Vec<(String, String)> = out.into_iter().collect();
        fields.push(("signature".to_owned(), signature.as_str().to_owned()));
        Ok(SignedForm {
            action: shop.payment_url().to_owned(),
            fields,
            warnings,
        })
    }
}

fn check_name(name: &str) -> Result<(), FormError> {
    let ok = name.len() > 5
        && name.starts_with("vads_")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            name,
            "a field name must be vads_ followed by letters, digits or _",
        ))
    }
}

/// Trims and collapses whitespace (as the platforms' SDK does); refuses other control
/// characters.
fn normalise(name: &str, value: &str) -> Result<String, FormError> {
    if value.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(invalid(name, "must not contain control characters"));
    }
    Ok(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn validate(name: &str, value: &str) -> Result<(), FormError> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((_, max)) = LIMITS.iter().find(|(n, _)| *n == name) {
        if value.chars().count() > *max {
            return Err(invalid(
                name,
                match max {
                    32 => "is longer than 32 characters",
                    63 => "is longer than 63 characters",
                    64 => "is longer than 64 characters",
                    128 => "is longer than 128 characters",
                    150 => "is longer than 150 characters",
                    255 => "is longer than 255 characters",
                    _ => "is longer than 1024 characters",
                },
            ));
        }
    }
    let rule: Option<&'static str> = match name {
        "vads_site_id" if !is_site_id(value) => Some("must be 8 digits"),
        "vads_amount" if !digits(value) => {
            Some("must be digits only: an integer amount in minor units (5124 = 51.24 EUR)")
        }
        "vads_amount" if value.len() > 18 => {
            Some("is too large: at most 18 digits (999999999999999999 minor units)")
        }
        "vads_currency" if Currency::find(value).is_none() || !digits(value) => {
            Some("must be a known ISO 4217 numeric code (978 for EUR)")
        }
        "vads_trans_id" => TransId::new(value).err().map(|e| match e {
            FormError::InvalidField { rule, .. } => rule,
            FormError::Sign(_) | FormError::Rule { .. } => "invalid",
        }),
        "vads_trans_date" if TransDate::parse(value).is_none() => {
            Some("must be YYYYMMDDHHMMSS in UTC (14 digits)")
        }
        "vads_order_id"
            if value.is_empty()
                || !value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            Some("must be 1 to 64 characters of [A-Za-z0-9_-]")
        }
        "vads_cust_email" if !is_email(value) => {
            Some("must look like an e-mail address (name@domain.tld)")
        }
        "vads_cust_country" | "vads_ship_to_country"
            if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            Some("must be a 2-letter ISO 3166 country code")
        }
        "vads_language" if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_lowercase()) => {
            Some("must be 2 lowercase letters (ISO 639-1)")
        }
        "vads_return_mode" if !matches!(value, "GET" | "POST" | "NONE") => {
            Some("must be GET, POST or NONE")
        }
        "vads_action_mode" if !matches!(value, "INTERACTIVE" | "SILENT") => {
            Some("must be INTERACTIVE or SILENT")
        }
        "vads_redirect_success_timeout" | "vads_redirect_error_timeout"
            if !digits(value)
                || value.len() > 3
                || value.parse::<u32>().map_or(true, |v| v > 300) =>
        {
            Some("must be 0 to 300 seconds")
        }
        "vads_validation_mode" if !matches!(value, "0" | "1" | "") => {
            Some("must be 0 (automatic) or 1 (manual)")
        }
        "vads_capture_delay" if !digits(value) => Some("must be a number of days"),
        "vads_cust_phone" | "vads_cust_cell_phone" | "vads_ship_to_phone_num"
            if !value
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '.' | '(' | ')')) =>
        {
            Some("must contain only digits, spaces and + - . ( )")
        }
        n if n.starts_with("vads_url_") && !value.is_empty() && !is_http_url(value) => {
            Some("must be an absolute http(s) URL")
        }
        _ => None,
    };
    match rule {
        Some(rule) => Err(invalid(name, rule)),
        None => Ok(()),
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
}

/// A signed payment form: where to post and exactly what to post, `signature` last.
///
/// Serializes to JSON as `{"action": "...", "fields": [[name, value], ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignedForm {
    /// The payment URL.
    pub action: String,
    /// The fields in the order they were added, with `signature` last.
    pub fields: Vec<(String, String)>,
    /// What a person should know about a form that is nevertheless valid (e.g.
    /// `daily_same_day: ...`: a daily subscription starting today runs twice on the first
    /// night). Not serialized.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl SignedForm {
    /// A field's value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The signature.
    #[must_use]
    pub fn signature(&self) -> &str {
        self.get("signature").unwrap_or_default()
    }

    /// A complete `<form method="POST">` with hidden inputs and a submit button. Every
    /// attribute value is HTML-escaped, so the browser posts exactly the signed values.
    #[must_use]
    pub fn to_html(&self) -> String {
        self.html(false)
    }

    /// As [`SignedForm::to_html`], plus a script that submits the form on load (the
    /// button stays for browsers without JavaScript).
    #[must_use]
    pub fn to_html_auto_submit(&self) -> String {
        self.html(true)
    }

    fn html(&self, auto_submit: bool) -> String {
        let mut h = String::with_capacity(256 + self.fields.len() * 80);
        let _ = writeln!(
            h,
            r#"<form method="POST" action="{}" accept-charset="UTF-8" id="vads-payment-form">"#,
            escape_html(&self.action)
        );
        for (name, value) in &self.fields {
            let _ = writeln!(
                h,
                r#"  <input type="hidden" name="{}" value="{}">"#,
                escape_html(name),
                escape_html(value)
            );
        }
        h.push_str("  <button type=\"submit\">Pay</button>\n</form>\n");
        if auto_submit {
            h.push_str(
                "<script>document.getElementById(\"vads-payment-form\").submit();</script>\n",
            );
        }
        h
    }
}

/// Escapes text for an HTML attribute value or text node: `&`, `<`, `>`, `"`, `'`.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
