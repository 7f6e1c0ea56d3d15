"""STS: AssumeRole only into a role that trusts the caller."""

from __future__ import annotations

import json
from typing import Any



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
