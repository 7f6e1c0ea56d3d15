#!/usr/bin/env bash
# The test command: everything CI runs, on a fresh machine or a warm one.
#   1. ./.venv with the pinned Python tools (requirements-dev.txt)
#   2. cargo fmt --check, cargo clippy -D warnings
#   3. every test of the workspace: unit, and integration over HTTP against moto and the
#      local Macie (the tests start both on free loopback ports and stop them, also on failure)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Python tools into .venv"
scripts/setup-venv.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo build --locked -p local-macie
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked 2>&1 | tee "$log" || status=$?
# One closing line for the whole run: cargo prints one per test binary.
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "\ntests: %d passed, %d failed, %d skipped\n", p, f, i }' "$log"
exit "$status"
