#!/usr/bin/env bash
# Packages the publishable crates (vads-reference, vads, vads-cli) as `cargo publish`
# would, then runs each packaged crate's own tests, with every feature, from the unpacked
# .crate files alone: what a user of crates.io gets must build and pass its tests.
#
# The packaged crates depend on each other by version; a temporary workspace patches
# crates.io with the unpacked packages, so the tests use the packaged sources, not the
# checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$work" "$log"' EXIT
# cargo package verifies each crate against the others through a temporary local
# registry under target/package; cargo extracts a crate of such a registry once per path
# and version, and never again: an earlier run's sources of vads 0.1.0 from the same path
# would be compiled instead of this one's. Those extractions (registry folders named
# "-<hash>", never crates.io's) of our own three packages are removed first.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for crate in vads vads-cli vads-reference vads-store; do
  rm -rf "$cargo_home"/registry/src/-*/"$crate"-0.1.0 "$cargo_home"/registry/cache/-*/"$crate"-0.1.0.crate
done
echo "== cargo package (vads-reference, vads, vads-cli, vads-store)"
if ! cargo package --workspace --exclude vads-demo --exclude vads-fuzz-replay --locked >"$log" 2>&1; then
  cat "$log"; echo "cargo package failed"; exit 1
fi
grep -E '^ *(Packaged|Verifying)' "$log" || true
if grep -q '^warning' "$log"; then
  cat "$log"; echo "cargo package printed warnings"; exit 1
fi
for crate in vads-reference vads vads-cli vads-store; do
  tar -xzf "target/package/$crate-0.1.0.crate" -C "$work"
done
# vads-store is a dependency of vads-cli (its order locks): patched in, its own tests run
# in the checkout (they need a database).
cat > "$work/Cargo.toml" <<TOML
[workspace]
members = ["vads-0.1.0", "vads-cli-0.1.0", "vads-reference-0.1.0"]
exclude = ["vads-store-0.1.0"]
resolver = "2"

[patch.crates-io]
vads = { path = "vads-0.1.0" }
vads-cli = { path = "vads-cli-0.1.0" }
vads-reference = { path = "vads-reference-0.1.0" }
vads-store = { path = "vads-store-0.1.0" }
TOML
# The checkout's lock file: the dependency versions of CI's other runs.
cp Cargo.lock "$work/Cargo.lock"
echo "== the packaged crates' tests, every feature"
if ! (cd "$work" && cargo test --workspace --all-features >"$log" 2>&1); then
  cat "$log"; echo "the packaged crates' tests failed"; exit 1
fi
grep -E '^test result' "$log" | awk '{ok += $4; failed += $6} END {print "packaged tests: " ok " passed, " failed " failed"}'
echo "packages: clean, and their packaged tests pass"
