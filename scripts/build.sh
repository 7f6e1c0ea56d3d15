#!/usr/bin/env bash
# Builds the Lambda artifacts with AWS SAM (cargo-lambda + Zig cross-compile for arm64), as
# `sam build` does before a deploy, and prints each function's zip size.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh --sam
export PATH="$PWD/.venv/bin:$PWD/.venv-sam/bin:$PATH" SAM_CLI_TELEMETRY=0
# Both functions in one cargo run first, as SAM will build them (`cargo lambda build --release
# --arm64 --bin NAME`): their dependencies once, and their link-time optimizations (one core
# each) side by side. SAM's own builds then find them fresh.
cargo lambda build --release --arm64 --bin expiry-guard --bin export-guard
# Rust (cargo-lambda) builds are a beta feature of the SAM CLI.
sam build --beta-features --build-dir .aws-sam/build "$@"
# Each artifact as Lambda takes it: bootstrap alone in a zip. Saved for the benchmark too.
.venv/bin/python - <<'PY'
import io, json, os, zipfile
sizes = {}
for name, fn in [("expiry-guard", "ExpiryGuardFunction"), ("export-guard", "ExportGuardFunction")]:
    path = f".aws-sam/build/{fn}/bootstrap"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "bootstrap")
    sizes[name] = {"bootstrap_bytes": os.path.getsize(path), "zip_bytes": len(buf.getvalue())}
    print(f"{name}: bootstrap {sizes[name]['bootstrap_bytes']} bytes, zip {sizes[name]['zip_bytes']} bytes")
json.dump(sizes, open(".aws-sam/sizes.json", "w"), indent=2)
# The budget (docs/benchmarks.md, "Targets"): a function's zip passing it fails the build.
BUDGET = 8 * 1024 * 1024
over = [n for n, s in sizes.items() if s["zip_bytes"] > BUDGET]
if over:
    raise SystemExit(f"build.sh: {', '.join(over)} zipped past the budget of {BUDGET} bytes")
PY
