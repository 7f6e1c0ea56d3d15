#!/usr/bin/env bash
# Creates ./.venv with the pinned Python tools (moto; later cfn-lint, cargo-lambda) if it is
# missing or older than requirements-dev.txt. Needs python3 with venv and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.requirements-installed
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && cmp -s requirements-dev.txt "$stamp"; then
  exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
cp requirements-dev.txt "$stamp"
