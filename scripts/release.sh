#!/usr/bin/env bash
# Makes a release of macie-guard that deploys without building:
#   scripts/release.sh VERSION [OUT]      (OUT: dist/release-VERSION)
# VERSION must be the crates' version (Cargo.toml), the template's SemanticVersion and the top
# entry of CHANGELOG.md. OUT holds:
#   expiry-guard-VERSION.zip, export-guard-VERSION.zip   the functions (bootstrap alone)
#   macie-guard-VERSION.yaml     template.yaml with each function's CodeUri its zip:
#                                `sam deploy --template-file macie-guard-VERSION.yaml --resolve-s3 --guided`
#   stacksets/                   the StackSets package (scripts/package.sh)
#   sbom-VERSION.cdx.json        the Rust dependencies of the functions and the CLI (CycloneDX 1.5)
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
rm -rf "$out"
mkdir -p "$out"
scripts/package.sh "$out/stacksets" > /dev/null
# The commit's time, so that a release of the same commit has the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}
.venv/bin/python scripts/release.py "$version" "$out"
cp LICENSE CHANGELOG.md "$out/"
(cd "$out" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
echo "release $version in $out:"
cat "$out/SHA256SUMS"
