"""The simulated charger's local authorisation list: Full and Differential updates, versions, its size."""

from __future__ import annotations

from ocpp_server.simulator.local_list import LocalAuthList

ACCEPTED = {"status": "Accepted"}
BLOCKED = {"status": "Blocked"}


def test_a_new_list_is_version_0_and_empty() -> None:
    local_list = LocalAuthList(max_length=3)
    assert (local_list.version, local_list.entries) == (0, {})


def test_a_full_update_replaces_the_list_and_sets_its_version() -> None:
    local_list = LocalAuthList(max_length=3)
    assert local_list.update(4, "Full", [{"id_tag": "A", "id_tag_info": ACCEPTED}]) == "Accepted"
    assert local_list.update(2, "Full", [{"id_tag": "B", "id_tag_info": BLOCKED}]) == "Accepted"
    assert (local_list.version, local_list.entries) == (2, {"B": BLOCKED})


def test_a_differential_update_adds_replaces_and_removes() -> None:
    local_list = LocalAuthList(max_length=3)
    local_list.update(1, "Full", [{"id_tag": "A", "id_tag_info": ACCEPTED}, {"id_tag": "B", "id_tag_info": ACCEPTED}])
    status = local_list.update(
        2,
        "Differential",
        [{"id_tag": "A"}, {"id_tag": "B", "id_tag_info": BLOCKED}, {"id_tag": "C", "id_tag_info": ACCEPTED}],
    )
    assert status == "Accepted"
    assert (local_list.version, local_list.entries) == (2, {"B": BLOCKED, "C": ACCEPTED})


def test_a_differential_update_needs_a_newer_version() -> None:
    local_list = LocalAuthList(max_length=3)
    local_list.update(5, "Full", [{"id_tag": "A", "id_tag_info": ACCEPTED}])
    assert local_list.update(5, "Differential", [{"id_tag": "B", "id_tag_info": ACCEPTED}]) == "VersionMismatch"
    assert (local_list.version, local_list.entries) == (5, {"A": ACCEPTED})


def test_a_list_longer_than_the_charger_holds_fails_and_changes_nothing() -> None:
    local_list = LocalAuthList(max_length=1)
    local_list.update(1, "Full", [{"id_tag": "A", "id_tag_info": ACCEPTED}])
    assert local_list.update(2, "Differential", [{"id_tag": "B", "id_tag_info": ACCEPTED}]) == "Failed"
    assert (local_list.version, local_list.entries) == (1, {"A": ACCEPTED})
