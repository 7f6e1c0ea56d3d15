#!/usr/bin/env bash
# What each release-profile setting buys: builds expiry-guard for this machine once per
# variant, each changing one setting of the chosen profile (cargo's CARGO_PROFILE_RELEASE_*
# overrides, one target directory each), then
# prints the binary size, its zipped size and its cold start (median of 21 rounds, all variants
# started in each round, in a rotating order, so that the machine's drift touches all alike).
# Slow: one full release build per variant. Writes bench-results/profile-variants.json, and
# scripts/bench_docs.py --write puts its table into docs/design.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet -p testkit --bin bench -p local-macie
variants=(
  "chosen:"
  "opt-level=3:CARGO_PROFILE_RELEASE_OPT_LEVEL=3"
  "lto=thin:CARGO_PROFILE_RELEASE_LTO=thin"
  "codegen-units=16:CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16"
  "panic=unwind:CARGO_PROFILE_RELEASE_PANIC=unwind"
  "strip=false:CARGO_PROFILE_RELEASE_STRIP=false"
)
names=(); bins=()
for v in "${variants[@]}"; do
  name=${v%%:*}; env_var=${v#*:}
  if [ -z "$env_var" ]; then
    # The chosen profile: the workspace's own release build.
    cargo build --release --locked --quiet -p macie-guard --bin expiry-guard
    bin=target/release/expiry-guard
  else
    dir=target/profile-variants/$name
    env "$env_var" CARGO_TARGET_DIR="$dir" cargo build --release --locked --quiet -p macie-guard --bin expiry-guard
    bin=$dir/release/expiry-guard
  fi
  names+=("$name"); bins+=("$bin")
done
colds=$(target/release/bench --cold "${bins[@]}" | cut -f2)
printf '%-18s %12s %12s %10s\n' variant bytes zipped cold
rows=()
i=0
while read -r cold; do
  bin=${bins[$i]}
  zipped=$(python3 -c 'import io,sys,zipfile; b=io.BytesIO(); z=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED); z.write(sys.argv[1],"bootstrap"); z.close(); print(len(b.getvalue()))' "$bin")
  printf '%-18s %12s %12s %10s\n' "${names[$i]}" "$(stat -c %s "$bin")" "$zipped" "$cold"
  rows+=("${names[$i]}:$(stat -c %s "$bin"):$zipped:${cold% ms}")
  i=$((i + 1))
done <<< "$colds"
mkdir -p bench-results
python3 - "${rows[@]}" > bench-results/profile-variants.json <<'PY'
import json, os, platform, subprocess, sys
rows = []
for r in sys.argv[1:]:
    name, size, zipped, cold = r.split(":")
    rows.append({"variant": name, "bytes": int(size), "zipped": int(zipped), "cold_ms": float(cold)})
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "an unnamed processor")
when = subprocess.check_output(["date", "-u", "+%Y-%m-%d"], text=True).strip()
print(json.dumps({"when": when, "machine": f"{os.cpu_count()} cores of {cpu} ({platform.machine()})", "variants": rows}, indent=1))
PY
python3 scripts/bench_docs.py --write
