"""docs/benchmarks.md shows the fixed charges scripts/cost.py computes from the templates now:
a template that gains a key, an alarm or a dashboard changes the table, and the docs with it."""

import json
import os
import subprocess
import sys
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cost  # noqa: E402


class CostTable(unittest.TestCase):
    def test_the_docs_show_what_the_templates_cost(self):
        table = subprocess.check_output(
            [sys.executable, os.path.join(ROOT, "scripts", "cost.py"), "--markdown"], text=True
        ).rstrip()
        with open(os.path.join(ROOT, "docs", "benchmarks.md"), encoding="utf-8") as f:
            doc = f.read()
        shown = doc.split("<!-- cost.py: begin -->\n", 1)[1].split("\n<!-- cost.py: end -->", 1)[0]
        self.assertEqual(shown, table, "run scripts/cost.py --markdown and paste its table")

    def test_a_member_costs_nothing_and_the_hub_stays_under_five_dollars(self):
        single, hub, hub_key, member = cost.deployments()
        self.assertEqual(member.list_price(), 0.0)
        # The hub is the stack, with its own alarms on what members forward, who it cannot
        # reach and shares waiting, and no dashboard unless asked.
        self.assertEqual(hub.keys, single.keys)
        self.assertEqual((single.dashboards, hub.dashboards), (1, 0))
        self.assertEqual(hub.alarm_metrics, single.alarm_metrics + 6)
        self.assertLess(hub.list_price(), 5.0)
        self.assertEqual(hub_key.keys, 0)
        self.assertAlmostEqual(hub.list_price() - hub_key.list_price(), 3.0)
        # Asked for, the dashboard is there at the hub too.
        asked = cost.fixed_of("template.yaml", {**cost.defaults("template.yaml"), **cost.HUB, "CreateDashboard": "true"})
        self.assertEqual(asked.dashboards, 1)

    def test_an_alarm_counts_each_metric_it_reads(self):
        single, _, _, _ = cost.deployments()
        # Three single-metric alarms (the dead-letter queue, two overdue runs) and the
        # delivery alarm over three rules' lost dead letters.
        self.assertEqual(single.alarm_metrics, 6)
        # Only the gauges an alarm reads as overdue when missing are always published.
        self.assertEqual(single.custom_metrics, 2)

    def test_an_existing_key_leaves_no_key_and_no_reference_to_one(self):
        template = cost.load("template.yaml")
        params = {**cost.defaults("template.yaml"), **cost.HUB, **cost.EXISTING_KEY}
        created = {
            name: r
            for name, r in template["Resources"].items()
            if cost.condition_holds(template, r.get("Condition"), params)
        }
        self.assertNotIn("GuardKey", created)
        uses = 0
        for name, r in created.items():
            for found in _refs_to_key(r):
                uses += 1
                self.assertEqual(found, "ExistingKeyArn", name)
        # The topic, four queues, the table, two log groups, and the roles that use the key.
        self.assertGreaterEqual(uses, 10)

    def test_the_docs_give_the_statements_an_existing_key_needs(self):
        template = cost.load("template.yaml")
        statements = template["Resources"]["GuardKey"]["Properties"]["KeyPolicy"]["Statement"]
        services = [s for s in statements if "Service" in s["Principal"]]
        self.assertEqual(len(services), len(statements) - 1)  # all but the account's own
        with open(os.path.join(ROOT, "docs", "organization.md"), encoding="utf-8") as f:
            doc = f.read()
        section = doc.split("### What the hub costs, and a key you already have", 1)[1]
        block = section.split("```json\n", 1)[1].split("\n```", 1)[0]
        self.assertEqual(json.loads(block), _plain(services), "docs/organization.md's key statements")


def _refs_to_key(v):
    """Where a resource names a key: the branch of its If on CreateKey that holds."""
    if isinstance(v, dict):
        if "Fn::If" in v and v["Fn::If"][0] == "CreateKey":
            yield v["Fn::If"][2].get("Ref")
            return
        if v.get("Ref") == "GuardKey" or v.get("Fn::GetAtt", [None])[0] == "GuardKey":
            yield "GuardKey"
            return
        for x in v.values():
            yield from _refs_to_key(x)
    elif isinstance(v, list):
        for x in v:
            yield from _refs_to_key(x)


def _plain(v):
    """A statement as the docs print it: ACCOUNT, REGION and aws for the stack's own."""
    if isinstance(v, dict):
        if v.get("Ref") == "AWS::AccountId":
            return "ACCOUNT"
        if "Fn::Sub" in v:
            return (
                v["Fn::Sub"]
                .replace("${AWS::AccountId}", "ACCOUNT")
                .replace("${AWS::Region}", "REGION")
                .replace("${AWS::Partition}", "aws")
            )
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


if __name__ == "__main__":
    unittest.main()
