"""The fixed monthly charges of a macie-guard deployment, computed from its templates.

  cost.py [--markdown]     the table for docs/benchmarks.md (plain text without the flag)

What a deployment pays every month whether or not anything happens, at AWS's us-east-1 list
prices (sources below), for the two organization paths:

  per-account   template.yaml (a single-account stack) in every account-Region
  hub           template.yaml once, as the hub (MemberRegions set), and
                stacksets/member.yaml in every account-Region

Counted from the resources each template creates under the parameters of that path:
  - AWS::KMS::Key: $1 a key-month, plus $1 a month for each of its first two automatic
    rotations (rotation is on): $3 once rotated twice (KMS pricing).
  - AWS::CloudWatch::Alarm: $0.10 per alarm metric a month (standard resolution); a
    metric-math alarm counts each metric it reads (CloudWatch pricing). First 10 free per
    account.
  - AWS::CloudWatch::Dashboard: $3 a month; first 3 free per account (CloudWatch pricing).
  - Custom metrics: $0.30 a metric-month, prorated by the hours it is published; first 10
    free per account (CloudWatch pricing). Counted: the custom metrics (namespace not AWS/...)
    that an alarm reads with TreatMissingData breaching, which must therefore be published
    whatever happens (the journal watch's Overdue gauges, every minute). The code publishes
    every other gauge only when it is not zero (tell::metrics::gauge_line) and counts only
    when something happens (a decision, a finding): those cost by the hour they are published
    and are not fixed.
  - IAM roles, EventBridge rules and buses, Lambda functions, DynamoDB on-demand tables, SQS
    queues, SNS topics, log groups, schedules: no charge while idle (their pricing pages:
    requests, storage and delivery only). Events a member forwards to the hub's bus are
    billed as custom events when they happen, not monthly.

The hub is counted with its defaults (its own key, no dashboard: CreateDashboard auto) and
with ExistingKeyArn (a key the account already pays for, such as the one its Macie results
are encrypted with).

Below the table, the idle stack's request charges (not fixed, but paid while nothing
happens): the journal watch runs on JournalWatchSchedule's default, and each run is one Lambda
invocation, one journal Query and its log lines.

Two columns: at list price with no free tier (an account whose free tier is used by other
things), and with the free tier of an account that has nothing else (per account: 10 alarm
metrics, 3 dashboards, 10 custom metrics).

Sources: aws.amazon.com/kms/pricing, aws.amazon.com/cloudwatch/pricing (checked against
../shared/AWS-FACTS.md section 9).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

from cfnlint.decode import decode_str

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

KEY_MONTH = 1.00
KEY_ROTATIONS = 2  # each of the first two rotations adds $1 a month
ALARM_METRIC = 0.10
DASHBOARD = 3.00
CUSTOM_METRIC = 0.30
FREE_ALARM_METRICS = 10
FREE_DASHBOARDS = 3
FREE_CUSTOM_METRICS = 10

SIZES = [(1, 1), (50, 4), (300, 4), (300, 17), (1000, 17)]

# The journal watch's requests while idle (Lambda, DynamoDB and CloudWatch Logs pricing,
# us-east-1, arm64): per invocation $0.20 per million and $0.0000133334 per GB-second (billed
# by the ms; counted at WATCH_MS); one on-demand Query of at most 4 KB, $0.125 per million
# read request units; its log lines (platform START, END and REPORT, the gauges) at about
# WATCH_LOG_BYTES, $0.50 per GB ingested.
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB_SECOND = 0.0000133334
WATCH_MS = 100
WATCH_MEMORY_GB = 128 / 1024
DYNAMODB_READ = 0.125 / 1_000_000
LOGS_GB = 0.50
WATCH_LOG_BYTES = 1_200
MONTH_MINUTES = 30 * 24 * 60


def load(path: str) -> dict:
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        template, errors = decode_str(f.read())
    if errors:
        raise SystemExit(f"{path}: {errors}")
    return json.loads(json.dumps(template))


def condition_holds(template: dict, name: str | None, params: dict) -> bool:
    """Whether a condition holds under `params` (Equals, Not, And, Or, Condition)."""
    if name is None:
        return True
    return evaluate(template["Conditions"][name], template, params)


def value(v, params: dict):
    if isinstance(v, dict) and "Ref" in v:
        return params.get(v["Ref"], "")
    return v


def evaluate(expr, template: dict, params: dict) -> bool:
    (fn, args), = expr.items()
    if fn == "Fn::Equals":
        return str(value(args[0], params)) == str(value(args[1], params))
    if fn == "Fn::Not":
        return not evaluate(args[0], template, params)
    if fn == "Fn::And":
        return all(evaluate(a, template, params) for a in args)
    if fn == "Fn::Or":
        return any(evaluate(a, template, params) for a in args)
    if fn == "Condition":
        return condition_holds(template, args, params)
    raise SystemExit(f"condition function {fn} is not known to cost.py")


@dataclass
class Fixed:
    keys: int = 0
    alarm_metrics: int = 0
    dashboards: int = 0
    custom_metrics: int = 0

    def list_price(self) -> float:
        return (
            self.keys * KEY_MONTH * (1 + KEY_ROTATIONS)
            + self.alarm_metrics * ALARM_METRIC
            + self.dashboards * DASHBOARD
            + self.custom_metrics * CUSTOM_METRIC
        )

    def with_free_tier(self) -> float:
        return (
            self.keys * KEY_MONTH * (1 + KEY_ROTATIONS)
            + max(0, self.alarm_metrics - FREE_ALARM_METRICS) * ALARM_METRIC
            + max(0, self.dashboards - FREE_DASHBOARDS) * DASHBOARD
            + max(0, self.custom_metrics - FREE_CUSTOM_METRICS) * CUSTOM_METRIC
        )


def custom_metrics_read(resource: dict, resources: dict) -> set:
    """The custom metrics an alarm or a dashboard reads: (namespace, name, dimensions)."""
    found = set()
    props = resource.get("Properties", {})
    if resource["Type"] == "AWS::CloudWatch::Alarm":
        stats = [props] if "MetricName" in props else [
            m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m
        ]
        for s in stats:
            ns = s.get("Namespace", "")
            if not str(ns).startswith("AWS/"):
                dims = tuple(sorted((d["Name"], _plain(d["Value"])) for d in s.get("Dimensions", [])))
                found.add((ns, s.get("MetricName"), dims))
    if resource["Type"] == "AWS::CloudWatch::Dashboard":
        body = props.get("DashboardBody", "")
        text = json.dumps(body)
        # Widgets list metrics as ["Namespace", "Name", "Dim", "Value", ...].
        for widget in _dashboard_metrics(text):
            # A list that starts with a resource's name is a Fn::Sub variable, not a metric.
            if widget and not widget[0].startswith("AWS/") and widget[0] not in resources:
                rest = widget[2:]
                dims = tuple(sorted(zip(rest[0::2], rest[1::2])))
                found.add((widget[0], widget[1], dims))
    return found


def _plain(v) -> str:
    """A dimension value: a literal as written, an intrinsic as its JSON."""
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True)


def _dashboard_metrics(text: str) -> list:
    import re

    out = []
    for m in re.finditer(r'\[\s*\\?"([A-Za-z0-9/]+)\\?",\s*\\?"([A-Za-z0-9]+)\\?"((?:,\s*\\?"[^"\\]*\\?")*)', text):
        rest = re.findall(r'\\?"([^"\\]*)\\?"', m.group(3))
        out.append([m.group(1), m.group(2), *rest])
    return out


def fixed_of(path: str, params: dict) -> Fixed:
    template = load(path)
    fixed = Fixed()
    custom = set()
    for resource in template.get("Resources", {}).values():
        if not condition_holds(template, resource.get("Condition"), params):
            continue
        kind = resource["Type"]
        if kind == "AWS::KMS::Key":
            fixed.keys += 1
        elif kind == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            metrics = props.get("Metrics")
            fixed.alarm_metrics += (
                sum(1 for m in metrics if "MetricStat" in m) if metrics else 1
            )
            if props.get("TreatMissingData") == "breaching":
                custom |= custom_metrics_read(resource, template["Resources"])
        elif kind == "AWS::CloudWatch::Dashboard":
            fixed.dashboards += 1
    fixed.custom_metrics = len(custom)
    return fixed


def defaults(path: str) -> dict:
    """The template's parameters at their defaults."""
    template = load(path)
    return {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}


HUB = {"MemberRegions": "us-east-1", "OrganizationId": "o-exampleorg1"}
EXISTING_KEY = {"ExistingKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}


def deployments():
    """The fixed charges of a single-account stack, a hub, a hub with an existing key, and a
    member, each under the template's defaults."""
    stack = defaults("template.yaml")
    single = fixed_of("template.yaml", stack)
    hub = fixed_of("template.yaml", {**stack, **HUB})
    hub_key = fixed_of("template.yaml", {**stack, **HUB, **EXISTING_KEY})
    member = fixed_of(
        "stacksets/member.yaml",
        {**defaults("stacksets/member.yaml"), "AWS::Region": "us-east-1", "HubRegion": "us-east-1"},
    )
    return single, hub, hub_key, member


def watch_per_month(schedule: str) -> tuple[int, float]:
    """The journal watch's invocations a month under `schedule` (rate(N minute[s])) and what
    they cost in requests (Lambda, DynamoDB, CloudWatch Logs) before any free tier."""
    import re

    m = re.fullmatch(r"rate\((\d+) minutes?\)", schedule)
    if not m:
        raise SystemExit(f"JournalWatchSchedule {schedule!r} is not rate(N minutes)")
    runs = MONTH_MINUTES // int(m.group(1))
    per_run = (
        LAMBDA_REQUEST
        + LAMBDA_GB_SECOND * WATCH_MEMORY_GB * WATCH_MS / 1000
        + DYNAMODB_READ
        + LOGS_GB * WATCH_LOG_BYTES / 1024**3
    )
    return runs, runs * per_run


def table(markdown: bool) -> str:
    single, hub, hub_key, member = deployments()
    runs, watch = watch_per_month(defaults("template.yaml")["JournalWatchSchedule"])
    rows = []
    for accounts, regions in SIZES:
        n = accounts * regions
        per_list = single.list_price() * n
        # The free tier is per account: each account's stacks share it.
        per_free = sum(
            fixed_with_free(single, regions) for _ in range(accounts)
        )
        hub_list = hub.list_price() + member.list_price() * n
        hub_free = hub.with_free_tier() + member.with_free_tier() * n
        key_list = hub_key.list_price() + member.list_price() * n
        rows.append((accounts, regions, n, per_list, per_free, hub_list, hub_free, key_list))
    if markdown:
        out = [
            "| accounts × Regions | stacks today (per-account) | per-account, list | per-account, free tier | hub + members, list | hub + members, free tier | hub with ExistingKeyArn, list |",
            "|---|---|---|---|---|---|---|",
        ]
        for a, r, n, pl, pf, hl, hf, kl in rows:
            out.append(f"| {a:,} × {r} | {n:,} | ${pl:,.2f} | ${pf:,.2f} | ${hl:,.2f} | ${hf:,.2f} | ${kl:,.2f} |")
        out.append("")
        out.append(
            f"One stack: {single.keys} key, {single.alarm_metrics} alarm metrics, {single.dashboards} dashboard, "
            f"{single.custom_metrics} always-on custom metrics = ${single.list_price():.2f} a month at list price. "
            f"The hub: {hub.keys} key, {hub.alarm_metrics} alarm metrics, {hub.dashboards} dashboard, "
            f"{hub.custom_metrics} custom metrics = ${hub.list_price():.2f} (${hub.with_free_tier():.2f} with the free tier; "
            f"${hub_key.list_price():.2f} with ExistingKeyArn). "
            f"A member: ${member.list_price():.2f}."
        )
        out.append("")
        out.append(
            f"Beside these, an idle stack (or hub) runs its journal watch {runs:,} times a month "
            f"(JournalWatchSchedule's default). That is about ${watch:.3f} a month in requests, before any free tier. "
            f"Each is Lambda at {WATCH_MS} ms and {int(WATCH_MEMORY_GB * 1024)} MB, a journal Query and "
            f"{WATCH_LOG_BYTES:,} bytes of logs. Per-account stacks pay it in every account-Region "
            f"(${watch * 17000:,.2f} a month at 1,000 × 17), the hub once."
        )
        return "\n".join(out)
    out = [f"{'size':>12} {'stacks':>7} {'per-acct list':>14} {'per-acct free':>14} {'hub list':>10} {'hub free':>10} {'hub key':>10}"]
    for a, r, n, pl, pf, hl, hf, kl in rows:
        out.append(f"{a:>7} x {r:<3} {n:>7} {pl:>14,.2f} {pf:>14,.2f} {hl:>10,.2f} {hf:>10,.2f} {kl:>10,.2f}")
    return "\n".join(out)


def fixed_with_free(stack: Fixed, stacks: int) -> float:
    """One account's charges for `stacks` stacks sharing its free tier."""
    total = Fixed(
        keys=stack.keys * stacks,
        alarm_metrics=stack.alarm_metrics * stacks,
        dashboards=stack.dashboards * stacks,
        custom_metrics=stack.custom_metrics * stacks,
    )
    return total.with_free_tier()


if __name__ == "__main__":
    print(table("--markdown" in sys.argv[1:]))
