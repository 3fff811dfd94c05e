"""A charger that accepts a limit and draws more is flagged once, for a sustained excess only."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fleet.over_limit import OVER_LIMIT_KIND, OverLimitMonitor, limit_in_force_kw, sustained_excess
from fleet.persistence.store import Store
from fleet.runtime import Runtime
from ocpp_server.commands import PowerLimitProfile, PowerPeriod, ProfilePurpose
from ocpp_server.events import Measurand, MeterSample

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
FAILSAFE_KW = 6.3
"""Over it from 6.3 x 1.05 + 0.5 = 7.115 kW."""


class FixedClock:
    def now(self) -> datetime:
        return NOW

    async def sleep(self, duration_s: float) -> None:
        raise AssertionError("the test calls check() itself")


def minutes_ago(*powers_kw: float) -> list[tuple[datetime, float]]:
    """One sample a minute, the last one now."""
    return [(NOW - timedelta(minutes=len(powers_kw) - 1 - i), kw) for i, kw in enumerate(powers_kw)]


def failsafe(at: datetime) -> float:
    return FAILSAFE_KW


def test_a_single_spike_is_not_an_excess() -> None:
    assert sustained_excess(minutes_ago(6.0, 6.2, 11.0), failsafe, NOW) is None


def test_three_samples_over_two_minutes_are() -> None:
    excess = sustained_excess(minutes_ago(6.0, 11.0, 10.5, 11.0), failsafe, NOW)
    assert excess is not None
    assert (excess.since, excess.samples, excess.power_kw, excess.limit_kw) == (
        NOW - timedelta(minutes=2),
        3,
        11.0,
        FAILSAFE_KW,
    )


def test_a_sample_within_the_tolerance_breaks_the_run() -> None:
    assert sustained_excess(minutes_ago(11.0, 11.0, 7.1, 11.0, 11.0), failsafe, NOW) is None


def test_stale_samples_are_not_judged() -> None:
    old = [(at - timedelta(minutes=10), kw) for at, kw in minutes_ago(11.0, 11.0, 11.0, 11.0)]
    assert sustained_excess(old, failsafe, NOW) is None


def test_the_limit_in_force_is_the_accepted_tx_profile_else_the_failsafe() -> None:
    profile = PowerLimitProfile(
        1001,
        ProfilePurpose.TX,
        1,
        1,
        NOW - timedelta(minutes=30),
        3600,
        (PowerPeriod(0, 11.0), PowerPeriod(1800, 4.2)),
        7,
    )
    assert limit_in_force_kw(profile, 7, FAILSAFE_KW, NOW - timedelta(minutes=1)) == 11.0
    assert limit_in_force_kw(profile, 7, FAILSAFE_KW, NOW) == 4.2
    assert limit_in_force_kw(profile, 8, FAILSAFE_KW, NOW) == FAILSAFE_KW  # another transaction's profile
    assert limit_in_force_kw(profile, 7, FAILSAFE_KW, NOW + timedelta(hours=1)) == FAILSAFE_KW  # it has ended
    assert limit_in_force_kw(None, 7, FAILSAFE_KW, NOW) == FAILSAFE_KW
    # Before it began, the profile it replaced was in force, and what that allowed is not known.
    assert limit_in_force_kw(profile, 7, FAILSAFE_KW, NOW - timedelta(minutes=31)) == math.inf


def _lowered_to_zero(starts_at: datetime) -> PowerLimitProfile:
    return PowerLimitProfile(1002, ProfilePurpose.TX, 1, 1, starts_at, 900, (PowerPeriod(0, 0.0),), 7)


def test_a_plan_lowering_the_limit_does_not_judge_what_the_previous_plan_allowed() -> None:
    # 11 kW for 8 minutes under the previous plan's profile; the new plan's 0 kW began 20 s ago and
    # the latest sample was taken before the charger applied it.
    profile = _lowered_to_zero(NOW - timedelta(seconds=20))
    samples = minutes_ago(*[11.1] * 9)

    assert sustained_excess(samples, lambda at: limit_in_force_kw(profile, 7, FAILSAFE_KW, at), NOW) is None


def test_a_charger_ignoring_its_profile_is_still_flagged() -> None:
    profile = _lowered_to_zero(NOW - timedelta(minutes=8, seconds=30))
    samples = minutes_ago(*[11.1] * 9)

    excess = sustained_excess(samples, lambda at: limit_in_force_kw(profile, 7, FAILSAFE_KW, at), NOW)

    assert excess is not None
    assert (excess.samples, excess.limit_kw) == (9, 0.0)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store.from_url(database_url)
    await store.migrate()
    yield store
    await store.close()


async def charging(store: Store, charge_point_id: str, powers_kw: list[float]) -> int:
    transaction_id = await store.start_transaction(charge_point_id, 1, "RFID", None, 0.0, NOW - timedelta(hours=1))
    samples = [MeterSample(Measurand.POWER_IMPORT_KW, kw, at) for at, kw in minutes_ago(*powers_kw)]
    await store.add_meter_samples(charge_point_id, 1, transaction_id, samples)
    return transaction_id


async def test_a_sustained_excess_is_flagged_once_and_a_spike_not_at_all(store: Store) -> None:
    over = await charging(store, "MI-AC-01", [6.0, 11.0, 11.2, 10.9, 11.0])
    await charging(store, "MI-AC-02", [6.2, 6.3, 6.1, 11.0])
    monitor = OverLimitMonitor(store, FixedClock(), lambda key: None, FAILSAFE_KW)

    first = await monitor.check()
    second = await monitor.check()
    log = await store.charger_log(flagged_only=True)

    assert (first, second) == ([over], [])
    [line] = log
    assert (line.charge_point_id, line.kind, line.at) == ("MI-AC-01", OVER_LIMIT_KIND, NOW)
    assert line.detail == (
        f"connector 1, transaction {over}: 4 samples over 180 s above the installed limit; "
        "latest 11.0 kW against 6.3 kW"
    )


async def test_the_alerts_show_the_sustained_excess_against_the_installed_limit(
    api: httpx.AsyncClient, runtime: Runtime
) -> None:
    now = runtime.clock.now()
    transaction_id = await runtime.store.start_transaction("MI-AC-01", 1, "RFID-CAR-01", "CAR-01", 0.0, now)
    samples = [MeterSample(Measurand.POWER_IMPORT_KW, 12.0, now - timedelta(minutes=m)) for m in (3, 2, 1, 0)]
    await runtime.store.add_meter_samples("MI-AC-01", 1, transaction_id, samples)
    spike = await runtime.store.start_transaction("MI-AC-02", 1, "RFID-CAR-02", "CAR-02", 0.0, now)
    await runtime.store.add_meter_samples("MI-AC-02", 1, spike, [MeterSample(Measurand.POWER_IMPORT_KW, 12.0, now)])

    answer = await api.get("/api/v1/alerts", params={"kind": "charger_over_limit"})

    assert answer.status_code == 200, answer.text
    [alert] = answer.json()
    assert alert["charge_point_id"] == "MI-AC-01"
    assert alert["message"] == "MI-AC-01 connector 1 draws 12.0 kW against an installed limit of 6.3 kW"
