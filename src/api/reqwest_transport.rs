//! The ready transport (feature `client`): `reqwest` with rustls (no OpenSSL), tokio's
//! timer, the proxy of the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), a
//! `vads/<version>` user agent, no redirects, the `Authorization` header marked
//! sensitive, the answer's body read up to [`super::MAX_ANSWER_LEN`].

use super::client::{Client, ClientConfig, Transport};
use super::error::{ApiError, TransportError, TransportKind};
use super::request::{Credentials, HttpRequest, HttpResponse};
use super::MAX_ANSWER_LEN;
use crate::policy::shop::Shop;
use std::time::Duration;

/// `reqwest` as a [`Transport`].
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

/// The user agent: `vads/<version>`.
const USER_AGENT: &str = concat!("vads/", env!("CARGO_PKG_VERSION"));

impl ReqwestTransport {
    /// A client with `config`'s connect timeout, the environment's proxy, no redirects.
    ///
    /// # Errors
    /// [`TransportKind::Client`] when `reqwest` cannot build its client (no TLS roots).
    pub fn new(config: &ClientConfig) -> Result<ReqwestTransport, TransportError> {
        reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map(ReqwestTransport::from_client)
            .map_err(|_| TransportError::new(TransportKind::Client))
    }

    /// A transport over a `reqwest::Client` of your own (its proxy, its pool). Give it no
    /// redirect policy: the `Authorization` header must not follow a redirect.
    #[must_use]
    pub fn from_client(client: reqwest::Client) -> ReqwestTransport {
        ReqwestTransport { client }
    }
}

/// What a `reqwest` error says about the request: not sent (no connection, TLS), timed
/// out, or broken on the way.
fn kind_of(error: &reqwest::Error) -> TransportKind {
    if is_tls(error) {
        TransportKind::Tls
    } else if error.is_timeout() {
        TransportKind::Timeout
    } else if error.is_connect() {
        TransportKind::Unreachable
    } else if error.is_builder() || error.is_request() && error.url().is_none() {
        TransportKind::Client
    } else {
        TransportKind::Interrupted
    }
}

/// Whether a rustls error is in `error`'s chain (an `io::Error` wraps it, possibly in
/// another `io::Error`, without listing it as a source). Bounded: at most 32 links.
fn is_tls(error: &reqwest::Error) -> bool {
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![error];
    let mut seen = 0;
    while let Some(e) = pending.pop() {
        seen += 1;
        if seen > 32 {
            break;
        }
        if e.is::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            pending.push(inner);
        }
        if let Some(source) = e.source() {
            pending.push(source);
        }
    }
    false
}

impl Transport for ReqwestTransport {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let mut builder = self.client.post(request.url()).timeout(timeout);
        for (name, value) in request.headers() {
            let mut value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| TransportError::new(TransportKind::Client))?;
            value.set_sensitive(name == "Authorization");
            builder = builder.header(name, value);
        }
        let mut response = builder
            .body(request.body().to_vec())
            .send()
            .await
            .map_err(|e| TransportError::new(kind_of(&e)))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(HttpResponse::parse_retry_after);
        if response
            .content_length()
            .is_some_and(|n| n > MAX_ANSWER_LEN as u64)
        {
            return Err(TransportError::new(TransportKind::AnswerTooLarge));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| TransportError::new(kind_of(&e)))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_LEN {
                return Err(TransportError::new(TransportKind::AnswerTooLarge));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse::new(status, body).with_retry_after(retry_after))
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
impl Client<ReqwestTransport> {
    /// A client for `shop` (the credentials of its mode, its API host) over `reqwest`,
    /// with the default [`ClientConfig`].
    ///
    /// # Errors
    /// [`ApiError::Request`] (no REST password, no API host), [`ApiError::Transport`]
    /// (`api_client`).
    pub fn for_shop(shop: &Shop) -> Result<Client<ReqwestTransport>, ApiError> {
        Client::for_shop_with(shop, ClientConfig::default())
    }

    /// A client for `channel` of `shop` (its mode's REST password: [`Credentials::for_channel`]),
    /// with `config`.
    ///
    /// # Errors
    /// As [`Client::for_shop`]; [`super::RequestError::ChannelOff`] when the channel is
    /// off (nothing is built, nothing sent).
    pub fn for_channel(
        shop: &Shop,
        channel: crate::protocol::channel::Channel,
        config: ClientConfig,
    ) -> Result<Client<ReqwestTransport>, ApiError> {
        let credentials = Credentials::for_channel(shop, channel)?;
        let transport = ReqwestTransport::new(&config).map_err(ApiError::Transport)?;
        Ok(Client::new(credentials, transport, config))
    }

    /// As [`Client::for_shop`], with `config`.
    ///
    /// # Errors
    /// As [`Client::for_shop`].
    pub fn for_shop_with(
        shop: &Shop,
        config: ClientConfig,
    ) -> Result<Client<ReqwestTransport>, ApiError> {
        let credentials = Credentials::of(shop)?;
        let transport = ReqwestTransport::new(&config).map_err(ApiError::Transport)?;
        Ok(Client::new(credentials, transport, config))
    }
}
