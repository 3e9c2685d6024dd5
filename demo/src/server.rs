//! Serving a router like a service on the internet, not like a toy: the limits a
//! notification endpoint needs (the README gives the same advice for users' own).
//!
//! - **Bodies**: at most [`vads::MAX_BODY_LEN`] (64 KiB), refused with 413 by their
//!   `Content-Length` before a byte is read (the routers' `DefaultBodyLimit`); the library
//!   refuses anything larger anyway.
//! - **Headers**: a client has [`Limits::header_timeout`] to send its request line and
//!   headers, or the connection is closed (a client sending one byte a second is dropped).
//! - **Requests**: [`Limits::request_timeout`] from the headers to the answer, body
//!   included (408 after it); the platform itself gives up after 35 s.
//! - **Connections**: at most [`Limits::max_connections`] at a time; more wait in the
//!   listen queue, unserved, until one ends; each lives at most
//!   [`Limits::connection_lifetime`] (idle keep-alive connections included).

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The limits of one server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to receive the request line and headers.
    pub header_timeout: Duration,
    /// Time from the headers to the answer (reading the body included).
    pub request_timeout: Duration,
    /// Connections served at the same time.
    pub max_connections: usize,
    /// The longest a connection lives.
    pub connection_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_connections: 256,
            connection_lifetime: Duration::from_secs(60),
        }
    }
}

/// Serves `router` on `listener` with `limits`, until the listener fails.
pub(crate) async fn serve(listener: TcpListener, router: Router, limits: Limits) {
    let router = router.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        // A free slot first: beyond the bound, connections wait in the listen queue.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors, ...: try again shortly.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _slot = slot;
            // HTTP/1.1 only (what the platform speaks), so the header timeout runs from
            // the first byte expected.
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(limits.connection_lifetime, connection).await;
        });
    }
}
