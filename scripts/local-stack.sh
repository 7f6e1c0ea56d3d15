#!/usr/bin/env bash
# The stand-ins for running macie-guard by hand (docs/quickstart.md): moto and the local Macie
# on free loopback ports, in the background, until `stop`. No AWS account.
#   scripts/local-stack.sh start [SCENARIO]   start them (SCENARIO: demo/scenario.json), write
#                                             .local/env, say what to source
#   scripts/local-stack.sh stop               stop them, remove .local/
# MACIE_GUARD_LOCAL_DIR names another folder than .local (the quick start's test uses its own).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${MACIE_GUARD_LOCAL_DIR:-.local}
case "${1:-}" in
  start)
    if [ -f "$dir/pids" ]; then
      echo "local-stack: already started; scripts/local-stack.sh stop first" >&2
      exit 1
    fi
    scenario=${2:-demo/scenario.json}
    [ -f "$scenario" ] || { echo "local-stack: no scenario $scenario" >&2; exit 1; }
    scripts/setup-venv.sh > /dev/null
    if [ ! -x target/debug/local-macie ]; then
      echo "Building the local Macie (the first build takes a few minutes)"
      cargo build --quiet --locked -p local-macie
    fi
    mkdir -p "$dir"
    # moto stops when its standard input closes: a pipe that stays open until it is stopped.
    setsid sh -c 'sleep 2147483647 | exec .venv/bin/python scripts/moto_server.py' \
      > "$dir/moto.log" 2>&1 < /dev/null &
    echo $! >> "$dir/pids"
    setsid target/debug/local-macie --listen 127.0.0.1:0 --scenario "$scenario" \
      > "$dir/macie.log" 2>&1 < /dev/null &
    echo $! >> "$dir/pids"
    url() { sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$1" | head -n 1; }
    for _ in $(seq 600); do
      [ -n "$(url "$dir/moto.log")" ] && [ -n "$(url "$dir/macie.log")" ] && break
      sleep 0.1
    done
    moto=$(url "$dir/moto.log"); macie=$(url "$dir/macie.log")
    if [ -z "$moto" ] || [ -z "$macie" ]; then
      echo "local-stack: the stand-ins did not start; see $dir/moto.log and $dir/macie.log" >&2
      "$0" stop > /dev/null
      exit 1
    fi
    {
      echo "# macie-guard's stand-ins (scripts/local-stack.sh): source this file"
      echo "export AWS_ENDPOINT_URL_MACIE2=$macie"
      for s in S3 KMS SNS DYNAMODB EVENTBRIDGE STS ORGANIZATIONS SECURITYHUB SQS CLOUDFORMATION LAMBDA SCHEDULER CLOUDWATCH; do
        echo "export AWS_ENDPOINT_URL_$s=$moto"
      done
      echo "export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_EC2_METADATA_DISABLED=true"
      echo "export MACIE_GUARD_ACCOUNT_ID=123456789012 MACIE_GUARD_STATE_DIR=$(cd "$dir" && pwd)/state"
      echo "unset AWS_PROFILE AWS_SESSION_TOKEN"
    } > "$dir/env"
    echo "moto on $moto, the local Macie on $macie (scenario $scenario)"
    echo "Now: . $dir/env        and when done: scripts/local-stack.sh stop"
    ;;
  stop)
    if [ ! -f "$dir/pids" ]; then
      rm -rf "$dir"
      echo "nothing to stop"
      exit 0
    fi
    while read -r pid; do kill -- "-$pid" 2> /dev/null || kill "$pid" 2> /dev/null || true; done < "$dir/pids"
    rm -rf "$dir"
    echo "stopped"
    ;;
  *)
    echo "usage: scripts/local-stack.sh start [SCENARIO] | stop" >&2
    exit 64
    ;;
esac
