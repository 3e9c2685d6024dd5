//! An independent, deliberately naive reference implementation of the protocol (section 2
//! of the protocol notes), written from the text and sharing no code with the library: it
//! allocates freely, joins strings and sorts owned pairs.
#![allow(dead_code)]

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Digest;

/// The signing string: vads_ fields, byte order, values joined with '+', then '+key'.
pub fn signing_string(fields: &[(String, String)], key: &str) -> String {
    let mut vads: Vec<&(String, String)> = fields
        .iter()
        .filter(|(n, _)| n.starts_with("vads_"))
        .collect();
    vads.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut s = String::new();
    for (_, v) in vads {
        s.push_str(v);
        s.push('+');
    }
    s.push_str(key);
    s
}

pub fn hmac_sha256_b64(message: &[u8], key: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn sha1_hex(message: &[u8]) -> String {
    let d = sha1::Sha1::digest(message);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The reference signature: "HMAC-SHA-256" or "SHA-1".
pub fn reference_sign(fields: &[(String, String)], key: &str, algorithm: &str) -> String {
    let s = signing_string(fields, key);
    match algorithm {
        "HMAC-SHA-256" => hmac_sha256_b64(s.as_bytes(), key.as_bytes()),
        "SHA-1" => sha1_hex(s.as_bytes()),
        other => panic!("unknown algorithm {other}"),
    }
}

/// application/x-www-form-urlencoded, as a browser encodes: unreserved bytes kept, space as
/// '+', everything else %XX (uppercase hex).
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

pub fn encode_body(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(n, v)| format!("{}={}", urlencode(n), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// A realistic IPN (about 60 fields): accents, '+', '%', '&' and '=' inside values, empty
/// values, JSON values, mixed-case names.
pub fn realistic_notification(mode: &str, site_id: &str) -> Vec<(String, String)> {
    let f: Vec<(&str, String)> = vec![
        ("vads_amount", "5124".into()),
        ("vads_auth_mode", "FULL".into()),
        ("vads_auth_number", "3fe7c1".into()),
        ("vads_auth_result", "00".into()),
        ("vads_bank_code", "17807".into()),
        ("vads_bank_label", "Banque Populaire".into()),
        ("vads_bank_product", "F".into()),
        (
            "vads_brand_management",
            r#"{"userChoice":false,"brandList":"CB|VISA","brand":"CB"}"#.into(),
        ),
        ("vads_capture_delay", "0".into()),
        ("vads_card_brand", "CB".into()),
        ("vads_card_country", "FR".into()),
        ("vads_card_number", "497010XXXXXX0055".into()),
        ("vads_change_rate", "1.0".into()),
        ("vads_contract_used", "5785350".into()),
        ("vads_ctx_mode", mode.into()),
        ("vads_currency", "978".into()),
        (
            "vads_cust_address",
            "12 rue de l'Église & fils, bât. B = 2e étage".into(),
        ),
        ("vads_cust_city", "Saint-Étienne".into()),
        ("vads_cust_country", "FR".into()),
        ("vads_cust_email", "rené.dupont+shop@example.com".into()),
        ("vads_cust_first_name", "René".into()),
        ("vads_cust_last_name", "Dupont-Lefèvre".into()),
        ("vads_cust_phone", "+33 6 12 34 56 78".into()),
        ("vads_cust_zip", "42000".into()),
        ("vads_effective_amount", "5124".into()),
        ("vads_effective_creation_date", "20261124130025".into()),
        ("vads_effective_currency", "978".into()),
        ("vads_expiry_month", "6".into()),
        ("vads_expiry_year", "2029".into()),
        ("vads_ext_info_cart", "2 × café 100% arabica; 1 thé".into()),
        ("vads_extra_result", "".into()),
        (
            "vads_hash",
            "0f6c9b9d5e1c6c1c0b0a4f8c2d2e6b8a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f".into(),
        ),
        ("vads_language", "fr".into()),
        ("vads_operation_type", "DEBIT".into()),
        ("vads_order_id", "A-2026-11-000123".into()),
        ("vads_order_info", "".into()),
        ("vads_page_action", "PAYMENT".into()),
        (
            "vads_payment_certificate",
            "8a7d3f0c1b2e4d5f6a7b8c9d0e1f2a3b4c5d6e7f".into(),
        ),
        ("vads_payment_config", "SINGLE".into()),
        ("vads_payment_src", "EC".into()),
        ("vads_pays_ip", "FR".into()),
        ("vads_presentation_date", "20261124130025".into()),
        ("vads_result", "00".into()),
        ("vads_sequence_number", "1".into()),
        ("vads_site_id", site_id.into()),
        ("vads_threeds_auth_type", "FRICTIONLESS".into()),
        ("vads_threeds_cavv", "Q2F2dkFsZ29yaXRobT0yKzI9".into()),
        ("vads_threeds_cavvAlgorithm", "2".into()),
        ("vads_threeds_eci", "05".into()),
        ("vads_threeds_enrolled", "Y".into()),
        ("vads_threeds_status", "Y".into()),
        ("vads_threeds_xid", "".into()),
        ("vads_trans_date", "20261124130025".into()),
        ("vads_trans_id", "a1B2c3".into()),
        ("vads_trans_status", "AUTHORISED".into()),
        ("vads_trans_uuid", "d1b0e0a6f4a84d6e9a1f0c2b3e4d5f60".into()),
        ("vads_url_check_src", "PAY".into()),
        ("vads_validation_mode", "0".into()),
        ("vads_version", "V2".into()),
        ("vads_warranty_result", "YES".into()),
    ];
    f.into_iter().map(|(n, v)| (n.to_string(), v)).collect()
}

/// `fields` plus their reference signature, urlencoded.
pub fn signed_body(fields: &[(String, String)], key: &str, algorithm: &str) -> String {
    let sig = reference_sign(fields, key, algorithm);
    let mut all = fields.to_vec();
    all.push(("signature".into(), sig));
    encode_body(&all)
}
