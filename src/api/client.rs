//! The driver: [`Client`] sends a request over a [`Transport`] with the retry rules of
//! its operation's class, within the call's time budget, and reads the answer.

use super::answer::parse_answer;
use super::error::{ApiError, OutcomeUnknown, TransportError, TransportKind};
use super::request::{ApiCall, Credentials, HttpRequest, HttpResponse};
use super::Operation;
use core::future::Future;
use std::time::{Duration, Instant};

/// An HTTP client the [`Client`] can send through: `reqwest` with feature `client`
/// ([`super::ReqwestTransport`]), or your own.
///
/// `send` posts [`HttpRequest::body`] to [`HttpRequest::url`] with
/// [`HttpRequest::headers`], gives up after `timeout`, and returns the status and at most
/// [`super::MAX_ANSWER_LEN`] bytes of body (longer: [`TransportKind::AnswerTooLarge`]). It
/// must not follow redirects (the `Authorization` header would follow them) and must
/// report a failure to connect as [`TransportKind::Unreachable`] or
/// [`TransportKind::Tls`] only when the request cannot have been sent: that is what lets a
/// money-moving call say "nothing was applied".
pub trait Transport: Send + Sync {
    /// Sends one attempt.
    fn send(
        &self,
        request: &HttpRequest,
        timeout: Duration,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send;

    /// Waits `duration` (between attempts), on the transport's runtime.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// Timeouts and retries. The defaults are the official SDKs' 45 seconds (connect, each
/// attempt, and the whole call), and 3 attempts for what may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// To establish a connection (used by the transport when it builds its client).
    pub connect_timeout: Duration,
    /// For one attempt, connection included.
    pub attempt_timeout: Duration,
    /// For the whole call, retries and waits included.
    pub call_timeout: Duration,
    /// Attempts of a read or a `CreatePayment` (at least 1). A money-moving call is
    /// always sent once.
    pub attempts: u32,
    /// The first wait before a retry; doubled each time, at most `backoff_max`, with
    /// jitter (between half and all of it).
    pub backoff_base: Duration,
    /// The longest wait.
    pub backoff_max: Duration,
    /// The first wait after HTTP 429, `PSP_099` or `PSP_106` (too many calls), doubled
    /// the same way; a `Retry-After` the platform sends is waited instead.
    pub back_off_base: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(45),
            attempt_timeout: Duration::from_secs(45),
            call_timeout: Duration::from_secs(45),
            attempts: 3,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(4),
            back_off_base: Duration::from_secs(1),
        }
    }
}

/// What a call did: its operation, how many requests were sent, the last HTTP status, the
/// error code (none on success), how long it took. Holds no credential, no body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallReport {
    /// The operation.
    pub operation: Operation,
    /// Requests sent (1 for a money-moving call).
    pub attempts: u32,
    /// The last HTTP status received, if any.
    pub status: Option<u16>,
    /// The error's code ([`ApiError::code`]), `None` on success.
    pub error_code: Option<String>,
    /// The whole call's duration.
    pub duration: Duration,
}

/// A REST API client: the shop's [`Credentials`], a [`Transport`], a [`ClientConfig`].
///
/// ```no_run
/// # #[cfg(feature = "client")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use vads::api::{Client, CreatePayment};
/// let shop = vads::Shop::new(vads::ShopConfig::from_env()?)?;
/// let client = Client::for_shop(&shop)?;
/// let form = client.call(&CreatePayment::new(1250, "EUR").order_id("A-1")).await?;
/// println!("start the embedded form with the token ({} characters)", form.form_token.as_str().len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client<T> {
    credentials: Credentials,
    transport: T,
    config: ClientConfig,
}

impl<T: Transport> Client<T> {
    /// A client sending with `credentials` over `transport`.
    #[must_use]
    pub fn new(credentials: Credentials, transport: T, config: ClientConfig) -> Client<T> {
        Client {
            credentials,
            transport,
            config,
        }
    }

    /// The credentials (their `Debug` shows no password).
    #[must_use]
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The timeouts and retries.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The transport.
    #[must_use]
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Calls the API: the typed answer, or why not.
    ///
    /// # Errors
    /// [`ApiError`]: `Refused` (an `ERROR` envelope), `Transport` (after the retries a
    /// read is allowed), `OutcomeUnknown` (a money-moving call whose answer was lost),
    /// `Request` (refused before sending).
    pub async fn call<C: ApiCall>(&self, call: &C) -> Result<C::Answer, ApiError> {
        self.call_with_report(call).await.0
    }

    /// As [`Client::call`], with what the call did (for an order's history, a log).
    pub async fn call_with_report<C: ApiCall>(
        &self,
        call: &C,
    ) -> (Result<C::Answer, ApiError>, CallReport) {
        let start = Instant::now();
        let operation = call.operation();
        let mut report = CallReport {
            operation,
            attempts: 0,
            status: None,
            error_code: None,
            duration: Duration::ZERO,
        };
        let result = match self.credentials.request(call) {
            Ok(request) => self.drive(call, &request, start, &mut report).await,
            Err(e) => Err(ApiError::Request(e)),
        };
        report.duration = start.elapsed();
        report.error_code = result.as_ref().err().map(|e| e.code().to_owned());
        observe(&report);
        (result, report)
    }

    async fn drive<C: ApiCall>(
        &self,
        call: &C,
        request: &HttpRequest,
        start: Instant,
        report: &mut CallReport,
    ) -> Result<C::Answer, ApiError> {
        let operation = call.operation();
        let retried = call.class().retried();
        let attempts = if retried {
            self.config.attempts.max(1)
        } else {
            1
        };
        let deadline = start + self.config.call_timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            report.attempts = attempt;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let timeout = self.config.attempt_timeout.min(remaining);
            let mut retry_after = None;
            let outcome = if timeout.is_zero() {
                Err(ApiError::Transport(TransportError::new(
                    TransportKind::Timeout,
                )))
            } else {
                match self.transport.send(request, timeout).await {
                    Ok(response) => {
                        report.status = Some(response.status);
                        retry_after = response.retry_after;
                        parse_answer::<C::Answer>(operation, response.status, &response.body)
                    }
                    Err(e) => Err(ApiError::Transport(e)),
                }
            };
            let error = match outcome {
                Ok(answer) => return Ok(answer),
                Err(e) => e,
            };
            let wait_base = match &error {
                // Too many calls (HTTP 429, PSP_099, PSP_106): back off from the longer base.
                ApiError::Transport(t) if retried && t.http_status() == Some(429) => {
                    self.config.back_off_base
                }
                ApiError::Transport(t) if retried && t.is_transient() => self.config.backoff_base,
                ApiError::Refused(p) if retried && p.kind().is_back_off() => {
                    self.config.back_off_base
                }
                ApiError::Transport(t) if !retried && t.maybe_delivered() => {
                    return Err(outcome_unknown(call, *t))
                }
                _ => return Err(error),
            };
            if attempt >= attempts {
                return Err(error);
            }
            // The server's own `Retry-After`, when it gave one; never past the deadline.
            let wait =
                retry_after.unwrap_or_else(|| backoff(wait_base, self.config.backoff_max, attempt));
            if Instant::now() + wait >= deadline {
                return Err(error);
            }
            self.transport.sleep(wait).await;
        }
    }
}

fn outcome_unknown<C: ApiCall>(call: &C, cause: TransportError) -> ApiError {
    let (uuid, amount, currency) = call.target().unwrap_or(("", None, None));
    ApiError::OutcomeUnknown(OutcomeUnknown {
        operation: call.operation(),
        uuid: uuid.to_owned(),
        order_id: call.order().map(str::to_owned),
        amount,
        currency: currency.map(str::to_owned),
        cause,
    })
}

/// The wait before attempt `attempt + 1`: `base` doubled `attempt - 1` times, at most
/// `max`, then a random point between half of it and all of it.
fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    use std::hash::BuildHasher;
    let full = base
        .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16))
        .min(max.max(base));
    let random = std::collections::hash_map::RandomState::new().hash_one(attempt);
    let half = full / 2;
    // `random` over 2^64 of the other half.
    let extra = half.mul_f64((random >> 11) as f64 / (1u64 << 53) as f64);
    half + extra
}

/// One event per call (feature `tracing`): operation, attempts, status, error code,
/// duration; never a credential, a body or a token.
fn observe(report: &CallReport) {
    #[cfg(feature = "tracing")]
    {
        let duration_ms = u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX);
        let status = report.status.unwrap_or(0);
        match &report.error_code {
            None => {
                if tracing::enabled!(target: "vads::api", tracing::Level::INFO) {
                    tracing::info!(target: "vads::api", operation = report.operation.name(),
                        attempts = report.attempts, status, duration_ms, "api call answered");
                }
            }
            Some(code) => {
                if tracing::enabled!(target: "vads::api", tracing::Level::WARN) {
                    tracing::warn!(target: "vads::api", operation = report.operation.name(),
                        attempts = report.attempts, status, code = code.as_str(), duration_ms,
                        "api call failed");
                }
            }
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = report;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_bounded_and_jittered() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(800);
        for attempt in 1..40 {
            let full = (base * 2u32.pow((attempt - 1).min(16))).min(max);
            for _ in 0..20 {
                let w = backoff(base, max, attempt);
                assert!(w >= full / 2 && w <= full, "{attempt}: {w:?}");
            }
        }
        let waits: std::collections::HashSet<_> = (0..50).map(|_| backoff(base, max, 3)).collect();
        assert!(waits.len() > 1, "no jitter");
    }
}
