"""The documentation check finds what it promises to find (scripts/check_docs.py)."""

from __future__ import annotations

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import check_docs  # noqa: E402

# A CLI that knows `jobs [--json]`, `org jobs [--accounts]` and the global `--region`.
KNOWN = {
    (): "Usage: macie-guard [OPTIONS] <COMMAND>\n  --region <REGION>\n  --json",
    ("jobs",): "Usage: macie-guard jobs [OPTIONS]\n  --json\n  --region <REGION>",
    ("org",): "Usage: macie-guard org <COMMAND>",
    ("org", "jobs"): "Usage: macie-guard org jobs\n  --accounts <ACCOUNTS>\n  --region <REGION>",
}


def fake_cli(args: list[str]) -> tuple[int, str]:
    assert args[-1] == "--help"
    words = args[:-1]
    sub = []
    for w in words:
        if w.startswith("-") or w[:1].isdigit():
            break
        sub.append(w)
    sub = tuple(sub)
    if sub not in KNOWN:
        return 2, f"error: unrecognized subcommand '{words[0] if words else ''}'"
    for w in words:
        if w.startswith("--") and w not in KNOWN[sub]:
            return 2, f"error: unexpected argument '{w}' found"
    return 0, KNOWN[sub]


class DocsCheck(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        os.makedirs(os.path.join(self.root, "docs"))
        os.makedirs(os.path.join(self.root, "events", "sent"))
        open(os.path.join(self.root, "events", "sweep.json"), "w").close()

    def tearDown(self) -> None:
        self.dir.cleanup()

    def write(self, path: str, text: str) -> None:
        with open(os.path.join(self.root, path), "w", encoding="utf-8") as f:
            f.write(text)

    def problems(self, run=None) -> list[str]:
        return [str(p) for p in check_docs.check(self.root, run)]

    def test_links_and_anchors(self) -> None:
        self.write("docs/a.md", "# A\n\n## The CLI: `org` view\n\n## Twice\n\n## Twice\n")
        self.write(
            "README.md",
            "[ok](docs/a.md) [anchor](docs/a.md#the-cli-org-view) [second](docs/a.md#twice-1)\n"
            "[web](https://example.com/x) [self](#top)\n\n# Top\n"
            "[gone](docs/b.md)\n"
            "[no anchor](docs/a.md#the-cli)\n",
        )
        self.assertEqual(
            self.problems(),
            [
                "README.md:5: link to 'docs/b.md': docs/b.md does not exist",
                "README.md:6: link to 'docs/a.md#the-cli': docs/a.md has no heading with the anchor #the-cli",
            ],
        )

    def test_links_inside_code_blocks_are_not_links(self) -> None:
        self.write("README.md", "```\n[x](missing.md)\n```\n")
        self.assertEqual(self.problems(), [])

    def test_paths_named_in_code(self) -> None:
        self.write(
            "docs/ops.md",
            "Samples in `events/sweep.json` and `events/sent/`, all of `events/*.json`.\n"
            "Built into `dist/x.zip` and `target/debug/y` (generated: not checked).\n"
            "A key `bucket/<prefix>*`, a URL path `/_local/jobs`, a module `export::checks`.\n"
            "Gone: `events/renamed.json`, `events/*.yaml`.\n"
            "```sh\ncargo lambda invoke --data-file events/missing.json\n```\n",
        )
        self.assertEqual(
            self.problems(),
            [
                "docs/ops.md:4: events/renamed.json does not exist",
                "docs/ops.md:4: events/*.yaml does not exist",
                "docs/ops.md:6: events/missing.json does not exist",
            ],
        )

    def test_commands_shown_must_parse(self) -> None:
        self.write(
            "README.md",
            "```sh\nmacie-guard jobs --json   # fine\n"
            "macie-guard org jobs \\\n  --accounts 111122223333 --region us-east-1\n"
            "macie-guard jobs --jsn\n"
            "macie-guard recreate\n```\n"
            "Inline: `macie-guard org jobs --acounts 1`, and a name `macie-guard-read-<Region>`.\n",
        )
        self.assertEqual(
            self.problems(fake_cli),
            [
                "README.md:5: `macie-guard jobs --jsn` does not parse: error: unexpected argument '--jsn' found",
                "README.md:6: `macie-guard recreate` does not parse: error: unrecognized subcommand 'recreate'",
                "README.md:8: `macie-guard org jobs --acounts 1` does not parse: error: unexpected argument '--acounts' found",
            ],
        )

    def test_a_synopsis_names_only_commands_and_options_that_exist(self) -> None:
        self.write(
            "docs/cli.md",
            "```\nmacie-guard [--region R]... [--json] [--verbose] <command>\n"
            "  jobs            paused jobs\n"
            "  org jobs        every account\n"
            "                  [--accounts ID,ID...] [--role-name NAME]\n"
            "  sweep           the sweep\n```\n",
        )
        self.assertEqual(
            self.problems(fake_cli),
            [
                "docs/cli.md:2: `macie-guard` has no option --verbose",
                "docs/cli.md:4: `macie-guard org jobs` has no option --role-name",
                "docs/cli.md:6: `macie-guard sweep` is not a command: error: unrecognized subcommand 'sweep'",
            ],
        )


if __name__ == "__main__":
    unittest.main()
