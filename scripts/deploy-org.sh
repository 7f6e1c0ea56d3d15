#!/usr/bin/env bash
# Deploys macie-guard to an AWS Organization with CloudFormation StackSets (service-managed
# permissions), from the management account or from a delegated administrator for StackSets,
# with the package scripts/package.sh made (or a release's).
#
#   scripts/deploy-org.sh --prefix PREFIX --org o-xxxx --ou ou-xxxx-xxxxxxxx[,ou-...] \
#       --regions "us-east-1 eu-west-1" [--call-as SELF|DELEGATED_ADMIN] [--dist dist] \
#       [--name macie-guard] [--key-prefix macie-guard/] [--param Key=Value]...
#
# In each Region: the artifact bucket <PREFIX>-<Region> (dist/artifact-bucket.yaml) and the
# zips in it; then the stack set (created, or updated when it exists) and its stack instances
# in the OUs' accounts. --call-as is SELF from the management account, DELEGATED_ADMIN from a
# delegated administrator (every stack-set call takes it). StackSets never deploy to the
# management account: the script ends by printing the plain stack to deploy there if Macie
# runs jobs in it. Needs the AWS CLI; AWS_ENDPOINT_URL and the other standard variables apply.
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

dist=dist name=macie-guard call_as=SELF key_prefix=macie-guard/ prefix= org= ous= regions=
params=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --org) org=$2; shift 2 ;;
    --ou) ous="${ous:+$ous,}$2"; shift 2 ;;
    --regions) regions=$2; shift 2 ;;
    --call-as) call_as=$2; shift 2 ;;
    --dist) dist=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --key-prefix) key_prefix=$2; shift 2 ;;
    --param) params+=("$2"); shift 2 ;;
    -h|--help) usage ;;
    *) echo "deploy-org.sh: unknown argument $1" >&2; usage ;;
  esac
done
fail() { echo "deploy-org.sh: $*" >&2; exit 2; }
# shellcheck source=scripts/stacksets.sh
. "$(dirname "$0")/stacksets.sh"
[ -n "$prefix" ] || fail "--prefix is required: the artifact buckets are <prefix>-<Region>"
[[ "$org" =~ ^o-[a-z0-9]{10,32}$ ]] || fail "--org must be the organization's id (o-...), not '$org'"
[ -n "$ous" ] || fail "--ou is required: the organizational units to deploy to (ou-... or the root r-...)"
[ -n "$regions" ] || fail "--regions is required, such as \"us-east-1 eu-west-1\""
case "$call_as" in SELF|DELEGATED_ADMIN) ;; *) fail "--call-as is SELF (the management account) or DELEGATED_ADMIN (a delegated administrator), not '$call_as'" ;; esac
[[ "$key_prefix" =~ ^([A-Za-z0-9._-]+/)*$ ]] || fail "--key-prefix is a folder ending in /, not '$key_prefix'"
for f in macie-guard.template.json artifact-bucket.yaml artifacts/macie-guard/expiry-guard.zip artifacts/macie-guard/export-guard.zip; do
  [ -f "$dist/$f" ] || fail "$dist/$f is missing: run scripts/package.sh $dist (or unpack a release there)"
done
command -v aws >/dev/null || fail "the AWS CLI (aws) is not on PATH"
regions=${regions//,/ }
ous=${ous//,/ }

stacksets_check_caller "$call_as"

parameters=(ParameterKey=ArtifactBucketPrefix,ParameterValue="$prefix" ParameterKey=ArtifactKeyPrefix,ParameterValue="$key_prefix")
for p in "${params[@]+"${params[@]}"}"; do
  [[ "$p" == *=* ]] || fail "--param takes Key=Value, not '$p'"
  parameters+=(ParameterKey="${p%%=*}",ParameterValue="${p#*=}")
done

for r in $regions; do
  echo "==> $r: artifact bucket $prefix-$r"
  aws cloudformation deploy --region "$r" --stack-name "$name-artifacts" \
    --template-file "$dist/artifact-bucket.yaml" --no-fail-on-empty-changeset \
    --parameter-overrides ArtifactBucketPrefix="$prefix" OrganizationId="$org"
  aws s3 cp --region "$r" --recursive "$dist/artifacts/macie-guard/" "s3://$prefix-$r/$key_prefix"
done

first=${regions%% *}
# The template is larger than CloudFormation takes inline (TemplateBody: 51,200 bytes at most):
# it goes by TemplateURL, from the first Region's artifact bucket (a stack set's template: at
# most 460,800 bytes; checked here, before any call that would refuse it).
template_bytes=$(wc -c < "$dist/macie-guard.template.json")
[ "$template_bytes" -le 460800 ] || fail "$dist/macie-guard.template.json is $template_bytes bytes: a stack set's template is at most 460,800 bytes"
template_key="${key_prefix}macie-guard.template.json"
aws s3 cp --region "$first" "$dist/macie-guard.template.json" "s3://$prefix-$first/$template_key"
template_url="https://$prefix-$first.s3.$first.amazonaws.com/$template_key"
stacksets_deploy "$name" "$call_as" "$first" "$ous" "$regions" --template-url "$template_url" "${parameters[@]}"

cat <<EOF
==> done: $name in the accounts of $ous, Regions $regions.
StackSets never deploy to the organization's management account. If Macie runs jobs there,
deploy the same template there as a plain stack, from the management account, in each Region
(the template goes through an S3 bucket of that account and Region: it is larger than
CloudFormation takes inline; the artifact bucket <prefix>-<Region> is one):
  aws cloudformation deploy --region <Region> --stack-name $name \\
    --template-file $dist/macie-guard.template.json --capabilities CAPABILITY_NAMED_IAM \\
    --s3-bucket $prefix-<Region> --s3-prefix ${key_prefix%/} \\
    --parameter-overrides ArtifactBucketPrefix=$prefix ArtifactKeyPrefix=$key_prefix ...
(macie-guard org shows the management account as "not read" until it has a stack.)
EOF
