"""The documentation check: what the docs point at exists, and the commands they show parse.

For every Markdown file of the project (README.md, docs/, the crates' and folders' READMEs):

- each relative link `[text](path#anchor)` names a file or folder that exists, and an anchor
  names a heading of that file (GitHub's anchors: lower case, punctuation dropped, spaces as
  hyphens, `-1`, `-2` for repeats);
- each path named in code (`tests/integration/journal.rs`, `events/sent/`) whose first part
  is an entry of the project's top folder exists (relative to the top, or to the file);
  generated folders (dist/, target/, bench-results/, the virtual environments) are not
  checked;
- each `macie-guard ...` command shown, in a code block or inline, parses: the CLI is run
  with the command's arguments and `--help`, which it answers (exit 0) only when every
  argument before it is one the command accepts;
- the pages an operator reads (README.md and the task pages of docs/, `PLAIN`) are written
  in short sentences: none over `LONGEST` words, and `MEAN` words or fewer on average
  (prose only: code, tables and headings are not counted; a code span counts as one word).

Usage: check_docs.py [--cli target/debug/macie-guard]; without --cli, commands are not run.
Exit 1 with one line per problem, file and line first.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Iterable

GENERATED = {"dist", "target", "bench-results", ".venv", ".venv-sam", ".venv-checkov", ".git"}
SKIP_DIRS = GENERATED | {"node_modules", "corpus", "artifacts"}

LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


# The pages an operator reads, held to short sentences. design.md (the code's shape) and
# aws-behaviour.md (AWS's facts with their sources) are for contributors.
PLAIN = {
    "README.md", "docs/quickstart.md", "docs/glossary.md", "docs/deploy.md", "docs/configure.md",
    "docs/policies.md", "docs/guarantees.md", "docs/reports.md", "docs/operate.md",
    "docs/upgrade.md", "docs/organization.md", "docs/benchmarks.md", "docs/integrating.md",
}
LONGEST = 40
MEAN = 20.0
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(*`\[\"])")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


def markdown_files(root: str) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        for f in filenames:
            if f.endswith(".md"):
                out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return sorted(out)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"`|\*\*|__", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def lines_outside_fences(text: str) -> Iterable[tuple[int, str, bool]]:
    """(line number, line, inside a fenced block) for each line."""
    fence = False
    for n, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("```"):
            fence = not fence
            yield n, line, True
            continue
        yield n, line, fence


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for _, line, fenced in lines_outside_fences(text):
        m = HEADING.match(line)
        if fenced or not m:
            continue
        s = slug(m.group(2))
        k = seen.get(s, 0)
        seen[s] = k + 1
        out.add(s if k == 0 else f"{s}-{k}")
    return out


def check_links(root: str, md: str, text: str) -> list[Problem]:
    problems = []
    here = os.path.dirname(md)
    for n, line, fenced in lines_outside_fences(text):
        if fenced:
            continue
        for m in LINK.finditer(line):
            target = m.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            file = os.path.normpath(os.path.join(here, path)) if path else md
            full = os.path.join(root, file)
            if not os.path.exists(full):
                problems.append(Problem(md, n, f"link to {target!r}: {file} does not exist"))
                continue
            if anchor:
                if not file.endswith(".md") or os.path.isdir(full):
                    problems.append(Problem(md, n, f"link to {target!r}: an anchor of a file that is not Markdown"))
                    continue
                with open(full, encoding="utf-8") as f:
                    if anchor not in anchors(f.read()):
                        problems.append(
                            Problem(md, n, f"link to {target!r}: {file} has no heading with the anchor #{anchor}")
                        )
    return problems


def path_words(span: str) -> Iterable[str]:
    for word in span.split():
        word = word.strip("\"'(").rstrip("\"'),;:.")
        word = re.sub(r":\d+$", "", word)
        if "/" not in word or word.startswith("/") or any(c in word for c in "<>${}|=") or "://" in word:
            continue
        yield word


def check_paths(root: str, md: str, text: str) -> list[Problem]:
    problems = []
    top = {e for e in os.listdir(root) if e not in GENERATED}
    here = os.path.dirname(md)
    for n, line, fenced in lines_outside_fences(text):
        spans = [line] if fenced else CODE_SPAN.findall(line)
        for span in spans:
            for word in path_words(span):
                first = word.split("/", 1)[0]
                if first not in top and not (here and os.path.exists(os.path.join(root, here, first))):
                    continue
                candidates = [os.path.join(root, word), os.path.join(root, here, word)]
                if "*" in word:
                    found = any(glob.glob(c) for c in candidates)
                else:
                    found = any(os.path.exists(c) for c in candidates)
                if not found:
                    problems.append(Problem(md, n, f"{word} does not exist"))
    return problems


def commands(text: str) -> Iterable[tuple[int, list[str]]]:
    """The `macie-guard ...` commands shown, as argument lists after the program's name."""
    pending: list[str] = []
    start = 0
    for n, line, fenced in lines_outside_fences(text):
        if fenced:
            if line.lstrip().startswith("```"):
                pending = []
                continue
            if pending:
                pending.append(line)
            else:
                s = line.strip()
                s = s[2:] if s.startswith("$ ") else s
                if re.match(r"^(macie-guard|cargo run -p macie-guard-cli --) [a-z-]", s):
                    pending = [s]
                    start = n
            if pending and not pending[-1].rstrip().endswith("\\"):
                joined = " ".join(p.rstrip().rstrip("\\") for p in pending)
                pending = []
                if "[" in joined or "<" in joined:  # a synopsis, not a command
                    continue
                yield start, program_args(joined)
        else:
            for span in CODE_SPAN.findall(line):
                if re.match(r"^macie-guard [a-z-]", span) and "[" not in span and "<" not in span:
                    yield n, program_args(span)


def program_args(command: str) -> list[str]:
    words = shlex.split(command, comments=True)
    if words[:4] == ["cargo", "run", "-p", "macie-guard-cli"]:
        words = words[5:]
    else:
        words = words[1:]
    # Stop at the shell: a pipe, a redirection, the next command.
    for i, w in enumerate(words):
        if w in {"|", "&&", "||", ";", ">", "2>", "&"}:
            return words[:i]
    return words


SUBCOMMAND = re.compile(r"^  ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)(?: [A-Z][A-Z_]*)*\s{2,}\S")
FLAG = re.compile(r"--[a-z][a-z-]*")


def synopses(text: str) -> Iterable[tuple[int, list[str], list[str]]]:
    """A CLI synopsis (a code block opening with `macie-guard [`): (line, subcommand, the
    flags listed for it); the global flags come with the subcommand []."""
    inside = False
    last: tuple[int, list[str], list[str]] | None = None
    for n, line, fenced in lines_outside_fences(text):
        if not fenced or line.lstrip().startswith("```"):
            if last:
                yield last
            inside, last = False, None
            continue
        if line.startswith("macie-guard ["):
            inside = True
            yield n, [], FLAG.findall(line)
            continue
        if not inside:
            continue
        if line.strip().startswith("global:"):
            yield n, [], FLAG.findall(line)
            continue
        m = SUBCOMMAND.match(line)
        if m:
            if last:
                yield last
            last = (n, m.group(1).split(), FLAG.findall(line[m.end() - 1 :]))
        elif last and line.strip().startswith("["):
            last[2].extend(FLAG.findall(line))


def check_synopses(md: str, text: str, run: Callable[[list[str]], tuple[int, str]]) -> list[Problem]:
    problems = []
    for n, sub, flags in synopses(text):
        code, out = run(sub + ["--help"])
        shown = " ".join(["macie-guard", *sub])
        if code != 0:
            problems.append(Problem(md, n, f"`{shown}` is not a command: {out.strip().splitlines()[0] if out.strip() else code}"))
            continue
        for flag in flags:
            if not re.search(re.escape(flag) + r"(?![a-z-])", out):
                problems.append(Problem(md, n, f"`{shown}` has no option {flag}"))
    return problems


def check_commands(md: str, text: str, run: Callable[[list[str]], tuple[int, str]]) -> list[Problem]:
    problems = check_synopses(md, text, run)
    for n, args in commands(text):
        code, out = run(args + ["--help"])
        if code != 0:
            shown = " ".join(["macie-guard", *args])
            problems.append(Problem(md, n, f"`{shown}` does not parse: {out.strip().splitlines()[0] if out.strip() else code}"))
    return problems


def sentences(text: str) -> Iterable[tuple[int, str]]:
    """Each sentence of the prose with its first line: paragraphs and list items split at a
    full stop, question or exclamation mark followed by a capital; code blocks, tables,
    headings and HTML comments left out; a code span or a link's target as one word."""
    para: list[tuple[int, str]] = []

    def flush():
        if para:
            first = para[0][0]
            body = " ".join(t for _, t in para)
            body = re.sub(r"`[^`]*`", "CODE", body)
            body = re.sub(r"\]\([^)]*\)", "]", body)
            for s in SENTENCE_END.split(body):
                if s.split():
                    yield first, s
            para.clear()

    for n, line, fenced in lines_outside_fences(text):
        stripped = line.strip()
        if fenced or not stripped or stripped.startswith(("|", "#", "<!--", "```")):
            yield from flush()
            continue
        item = re.match(r"^\s*(?:[-*]|\d+\.)\s+(.*)$", line)
        if item:
            yield from flush()
            para.append((n, item.group(1)))
        else:
            para.append((n, stripped))
    yield from flush()


def check_sentences(md: str, text: str) -> list[Problem]:
    problems = []
    lengths = []
    for n, s in sentences(text):
        words = len(s.split())
        lengths.append(words)
        if words > LONGEST:
            problems.append(Problem(md, n, f"a sentence of {words} words (at most {LONGEST}): {' '.join(s.split()[:8])} ..."))
    if lengths and sum(lengths) / len(lengths) > MEAN:
        problems.append(Problem(md, 1, f"sentences average {sum(lengths) / len(lengths):.1f} words (at most {MEAN:.0f})"))
    return problems


def check(root: str, run: Callable[[list[str]], tuple[int, str]] | None) -> list[Problem]:
    problems = []
    for md in markdown_files(root):
        with open(os.path.join(root, md), encoding="utf-8") as f:
            text = f.read()
        problems += check_links(root, md, text)
        problems += check_paths(root, md, text)
        if md in PLAIN:
            problems += check_sentences(md, text)
        if run is not None:
            problems += check_commands(md, text, run)
    return problems


def cli_runner(cli: str) -> Callable[[list[str]], tuple[int, str]]:
    def run(args: list[str]) -> tuple[int, str]:
        p = subprocess.run([cli, *args], capture_output=True, text=True, timeout=30)
        return p.returncode, p.stderr or p.stdout

    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", help="the macie-guard binary that runs the commands shown")
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    problems = check(root, cli_runner(a.cli) if a.cli else None)
    for p in problems:
        print(p, file=sys.stderr)
    files = markdown_files(root)
    texts = [open(os.path.join(root, md), encoding="utf-8").read() for md in files]
    shown = sum(len(list(commands(t))) + len(list(synopses(t))) for t in texts)
    print(f"docs: {len(files)} files, {shown} commands{' run' if a.cli else ' (not run: no --cli)'}, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
