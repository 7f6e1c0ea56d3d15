#!/usr/bin/env bash
# The operator CLI as one static Linux executable: scripts/build-cli.sh ARCH OUT
# (ARCH x86_64 or aarch64; OUT the file to write). glibc linked in (`+crt-static`: Rust's
# supported static build for its gnu targets; this toolchain has no musl standard library),
# rustls for TLS, no OpenSSL: it runs on any Linux of that architecture, nothing to install.
# aarch64 is cross-linked by Debian's gcc-aarch64-linux-gnu and libc6-dev-arm64-cross, which
# this script installs with apt-get when they are missing. Fails if the result is not static
# (an ELF interpreter) or, where it can run here (x86_64; aarch64 under qemu-aarch64 if
# installed), if `--version` does not answer. About five minutes per architecture on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?usage: scripts/build-cli.sh x86_64|aarch64 OUT}
out=${2:?usage: scripts/build-cli.sh x86_64|aarch64 OUT}
target=$arch-unknown-linux-gnu
triple=$(echo "$target" | tr 'a-z-' 'A-Z_')
case $arch in
  x86_64) ;;
  aarch64)
    if ! command -v aarch64-linux-gnu-gcc > /dev/null; then
      echo "build-cli.sh: installing Debian's aarch64 cross linker and C library" >&2
      apt-get install -y --no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross > /dev/null \
        || { echo "build-cli.sh: aarch64 needs gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (apt-get install as root)" >&2; exit 1; }
    fi
    export "CARGO_TARGET_${triple}_LINKER=aarch64-linux-gnu-gcc"
    export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
    ;;
  *) echo "build-cli.sh: no such architecture: $arch (x86_64 or aarch64)" >&2; exit 64 ;;
esac
# The build path is not in the binary (a release is the same bytes from any checkout).
export "CARGO_TARGET_${triple}_RUSTFLAGS=-C target-feature=+crt-static --remap-path-prefix=$PWD=. --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=cargo"
cargo build --release --locked --quiet -p macie-guard-cli --target "$target"
bin=target/$target/release/macie-guard
if readelf -l "$bin" | grep -q INTERP; then
  echo "build-cli.sh: $bin is dynamically linked (it names an ELF interpreter)" >&2
  exit 1
fi
run=""
[ "$arch" = aarch64 ] && run=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
if [ "$arch" = "$(uname -m)" ] || [ -n "$run" ]; then
  $run "$bin" --version > /dev/null || { echo "build-cli.sh: $bin --version failed" >&2; exit 1; }
fi
install -m 0755 "$bin" "$out"
