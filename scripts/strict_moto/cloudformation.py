"""CloudFormation: service-managed stack sets (CallAs, trusted access, never the
management account), template sizes, and DescribeStackResources by physical id."""

from __future__ import annotations

import threading

from .layer import service_error



# ---------------------------------------------------------------------------------------
# CloudFormation StackSets, service-managed
# ---------------------------------------------------------------------------------------

STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
# The stack-set operations that take CallAs (API Reference, each operation's CallAs).
_CALL_AS_OPERATIONS = (
    "create_stack_set",
    "update_stack_set",
    "delete_stack_set",
    "describe_stack_set",
    "create_stack_instances",
    "update_stack_instances",
    "delete_stack_instances",
    "describe_stack_instance",
    "list_stack_instances",
    "describe_stack_set_operation",
    "list_stack_set_operations",
    "list_stack_set_operation_results",
)


def _organization_of(account: str):
    """(the management account's Organizations backend, or None; whether `account` is a
    delegated administrator for StackSets)."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[account]["aws"]
    if backend.org:
        return backend, False
    entry = organizations_backends.master_accounts.get(account)
    if entry is None:
        return None, False
    mgmt = organizations_backends[entry[0]][entry[1]]
    delegated = any(
        a.account.id == account and STACKSETS_PRINCIPAL in a.services for a in mgmt.admins
    )
    return mgmt, delegated


def stack_sets_as_aws_does() -> None:
    """Service-managed stack sets (CloudFormation API Reference, CallAs; User Guide, "Activate
    trusted access for stack sets with AWS Organizations", "Register a delegated
    administrator", "Stack set targets"): CallAs SELF (the default) is for the management
    account, DELEGATED_ADMIN for an account registered as StackSets' delegated administrator,
    and anything else is refused; service-managed stack sets need trusted access (the
    StackSets service principal enabled in Organizations); a delegated administrator's stack
    sets answer only to DELEGATED_ADMIN, the management account's only to SELF; stack instances
    are never deployed to the management account, even in a targeted OU. moto ignores CallAs
    and trusted access and deploys to every account of the OU. The stand-in records stack
    instances and their parameters and creates none of their resources (the template's
    resources are tested against the template)."""
    from moto.cloudformation import models
    from moto.cloudformation.responses import CloudFormationResponse

    def refuse(message: str):
        from moto.cloudformation.exceptions import ValidationError

        return ValidationError(message=message)

    def checked(name: str):
        original = getattr(CloudFormationResponse, name)

        def call(self):
            account = self.current_account
            call_as = self._get_param("CallAs") or "SELF"
            if call_as not in ("SELF", "DELEGATED_ADMIN"):
                raise refuse(f"CallAs {call_as!r} is not SELF or DELEGATED_ADMIN")
            mgmt, delegated = _organization_of(account)
            if call_as == "DELEGATED_ADMIN" and not delegated:
                raise refuse(
                    f"Account {account} is not registered as a delegated administrator for {STACKSETS_PRINCIPAL}"
                )
            stack_set_name = self._get_param("StackSetName")
            if name == "create_stack_set":
                service_managed = self._get_param("PermissionModel") == "SERVICE_MANAGED"
            else:
                try:
                    existing = self.cloudformation_backend.describe_stack_set(stack_set_name)
                except Exception:
                    existing = None
                service_managed = existing is not None and existing.permission_model == "SERVICE_MANAGED"
                if existing is not None and getattr(existing, "_strict_call_as", "SELF") != call_as:
                    raise service_error(
                        "cloudformation", "StackSetNotFoundException", f"StackSet {stack_set_name} not found"
                    )
            if service_managed:
                if call_as == "SELF" and (mgmt is None or mgmt.account_id != account):
                    raise refuse(
                        f"Account {account} is not the organization's management account: a delegated administrator calls with CallAs DELEGATED_ADMIN (--call-as DELEGATED_ADMIN)"
                    )
                if mgmt is None or not any(
                    svc["ServicePrincipal"] == STACKSETS_PRINCIPAL for svc in mgmt.services
                ):
                    raise refuse(
                        "You must enable organizations access to operate a service managed stack set"
                    )
            out = original(self)
            if name == "create_stack_set":
                self.cloudformation_backend.describe_stack_set(stack_set_name)._strict_call_as = call_as
            return out

        setattr(CloudFormationResponse, name, call)

    for name in _CALL_AS_OPERATIONS:
        if hasattr(CloudFormationResponse, name):
            checked(name)

    original_create = models.StackInstances.create_instances
    # Whether this request thread is creating a stack set's instances, whose stacks get no
    # resources. Per thread: replacing Stack.create_resources on the class for the duration
    # left every stack another request created meanwhile CREATE_PENDING for good.
    instances = threading.local()
    original_resources = models.Stack.create_resources

    def create_resources(stack) -> None:
        if getattr(instances, "creating", False):
            return
        original_resources(stack)

    models.Stack.create_resources = create_resources

    # A delegated administrator's stack set deploys to the organization's OUs: read them from
    # the management account (moto reads the caller's own, empty, Organizations backend).
    def org_backend(self):
        mgmt, _ = _organization_of(self.account_id)
        from moto.organizations.models import organizations_backends

        return mgmt if mgmt is not None else organizations_backends[self.account_id][self.partition]

    models.StackInstances.org_backend = property(org_backend)

    def create_instances(self, accounts, regions, parameters, deployment_targets, permission_model):
        instances.creating = True
        try:
            created = original_create(
                self, accounts, regions, parameters, deployment_targets, permission_model
            )
        finally:
            instances.creating = False
        if permission_model != "SERVICE_MANAGED":
            return created
        mgmt = self.org_backend.account_id
        self.stack_instances = [i for i in self.stack_instances if i.account_id != mgmt]
        return [i for i in created if i["Account"] != mgmt]

    models.StackInstances.create_instances = create_instances

    # A change set with no changes is created, FAILED, with the reason "The submitted
    # information didn't contain changes" (CloudFormation User Guide, "Update stacks using
    # change sets"; the AWS CLI's `deploy --no-fail-on-empty-changeset` reads it); moto's
    # CreateChangeSet answers an error instead (its own model marks it FAILED, as AWS does).
    original_change_set = CloudFormationResponse.create_change_set

    def create_change_set(self):
        self._validate_different_update = lambda *args: None
        return original_change_set(self)

    CloudFormationResponse.create_change_set = create_change_set


# "TemplateBody: ... a minimum length of 1 byte and a maximum length of 51,200 bytes" (API
# Reference: CreateStack, UpdateStack, CreateStackSet, UpdateStackSet, CreateChangeSet,
# ValidateTemplate, GetTemplateSummary). "TemplateURL: ... The URL must point to a template
# (maximum size: 460,800 bytes)" (CreateStackSet, UpdateStackSet), "(max size: 1 MB)"
# (CreateStack, UpdateStack, CreateChangeSet, ValidateTemplate, GetTemplateSummary).
TEMPLATE_BODY_MAX_BYTES = 51_200
TEMPLATE_URL_MAX_BYTES = {"CreateStackSet": 460_800, "UpdateStackSet": 460_800}
TEMPLATE_URL_DEFAULT_MAX_BYTES = 1_048_576
_TEMPLATE_OPERATIONS = (
    "create_stack",
    "update_stack",
    "create_stack_set",
    "update_stack_set",
    "create_change_set",
    "validate_template",
    "get_template_summary",
)


def template_sizes_as_aws_does() -> None:
    """A template passed inline is at most 51,200 bytes; one passed by TemplateURL at most
    460,800 bytes for a stack set and 1 MB for a stack or change set. moto takes any size, and
    so would a test of a script that passes a 68 KB template inline, which AWS refuses."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.responses import CloudFormationResponse

    def checked(name: str):
        original = getattr(CloudFormationResponse, name)

        def call(self):
            body = self._get_param("TemplateBody")
            if body is not None and len(body.encode("utf-8")) > TEMPLATE_BODY_MAX_BYTES:
                raise ValidationError(
                    message=f"1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to {TEMPLATE_BODY_MAX_BYTES}"
                )
            return original(self)

        setattr(CloudFormationResponse, name, call)

    for name in _TEMPLATE_OPERATIONS:
        if hasattr(CloudFormationResponse, name):
            checked(name)

    original_url = CloudFormationResponse._get_stack_from_s3_url

    def from_url(self, template_url: str) -> str:
        # The AWS CLI makes a path-style URL on its S3 endpoint (`deploy --s3-bucket`:
        # https://s3.REGION.amazonaws.com/BUCKET/KEY on AWS, the stand-in's loopback address
        # here), which moto reads as a virtual-hosted one unless its host says localhost.
        from urllib.parse import urlparse

        parts = urlparse(template_url)
        if parts.hostname and parts.hostname.startswith("127."):
            template_url = parts._replace(netloc=f"localhost:{parts.port or 80}").geturl()
        text = original_url(self, template_url)
        action = self._get_action() or ""
        limit = TEMPLATE_URL_MAX_BYTES.get(action, TEMPLATE_URL_DEFAULT_MAX_BYTES)
        size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
        if size > limit:
            raise ValidationError(message=f"Template may not exceed {limit} bytes in size.")
        return text

    CloudFormationResponse._get_stack_from_s3_url = from_url


# ---------------------------------------------------------------------------------------
# CloudFormation: DescribeStackResources by a resource's physical id.
# ---------------------------------------------------------------------------------------


def stack_resources_by_physical_id() -> None:
    """DescribeStackResources (CloudFormation API Reference): StackName or PhysicalResourceId,
    not both, one of them required; with PhysicalResourceId, the resources of the stack that
    holds that resource; a physical id no stack holds is a ValidationError. moto reads only
    StackName."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.responses import CloudFormationResponse

    original = CloudFormationResponse.describe_stack_resources

    def describe_stack_resources(self):
        name = self._get_param("StackName")
        physical = self._get_param("PhysicalResourceId")
        if name and physical:
            raise ValidationError(message="Specify either StackName or PhysicalResourceId, not both")
        if not name and not physical:
            raise ValidationError(message="Either StackName or PhysicalResourceId must be specified")
        if physical:
            holder = next(
                (
                    stack
                    for stack in self.cloudformation_backend.stacks.values()
                    if any(
                        getattr(r, "physical_resource_id", None) == physical
                        for r in stack.stack_resources
                    )
                ),
                None,
            )
            if holder is None:
                raise ValidationError(message=f"Stack for {physical} does not exist")
            from moto.cloudformation.responses import ActionResult, StackResourceDTO

            stack, resources = self.cloudformation_backend.describe_stack_resources(
                holder.stack_id, self._get_param("LogicalResourceId")
            )
            return ActionResult({"StackResources": [StackResourceDTO(stack, r) for r in resources]})
        return original(self)

    CloudFormationResponse.describe_stack_resources = describe_stack_resources


def event_bus_refs_as_aws_gives() -> None:
    """`Ref` of an AWS::Events::EventBus is the bus's name (CloudFormation User Guide,
    AWS::Events::EventBus, Return values: "When you pass the logical ID of this resource to
    the intrinsic Ref function, Ref returns the name of the event bus"). moto hands the bus
    object itself to whatever refers to it, and a rule on that bus (EventBusName: !Ref the
    bus) then fails the whole stack with a server error."""
    from moto.events.models import EventBus

    EventBus.physical_resource_id = property(lambda self: self.name)
