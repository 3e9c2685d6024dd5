//! The requests: the shop's [`Credentials`] (the Basic header, built in a wiped buffer),
//! one typed request per operation, and [`HttpRequest`], the plain data a transport sends.

use super::answer::{FromAnswer, OrderTransactions, PaymentForm, SdkTestAnswer};
use super::error::RequestError;
use super::Operation;
use crate::policy::shop::Shop;
use crate::protocol::currency::Currency;
use crate::protocol::mode::Mode;
use crate::protocol::notification::OperationType;
use crate::protocol::rest_answer::RestTransaction;
use base64::Engine as _;
use core::fmt;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

/// What a shop calls the API with: its site id, the REST password of its mode (as the
/// `Authorization` header only), the API host. `Debug` shows no password.
///
/// ```
/// use vads::api::Credentials;
/// use vads::{Mode, SecretString, Shop, ShopConfig};
/// let mut c = ShopConfig::new("69876357", Mode::Test);
/// c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
/// let credentials = Credentials::of(&Shop::new(c)?)?;
/// assert_eq!(credentials.api_url(), "https://api.payzen.eu");
/// assert!(!format!("{credentials:?}").contains("DEMOPRIVATEKEY"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    site_id: String,
    mode: Mode,
    api_url: String,
    /// `Basic <base64(site:password)>`, wiped on drop.
    authorization: Zeroizing<String>,
}

impl Credentials {
    /// The credentials of `shop`'s mode: its site id, its REST password, its API host
    /// ([`Shop::api_url`]).
    ///
    /// # Errors
    /// [`RequestError::NoPassword`], [`RequestError::NoApiUrl`].
    pub fn of(shop: &Shop) -> Result<Credentials, RequestError> {
        let password = shop.rest_password().ok_or(RequestError::NoPassword)?;
        let api_url = shop.api_url().ok_or(RequestError::NoApiUrl)?;
        Ok(Credentials {
            site_id: shop.site_id().to_owned(),
            mode: shop.mode(),
            api_url: api_url.to_owned(),
            authorization: basic_authorization(shop.site_id().as_bytes(), password.expose()),
        })
    }

    /// The credentials of `channel`: its mode's REST password (a merchant-initiated
    /// charge of a PRODUCTION shop whose `merchant_initiated` channel is TEST is a TEST
    /// call).
    ///
    /// ```
    /// use vads::api::Credentials;
    /// use vads::{Channel, ChannelMode, Mode, SecretString, Shop, ShopConfig};
    /// let mut c = ShopConfig::new("69876357", Mode::Production);
    /// c.production_password = Some(SecretString::new("prodpassword_Hq2Zx9Lm4NpR7tW".into()));
    /// c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
    /// c.channels.merchant_initiated = ChannelMode::Test;
    /// let shop = Shop::new(c)?;
    /// assert_eq!(Credentials::for_channel(&shop, Channel::MerchantInitiated)?.mode(), Mode::Test);
    /// assert_eq!(Credentials::for_channel(&shop, Channel::Website)?.mode(), Mode::Production);
    /// assert_eq!(Credentials::for_channel(&shop, Channel::Moto).unwrap_err().code(), "channel_off");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`RequestError::ChannelOff`], and those of [`Credentials::of`].
    pub fn for_channel(
        shop: &Shop,
        channel: crate::protocol::channel::Channel,
    ) -> Result<Credentials, RequestError> {
        let shop = shop
            .for_channel(channel)
            .map_err(|off| RequestError::ChannelOff(off.channel))?;
        Credentials::of(shop)
    }

    /// The same credentials with another API host (a local simulator, a proxy of the
    /// shop's own). The host must be `https`, or `http` to a loopback address.
    ///
    /// # Errors
    /// [`RequestError::Invalid`] (`api_url`).
    pub fn with_api_url(mut self, url: &str) -> Result<Credentials, RequestError> {
        if !crate::policy::brand::is_api_url(url) {
            return Err(RequestError::Invalid {
                field: "api_url",
                expected: "an https URL (http only to 127.0.0.1, localhost or [::1])",
            });
        }
        url.trim_end_matches('/').clone_into(&mut self.api_url);
        Ok(self)
    }

    /// The shop id.
    #[must_use]
    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    /// The mode whose password these are (the password chooses the mode on the platform).
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The API host, without a trailing `/`.
    #[must_use]
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The HTTP request of `call`: `POST <host>/api-payment/V4/<Namespace>/<Op>`, its
    /// headers and its JSON body.
    ///
    /// # Errors
    /// [`RequestError::Invalid`] when a field of `call` is invalid (nothing is sent).
    pub fn request<C: ApiCall>(&self, call: &C) -> Result<HttpRequest, RequestError> {
        let body = serde_json::to_vec(&call.json()?).map_err(|_| RequestError::Invalid {
            field: "body",
            expected: "serialisable",
        })?;
        Ok(HttpRequest {
            operation: call.operation(),
            url: format!("{}{}", self.api_url, call.operation().path()),
            body,
            authorization: self.authorization.clone(),
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("site_id", &self.site_id)
            .field("mode", &self.mode)
            .field("api_url", &self.api_url)
            .field("authorization", &"<redacted>")
            .finish()
    }
}

/// `Basic base64(user:password)`, every intermediate buffer sized once (never grown, so
/// never copied) and wiped on drop.
pub(crate) fn basic_authorization(user: &[u8], password: &[u8]) -> Zeroizing<String> {
    let mut pair = Zeroizing::new(Vec::with_capacity(user.len() + 1 + password.len()));
    pair.extend_from_slice(user);
    pair.push(b':');
    pair.extend_from_slice(password);
    let encoded_len = pair.len().div_ceil(3) * 4;
    let mut encoded = Zeroizing::new(vec![0u8; encoded_len]);
    let mut header = Zeroizing::new(String::with_capacity(6 + encoded_len));
    header.push_str("Basic ");
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(pair.as_slice(), encoded.as_mut_slice())
        .unwrap_or(0);
    // Base64 is ASCII: always UTF-8.
    if let Ok(text) = core::str::from_utf8(&encoded[..written]) {
        header.push_str(text);
    }
    header
}

/// One HTTP request of the API, as plain data: `POST`, the URL, the headers, the JSON
/// body. `Debug` shows the operation, the URL and the body's length only.
#[derive(Clone)]
pub struct HttpRequest {
    operation: Operation,
    url: String,
    body: Vec<u8>,
    authorization: Zeroizing<String>,
}

impl HttpRequest {
    /// The operation.
    #[must_use]
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Always `POST`: every operation, reads included.
    #[must_use]
    pub fn method(&self) -> &'static str {
        "POST"
    }

    /// The full URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The JSON body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The headers to send: `Authorization` (a secret: mark it sensitive in your HTTP
    /// client, never log it), `Content-Type` and `Accept`.
    #[must_use]
    pub fn headers(&self) -> [(&'static str, &str); 3] {
        [
            ("Authorization", self.authorization.as_str()),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ]
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("operation", &self.operation)
            .field("url", &self.url)
            .field("body_len", &self.body.len())
            .field("authorization", &"<redacted>")
            .finish()
    }
}

/// What a transport got back: the HTTP status, the body (at most
/// [`super::MAX_ANSWER_LEN`] bytes), and the `Retry-After` the server asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
    /// The `Retry-After` header as a delay (its delta-seconds form), if any: how long the
    /// server asks a client to wait after HTTP 429 or 503 (or a `PSP_099` / `PSP_106`).
    pub retry_after: Option<std::time::Duration>,
}

impl HttpResponse {
    /// An answer with `status` and `body`, no `Retry-After`.
    #[must_use]
    pub fn new(status: u16, body: Vec<u8>) -> HttpResponse {
        HttpResponse {
            status,
            body,
            retry_after: None,
        }
    }

    /// The same answer with a `Retry-After` delay.
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Option<std::time::Duration>) -> HttpResponse {
        self.retry_after = retry_after;
        self
    }

    /// A `Retry-After` header's value read as delta-seconds (`"120"`): `None` for its
    /// HTTP-date form or anything else (the client then backs off on its own schedule).
    ///
    /// ```
    /// use std::time::Duration;
    /// use vads::api::HttpResponse;
    /// assert_eq!(HttpResponse::parse_retry_after("3"), Some(Duration::from_secs(3)));
    /// assert_eq!(HttpResponse::parse_retry_after("+3"), None);
    /// assert_eq!(HttpResponse::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    /// ```
    #[must_use]
    pub fn parse_retry_after(value: &str) -> Option<std::time::Duration> {
        let value = value.trim();
        if value.is_empty() || value.len() > 9 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        value.parse().ok().map(std::time::Duration::from_secs)
    }
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// One operation's request (implemented by the request types of this module only).
pub trait ApiCall: sealed::Sealed + Send + Sync {
    /// The typed answer.
    type Answer: FromAnswer;
    /// The operation.
    fn operation(&self) -> Operation;
    /// The JSON body, after the request's checks.
    ///
    /// # Errors
    /// [`RequestError::Invalid`].
    fn json(&self) -> Result<Value, RequestError>;
    /// The transaction a money-moving call acts on, and the amount and currency asked
    /// (what an [`super::OutcomeUnknown`] reports).
    fn target(&self) -> Option<(&str, Option<u64>, Option<&str>)> {
        None
    }
    /// The order a money-moving call creates a transaction for (a `SILENT` charge, a
    /// subscription), when it names one (what an [`super::OutcomeUnknown`] reports).
    fn order(&self) -> Option<&str> {
        None
    }
    /// How this request may be retried: its operation's class, unless the request moves
    /// money where its operation usually does not (a `SILENT` `Charge/CreatePayment`).
    fn class(&self) -> super::OperationClass {
        self.operation().class()
    }
}

pub(crate) fn invalid(field: &'static str, expected: &'static str) -> RequestError {
    RequestError::Invalid { field, expected }
}

/// A text field: at most `max` characters, no control character; `required` refuses "".
pub(crate) fn text(
    field: &'static str,
    value: &str,
    max: usize,
    expected: &'static str,
) -> Result<(), RequestError> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        Err(invalid(field, expected))
    } else {
        Ok(())
    }
}

/// `orderId`: 1 to 64 characters, no control character.
pub(crate) fn check_order_id(id: &str) -> Result<(), RequestError> {
    text(
        "orderId",
        id,
        64,
        "1 to 64 characters, no control character",
    )
}

/// `transactionOptions` carrying the chaining reference kept with a token
/// (`cardOptions.initialIssuerTransactionIdentifier`), checked.
pub(crate) fn chaining_ref_options(reference: &str) -> Result<Value, RequestError> {
    text(
        "initialIssuerTransactionIdentifier",
        reference,
        64,
        "1 to 64 characters, no control character",
    )?;
    Ok(json!({"cardOptions": {"initialIssuerTransactionIdentifier": reference}}))
}

pub(crate) fn check_uuid(uuid: &str) -> Result<(), RequestError> {
    if uuid.len() == 32 && uuid.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(invalid("uuid", "32 lowercase hexadecimal digits"))
    }
}

/// The largest amount sent: 18 digits in minor units (what the form builder accepts).
pub(crate) const MAX_AMOUNT: u64 = 999_999_999_999_999_999;

pub(crate) fn check_amount(amount: u64) -> Result<(), RequestError> {
    if amount == 0 || amount > MAX_AMOUNT {
        Err(invalid(
            "amount",
            "a positive amount in minor units (at most 18 digits)",
        ))
    } else {
        Ok(())
    }
}

pub(crate) fn check_currency(currency: &str) -> Result<&'static str, RequestError> {
    Currency::find(currency).map(|c| c.alpha).ok_or(invalid(
        "currency",
        "an ISO 4217 currency the platform accepts (EUR, USD, ...)",
    ))
}

fn check_comment(comment: Option<&str>) -> Result<(), RequestError> {
    match comment {
        Some(c) => text(
            "comment",
            c,
            255,
            "at most 255 characters, no control character",
        ),
        None => Ok(()),
    }
}

fn with_comment(mut body: Map<String, Value>, comment: Option<&String>) -> Value {
    if let Some(c) = comment {
        body.insert("comment".into(), Value::String(c.clone()));
    }
    Value::Object(body)
}

/// `Charge/SDKTest`: the value is echoed back when the credentials are right (the
/// credential check at go-live).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkTest {
    /// The value to echo (at most 255 characters).
    pub value: String,
}

impl SdkTest {
    /// A test call echoing `value`.
    #[must_use]
    pub fn new(value: impl Into<String>) -> SdkTest {
        SdkTest {
            value: value.into(),
        }
    }
}

impl sealed::Sealed for SdkTest {}
impl ApiCall for SdkTest {
    type Answer = SdkTestAnswer;
    fn operation(&self) -> Operation {
        Operation::SdkTest
    }
    fn json(&self) -> Result<Value, RequestError> {
        if self.value.chars().count() > 255 || self.value.chars().any(char::is_control) {
            return Err(invalid(
                "value",
                "at most 255 characters, no control character",
            ));
        }
        Ok(json!({ "value": self.value }))
    }
}

/// `Charge/CreatePayment`: the formToken that starts an embedded-form payment (valid 15
/// minutes). The amount is in minor units of the currency (`1250` EUR is 12.50 EUR;
/// `1250` JPY is 1250 JPY: [`Currency::exponent`]).
///
/// ```
/// use vads::api::CreatePayment;
/// let payment = CreatePayment::new(1250, "EUR").order_id("A-1").email("jane@example.com");
/// assert_eq!(payment.amount, 1250);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatePayment {
    /// Minor units.
    pub amount: u64,
    /// Alphabetic ISO 4217 code (`EUR`); a numeric one (`978`) is sent as its letters.
    pub currency: String,
    /// `orderId`: the shop's order reference (at most 64 characters).
    pub order_id: Option<String>,
    /// `customer.email`.
    pub email: Option<String>,
    /// `customer.reference`.
    pub customer_reference: Option<String>,
    /// `ipnTargetUrl`: the notification URL for this payment (else the back office's).
    pub ipn_target_url: Option<String>,
    /// `formAction`: `PAYMENT` (the platform's default), `REGISTER_PAY`, ...
    pub form_action: Option<String>,
    /// `strongAuthentication`: `AUTO` (the platform's default), `ENABLED`, ...
    pub strong_authentication: Option<String>,
    /// `transactionOptions.cardOptions.captureDelay`, in days.
    pub capture_delay: Option<u32>,
    /// `transactionOptions.cardOptions.manualValidation`: `YES` when true.
    pub manual_validation: Option<bool>,
    /// `metadata`: the shop's own keys and values, given back in the answers.
    pub metadata: Vec<(String, String)>,
    /// `paymentMethodToken`: the saved card to pay with (one-click, `formAction`
    /// `PAYMENT`: the buyer confirms on the embedded form).
    pub payment_method_token: Option<String>,
}

/// `formAction` of `Charge/CreatePayment` (protocol section 11). A zero-click charge
/// (`SILENT`) is not a formToken: it is [`super::charge::Charge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FormAction {
    /// `PAYMENT`: a payment (with `paymentMethodToken`: one-click).
    Payment,
    /// `REGISTER_PAY`: save the card during the payment.
    RegisterPay,
    /// `ASK_REGISTER_PAY`: the buyer chooses whether to save the card.
    AskRegisterPay,
    /// `CUSTOMER_WALLET`: the buyer's saved cards (by `customer.reference`).
    CustomerWallet,
}

impl FormAction {
    /// The platform's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FormAction::Payment => "PAYMENT",
            FormAction::RegisterPay => "REGISTER_PAY",
            FormAction::AskRegisterPay => "ASK_REGISTER_PAY",
            FormAction::CustomerWallet => "CUSTOMER_WALLET",
        }
    }
}

/// A token id as the API takes it: 1 to 64 letters, digits, `-` or `_` (the platform's
/// are 32 letters and digits; a merchant's chosen one up to 50 printable characters).
pub(crate) fn check_token(field: &'static str, token: &str) -> Result<(), RequestError> {
    if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        Err(invalid(
            field,
            "a token: 1 to 64 printable ASCII characters",
        ))
    } else {
        Ok(())
    }
}

/// `metadata` as the API takes it: keys of 1 to 64 characters, values of at most 255,
/// no control character.
pub(crate) fn metadata_json(metadata: &[(String, String)]) -> Result<Option<Value>, RequestError> {
    if metadata.is_empty() {
        return Ok(None);
    }
    let mut meta = Map::new();
    for (k, v) in metadata {
        text("metadata", k, 64, "keys of 1 to 64 characters")?;
        if v.chars().count() > 255 || v.chars().any(char::is_control) {
            return Err(invalid(
                "metadata",
                "values of at most 255 characters, no control character",
            ));
        }
        meta.insert(k.clone(), json!(v));
    }
    Ok(Some(Value::Object(meta)))
}

/// `customer.email` checked.
pub(crate) fn check_email(email: &str) -> Result<(), RequestError> {
    let ok = email.len() <= 150
        && email.matches('@').count() == 1
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(invalid("customer.email", "an e-mail address"))
    }
}

impl CreatePayment {
    /// A payment of `amount` minor units of `currency`.
    #[must_use]
    pub fn new(amount: u64, currency: impl Into<String>) -> CreatePayment {
        CreatePayment {
            amount,
            currency: currency.into(),
            order_id: None,
            email: None,
            customer_reference: None,
            ipn_target_url: None,
            form_action: None,
            strong_authentication: None,
            capture_delay: None,
            manual_validation: None,
            metadata: Vec::new(),
            payment_method_token: None,
        }
    }

    /// A payment of a decimal amount (`"12.50"`) of `currency`, in minor units with the
    /// currency's exponent ([`Currency::minor_units`]: `"1500"` JPY is 1500, `"1.5"` KWD
    /// is 1500; more decimals than the currency has is an error, never a rounding).
    ///
    /// ```
    /// use vads::api::CreatePayment;
    /// assert_eq!(CreatePayment::decimal("12.50", "EUR")?.amount, 1250);
    /// assert_eq!(CreatePayment::decimal("1500", "JPY")?.amount, 1500);
    /// assert!(CreatePayment::decimal("12.505", "EUR").is_err());
    /// # Ok::<(), vads::api::RequestError>(())
    /// ```
    ///
    /// # Errors
    /// [`RequestError::Invalid`] (`currency` unknown, `amount` not a decimal amount of it).
    pub fn decimal(amount: &str, currency: &str) -> Result<CreatePayment, RequestError> {
        let c = Currency::find(currency).ok_or(invalid(
            "currency",
            "an ISO 4217 currency the platform accepts (EUR, USD, ...)",
        ))?;
        let minor = c.minor_units(amount).map_err(|_| {
            invalid(
                "amount",
                "a decimal amount with no more decimals than the currency has (12.50)",
            )
        })?;
        Ok(CreatePayment::new(minor, c.alpha))
    }

    /// Sets `orderId`.
    #[must_use]
    pub fn order_id(mut self, id: impl Into<String>) -> CreatePayment {
        self.order_id = Some(id.into());
        self
    }

    /// Sets `customer.email`.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> CreatePayment {
        self.email = Some(email.into());
        self
    }

    /// Sets `ipnTargetUrl`.
    #[must_use]
    pub fn ipn_target_url(mut self, url: impl Into<String>) -> CreatePayment {
        self.ipn_target_url = Some(url.into());
        self
    }

    /// Sets `transactionOptions.cardOptions.manualValidation`.
    #[must_use]
    pub fn manual_validation(mut self, manual: bool) -> CreatePayment {
        self.manual_validation = Some(manual);
        self
    }

    /// Sets `formAction`: save the card during the payment (`REGISTER_PAY`, which needs
    /// the buyer's e-mail), let the buyer choose, use the buyer's wallet, ...
    ///
    /// ```
    /// use vads::api::{ApiCall, CreatePayment, FormAction};
    /// let p = CreatePayment::new(1250, "EUR").order_id("A-1").action(FormAction::RegisterPay);
    /// assert_eq!(p.json().unwrap_err().code(), "invalid_request"); // no e-mail
    /// let p = p.email("jane@example.com");
    /// assert_eq!(p.json()?["formAction"], "REGISTER_PAY");
    /// # Ok::<(), vads::api::RequestError>(())
    /// ```
    #[must_use]
    pub fn action(mut self, action: FormAction) -> CreatePayment {
        self.form_action = Some(action.as_str().to_owned());
        self
    }

    /// Pays with a saved card, the buyer confirming on the embedded form (one-click:
    /// `formAction` `PAYMENT` with `paymentMethodToken`).
    #[must_use]
    pub fn one_click(mut self, token: impl Into<String>) -> CreatePayment {
        self.payment_method_token = Some(token.into());
        self.action(FormAction::Payment)
    }
}

impl sealed::Sealed for CreatePayment {}
impl ApiCall for CreatePayment {
    type Answer = PaymentForm;
    fn operation(&self) -> Operation {
        Operation::CreatePayment
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_amount(self.amount)?;
        let currency = check_currency(&self.currency)?;
        let mut body = Map::new();
        body.insert("amount".into(), json!(self.amount));
        body.insert("currency".into(), json!(currency));
        if let Some(id) = &self.order_id {
            check_order_id(id)?;
            body.insert("orderId".into(), json!(id));
        }
        let mut customer = Map::new();
        if let Some(email) = &self.email {
            check_email(email)?;
            customer.insert("email".into(), json!(email));
        }
        match self.form_action.as_deref() {
            Some("SILENT") => {
                return Err(invalid(
                    "formAction",
                    "a formToken's action: a SILENT charge is vads::api::charge::Charge",
                ))
            }
            Some("REGISTER_PAY" | "ASK_REGISTER_PAY") if self.email.is_none() => {
                return Err(invalid(
                    "customer.email",
                    "given: saving a card needs the buyer's e-mail",
                ))
            }
            _ => {}
        }
        if let Some(token) = &self.payment_method_token {
            check_token("paymentMethodToken", token)?;
            body.insert("paymentMethodToken".into(), json!(token));
        }
        if let Some(reference) = &self.customer_reference {
            text(
                "customer.reference",
                reference,
                80,
                "1 to 80 characters, no control character",
            )?;
            customer.insert("reference".into(), json!(reference));
        }
        if !customer.is_empty() {
            body.insert("customer".into(), Value::Object(customer));
        }
        if let Some(url) = &self.ipn_target_url {
            if !crate::policy::brand::is_http_url(url) {
                return Err(invalid("ipnTargetUrl", "an absolute http(s) URL"));
            }
            body.insert("ipnTargetUrl".into(), json!(url));
        }
        for (field, value) in [
            ("formAction", &self.form_action),
            ("strongAuthentication", &self.strong_authentication),
        ] {
            if let Some(v) = value {
                if !super::error::is_code_shaped(v) {
                    return Err(invalid(
                        field,
                        "one of the platform's values (PAYMENT, AUTO, ...)",
                    ));
                }
                body.insert(field.into(), json!(v));
            }
        }
        let mut card = Map::new();
        if let Some(days) = self.capture_delay {
            card.insert("captureDelay".into(), json!(days));
        }
        if let Some(manual) = self.manual_validation {
            card.insert(
                "manualValidation".into(),
                json!(if manual { "YES" } else { "NO" }),
            );
        }
        if !card.is_empty() {
            body.insert(
                "transactionOptions".into(),
                json!({ "cardOptions": Value::Object(card) }),
            );
        }
        if let Some(meta) = metadata_json(&self.metadata)? {
            body.insert("metadata".into(), meta);
        }
        Ok(Value::Object(body))
    }
}

/// `Order/Get`: every transaction of an order id (every attempt: an order id is not
/// unique on the platform), optionally of one operation type. More than 30 is
/// `PSP_015`: ask per operation type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderGet {
    /// `orderId`.
    pub order_id: String,
    /// `operationType`: `DEBIT`, `CREDIT` or `VERIFICATION`.
    pub operation_type: Option<OperationType>,
}

impl OrderGet {
    /// The transactions of `order_id`.
    #[must_use]
    pub fn new(order_id: impl Into<String>) -> OrderGet {
        OrderGet {
            order_id: order_id.into(),
            operation_type: None,
        }
    }
}

impl sealed::Sealed for OrderGet {}
impl ApiCall for OrderGet {
    type Answer = OrderTransactions;
    fn operation(&self) -> Operation {
        Operation::OrderGet
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_order_id(&self.order_id)?;
        let mut body = Map::new();
        body.insert("orderId".into(), json!(self.order_id));
        match self.operation_type {
            None => {}
            Some(OperationType::Debit) => {
                body.insert("operationType".into(), json!("DEBIT"));
            }
            Some(OperationType::Credit) => {
                body.insert("operationType".into(), json!("CREDIT"));
            }
            Some(OperationType::Verification) => {
                body.insert("operationType".into(), json!("VERIFICATION"));
            }
            Some(_) => return Err(invalid("operationType", "DEBIT, CREDIT or VERIFICATION")),
        }
        Ok(Value::Object(body))
    }
}

/// `Transaction/Get`: one transaction by its uuid (unknown: `PSP_010`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionGet {
    /// The transaction's uuid (32 lowercase hex digits).
    pub uuid: String,
}

impl TransactionGet {
    /// The transaction `uuid`.
    #[must_use]
    pub fn new(uuid: impl Into<String>) -> TransactionGet {
        TransactionGet { uuid: uuid.into() }
    }
}

impl sealed::Sealed for TransactionGet {}
impl ApiCall for TransactionGet {
    type Answer = RestTransaction;
    fn operation(&self) -> Operation {
        Operation::TransactionGet
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_uuid(&self.uuid)?;
        Ok(json!({ "uuid": self.uuid }))
    }
}

/// `resolutionMode` of `Transaction/CancelOrRefund`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResolutionMode {
    /// `AUTO`: the platform cancels what is not captured, refunds what is.
    Auto,
    /// `REFUND_ONLY`: refund a captured transaction (else `PSP_076`).
    RefundOnly,
    /// `CANCELLATION_ONLY`: cancel a transaction not captured (else `PSP_075`).
    CancellationOnly,
}

impl ResolutionMode {
    /// The platform's value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionMode::Auto => "AUTO",
            ResolutionMode::RefundOnly => "REFUND_ONLY",
            ResolutionMode::CancellationOnly => "CANCELLATION_ONLY",
        }
    }
}

/// `Transaction/CancelOrRefund`: moves money. Never retried by the client; a lost answer
/// is `outcome_unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CancelOrRefund {
    /// The transaction's uuid.
    pub uuid: String,
    /// Minor units.
    pub amount: u64,
    /// Alphabetic ISO 4217 code.
    pub currency: String,
    /// `resolutionMode`.
    pub resolution_mode: ResolutionMode,
    /// `comment`.
    pub comment: Option<String>,
}

impl CancelOrRefund {
    /// Refund or cancel `amount` of transaction `uuid`, as `mode` says.
    #[must_use]
    pub fn new(
        uuid: impl Into<String>,
        amount: u64,
        currency: impl Into<String>,
        mode: ResolutionMode,
    ) -> CancelOrRefund {
        CancelOrRefund {
            uuid: uuid.into(),
            amount,
            currency: currency.into(),
            resolution_mode: mode,
            comment: None,
        }
    }
}

impl sealed::Sealed for CancelOrRefund {}
impl ApiCall for CancelOrRefund {
    type Answer = RestTransaction;
    fn operation(&self) -> Operation {
        Operation::CancelOrRefund
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_uuid(&self.uuid)?;
        check_amount(self.amount)?;
        let currency = check_currency(&self.currency)?;
        check_comment(self.comment.as_deref())?;
        let mut body = Map::new();
        body.insert("uuid".into(), json!(self.uuid));
        body.insert("amount".into(), json!(self.amount));
        body.insert("currency".into(), json!(currency));
        body.insert(
            "resolutionMode".into(),
            json!(self.resolution_mode.as_str()),
        );
        Ok(with_comment(body, self.comment.as_ref()))
    }
    fn target(&self) -> Option<(&str, Option<u64>, Option<&str>)> {
        Some((&self.uuid, Some(self.amount), Some(&self.currency)))
    }
}

/// `Transaction/Cancel`: cancels a transaction not captured yet. Moves money: never
/// retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    /// The transaction's uuid.
    pub uuid: String,
    /// `comment`.
    pub comment: Option<String>,
}

impl Cancel {
    /// Cancel transaction `uuid`.
    #[must_use]
    pub fn new(uuid: impl Into<String>) -> Cancel {
        Cancel {
            uuid: uuid.into(),
            comment: None,
        }
    }
}

impl sealed::Sealed for Cancel {}
impl ApiCall for Cancel {
    type Answer = RestTransaction;
    fn operation(&self) -> Operation {
        Operation::Cancel
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_uuid(&self.uuid)?;
        check_comment(self.comment.as_deref())?;
        let mut body = Map::new();
        body.insert("uuid".into(), json!(self.uuid));
        Ok(with_comment(body, self.comment.as_ref()))
    }
    fn target(&self) -> Option<(&str, Option<u64>, Option<&str>)> {
        Some((&self.uuid, None, None))
    }
}

/// `Transaction/Validate`: validates a transaction waiting for validation (the whole
/// amount). Moves money: never retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validate {
    /// The transaction's uuid.
    pub uuid: String,
    /// `comment`.
    pub comment: Option<String>,
}

impl Validate {
    /// Validate transaction `uuid`.
    #[must_use]
    pub fn new(uuid: impl Into<String>) -> Validate {
        Validate {
            uuid: uuid.into(),
            comment: None,
        }
    }
}

impl sealed::Sealed for Validate {}
impl ApiCall for Validate {
    type Answer = RestTransaction;
    fn operation(&self) -> Operation {
        Operation::Validate
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_uuid(&self.uuid)?;
        check_comment(self.comment.as_deref())?;
        let mut body = Map::new();
        body.insert("uuid".into(), json!(self.uuid));
        Ok(with_comment(body, self.comment.as_ref()))
    }
    fn target(&self) -> Option<(&str, Option<u64>, Option<&str>)> {
        Some((&self.uuid, None, None))
    }
}

/// `Transaction/Update`: lowers the amount of a transaction not captured yet
/// (`cardUpdate.amount`; it can only go down). Moves money: never retried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Update {
    /// The transaction's uuid.
    pub uuid: String,
    /// The new amount, minor units.
    pub amount: u64,
    /// Alphabetic ISO 4217 code.
    pub currency: String,
    /// `comment`.
    pub comment: Option<String>,
}

impl Update {
    /// Lower transaction `uuid` to `amount`.
    #[must_use]
    pub fn new(uuid: impl Into<String>, amount: u64, currency: impl Into<String>) -> Update {
        Update {
            uuid: uuid.into(),
            amount,
            currency: currency.into(),
            comment: None,
        }
    }
}

impl sealed::Sealed for Update {}
impl ApiCall for Update {
    type Answer = RestTransaction;
    fn operation(&self) -> Operation {
        Operation::Update
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_uuid(&self.uuid)?;
        check_amount(self.amount)?;
        let currency = check_currency(&self.currency)?;
        check_comment(self.comment.as_deref())?;
        let mut body = Map::new();
        body.insert("uuid".into(), json!(self.uuid));
        body.insert(
            "cardUpdate".into(),
            json!({ "amount": self.amount, "currency": currency }),
        );
        Ok(with_comment(body, self.comment.as_ref()))
    }
    fn target(&self) -> Option<(&str, Option<u64>, Option<&str>)> {
        Some((&self.uuid, Some(self.amount), Some(&self.currency)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_basic_auth_vector() {
        let header = basic_authorization(
            b"69876357",
            b"testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M",
        );
        assert_eq!(
            header.as_str(),
            "Basic Njk4NzYzNTc6dGVzdHBhc3N3b3JkX0RFTU9QUklWQVRFS0VZMjNHNDQ3NXpYWlEyVUE1eDdN"
        );
        // Sized once: the buffer was never grown (a grown buffer leaves a copy behind).
        assert_eq!(header.capacity(), header.len());
        // Tampered: one character of the password changes the header.
        let other = basic_authorization(
            b"69876357",
            b"testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7N",
        );
        assert_ne!(header.as_str(), other.as_str());
    }

    #[test]
    fn requests_are_checked_before_anything_is_sent() {
        let bad_uuid = TransactionGet::new("ABC").json().unwrap_err();
        assert_eq!(bad_uuid.code(), "invalid_request");
        assert!(bad_uuid
            .to_string()
            .contains("uuid must be 32 lowercase hexadecimal digits"));
        let uuid = "5b158f084502a02b7e36b7d5e0e8d9a4";
        assert!(TransactionGet::new(uuid.to_uppercase()).json().is_err());
        assert!(
            CancelOrRefund::new(uuid, 0, "EUR", ResolutionMode::RefundOnly)
                .json()
                .is_err()
        );
        assert!(
            CancelOrRefund::new(uuid, 100, "EUX", ResolutionMode::RefundOnly)
                .json()
                .is_err()
        );
        assert!(CreatePayment::new(100, "EUR")
            .email("no-at-sign")
            .json()
            .is_err());
        assert!(CreatePayment::new(100, "EUR")
            .order_id("a".repeat(65))
            .json()
            .is_err());
        assert!(CreatePayment::new(100, "EUR")
            .order_id("a\nb")
            .json()
            .is_err());
        assert!(SdkTest::new("x".repeat(256)).json().is_err());
    }

    #[test]
    fn bodies_have_the_documented_shape() {
        let uuid = "5b158f084502a02b7e36b7d5e0e8d9a4";
        assert_eq!(
            CancelOrRefund::new(uuid, 500, "978", ResolutionMode::RefundOnly)
                .json()
                .unwrap(),
            json!({"uuid": uuid, "amount": 500, "currency": "EUR", "resolutionMode": "REFUND_ONLY"})
        );
        assert_eq!(
            Update::new(uuid, 700, "EUR").json().unwrap(),
            json!({"uuid": uuid, "cardUpdate": {"amount": 700, "currency": "EUR"}})
        );
        let mut p = CreatePayment::new(1250, "eur")
            .order_id("A-1")
            .email("jane@example.com")
            .manual_validation(true);
        p.capture_delay = Some(2);
        assert_eq!(
            p.json().unwrap(),
            json!({"amount": 1250, "currency": "EUR", "orderId": "A-1",
                   "customer": {"email": "jane@example.com"},
                   "transactionOptions": {"cardOptions": {"captureDelay": 2, "manualValidation": "YES"}}})
        );
        let mut o = OrderGet::new("A-1");
        o.operation_type = Some(OperationType::Credit);
        assert_eq!(
            o.json().unwrap(),
            json!({"orderId": "A-1", "operationType": "CREDIT"})
        );
    }
}
