"""docs/benchmarks.md shows what scripts/bench.sh measured (bench-results/), and nothing typed
by hand: a figure changed in the page, or a result the page does not show, fails the test."""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_docs  # noqa: E402


def page() -> str:
    with open(bench_docs.PAGE, encoding="utf-8") as f:
        return f.read()


class BenchDocs(unittest.TestCase):
    def test_the_pages_show_the_benchmarks_own_figures(self):
        for path, blocks in bench_docs.pages().items():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            self.assertEqual(
                bench_docs.splice(text, blocks),
                text,
                f"{path}: run scripts/bench_docs.py --write (scripts/bench.sh does after a run)",
            )

    def test_a_figure_typed_into_the_page_is_caught(self):
        text = page()
        block = text.split("<!-- bench.json: begin -->\n", 1)[1].split("<!-- bench.json: end -->", 1)[0]
        first = re.search(r"\d+\.\d+ ms", block).group(0)
        typed = text.replace(first, "0.01 ms", 1)
        self.assertNotEqual(bench_docs.splice(typed, bench_docs.rendered()), typed)

    def test_every_measured_figure_is_on_the_page(self):
        text = page()
        bench = bench_docs.load("bench.json")
        for f in ("hello-lambda", "expiry-guard", "export-guard"):
            self.assertIn(bench_docs.ms(bench["cold_start"][f]["median_ms"]), text, f)
        for key in ("sweep", "sweep_with_journal_table", "export_check_healthy", "export_check_broken"):
            self.assertIn(bench_docs.ms(bench[key]["median_ms"]), text, key)
        for t in bench["targets"]:
            self.assertIn(t["target"], text)
        for e in bench_docs.load("hub.json"):
            self.assertIn(bench_docs.ms(e["figures"]["wall_ms"]), text, json.dumps(e)[:200])

    def test_a_target_not_met_is_said_so(self):
        bench = bench_docs.load("bench.json")
        bench["targets"][0]["met"] = False
        self.assertIn("**not met**", bench_docs.single(bench))


if __name__ == "__main__":
    unittest.main()
