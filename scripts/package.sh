#!/usr/bin/env bash
# Packages macie-guard for an AWS Organization (CloudFormation StackSets, service-managed
# permissions): a plain CloudFormation template with no Transform, whose functions take their
# code from the artifact bucket of the Region they run in, and the artifacts laid out for
# upload to each Region's bucket.
#   scripts/package.sh [OUT]   (default dist/)
# OUT/macie-guard.template.json       the StackSet's template (template.yaml, SAM-expanded)
# OUT/artifact-bucket.yaml            one stack per Region: the bucket, readable by the organization
# OUT/artifacts/macie-guard/*.zip     upload to s3://<prefix>-<Region>/macie-guard/ in each Region
# Builds the functions first when .aws-sam/build has no artifacts (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
scripts/setup-venv.sh --sam --checkov
for fn in ExpiryGuardFunction ExportGuardFunction; do
  [ -f ".aws-sam/build/$fn/bootstrap" ] || { scripts/build.sh; break; }
done
# Only what this script writes is replaced; nothing else in OUT is touched.
rm -f "$out/macie-guard.template.json" "$out/artifact-bucket.yaml" "$out"/artifacts/macie-guard/*.zip
mkdir -p "$out/artifacts/macie-guard"
.venv-sam/bin/python scripts/package.py template.yaml "$out/macie-guard.template.json"
cp stacksets/artifact-bucket.yaml "$out/"
.venv/bin/python - "$out/artifacts/macie-guard" <<'PY'
import os, sys, zipfile
for name, fn in [("expiry-guard", "ExpiryGuardFunction"), ("export-guard", "ExportGuardFunction")]:
    path = os.path.join(sys.argv[1], f"{name}.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        # Lambda's custom runtime runs the file named bootstrap, executable.
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(f".aws-sam/build/{fn}/bootstrap", "rb") as f:
            z.writestr(info, f.read())
    # The layout Lambda takes: one entry, bootstrap, a regular executable file.
    with zipfile.ZipFile(path) as z:
        entries = z.infolist()
        assert [e.filename for e in entries] == ["bootstrap"], entries
        assert entries[0].external_attr >> 16 == 0o100755, oct(entries[0].external_attr >> 16)
    print(f"{path}: {os.path.getsize(path)} bytes")
PY
.venv/bin/cfn-lint "$out/macie-guard.template.json" "$out/artifact-bucket.yaml"
for t in "$out/macie-guard.template.json" "$out/artifact-bucket.yaml"; do
  .venv-checkov/bin/checkov --file "$t" --framework cloudformation --quiet --compact --skip-download
done
echo "packaged into $out/ (see docs/organization.md)"
