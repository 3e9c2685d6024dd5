//! The errors of an API call: [`ApiError`] separates what the platform refused
//! ([`PlatformError`], an `ERROR` envelope: nothing was applied), a transport failure
//! ([`TransportError`]: no usable answer), an outcome that is unknown
//! ([`OutcomeUnknown`]: a money-moving call whose answer was lost) and a request refused
//! before it was sent ([`RequestError`]).
//!
//! No message holds a credential, an answer's body or a formToken; a platform's own
//! message is quoted only after its control characters are dropped, and bounded.

use super::Operation;
use core::fmt;

/// Why an API call did not give its answer. Its [`ApiError::code`] is the platform's
/// `errorCode` for a refusal (`INT_905`, `PSP_010`, ...), else one of the library's codes.
///
/// ```
/// # #[cfg(feature = "api")] {
/// use vads::api::{parse_answer, ApiError, ErrorCode, Operation, SdkTestAnswer};
/// let body = br#"{"webService":"Charge/SDKTest","version":"V4","status":"ERROR",
///   "answer":{"errorCode":"INT_905","errorMessage":"invalid credentials",
///   "detailedErrorCode":null,"detailedErrorMessage":null,"ticket":"null",
///   "_type":"V4/WebService/WebServiceError"},"ticket":null,"_type":"V4/WebService/Response"}"#;
/// let e = parse_answer::<SdkTestAnswer>(Operation::SdkTest, 401, body).unwrap_err();
/// assert_eq!(e.code(), "INT_905");
/// let ApiError::Refused(refusal) = &e else { panic!() };
/// assert_eq!(refusal.kind(), ErrorCode::Int905);
/// assert!(e.to_string().starts_with("INT_905: the shop id or the REST password is wrong"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiError {
    /// The platform answered with an `ERROR` envelope: it refused, and applied nothing.
    Refused(PlatformError),
    /// No usable answer: no connection, a timeout, TLS, an HTTP status other than 200 and
    /// 401, an answer that is not the envelope. For a money-moving call, only a failure
    /// before the request could reach the platform is reported so (else it is
    /// [`ApiError::OutcomeUnknown`]).
    Transport(TransportError),
    /// A money-moving call (`CancelOrRefund`, `Cancel`, `Update`, `Validate`) whose answer
    /// was lost after the request may have reached the platform: it may or may not have
    /// been applied. Read the transaction (`Transaction/Get`) or the order (`Order/Get`)
    /// and compare with [`OutcomeUnknown`]'s intent before asking again.
    OutcomeUnknown(OutcomeUnknown),
    /// Refused before anything was sent: an invalid request, or a shop without the REST
    /// password or the API host.
    Request(RequestError),
}

impl ApiError {
    /// The stable code: the platform's `errorCode` for [`ApiError::Refused`] (when it has
    /// the shape of a code, else `api_refused`), [`TransportError::code`],
    /// `outcome_unknown`, [`RequestError::code`].
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            ApiError::Refused(e) => e.code(),
            ApiError::Transport(e) => e.code(),
            ApiError::OutcomeUnknown(_) => "outcome_unknown",
            ApiError::Request(e) => e.code(),
        }
    }

    /// Whether nothing was applied: a refusal, a request not sent, or a transport failure
    /// (which, for a money-moving call, happened before the request could arrive). False
    /// only for [`ApiError::OutcomeUnknown`].
    #[must_use]
    pub fn nothing_applied(&self) -> bool {
        !matches!(self, ApiError::OutcomeUnknown(_))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Refused(e) => e.fmt(f),
            ApiError::Transport(e) => e.fmt(f),
            ApiError::OutcomeUnknown(e) => e.fmt(f),
            ApiError::Request(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        ApiError::Request(e)
    }
}

/// The platform's error codes that a client acts on (protocol section 8); any other is
/// [`ErrorCode::Other`], its text in [`PlatformError::error_code`]. New codes appear over
/// time: a code this version does not know is never an error of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `INT_902`: the request is not valid JSON or input (a bug: never retried).
    Int902,
    /// `INT_903`: formToken not found or expired.
    Int903,
    /// `INT_905`: wrong shop id or REST password.
    Int905,
    /// `INT_912`: the password does not match the transaction's mode.
    Int912,
    /// `INT_009`: invalid amount.
    Int009,
    /// `INT_010`: invalid currency.
    Int010,
    /// `INT_013`: invalid order id.
    Int013,
    /// `INT_015`: invalid customer e-mail.
    Int015,
    /// `INT_016`: invalid customer reference.
    Int016,
    /// `PSP_010`: transaction not found.
    Psp010,
    /// `PSP_011`: wrong status for this operation.
    Psp011,
    /// `PSP_503`: wrong status for this operation.
    Psp503,
    /// `PSP_015`: more than 30 results (`Order/Get`).
    Psp015,
    /// `PSP_075`: cannot be cancelled: refund it instead.
    Psp075,
    /// `PSP_076`: cannot be refunded yet: cancel it instead.
    Psp076,
    /// `PSP_083`: cannot be refunded.
    Psp083,
    /// `PSP_101`: already refunded or cancelled.
    Psp101,
    /// `PSP_102`: already refunded or cancelled.
    Psp102,
    /// `PSP_104`: already refunded (an earlier attempt likely went through).
    Psp104,
    /// `PSP_105`: already cancelled (an earlier attempt likely went through).
    Psp105,
    /// `PSP_099`: too many attempts.
    Psp099,
    /// `PSP_106`: call limit reached.
    Psp106,
    /// `PSP_100`: the shop's offer has no REST API.
    Psp100,
    /// `PSP_108`: the payment form expired.
    Psp108,
    /// `PSP_109`: production mode is not enabled for the shop.
    Psp109,
    /// `PSP_030`: token not found.
    Psp030,
    /// `PSP_031`: invalid token (cancelled, empty).
    Psp031,
    /// `PSP_032`: subscription not found.
    Psp032,
    /// `PSP_033`: invalid rule, or the subscription is already cancelled.
    Psp033,
    /// `PSP_034`: the token already exists.
    Psp034,
    /// `PSP_035`: token creation denied.
    Psp035,
    /// `PSP_036`: the token was purged.
    Psp036,
    /// `PSP_563`: the subscription already exists (reported by third parties).
    Psp563,
    /// `PSP_564`: the subscription is terminated (reported by third parties).
    Psp564,
    /// `PSP_565`: invalid subscription (reported by third parties).
    Psp565,
    /// `PSP_566`: invalid subscription rule (reported by third parties).
    Psp566,
    /// `PSP_567`: the subscription could not be created (reported by third parties).
    Psp567,
    /// `INT_064`: invalid subscription rule (reported by third parties).
    Int064,
    /// Any other code.
    Other,
}

const CODES: [(ErrorCode, &str, &str); 38] = [
    (
        ErrorCode::Int902,
        "INT_902",
        "the request is not valid JSON or input",
    ),
    (
        ErrorCode::Int903,
        "INT_903",
        "the formToken is unknown or expired: create a new one",
    ),
    (
        ErrorCode::Int905,
        "INT_905",
        "the shop id or the REST password is wrong",
    ),
    (
        ErrorCode::Int912,
        "INT_912",
        "the REST password does not match the transaction (a test password for a production transaction, or the other way round)",
    ),
    (ErrorCode::Int009, "INT_009", "invalid amount"),
    (ErrorCode::Int010, "INT_010", "invalid currency"),
    (ErrorCode::Int013, "INT_013", "invalid order id"),
    (ErrorCode::Int015, "INT_015", "invalid customer e-mail"),
    (ErrorCode::Int016, "INT_016", "invalid customer reference"),
    (ErrorCode::Psp010, "PSP_010", "transaction not found"),
    (
        ErrorCode::Psp011,
        "PSP_011",
        "the transaction's status does not allow this operation: read it again",
    ),
    (
        ErrorCode::Psp503,
        "PSP_503",
        "the transaction's status does not allow this operation: read it again",
    ),
    (
        ErrorCode::Psp015,
        "PSP_015",
        "more than 30 transactions: ask per operation type",
    ),
    (
        ErrorCode::Psp075,
        "PSP_075",
        "the transaction cannot be cancelled: refund it instead",
    ),
    (
        ErrorCode::Psp076,
        "PSP_076",
        "the transaction cannot be refunded yet: cancel it instead",
    ),
    (
        ErrorCode::Psp083,
        "PSP_083",
        "the transaction cannot be refunded",
    ),
    (
        ErrorCode::Psp101,
        "PSP_101",
        "the transaction is already refunded or cancelled",
    ),
    (
        ErrorCode::Psp102,
        "PSP_102",
        "the transaction is already refunded or cancelled",
    ),
    (
        ErrorCode::Psp104,
        "PSP_104",
        "the transaction is already refunded: an earlier attempt likely went through, read it again",
    ),
    (
        ErrorCode::Psp105,
        "PSP_105",
        "the transaction is already cancelled: an earlier attempt likely went through, read it again",
    ),
    (
        ErrorCode::Psp099,
        "PSP_099",
        "too many attempts: back off",
    ),
    (ErrorCode::Psp106, "PSP_106", "call limit reached: back off"),
    (
        ErrorCode::Psp100,
        "PSP_100",
        "the shop's offer does not include the REST API",
    ),
    (
        ErrorCode::Psp108,
        "PSP_108",
        "the payment form expired: create a new formToken",
    ),
    (
        ErrorCode::Psp109,
        "PSP_109",
        "production mode is not enabled for this shop",
    ),
    (ErrorCode::Psp030, "PSP_030", "the token is not found"),
    (
        ErrorCode::Psp031,
        "PSP_031",
        "the token is invalid (cancelled or empty): read it (Token/Get)",
    ),
    (ErrorCode::Psp032, "PSP_032", "the subscription is not found"),
    (
        ErrorCode::Psp033,
        "PSP_033",
        "the rule is invalid, or the subscription is already cancelled: read it (Subscription/Get)",
    ),
    (ErrorCode::Psp034, "PSP_034", "the token already exists"),
    (ErrorCode::Psp035, "PSP_035", "the token's creation was denied"),
    (
        ErrorCode::Psp036,
        "PSP_036",
        "the token was purged (unused for 15 months): save the card again",
    ),
    (ErrorCode::Psp563, "PSP_563", "the subscription already exists"),
    (ErrorCode::Psp564, "PSP_564", "the subscription is terminated"),
    (ErrorCode::Psp565, "PSP_565", "the subscription is invalid"),
    (ErrorCode::Psp566, "PSP_566", "the subscription's rule is invalid"),
    (
        ErrorCode::Psp567,
        "PSP_567",
        "the subscription could not be created",
    ),
    (
        ErrorCode::Int064,
        "INT_064",
        "the subscription's rule (rrule) is invalid",
    ),
];

impl ErrorCode {
    /// The code of the platform's `errorCode` text (exact); anything else is `Other`.
    #[must_use]
    pub fn parse(text: &str) -> ErrorCode {
        CODES
            .iter()
            .find(|(_, t, _)| *t == text)
            .map_or(ErrorCode::Other, |(c, _, _)| *c)
    }

    /// The platform's text of the code (`"INT_905"`); `None` for `Other`.
    #[must_use]
    pub fn as_str(self) -> Option<&'static str> {
        CODES
            .iter()
            .find(|(c, _, _)| *c == self)
            .map(|(_, t, _)| *t)
    }

    fn sentence(self) -> Option<&'static str> {
        CODES
            .iter()
            .find(|(c, _, _)| *c == self)
            .map(|(_, _, s)| *s)
    }

    /// Whether the platform asks the caller to back off (`PSP_099`, `PSP_106`).
    #[must_use]
    pub fn is_back_off(self) -> bool {
        matches!(self, ErrorCode::Psp099 | ErrorCode::Psp106)
    }
}

/// An `ERROR` envelope's answer (`V4/WebService/WebServiceError`), its four fields kept
/// verbatim. The platform applied nothing.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlatformError {
    /// `errorCode`, e.g. `INT_905`, `PSP_010`.
    pub error_code: String,
    /// `errorMessage`, the platform's words.
    pub error_message: Option<String>,
    /// `detailedErrorCode`: on a decline, the issuer's code (e.g. `51`).
    pub detailed_error_code: Option<String>,
    /// `detailedErrorMessage`. It may quote the request's values (an e-mail, an order id):
    /// never printed by `Display` or `Debug`.
    pub detailed_error_message: Option<String>,
}

impl PlatformError {
    /// The code, typed.
    #[must_use]
    pub fn kind(&self) -> ErrorCode {
        ErrorCode::parse(&self.error_code)
    }

    /// `errorCode` when it has the shape of a code (1 to 16 ASCII letters, digits and
    /// `_`), else `api_refused`: what a log or a terminal may print.
    #[must_use]
    pub fn code(&self) -> &str {
        if is_code_shaped(&self.error_code) {
            &self.error_code
        } else {
            "api_refused"
        }
    }
}

/// 1 to 16 ASCII letters, digits and `_`.
pub(crate) fn is_code_shaped(text: &str) -> bool {
    (1..=16).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl fmt::Debug for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformError")
            .field("error_code", &self.code())
            .field(
                "error_message",
                &self.error_message.as_deref().map(Printable),
            )
            .field(
                "detailed_error_code",
                &self.detailed_error_code.as_deref().map(Printable),
            )
            .field(
                "detailed_error_message",
                &self.detailed_error_message.as_ref().map(|_| "<withheld>"),
            )
            .finish()
    }
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code())?;
        match (self.kind().sentence(), &self.error_message) {
            (Some(sentence), _) => f.write_str(sentence)?,
            (None, Some(message)) => {
                write!(f, "the platform refused: {}", Printable(message))?;
            }
            (None, None) => f.write_str("the platform refused")?,
        }
        if let Some(detail) = self.detailed_error_code.as_deref() {
            if is_code_shaped(detail) {
                write!(f, " (detailed code {detail})")?;
            }
        }
        Ok(())
    }
}

/// A platform's text as a terminal may print it: control characters dropped, at most 200
/// characters.
struct Printable<'a>(&'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.chars().filter(|c| !c.is_control()).enumerate() {
            if i == 200 {
                return f.write_str("...");
            }
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// What went wrong in the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection could be made (DNS, refused, unreachable): the request was not sent.
    Unreachable,
    /// The TLS handshake failed (certificate, protocol): the request was not sent.
    Tls,
    /// No answer within the attempt's or the call's timeout.
    Timeout,
    /// The connection broke while the request or the answer was under way.
    Interrupted,
    /// An HTTP status other than 200, and other than 401 with the envelope.
    HttpStatus,
    /// The body is not the API's envelope, or its answer does not have the operation's
    /// shape.
    BadAnswer,
    /// The body is longer than [`super::MAX_ANSWER_LEN`].
    AnswerTooLarge,
    /// The HTTP client could not be built or the request could not be made.
    Client,
}

/// A transport failure: its kind, the HTTP status when there was one, and whether the
/// request may have reached the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportError {
    kind: TransportKind,
    status: Option<u16>,
    maybe_delivered: bool,
}

impl TransportError {
    /// A failure of `kind`. `Unreachable`, `Tls` and `Client` are failures before the
    /// request was sent; the others may come after the platform received it.
    #[must_use]
    pub const fn new(kind: TransportKind) -> TransportError {
        TransportError {
            kind,
            status: None,
            maybe_delivered: !matches!(
                kind,
                TransportKind::Unreachable | TransportKind::Tls | TransportKind::Client
            ),
        }
    }

    /// An answer with HTTP status `status` that is not the envelope. HTTP 429 (too many
    /// requests) is a refusal before the request is processed: it was not delivered.
    #[must_use]
    pub const fn status(status: u16) -> TransportError {
        TransportError {
            kind: TransportKind::HttpStatus,
            status: Some(status),
            maybe_delivered: status != 429,
        }
    }

    /// The kind of failure.
    #[must_use]
    pub const fn kind(&self) -> TransportKind {
        self.kind
    }

    /// The HTTP status, for [`TransportKind::HttpStatus`].
    #[must_use]
    pub const fn http_status(&self) -> Option<u16> {
        self.status
    }

    /// Whether the request may have reached the platform (false when no connection was
    /// made).
    #[must_use]
    pub const fn maybe_delivered(&self) -> bool {
        self.maybe_delivered
    }

    /// The stable code: `api_unreachable`, `api_tls`, `api_timeout`, `api_interrupted`,
    /// `api_http_status`, `api_bad_answer`, `api_answer_too_large`, `api_client`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self.kind {
            TransportKind::Unreachable => "api_unreachable",
            TransportKind::Tls => "api_tls",
            TransportKind::Timeout => "api_timeout",
            TransportKind::Interrupted => "api_interrupted",
            TransportKind::HttpStatus => "api_http_status",
            TransportKind::BadAnswer => "api_bad_answer",
            TransportKind::AnswerTooLarge => "api_answer_too_large",
            TransportKind::Client => "api_client",
        }
    }

    /// Whether a read may be tried again after it: anything but a client that could not
    /// be built and an HTTP status that says the request itself is wrong (4xx other than
    /// 408 and 429).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match (self.kind, self.status) {
            (TransportKind::Client, _) => false,
            (TransportKind::HttpStatus, Some(s)) => {
                !(400..500).contains(&s) || s == 408 || s == 429
            }
            _ => true,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code())?;
        match self.kind {
            TransportKind::Unreachable => {
                f.write_str("the API host cannot be reached (name, address, port or network)")
            }
            TransportKind::Tls => {
                f.write_str("the TLS connection to the API host failed (certificate or protocol)")
            }
            TransportKind::Timeout => f.write_str("the API host did not answer in time"),
            TransportKind::Interrupted => {
                f.write_str("the connection broke before the whole answer arrived")
            }
            TransportKind::HttpStatus => match self.status {
                Some(s) => write!(f, "the API host answered HTTP {s}, not the API's answer"),
                None => f.write_str("the API host answered an HTTP status other than 200"),
            },
            TransportKind::BadAnswer => f.write_str(
                "the answer is not the API's JSON envelope with this operation's answer",
            ),
            TransportKind::AnswerTooLarge => write!(
                f,
                "the answer is larger than {} KiB",
                super::MAX_ANSWER_LEN / 1024
            ),
            TransportKind::Client => f.write_str("the HTTP client could not send the request"),
        }
    }
}

impl std::error::Error for TransportError {}

/// A money-moving call whose answer was lost: what was asked, so that the caller can read
/// the transaction or the order and tell whether it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutcomeUnknown {
    /// The operation.
    pub operation: Operation,
    /// The transaction it acted on (empty for a call that creates one: a `SILENT` charge,
    /// a subscription).
    pub uuid: String,
    /// The order a call that creates a transaction named (a charge, a subscription).
    pub order_id: Option<String>,
    /// The amount asked (minor units), for `CancelOrRefund` and `Update`.
    pub amount: Option<u64>,
    /// The currency asked, alphabetic.
    pub currency: Option<String>,
    /// What happened to the answer.
    pub cause: TransportError,
}

impl fmt::Display for OutcomeUnknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = self.order_id.as_deref().unwrap_or("(none)");
        match self.operation {
            Operation::CreateSubscription => write!(
                f,
                "outcome_unknown: Charge/CreateSubscription for order {order} may or may not have created the subscription ({}); it was sent once and not retried: no API lists subscriptions, so look for it in the back office (the token's subscriptions) before asking again",
                self.cause.code()
            )?,
            _ if self.uuid.is_empty() => write!(
                f,
                "outcome_unknown: {} for order {order} may or may not have been applied ({}); it was sent once and not retried: read the order (Order/Get) before asking again",
                self.operation.name(),
                self.cause.code()
            )?,
            _ => write!(
                f,
                "outcome_unknown: {} on transaction {} may or may not have been applied ({}); it was sent once and not retried: read the transaction (Transaction/Get) or the order (Order/Get) before asking again",
                self.operation.name(),
                self.uuid,
                self.cause.code()
            )?,
        }
        if let Some(amount) = self.amount {
            write!(f, " (amount asked: {amount}")?;
            if let Some(c) = &self.currency {
                write!(f, " {c}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A request refused before it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// A field is invalid (its name, and what is expected; never its value).
    Invalid {
        /// The request field, as the API names it (`uuid`, `amount`, `currency`, ...).
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The shop has no REST password for its mode.
    NoPassword,
    /// No API host is known: the brand's is unconfirmed and `api_url` is not set.
    NoApiUrl,
    /// The channel the call is for is off in the shop's configuration (`[channels]`).
    ChannelOff(crate::protocol::channel::Channel),
}

impl RequestError {
    /// The stable code: `invalid_request`, `api_password_missing`, `api_url_missing`,
    /// `channel_off`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            RequestError::Invalid { .. } => "invalid_request",
            RequestError::NoPassword => "api_password_missing",
            RequestError::NoApiUrl => "api_url_missing",
            RequestError::ChannelOff(_) => "channel_off",
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code())?;
        match self {
            RequestError::Invalid { field, expected } => {
                write!(f, "{field} must be {expected}; nothing was sent")
            }
            RequestError::NoPassword => f.write_str(
                "the shop has no REST password for its mode (set test_password or production_password, as _file or _env)",
            ),
            RequestError::NoApiUrl => f.write_str(
                "no REST API host is known for this shop's brand: set api_url",
            ),
            RequestError::ChannelOff(channel) => write!(
                f,
                "the {channel} channel is off in the shop's configuration ([channels] {channel} = \"TEST\" or \"PRODUCTION\" to open it); nothing was sent"
            ),
        }
    }
}

impl std::error::Error for RequestError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_and_has_a_sentence() {
        for (code, text, _) in CODES {
            assert_eq!(ErrorCode::parse(text), code);
            assert_eq!(code.as_str(), Some(text));
            assert!(code.sentence().is_some());
        }
        assert_eq!(ErrorCode::parse("PSP_999"), ErrorCode::Other);
        assert_eq!(ErrorCode::Other.as_str(), None);
    }

    #[test]
    fn an_unknown_code_is_kept_and_its_message_made_printable() {
        let e = PlatformError {
            error_code: "ACQ_001".into(),
            error_message: Some("declined\u{1b}[31m by\nthe bank".into()),
            detailed_error_code: Some("51".into()),
            detailed_error_message: Some("value=jane@example.com".into()),
        };
        assert_eq!(e.kind(), ErrorCode::Other);
        assert_eq!(
            e.to_string(),
            "ACQ_001: the platform refused: declined[31m bythe bank (detailed code 51)"
        );
        let debug = format!("{e:?}");
        assert!(!debug.contains("jane@example.com"), "{debug}");
        let odd = PlatformError {
            error_code: "not a code\n".into(),
            error_message: None,
            detailed_error_code: None,
            detailed_error_message: None,
        };
        assert_eq!(odd.code(), "api_refused");
        assert_eq!(odd.to_string(), "api_refused: the platform refused");
    }

    #[test]
    fn a_long_platform_message_is_bounded() {
        let e = PlatformError {
            error_code: "X_1".into(),
            error_message: Some("a".repeat(10_000)),
            detailed_error_code: None,
            detailed_error_message: None,
        };
        assert!(e.to_string().len() < 260);
    }

    #[test]
    fn failures_before_sending_are_not_maybe_delivered() {
        for kind in [
            TransportKind::Unreachable,
            TransportKind::Tls,
            TransportKind::Client,
        ] {
            assert!(!TransportError::new(kind).maybe_delivered());
        }
        for kind in [
            TransportKind::Timeout,
            TransportKind::Interrupted,
            TransportKind::BadAnswer,
            TransportKind::AnswerTooLarge,
        ] {
            assert!(TransportError::new(kind).maybe_delivered());
        }
        assert!(TransportError::status(502).is_transient());
        assert!(TransportError::status(429).is_transient());
        assert!(!TransportError::status(404).is_transient());
    }
}
