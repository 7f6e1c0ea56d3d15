"""Security Hub (CSPM), as a finding provider sees it."""

from __future__ import annotations

import base64
import copy
import json
import threading
from datetime import datetime, timezone
from typing import Any

from .layer import service_error



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
