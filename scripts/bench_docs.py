"""docs/benchmarks.md's figures, written from scripts/bench.sh's own output.

`bench-results/bench.json` (the single account: cold starts, a Health event, the sweep, the
export check, the organization view, artifact sizes, the targets) and `bench-results/hub.json`
(the hub over an organization, one entry per function, size and added latency) are what the
benchmark wrote; `bench-results/profile-variants.json` is what scripts/profile-variants.sh
measured of each release-profile setting, shown in docs/design.md. This script renders them as the tables between the `<!-- bench.json: ... -->`
and `<!-- hub.json: ... -->` markers of docs/benchmarks.md: `--write` puts them there (bench.sh
does, after a run), `--check` fails when the page shows anything else (the test command does,
through scripts/test_bench_docs.py). No figure of the page is typed by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PAGE = os.path.join(ROOT, "docs", "benchmarks.md")
DESIGN = os.path.join(ROOT, "docs", "design.md")


def ms(v: float) -> str:
    if v >= 10_000:
        return f"{v / 1000:.1f} s"
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    if v >= 10:
        return f"{v:.1f} ms"
    return f"{v:.2f} ms"


def mib(v: float) -> str:
    return f"{v:.1f} MiB"


def count(v) -> str:
    n = float(v)
    if n == int(n):
        return f"{int(n):,}"
    return f"{n:.3g}"


def calls(*maps) -> str:
    parts = []
    for m in maps:
        for k, v in (m or {}).items():
            parts.append(f"{k} {count(v)}")
    return ", ".join(parts)


def measured(d: dict) -> str:
    run = f"`scripts/bench.sh --runs {d.get('runs', '?')}`, one run, each figure the median of its repetitions"
    if "when" not in d:
        return f"Measured by {run} (the run recorded no date or machine)."
    return f"Measured {d['when']} on {d['machine']}, release {d['version']}: {run}."


def single(d: dict) -> str:
    cold = d["cold_start"]
    hello = cold["hello-lambda"]["median_ms"]
    rows = [("cold start (process start to first Runtime API request), bare `lambda_runtime` hello world", ms(hello))]
    for f in ("expiry-guard", "export-guard"):
        m = cold[f]["median_ms"]
        rows.append((f"cold start, `{f}`", f"{ms(m)} ({m / hello:.2f}x)"))
    h = d["health_event"]
    rows.append((
        "one Health event, job in the action window",
        f"{ms(h['median_ms'])}; {calls(h['macie_calls'], {'SNS Publish': h['sns_publish']})}",
    ))
    rows.append(("the same, from process start to its answer", ms(h["start_to_answer_median_ms"])))
    for key, what in (("sweep", "in-process journal (the guard's own work)"), ("sweep_with_journal_table", "journal table in moto")):
        s = d[key]
        rows.append((
            f"sweep of {s['jobs']:,} paused jobs, {s['in_window']:,} in the action window, concurrency {s['concurrency']}, {what}",
            f"{ms(s['median_ms'])}; peak RSS {mib(s['peak_rss_mib'])}; {calls(s['macie_calls'], {'SNS Publish': s['sns_publish']})}",
        ))
    for key, what in (("export_check_healthy", "export check, healthy"), ("export_check_broken", "export check, broken (key disabled)")):
        e = d[key]
        rows.append((
            what,
            f"{ms(e['median_ms'])}; {e['findings']} finding(s); {calls(e['macie_calls'], e['s3_kms_calls'], {'SNS Publish': e['sns_publish']})}",
        ))
    for f, a in (d.get("artifacts") or {}).items():
        rows.append((f"artifact, `{f}`", f"{a['zip_bytes']:,} B zipped, bootstrap {a['bootstrap_bytes']:,} B"))
    out = [measured(d), "", "| measure | median |", "|---|---|"]
    out += [f"| {a} | {b} |" for a, b in rows]
    out += ["", "Targets, as the benchmark judged them in that run:", ""]
    for t in d["targets"]:
        out.append(f"- {'met' if t['met'] else '**not met**'}: {t['target']} ({t['detail'].replace('{', '').replace('}', '').replace(chr(34), '')})")
    return "\n".join(out)


def org_view(d: dict) -> str:
    org = d["org_view"]
    any_view = next(iter(org.values()))
    out = [
        f"| view, {any_view['accounts']} accounts x {any_view['regions']} Regions ({any_view['rows']} rows), concurrency {any_view['concurrency']} | wall | peak RSS | calls per account-Region |",
        "|---|---|---|---|",
    ]
    for name, v in org.items():
        out.append(f"| `org {name}` | {ms(v['median_ms'])} | {mib(v['peak_rss_mib'])} | {calls(v['calls_per_account_region'])} |")
    return "\n".join(out)


def hub_key(e: dict) -> tuple:
    f = e["figures"]
    return (f.get("latency_ms", 0), f["account_regions"], e["function"])


def hub(entries: list) -> str:
    out = [
        "| run | accounts × Regions | added latency | wall | per account-Region | peak RSS | deferred | measured |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in sorted(entries, key=hub_key):
        f = e["figures"]
        run = "sweep" if e["function"] == "expiry-guard" else "export check"
        lat = f"{f['latency_ms']} ms" if f.get("latency_ms") else "none"
        out.append(
            f"| {run} | {f['accounts']:,} × {f['regions']} | {lat} | {ms(f['wall_ms'])} | {ms(f['ms_per_account_region'])} "
            f"| {mib(f['peak_rss_mib'])} | {f['deferred']:,} | {e.get('when', 'date not recorded')} |"
        )
    return "\n".join(out)


def variants() -> str:
    path = os.path.join(ROOT, "bench-results", "profile-variants.json")
    if not os.path.exists(path):
        return "Not measured for this release: `scripts/profile-variants.sh` measures it and writes this table."
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    rows = d["variants"]
    chosen = rows[0]
    out = [
        f"Measured {d['when']} on {d['machine']}: expiry-guard built for that machine, one setting changed at a time; "
        "cold start is the median of 21 rounds in which every variant starts once, in a rotating order.",
        "",
        "| variant | binary | zipped | cold start |",
        "|---|---|---|---|",
    ]
    for r in rows:
        def rel(key):
            if r is chosen:
                return f"{r[key]:,} B"
            return f"{r[key]:,} B ({(r[key] / chosen[key] - 1) * 100:+.0f}%)"
        name = "chosen: `opt-level=\"s\"`, fat LTO, 1 codegen unit, `panic=\"abort\"`, stripped" if r is chosen else f"`{r['variant']}`"
        out.append(f"| {name} | {rel('bytes')} | {rel('zipped')} | {r['cold_ms']:.2f} ms ({r['cold_ms'] / chosen['cold_ms']:.2f}x) |")
    return "\n".join(out)


def load(name: str):
    with open(os.path.join(ROOT, "bench-results", name), encoding="utf-8") as f:
        return json.load(f)


def rendered() -> dict:
    bench = load("bench.json")
    return {"bench.json": single(bench), "org-view": org_view(bench), "hub.json": hub(load("hub.json"))}


def pages() -> dict:
    """Each page with its generated blocks."""
    return {PAGE: rendered(), DESIGN: {"profile-variants.json": variants()}}


def splice(page: str, blocks: dict) -> str:
    for name, body in blocks.items():
        begin, end = f"<!-- {name}: begin -->\n", f"<!-- {name}: end -->"
        if begin not in page or end not in page.split(begin, 1)[-1]:
            raise SystemExit(f"no {begin.strip()} ... {end} markers in the page")
        head, rest = page.split(begin, 1)
        _, tail = rest.split(end, 1)
        page = head + begin + body + "\n" + end + tail
    return page


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", action="store_true", help="write the tables into docs/benchmarks.md")
    g.add_argument("--check", action="store_true", help="fail when docs/benchmarks.md shows other figures")
    a = ap.parse_args()
    stale = []
    for path, blocks in pages().items():
        with open(path, encoding="utf-8") as f:
            page = f.read()
        new = splice(page, blocks)
        if new == page:
            continue
        if a.write:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
        else:
            stale.append(path)
    for path in stale:
        print(f"{path} shows figures that are not bench-results/'s: run scripts/bench_docs.py --write", file=sys.stderr)
    if a.write:
        print("docs/benchmarks.md and docs/design.md: figures from bench-results/")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
