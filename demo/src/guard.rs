//! What stands in front of both servers' pages: only their own `Host` names, no framing,
//! and no state-changing request from another site.
//!
//! - **Hosts**: a request whose `Host` is not one of the server's names is answered 421
//!   (misdirected): a page served under a foreign name (DNS rebinding) cannot talk to
//!   the demo. The names are the bound address (`127.0.0.1:PORT`, and `localhost:PORT`
//!   for a loopback address) and those configured (`VADS_DEMO_HOSTS`).
//! - **Framing**: every answer says `Content-Security-Policy: frame-ancestors 'none'` and
//!   `X-Frame-Options: DENY` (no click-jacking of the back office), and
//!   `X-Content-Type-Options: nosniff`.
//! - **Cross-site requests**: a state-changing route (the shop's back office and order
//!   creation, the simulator's admin) refuses, with 403 and nothing done, a request whose
//!   `Origin` is not one the route allows, or that a browser marks as coming from another
//!   site (`Sec-Fetch-Site` other than `same-origin`) without an allowed `Origin`. A
//!   request with neither header is not a browser's cross-site request (a test, `curl`):
//!   it passes, as the demo's own page's does. The routes the platform and a buyer's
//!   browser post to by design (the shop's notification endpoints and return URL, the
//!   simulator's payment pages and REST API) are not state-changing routes of this kind.
//!
//! The demo has no authentication: its back office is open to whoever reaches it. A real
//! shop puts its back office behind a login (and this check), and never on the same
//! origin as anything a customer can upload to.

use axum::extract::Request;
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The names a server answers to, and the origins its state-changing routes accept.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    /// `Host` values served (`127.0.0.1:8080`, `localhost:8080`, ...).
    hosts: Vec<String>,
    /// `Origin` values accepted on state-changing routes (`http://127.0.0.1:8080`, ...).
    origins: Vec<String>,
    /// Paths (exact, or a prefix ending in `/`) of the state-changing routes; a path with
    /// a `*` segment matches any one segment there.
    protected: Vec<&'static str>,
}

/// The `Host` names of a bound address: itself, and `localhost:PORT` for a loopback one.
pub(crate) fn host_names(addr: std::net::SocketAddr, extra: &[String]) -> Vec<String> {
    let mut names = vec![addr.to_string()];
    if addr.ip().is_loopback() {
        names.push(format!("localhost:{}", addr.port()));
    }
    for e in extra {
        let e = e.trim();
        if !e.is_empty() && !names.iter().any(|n| n == e) {
            names.push(e.to_owned());
        }
    }
    names
}

impl Guard {
    /// A server answering to `hosts`, whose `protected` routes accept requests from the
    /// pages of `origin_hosts` (over `http`).
    pub(crate) fn new(
        hosts: Vec<String>,
        origin_hosts: &[String],
        protected: Vec<&'static str>,
    ) -> Guard {
        Guard {
            hosts,
            origins: origin_hosts.iter().map(|h| format!("http://{h}")).collect(),
            protected,
        }
    }

    fn is_protected(&self, method: &axum::http::Method, path: &str) -> bool {
        if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
            return false;
        }
        self.protected.iter().any(|p| matches_path(p, path))
    }

    /// Why a request to a protected route must be refused, if it must.
    fn cross_site(&self, request: &Request) -> Option<&'static str> {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("\u{0}"))
        };
        match (header("origin"), header("sec-fetch-site")) {
            (Some(origin), _) if !self.origins.iter().any(|o| o == origin) => {
                Some("the request comes from another site's page")
            }
            (Some(_), _) => None,
            (None, Some(site)) if site != "same-origin" && site != "none" => {
                Some("the browser says the request comes from another site")
            }
            _ => None,
        }
    }
}

/// Whether `path` is the route `pattern` (`*` matches one segment; a pattern ending in
/// `/` matches that path and below).
fn matches_path(pattern: &str, path: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('/') {
        if path == prefix || path.starts_with(pattern) {
            return true;
        }
    }
    let p: Vec<&str> = pattern.split('/').collect();
    let q: Vec<&str> = path.split('/').collect();
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

/// The frame-and-sniffing headers every answer carries.
fn harden(response: &mut Response) {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", "frame-ancestors 'none'"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

/// The middleware: `Host`, then the cross-site check of protected routes, then the
/// answer's headers.
pub(crate) async fn guard(guard: Arc<Guard>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut response = if !guard.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "421 Misdirected Request: this server does not answer to that host name (set VADS_DEMO_HOSTS to add one)",
        )
            .into_response()
    } else if let Some(why) = guard
        .is_protected(request.method(), request.uri().path())
        .then(|| guard.cross_site(&request))
        .flatten()
    {
        (
            StatusCode::FORBIDDEN,
            format!("403 Forbidden: {why}; nothing was done."),
        )
            .into_response()
    } else {
        next.run(request).await
    };
    harden(&mut response);
    response
}

/// `router` behind `g`.
pub(crate) fn guarded(router: axum::Router, g: Guard) -> axum::Router {
    let g = Arc::new(g);
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let g = g.clone();
            async move { guard(g, request, next).await }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(matches_path("/orders/*/operation", "/orders/A-1/operation"));
        assert!(!matches_path("/orders/*/operation", "/orders/A-1"));
        assert!(!matches_path(
            "/orders/*/operation",
            "/orders/A/1/operation"
        ));
        assert!(matches_path("/admin/", "/admin/operation"));
        assert!(matches_path("/admin/", "/admin"));
        assert!(!matches_path("/admin/", "/administrator"));
        assert!(matches_path("/order", "/order"));
        assert!(!matches_path("/order", "/orders"));
    }

    #[test]
    fn names_of_an_address() {
        let a: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            host_names(a, &["shop.test:8080".into(), " ".into()]),
            ["127.0.0.1:8080", "localhost:8080", "shop.test:8080"]
        );
    }
}
