"""AWS's documented rules in front of moto, for the calls macie-guard makes.

moto accepts much that AWS refuses. A test that passes against a lenient stand-in proves
nothing about AWS, so each rule below makes moto refuse (or answer) as AWS does, with its
source next to it. `install()` applies them all; `Strict` is the WSGI layer in front of moto
that also serves the test controls (`/_strict/...`). `scripts/test_strict_moto.py` tests each
rule on its own. docs/aws-behaviour.md lists the same rules.

Why one file this long: `install()` must apply every rule before moto serves its first
request, and the rules of one service often guard each other's state; each service's rules
are one block, in the order of `install()`.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import threading
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote_plus

# ---------------------------------------------------------------------------------------
# Faults: a test asks for an error (or a stall) on the next N calls of an operation.
# ---------------------------------------------------------------------------------------

_FAULTS: list[dict[str, Any]] = []
_FAULTS_LOCK = threading.Lock()
# Calls seen by the layer, per "service:Action" (read by tests through /_strict/calls).
_CALLS: dict[str, int] = {}

# Protocols, for writing an error as the service writes it.
_QUERY = {"sts", "sns", "iam", "cloudformation"}
_JSON = {"dynamodb", "organizations", "events", "sqs", "kms"}
_REST_JSON = {"securityhub"}

# Security Hub's REST operations the project uses, by method and path.
_SECURITYHUB_ACTIONS = {
    ("POST", "/findings"): "GetFindings",
    ("POST", "/findings/import"): "BatchImportFindings",
    ("PATCH", "/findings/batchupdate"): "BatchUpdateFindings",
    ("POST", "/accounts"): "EnableSecurityHub",
    ("DELETE", "/accounts"): "DisableSecurityHub",
    ("GET", "/accounts"): "DescribeHub",
}


def _credential(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(access key, Region, service) from the request's SigV4 Authorization header."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request", auth)
    return (m.group(1), m.group(2), m.group(3)) if m else ("", "", "")


def _action(service: str, environ: dict[str, Any], body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    if service in _REST_JSON:
        key = (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        return _SECURITYHUB_ACTIONS.get(key, f"{key[0]} {key[1]}")
    params = parse_qs(body.decode("utf-8", "replace"))
    params.update(parse_qs(environ.get("QUERY_STRING", "")))
    return params.get("Action", [""])[0]


def _account_of(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


def _error(service: str, code: str, status: int, message: str) -> tuple[int, list, bytes]:
    """An error as the service's protocol writes it."""
    if service in _QUERY:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>strict-moto</RequestId></ErrorResponse>"
        ).encode()
        return status, [("Content-Type", "text/xml")], body
    if service in _REST_JSON:
        body = json.dumps({"Code": code, "Message": message}).encode()
        return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], body
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body


def _fault_for(service: str, action: str, account: str, region: str, body: bytes) -> dict | None:
    with _FAULTS_LOCK:
        for f in _FAULTS:
            if f.get("service") != service or f.get("action") != action:
                continue
            if f.get("account") not in (None, account):
                continue
            if f.get("region") not in (None, region):
                continue
            if f.get("match") and f["match"] not in unquote_plus(body.decode("utf-8", "replace")):
                # The body as sent, its form encoding undone (query protocols).
                continue
            if f.get("times", -1) == 0:
                continue
            if f.get("times", -1) > 0:
                f["times"] -= 1
            f["seen"] = f.get("seen", 0) + 1
            return dict(f)
    return None


class Strict:
    """The WSGI layer in front of moto's app: the test controls and the faults.

    - `POST /_strict/faults` with `{"service", "action", "code", "status", "message"` and
      optionally `"account"` (the caller's), `"region"`, `"match"` (a substring of the
      request body, form encoding undone), `"times"` (default: every call), `"stall"` (seconds to wait before
      answering, with no error unless `code` is given), `"answer"` (a JSON body to answer
      with, status 200 unless `status` says otherwise: a partial failure, say)}: the matching
      calls fail so.
    - `DELETE /_strict/faults`: no more faults. `GET /_strict/calls`: calls per operation.
    - `GET /_strict/sns-published?topic=ARN`: the messages SNS accepted for that topic
      (message, subject, attributes), read from that topic alone: moto's own dump of every
      backend (`/moto-api/data.json`) fails once some DynamoDB state will not serialize.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if path.startswith("/_strict/"):
            return self._control(environ, path, body, start_response)
        access_key, region, service = _credential(environ)
        action = _action(service, environ, body)
        with _FAULTS_LOCK:
            key = f"{service}:{action}"
            _CALLS[key] = _CALLS.get(key, 0) + 1
        fault = _fault_for(service, action, _account_of(access_key) if access_key else "", region, body)
        if fault:
            if fault.get("stall"):
                time.sleep(float(fault["stall"]))
            if fault.get("code"):
                status, headers, out = _error(
                    service, fault["code"], int(fault.get("status", 400)), fault.get("message", "")
                )
                start_response(f"{status} Error", headers + [("Content-Length", str(len(out)))])
                return [out]
            if "answer" in fault:
                # A success the service could give, as JSON (a partial failure, say).
                out = json.dumps(fault["answer"]).encode()
                kind = "application/x-amz-json-1.1" if service in _JSON else "application/json"
                start_response(f"{int(fault.get('status', 200))} OK", [("Content-Type", kind), ("Content-Length", str(len(out)))])
                return [out]
        return self.app(environ, start_response)

    def _control(self, environ: dict[str, Any], path: str, body: bytes, start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD")
        answer: Any = {}
        with _FAULTS_LOCK:
            if path == "/_strict/faults" and method == "POST":
                _FAULTS.append(json.loads(body))
            elif path == "/_strict/faults" and method == "DELETE":
                _FAULTS.clear()
            elif path == "/_strict/faults" and method == "GET":
                answer = {"faults": _FAULTS}
            elif path == "/_strict/calls" and method == "GET":
                answer = {"calls": dict(_CALLS)}
            elif path == "/_strict/calls" and method == "DELETE":
                _CALLS.clear()
            elif path == "/_strict/sns-published" and method == "GET":
                answer = {"published": _published(environ.get("QUERY_STRING", ""))}
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"no such control"]
        out = json.dumps(answer).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]


def _published(query: str) -> list[dict[str, Any]]:
    from urllib.parse import parse_qs

    from moto.sns import sns_backends

    arn = (parse_qs(query).get("topic") or [""])[0]
    for _account, regions in sns_backends.items():
        for _region, backend in regions.items():
            topic = backend.topics.get(arn)
            if topic is not None:
                return [
                    {"message": n[1], "subject": n[2], "attributes": n[3] or {}}
                    for n in topic.sent_notifications
                ]
    return []


def service_error(service: str, code: str, message: str) -> Exception:
    """An error moto serializes as `service` answers (status and shape from the service's
    model): moto finds the service by the exception's module."""
    from moto.core.exceptions import ServiceException

    cls = type(code, (ServiceException,), {"__module__": f"moto.{service}.exceptions"})
    return cls(code, message)


# ---------------------------------------------------------------------------------------
# DynamoDB
# ---------------------------------------------------------------------------------------


def atomic_dynamodb_writes() -> None:
    """DynamoDB evaluates a write's condition and applies it atomically (DynamoDB Developer
    Guide, "Condition expressions"). moto's threaded server does not: two conditional writes to
    one item can both pass. One lock around moto's item writes restores the guarantee."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()

    def locked(method):
        def wrapper(*args, **kwargs):
            with lock:
                return method(*args, **kwargs)

        return wrapper

    for name in ("put_item", "update_item", "delete_item", "get_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))


# ---------------------------------------------------------------------------------------
# STS
# ---------------------------------------------------------------------------------------


def _trusts(policy: Any, caller: str, partition: str) -> bool:
    """Whether a role's trust policy lets account `caller` assume it (an Allow of
    sts:AssumeRole to the account's root, the account id, or "*")."""
    doc = json.loads(policy) if isinstance(policy, str) else policy
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for st in statements:
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal", {})
        aws = principal.get("AWS", []) if isinstance(principal, dict) else principal
        aws = [aws] if isinstance(aws, str) else aws
        names = {f"arn:{partition}:iam::{caller}:root", caller, "*"}
        if any(p in names for p in aws):
            if st.get("Effect") == "Deny":
                return False
            allowed = True
    return allowed


def assume_role_as_aws_does() -> None:
    """AWS refuses AssumeRole unless the role exists in its account and its trust policy lets
    the caller assume it: AccessDenied, "User: ... is not authorized to perform:
    sts:AssumeRole on resource: ..." (IAM User Guide, "Troubleshooting IAM roles"; STS API
    Reference, AssumeRole errors). moto issues credentials for any ARN. For the roles
    macie-guard's stack creates (names starting `macie-guard-`), refuse as AWS does."""
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    original = STSBackend.assume_role

    def assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs):
        parts = role_arn.split(":")
        if len(parts) == 6 and parts[5].startswith("role/macie-guard-"):
            account, name = parts[4], parts[5].split("/")[-1]
            partition = parts[1]
            roles = [r for r in iam_backends[account][partition].roles.values() if r.name == name]
            caller = self.account_id
            denied = STSClientError(
                "AccessDenied",
                f"User: arn:{partition}:sts::{caller}:assumed-role/caller is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            )
            if not roles:
                raise denied
            if not _trusts(roles[0].assume_role_policy_document, caller, partition):
                raise denied
        return original(self, region_name, role_session_name, role_arn, *args, **kwargs)

    STSBackend.assume_role = assume_role


# ---------------------------------------------------------------------------------------
# Organizations
# ---------------------------------------------------------------------------------------


def organizations_as_aws_does() -> None:
    """ListAccounts "can be called only from the organization's management account or by a
    member account that is a delegated administrator" (Organizations API Reference,
    ListAccounts); any other member gets AccessDeniedException, an account outside an
    organization AWSOrganizationsNotInUseException; MaxResults is 1-20. moto answers a member
    with an empty list. A delegated administrator reads the management account's list."""
    from moto.organizations.exceptions import AWSOrganizationsNotInUseException
    from moto.organizations.models import OrganizationsBackend, organizations_backends
    from moto.organizations.responses import OrganizationsResponse

    # AWS takes StackSets' and Security Hub's delegated administrators (CloudFormation User
    # Guide, "Register a delegated administrator"; Security Hub User Guide); moto knows fewer.
    from moto.organizations.models import FakeDelegatedAdministrator

    for principal in ("member.org.stacksets.cloudformation.amazonaws.com", "securityhub.amazonaws.com"):
        if principal not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
            FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(principal)

    original = OrganizationsBackend.list_accounts

    def management_of(backend: OrganizationsBackend) -> OrganizationsBackend | None:
        if backend.org:
            return backend
        entry = organizations_backends.master_accounts.get(backend.account_id)
        if entry is None:
            return None
        master, partition = entry
        return organizations_backends[master][partition]

    def list_accounts(self, *args, **kwargs):
        mgmt = management_of(self)
        if mgmt is None:
            raise AWSOrganizationsNotInUseException
        if mgmt is not self and not any(a.account.id == self.account_id for a in mgmt.admins):
            raise service_error(
                "organizations",
                "AccessDeniedException", "You don't have permissions to access this resource."
            )
        return original(mgmt, *args, **kwargs)

    OrganizationsBackend.list_accounts = list_accounts

    original_response = OrganizationsResponse.list_accounts

    def list_accounts_response(self):
        max_results = self._get_param("MaxResults")
        if max_results is not None and not 1 <= int(max_results) <= 20:
            raise service_error(
                "organizations",
                "InvalidInputException",
                "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 20",
            )
        return original_response(self)

    OrganizationsResponse.list_accounts = list_accounts_response


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
    creating = threading.Lock()

    # A delegated administrator's stack set deploys to the organization's OUs: read them from
    # the management account (moto reads the caller's own, empty, Organizations backend).
    def org_backend(self):
        mgmt, _ = _organization_of(self.account_id)
        from moto.organizations.models import organizations_backends

        return mgmt if mgmt is not None else organizations_backends[self.account_id][self.partition]

    models.StackInstances.org_backend = property(org_backend)

    def create_instances(self, accounts, regions, parameters, deployment_targets, permission_model):
        with creating:
            saved = models.Stack.create_resources
            models.Stack.create_resources = lambda stack: None
            try:
                created = original_create(
                    self, accounts, regions, parameters, deployment_targets, permission_model
                )
            finally:
                models.Stack.create_resources = saved
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
# EventBridge
# ---------------------------------------------------------------------------------------

# "The total entry size must be less than 256KB" (EventBridge User Guide, "Calculating
# PutEvents event entry size").
PUT_EVENTS_MAX_BYTES = 256 * 1024


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size as EventBridge counts it: Time 14 bytes, Source, DetailType, Detail and
    each of Resources by their UTF-8 bytes (EventBridge User Guide, "Calculating PutEvents
    event entry size")."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len((entry.get(key) or "").encode("utf-8"))
    for r in entry.get("Resources") or []:
        size += len(r.encode("utf-8"))
    return size


def put_events_as_aws_does() -> None:
    """PutEvents: 1 to 10 entries (API Reference, PutEvents, Entries: "Minimum number of 1
    item. Maximum number of 10 items"); the entries of a request less than 256 KB in all
    (ValidationException); Detail "a valid JSON object" (an array or a string is refused as
    MalformedDetail, where moto only warns); a Source starting with `aws.` is AWS's own
    (NotAuthorizedForSourceException)."""
    from moto.events.models import EventsBackend

    original = EventsBackend.put_events

    def put_events(self, events):
        if not events:
            raise service_error(
                "events",
                "ValidationException",
                "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
            )
        total = sum(entry_size(e) for e in events)
        if total >= PUT_EVENTS_MAX_BYTES:
            raise service_error(
                "events",
                "ValidationException",
                f"Total size of the entries in the request is over the limit ({total} bytes; the limit is 256 KB).",
            )
        refused: dict[int, dict[str, str]] = {}
        for i, e in enumerate(events):
            if (e.get("Source") or "").startswith("aws."):
                refused[i] = {
                    "ErrorCode": "NotAuthorizedForSourceException",
                    "ErrorMessage": "Not authorized for the source.",
                }
                continue
            try:
                detail = json.loads(e.get("Detail") or "null")
            except ValueError:
                detail = None
            if e.get("Detail") and not isinstance(detail, dict):
                refused[i] = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
        accepted = [e for i, e in enumerate(events) if i not in refused]
        results = iter(original(self, accepted) if accepted else [])
        return [refused[i] if i in refused else next(results) for i in range(len(events))]

    EventsBackend.put_events = put_events


# ---------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------


def sqs_standard_queues_as_aws_does() -> None:
    """ReceiveMessage on a standard queue promises no order and no complete page: "standard
    queues provide best-effort ordering ... messages might be delivered in an order different
    from which they were sent", and a receive "samples a subset of servers" (SQS Developer
    Guide, "Amazon SQS standard queues" and "Amazon SQS short and long polling"). moto always
    answers the oldest visible messages first, so a reader that leaves messages visible
    (VisibilityTimeout=0, API Reference ReceiveMessage) would see the same ten forever there
    and nowhere else; here each receive of a standard queue meets its visible messages in a
    new order. FIFO queues keep theirs."""
    import random

    from moto.sqs.models import SQSBackend

    original = SQSBackend.receive_message

    def receive_message(self, queue_name, *args, **kwargs):
        queue = self.get_queue(queue_name)
        if not queue.fifo_queue:
            with queue._messages_lock:
                random.shuffle(queue._messages)
        return original(self, queue_name, *args, **kwargs)

    SQSBackend.receive_message = receive_message


# ---------------------------------------------------------------------------------------
# SNS
# ---------------------------------------------------------------------------------------

# "By default, a message can be at most 256 KiB in size (262,144 bytes, not 262,144
# characters) ... Amazon SNS validates the combined size of the message body and message
# attributes" (SNS API Reference, Publish, Message).
SNS_MAX_BYTES = 262_144
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def publish_as_aws_does() -> None:
    """Publish: the message body and its attributes at most 262,144 bytes together (UTF-8);
    Subject "UTF-8 text with no line breaks or control characters, and less than 100
    characters long"; with MessageStructure=json, Message "a syntactically valid JSON object"
    with "at least a top-level JSON key of "default" with a value that is a string", and every
    key's value a string (SNS API Reference, Publish). moto counts characters, not bytes,
    ignores attributes, accepts any subject under 101 characters and checks the JSON only when
    it delivers."""
    from moto.sns.exceptions import InvalidParameterValue
    from moto.sns.models import SNSBackend

    original = SNSBackend.publish

    def attributes_size(attrs: dict[str, Any] | None) -> int:
        size = 0
        for name, a in (attrs or {}).items():
            size += len(name.encode()) + len(str(a.get("Type", a.get("DataType", ""))).encode())
            size += len(str(a.get("Value", a.get("StringValue", ""))).encode())
        return size

    def publish(self, message, arn, phone_number=None, subject=None, message_attributes=None, *args, **kwargs):
        structure = kwargs.get("message_structure")
        if subject is not None:
            if subject == "" or len(subject) >= 100 or _CONTROL.search(subject):
                raise InvalidParameterValue("Invalid parameter: Subject")
        if phone_number is None:
            size = len((message or "").encode("utf-8")) + attributes_size(message_attributes)
            if size > SNS_MAX_BYTES:
                raise InvalidParameterValue("Invalid parameter: Message too long")
        if structure == "json":
            try:
                doc = json.loads(message)
            except ValueError:
                raise InvalidParameterValue(
                    "Invalid parameter: Message Structure - JSON message body failed to parse"
                )
            if not isinstance(doc, dict) or not isinstance(doc.get("default"), str):
                raise InvalidParameterValue(
                    "Invalid parameter: Message Structure - No default entry in JSON message body"
                )
            if any(not isinstance(v, str) for v in doc.values()):
                raise InvalidParameterValue(
                    "Invalid parameter: Message Structure - JSON values must be strings"
                )
        return original(self, message, arn, phone_number, subject, message_attributes, *args, **kwargs)

    SNSBackend.publish = publish


# ---------------------------------------------------------------------------------------
# Security Hub, as a finding provider sees it
# ---------------------------------------------------------------------------------------

SCHEMA_VERSION = "2018-10-08"
# "Security Hub accepts up to 100 findings per batch, up to 240 KB per finding, and up to 6 MB
# per batch" (Security Hub User Guide, "BatchImportFindings for finding providers").
IMPORT_MAX_FINDINGS = 100
FINDING_MAX_BYTES = 240 * 1024
IMPORT_MAX_BYTES = 6 * 1024 * 1024
# Fields a provider cannot update on an existing finding: "Any content in those fields and
# objects is ignored" (ibid., "Restricted fields"), and Region, which "you cannot update using
# BatchImportFindings or BatchUpdateFindings" (API Reference, AwsSecurityFinding).
CUSTOMER_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
# Fields providers set through FindingProviderFields; "Security Hub updates the top-level
# value only where a customer has not changed it with BatchUpdateFindings" (ibid., "Using
# FindingProviderFields"). Strictly: on an update, a top-level value sent is ignored.
PROVIDER_FIELDS = ("Confidence", "Criticality", "RelatedFindings", "Severity", "Types")
SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
WORKFLOW = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
TYPE_NAMESPACES = (
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
)


class HubError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _time(v: Any) -> datetime | None:
    """A Security Hub timestamp (ISO 8601 with a zone, as in "Timestamps" of the ASFF)."""
    if not isinstance(v, str):
        return None
    try:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else None


def _text(f: dict, key: str, maximum: int, required: bool) -> None:
    v = f.get(key)
    if v is None:
        if required:
            raise HubError("InvalidInput", f"{key} is required")
        return
    if not isinstance(v, str) or not v.strip() or len(v) > maximum:
        raise HubError("InvalidInput", f"{key} must be 1 to {maximum} characters, not blank")


def _field_map(m: Any, name: str, value_max: int) -> None:
    """ProductFields and UserDefinedFields: up to 50 pairs, keys up to 128 characters, values
    up to `value_max` (API Reference, AwsSecurityFinding)."""
    if m is None:
        return
    if not isinstance(m, dict) or len(m) > 50:
        raise HubError("InvalidInput", f"{name} holds at most 50 key-value pairs")
    for k, v in m.items():
        if len(k) > 128 or not isinstance(v, str) or len(v) > value_max:
            raise HubError("InvalidInput", f"{name}: a key has at most 128 characters, a value at most {value_max}")


def _types(types: Any, where: str) -> None:
    """Types: at most 50, each `namespace/category/classifier` with a valid namespace (API
    Reference, AwsSecurityFinding, Types)."""
    if types is None:
        return
    if not isinstance(types, list) or len(types) > 50:
        raise HubError("InvalidInput", f"{where} holds at most 50 types")
    for t in types:
        parts = t.split("/") if isinstance(t, str) else []
        if not 1 <= len(parts) <= 3 or parts[0] not in TYPE_NAMESPACES or not all(parts):
            raise HubError("InvalidInput", f"{where}: {t!r} is not namespace/category/classifier")


def _severity(s: Any, where: str) -> None:
    if s is None:
        return
    if not isinstance(s, dict) or (s.get("Label") is None and s.get("Normalized") is None):
        raise HubError("InvalidInput", f"{where} needs Label or Normalized")
    if s.get("Label") is not None and s["Label"] not in SEVERITY_LABELS:
        raise HubError("InvalidInput", f"{where}.Label {s['Label']!r} is not one of {SEVERITY_LABELS}")


def validate_finding(f: Any, account: str, region: str, partition: str) -> None:
    """A finding as BatchImportFindings takes it (API Reference, AwsSecurityFinding; User
    Guide, "Required attributes"). Raises HubError for FailedFindings."""
    if not isinstance(f, dict):
        raise HubError("InvalidInput", "a finding is an object")
    if len(json.dumps(f).encode()) > FINDING_MAX_BYTES:
        raise HubError("InvalidInput", "the finding is larger than 240 KB")
    if f.get("SchemaVersion") != SCHEMA_VERSION:
        raise HubError("InvalidInput", f"SchemaVersion must be {SCHEMA_VERSION}")
    _text(f, "Id", 512, True)
    _text(f, "GeneratorId", 512, True)
    _text(f, "Title", 256, True)
    _text(f, "Description", 1024, True)
    for key in ("CreatedAt", "UpdatedAt"):
        if _time(f.get(key)) is None:
            raise HubError("InvalidInput", f"{key} must be an ISO 8601 timestamp with a zone")
    if f.get("AwsAccountId") != account:
        # The default product: "the identifier of the account that you are calling
        # BatchImportFindings from needs to be the same as the AwsAccountId attribute".
        raise HubError("AccessDeniedException", f"AwsAccountId {f.get('AwsAccountId')!r} is not the caller's account {account}")
    product = f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
    if f.get("ProductArn") != product:
        # Findings are imported into the Region of the request; the product ARN names it.
        raise HubError("InvalidInput", f"ProductArn {f.get('ProductArn')!r} is not this Region's product {product}")
    resources = f.get("Resources")
    if not isinstance(resources, list) or not 1 <= len(resources) <= 32:
        raise HubError("InvalidInput", "Resources holds 1 to 32 resources")
    for r in resources:
        if not isinstance(r, dict) or not r.get("Type") or not r.get("Id"):
            raise HubError("InvalidInput", "each resource needs Type and Id")
        if r.get("Region") is not None and not 1 <= len(r["Region"]) <= 16:
            raise HubError("InvalidInput", "a resource's Region has 1 to 16 characters")
    rec = (f.get("Remediation") or {}).get("Recommendation") or {}
    if rec.get("Text") is not None and not 1 <= len(rec["Text"]) <= 512:
        raise HubError("InvalidInput", "Remediation.Recommendation.Text has 1 to 512 characters")
    _field_map(f.get("ProductFields"), "ProductFields", 2048)
    _field_map(f.get("UserDefinedFields"), "UserDefinedFields", 1024)
    _types(f.get("Types"), "Types")
    fpf = f.get("FindingProviderFields") or {}
    _types(fpf.get("Types"), "FindingProviderFields.Types")
    _severity(f.get("Severity"), "Severity")
    _severity(fpf.get("Severity"), "FindingProviderFields.Severity")
    if f.get("RecordState", "ACTIVE") not in ("ACTIVE", "ARCHIVED"):
        raise HubError("InvalidInput", "RecordState is ACTIVE or ARCHIVED")
    if (f.get("Workflow") or {}).get("Status", "NEW") not in WORKFLOW:
        raise HubError("InvalidInput", f"Workflow.Status is one of {WORKFLOW}")


def _with_normalized(s: dict) -> dict:
    s = dict(s)
    if s.get("Label") and s.get("Normalized") is None:
        s["Normalized"] = NORMALIZED[s["Label"]]
    return s


def _reset_workflow(old: dict, new: dict) -> None:
    """"Security Hub also resets the workflow status from NOTIFIED or RESOLVED to NEW" when
    RecordState changes from ARCHIVED to ACTIVE or Compliance.Status from PASSED to WARNING,
    FAILED or NOT_AVAILABLE; a SUPPRESSED finding keeps its status (API Reference, Workflow)."""
    reopened = old.get("RecordState") == "ARCHIVED" and new.get("RecordState") == "ACTIVE"
    was = (old.get("Compliance") or {}).get("Status")
    now = (new.get("Compliance") or {}).get("Status")
    failed_again = was == "PASSED" and now in ("WARNING", "FAILED", "NOT_AVAILABLE")
    if (reopened or failed_again) and new.get("Workflow", {}).get("Status") in ("NOTIFIED", "RESOLVED"):
        new["Workflow"] = {"Status": "NEW"}


class HubStore:
    """One account's findings in one Region, as Security Hub keeps them."""

    def __init__(self) -> None:
        self.findings: dict[tuple[str, str], dict] = {}
        # Per finding: the top-level fields a customer changed with BatchUpdateFindings.
        self.customer: dict[tuple[str, str], set[str]] = {}
        self.lock = threading.Lock()

    def create(self, f: dict, region: str) -> None:
        f = copy.deepcopy(f)
        f["Region"] = region
        fpf = f.setdefault("FindingProviderFields", {})
        # "When a new finding is sent ... Security Hub populates the FindingProviderFields
        # object automatically, if it is empty, based on the corresponding top-level fields";
        # and the other way round (API Reference, FindingProviderFields; FindingProviderSeverity).
        for k in PROVIDER_FIELDS:
            if k in f and k not in fpf:
                fpf[k] = copy.deepcopy(f[k])
            elif k in fpf and k not in f:
                f[k] = copy.deepcopy(fpf[k])
        if "Severity" not in f:
            raise HubError("InvalidInput", "a new finding needs a Severity (top level or FindingProviderFields)")
        f["Severity"] = _with_normalized(f["Severity"])
        f.setdefault("RecordState", "ACTIVE")
        f.setdefault("Workflow", {"Status": "NEW"})
        f.setdefault("WorkflowState", "NEW")
        self.findings[(f["ProductArn"], f["Id"])] = f

    def update(self, key: tuple[str, str], f: dict) -> bool:
        """A provider's update of an existing finding; False where it is ignored (not later)."""
        old = self.findings[key]
        if _time(f["UpdatedAt"]) <= _time(old["UpdatedAt"]):
            # "If UpdatedAt on the update occurs before UpdatedAt on the existing finding, then
            # the update is ignored" (User Guide, "Determining whether to create or update").
            return False
        new = copy.deepcopy(old)
        for k, v in f.items():
            if k in CUSTOMER_FIELDS or k in PROVIDER_FIELDS or k in ("Region", "FindingProviderFields"):
                continue
            new[k] = copy.deepcopy(v)
        fpf = new.setdefault("FindingProviderFields", {})
        changed_by_customer = self.customer.get(key, set())
        for k, v in (f.get("FindingProviderFields") or {}).items():
            fpf[k] = copy.deepcopy(v)
            if k in PROVIDER_FIELDS and k not in changed_by_customer:
                new[k] = _with_normalized(v) if k == "Severity" else copy.deepcopy(v)
        _reset_workflow(old, new)
        self.findings[key] = new
        return True


def _hub_store(backend: Any) -> HubStore:
    store = getattr(backend, "_strict_store", None)
    if store is None:
        store = HubStore()
        backend._strict_store = store
    return store


def _require_enabled(backend: Any) -> None:
    """Security Hub answers InvalidAccessException (HTTP 401) where it is not enabled (API
    Reference, Common Errors and each operation's errors; User Guide, "BatchImportFindings
    for finding providers": "Security Hub CSPM can only accept finding updates for accounts that
    have Security Hub CSPM enabled")."""

    if not backend.enabled:
        raise service_error(
                "securityhub",
            "InvalidAccessException",
            f"Account {backend.account_id} is not subscribed to AWS Security Hub",
        )


_FILTER_FIELDS = {
    "Id": lambda f: [f.get("Id")],
    "ProductArn": lambda f: [f.get("ProductArn")],
    "GeneratorId": lambda f: [f.get("GeneratorId")],
    "AwsAccountId": lambda f: [f.get("AwsAccountId")],
    "Region": lambda f: [f.get("Region")],
    "RecordState": lambda f: [f.get("RecordState")],
    "WorkflowStatus": lambda f: [(f.get("Workflow") or {}).get("Status")],
    "ComplianceStatus": lambda f: [(f.get("Compliance") or {}).get("Status")],
    "SeverityLabel": lambda f: [(f.get("Severity") or {}).get("Label")],
    "Title": lambda f: [f.get("Title")],
    "Type": lambda f: f.get("Types") or [],
}
_POSITIVE = {"EQUALS", "PREFIX", "CONTAINS", "CONTAINS_WORD"}


def _string_match(comparison: str, value: str, actual: str | None) -> bool:
    if actual is None:
        return False
    if comparison in ("EQUALS", "NOT_EQUALS"):
        return actual == value
    if comparison in ("PREFIX", "PREFIX_NOT_EQUALS"):
        return actual.startswith(value)
    if comparison in ("CONTAINS", "NOT_CONTAINS"):
        return value in actual
    return value in actual.split()


def matches(f: dict, filters: dict) -> bool:
    """AwsSecurityFindingFilters over string fields: for one field, findings matching any
    positive filter (EQUALS, PREFIX, CONTAINS) and none of the negative ones; fields combined
    with AND (API Reference, StringFilter)."""
    for field, conds in filters.items():
        values = _FILTER_FIELDS[field](f)
        pos = [c for c in conds if c.get("Comparison", "EQUALS") in _POSITIVE]
        neg = [c for c in conds if c.get("Comparison", "EQUALS") not in _POSITIVE]
        if pos and not any(_string_match(c["Comparison"], c["Value"], v) for c in pos for v in values):
            return False
        if any(_string_match(c["Comparison"], c["Value"], v) for c in neg for v in values):
            return False
    return True


def security_hub_as_a_provider_sees_it() -> None:
    """BatchImportFindings, GetFindings and BatchUpdateFindings with Security Hub's rules (see
    each rule above); moto's own accept anything, even where Security Hub is not enabled,
    apply no filter, replace a finding's fields wholesale and have no BatchUpdateFindings."""
    from moto.securityhub import urls
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch

    def partition_of(region: str) -> str:
        if region.startswith("cn-"):
            return "aws-cn"
        if region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    def batch_import_findings(self) -> str:
        backend = self.securityhub_backend
        _require_enabled(backend)
        if len(self.body or b"") > IMPORT_MAX_BYTES:
            raise service_error("securityhub", "InvalidInputException", "The request is larger than 6 MB")
        findings = json.loads(self.body or "{}").get("Findings")
        if not isinstance(findings, list) or not 1 <= len(findings) <= IMPORT_MAX_FINDINGS:
            raise service_error(
                "securityhub",
                "InvalidInputException",
                "Findings must hold 1 to 100 findings (BatchImportFindings accepts up to 100 findings per batch)",
            )
        store = _hub_store(backend)
        region, account = self.region, backend.account_id
        failed, ok = [], 0
        with store.lock:
            for f in findings:
                try:
                    validate_finding(f, account, region, partition_of(region))
                    key = (f["ProductArn"], f["Id"])
                    if key in store.findings:
                        store.update(key, f)
                    else:
                        store.create(f, region)
                    ok += 1
                except HubError as e:
                    failed.append({"Id": (f or {}).get("Id", ""), "ErrorCode": e.code, "ErrorMessage": e.message})
        return json.dumps({"FailedCount": len(failed), "SuccessCount": ok, "FailedFindings": failed})

    def get_findings(self) -> str:
        backend = self.securityhub_backend
        _require_enabled(backend)
        params = json.loads(self.body or "{}")
        filters = params.get("Filters") or {}
        if len(filters) > 10:
            raise service_error("securityhub", "InvalidInputException", "You can filter by up to 10 finding attributes")
        for field, conds in filters.items():
            if field not in _FILTER_FIELDS:
                raise service_error("securityhub", "InvalidInputException", f"the stand-in does not filter by {field}")
            if len(conds) > 20:
                raise service_error(
                "securityhub",
                    "InvalidInputException", f"{field}: for each attribute, you can provide up to 20 filter values"
                )
        max_results = int(params.get("MaxResults", 100))
        if not 1 <= max_results <= 100:
            raise service_error("securityhub", "InvalidInputException", "MaxResults must be a number between 1 and 100")
        store = _hub_store(backend)
        with store.lock:
            found = [copy.deepcopy(f) for f in store.findings.values() if matches(f, filters)]
        start = int(base64.b64decode(params["NextToken"]).decode()) if params.get("NextToken") else 0
        page = found[start : start + max_results]
        out: dict[str, Any] = {"Findings": page}
        if start + max_results < len(found):
            out["NextToken"] = base64.b64encode(str(start + max_results).encode()).decode()
        return json.dumps(out)

    def batch_update_findings(self) -> str:
        backend = self.securityhub_backend
        _require_enabled(backend)
        params = json.loads(self.body or "{}")
        ids = params.get("FindingIdentifiers")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise service_error("securityhub", "InvalidInputException", "FindingIdentifiers holds 1 to 100 findings")
        fields = {k: v for k, v in params.items() if k != "FindingIdentifiers"}
        if not fields:
            raise service_error("securityhub", "InvalidInputException", "At least one field to update is required")
        if "Workflow" in fields and fields["Workflow"].get("Status") not in WORKFLOW:
            raise service_error("securityhub", "InvalidInputException", f"Workflow.Status is one of {WORKFLOW}")
        if "Note" in fields and not (fields["Note"].get("Text") and fields["Note"].get("UpdatedBy")):
            raise service_error("securityhub", "InvalidInputException", "Note needs Text and UpdatedBy")
        if "Severity" in fields:
            try:
                _severity(fields["Severity"], "Severity")
            except HubError as e:
                raise service_error("securityhub", "InvalidInputException", e.message)
        store = _hub_store(backend)
        processed, unprocessed = [], []
        with store.lock:
            for ident in ids:
                key = (ident.get("ProductArn"), ident.get("Id"))
                f = store.findings.get(key)
                if f is None or f.get("AwsAccountId") != backend.account_id:
                    # "Member accounts can use BatchUpdateFindings to update findings for their
                    # account only" (User Guide, "BatchUpdateFindings for customers").
                    unprocessed.append(
                        {"FindingIdentifier": ident, "ErrorCode": "FindingNotFound", "ErrorMessage": "Finding not found"}
                    )
                    continue
                for k, v in fields.items():
                    if k == "Severity":
                        f["Severity"] = _with_normalized({**f.get("Severity", {}), **v})
                    elif k == "Note":
                        f["Note"] = {**v, "UpdatedAt": datetime.now(timezone.utc).isoformat()}
                    else:
                        f[k] = copy.deepcopy(v)
                    if k in PROVIDER_FIELDS:
                        store.customer.setdefault(key, set()).add(k)
                # "BatchUpdateFindings doesn't change the UpdatedAt field for the finding."
                processed.append(ident)
        return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})

    SecurityHubResponse.batch_import_findings = batch_import_findings
    SecurityHubResponse.get_findings = get_findings
    SecurityHubResponse.batch_update_findings = batch_update_findings
    # Disabling Security Hub removes the findings, as moto's own store does.
    original_disable = SecurityHubBackend.disable_security_hub

    def disable_security_hub(self):
        out = original_disable(self)
        self._strict_store = HubStore()
        return out

    SecurityHubBackend.disable_security_hub = disable_security_hub


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


def install() -> None:
    """Every rule above."""
    stack_resources_by_physical_id()
    atomic_dynamodb_writes()
    assume_role_as_aws_does()
    organizations_as_aws_does()
    stack_sets_as_aws_does()
    template_sizes_as_aws_does()
    put_events_as_aws_does()
    sqs_standard_queues_as_aws_does()
    publish_as_aws_does()
    security_hub_as_a_provider_sees_it()
