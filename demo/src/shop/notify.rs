//! The notification endpoint: verify (either format), record each event once, log the
//! delivery with its verdict, answer as `vads::answer` decides.

use super::store::{keep_for_review, log_delivery, record, DeliveryLog, RecordError};
use super::ShopState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use vads::answer::{answer, Answer, Handled};
use vads::axum::VerifiedNotification;
use vads::{AnyNotification, Endpoint, Shops};

/// What an unverified body claims (order, format, source, status): for the delivery log
/// only, so that a refused delivery shows on the page of the order it names. Never
/// trusted for anything else.
pub(crate) struct Claimed {
    pub(crate) order_id: Option<String>,
    pub(crate) format: &'static str,
    pub(crate) source: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) operation: Option<String>,
    pub(crate) amount: Option<u64>,
    /// The mode the body claims (`vads_ctx_mode`, `orderDetails.mode`).
    pub(crate) mode: Option<String>,
    /// The transaction's uuid.
    pub(crate) uuid: Option<String>,
    /// The currency (numeric for `vads_*`, alphabetic for REST).
    pub(crate) currency: Option<String>,
}

/// What a body says (for a verified body kept for review: its verified facts).
pub(crate) fn claimed_facts(body: &[u8]) -> Claimed {
    claimed(body)
}

pub(crate) fn lenient_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match raw
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn claimed(body: &[u8]) -> Claimed {
    let fields: Vec<(String, String)> = body
        .split(|&b| b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.iter().position(|&b| b == b'=') {
            Some(eq) => (lenient_decode(&seg[..eq]), lenient_decode(&seg[eq + 1..])),
            None => (lenient_decode(seg), String::new()),
        })
        .collect();
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if let Some(answer) = get("kr-answer") {
        let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        return Claimed {
            order_id: text(&json["orderDetails"]["orderId"]),
            format: "REST",
            source: Some("REST".into()),
            status: text(&json["transactions"][0]["detailedStatus"]),
            operation: text(&json["transactions"][0]["operationType"]),
            amount: json["transactions"][0]["amount"].as_u64(),
            mode: text(&json["orderDetails"]["mode"]),
            uuid: text(&json["transactions"][0]["uuid"]),
            currency: text(&json["transactions"][0]["currency"]),
        };
    }
    Claimed {
        order_id: get("vads_order_id"),
        format: "vads_*",
        source: get("vads_url_check_src"),
        status: get("vads_trans_status"),
        operation: get("vads_operation_type"),
        amount: get("vads_amount").and_then(|a| a.parse().ok()),
        mode: get("vads_ctx_mode"),
        uuid: get("vads_trans_uuid"),
        currency: get("vads_currency"),
    }
}

/// Verifies, records, logs the delivery with its verdict, and answers as `vads::answer`
/// decides.
pub(crate) async fn handle(s: &ShopState, shops: &Shops, endpoint: &str, body: Bytes) -> Answer {
    let claim = claimed(&body);
    let raw = body.clone();
    let (handled, verdict, order_id) =
        match VerifiedNotification::verify(shops, body, Endpoint::Ipn) {
            Err(e) => (Handled::Rejected(e), "refused", claim.order_id.clone()),
            Ok(v) => {
                let n = v.notification();
                let order_id = match &n {
                    AnyNotification::Form(f) => f.order_id().map(|o| o.into_owned()),
                    AnyNotification::Rest(_) => claim.order_id.clone(),
                };
                match n.events() {
                    // Genuine, but its content cannot be read as events: kept for a human,
                    // answered 200 (a retry would bring the same signed bytes).
                    Err(e) => {
                        match keep_for_review(s, endpoint, order_id.as_deref(), e.code(), &n, &raw)
                            .await
                        {
                            Ok(()) => (Handled::KeptForReview, "kept_for_review", order_id),
                            Err(_) => (Handled::StorageFailed, "storage_failed", order_id),
                        }
                    }
                    Ok(events) => match record(s, &n, events).await {
                        Ok(true) => (Handled::Recorded, "accepted", order_id),
                        Ok(false) => (Handled::Duplicate, "duplicate", order_id),
                        // Verified, but no order to attach it to: kept for a human.
                        Err(RecordError::Unrecordable(code)) => {
                            match keep_for_review(s, endpoint, order_id.as_deref(), code, &n, &raw)
                                .await
                            {
                                Ok(()) => (Handled::KeptForReview, "kept_for_review", order_id),
                                Err(_) => (Handled::StorageFailed, "storage_failed", order_id),
                            }
                        }
                        Err(RecordError::Failed) => {
                            (Handled::StorageFailed, "storage_failed", order_id)
                        }
                    },
                }
            }
        };
    let a = answer(&handled);
    let code = match &handled {
        Handled::Rejected(e) => Some(e.code()),
        _ => None,
    };
    log_delivery(
        s,
        DeliveryLog {
            order_id: order_id.as_deref(),
            endpoint,
            format: claim.format,
            source: claim.source.as_deref(),
            status: claim.status.as_deref(),
            operation: claim.operation.as_deref(),
            amount: claim.amount,
            mode: claim.mode.as_deref(),
            verdict,
            code,
            answer: a.status,
        },
    )
    .await;
    a
}

pub(crate) async fn notify(State(s): State<Arc<ShopState>>, body: Bytes) -> Answer {
    handle(&s, &s.shops, "/notify", body).await
}

/// The PRODUCTION deployment's endpoint (its own shop, in PRODUCTION).
pub(crate) async fn notify_live(State(s): State<Arc<ShopState>>, body: Bytes) -> Response {
    match &s.live {
        Some(live) => handle(&s, live, "/notify/live (PRODUCTION)", body)
            .await
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "no PRODUCTION deployment in this demo",
        )
            .into_response(),
    }
}
