"""Prints template.yaml as JSON, for the tests that read the template.

  template_json.py [TEMPLATE]           the template as written (intrinsic tags as
                                         {"Ref": ...} / {"Fn::...": ...})
  template_json.py --expand [TEMPLATE]  the template as CloudFormation sees it after the SAM
                                         transform (AWS::Serverless::* expanded by the SAM
                                         translator, offline)

Runs in .venv-sam (samtranslator and cfn-lint's YAML loader).
"""

import json
import sys

from cfnlint.decode import decode_str


def load(path):
    with open(path, encoding="utf-8") as f:
        template, errors = decode_str(f.read())
    if errors:
        raise SystemExit(f"{path}: {errors}")
    return json.loads(json.dumps(template))


def expand(template):
    import os

    # Pseudo parameters stay intrinsic; the translator only needs a Region to start.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    # Local code locations become S3 locations, as `sam package` makes them.
    code = "s3://artifacts/code.zip"
    template.get("Globals", {}).get("Function", {})["CodeUri"] = code
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = code
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # No managed policies are used; the empty map keeps the translator offline.
    return Translator(managed_policy_map={}, sam_parser=Parser()).translate(
        sam_template=template, parameter_values={}
    )


def main():
    args = sys.argv[1:]
    expanded = "--expand" in args
    args = [a for a in args if a != "--expand"]
    path = args[0] if args else "template.yaml"
    template = load(path)
    if expanded:
        template = expand(template)
    json.dump(template, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
