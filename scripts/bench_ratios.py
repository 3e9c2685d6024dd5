#!/usr/bin/env python3
"""Prints the ratios of the last `cargo bench --bench goals` run, from criterion's
estimates (target/criterion/<group>/<function>[/<param>]/new/estimates.json, medians).

Usage: python3 scripts/bench_ratios.py [target/criterion]
"""
import json, pathlib, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")

def median(*parts):
    p = root.joinpath(*parts, "new", "estimates.json")
    if not p.exists():
        return None
    return json.loads(p.read_text())["median"]["point_estimate"]

def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"

print("| group | vads | baseline | vads / baseline | other |")
print("| --- | --- | --- | --- | --- |")
for group in ["sign_13", "sign_60", "verify_52_sorted", "verify_52_random", "verify_300_random"]:
    v, b = median(group, "vads"), median(group, "baseline")
    if v is None or b is None:
        continue
    other = ""
    n = median(group, "naive")
    if n is not None:
        other = f"naive {fmt(n)}, naive / vads {n / v:.2f}"
    print(f"| {group} | {fmt(v)} | {fmt(b)} | {v / b:.2f} | {other} |")
rows = []
for n in [10, 50, 100, 200, 500]:
    v, b = median("scaling", "vads", str(n)), median("scaling", "baseline", str(n))
    if v is not None and b is not None:
        rows.append((n, v, b))
if rows:
    print()
    print("| fields | vads | per field | baseline | vads / baseline |")
    print("| --- | --- | --- | --- | --- |")
    for n, v, b in rows:
        print(f"| {n} | {fmt(v)} | {v / n:.1f} ns | {fmt(b)} | {v / b:.2f} |")
    per = [v / n for n, v, _ in rows]
    print(f"\nper-field cost, max / min: {max(per) / min(per):.2f}")
