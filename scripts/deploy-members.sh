#!/usr/bin/env bash
# Deploys the macie-guard member stack (stacksets/member.yaml: the role the hub assumes and the
# rules that forward Macie's events to the hub's bus) to an AWS Organization with
# CloudFormation StackSets (service-managed permissions, to accounts that join later too),
# from the management account or from a delegated administrator for StackSets.
#
#   scripts/deploy-members.sh --hub-account 111111111111 --hub-region us-east-1 \
#       --hub-roles arn:aws:iam::111111111111:role/... --hub-read-roles arn:aws:iam::111111111111:role/... \
#       --org o-xxxx --ou ou-xxxx-xxxxxxxx[,ou-...] \
#       --regions "us-east-1 eu-west-1" [--call-as SELF|DELEGATED_ADMIN] [--name macie-guard-member] \
#       [--param Key=Value]... [--management]
#
# The hub's outputs give --hub-roles (HubRoleArns) and --hub-read-roles (HubReadRoleArns);
# --param OperatorPrincipalArn=ARN lets the operator's `org` view read too. --regions are the
# hub's MemberRegions and its own Region. StackSets never deploy to the management account:
# with --management (run from the management account) the script deploys the same template
# there as a plain stack in each Region; without it, it prints the command. Needs the AWS CLI; AWS_ENDPOINT_URL and
# the other standard variables apply.
set -euo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

name=macie-guard-member call_as=SELF hub_account= hub_region= hub_roles= hub_read_roles= org= ous= regions= to_management=
params=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hub-account) hub_account=$2; shift 2 ;;
    --hub-region) hub_region=$2; shift 2 ;;
    --hub-roles) hub_roles=$2; shift 2 ;;
    --hub-read-roles) hub_read_roles=$2; shift 2 ;;
    --org) org=$2; shift 2 ;;
    --ou) ous="${ous:+$ous,}$2"; shift 2 ;;
    --regions) regions=$2; shift 2 ;;
    --call-as) call_as=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --param) params+=("$2"); shift 2 ;;
    --management) to_management=1; shift ;;
    -h|--help) usage ;;
    *) echo "deploy-members.sh: unknown argument $1" >&2; usage ;;
  esac
done
fail() { echo "deploy-members.sh: $*" >&2; exit 2; }
# shellcheck source=scripts/stacksets.sh
. "$(dirname "$0")/stacksets.sh"
[[ "$hub_account" =~ ^[0-9]{12}$ ]] || fail "--hub-account must be the hub's 12-digit account id, not '$hub_account'"
[[ "$hub_region" =~ ^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$ ]] || fail "--hub-region must be the hub's Region, such as us-east-1, not '$hub_region'"
[[ "$hub_roles" =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/ ]] || fail "--hub-roles must be the hub stack's output HubRoleArns (role ARNs, comma-separated), not '$hub_roles'"
[[ "$hub_read_roles" =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/ ]] || fail "--hub-read-roles must be the hub stack's output HubReadRoleArns (role ARNs, comma-separated), not '$hub_read_roles'"
[[ "$org" =~ ^o-[a-z0-9]{10,32}$ ]] || fail "--org must be the organization's id (o-...), not '$org'"
[ -n "$regions" ] || fail "--regions is required: the hub's Region and its MemberRegions, such as \"us-east-1 eu-west-1\""
case "$call_as" in SELF|DELEGATED_ADMIN) ;; *) fail "--call-as is SELF (the management account) or DELEGATED_ADMIN (a delegated administrator), not '$call_as'" ;; esac
command -v aws >/dev/null || fail "the AWS CLI (aws) is not on PATH"
regions=${regions//,/ }
ous=${ous//,/ }
case " $regions " in *" $hub_region "*) ;; *) fail "--regions must include the hub's Region $hub_region: the member role is created there (IAM is global)" ;; esac
[ -n "$ous" ] || [ -n "$to_management" ] || fail "--ou is required: the organizational units to deploy to (ou-... or the root r-...)"

template="$(cd "$(dirname "$0")/.." && pwd)/stacksets/member.yaml"
parameters=(
  "ParameterKey=HubAccountId,ParameterValue=$hub_account"
  "ParameterKey=HubRegion,ParameterValue=$hub_region"
  "ParameterKey=HubRoleArns,ParameterValue=\"$hub_roles\""
  "ParameterKey=HubReadRoleArns,ParameterValue=\"$hub_read_roles\""
  "ParameterKey=OrganizationId,ParameterValue=$org"
)
overrides=("HubAccountId=$hub_account" "HubRegion=$hub_region" "HubRoleArns=$hub_roles" "HubReadRoleArns=$hub_read_roles" "OrganizationId=$org")
for p in "${params[@]}"; do
  [[ "$p" =~ ^[A-Za-z0-9]+=.*$ ]] || fail "--param takes Key=Value, not '$p'"
  parameters+=("ParameterKey=${p%%=*},ParameterValue=${p#*=}")
  overrides+=("$p")
done

stacksets_check_caller "$call_as"
mgmt=$management
if [ -n "$to_management" ] && [ "$caller" != "$mgmt" ]; then
  fail "--management deploys to the management account and runs from it; account $caller is not $mgmt"
fi

if [ -n "$ous" ]; then
  first=${regions%% *}
  # The member template is small: inline (TemplateBody, at most 51,200 bytes).
  stacksets_deploy "$name" "$call_as" "$first" "$ous" "$regions" --template-body "file://$template" "${parameters[@]}"
  echo "==> done: $name in the accounts of $ous, Regions $regions."
fi

if [ -n "$to_management" ]; then
  # The hub's Region first: its instance creates the role the others' rules name.
  for region in $hub_region ${regions//$hub_region/}; do
    echo "==> the management account $mgmt, $region: plain stack $name"
    aws cloudformation deploy --region "$region" --stack-name "$name" \
      --template-file "$template" --capabilities CAPABILITY_NAMED_IAM \
      --parameter-overrides "${overrides[@]}"
  done
else
  cat <<EOF
StackSets never deploy to the organization's management account. If Macie runs jobs there,
run this script again from the management account with --management, or deploy the same
template there as a plain stack in each Region (the hub's Region first):
  aws cloudformation deploy --region <Region> --stack-name $name \\
    --template-file stacksets/member.yaml --capabilities CAPABILITY_NAMED_IAM \\
    --parameter-overrides ${overrides[*]}
EOF
fi
