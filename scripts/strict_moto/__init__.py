"""AWS's documented rules in front of moto, for the calls macie-guard makes.

moto accepts much that AWS refuses. A test that passes against a lenient stand-in proves
nothing about AWS, so each rule below makes moto refuse (or answer) as AWS does, with its
source next to it. A package, like the local Macie: a module per AWS service with its rules and their
sources, and `layer` for the WSGI app in front of moto (`Strict`), the test controls
(`/_strict/...`) and faults. `install()` applies every rule before moto serves its first
request. `test_rules.py` beside them tests each rule on its own; docs/aws-behaviour.md lists
the same rules.
"""

from __future__ import annotations

from .cloudformation import (  # noqa: F401
    STACKSETS_PRINCIPAL,
    TEMPLATE_BODY_MAX_BYTES,
    event_bus_refs_as_aws_gives,
    stack_resources_by_physical_id,
    stack_sets_as_aws_does,
    template_sizes_as_aws_does,
)
from .dynamodb import atomic_dynamodb_writes
from .events import PUT_EVENTS_MAX_BYTES, bus_targets_as_aws_does, entry_size, put_events_as_aws_does  # noqa: F401
from .layer import Strict, service_error  # noqa: F401
from .organizations import organizations_as_aws_does
from .securityhub import matches, security_hub_as_a_provider_sees_it, validate_finding  # noqa: F401
from .sns import SNS_MAX_BYTES, publish_as_aws_does  # noqa: F401
from .sqs import sqs_standard_queues_as_aws_does
from .sts import assume_role_as_aws_does


def install() -> None:
    """Every rule above."""
    stack_resources_by_physical_id()
    event_bus_refs_as_aws_gives()
    atomic_dynamodb_writes()
    assume_role_as_aws_does()
    organizations_as_aws_does()
    stack_sets_as_aws_does()
    template_sizes_as_aws_does()
    put_events_as_aws_does()
    bus_targets_as_aws_does()
    sqs_standard_queues_as_aws_does()
    publish_as_aws_does()
    security_hub_as_a_provider_sees_it()
