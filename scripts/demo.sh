#!/usr/bin/env bash
# The local demo, no AWS account needed: moto (S3, KMS, SNS, DynamoDB) and the local Macie
# with a realistic account, the real Lambda binaries under cargo-lambda's local runtime on the
# sample events and a sweep, and what they decided and did. testkit's `demo` binary does the
# work (testkit/src/bin/demo.rs) and stops everything it started, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "Building macie-guard: about 5 minutes the first time on two cores (also after the test command, whose build selects other features), seconds after"
cargo build --quiet --locked -p local-macie -p macie-guard --bins
# The CLI on its own: built with the Lambda binaries, they would take its credential sources.
cargo build --quiet --locked -p macie-guard-cli
cargo run --quiet --locked -p testkit --bin demo
