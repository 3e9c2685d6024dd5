#!/usr/bin/env python3
"""Generates benches/data/*: realistic inputs for the benchmarks and the allocation test,
signed with Python's hashlib/hmac (an implementation independent of the crate), so the
files double as cross-language vectors (see tests/bench_data.rs).

Usage: python3 scripts/gen_bench_data.py   (deterministic: same output every run)
"""
import base64, hashlib, hmac, random, urllib.parse, pathlib

OUT = pathlib.Path(__file__).resolve().parent.parent / "benches" / "data"
KEY = "BenchKey7Hq2Zx9Lm4Np"  # a made-up key for benchmarks only
SITE = "12345678"

def signing_string(fields, key):
    vads = sorted((n, v) for n, v in fields if n.startswith("vads_"))
    vads.sort(key=lambda p: p[0].encode())
    return "+".join(v for _, v in vads) + "+" + key

def hmac_b64(s, key):
    return base64.b64encode(hmac.new(key.encode(), s.encode(), hashlib.sha256).digest()).decode()

def sha1_hex(s):
    return hashlib.sha1(s.encode()).hexdigest()

def encode(fields):
    return "&".join(urllib.parse.quote_plus(n) + "=" + urllib.parse.quote_plus(v) for n, v in fields)

form = [
    ("vads_version", "V2"), ("vads_site_id", SITE), ("vads_ctx_mode", "TEST"),
    ("vads_trans_id", "4f2K9a"), ("vads_trans_date", "20261124131500"),
    ("vads_amount", "12990"), ("vads_currency", "978"), ("vads_action_mode", "INTERACTIVE"),
    ("vads_page_action", "PAYMENT"), ("vads_payment_config", "SINGLE"),
    ("vads_order_id", "ORD-2026-11-24-000917"), ("vads_cust_email", "camille.durand@example.fr"),
    ("vads_url_return", "https://shop.example.fr/checkout/return?order=ORD-2026-11-24-000917"),
]
assert len(form) == 13

notification = [
    ("vads_action_mode", "INTERACTIVE"), ("vads_amount", "12990"), ("vads_auth_mode", "FULL"),
    ("vads_auth_number", "3fe7c1"), ("vads_auth_result", "00"), ("vads_bank_code", "17807"),
    ("vads_bank_label", "Banque Populaire Auvergne Rhône Alpes"), ("vads_bank_product", "F"),
    ("vads_brand_management", '{"userChoice":false,"brandList":"CB|VISA","brand":"CB"}'),
    ("vads_capture_delay", "0"), ("vads_card_brand", "CB"), ("vads_card_country", "FR"),
    ("vads_card_number", "497010XXXXXX0055"), ("vads_change_rate", "1.0"),
    ("vads_contract_used", "5785350"), ("vads_ctx_mode", "TEST"), ("vads_currency", "978"),
    ("vads_cust_address", "12 rue de l'Église, bât. B – 2e étage"), ("vads_cust_cell_phone", "+33 6 12 34 56 78"),
    ("vads_cust_city", "Saint-Étienne"), ("vads_cust_country", "FR"),
    ("vads_cust_email", "camille.durand+boutique@example.fr"), ("vads_cust_first_name", "Camille"),
    ("vads_cust_last_name", "Durand-Lefèvre"), ("vads_cust_phone", "+33 4 77 00 00 00"),
    ("vads_cust_title", "Mme"), ("vads_cust_zip", "42000"), ("vads_effective_amount", "12990"),
    ("vads_effective_creation_date", "20261124131523"), ("vads_effective_currency", "978"),
    ("vads_expiry_month", "6"), ("vads_expiry_year", "2029"),
    ("vads_ext_info_cart", "2 × café 100% arabica & 1 thé vert = 129,90 €"), ("vads_extra_result", ""),
    ("vads_hash", "9f2c8d1e6b7a5f4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c"),
    ("vads_language", "fr"), ("vads_occurrence_type", "UNITAIRE"), ("vads_operation_type", "DEBIT"),
    ("vads_order_id", "ORD-2026-11-24-000917"), ("vads_order_info", "Livraison en point relais"),
    ("vads_page_action", "PAYMENT"),
    ("vads_payment_certificate", "8a7d3f0c1b2e4d5f6a7b8c9d0e1f2a3b4c5d6e7f"),
    ("vads_payment_config", "SINGLE"), ("vads_payment_option_code", ""),
    ("vads_payment_seq", '{"trans_id":"4f2K9a","transactions":[{"amount":"12990","operation_type":"DEBIT","auth_number":"3fe7c1","capture_delay":"0","card_brand":"CB","card_number":"497010XXXXXX0055","expiry_month":"6","expiry_year":"2029","payment_certificate":"8a7d3f0c1b2e4d5f6a7b8c9d0e1f2a3b4c5d6e7f","sequence_number":"1","trans_status":"AUTHORISED","trans_uuid":"d1b0e0a6f4a84d6e9a1f0c2b3e4d5f60"}]}'),
    ("vads_payment_src", "EC"), ("vads_pays_ip", "FR"), ("vads_presentation_date", "20261124131523"), ("vads_result", "00"),
    ("vads_risk_analysis_result", ""), ("vads_sequence_number", "1"), ("vads_shop_name", "Boutique Café & Thé"),
    ("vads_shop_url", "https://shop.example.fr"), ("vads_site_id", SITE), ("vads_tag", ""),
    ("vads_threeds_auth_type", "FRICTIONLESS"), ("vads_threeds_cavv", "Q2F2dkFsZ29yaXRobT0yKzI9"),
    ("vads_threeds_cavvAlgorithm", "2"), ("vads_threeds_eci", "05"), ("vads_threeds_enrolled", "Y"),
    ("vads_threeds_error_code", ""), ("vads_threeds_exit_status", "10"), ("vads_threeds_sign_valid", "1"),
    ("vads_threeds_status", "Y"), ("vads_threeds_xid", ""), ("vads_trans_date", "20261124131500"),
    ("vads_trans_id", "4f2K9a"), ("vads_trans_status", "AUTHORISED"),
    ("vads_trans_uuid", "d1b0e0a6f4a84d6e9a1f0c2b3e4d5f60"), ("vads_url_check_src", "PAY"),
    ("vads_user_info", "Caisse n°3 / opératrice: Zoé"), ("vads_validation_mode", "0"),
    ("vads_version", "V2"), ("vads_warranty_result", "YES"),
]
for a, b in zip(notification, notification[1:]):
    assert a[0].encode() < b[0].encode(), (a[0], b[0])

OUT.mkdir(parents=True, exist_ok=True)
(OUT / "bench-key.txt").write_text(KEY + "\n")
s = signing_string(form, KEY)
(OUT / "form13.txt").write_text(encode(form) + "\n")
(OUT / "form13.expected").write_text(
    f"HMAC-SHA-256 {hmac_b64(s, KEY)}\nSHA-1 {sha1_hex(s + '')}\n")
sig = hmac_b64(signing_string(notification, KEY), KEY)
ordered = notification + [("signature", sig)]
(OUT / "notification-ordered.txt").write_text(encode(ordered) + "\n")
shuffled = ordered[:]
random.Random(20261124).shuffle(shuffled)
(OUT / "notification-shuffled.txt").write_text(encode(shuffled) + "\n")
body = encode(ordered)
print(f"form13: {len(encode(form))} bytes; notification: {len(notification)} fields, {len(body)} bytes, {body.count('%')} escapes")
