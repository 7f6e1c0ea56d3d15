"""STS: AssumeRole only into a role that trusts the caller."""

from __future__ import annotations

import contextvars
import json
from typing import Any

# The principal calling AssumeRole (its role's ARN for an assumed-role session, else its user's),
# set by the request handler for the backend's check: moto's backend does not see the caller.
_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("caller", default=None)



# ---------------------------------------------------------------------------------------
# STS
# ---------------------------------------------------------------------------------------


def _org_of(account: str) -> str | None:
    """The id of the organization `account` belongs to, as moto's Organizations knows it."""
    from moto.organizations.models import organizations_backends

    for by_partition in organizations_backends.values():
        for backend in by_partition.values():
            org = getattr(backend, "org", None)
            if org is None:
                continue
            if backend.account_id == account or any(a.id == account for a in backend.accounts):
                return org.id
    return None


def _role_of(principal: str | None) -> str | None:
    """The role ARN of an assumed-role session's ARN (arn:P:sts::A:assumed-role/NAME/SESSION)."""
    if principal is None or ":assumed-role/" not in principal:
        return principal
    head, rest = principal.split(":assumed-role/", 1)
    partition_account = head.replace(":sts:", ":iam:")
    return f"{partition_account}:role/{rest.split('/')[0]}"


def _trusts(policy: Any, caller: str, partition: str, principal: str | None = None) -> bool:
    """Whether a role's trust policy lets the caller assume it: an Allow of sts:AssumeRole to
    the account's root, the account id, "*", or the caller's own role or user ARN (a trust that
    names a role admits that role's sessions only: IAM User Guide, "AWS JSON policy elements:
    Principal", role principals), whose conditions on aws:PrincipalOrgID hold (the caller's
    account in that organization: IAM User Guide, global condition keys)."""
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
        given = st.get("Principal", {})
        aws = given.get("AWS", []) if isinstance(given, dict) else given
        aws = [aws] if isinstance(aws, str) else aws
        names = {f"arn:{partition}:iam::{caller}:root", caller, "*"}
        role = _role_of(principal)
        if role is not None:
            names.add(role)
        if not any(p in names for p in aws):
            continue
        org_ids = st.get("Condition", {}).get("StringEquals", {}).get("aws:PrincipalOrgID")
        if org_ids is not None:
            org_ids = [org_ids] if isinstance(org_ids, str) else org_ids
            if _org_of(caller) not in org_ids:
                continue
        if st.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def assume_role_as_aws_does() -> None:
    """AWS refuses AssumeRole unless the role exists in its account and its trust policy lets
    the caller assume it: AccessDenied, "User: ... is not authorized to perform:
    sts:AssumeRole on resource: ..." (IAM User Guide, "Troubleshooting IAM roles"; STS API
    Reference, AssumeRole errors). moto issues credentials for any ARN. For the roles
    macie-guard's stacks create (names starting `macie-guard-`), refuse as AWS does: a trust
    naming a role admits that role's sessions alone, and one conditioned on aws:PrincipalOrgID
    admits callers of that organization alone."""
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend
    from moto.sts.responses import TokenResponse

    original = STSBackend.assume_role
    original_response = TokenResponse.assume_role

    def assume_role_response(self):
        try:
            _, arn, _ = self.backend.get_caller_identity(self.get_access_key(), self.region)
        except Exception:  # noqa: BLE001 - an unknown caller is its account's root
            arn = None
        token = _CALLER.set(arn)
        try:
            return original_response(self)
        finally:
            _CALLER.reset(token)

    TokenResponse.assume_role = assume_role_response

    def assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs):
        parts = role_arn.split(":")
        if len(parts) == 6 and parts[5].startswith("role/macie-guard-"):
            account, name = parts[4], parts[5].split("/")[-1]
            partition = parts[1]
            roles = [r for r in iam_backends[account][partition].roles.values() if r.name == name]
            caller = self.account_id
            who = _CALLER.get() or f"arn:{partition}:iam::{caller}:root"
            denied = STSClientError(
                "AccessDenied",
                f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            )
            if not roles:
                raise denied
            if not _trusts(roles[0].assume_role_policy_document, caller, partition, _CALLER.get()):
                raise denied
        return original(self, region_name, role_session_name, role_arn, *args, **kwargs)

    STSBackend.assume_role = assume_role
