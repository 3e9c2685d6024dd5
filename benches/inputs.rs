//! The inputs of `benches/goals.rs` (and of `examples/profile_goals.rs`, which counts their
//! instructions): notifications and forms shaped like the platform's, signed by the
//! independent `vads-reference`.
//!
//! Values are the platform's shapes (a 32-hex `vads_trans_uuid`, a 64-hex `vads_hash`,
//! 14-digit dates, a masked card number, accents, `+` and `@` that need escapes), so that
//! the ratio to the hash is that of real traffic, not of one-byte values. Cart lines
//! (`vads_product_label0`, `vads_product_amount0`, ...) share long name prefixes, as real
//! carts do.

#![allow(dead_code)] // each user takes what it needs

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use vads_reference::{encode_body, Algorithm as RefAlgorithm};

/// The key every input is signed with (made up, for benchmarks only).
pub const KEY: &str = "bench-key-7Hq2Zx9Lm4NpR";

/// The fields of a real IPN (51 `vads_` fields; with `signature`, 52), with values of
/// the platform's shapes.
pub const NOTIFICATION: [(&str, &str); 51] = [
    ("vads_action_mode", "INTERACTIVE"),
    ("vads_amount", "12990"),
    ("vads_auth_mode", "FULL"),
    ("vads_auth_number", "3fe7c1"),
    ("vads_auth_result", "00"),
    ("vads_bank_code", "17807"),
    ("vads_bank_label", "Banque Populaire Auvergne Rhône Alpes"),
    ("vads_bank_product", "F"),
    ("vads_capture_delay", "0"),
    ("vads_card_brand", "CB"),
    ("vads_card_country", "FR"),
    ("vads_card_number", "497010XXXXXX0055"),
    ("vads_contract_used", "5785350"),
    ("vads_ctx_mode", "TEST"),
    ("vads_currency", "978"),
    ("vads_cust_email", "camille.durand+boutique@example.fr"),
    ("vads_cust_first_name", "Camille"),
    ("vads_cust_last_name", "Durand-Lefèvre"),
    ("vads_effective_amount", "12990"),
    ("vads_effective_creation_date", "20261124131523"),
    ("vads_effective_currency", "978"),
    ("vads_expiry_month", "6"),
    ("vads_expiry_year", "2029"),
    ("vads_extra_result", ""),
    (
        "vads_hash",
        "9f2c8d1e6b7a5f4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c",
    ),
    ("vads_language", "fr"),
    ("vads_operation_type", "DEBIT"),
    ("vads_order_id", "ORD-2026-11-24-000917"),
    ("vads_page_action", "PAYMENT"),
    (
        "vads_payment_certificate",
        "8a7d3f0c1b2e4d5f6a7b8c9d0e1f2a3b4c5d6e7f",
    ),
    ("vads_payment_config", "SINGLE"),
    ("vads_payment_src", "EC"),
    ("vads_pays_ip", "FR"),
    ("vads_presentation_date", "20261124131523"),
    ("vads_result", "00"),
    ("vads_sequence_number", "1"),
    ("vads_site_id", "12345678"),
    ("vads_threeds_auth_type", "FRICTIONLESS"),
    ("vads_threeds_cavv", "Q2F2dkFsZ29yaXRobT0yKzI9"),
    ("vads_threeds_cavvAlgorithm", "2"),
    ("vads_threeds_eci", "05"),
    ("vads_threeds_enrolled", "Y"),
    ("vads_threeds_error_code", ""),
    ("vads_threeds_exit_status", "10"),
    ("vads_threeds_sign_valid", "1"),
    ("vads_threeds_status", "Y"),
    ("vads_trans_date", "20261124131500"),
    ("vads_trans_id", "4f2K9a"),
    ("vads_trans_status", "AUTHORISED"),
    ("vads_trans_uuid", "d1b0e0a6f4a84d6e9a1f0c2b3e4d5f60"),
    ("vads_url_check_src", "PAY"),
];

/// The five fields of cart line `i`.
fn cart_line(i: usize) -> [(String, String); 5] {
    [
        (
            format!("vads_product_label{i}"),
            format!("Café moulu n°{i}, 250 g"),
        ),
        (
            format!("vads_product_amount{i}"),
            format!("{}", 490 + i * 10),
        ),
        (format!("vads_product_type{i}"), "FOOD_AND_GROCERY".into()),
        (
            format!("vads_product_ref{i}"),
            format!("SKU-{:05}", 1000 + i),
        ),
        (format!("vads_product_qty{i}"), format!("{}", 1 + i % 3)),
    ]
}

/// `n` distinct `vads_` fields (n ≥ 2): `vads_ctx_mode` and `vads_site_id` first, then
/// the notification's other fields, then `vads_nb_products` and cart lines.
pub fn notification_fields(n: usize) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = NOTIFICATION
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    all.sort_by_key(|(name, _)| name != "vads_ctx_mode" && name != "vads_site_id");
    let lines = n.saturating_sub(all.len() + 1).div_ceil(5);
    all.push(("vads_nb_products".into(), lines.to_string()));
    for i in 0..lines {
        all.extend(cart_line(i));
    }
    all.truncate(n);
    all
}

/// The 13-field checkout form of `benches/data/form13.txt`, decoded.
pub fn form13() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/data/form13.txt"
    ))
    .expect("benches/data/form13.txt");
    vads_reference::decode_body(text.trim_end())
}

/// A 60-field form: the checkout form, the buyer's last name, and a cart of 9 products.
pub fn form60() -> Vec<(String, String)> {
    let mut form = form13();
    form.push(("vads_cust_last_name".into(), "Durand-Lefèvre".into()));
    form.push(("vads_nb_products".into(), "9".into()));
    for i in 0..9 {
        form.extend(cart_line(i));
    }
    assert_eq!(form.len(), 60);
    form
}

/// A deterministic shuffle (xorshift), the same on every run: the platform sends its
/// fields in hash-map order.
pub fn shuffled<T>(mut v: Vec<T>) -> Vec<T> {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..v.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v.swap(i, (s % (i as u64 + 1)) as usize);
    }
    v
}

/// The body of `fields` (in the given order) with its signature, from the reference.
pub fn signed_body(fields: &[(String, String)]) -> String {
    let sig = vads_reference::sign(fields, KEY, RefAlgorithm::HmacSha256);
    let mut all = fields.to_vec();
    all.push(("signature".into(), sig));
    encode_body(&all)
}

/// The signing string of `fields` (what the baselines hash).
pub fn signing_string(fields: &[(String, String)]) -> String {
    vads_reference::signing_string(fields, KEY)
}

/// The baseline of signing: HMAC-SHA-256 of `message` (key set-up included), base64 into
/// a stack buffer.
pub fn hmac_b64(message: &[u8], key: &[u8]) -> [u8; 44] {
    let mut out = [0u8; 44];
    base64::engine::general_purpose::STANDARD
        .encode_slice(hmac_raw(message, key), &mut out)
        .expect("44 bytes hold 32 in base64");
    out
}

/// The baseline of verifying: HMAC-SHA-256 of `message`, key set-up included.
pub fn hmac_raw(message: &[u8], key: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    m.update(message);
    m.finalize().into_bytes().into()
}
