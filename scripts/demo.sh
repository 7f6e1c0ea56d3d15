#!/usr/bin/env bash
# The local demo, no AWS account needed: starts moto (S3, KMS, SNS) and the local Macie with a
# realistic account, runs the real Lambda binaries under cargo-lambda's local runtime on the
# sample events and a sweep, prints what they decided and did, then stops everything it
# started.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

scripts/setup-venv.sh
export PATH="$PWD/.venv/bin:$PATH"
work=$(mktemp -d)
pgids=()
cleanup() {
  for g in "${pgids[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  sleep 0.3
  for g in "${pgids[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Starts a server in its own process group and sets $url from its "listening on URL" line.
url=
start() {
  local name=$1; shift
  setsid "$@" > "$work/$name.out" 2> "$work/$name.err" < /dev/null &
  pgids+=("$!")
  for _ in $(seq 1 600); do
    url=$(sed -n 's/^listening on //p' "$work/$name.out" 2>/dev/null | head -n 1)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$work/$name.err" >&2; return 1
}

say "Building macie-guard (the first build takes a few minutes)"
cargo build --quiet -p local-macie -p macie-guard --bins

start moto .venv/bin/python scripts/moto_server.py --no-stdin-lifeline
moto=$url
start macie target/debug/local-macie --scenario demo/scenario.json
macie=$url
eval "$(.venv/bin/python demo/seed.py "$moto" "$macie")"
echo "moto on $moto, local Macie on $macie"

export AWS_ENDPOINT_URL_MACIE2=$macie AWS_ENDPOINT_URL_S3=$moto AWS_ENDPOINT_URL_KMS=$moto AWS_ENDPOINT_URL_SNS=$moto AWS_ENDPOINT_URL_DYNAMODB=$moto
export JOURNAL_TABLE
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_EC2_METADATA_DISABLED=true
export MACIE_GUARD_ACCOUNT_ID=123456789012 NOTIFICATION_TOPIC_ARN=$TOPIC_ARN RUST_LOG=warn
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid cargo lambda watch --ignore-changes -A 127.0.0.1 -P "$port" > "$work/watch.log" 2>&1 < /dev/null &
pgids+=("$!")
for _ in $(seq 1 600); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

invoke() { # function event-file output
  cargo lambda invoke "$1" -A 127.0.0.1 -P "$port" --output-format json --data-file "$2" > "$3"
}

say "1. The account's paused jobs (macie-guard jobs)"
target/debug/macie-guard jobs

say "2. AWS Health: a paused one-time job will expire soon (events/health-paused-job-expiration.json)"
invoke expiry-guard events/health-paused-job-expiration.json "$work/r1.json"
.venv/bin/python demo/story.py expiry "$work/r1.json"

say "3. AWS Health: a paused job expired and Macie cancelled it (events/health-paused-job-cancelled.json)"
invoke expiry-guard events/health-paused-job-cancelled.json "$work/r2.json"
.venv/bin/python demo/story.py expiry "$work/r2.json"

say "4. The scheduled sweep (events/schedule-sweep.json)"
invoke expiry-guard events/schedule-sweep.json "$work/r3.json"
.venv/bin/python demo/story.py expiry "$work/r3.json"

say "5. The paused jobs afterwards"
target/debug/macie-guard jobs

say "6. The scheduled export configuration check (events/check-export.json)"
invoke export-guard events/check-export.json "$work/r4.json"
.venv/bin/python demo/story.py export "$work/r4.json"

say "7. CloudTrail: ScheduleKeyDeletion on the results key (events/cloudtrail-kms-schedule-key-deletion.json, with this key)"
.venv/bin/python - "$KEY_ARN" "$KEY_ID" "$work/ct.json" <<'PY'
import json, sys
e = json.load(open("events/cloudtrail-kms-schedule-key-deletion.json"))
e["detail"]["requestParameters"]["keyId"] = sys.argv[2]
e["detail"]["resources"][0]["ARN"] = sys.argv[1]
json.dump(e, open(sys.argv[3], "w"))
PY
invoke export-guard "$work/ct.json" "$work/r5.json"
.venv/bin/python demo/story.py export "$work/r5.json"

say "8. Notifications published to SNS"
.venv/bin/python demo/story.py notes "$moto" "$TOPIC_ARN"

say "Done. Stopping moto, the local Macie and the local runtime."
