#!/usr/bin/env bash
# The local demo, no AWS account needed: moto (S3, KMS, SNS, DynamoDB) and the local Macie
# with a realistic account, the real Lambda binaries under cargo-lambda's local runtime on the
# sample events and a sweep, and what they decided and did. testkit's `demo` binary does the
# work (testkit/src/bin/demo.rs) and stops everything it started, also on failure.
# It runs what the test command builds (`cargo test --no-run`, the same features and
# profile): after scripts/test.sh nothing is built again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "The test command's build: about 5 minutes the first time on two cores, nothing to build after scripts/test.sh"
cargo test --workspace --locked --no-run --quiet 2> >(grep -v -E '^ *(Executable|Finished)' >&2)
exec "${CARGO_TARGET_DIR:-target}/debug/demo"
