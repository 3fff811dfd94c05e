"""docs/ocpp16-conformance.md cannot go stale: every 1.6 action has a row and every test named exists."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from ocpp.v16.enums import Action

ROOT = Path(__file__).parents[3]
TABLE = ROOT / "docs" / "ocpp16-conformance.md"
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def table_section(table: Path, title: str) -> list[str]:
    """The table rows (after the header and its rule) of the section ``title`` of ``table``."""
    text = table.read_text(encoding="utf-8")
    body = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in body.splitlines() if line.startswith("| ")][2:]


@cache
def _test_names(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


def _section(title: str) -> list[str]:
    return table_section(TABLE, title)


def missing_tests(rows: list[str]) -> list[str]:
    """The tests ``rows`` name that do not exist, and the rows that name none."""
    missing = []
    for row in rows:
        references = TEST_REFERENCE.findall(row)
        if not references:
            missing.append(f"no test for {row[:60]}")
        for path, name in references:
            if not (ROOT / path).is_file() or name not in _test_names(path):
                missing.append(f"{path}::{name}")
    return missing


def test_every_16_action_has_exactly_one_row() -> None:
    names = [row.split("|")[1].strip().strip("`") for row in _section("Messages")]
    assert sorted(names) == sorted(action.value for action in Action)


def test_every_test_the_table_names_exists() -> None:
    assert missing_tests(_section("Messages")) == []
    assert missing_tests(_section("Robustness")) == []
    assert missing_tests(_section("Security, authorisation and smart charging")) == []


def test_every_compliance_test_is_in_the_table() -> None:
    named = set(TEST_REFERENCE.findall(TABLE.read_text(encoding="utf-8")))
    modules = sorted(Path(__file__).parent.glob("test_oca_*.py"))
    assert modules, "no compliance test modules found"
    absent = []
    for module in modules:
        path = module.relative_to(ROOT).as_posix()
        absent += [
            f"{path}::{name}" for name in _test_names(path) if name.startswith("test_") and (path, name) not in named
        ]
    # Checks of the test data itself need no row of their own.
    assert [name for name in absent if "_cover_every_" not in name] == []
