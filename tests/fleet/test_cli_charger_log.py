"""``vettabbia charger-log``: the operator reads what chargers reported and what was flagged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from fleet.cli import main
from fleet.persistence import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _write_log(url: str) -> None:
    store = Store.from_url(url)
    try:
        await store.migrate()
        await store.add_charger_log("MI-AC-01", T0, "FirmwareStatus", "Downloading")
        await store.add_charger_log(
            "MI-AC-01",
            T0 + timedelta(minutes=1),
            "SecurityEvent",
            "TamperDetectionActivated",
            flagged=True,
            detail="lid",
        )
        await store.add_charger_log("MI-DC-01", T0 + timedelta(minutes=2), "LogStatus", "Uploaded", request_id=7)
    finally:
        await store.close()


def test_the_log_is_printed_oldest_first_and_can_be_narrowed(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = database_url
    asyncio.run(_write_log(url))

    assert main(["charger-log", "--database-url", url]) == 0
    everything = capsys.readouterr().out.splitlines()
    assert main(["charger-log", "MI-AC-01", "--flagged", "--database-url", url]) == 0
    flagged = capsys.readouterr().out.splitlines()
    assert main(["charger-log", "--limit", "0", "--database-url", url]) == 2

    assert everything == [
        "2026-03-02T09:00:00+00:00   MI-AC-01 FirmwareStatus Downloading",
        "2026-03-02T09:01:00+00:00 ! MI-AC-01 SecurityEvent TamperDetectionActivated: lid",
        "2026-03-02T09:02:00+00:00   MI-DC-01 LogStatus Uploaded request 7",
    ]
    assert flagged == ["2026-03-02T09:01:00+00:00 ! MI-AC-01 SecurityEvent TamperDetectionActivated: lid"]
