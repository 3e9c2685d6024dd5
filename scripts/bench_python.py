#!/usr/bin/env python3
"""Issue 16's last row: a typical Python integration's verification of the 52-field
random-order notification, against `Shop::verify` measured in the same run.

The Python side is what the platforms' Python examples and third-party integrations do:
parse the body with `urllib.parse.parse_qsl`, keep the `vads_` fields, sort them, join
their values with `+`, append the key, HMAC-SHA-256, base64, `hmac.compare_digest`.

Usage (from the repository root): python3 scripts/bench_python.py
It runs `cargo bench --bench goals -- verify_52_random/vads` first, then times Python
(best of 7 repetitions of 20,000 calls), and prints both and the ratio.
"""
import base64, hashlib, hmac, json, pathlib, subprocess, timeit, urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEY = "bench-key-7Hq2Zx9Lm4NpR"  # benches/inputs.rs

def verify(body: str) -> bool:
    fields = urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True)
    received = dict(fields).get("signature", "")
    vads = sorted(((n, v) for n, v in fields if n.startswith("vads_")), key=lambda p: p[0].encode())
    message = "+".join(v for _, v in vads) + "+" + KEY
    digest = hmac.new(KEY.encode(), message.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), received)

def main():
    body = subprocess.run(
        ["cargo", "run", "-q", "--release", "--example", "profile_goals", "--", "body_verify_52_random"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    assert verify(body), "the Python verifier refuses the benchmark body"
    subprocess.run(["cargo", "bench", "-q", "--bench", "goals", "--", "verify_52_random/vads"],
                   cwd=ROOT, check=True, capture_output=True)
    est = ROOT / "target/criterion/verify_52_random/vads/new/estimates.json"
    vads_ns = json.loads(est.read_text())["median"]["point_estimate"]
    n = 20000
    python_ns = min(timeit.repeat(lambda: verify(body), number=n, repeat=7)) / n * 1e9
    print(f"python (parse_qsl, sorted, hmac): {python_ns / 1000:.2f} µs")
    print(f"vads Shop::verify (criterion median): {vads_ns / 1000:.2f} µs")
    print(f"python / vads: {python_ns / vads_ns:.1f}")

if __name__ == "__main__":
    main()
