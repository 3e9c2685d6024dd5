//! The REST API V4 client (feature `api`; its transport with feature `client`): start an
//! embedded-form payment (`Charge/CreatePayment`), read orders and transactions
//! (`Order/Get`, `Transaction/Get`), refund, cancel, update and validate, check the
//! credentials at go-live (`Charge/SDKTest`).
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
//! | `Charge/CreatePayment` | creates a token | retried the same way (an unused formToken is inert) |
//! | `Transaction/CancelOrRefund`, `Cancel`, `Update`, `Validate` | moves money | **never retried**: sent once; an answer lost after sending is [`ApiError::OutcomeUnknown`] |
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
mod client;
mod error;
pub mod lock;
pub mod money;
pub mod recovery;
pub(crate) mod request;
#[cfg(feature = "client")]
mod reqwest_transport;

pub use answer::{
    parse_answer, FormToken, FromAnswer, OrderTransactions, PaymentForm, SdkTestAnswer,
};
pub use client::{CallReport, Client, ClientConfig, Transport};
pub use error::{
    ApiError, ErrorCode, OutcomeUnknown, PlatformError, RequestError, TransportError, TransportKind,
};
pub use request::{
    ApiCall, Cancel, CancelOrRefund, CreatePayment, Credentials, HttpRequest, HttpResponse,
    OrderGet, ResolutionMode, SdkTest, TransactionGet, Update, Validate,
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
    /// `Charge/CreatePayment`.
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
}

/// How an operation may be retried (protocol section 8, "No idempotency").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationClass {
    /// Reads nothing but state: retried on a transport failure.
    Read,
    /// Creates a formToken: retried (an unused token is inert).
    CreatesToken,
    /// Moves money: never retried.
    MovesMoney,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 8] = [
        Operation::SdkTest,
        Operation::CreatePayment,
        Operation::OrderGet,
        Operation::TransactionGet,
        Operation::CancelOrRefund,
        Operation::Cancel,
        Operation::Update,
        Operation::Validate,
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
        }
    }

    /// The operation of a URL path (exact).
    #[must_use]
    pub fn from_path(path: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.path() == path)
    }

    /// Its retry class.
    #[must_use]
    pub const fn class(self) -> OperationClass {
        match self {
            Operation::SdkTest | Operation::OrderGet | Operation::TransactionGet => {
                OperationClass::Read
            }
            Operation::CreatePayment => OperationClass::CreatesToken,
            Operation::CancelOrRefund
            | Operation::Cancel
            | Operation::Update
            | Operation::Validate => OperationClass::MovesMoney,
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
                "Transaction/Validate"
            ]
        );
    }
}
