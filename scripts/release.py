"""The release's own files (scripts/release.sh): the function zips, the template packaged for
them, and the SBOM. Deterministic: zip entries with a fixed time and mode, the SBOM's time and
serial number derived from SOURCE_DATE_EPOCH and its content.

  release.py VERSION OUT
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
import uuid
import zipfile
from datetime import datetime, timezone

FUNCTIONS = [("expiry-guard", "ExpiryGuardFunction"), ("export-guard", "ExportGuardFunction")]


def zip_function(binary: str, function: str, version: str, out: str) -> str:
    name = f"{binary}-{version}.zip"
    info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o100755 << 16  # a regular file, rwxr-xr-x
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(f".aws-sam/build/{function}/bootstrap", "rb") as f:
        data = f.read()
    with zipfile.ZipFile(os.path.join(out, name), "w") as z:
        z.writestr(info, data, compresslevel=9)
    return name


def packaged_template(version: str, zips: dict[str, str]) -> str:
    """template.yaml with each function's code its zip, and no build metadata."""
    text = open("template.yaml", encoding="utf-8").read()
    text, n = re.subn(r"\n    CodeUri: \.\n", "\n", text)
    assert n == 1, "the Globals' CodeUri: ."
    for function, zip_name in zips.items():
        head = f"\n  {function}:\n    Type: AWS::Serverless::Function\n"
        start = text.index(head)
        block_end = text.index("\n    Properties:\n", start)
        metadata = text[start:block_end]
        cleaned = re.sub(r"\n      BuildMethod: [^\n]*\n      BuildProperties:\n        Binary: [^\n]*", "", metadata)
        text = text[:start] + cleaned + text[block_end:]
        props = text.index("\n    Properties:\n", start) + len("\n    Properties:\n")
        text = text[:props] + f"      CodeUri: {zip_name}\n" + text[props:]
    assert "rust-cargolambda" not in text
    return text


def sbom(version: str, epoch: int, out: str) -> dict:
    """The Rust crates the functions and the CLI are built from (normal dependencies of the
    macie-guard package for aarch64 Linux), with their licenses and Cargo.lock checksums."""
    meta = json.loads(
        subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--locked",
             "--filter-platform", "aarch64-unknown-linux-gnu"],
        )
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = next(p["id"] for p in meta["packages"] if p["name"] == "macie-guard")
    cli = next(p["id"] for p in meta["packages"] if p["name"] == "macie-guard-cli")
    seen, todo = set(), [root, cli]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            if any(k["kind"] is None for k in dep["dep_kinds"]):
                todo.append(dep["pkg"])
    lock = tomllib.load(open("Cargo.lock", "rb"))
    checksums = {(p["name"], p["version"]): p.get("checksum") for p in lock["package"]}

    def ref(p: dict) -> str:
        return f"pkg:cargo/{p['name']}@{p['version']}"

    components = []
    for pid in sorted(seen - {root}, key=lambda i: (packages[i]["name"], packages[i]["version"])):
        p = packages[pid]
        c = {"type": "library", "bom-ref": ref(p), "name": p["name"], "version": p["version"], "purl": ref(p)}
        if p.get("license"):
            c["licenses"] = [{"expression": p["license"]}]
        sha = checksums.get((p["name"], p["version"]))
        if sha:
            c["hashes"] = [{"alg": "SHA-256", "content": sha}]
        if p.get("source") is None:
            c["type"] = "application" if p["name"] == "macie-guard-cli" else "library"
        components.append(c)
    # The release's binaries, each with its SHA-256 (as in SHA256SUMS).
    for name in sorted(os.listdir(out)):
        if name.endswith(".zip") or name.startswith(f"macie-guard-{version}-"):
            with open(os.path.join(out, name), "rb") as f:
                sha = hashlib.sha256(f.read()).hexdigest()
            components.append({"type": "file", "bom-ref": f"file:{name}", "name": name,
                               "version": version, "hashes": [{"alg": "SHA-256", "content": sha}]})
    dependencies = [
        {
            "ref": ref(packages[pid]),
            "dependsOn": sorted(
                ref(packages[d["pkg"]])
                for d in nodes[pid]["deps"]
                if d["pkg"] in seen and any(k["kind"] is None for k in d["dep_kinds"])
            ),
        }
        for pid in sorted(seen, key=lambda i: (packages[i]["name"], packages[i]["version"]))
    ]
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "timestamp": datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "component": {"type": "application", "bom-ref": f"pkg:cargo/macie-guard@{version}",
                          "name": "macie-guard", "version": version,
                          "purl": f"pkg:cargo/macie-guard@{version}",
                          "licenses": [{"expression": packages[root].get("license") or "Apache-2.0"}]},
        },
        "components": components,
        "dependencies": dependencies,
    }
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    doc["serialNumber"] = f"urn:uuid:{uuid.UUID(hex=digest[:32], version=5)}"
    return doc


def main() -> None:
    version, out = sys.argv[1], sys.argv[2]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    zips = {function: zip_function(binary, function, version, out) for binary, function in FUNCTIONS}
    with open(os.path.join(out, f"macie-guard-{version}.yaml"), "w", encoding="utf-8") as f:
        f.write(packaged_template(version, zips))
    with open(os.path.join(out, f"sbom-{version}.cdx.json"), "w", encoding="utf-8") as f:
        json.dump(sbom(version, epoch, out), f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
