"""docs/benchmarks.md shows the fixed charges scripts/cost.py computes from the templates now:
a template that gains a key, an alarm or a dashboard changes the table, and the docs with it."""

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

    def test_a_member_costs_nothing_and_the_hub_does_not_grow(self):
        single, hub, member = cost.deployments()
        self.assertEqual(member.list_price(), 0.0)
        # The hub is the stack, with its own alarms on what members forward and who it
        # cannot reach: a few alarm metrics more, once.
        self.assertEqual(hub.keys, single.keys)
        self.assertEqual(hub.dashboards, single.dashboards)
        self.assertEqual(hub.alarm_metrics, single.alarm_metrics + 9)

    def test_an_alarm_counts_each_metric_it_reads(self):
        single, _, _ = cost.deployments()
        # Five single-metric alarms and the delivery alarm over nine metrics.
        self.assertEqual(single.alarm_metrics, 14)
        self.assertEqual(single.custom_metrics, 3)


if __name__ == "__main__":
    unittest.main()
