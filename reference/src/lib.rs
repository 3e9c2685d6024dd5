//! The one reference implementation of the `vads_*` signature (protocol section 2) that
//! the tests, the fuzz targets, the benches and the CLI tests check `vads` against.
//!
//! It is deliberately naive: written from the protocol text, sharing no code with the
//! library, it allocates freely, collects owned pairs, sorts them and joins strings.
//! It panics on input it does not expect (it is test code).

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Digest;

/// The two signature algorithms of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `base64(HMAC-SHA-256(key, signing string))`.
    HmacSha256,
    /// `hex(SHA-1(signing string))`, the key being the string's last part.
    Sha1,
}

impl Algorithm {
    /// From the back office's name, `HMAC-SHA-256` or `SHA-1`.
    ///
    /// # Panics
    /// On any other name.
    pub fn from_name(name: &str) -> Algorithm {
        match name {
            "HMAC-SHA-256" => Algorithm::HmacSha256,
            "SHA-1" => Algorithm::Sha1,
            other => panic!("unknown algorithm {other}"),
        }
    }
}

/// The signing string: the `vads_` fields sorted by name in byte order, their values
/// joined with `+`, then `+` and the key.
pub fn signing_string<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)], key: &str) -> String {
    let mut vads: Vec<(String, String)> = fields
        .iter()
        .filter(|(n, _)| n.as_ref().starts_with("vads_"))
        .map(|(n, v)| (n.as_ref().to_owned(), v.as_ref().to_owned()))
        .collect();
    vads.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut parts: Vec<String> = vads.into_iter().map(|(_, v)| v).collect();
    parts.push(key.to_owned());
    parts.join("+")
}

/// `base64(HMAC-SHA-256(key, message))`, standard alphabet with padding.
pub fn hmac_sha256_b64(message: &[u8], key: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `hex(SHA-1(message))`, lowercase.
pub fn sha1_hex(message: &[u8]) -> String {
    sha1::Sha1::digest(message)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The signature of `fields` with `key`.
pub fn sign<N: AsRef<str>, V: AsRef<str>>(
    fields: &[(N, V)],
    key: &str,
    algorithm: Algorithm,
) -> String {
    let s = signing_string(fields, key);
    match algorithm {
        Algorithm::HmacSha256 => hmac_sha256_b64(s.as_bytes(), key.as_bytes()),
        Algorithm::Sha1 => sha1_hex(s.as_bytes()),
    }
}

/// `application/x-www-form-urlencoded` as a browser encodes: unreserved bytes kept, space
/// as `+`, everything else `%XX` (uppercase hex).
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `name=value` pairs, urlencoded, joined with `&`.
pub fn encode_body<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)]) -> String {
    fields
        .iter()
        .map(|(n, v)| format!("{}={}", urlencode(n.as_ref()), urlencode(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&")
}

/// A straightforward allocating decoder, as one would write by hand: split on `&` and
/// `=`, `+` is a space, `%XX` a byte.
///
/// # Panics
/// On a malformed escape or invalid UTF-8.
pub fn decode_body(body: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex escape"));
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).expect("UTF-8")
    }
    body.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `kr-hash` of a REST answer (protocol section 7): lowercase hex of
/// HMAC-SHA-256(`key` as UTF-8 text, `answer` exactly as given).
pub fn rest_hash(answer: &str, key: &str) -> String {
    let mut mac =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(answer.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `answer` with each JSON escape `\/` written as `/` (protocol section 7, "Escaped
/// slashes"), read naively character by character: a backslash and the character after it
/// are one escape, so in `\\/` the backslash pair stays and so does the slash after it.
pub fn unescape_slashes(answer: &str) -> String {
    let mut out = String::new();
    let mut chars = answer.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('/') => out.push('/'),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Whether `hash` is the `kr-hash` of `answer` as the official SDKs check it: over the
/// text as given, or, when it holds a `\/` escape, over [`unescape_slashes`] of it.
pub fn rest_hash_accepts(answer: &str, key: &str, hash: &str) -> bool {
    if hash == rest_hash(answer, key) {
        return true;
    }
    let plain = unescape_slashes(answer);
    plain != answer && hash == rest_hash(&plain, key)
}

/// A REST body as the platform posts it: `kr-hash`, `kr-hash-algorithm`, `kr-hash-key`
/// (`password` for the IPN, `sha256_hmac` for the browser return), `kr-answer-type`,
/// `kr-answer`, urlencoded.
pub fn rest_body(answer: &str, key: &str, hash_key: &str) -> String {
    encode_body(&[
        ("kr-hash", rest_hash(answer, key).as_str()),
        ("kr-hash-algorithm", "sha256_hmac"),
        ("kr-hash-key", hash_key),
        ("kr-answer-type", "V4/Payment"),
        ("kr-answer", answer),
    ])
}

/// The naive REST verification: decode the body into pairs, take `kr-answer` and
/// `kr-hash`, compare the recomputed hash. Returns `Some(answer)` when it matches (and
/// `kr-hash-key`/`kr-hash-algorithm` are the expected ones); no strictness beyond that.
pub fn rest_verify(body: &str, key: &str, hash_key: &str) -> Option<String> {
    let pairs = decode_body(body);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let answer = get("kr-answer")?;
    if get("kr-hash-algorithm")? != "sha256_hmac" || get("kr-hash-key")? != hash_key {
        return None;
    }
    rest_hash_accepts(&answer, key, &get("kr-hash")?).then_some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented example (protocol section 2), byte for byte.
    #[test]
    fn documented_example() {
        let fields = [
            ("vads_action_mode", "INTERACTIVE"),
            ("vads_amount", "5124"),
            ("vads_ctx_mode", "TEST"),
            ("vads_currency", "978"),
            ("vads_page_action", "PAYMENT"),
            ("vads_payment_config", "SINGLE"),
            ("vads_site_id", "12345678"),
            ("vads_trans_date", "20170129130025"),
            ("vads_trans_id", "123456"),
            ("vads_version", "V2"),
            ("signature", "ignored"),
        ];
        let key = "1122334455667788";
        assert_eq!(
            signing_string(&fields, key),
            "INTERACTIVE+5124+TEST+978+PAYMENT+SINGLE+12345678+20170129130025+123456+V2+1122334455667788"
        );
        assert_eq!(
            sign(&fields, key, Algorithm::HmacSha256),
            "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0="
        );
        assert_eq!(
            sign(&fields, key, Algorithm::Sha1),
            "59c96b34c74b9375c332b0b6a32e6deeec87de2b"
        );
    }

    #[test]
    fn encode_decode_round_trip() {
        let fields = vec![("vads_x".to_owned(), "a b+c%d&e=f é".to_owned())];
        assert_eq!(decode_body(&encode_body(&fields)), fields);
    }
}
