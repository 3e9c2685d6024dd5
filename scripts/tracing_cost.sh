#!/usr/bin/env bash
# What the `tracing` feature costs a verification when no subscriber listens: the
# instructions of `Shop::verify` (examples/profile_goals.rs, case verify_52_random) counted
# by callgrind, built with and without the feature (`-p vads`, so that no other package's
# features join in), each less the same program run zero times. Instruction counts are
# repeatable on a busy machine, unlike timings.
#
#   scripts/tracing_cost.sh [CASE] [TIMES]
set -euo pipefail
cd "$(dirname "$0")/.."
case=${1:-verify_52_random}
times=${2:-2000}
count() { # target-dir, times
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1/release/examples/profile_goals" "$case" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
declare -A per
for f in off on; do
  dir="target/tracing-cost-$f"
  features=()
  [ "$f" = on ] && features=(--features tracing)
  CARGO_TARGET_DIR="$dir" cargo build -q -p vads --release --example profile_goals "${features[@]}"
  total=$(count "$dir" "$times")
  setup=$(count "$dir" 0)
  per[$f]=$(( (total - setup) / times ))
  echo "tracing $f: ${per[$f]} instructions per $case"
done
python3 -c "import sys; off,on=map(int,sys.argv[1:]); print(f'tracing without a subscriber adds {100*(on-off)/off:+.2f}% ({on-off} instructions)')" "${per[off]}" "${per[on]}"
