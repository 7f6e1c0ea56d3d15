#!/usr/bin/env bash
# Fuzzes each handler's event parsing and routing, and the policy evaluator, for a bounded
# time each (default 60 s; FUZZ_SECONDS overrides), seeded from events/ and tests/corpus/
# (the event targets) and fuzz/seeds/<target>/ (the others). The targets build against
# macie-guard-core alone: no AWS SDK to compile.
# Prints executions and findings per target; fails if a target finds a crash.
# cargo-fuzz needs nightly compiler flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
if ! cargo fuzz --version > /dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
export RUSTC_BOOTSTRAP=1
for target in expiry_event export_event policy; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus"
  case $target in
    policy) cp fuzz/seeds/policy/*.json "$corpus/" ;;
    *) cp events/*.json tests/corpus/* "$corpus/" ;;
  esac
  log=$(mktemp)
  status=0
  cargo fuzz run --sanitizer none "$target" "$corpus" -- -max_total_time="$seconds" -max_len=65536 > "$log" 2>&1 || status=$?
  runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
  if [ "$status" -ne 0 ]; then
    echo "fuzz $target: FAILED after $runs executions"; tail -n 40 "$log"; rm -f "$log"; exit 1
  fi
  echo "fuzz $target: $runs executions in ${seconds}s, 0 crashes"
  rm -f "$log"
done
