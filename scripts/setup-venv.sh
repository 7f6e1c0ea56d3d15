#!/usr/bin/env bash
# Creates the project's Python virtualenvs with pinned tools, each only when it is missing or
# its requirements file changed. Needs python3 with venv and pip.
#   .venv          requirements-dev.txt      moto, cargo-lambda (with Zig), cfn-lint
#   .venv-sam      requirements-sam.txt      AWS SAM CLI          (with --sam)
#   .venv-checkov  requirements-checkov.txt  checkov              (with --checkov)
set -euo pipefail
cd "$(dirname "$0")/.."

make_venv() {
  local dir=$1 reqs=$2 stamp=$1/.requirements-installed
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && cmp -s "$reqs" "$stamp"; then
    return 0
  fi
  echo "setting up $dir from $reqs"
  python3 -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$reqs"
  cp "$reqs" "$stamp"
}

make_venv .venv requirements-dev.txt
for arg in "$@"; do
  case "$arg" in
    --sam) make_venv .venv-sam requirements-sam.txt ;;
    --checkov) make_venv .venv-checkov requirements-checkov.txt ;;
    *) echo "setup-venv.sh: unknown option $arg (use --sam, --checkov)" >&2; exit 2 ;;
  esac
done
