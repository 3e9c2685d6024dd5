//! The REST API V4 client (feature `api`; its transport with feature `client`): start an
//! embedded-form payment (`Charge/CreatePayment`), read orders and transactions
//! (`Order/Get`, `Transaction/Get`), refund, cancel, update and validate, check the
//! credentials at go-live (`Charge/SDKTest`); save cards and keep them ([`tokens`]), run
//! subscriptions ([`subscriptions`]), and charge a saved card once ([`charge`]).
//!
//! The core is sans-IO: [`Credentials::request`] turns a typed request into an
//! [`HttpRequest`] (method, URL, headers, JSON bytes) and [`parse_answer`] turns an HTTP
//! status and a body into the typed answer or an [`ApiError`]. [`Client`] drives them over
//! a [`Transport`] (the `reqwest` one with feature `client`, or your own) with the retry
//! rules of the protocol (section 8, "No idempotency"):
//!
//! | operation | class | on a transport failure |
//! | --- | --- | --- |
//! | `Charge/SDKTest`, `Order/Get`, `Transaction/Get` | read | retried, backing off (3 attempts by default) |
//! | `Token/Get`, `Subscription/Get` | read | the same |
//! | `Charge/CreatePayment`, `Charge/CreateToken` | creates a token | retried the same way (an unused formToken is inert) |
//! | `Token/Cancel`, `Reactivate`, `Update`, `Subscription/Update`, `Cancel` | repeatable | retried (a second one finds the state set: [`tokens`] and [`subscriptions`] read it back) |
//! | `Transaction/CancelOrRefund`, `Cancel`, `Update`, `Validate`, `Charge/CreateSubscription`, a `SILENT` `Charge/CreatePayment` | moves money | **never retried**: sent once; an answer lost after sending is [`ApiError::OutcomeUnknown`] |
//!
//! An `ERROR` envelope ([`ApiError::Refused`]) proves nothing was applied; `PSP_099` and
//! `PSP_106` (too many calls) make reads back off and try again.
//!
//! ```
//! use vads::api::{Credentials, Operation, SdkTest};
//! use vads::{Mode, SecretString, Shop, ShopConfig};
//! let mut c = ShopConfig::new("69876357", Mode::Test);
//! c.test_password = Some(SecretString::new("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into()));
//! let request = Credentials::of(&Shop::new(c)?)?.request(&SdkTest::new("ping"))?;
//! assert_eq!(request.url(), "https://api.payzen.eu/api-payment/V4/Charge/SDKTest");
//! assert_eq!(request.body(), br#"{"value":"ping"}"#);
//! assert_eq!(request.headers()[0].1, "Basic Njk4NzYzNTc6dGVzdHBhc3N3b3JkX0RFTU9QUklWQVRFS0VZMjNHNDQ3NXpYWlEyVUE1eDdN");
//! assert!(!format!("{request:?}").contains("Njk4"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod answer;
pub mod charge;
mod client;
mod error;
pub mod lock;
pub mod money;
pub mod recovery;
pub(crate) mod request;
#[cfg(feature = "client")]
mod reqwest_transport;
pub mod subscriptions;
pub mod tokens;

pub use answer::{
    parse_answer, FormToken, FromAnswer, OrderTransactions, PaymentForm, SdkTestAnswer,
};
pub use client::{CallReport, Client, ClientConfig, Transport};
pub use error::{
    ApiError, ErrorCode, OutcomeUnknown, PlatformError, RequestError, TransportError, TransportKind,
};
pub use request::{
    ApiCall, Cancel, CancelOrRefund, CreatePayment, Credentials, FormAction, HttpRequest,
    HttpResponse, OrderGet, ResolutionMode, SdkTest, TransactionGet, Update, Validate,
};
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub use reqwest_transport::ReqwestTransport;

/// The longest answer read: 4 MiB (an `Order/Get` of 30 transactions is far smaller).
pub const MAX_ANSWER_LEN: usize = 4 * 1024 * 1024;

/// An operation of the REST API V4 that `vads` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `Charge/SDKTest`.
    SdkTest,
    /// `Charge/CreatePayment` (a formToken; with `formAction: SILENT`, a charge of a
    /// saved card: [`charge::Charge`], which moves money).
    CreatePayment,
    /// `Order/Get`.
    OrderGet,
    /// `Transaction/Get`.
    TransactionGet,
    /// `Transaction/CancelOrRefund`.
    CancelOrRefund,
    /// `Transaction/Cancel`.
    Cancel,
    /// `Transaction/Update`.
    Update,
    /// `Transaction/Validate`.
    Validate,
    /// `Charge/CreateToken`: a formToken to save a card without a payment.
    CreateToken,
    /// `Token/Get`.
    TokenGet,
    /// `Token/Cancel`.
    TokenCancel,
    /// `Token/Reactivate`.
    TokenReactivate,
    /// `Token/Update`.
    TokenUpdate,
    /// `Charge/CreateSubscription`: starts a schedule of payments.
    CreateSubscription,
    /// `Subscription/Get`.
    SubscriptionGet,
    /// `Subscription/Update`.
    SubscriptionUpdate,
    /// `Subscription/Cancel`.
    SubscriptionCancel,
}

/// How an operation may be retried (protocol section 8, "No idempotency").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationClass {
    /// Reads nothing but state: retried on a transport failure.
    Read,
    /// Creates a formToken: retried (an unused token is inert).
    CreatesToken,
    /// Sets a state that a second identical request leaves as it is (cancel a token or a
    /// subscription, reactivate a token, update one): retried; a second one that finds the
    /// state already set is answered as done by [`tokens`] and [`subscriptions`], which
    /// read it back.
    Repeatable,
    /// Moves money, or starts a schedule that will (`Charge/CreateSubscription`, a
    /// `SILENT` charge): never retried; a lost answer is
    /// [`ApiError::OutcomeUnknown`].
    MovesMoney,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 17] = [
        Operation::SdkTest,
        Operation::CreatePayment,
        Operation::OrderGet,
        Operation::TransactionGet,
        Operation::CancelOrRefund,
        Operation::Cancel,
        Operation::Update,
        Operation::Validate,
        Operation::CreateToken,
        Operation::TokenGet,
        Operation::TokenCancel,
        Operation::TokenReactivate,
        Operation::TokenUpdate,
        Operation::CreateSubscription,
        Operation::SubscriptionGet,
        Operation::SubscriptionUpdate,
        Operation::SubscriptionCancel,
    ];

    /// `Namespace/Op`, as the envelope's `webService` names it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Operation::SdkTest => "Charge/SDKTest",
            Operation::CreatePayment => "Charge/CreatePayment",
            Operation::OrderGet => "Order/Get",
            Operation::TransactionGet => "Transaction/Get",
            Operation::CancelOrRefund => "Transaction/CancelOrRefund",
            Operation::Cancel => "Transaction/Cancel",
            Operation::Update => "Transaction/Update",
            Operation::Validate => "Transaction/Validate",
            Operation::CreateToken => "Charge/CreateToken",
            Operation::TokenGet => "Token/Get",
            Operation::TokenCancel => "Token/Cancel",
            Operation::TokenReactivate => "Token/Reactivate",
            Operation::TokenUpdate => "Token/Update",
            Operation::CreateSubscription => "Charge/CreateSubscription",
            Operation::SubscriptionGet => "Subscription/Get",
            Operation::SubscriptionUpdate => "Subscription/Update",
            Operation::SubscriptionCancel => "Subscription/Cancel",
        }
    }

    /// The URL path: `/api-payment/V4/<Namespace>/<Op>`.
    #[must_use]
    pub const fn path(self) -> &'static str {
        match self {
            Operation::SdkTest => "/api-payment/V4/Charge/SDKTest",
            Operation::CreatePayment => "/api-payment/V4/Charge/CreatePayment",
            Operation::OrderGet => "/api-payment/V4/Order/Get",
            Operation::TransactionGet => "/api-payment/V4/Transaction/Get",
            Operation::CancelOrRefund => "/api-payment/V4/Transaction/CancelOrRefund",
            Operation::Cancel => "/api-payment/V4/Transaction/Cancel",
            Operation::Update => "/api-payment/V4/Transaction/Update",
            Operation::Validate => "/api-payment/V4/Transaction/Validate",
            Operation::CreateToken => "/api-payment/V4/Charge/CreateToken",
            Operation::TokenGet => "/api-payment/V4/Token/Get",
            Operation::TokenCancel => "/api-payment/V4/Token/Cancel",
            Operation::TokenReactivate => "/api-payment/V4/Token/Reactivate",
            Operation::TokenUpdate => "/api-payment/V4/Token/Update",
            Operation::CreateSubscription => "/api-payment/V4/Charge/CreateSubscription",
            Operation::SubscriptionGet => "/api-payment/V4/Subscription/Get",
            Operation::SubscriptionUpdate => "/api-payment/V4/Subscription/Update",
            Operation::SubscriptionCancel => "/api-payment/V4/Subscription/Cancel",
        }
    }

    /// The operation of a URL path (exact).
    #[must_use]
    pub fn from_path(path: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.path() == path)
    }

    /// Its retry class. A request may be stricter than its operation:
    /// `Charge/CreatePayment` gives a formToken, but with `formAction: SILENT`
    /// ([`charge::Charge`]) it moves money ([`ApiCall::class`]).
    #[must_use]
    pub const fn class(self) -> OperationClass {
        match self {
            Operation::SdkTest
            | Operation::OrderGet
            | Operation::TransactionGet
            | Operation::TokenGet
            | Operation::SubscriptionGet => OperationClass::Read,
            Operation::CreatePayment | Operation::CreateToken => OperationClass::CreatesToken,
            Operation::TokenCancel
            | Operation::TokenReactivate
            | Operation::TokenUpdate
            | Operation::SubscriptionUpdate
            | Operation::SubscriptionCancel => OperationClass::Repeatable,
            Operation::CancelOrRefund
            | Operation::Cancel
            | Operation::Update
            | Operation::Validate
            | Operation::CreateSubscription => OperationClass::MovesMoney,
        }
    }
}

impl OperationClass {
    /// Whether a call of this class is tried again after a transport failure.
    #[must_use]
    pub const fn retried(self) -> bool {
        !matches!(self, OperationClass::MovesMoney)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_the_documented_one_and_round_trips() {
        for op in Operation::ALL {
            assert_eq!(op.path(), format!("/api-payment/V4/{}", op.name()));
            assert_eq!(Operation::from_path(op.path()), Some(op));
        }
        let money: Vec<_> = Operation::ALL
            .into_iter()
            .filter(|o| !o.class().retried())
            .map(Operation::name)
            .collect();
        assert_eq!(
            money,
            [
                "Transaction/CancelOrRefund",
                "Transaction/Cancel",
                "Transaction/Update",
                "Transaction/Validate",
                "Charge/CreateSubscription"
            ]
        );
    }
}
