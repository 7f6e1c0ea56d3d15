#!/usr/bin/env bash
# The benchmark: builds the artifacts (sam build) and the release binaries, then measures
# cold start, one Health event, a 10,000-job sweep, the export check, the organization view
# (`macie-guard org` over 50 accounts x 4 Regions) and artifact sizes.
# Results: a table on stdout and bench-results/bench.json. Flags go to the driver:
#   --runs N (7)  --sweep-jobs N (10000)  --in-window N (1000)  --concurrency N (8)
#   --org-accounts N (50)  --org-regions N (4, at most 6)  --org-only  --out FILE
#   --hub-only: the hub's sweep and export check, one invocation each, over an organization
#     (--hub-accounts N (1000) x --hub-regions N (17)), at a tenth of it and all of it, then
#     with --hub-latency-ms N (75) on every call; HUB_CONCURRENCY --hub-concurrency N (8);
#     --hub-steps small,full,latency and --hub-functions expiry-guard,export-guard choose.
#     Results in bench-results/hub.json (each run replaces the entries it measured).
# Then scripts/bench_docs.py writes docs/benchmarks.md's figures from bench-results/: a run
# that only prints (--org-only, --cold) leaves them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh > /dev/null 2>&1 || scripts/build.sh
cargo build --release --locked --quiet -p macie-guard -p local-macie -p testkit --bins
# The CLI on its own: built with the Lambda binaries, they would take its credential sources
# (aws-config's sso and credentials-process features) and be measured with them.
cargo build --release --locked --quiet -p macie-guard-cli
target/release/bench "$@"
case " $* " in
  *" --org-only "*|*" --cold "*|*" --out "*) ;;
  *) python3 scripts/bench_docs.py --write ;;
esac
