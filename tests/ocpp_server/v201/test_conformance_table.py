"""docs/ocpp201-conformance.md cannot go stale: every 2.0.1 action has a row and every test named exists."""

from __future__ import annotations

from ocpp.v201.enums import Action

from tests.ocpp_server.compliance.test_conformance_table import ROOT, missing_tests, table_section

TABLE = ROOT / "docs" / "ocpp201-conformance.md"


def test_every_201_action_has_exactly_one_row() -> None:
    names = [row.split("|")[1].strip().strip("`") for row in table_section(TABLE, "Messages")]
    assert sorted(names) == sorted(action.value for action in Action)


def test_every_test_the_table_names_exists() -> None:
    assert missing_tests(table_section(TABLE, "Messages")) == []
