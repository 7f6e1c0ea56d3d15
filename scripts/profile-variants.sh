#!/usr/bin/env bash
# What each release-profile setting buys: builds expiry-guard for this machine once per
# variant, each changing one setting of the chosen profile (cargo's CARGO_PROFILE_RELEASE_*
# overrides, one target directory each), then
# prints the binary size, its zipped size and its cold start (median of 21 rounds, all variants
# started in each round, in a rotating order, so that the machine's drift touches all alike).
# Slow: one full release build per variant.
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
i=0
while read -r cold; do
  bin=${bins[$i]}
  zipped=$(python3 -c 'import io,sys,zipfile; b=io.BytesIO(); z=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED); z.write(sys.argv[1],"bootstrap"); z.close(); print(len(b.getvalue()))' "$bin")
  printf '%-18s %12s %12s %10s\n' "${names[$i]}" "$(stat -c %s "$bin")" "$zipped" "$cold"
  i=$((i + 1))
done <<< "$colds"
