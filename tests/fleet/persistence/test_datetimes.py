"""Instants go in tz-aware and come back tz-aware UTC; naive datetimes are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Dialect, make_url

from fleet.persistence import NaiveDatetimeError, PersistenceError, Store
from fleet.persistence.utc_datetime import UtcDateTime
from ocpp_server.events import Measurand, MeterSample

from .conftest import T0

ROME_SUMMER = timezone(timedelta(hours=2))
NAIVE = datetime(2025, 3, 10, 7, 0)
SQLITE = make_url("sqlite+aiosqlite://").get_dialect()()
POSTGRESQL = make_url("postgresql+asyncpg://").get_dialect()()


async def test_a_naive_start_is_refused_and_nothing_is_stored(store: Store) -> None:
    with pytest.raises(NaiveDatetimeError, match="started_at: datetime must be timezone-aware"):
        await store.start_transaction("AC-01", 1, "TAG-0001", None, 0.0, NAIVE)

    assert await store.list_transactions() == []


async def test_a_naive_sample_is_refused_by_its_position(store: Store) -> None:
    samples = [MeterSample(Measurand.POWER_IMPORT_KW, 7.0, T0), MeterSample(Measurand.POWER_IMPORT_KW, 7.2, NAIVE)]

    with pytest.raises(NaiveDatetimeError, match=r"samples\[1\]\.measured_at"):
        await store.add_meter_samples("AC-01", 1, None, samples)

    assert await store.add_meter_samples("AC-01", 1, None, samples[:1]) == 1


async def test_naive_times_are_refused_everywhere_as_value_errors(store: Store) -> None:
    with pytest.raises(NaiveDatetimeError, match=r"^at:"):
        await store.record_connection("AC-01", "1.6", True, NAIVE)
    with pytest.raises(NaiveDatetimeError, match=r"^measured_at:"):
        await store.add_site_sample(NAIVE, 1.0, None, None, None)
    with pytest.raises(NaiveDatetimeError, match=r"^since:"):
        await store.site_samples(NAIVE)
    assert issubclass(NaiveDatetimeError, PersistenceError)
    assert issubclass(NaiveDatetimeError, ValueError)


async def test_times_come_back_as_the_same_instants_in_utc(store: Store) -> None:
    local = datetime(2025, 7, 1, 8, 30, 15, 250_000, tzinfo=ROME_SUMMER)
    expected = datetime(2025, 7, 1, 6, 30, 15, 250_000, tzinfo=UTC)
    await store.record_connection("AC-01", "1.6", True, local)
    transaction_id = await store.start_transaction("AC-01", 1, "TAG-0001", None, 0.0, local)
    await store.add_meter_samples("AC-01", 1, transaction_id, [MeterSample(Measurand.SOC_PERCENT, 50.0, local)])
    await store.add_site_sample(local, 10.0, None, None, None)

    [charge_point] = await store.list_charge_points()
    transaction = await store.get_transaction(transaction_id)
    [(measured_at, _)] = await store.meter_series(transaction_id, Measurand.SOC_PERCENT)
    [site_sample] = await store.site_samples(expected)

    assert transaction is not None
    instants = [
        charge_point.connected_at,
        charge_point.last_seen_at,
        transaction.started_at,
        transaction.last_sample_at,
        measured_at,
        site_sample.measured_at,
    ]
    for instant in instants:
        assert instant == expected
        assert instant is not None
        assert instant.tzinfo is UTC


_offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=_offsets)


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRESQL], ids=["sqlite", "postgresql"])
@given(instant=_instants)
def test_the_column_type_round_trips_any_instant_to_utc(dialect: Dialect, instant: datetime) -> None:
    column = UtcDateTime()
    stored = column.process_bind_param(instant, dialect)

    loaded = column.process_result_value(stored, dialect)

    assert loaded == instant
    assert loaded is not None
    assert loaded.tzinfo is UTC


def test_the_column_type_refuses_naive_datetimes() -> None:
    with pytest.raises(NaiveDatetimeError):
        UtcDateTime().process_bind_param(NAIVE, SQLITE)
