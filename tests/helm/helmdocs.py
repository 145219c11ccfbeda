"""The helm-docs reading of ``values.yaml``, in Python: every leaf key with its ``# --`` description.

helm-docs (README.md.gotmpl) is the tool of record where it is installed; this module reads the same
comments so that the tests can insist on them and README.md can be refreshed without it::

    python -m tests.helm.helmdocs          # rewrites the values table of deploy/helm/grossisthub/README.md

Only the subset of YAML that values.yaml uses is understood: block mappings, with flow collections
(``{}``, ``[]``, ``{a: 1}``) written on one line. A *leaf* is a key whose value is not a non-empty block
mapping; it must carry its own ``# --`` comment (continued by further ``#`` lines directly below it).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CHART_DIR = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "grossisthub"
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.\-/]+):(?:\s+(?P<rest>.*))?$")
START, END = "<!-- values:start -->", "<!-- values:end -->"


@dataclass(frozen=True)
class ValueDoc:
    path: str
    line: int
    description: str | None  # None: no "# --" comment


def documented_keys(text: str) -> list[ValueDoc]:
    """Every leaf key of a values.yaml text with its helm-docs description (or None)."""
    lines = text.splitlines()
    stack: list[tuple[int, str]] = []
    docs: list[ValueDoc] = []
    for number, line in enumerate(lines, start=1):
        match = KEY_LINE.match(line)
        if match is None:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([k for _, k in stack] + [match["key"]])
        rest = (match["rest"] or "").strip()
        if not rest or rest.startswith("#"):  # a parent: its children follow, indented
            stack.append((indent, match["key"]))
            if not _has_children(lines, number, indent):
                docs.append(ValueDoc(path, number, _comment_above(lines, number - 1)))
            continue
        docs.append(ValueDoc(path, number, _comment_above(lines, number - 1)))
    return docs


def _has_children(lines: list[str], number: int, indent: int) -> bool:
    for line in lines[number:]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        return len(line) - len(line.lstrip(" ")) > indent
    return False


def _comment_above(lines: list[str], index: int) -> str | None:
    """The "# --" block ending right above lines[index] (0-based), or None."""
    block: list[str] = []
    i = index - 1
    while i >= 0 and lines[i].lstrip().startswith("#"):
        block.insert(0, lines[i].strip())
        i -= 1
    for start, comment in enumerate(block):
        if comment.startswith("# --"):
            parts = [comment[4:].strip()] + [c.lstrip("#").strip() for c in block[start + 1 :]]
            return " ".join(p for p in parts if p)
    return None


def _lookup(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node[part]
    return node


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "string"
    return "object"


def values_table(chart_dir: Path = CHART_DIR) -> str:
    text = (chart_dir / "values.yaml").read_text(encoding="utf-8")
    values = yaml.safe_load(text)
    rows = ["| Key | Type | Default | Description |", "|-----|------|---------|-------------|"]
    for doc in documented_keys(text):
        value = _lookup(values, doc.path)
        default = json.dumps(value, separators=(",", ":"))
        description = (doc.description or "").replace("|", "\\|")
        rows.append(f"| {doc.path} | {_type(value)} | `{default}` | {description} |")
    return "\n".join(rows)


def render_readme(readme: str, chart_dir: Path = CHART_DIR) -> str:
    head, _, tail = readme.partition(START)
    _, _, tail = tail.partition(END)
    return f"{head}{START}\n{values_table(chart_dir)}\n{END}{tail}"


def main() -> int:
    path = CHART_DIR / "README.md"
    path.write_text(render_readme(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
