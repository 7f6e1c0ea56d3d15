#!/usr/bin/env bash
# Makes a release of macie-guard that deploys without building:
#   scripts/release.sh VERSION [OUT]      (OUT: dist/release-VERSION)
# VERSION must be the crates' version (Cargo.toml), the template's SemanticVersion and the top
# entry of CHANGELOG.md. OUT holds:
#   expiry-guard-VERSION.zip, export-guard-VERSION.zip   the functions (bootstrap alone)
#   macie-guard-VERSION.yaml     template.yaml with each function's CodeUri its zip:
#                                `sam deploy --template-file macie-guard-VERSION.yaml --resolve-s3 --guided`
#   stacksets/                   the StackSets package (scripts/package.sh)
#   macie-guard-VERSION-x86_64-linux, macie-guard-VERSION-aarch64-linux
#                                the operator CLI for Linux, static (glibc linked in, rustls,
#                                no OpenSSL): nothing to install (scripts/build-cli.sh)
#   sbom-VERSION.cdx.json        the Rust dependencies of the functions and the CLI, and each
#                                binary's and zip's SHA-256 (CycloneDX 1.5)
#   LICENSE, CHANGELOG.md, SHA256SUMS
# Reproducible: the same sources, toolchain and build path give the same bytes (zip entries
# with a fixed time and mode; the SBOM's time and serial from the commit). Not across build
# paths or toolchains: the binaries hold the paths and the compiler's output.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/release.sh VERSION [OUT]}
out=${2:-dist/release-$version}
cargo_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
template_version=$(sed -n 's/^    SemanticVersion: //p' template.yaml)
changelog_version=$(sed -n 's/^## \([0-9][^ ]*\).*/\1/p' CHANGELOG.md | head -n 1)
for pair in "Cargo.toml:$cargo_version" "template.yaml:$template_version" "CHANGELOG.md:$changelog_version"; do
  if [ "${pair#*:}" != "$version" ]; then
    echo "release.sh: $version is not the version in ${pair%%:*} (${pair#*:}): make them one" >&2
    exit 2
  fi
done
scripts/build.sh > /dev/null
# The CLI, on its own (built with the functions it would give them its credential sources),
# one static executable for each Linux architecture of RELEASE_CLI_ARCHS (default both):
# scripts/build-cli.sh. Each takes about five minutes on two cores, so the test command makes
# its releases without them (RELEASE_CLI_ARCHS=none).
archs=${RELEASE_CLI_ARCHS:-x86_64 aarch64}
[ "$archs" = none ] && archs=""
export PATH="$PWD/.venv/bin:$PATH"
cli_dir=$(mktemp -d)
for arch in $archs; do
  scripts/build-cli.sh "$arch" "$cli_dir/macie-guard-$version-$arch-linux"
done
rm -rf "$out"
mkdir -p "$out"
cp -p "$cli_dir"/* "$out/" 2>/dev/null || true
rm -rf "$cli_dir"
scripts/package.sh "$out/stacksets" > /dev/null
# The commit's time, so that a release of the same commit has the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}
.venv/bin/python scripts/release.py "$version" "$out"
cp LICENSE CHANGELOG.md "$out/"
(cd "$out" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
echo "release $version in $out:"
cat "$out/SHA256SUMS"
