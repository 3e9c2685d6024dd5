//! Saved cards (tokens) through the REST API (protocol section 11): a formToken that saves
//! a card without a payment ([`CreateToken`]), a token read ([`TokenGet`]: its card,
//! masked, and whether it is cancelled), cancelled ([`cancel_token`]), reactivated
//! ([`reactivate_token`]) and updated ([`TokenUpdate`]).
//!
//! Cancelling a token twice is refused by the platform (`PSP_031`): [`cancel_token`] then
//! reads the token back and, when it is cancelled, the intent is met
//! ([`TokenChange::AlreadyDone`]). Reactivating works the same way.
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use vads::api::tokens::{cancel_token, TokenChange, TokenGet};
//! use vads::api::{Client, ClientConfig, Credentials};
//! use vads::testing::platform::Platform;
//! use vads::{Mode, SecretString, Shop, ShopConfig};
//! let mut c = ShopConfig::new("69876357", Mode::Test);
//! c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
//! let shop = Shop::new(c)?;
//! let platform = Arc::new(Platform::for_shop(&shop));
//! let token = platform.add_token("jane@example.com");
//! let client = Client::new(Credentials::of(&shop)?, platform.clone(), ClientConfig::default());
//! # let block_on = |f| vads::testing::block_on(f);
//! assert_eq!(block_on(cancel_token(&client, &token))?, TokenChange::Done);
//! assert_eq!(block_on(cancel_token(&client, &token))?, TokenChange::AlreadyDone);
//! let read = vads::testing::block_on(client.call(&TokenGet::new(&token)))?;
//! assert!(read.is_cancelled());
//! # Ok(()) }
//! # #[cfg(not(feature = "testing"))] fn main() {}
//! ```

use super::answer::{sealed as answer_sealed, FormToken, FromAnswer, PaymentForm};
use super::client::{Client, Transport};
use super::error::{ApiError, ErrorCode, RequestError};
use super::request::{
    check_currency, check_email, check_order_id, check_token, invalid, metadata_json, sealed, text,
    ApiCall,
};
use super::Operation;
use core::fmt;
use serde_json::{json, Map, Value};

/// `Charge/CreateToken`: a formToken that saves a card without a payment (`formAction`
/// `REGISTER`: a card check, never a payment). The buyer's e-mail is required.
///
/// ```
/// use vads::api::ApiCall;
/// use vads::api::tokens::CreateToken;
/// let call = CreateToken::new("EUR", "jane@example.com").order_id("C-1");
/// assert_eq!(call.json()?["formAction"], "REGISTER");
/// assert_eq!(call.json()?["customer"]["email"], "jane@example.com");
/// # Ok::<(), vads::api::RequestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateToken {
    /// Alphabetic ISO 4217 code (the card check's currency).
    pub currency: String,
    /// `customer.email` (required).
    pub email: String,
    /// `customer.reference`: the shop's customer reference.
    pub customer_reference: Option<String>,
    /// `orderId`.
    pub order_id: Option<String>,
    /// `ipnTargetUrl`: the notification URL for this registration.
    pub ipn_target_url: Option<String>,
    /// `metadata`.
    pub metadata: Vec<(String, String)>,
}

impl CreateToken {
    /// A registration in `currency` for the buyer of `email`.
    #[must_use]
    pub fn new(currency: impl Into<String>, email: impl Into<String>) -> CreateToken {
        CreateToken {
            currency: currency.into(),
            email: email.into(),
            customer_reference: None,
            order_id: None,
            ipn_target_url: None,
            metadata: Vec::new(),
        }
    }

    /// Sets `orderId`.
    #[must_use]
    pub fn order_id(mut self, id: impl Into<String>) -> CreateToken {
        self.order_id = Some(id.into());
        self
    }
}

impl sealed::Sealed for CreateToken {}
impl ApiCall for CreateToken {
    type Answer = PaymentForm;
    fn operation(&self) -> Operation {
        Operation::CreateToken
    }
    fn json(&self) -> Result<Value, RequestError> {
        let currency = check_currency(&self.currency)?;
        check_email(&self.email)?;
        let mut body = Map::new();
        body.insert("currency".into(), json!(currency));
        body.insert("formAction".into(), json!("REGISTER"));
        let mut customer = Map::new();
        customer.insert("email".into(), json!(self.email));
        if let Some(reference) = &self.customer_reference {
            text(
                "customer.reference",
                reference,
                80,
                "1 to 80 characters, no control character",
            )?;
            customer.insert("reference".into(), json!(reference));
        }
        body.insert("customer".into(), Value::Object(customer));
        if let Some(id) = &self.order_id {
            check_order_id(id)?;
            body.insert("orderId".into(), json!(id));
        }
        if let Some(url) = &self.ipn_target_url {
            if !crate::policy::brand::is_http_url(url) {
                return Err(invalid("ipnTargetUrl", "an absolute http(s) URL"));
            }
            body.insert("ipnTargetUrl".into(), json!(url));
        }
        if let Some(meta) = metadata_json(&self.metadata)? {
            body.insert("metadata".into(), meta);
        }
        Ok(Value::Object(body))
    }
}

/// A request on one token: `{"paymentMethodToken": ...}`.
macro_rules! token_call {
    ($(#[$m:meta])* $name:ident, $op:expr, $answer:ty) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// `paymentMethodToken`.
            pub token: String,
        }

        impl $name {
            /// The request on `token`.
            #[must_use]
            pub fn new(token: impl Into<String>) -> $name {
                $name { token: token.into() }
            }
        }

        impl sealed::Sealed for $name {}
        impl ApiCall for $name {
            type Answer = $answer;
            fn operation(&self) -> Operation {
                $op
            }
            fn json(&self) -> Result<Value, RequestError> {
                check_token("paymentMethodToken", &self.token)?;
                Ok(json!({ "paymentMethodToken": self.token }))
            }
        }
    };
}

token_call!(
    /// `Token/Get`: the token, its card (masked) and whether it is cancelled. A read.
    TokenGet,
    Operation::TokenGet,
    Token
);
token_call!(
    /// `Token/Cancel`: the card is no longer usable. Repeatable; prefer [`cancel_token`],
    /// which reads back an "already cancelled" refusal.
    TokenCancel,
    Operation::TokenCancel,
    Acknowledged
);
token_call!(
    /// `Token/Reactivate`: a cancelled token usable again. Repeatable; prefer
    /// [`reactivate_token`].
    TokenReactivate,
    Operation::TokenReactivate,
    Acknowledged
);

/// `Token/Update`: updates what the platform keeps with a token (the buyer's e-mail and
/// reference); the answer may hold a formToken (to let the buyer give another card).
/// Repeatable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenUpdate {
    /// `paymentMethodToken`.
    pub token: String,
    /// `customer.email`.
    pub email: Option<String>,
    /// `customer.reference`.
    pub customer_reference: Option<String>,
    /// `currency` (for a new card's check).
    pub currency: Option<String>,
}

impl TokenUpdate {
    /// An update of `token`.
    #[must_use]
    pub fn new(token: impl Into<String>) -> TokenUpdate {
        TokenUpdate {
            token: token.into(),
            email: None,
            customer_reference: None,
            currency: None,
        }
    }
}

impl sealed::Sealed for TokenUpdate {}
impl ApiCall for TokenUpdate {
    type Answer = Acknowledged;
    fn operation(&self) -> Operation {
        Operation::TokenUpdate
    }
    fn json(&self) -> Result<Value, RequestError> {
        check_token("paymentMethodToken", &self.token)?;
        let mut body = Map::new();
        body.insert("paymentMethodToken".into(), json!(self.token));
        if let Some(c) = &self.currency {
            body.insert("currency".into(), json!(check_currency(c)?));
        }
        let mut customer = Map::new();
        if let Some(email) = &self.email {
            check_email(email)?;
            customer.insert("email".into(), json!(email));
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
        Ok(Value::Object(body))
    }
}

/// A JSON string or number, as text (the platform writes some fields either way).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<Value> = serde::Deserialize::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// `tokenDetails` of a [`Token`]: the card, masked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenDetails {
    /// `pan`, masked by the platform (`497010XXXXXX0055`).
    #[serde(default)]
    pub pan: Option<String>,
    /// `expiryMonth`.
    #[serde(default, deserialize_with = "text_or_number")]
    pub expiry_month: Option<String>,
    /// `expiryYear`.
    #[serde(default, deserialize_with = "text_or_number")]
    pub expiry_year: Option<String>,
    /// `effectiveBrand` (`CB`, `VISA`, ...).
    #[serde(default)]
    pub effective_brand: Option<String>,
}

/// `customer` of a [`Token`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenCustomer {
    /// `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `reference`.
    #[serde(default)]
    pub reference: Option<String>,
}

/// The answer of `Token/Get` (`V4/Token`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Token {
    /// `paymentMethodToken`.
    pub payment_method_token: String,
    /// `status` as received.
    #[serde(default)]
    pub status: Option<String>,
    /// `creationDate` (ISO 8601).
    #[serde(default)]
    pub creation_date: Option<String>,
    /// `cancellationDate` (ISO 8601): set once the token is cancelled.
    #[serde(default)]
    pub cancellation_date: Option<String>,
    /// `customer`.
    #[serde(default)]
    pub customer: Option<TokenCustomer>,
    /// `tokenDetails`.
    #[serde(default)]
    pub token_details: Option<TokenDetails>,
}

impl Token {
    /// Whether the token is cancelled (its `cancellationDate` is set, or its status says
    /// so).
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancellation_date
            .as_deref()
            .is_some_and(|d| !d.is_empty())
            || self.status.as_deref() == Some("CANCELLED")
    }
}

impl answer_sealed::Sealed for Token {}
impl FromAnswer for Token {
    const DOCUMENTED_TYPE: Option<&'static str> = Some("V4/Token");
    fn shape_fits(&self) -> bool {
        !self.payment_method_token.is_empty()
    }
}

/// The answer of an operation that changes a state and says little: a `responseCode`
/// when the platform gives one (`Subscription/Cancel`: 0 done, 30 token not found, 32
/// subscription not found, 99 undefined), a formToken when it gives one (`Token/Update`).
#[derive(Clone, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Acknowledged {
    /// `responseCode`.
    #[serde(default)]
    pub response_code: Option<i64>,
    /// `formToken`.
    #[serde(default)]
    pub form_token: Option<FormToken>,
}

impl fmt::Debug for Acknowledged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acknowledged")
            .field("response_code", &self.response_code)
            .field("form_token", &self.form_token)
            .finish()
    }
}

impl answer_sealed::Sealed for Acknowledged {}
impl FromAnswer for Acknowledged {
    const DOCUMENTED_TYPE: Option<&'static str> = None;
}

/// What a token operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenChange {
    /// The platform applied it.
    Done,
    /// The platform refused it as already done, and the token, read back, is in the state
    /// asked: the intent is met, nothing more was sent.
    AlreadyDone,
}

impl TokenChange {
    /// `done` or `already_done`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TokenChange::Done => "done",
            TokenChange::AlreadyDone => "already_done",
        }
    }
}

/// A refusal of a token operation, read back: `Ok(AlreadyDone)` when the token is in the
/// state asked (`cancelled`), else the refusal itself.
async fn read_back<T: Transport>(
    client: &Client<T>,
    token: &str,
    refusal: ApiError,
    cancelled: bool,
) -> Result<TokenChange, ApiError> {
    match refusal {
        ApiError::Refused(ref e) if e.kind() != ErrorCode::Psp030 => {
            let now = client.call(&TokenGet::new(token)).await?;
            if now.is_cancelled() == cancelled {
                Ok(TokenChange::AlreadyDone)
            } else {
                Err(refusal)
            }
        }
        other => Err(other),
    }
}

/// Cancels `token`: [`TokenChange::Done`], or [`TokenChange::AlreadyDone`] when the
/// platform refuses it (`PSP_031`) and the token, read back, is cancelled.
///
/// # Errors
/// [`ApiError`]: `PSP_030` (no such token), a refusal the read does not explain, a
/// transport failure.
pub async fn cancel_token<T: Transport>(
    client: &Client<T>,
    token: &str,
) -> Result<TokenChange, ApiError> {
    match client.call(&TokenCancel::new(token)).await {
        Ok(_) => Ok(TokenChange::Done),
        Err(e) => read_back(client, token, e, true).await,
    }
}

/// Reactivates `token`: [`TokenChange::Done`], or [`TokenChange::AlreadyDone`] when the
/// platform refuses it and the token, read back, is active.
///
/// # Errors
/// As [`cancel_token`].
pub async fn reactivate_token<T: Transport>(
    client: &Client<T>,
    token: &str,
) -> Result<TokenChange, ApiError> {
    match client.call(&TokenReactivate::new(token)).await {
        Ok(_) => Ok(TokenChange::Done),
        Err(e) => read_back(client, token, e, false).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::parse_answer;

    #[test]
    fn token_requests_have_the_documented_shape_and_are_checked() {
        assert_eq!(
            TokenGet::new("4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e")
                .json()
                .unwrap(),
            json!({"paymentMethodToken": "4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e"})
        );
        for bad in ["", "has space", "tab\there", &"x".repeat(65)] {
            assert_eq!(
                TokenCancel::new(bad).json().unwrap_err().code(),
                "invalid_request",
                "{bad:?}"
            );
        }
        assert!(CreateToken::new("EUR", "no-at-sign").json().is_err());
        assert!(CreateToken::new("EUX", "a@b.fr").json().is_err());
        let mut u = TokenUpdate::new("tok-1");
        u.email = Some("jane@example.com".into());
        assert_eq!(
            u.json().unwrap(),
            json!({"paymentMethodToken": "tok-1", "customer": {"email": "jane@example.com"}})
        );
    }

    #[test]
    fn a_token_answer_is_read_and_its_cancellation_seen() {
        let body = r#"{"webService":"Token/Get","status":"SUCCESS","answer":{"paymentMethodToken":"4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e","status":"ACTIVE","creationDate":"2026-12-01T10:00:00+00:00","cancellationDate":null,"customer":{"email":"jane@example.com","reference":null},"tokenDetails":{"pan":"497010XXXXXX0055","expiryMonth":12,"expiryYear":"2030","effectiveBrand":"CB"},"_type":"V4/Token"},"_type":"V4/WebService/Response"}"#;
        let t: Token = parse_answer(Operation::TokenGet, 200, body.as_bytes()).unwrap();
        assert!(!t.is_cancelled());
        let d = t.token_details.clone().unwrap();
        assert_eq!(d.expiry_month.as_deref(), Some("12"));
        assert_eq!(d.expiry_year.as_deref(), Some("2030"));
        assert_eq!(d.pan.as_deref(), Some("497010XXXXXX0055"));
        let cancelled = body.replace(
            r#""cancellationDate":null"#,
            r#""cancellationDate":"2026-12-05T10:00:00+00:00""#,
        );
        let t: Token = parse_answer(Operation::TokenGet, 200, cancelled.as_bytes()).unwrap();
        assert!(t.is_cancelled());
        // A token answer without its token does not fit.
        let empty = body.replace("4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e", "");
        assert!(parse_answer::<Token>(Operation::TokenGet, 200, empty.as_bytes()).is_err());
    }
}
