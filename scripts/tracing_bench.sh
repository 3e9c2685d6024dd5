#!/usr/bin/env bash
# What the `tracing` feature costs a verification when no subscriber listens, in time:
# criterion's verify groups of benches/goals.rs run without the feature, then with it
# (`-p vads`, so that no other package's features join in), each group with its baseline
# (the raw HMAC of the same signing string) measured in the same run; ROUNDS such pairs.
# The figure compared is `vads / baseline` of each run, which cancels most of the
# machine's drift between runs; the median over the rounds is printed.
# scripts/tracing_cost.sh counts instructions instead (repeatable to the unit).
#
#   scripts/tracing_bench.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
groups='^verify_52_(sorted|random)/'
opts=(--warm-up-time 1 --measurement-time 3)
out=target/tracing-bench.txt
: > "$out"
for round in $(seq "$rounds"); do
  for f in off on; do
    features=()
    [ "$f" = on ] && features=(--features tracing)
    cargo bench -q -p vads --bench goals "${features[@]}" -- "$groups" "${opts[@]}" \
      --save-baseline "tracing-$f" >/dev/null 2>&1
    python3 - "$f" "$round" >> "$out" <<'PY'
import json, sys
f, round_ = sys.argv[1:]
for group in ["verify_52_sorted", "verify_52_random"]:
    m = {}
    for fn in ["vads", "baseline"]:
        with open(f"target/criterion/{group}/{fn}/tracing-{f}/estimates.json") as fh:
            m[fn] = json.load(fh)["median"]["point_estimate"]
    print(round_, group, f, m["vads"], m["baseline"])
PY
  done
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for group in ["verify_52_sorted", "verify_52_random"]:
    diffs = []
    for r in sorted({row[0] for row in rows}):
        got = {row[2]: (float(row[3]), float(row[4])) for row in rows if row[0] == r and row[1] == group}
        (v0, b0), (v1, b1) = got["off"], got["on"]
        d = 100 * ((v1 / b1) / (v0 / b0) - 1)
        diffs.append(d)
        print(f"{group} round {r}: off {v0/1000:.2f} µs (ratio {v0/b0:.2f}), on {v1/1000:.2f} µs (ratio {v1/b1:.2f}): {d:+.1f}%")
    print(f"{group}: tracing without a subscriber, median over {len(diffs)} rounds: {statistics.median(diffs):+.1f}%")
PY
