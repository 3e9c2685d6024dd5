//! Shared set-ups of the integration tests; the signatures come from the one naive
//! reference implementation, the `vads-reference` crate (independent of the library).
#![allow(dead_code)]

#[allow(unused_imports)] // each test binary uses its part
pub use vads_reference::{encode_body, hmac_sha256_b64, sha1_hex, signing_string, urlencode};

/// The reference signature: "HMAC-SHA-256" or "SHA-1".
pub fn reference_sign(fields: &[(String, String)], key: &str, algorithm: &str) -> String {
    vads_reference::sign(fields, key, vads_reference::Algorithm::from_name(algorithm))
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
