# The StackSets steps deploy-org.sh and deploy-members.sh share; sourced by them, not run.
# Each function fails through the caller's `fail`.

# Who is calling: the management account calls as SELF, a delegated administrator as
# DELEGATED_ADMIN (CloudFormation refuses the other way round). Said before anything is made.
# Sets `caller` and `management`.
stacksets_check_caller() {
  local call_as=$1
  caller=$(aws sts get-caller-identity --query Account --output text)
  management=$(aws organizations describe-organization --query Organization.MasterAccountId --output text) \
    || fail "cannot read the organization (organizations:DescribeOrganization) as account $caller"
  if [ "$call_as" = SELF ] && [ "$caller" != "$management" ]; then
    fail "account $caller is not the management account ($management): from a delegated administrator for StackSets, run with --call-as DELEGATED_ADMIN"
  fi
  if [ "$call_as" = DELEGATED_ADMIN ] && [ "$caller" = "$management" ]; then
    fail "account $caller is the management account: run with --call-as SELF (the default)"
  fi
}

# The service-managed stack set NAME (created, or updated when it exists) from the template
# given as TEMPLATE_OPTION TEMPLATE (--template-url URL or --template-body file://PATH), then
# its instances in every account of OUS in REGIONS; the parameters follow.
#   stacksets_deploy NAME CALL_AS FIRST_REGION "OUS" "REGIONS" TEMPLATE_OPTION TEMPLATE PARAM...
stacksets_deploy() {
  local name=$1 call_as=$2 first=$3 ous=$4 regions=$5 template_option=$6 template=$7
  shift 7
  if aws cloudformation describe-stack-set --region "$first" --call-as "$call_as" \
       --stack-set-name "$name" >/dev/null 2>&1; then
    echo "==> stack set $name: update"
    aws cloudformation update-stack-set --region "$first" --call-as "$call_as" \
      --stack-set-name "$name" "$template_option" "$template" \
      --capabilities CAPABILITY_NAMED_IAM --parameters "$@" \
      --operation-preferences MaxConcurrentPercentage=25,FailureTolerancePercentage=10
  else
    echo "==> stack set $name: create ($call_as)"
    aws cloudformation create-stack-set --region "$first" --call-as "$call_as" \
      --stack-set-name "$name" "$template_option" "$template" \
      --permission-model SERVICE_MANAGED \
      --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \
      --capabilities CAPABILITY_NAMED_IAM --parameters "$@"
  fi
  # shellcheck disable=SC2086 # one argument per Region and per OU
  aws cloudformation create-stack-instances --region "$first" --call-as "$call_as" \
    --stack-set-name "$name" --deployment-targets OrganizationalUnitIds=$(echo $ous | tr ' ' ',') \
    --regions $regions \
    --operation-preferences MaxConcurrentPercentage=25,FailureTolerancePercentage=10
}
