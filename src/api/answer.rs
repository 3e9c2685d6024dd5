//! The answers: the envelope read strictly ([`parse_answer`]), then the operation's
//! answer typed. A transaction is a [`RestTransaction`], the same type a REST
//! notification's transactions have.

use super::error::{ApiError, PlatformError, TransportError, TransportKind};
use super::{Operation, MAX_ANSWER_LEN};
use crate::protocol::rest_answer::{OrderDetails, RestTransaction};
use core::fmt;
use serde::de::DeserializeOwned;
use serde_json::Value;
use zeroize::Zeroizing;

/// An operation's answer type. Implemented by the answer types of this module only.
pub trait FromAnswer: DeserializeOwned + sealed::Sealed {
    /// The answer `_type` the platform documents, when it is confirmed.
    const DOCUMENTED_TYPE: Option<&'static str>;
    /// Whether the shape fits beyond what serde checked (e.g. a transaction has a uuid).
    fn shape_fits(&self) -> bool {
        true
    }
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// The answer of `Charge/SDKTest` (`V4/Type/String`): the value echoed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct SdkTestAnswer {
    /// The value sent, echoed.
    pub value: Option<String>,
}

impl sealed::Sealed for SdkTestAnswer {}
impl FromAnswer for SdkTestAnswer {
    const DOCUMENTED_TYPE: Option<&'static str> = Some("V4/Type/String");
}

/// A formToken: what the embedded form is started with. It lets anyone pay this order
/// for 15 minutes: `Debug` shows its length only, and no error or event holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct FormToken(Zeroizing<String>);

impl<'de> serde::Deserialize<'de> for FormToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| FormToken(Zeroizing::new(s)))
    }
}

/// Serialised as the token itself: to hand it to the page (a serialised answer holds it).
impl serde::Serialize for FormToken {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl FormToken {
    /// The token, to give to the page that loads the embedded form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FormToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FormToken(<{} characters>)", self.0.len())
    }
}

/// The answer of `Charge/CreatePayment` (`V4/Charge/PaymentForm`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PaymentForm {
    /// `formToken`.
    pub form_token: FormToken,
}

impl sealed::Sealed for PaymentForm {}
impl FromAnswer for PaymentForm {
    const DOCUMENTED_TYPE: Option<&'static str> = Some("V4/Charge/PaymentForm");
    fn shape_fits(&self) -> bool {
        !self.form_token.as_str().is_empty()
    }
}

/// The answer of `Order/Get`: the order's transactions (its `_type` is unconfirmed, it is
/// read by shape: a `transactions` list).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderTransactions {
    /// `orderId`, when the answer gives it.
    #[serde(default)]
    pub order_id: Option<String>,
    /// `orderDetails`, when the answer gives them.
    #[serde(default)]
    pub order_details: Option<OrderDetails>,
    /// The transactions (every attempt for the order id), in the answer's order.
    pub transactions: Vec<RestTransaction>,
}

impl OrderTransactions {
    /// The platform's view of the order as reconciliation events, one per transaction,
    /// the same events (and idempotency keys) as notifications of those transactions in
    /// their current status: merge them with the notifications received
    /// ([`crate::lifecycle::reconcile`]).
    #[must_use]
    pub fn events(&self) -> Vec<crate::protocol::lifecycle::TransactionEvent> {
        let order = self
            .order_id
            .as_deref()
            .or_else(|| self.order_details.as_ref()?.order_id.as_deref());
        self.transactions
            .iter()
            .map(|t| t.to_event(order))
            .collect()
    }
}

impl sealed::Sealed for OrderTransactions {}
impl FromAnswer for OrderTransactions {
    const DOCUMENTED_TYPE: Option<&'static str> = None;
    fn shape_fits(&self) -> bool {
        self.transactions.iter().all(RestTransaction::shape_fits)
    }
}

/// The answer of a `SILENT` `Charge/CreatePayment` (`V4/Payment`): the order and its
/// transactions, as a REST notification carries them (none follows a zero-click charge:
/// this answer is the event).
impl sealed::Sealed for crate::protocol::rest_answer::RestAnswer {}
impl FromAnswer for crate::protocol::rest_answer::RestAnswer {
    const DOCUMENTED_TYPE: Option<&'static str> = Some("V4/Payment");
    fn shape_fits(&self) -> bool {
        !self.transactions.is_empty() && self.transactions.iter().all(RestTransaction::shape_fits)
    }
}

impl sealed::Sealed for RestTransaction {}
impl FromAnswer for RestTransaction {
    const DOCUMENTED_TYPE: Option<&'static str> = None;
    fn shape_fits(&self) -> bool {
        self.uuid.as_deref().is_some_and(|u| !u.is_empty())
    }
}

/// The envelope (`V4/WebService/Response`), its fields read exactly once each.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "_type")]
    kind: Option<String>,
    status: Option<String>,
    #[serde(rename = "webService")]
    web_service: Option<String>,
    #[serde(default)]
    answer: Value,
}

/// An `ERROR` envelope's answer (`V4/WebService/WebServiceError`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebServiceError {
    #[serde(rename = "_type")]
    kind: Option<String>,
    error_code: String,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    detailed_error_code: Option<String>,
    #[serde(default)]
    detailed_error_message: Option<String>,
}

const ENVELOPE_TYPE: &str = "V4/WebService/Response";
const ERROR_TYPE: &str = "V4/WebService/WebServiceError";

fn bad_answer() -> ApiError {
    ApiError::Transport(TransportError::new(TransportKind::BadAnswer))
}

/// Reads the answer of `operation` from an HTTP status and a body: the sans-IO half of a
/// call. HTTP 200 (and 401, which the platform may use for `INT_905`) with the envelope
/// gives the typed answer, or [`ApiError::Refused`] for an `ERROR` envelope; any other
/// status, or a body that is not the envelope, is [`ApiError::Transport`] (the body is
/// never quoted). The envelope's `_type` must be `V4/WebService/Response` and an error's
/// `V4/WebService/WebServiceError`; an answer whose `_type` is unfamiliar but whose shape
/// fits is read.
///
/// ```
/// use vads::api::{parse_answer, Operation, SdkTestAnswer};
/// let body = br#"{"webService":"Charge/SDKTest","version":"V4","applicationVersion":"4.1.2",
///   "status":"SUCCESS","answer":{"value":"my testing value","_type":"V4/Type/String"},
///   "ticket":null,"serverDate":"2018-10-02T16:13:57+00:00","applicationProvider":"LYRA",
///   "metadata":null,"_type":"V4/WebService/Response"}"#;
/// let answer = parse_answer::<SdkTestAnswer>(Operation::SdkTest, 200, body)?;
/// assert_eq!(answer.value.as_deref(), Some("my testing value"));
/// # Ok::<(), vads::api::ApiError>(())
/// ```
///
/// # Errors
/// [`ApiError::Refused`], [`ApiError::Transport`] (`api_http_status`, `api_bad_answer`,
/// `api_answer_too_large`).
pub fn parse_answer<A: FromAnswer>(
    operation: Operation,
    status: u16,
    body: &[u8],
) -> Result<A, ApiError> {
    if body.len() > MAX_ANSWER_LEN {
        return Err(ApiError::Transport(TransportError::new(
            TransportKind::AnswerTooLarge,
        )));
    }
    if status != 200 && status != 401 {
        return Err(ApiError::Transport(TransportError::status(status)));
    }
    let not_envelope = || {
        if status == 401 {
            ApiError::Transport(TransportError::status(401))
        } else {
            bad_answer()
        }
    };
    // JSON is UTF-8: checked over the whole body (serde skips the strings of fields it
    // ignores without looking inside them).
    let text = core::str::from_utf8(body).map_err(|_| not_envelope())?;
    let envelope: Envelope = serde_json::from_str(text).map_err(|_| not_envelope())?;
    if envelope.kind.as_deref() != Some(ENVELOPE_TYPE) {
        return Err(not_envelope());
    }
    if envelope
        .web_service
        .as_deref()
        .is_some_and(|w| w != operation.name())
    {
        return Err(not_envelope());
    }
    match envelope.status.as_deref() {
        Some("ERROR") => {
            let e: WebServiceError =
                serde_json::from_value(envelope.answer).map_err(|_| not_envelope())?;
            if e.kind.as_deref() != Some(ERROR_TYPE) {
                return Err(not_envelope());
            }
            Err(ApiError::Refused(PlatformError {
                error_code: e.error_code,
                error_message: e.error_message,
                detailed_error_code: e.detailed_error_code,
                detailed_error_message: e.detailed_error_message,
            }))
        }
        // A success on 401 is not an answer the platform gives.
        Some("SUCCESS") if status == 200 => {
            let kind = envelope.answer.get("_type").and_then(Value::as_str);
            if kind == Some(ERROR_TYPE) || kind == Some(ENVELOPE_TYPE) {
                return Err(bad_answer());
            }
            let answer: A = serde_json::from_value(envelope.answer).map_err(|_| bad_answer())?;
            if answer.shape_fits() {
                Ok(answer)
            } else {
                Err(bad_answer())
            }
        }
        _ => Err(not_envelope()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;

    /// The documentation's published SDKTest answer (protocol section 8), as received.
    const SDK_TEST: &str = r#"{"webService":"Charge/SDKTest","version":"V4","applicationVersion":"4.1.2","status":"SUCCESS","answer":{"value":"my testing value","_type":"V4/Type/String"},"ticket":null,"serverDate":"2018-10-02T16:13:57+00:00","applicationProvider":"LYRA","metadata":null,"_type":"V4/WebService/Response"}"#;

    fn error_envelope(op: &str, error: &str) -> String {
        format!(
            r#"{{"webService":"{op}","version":"V4","applicationVersion":"5.0.0","status":"ERROR","answer":{error},"ticket":"null","serverDate":"2024-01-01T00:00:00+00:00","applicationProvider":"LYRA","metadata":null,"_type":"V4/WebService/Response"}}"#
        )
    }

    #[test]
    fn the_published_success_envelope_is_read() {
        let a: SdkTestAnswer = parse_answer(Operation::SdkTest, 200, SDK_TEST.as_bytes()).unwrap();
        assert_eq!(a.value.as_deref(), Some("my testing value"));
        // serverDateTime, as the docs' table says, is tolerated too.
        let t = SDK_TEST.replace("serverDate", "serverDateTime");
        assert!(parse_answer::<SdkTestAnswer>(Operation::SdkTest, 200, t.as_bytes()).is_ok());
    }

    #[test]
    fn the_published_int_010_error_is_kept_verbatim() {
        let body = error_envelope(
            "Charge/CreatePayment",
            r#"{"errorCode":"INT_010","errorMessage":"invalid currency","detailedErrorCode":null,"detailedErrorMessage":"Invalid input value [name=currency, value=TTT]","ticket":"null","_type":"V4/WebService/WebServiceError"}"#,
        );
        let e = parse_answer::<PaymentForm>(Operation::CreatePayment, 200, body.as_bytes())
            .unwrap_err();
        let ApiError::Refused(p) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(p.error_code, "INT_010");
        assert_eq!(p.kind(), ErrorCode::Int010);
        assert_eq!(p.error_message.as_deref(), Some("invalid currency"));
        assert_eq!(p.detailed_error_code, None);
        assert_eq!(
            p.detailed_error_message.as_deref(),
            Some("Invalid input value [name=currency, value=TTT]")
        );
        assert_eq!(e.to_string(), "INT_010: invalid currency");
        assert!(!format!("{e:?}").contains("TTT"));
    }

    #[test]
    fn int_902_on_401_and_200_alike() {
        let body = error_envelope(
            "Charge/SDKTest",
            r#"{"errorCode":"INT_902","errorMessage":"web-service input data validation error","detailedErrorCode":null,"detailedErrorMessage":null,"ticket":"null","_type":"V4/WebService/WebServiceError"}"#,
        );
        for status in [200, 401] {
            let e = parse_answer::<SdkTestAnswer>(Operation::SdkTest, status, body.as_bytes())
                .unwrap_err();
            assert_eq!(e.code(), "INT_902");
        }
    }

    #[test]
    fn what_is_not_the_envelope_is_a_transport_failure_that_never_quotes_the_body() {
        let secret_page = "<html>proxy error for card 4970100000000000</html>";
        for (status, body, code) in [
            (502, secret_page, "api_http_status"),
            (200, secret_page, "api_bad_answer"),
            (401, secret_page, "api_http_status"),
            (200, "{}", "api_bad_answer"),
            (
                200,
                &SDK_TEST.replace("V4/WebService/Response", "V4/Other"),
                "api_bad_answer",
            ),
            (
                200,
                &SDK_TEST.replace("Charge/SDKTest", "Charge/CreatePayment"),
                "api_bad_answer",
            ),
            (200, &SDK_TEST.replace("SUCCESS", "MAYBE"), "api_bad_answer"),
            (
                200,
                &SDK_TEST.replace(
                    r#""status":"SUCCESS","#,
                    r#""status":"SUCCESS","status":"ERROR","#,
                ),
                "api_bad_answer",
            ),
            (401, SDK_TEST, "api_http_status"),
        ] {
            let e = parse_answer::<SdkTestAnswer>(Operation::SdkTest, status, body.as_bytes())
                .unwrap_err();
            assert_eq!(e.code(), code, "{status} {body}");
            assert!(!e.to_string().contains("4970"), "{e}");
            assert!(!format!("{e:?}").contains("4970"));
        }
        // Invalid UTF-8, even in a field the parser ignores (found by the fuzz target).
        let mut invalid = SDK_TEST
            .replace(r#""version":"V4""#, r#""x":"??""#)
            .into_bytes();
        let at = invalid.windows(2).position(|w| w == b"??").unwrap();
        invalid[at..at + 2].copy_from_slice(&[0xbb, 0x97]);
        assert_eq!(
            parse_answer::<SdkTestAnswer>(Operation::SdkTest, 200, &invalid)
                .unwrap_err()
                .code(),
            "api_bad_answer"
        );
        let huge = vec![b' '; MAX_ANSWER_LEN + 1];
        assert_eq!(
            parse_answer::<SdkTestAnswer>(Operation::SdkTest, 200, &huge)
                .unwrap_err()
                .code(),
            "api_answer_too_large"
        );
    }

    #[test]
    fn an_unfamiliar_answer_type_whose_shape_fits_is_read() {
        let body = r#"{"webService":"Transaction/Get","status":"SUCCESS","answer":{"uuid":"5b158f084502a02b7e36b7d5e0e8d9a4","amount":990,"currency":"EUR","detailedStatus":"CAPTURED","operationType":"DEBIT","newField":{"x":1},"_type":"V4/SomethingNew"},"_type":"V4/WebService/Response"}"#;
        let t: RestTransaction =
            parse_answer(Operation::TransactionGet, 200, body.as_bytes()).unwrap();
        assert_eq!(t.amount, Some(990));
        // A transaction without a uuid does not fit.
        let no_uuid = body.replace(r#""uuid":"5b158f084502a02b7e36b7d5e0e8d9a4","#, "");
        assert_eq!(
            parse_answer::<RestTransaction>(Operation::TransactionGet, 200, no_uuid.as_bytes())
                .unwrap_err()
                .code(),
            "api_bad_answer"
        );
        // An error object under SUCCESS does not either.
        let confused = body.replace("V4/SomethingNew", "V4/WebService/WebServiceError");
        assert!(parse_answer::<RestTransaction>(
            Operation::TransactionGet,
            200,
            confused.as_bytes()
        )
        .is_err());
    }

    #[test]
    fn a_form_token_is_never_in_debug() {
        let body = r#"{"webService":"Charge/CreatePayment","status":"SUCCESS","answer":{"formToken":"02ZmRlYjE0YjY3ODkxNDE1MDk5MjM0OTc1NjgwNzQ5OWVJdG9rZW4","_type":"V4/Charge/PaymentForm"},"_type":"V4/WebService/Response"}"#;
        let p: PaymentForm = parse_answer(Operation::CreatePayment, 200, body.as_bytes()).unwrap();
        assert!(p.form_token.as_str().starts_with("02ZmRl"));
        assert!(!format!("{p:?}").contains("02ZmRl"));
    }
}
