"""History in bulk: past sessions and site samples, imported once and read back for the forecasters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleet.persistence import FinishedSession, InvalidValueError, SiteSampleRecord, Store

from .conftest import T0


def _session(hour: int, energy_kwh: float = 12.5) -> FinishedSession:
    return FinishedSession(
        charge_point_id="MI-AC-01",
        connector_id=1,
        id_tag="RFID-CAR-01",
        vehicle_id=None,
        started_at=T0 + timedelta(hours=hour),
        stopped_at=T0 + timedelta(hours=hour, minutes=90),
        energy_kwh=energy_kwh,
    )


async def test_imported_sessions_come_back_finished_and_once(store: Store) -> None:
    sessions = [_session(h) for h in range(0, 24, 3)]
    await store.import_sessions(sessions)
    await store.import_sessions(sessions)  # a second import of the same history adds nothing

    past = await store.finished_transactions(T0)

    assert len(past) == 8
    assert all(not tx.is_active for tx in past)
    assert [tx.energy_kwh for tx in past] == [12.5] * 8
    assert past[0].started_at == T0
    assert await store.finished_transactions(T0 + timedelta(hours=22)) == []
    assert await store.active_transactions() == []


async def test_site_samples_in_bulk_keep_the_first_value(store: Store) -> None:
    samples = [SiteSampleRecord(T0 + timedelta(minutes=15 * k), 0.0, None, 10.0 * k, 50.0) for k in range(3000)]
    await store.add_site_samples(samples)
    await store.add_site_samples([SiteSampleRecord(T0, 99.0, None, 99.0, 99.0)])

    stored = await store.site_samples(T0)

    assert len(stored) == 3000
    assert stored[0].pv_kw == 0.0
    assert stored[-1].pv_kw == pytest.approx(29990.0)


def test_a_session_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="stopped_at of session"):
        FinishedSession("MI-AC-01", 1, "T", None, T0, T0 - timedelta(minutes=1), 1.0)
