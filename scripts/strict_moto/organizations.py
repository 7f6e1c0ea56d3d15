"""Organizations: who may list the accounts, and how many at once."""

from __future__ import annotations


from .layer import service_error



# ---------------------------------------------------------------------------------------
# Organizations
# ---------------------------------------------------------------------------------------


def organizations_as_aws_does() -> None:
    """ListAccounts and DescribeAccount "can be called only from the organization's management account or by a
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

    def answering(self) -> OrganizationsBackend:
        """The management account's backend, when `self` may read the organization (it is the
        management account or a delegated administrator); else AWS's refusal."""
        mgmt = management_of(self)
        if mgmt is None:
            raise AWSOrganizationsNotInUseException
        if mgmt is not self and not any(a.account.id == self.account_id for a in mgmt.admins):
            raise service_error(
                "organizations",
                "AccessDeniedException", "You don't have permissions to access this resource."
            )
        return mgmt

    def list_accounts(self, *args, **kwargs):
        return original(answering(self), *args, **kwargs)

    OrganizationsBackend.list_accounts = list_accounts

    # DescribeAccount "can be called only from the organization's management account or by a
    # member account that is a delegated administrator" (Organizations API Reference,
    # DescribeAccount), as ListAccounts; moto answers any member.
    original_describe = OrganizationsBackend.describe_account

    def describe_account(self, *args, **kwargs):
        return original_describe(answering(self), *args, **kwargs)

    OrganizationsBackend.describe_account = describe_account

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
