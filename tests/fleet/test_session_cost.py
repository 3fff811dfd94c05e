"""Session cost at the site's ARERA bands: hand-checkable sessions on known days, and the API's view."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fleet.forecast_inputs import forecast_inputs
from fleet.persistence.records import TransactionRecord
from fleet.runtime import Runtime
from fleet.session_cost import session_costs_eur
from fleet.site_config import load_site
from tests.fleet.builders import transaction

INPUTS = forecast_inputs(load_site())
F1, F2, F3 = (INPUTS.tariff.f1_eur_per_kwh, INPUTS.tariff.f2_eur_per_kwh, INPUTS.tariff.f3_eur_per_kwh)
WEDNESDAY_NOON = datetime(2025, 1, 15, 11, 0, tzinfo=UTC)
"""12:00 in Milan (UTC+1 in January): band F1."""
NOW = datetime(2025, 1, 20, tzinfo=UTC)


def _finished(start: datetime, hours: float, energy_kwh: float, transaction_id: int = 1) -> TransactionRecord:
    tx = transaction(transaction_id=transaction_id, started_at=start, energy_kwh=energy_kwh)
    return replace(tx, stopped_at=start + timedelta(hours=hours), meter_stop_kwh=100.0 + energy_kwh)


def test_a_session_inside_one_band_pays_that_band() -> None:
    [cost] = session_costs_eur([_finished(WEDNESDAY_NOON, 2, 10.0)], INPUTS.tariff, INPUTS.location, NOW)
    assert cost == pytest.approx(10.0 * F1)


def test_a_session_across_a_band_change_pays_the_time_weighted_mix() -> None:
    # 18:00-20:00 in Milan: an hour of F1, then an hour of F2 (F1 ends at 19:00 on working days).
    evening = WEDNESDAY_NOON + timedelta(hours=6)
    [cost] = session_costs_eur([_finished(evening, 2, 10.0)], INPUTS.tariff, INPUTS.location, NOW)
    assert cost == pytest.approx(5.0 * F1 + 5.0 * F2)


def test_many_sessions_at_once_each_get_their_own_price() -> None:
    sunday = datetime(2025, 1, 19, 9, 0, tzinfo=UTC)
    sessions = [
        _finished(WEDNESDAY_NOON, 1, 4.0, 1),
        _finished(sunday, 3, 30.0, 2),
        _finished(WEDNESDAY_NOON, 0, 0.0, 3),
    ]
    costs = session_costs_eur(sessions, INPUTS.tariff, INPUTS.location, NOW)
    assert costs == pytest.approx([4.0 * F1, 30.0 * F3, 0.0])


def test_a_running_session_is_priced_up_to_its_last_sample() -> None:
    tx = replace(
        transaction(started_at=WEDNESDAY_NOON, energy_kwh=6.0), last_sample_at=WEDNESDAY_NOON + timedelta(hours=1)
    )
    assert session_costs_eur([tx], INPUTS.tariff, INPUTS.location, NOW) == pytest.approx([6.0 * F1])
    assert session_costs_eur([], INPUTS.tariff, INPUTS.location, NOW) == []


async def test_sessions_and_their_export_carry_the_cost(runtime: Runtime, api: httpx.AsyncClient) -> None:
    start = runtime.clock.now() - timedelta(hours=1)
    await runtime.store.start_transaction("MI-DC-01", 1, "RFID-VAN-03", "VAN-03", 100.0, start)
    [tx] = await runtime.store.active_transactions()
    await runtime.store.stop_transaction(tx.id, 112.0, start + timedelta(minutes=30), "Local", [])
    stopped = await runtime.store.get_transaction(tx.id)
    assert stopped is not None
    [expected] = session_costs_eur([stopped], INPUTS.tariff, INPUTS.location, runtime.clock.now())
    assert min(F1, F2, F3) * 12 - 1e-6 <= expected <= max(F1, F2, F3) * 12 + 1e-6
    listed = (await api.get("/api/v1/sessions")).json()
    detail = (await api.get(f"/api/v1/sessions/{tx.id}")).json()
    assert listed[0]["cost_eur"] == detail["cost_eur"] == expected
    csv = (await api.get("/api/v1/sessions/export")).text.splitlines()
    assert csv[0].split(",")[8] == "cost_eur"
    assert float(csv[1].split(",")[8]) == expected
