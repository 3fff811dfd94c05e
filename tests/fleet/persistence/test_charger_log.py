"""The chargers' log: status reports and flagged problems, newest first, narrowed as asked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleet.persistence import ChargerLogRecord, InvalidValueError, NaiveDatetimeError, Store

from .conftest import T0


async def test_lines_come_back_newest_first_by_charger_and_flag(store: Store) -> None:
    await store.add_charger_log("AC-01", T0, "FirmwareStatus", "Downloading")
    await store.add_charger_log(
        "AC-01", T0 + timedelta(minutes=2), "SecurityEvent", "FirmwareUpdated", flagged=True, detail="v1.2"
    )
    await store.add_charger_log("DC-01", T0 + timedelta(minutes=1), "LogStatus", "Uploaded", request_id=4)

    everything = await store.charger_log()
    one_charger = await store.charger_log(charge_point_id="AC-01")
    flagged = await store.charger_log(flagged_only=True)
    newest = await store.charger_log(limit=1)

    assert [(line.charge_point_id, line.kind) for line in everything] == [
        ("AC-01", "SecurityEvent"),
        ("DC-01", "LogStatus"),
        ("AC-01", "FirmwareStatus"),
    ]
    assert [line.kind for line in one_charger] == ["SecurityEvent", "FirmwareStatus"]
    assert flagged == [
        ChargerLogRecord(
            id=flagged[0].id,
            charge_point_id="AC-01",
            at=T0 + timedelta(minutes=2),
            kind="SecurityEvent",
            status="FirmwareUpdated",
            flagged=True,
            request_id=None,
            detail="v1.2",
        )
    ]
    assert newest == everything[:1]
    assert everything[1].request_id == 4


async def test_bad_lines_and_limits_are_refused(store: Store) -> None:
    with pytest.raises(NaiveDatetimeError):
        await store.add_charger_log("AC-01", T0.replace(tzinfo=None), "FirmwareStatus", "Idle")
    with pytest.raises(InvalidValueError, match="kind"):
        await store.add_charger_log("AC-01", T0, "", "Idle")
    with pytest.raises(InvalidValueError, match="limit"):
        await store.charger_log(limit=0)
    assert await store.charger_log() == []
