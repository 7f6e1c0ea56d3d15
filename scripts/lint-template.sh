#!/usr/bin/env bash
# Lints template.yaml offline: cfn-lint (errors and warnings fail), sam validate --lint, and
# checkov (every failed check fails; skipped checks are justified in the template); then the
# same for the organization's templates: template.yaml packaged for StackSets (no Transform,
# scripts/package.py), stacksets/artifact-bucket.yaml, stacksets/central-bus.yaml and stacksets/member.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh --sam --checkov
.venv/bin/cfn-lint template.yaml
SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam validate --lint --region us-east-1 --template-file template.yaml
.venv-checkov/bin/checkov --file template.yaml --framework cloudformation --quiet --compact --skip-download
packaged=$(mktemp -d)
trap 'rm -rf "$packaged"' EXIT
.venv-sam/bin/python scripts/package.py template.yaml "$packaged/macie-guard.template.json"
.venv/bin/cfn-lint "$packaged/macie-guard.template.json" stacksets/artifact-bucket.yaml stacksets/central-bus.yaml stacksets/member.yaml
for t in "$packaged/macie-guard.template.json" stacksets/artifact-bucket.yaml stacksets/central-bus.yaml stacksets/member.yaml; do
  .venv-checkov/bin/checkov --file "$t" --framework cloudformation --quiet --compact --skip-download
done
