#!/usr/bin/env bash
# Lints template.yaml offline: cfn-lint (errors and warnings fail), sam validate --lint, and
# checkov (every failed check fails; skipped checks are justified in the template).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh --sam --checkov
.venv/bin/cfn-lint template.yaml
SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint --region us-east-1 --template-file template.yaml
.venv-checkov/bin/checkov --file template.yaml --framework cloudformation --quiet --compact --skip-download
