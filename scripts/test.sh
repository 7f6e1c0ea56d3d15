#!/usr/bin/env bash
# The test command: everything CI runs, on a fresh machine or a warm one.
#   1. the pinned Python tools (.venv: moto, cargo-lambda with Zig, cfn-lint; .venv-sam;
#      .venv-checkov), installed while step 2 runs
#   2. cargo fmt --check, cargo clippy -D warnings
#   3. the template: cfn-lint, sam validate --lint, checkov
#   4. sam build: both functions cross-compiled for arm64 with cargo-lambda (built together
#      first, so that their link-time optimizations run side by side), sizes printed; the
#      release made twice from them (scripts/release.sh: the same checksums), which holds
#      the StackSets package made from them (scripts/package.sh) and checked
#   5. the strictness layer in front of moto, each rule on its own (Python, boto3), and the
#      documentation check's own tests
#   6. each cargo-fuzz target for FUZZ_SECONDS (20) seconds
#   7. the tests' build (cargo test --no-run), then the documentation: links, anchors and
#      paths exist; the commands shown parse
#   8. every test: unit; integration over HTTP against moto and the local Macie (started on
#      free loopback ports and stopped, also on failure); each Lambda binary under
#      cargo-lambda's local runtime with every file in events/
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says when it started (time since the command began), to see where a run's time goes.
step() { printf '\n==> %s  [%dm%02ds]\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

# A fresh clone builds once: incremental caches would only double what the build leaves on disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

step "Python tools (in the background, while fmt and clippy run)"
# Installing is mostly waiting on downloads; clippy needs none of it.
venv_log=$(mktemp)
scripts/setup-venv.sh --sam --checkov > "$venv_log" 2>&1 &
venv_pid=$!

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Python tools (waiting for them)"
venv_status=0
wait "$venv_pid" || venv_status=$?
cat "$venv_log"; rm -f "$venv_log"
[ "$venv_status" -eq 0 ] || { echo "setting up the Python tools failed" >&2; exit "$venv_status"; }

step "template lint"
scripts/lint-template.sh

step "sam build"
scripts/build.sh

step "the release, made twice (scripts/release.sh): the same bytes, a template cfn-lint takes"
# Also the StackSets package (scripts/package.sh), which the release holds.
rel=$(mktemp -d)
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
# Without the CLI's binaries (about six minutes each to cross-build): a release by hand has them.
RELEASE_CLI_ARCHS=none scripts/release.sh "$version" "$rel/a" > /dev/null
RELEASE_CLI_ARCHS=none scripts/release.sh "$version" "$rel/b" > "$rel/b.log"
cat "$rel/b.log"
cmp "$rel/a/SHA256SUMS" "$rel/b/SHA256SUMS" || { echo "the release is not reproducible" >&2; diff "$rel/a/SHA256SUMS" "$rel/b/SHA256SUMS"; exit 1; }
.venv/bin/cfn-lint "$rel/a/macie-guard-$version.yaml"
rm -rf "$rel"

step "the stand-ins refuse what AWS refuses (scripts/strict_moto/test_rules.py); the docs check's tests"
.venv/bin/python -m unittest discover -s scripts -p 'test_*.py'

step "fuzzing, bounded"
FUZZ_SECONDS=${FUZZ_SECONDS:-20} scripts/fuzz.sh
# The fuzz targets' own build is not needed again; on CI its disk goes back before the tests' build.
if [ -n "${CI:-}" ]; then rm -rf fuzz/target; fi

step "the tests' build (cargo test --no-run)"
cargo test --workspace --locked --no-run

step "the documentation (scripts/check_docs.py)"
.venv/bin/python scripts/check_docs.py --cli target/debug/macie-guard

step "cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
# One closing line for the whole run: cargo prints one per test binary.
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "\ntests: %d passed, %d failed, %d skipped\n", p, f, i }' "$log"
printf 'the test command took %dm%02ds\n' $((SECONDS / 60)) $((SECONDS % 60))
# What the build holds on disk (a full disk shows up as a linker crash, not as a message).
du -sh target .aws-sam fuzz/target 2>/dev/null || true
exit "$status"
