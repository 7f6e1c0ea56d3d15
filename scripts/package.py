"""Turns template.yaml into a plain CloudFormation template for StackSets with service-managed
permissions (which reject templates with a Transform): the SAM translator expands it, offline,
and each function takes its code from the artifact bucket of the Region it is deployed in.

  package.py TEMPLATE OUT_TEMPLATE

The packaged template adds two parameters: ArtifactBucketPrefix (the buckets are
<prefix>-<Region>, one per Region, because Lambda reads code only from its own Region) and
ArtifactKeyPrefix (the folder of this version's zips). Runs in .venv-sam.
"""

import json
import os
import sys

from template_json import load

# Which binary each function runs (template.yaml's BuildProperties.Binary).
PARAMETERS = {
    "ArtifactBucketPrefix": {
        "Type": "String",
        "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$",
        "Description": "Artifact buckets are <prefix>-<Region> (scripts/package.sh lays out their content; artifact-bucket.yaml creates them).",
    },
    "ArtifactKeyPrefix": {
        "Type": "String",
        "Default": "macie-guard/",
        "AllowedPattern": "^([A-Za-z0-9._-]+/)*$",
        "Description": "Folder of this version's zips in each artifact bucket, ending in /.",
    },
}


def binaries(template):
    """Function logical id -> the binary it runs."""
    out = {}
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
            if not binary:
                raise SystemExit(f"{name}: no Metadata.BuildProperties.Binary to name its zip")
            out[name] = binary
    return out


def package(template):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for name, spec in PARAMETERS.items():
        if name in template.get("Parameters", {}):
            raise SystemExit(f"template.yaml already has a parameter {name}")
        template.setdefault("Parameters", {})[name] = spec
    template.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    for name, binary in binaries(template).items():
        template["Resources"][name]["Properties"]["CodeUri"] = {
            "Bucket": {"Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"},
            "Key": {"Fn::Sub": "${ArtifactKeyPrefix}" + binary + ".zip"},
        }
        # Build instructions mean nothing once the code is in S3.
        meta = template["Resources"][name].get("Metadata", {})
        meta.pop("BuildMethod", None)
        meta.pop("BuildProperties", None)
    # The Serverless Application Repository's metadata is for a publication there, not for a
    # stack set.
    template.get("Metadata", {}).pop("AWS::ServerlessRepo::Application", None)
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    out = Translator(managed_policy_map={}, sam_parser=Parser()).translate(
        sam_template=template, parameter_values={}
    )
    if "Transform" in out:
        raise SystemExit("the translated template still has a Transform")
    return out


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    packaged = package(load(sys.argv[1]))
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(packaged, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
