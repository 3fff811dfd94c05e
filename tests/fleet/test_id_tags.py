"""The authorisation rules and the local-list messages, by hand-checkable cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleet.id_tags import id_tag_info, start_id_tag_info
from fleet.local_lists import (
    ListChange,
    ListTooLongError,
    LocalListLimits,
    UpdateType,
    apply_message,
    differential_update_messages,
    full_update_messages,
    limits_from_configuration,
)
from fleet.persistence.id_tag_records import IdTagLookup, IdTagRecord, LocalListEntry, TagTransaction, id_tag_key
from ocpp_server.ports import IdTagInfo, IdTagStatus

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
ACCEPTED = IdTagInfo(IdTagStatus.ACCEPTED)


def _stored(info: IdTagInfo, vehicle_id: str | None = None) -> IdTagLookup:
    return IdTagLookup(IdTagRecord("CARD", info), vehicle_id)


def _charging(charge_point_id: str, connector_id: int, status: str = "Charging") -> TagTransaction:
    started_at = NOW - timedelta(hours=1)
    return TagTransaction(7, charge_point_id, connector_id, started_at, status, started_at + timedelta(seconds=5))


def test_letter_case_folds_only_a_to_z() -> None:
    assert id_tag_key("04AbCz-É") == "04abcz-É"


def test_an_unknown_tag_is_invalid_and_a_vehicles_card_is_accepted() -> None:
    assert id_tag_info(IdTagLookup(None, None), NOW) == IdTagInfo(IdTagStatus.INVALID)
    assert id_tag_info(IdTagLookup(None, "VAN-01"), NOW) == ACCEPTED


def test_the_store_overrides_a_vehicles_card() -> None:
    blocked = IdTagInfo(IdTagStatus.BLOCKED, parent_id_tag="FLEET")

    assert id_tag_info(_stored(blocked, vehicle_id="VAN-01"), NOW) == blocked


def test_an_accepted_tag_past_its_expiry_answers_expired_with_the_date_and_parent() -> None:
    past = NOW - timedelta(seconds=1)
    future = NOW + timedelta(days=1)

    expired = id_tag_info(_stored(IdTagInfo(IdTagStatus.ACCEPTED, past, "P")), NOW)
    valid = id_tag_info(_stored(IdTagInfo(IdTagStatus.ACCEPTED, future, "P")), NOW)
    at_the_instant = id_tag_info(_stored(IdTagInfo(IdTagStatus.ACCEPTED, NOW)), NOW)

    assert expired == IdTagInfo(IdTagStatus.EXPIRED, past, "P")
    assert valid == IdTagInfo(IdTagStatus.ACCEPTED, future, "P")
    assert at_the_instant.status is IdTagStatus.EXPIRED


def test_a_blocked_tag_stays_blocked_after_its_expiry() -> None:
    blocked = IdTagInfo(IdTagStatus.BLOCKED, NOW - timedelta(days=1))

    assert id_tag_info(_stored(blocked), NOW) == blocked


@pytest.mark.parametrize(
    ("where", "charge_point_id", "connector_id", "expected"),
    [
        (("CP-2", 1), "CP-1", 1, IdTagStatus.CONCURRENT_TX),
        (("CP-1", 2), "CP-1", 1, IdTagStatus.CONCURRENT_TX),
        (("CP-1", 1), "CP-1", 1, IdTagStatus.ACCEPTED),
        (("CP-2", 1), "CP-1", None, IdTagStatus.CONCURRENT_TX),
        (("CP-1", 2), "CP-1", None, IdTagStatus.ACCEPTED),
    ],
    ids=[
        "start-other-charger",
        "start-other-connector",
        "start-same-connector",
        "authorize-other-charger",
        "authorize-same-charger",
    ],
)
def test_a_tag_charging_elsewhere_is_concurrent(
    where: tuple[str, int], charge_point_id: str, connector_id: int | None, expected: IdTagStatus
) -> None:
    lookup = IdTagLookup(None, "VAN-01", (_charging(*where),))

    assert start_id_tag_info(lookup, NOW, charge_point_id, connector_id).status is expected


def test_a_transaction_whose_connector_became_available_no_longer_counts() -> None:
    lookup = IdTagLookup(None, "VAN-01", (_charging("CP-2", 1, status="Available"),))

    assert start_id_tag_info(lookup, NOW, "CP-1", 1) == ACCEPTED


def test_only_an_accepted_tag_can_be_concurrent() -> None:
    lookup = IdTagLookup(IdTagRecord("CARD", IdTagInfo(IdTagStatus.BLOCKED)), None, (_charging("CP-2", 1),))

    assert start_id_tag_info(lookup, NOW, "CP-1", 1).status is IdTagStatus.BLOCKED


def _entries(*id_tags: str) -> list[LocalListEntry]:
    return [LocalListEntry(id_tag, ACCEPTED) for id_tag in id_tags]


def test_a_full_update_is_one_message_when_the_charger_sets_no_limit() -> None:
    messages = full_update_messages(_entries("a", "b", "c"), stored_version=4, limits=LocalListLimits())

    assert [(m.update_type, m.version, len(m.changes)) for m in messages] == [(UpdateType.FULL, 5, 3)]
    assert messages[0].wire_payload() == {
        "listVersion": 5,
        "updateType": "Full",
        "localAuthorizationList": [{"idTag": t, "idTagInfo": {"status": "Accepted"}} for t in "abc"],
    }


def test_an_empty_full_update_clears_the_list() -> None:
    messages = full_update_messages([], stored_version=0, limits=LocalListLimits(send_max_entries=2))

    assert [m.wire_payload() for m in messages] == [
        {"listVersion": 1, "updateType": "Full", "localAuthorizationList": []}
    ]


def test_a_full_update_is_split_into_full_then_differential_messages() -> None:
    messages = full_update_messages(_entries("a", "b", "c", "d", "e"), 1, LocalListLimits(send_max_entries=2))

    assert [(m.update_type, m.version, [c.id_tag for c in m.changes]) for m in messages] == [
        (UpdateType.FULL, 2, ["a", "b"]),
        (UpdateType.DIFFERENTIAL, 3, ["c", "d"]),
        (UpdateType.DIFFERENTIAL, 4, ["e"]),
    ]
    held: list[LocalListEntry] = _entries("old")
    for message in messages:
        held = apply_message(held, message)
    assert held == _entries("a", "b", "c", "d", "e")


def test_a_list_longer_than_the_charger_holds_is_refused() -> None:
    with pytest.raises(ListTooLongError):
        full_update_messages(_entries("a", "b", "c"), 0, LocalListLimits(list_max_entries=2))
    with pytest.raises(ListTooLongError):
        differential_update_messages(_entries("a", "b"), _entries("c"), [], 3, LocalListLimits(list_max_entries=2))


def test_a_differential_update_removes_with_entries_without_id_tag_info() -> None:
    blocked = IdTagInfo(IdTagStatus.BLOCKED, NOW, "G")
    messages = differential_update_messages(
        _entries("a", "b"),
        [LocalListEntry("A", blocked)],
        ["B"],
        stored_version=3,
        limits=LocalListLimits(list_max_entries=2),
    )

    assert [m.wire_payload() for m in messages] == [
        {
            "listVersion": 4,
            "updateType": "Differential",
            "localAuthorizationList": [
                {
                    "idTag": "A",
                    "idTagInfo": {"status": "Blocked", "expiryDate": "2025-06-02T10:00:00.000Z", "parentIdTag": "G"},
                },
                {"idTag": "B"},
            ],
        }
    ]
    assert apply_message(_entries("a", "b"), messages[0]) == [LocalListEntry("A", blocked)]


def test_removing_an_unlisted_tag_changes_nothing() -> None:
    (removal,) = differential_update_messages(_entries("a"), [], ["zz"], 0, LocalListLimits())

    assert apply_message(_entries("a"), removal) == _entries("a")


def test_the_limits_are_read_from_get_configuration() -> None:
    payload = {
        "configurationKey": [
            {"key": "LocalAuthListMaxLength", "readonly": True, "value": "500"},
            {"key": "SendLocalListMaxLength", "readonly": True, "value": " 50 "},
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        ]
    }

    assert limits_from_configuration(payload) == LocalListLimits(500, 50)
    assert limits_from_configuration({"unknownKey": ["LocalAuthListMaxLength"]}) == LocalListLimits()
    assert limits_from_configuration({"configurationKey": [{"key": "SendLocalListMaxLength", "value": "0"}]}) == (
        LocalListLimits()
    )
    assert ListChange("x", None).wire() == {"idTag": "x"}
