"""The one error tree: every error class lives in hub.errors, has a unique code and is drawn in the docstring."""

from __future__ import annotations

import ast
from pathlib import Path

import hub.errors as errors
from tests.conftest import PROJECT_ROOT


def _all_errors() -> list[type[errors.HubError]]:
    found, todo = [], [errors.HubError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_codes_are_unique_and_drawn_in_the_tree() -> None:
    classes = [c for c in _all_errors() if c.__module__ == "hub.errors"]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))
    doc = errors.__doc__ or ""
    assert [c.__name__ for c in classes if c.__name__ not in doc] == []


def test_no_error_class_is_defined_outside_hub_errors() -> None:
    offenders = []
    for path in (PROJECT_ROOT / "hub").rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(_is_error_base(b) for b in node.bases) and not _allowed(node):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.name}")
    assert offenders == []


def _allowed(node: ast.ClassDef) -> bool:
    """Module-internal signals, and OS errors a protocol library maps to its wire status (see hub.errors)."""
    names = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases}
    return bool(names & {"LocalSignal", "PermissionError", "FileNotFoundError", "OSError"})


def _is_error_base(base: ast.expr) -> bool:
    name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
    return name.endswith("Error") or name == "Exception"


def test_document_errors_render_file_and_location() -> None:
    err = errors.ParseError("XML is not well-formed", location="line 3, column 7")
    assert err.render_for("in/a.xml") == "error[PARSE_ERROR]: XML is not well-formed (in/a.xml: line 3, column 7)"
    assert errors.UnknownFormatError("nope").render_for(None) == "error[UNKNOWN_FORMAT]: nope"
    assert Path(errors.__file__).name == "errors.py"
