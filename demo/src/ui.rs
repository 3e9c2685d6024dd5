//! The pages' frame: one small stylesheet, a header per site (the shop, the platform
//! simulator), the TEST banner, error pages that always lead somewhere, amounts with
//! their currency.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use vads::form::Currency;

/// Which site a page belongs to: the shop, or the stand-in for the payment platform.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// The demo shop; `test` shows the TEST banner.
    Shop { test: bool },
    /// The platform simulator.
    Platform,
}

const STYLE: &str = r#"
:root { --ink:#1d2330; --muted:#5b6475; --line:#dfe3ea; --bg:#f6f7f9; --card:#fff;
        --brand:#6b3e26; --ok:#1e7b45; --okbg:#e5f5ea; --bad:#b42318; --badbg:#fdecea;
        --warn:#8a5a00; --warnbg:#fff4d6; --info:#1f4e99; --infobg:#e8effb; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
a { color:var(--info); }
header { background:var(--card); border-bottom:1px solid var(--line); }
header .bar { max-width:72rem; margin:0 auto; padding:.8rem 1.2rem; display:flex; align-items:center; gap:1rem; }
header .logo { font-weight:700; font-size:1.1rem; color:var(--brand); text-decoration:none; }
header nav { margin-left:auto; display:flex; gap:1rem; }
header nav a { color:var(--muted); text-decoration:none; }
body.platform header { background:#14213d; border-color:#14213d; }
body.platform header .logo { color:#fff; }
body.platform header nav a { color:#cfd8ea; }
.banner { background:var(--warnbg); color:var(--warn); text-align:center; padding:.35rem 1rem; font-size:.9rem; border-bottom:1px solid #f1dfa8; }
main { max-width:72rem; margin:1.5rem auto 3rem; padding:0 1.2rem; }
h1 { font-size:1.6rem; margin:.2rem 0 1rem; }
h2 { font-size:1.1rem; margin:0 0 .6rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:1.1rem 1.3rem; margin:0 0 1.2rem; }
.muted { color:var(--muted); }
.step { display:inline-block; width:1.6rem; height:1.6rem; line-height:1.6rem; text-align:center; border-radius:50%; background:var(--brand); color:#fff; font-size:.85rem; margin-right:.4rem; }
table { width:100%; border-collapse:collapse; font-size:.9rem; }
.scroll { overflow-x:auto; max-width:100%; }
th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.nowrap, td.nowrap code { white-space:nowrap; word-break:normal; }
code, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:.85rem; overflow-wrap:anywhere; }
td code { overflow-wrap:normal; white-space:nowrap; }
td.wrap, td.wrap code, code.wrap { white-space:normal; overflow-wrap:anywhere; word-break:break-all; }
td.verdict code { white-space:normal; overflow-wrap:anywhere; }
.badge.sub { display:block; width:max-content; margin-top:.15rem; }
details summary { cursor:pointer; color:var(--info); }
.badge { display:inline-block; padding:.05rem .55rem; border-radius:999px; font-size:.8rem; font-weight:600; }
.badge.ok { background:var(--okbg); color:var(--ok); }
.badge.bad { background:var(--badbg); color:var(--bad); }
.badge.warn { background:var(--warnbg); color:var(--warn); }
.badge.info { background:var(--infobg); color:var(--info); }
.badge.plain { background:#eef0f3; color:var(--muted); }
label.amount { display:inline-flex; align-items:center; gap:.4rem; color:var(--muted); font-size:.9rem; }
@media (max-width:40rem) {
  table.fields td + td code { white-space:normal; overflow-wrap:anywhere; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display:block; width:100%; }
  table.stack tr:first-child { display:none; }
  table.stack tr { border-bottom:1px solid var(--line); padding:.4rem 0; }
  table.stack td { border:0; padding:.1rem 0 .1rem 6.5rem; position:relative; min-height:1.4rem; }
  table.stack td::before { content:attr(data-label); white-space:nowrap; overflow:hidden; position:absolute; left:0; width:6rem; color:var(--muted); font-size:.8rem; font-weight:600; }
}
.notice { border-left:4px solid var(--info); background:var(--infobg); padding:.6rem .9rem; border-radius:6px; margin:0 0 1.2rem; }
.notice.bad { border-color:var(--bad); background:var(--badbg); }
.notice.ok { border-color:var(--ok); background:var(--okbg); }
.actions { display:flex; flex-wrap:wrap; gap:.5rem; margin:.4rem 0 .8rem; }
.actions form { margin:0; }
button, .button { font:inherit; cursor:pointer; border:1px solid var(--line); background:var(--card); color:var(--ink); padding:.45rem .9rem; border-radius:8px; text-decoration:none; display:inline-block; }
button.primary, .button.primary { background:var(--brand); border-color:var(--brand); color:#fff; font-weight:600; }
button.danger { border-color:#f0b4ae; color:var(--bad); }
button:disabled { cursor:not-allowed; opacity:.55; }
input[type=text], input:not([type]) { font:inherit; padding:.4rem .5rem; border:1px solid var(--line); border-radius:6px; width:6rem; }
.product { display:flex; gap:1.2rem; align-items:center; }
.product .pic { width:7rem; height:7rem; border-radius:12px; background:linear-gradient(135deg,#8b5a3c,#3b2417); flex:none; }
.price { font-size:1.4rem; font-weight:700; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; margin:0; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
"#;

/// A complete page of `site`.
pub(crate) fn page(site: Site, title: &str, body: &str) -> Html<String> {
    let (class, logo, nav, banner) = match site {
        Site::Shop { test } => (
            "shop",
            "☕ Café vads",
            "<a href=\"/\">Shop</a><a href=\"/orders\">Orders</a><a href=\"/attention\" id=\"nav-attention\">Needs attention</a>",
            if test {
                "<div class=\"banner\" id=\"test-banner\">TEST mode: no real payment. \
                 Forms and notifications are signed with the shop's test key.</div>"
            } else {
                ""
            },
        ),
        Site::Platform => (
            "platform",
            "Payment platform · simulator",
            "<span class=\"muted\">a local stand-in for PayZen, Systempay, …</span>",
            "<div class=\"banner\" id=\"test-banner\">TEST: a simulator of the payment platform on this machine. \
             No real payment, no real card; what it sends is signed with the shop's test key.</div>",
        ),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{STYLE}</style></head>\
         <body class=\"{class}\">{banner}<header><div class=\"bar\"><a class=\"logo\" href=\"/\">{logo}</a>\
         <nav>{nav}</nav></div></header><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape_html(title),
    ))
}

/// An error page: what went wrong, and the ways back (`(href, label)`; the first is the
/// main one).
pub(crate) fn error(
    site: Site,
    status: StatusCode,
    title: &str,
    message: &str,
    back: &[(&str, &str)],
) -> Response {
    let links: String = back
        .iter()
        .enumerate()
        .map(|(i, (href, label))| {
            format!(
                "<a class=\"button{}\" href=\"{}\">{}</a>",
                if i == 0 { " primary" } else { "" },
                escape_html(href),
                escape_html(label)
            )
        })
        .collect();
    (
        status,
        page(
            site,
            title,
            &format!(
                "<div class=\"notice bad\" id=\"error\">{}</div><div class=\"actions\" id=\"back\">{links}</div>",
                escape_html(message)
            ),
        ),
    )
        .into_response()
}

/// An order's outcome as a coloured badge.
pub(crate) fn outcome_badge(outcome: vads::lifecycle::OrderOutcome) -> String {
    use vads::lifecycle::OrderOutcome;
    let class = match outcome {
        OrderOutcome::Paid | OrderOutcome::Verified => "ok",
        OrderOutcome::Pending => "info",
        OrderOutcome::PartiallyRefunded | OrderOutcome::Refunded | OrderOutcome::Cancelled => {
            "warn"
        }
        _ => "bad",
    };
    format!(
        "<span class=\"badge {class} state-badge\">{}</span>",
        outcome.as_str()
    )
}

/// `minor` units of `currency` (alphabetic or numeric code) as text: `1250, "978"` →
/// `12.50 EUR`. An unknown currency shows the minor units and the code as given.
pub(crate) fn money(minor: u64, currency: &str) -> String {
    match Currency::find(currency) {
        Some(c) if c.exponent > 0 => {
            let unit = 10u64.pow(c.exponent);
            format!(
                "{}.{:0width$} {}",
                minor / unit,
                minor % unit,
                c.alpha,
                width = c.exponent as usize
            )
        }
        Some(c) => format!("{minor} {}", c.alpha),
        None => format!("{minor} (minor units, currency {currency})"),
    }
}

/// Escapes text for an HTML attribute value or text node.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` percent-encoded for a query string.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::new();
    vads::testing::urlencode_into(s, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_show_their_currency() {
        assert_eq!(money(1250, "978"), "12.50 EUR");
        assert_eq!(money(1250, "EUR"), "12.50 EUR");
        assert_eq!(money(5, "978"), "0.05 EUR");
        assert_eq!(money(1250, "953"), "1250 XPF");
        assert_eq!(money(1250, "000"), "1250 (minor units, currency 000)");
    }
}
