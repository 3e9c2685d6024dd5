//! How the platform notifies the shop: a notification built from fields, posted, and
//! retried like the platform (`RETRY`) when the shop does not answer success; and the
//! platform's identifiers.

use super::{Fields, SimState};
use std::sync::Arc;
use std::time::Duration;
use vads::testing::NotificationBuilder;
use vads::{Shop, UrlCheckSource};

/// A fresh identifier of the platform's shape (32 hex digits): the clock and a counter,
/// mixed (splitmix64) so that two in a row look nothing alike.
pub(crate) fn an32(s: &SimState) -> String {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = s.next();
    #[allow(clippy::cast_possible_truncation)] // the clock's low 64 bits
    let low = nanos as u64;
    format!("{:016x}{:016x}", mix(low ^ n), mix(n.rotate_left(32) ^ low))
}

/// Posts a notification body; the HTTP status, or `None` when unreachable.
pub(crate) async fn post_notification(url: String, body: String) -> Option<u16> {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(35)))
            .build()
            .into();
        agent
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.as_bytes())
            .ok()
            .map(|r| r.status().as_u16())
    })
    .await
    .ok()
    .flatten()
}

/// A notification of exactly `fields`.
pub(crate) fn builder<'s>(shop: &'s Shop, fields: &[(String, String)]) -> NotificationBuilder<'s> {
    NotificationBuilder::from_fields(shop, fields)
}

/// Sends a notification; when the shop does not answer success, retries up to 4 more
/// times (`vads_url_check_src=RETRY`) after `retry_delay` each, in the background. The
/// shop's first answer (`None`: unreachable, or the body could not be signed).
pub(crate) async fn deliver(s: Arc<SimState>, url: String, fields: Fields) -> Option<u16> {
    let Ok(body) = builder(&s.shop, &fields).body() else {
        return None;
    };
    let answered = post_notification(url.clone(), body).await;
    if answered.is_some_and(vads::answer::platform_counts_delivered) {
        return answered;
    }
    tokio::spawn(async move {
        for _ in 0..4 {
            tokio::time::sleep(s.retry_delay).await;
            let Ok(body) = builder(&s.shop, &fields)
                .url_check_src(UrlCheckSource::Retry)
                .body()
            else {
                return;
            };
            if post_notification(url.clone(), body)
                .await
                .is_some_and(vads::answer::platform_counts_delivered)
            {
                return;
            }
        }
    });
    answered
}
