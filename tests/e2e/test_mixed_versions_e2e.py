"""End to end: the demo's mix of OCPP 1.6J and 2.0.1 chargers, planned and obeyed alike.

The whole demo runs in this event loop (simulated chargers included, a quarter of them on 2.0.1).
Chargers of both versions with a vehicle plugged in must hold the TxProfile the plan sent them,
whichever protocol carried it: the control loop records the profile the charger accepted, and the
simulated charger's own profile store holds it.
"""

from __future__ import annotations

import asyncio

import pytest

from fleet.runtime import Runtime
from ocpp_server.simulator.charge_point import SimulatedChargePoint
from tests.e2e.conftest import running_demo

pytestmark = pytest.mark.e2e

WANTED_PER_VERSION = 3
"""Chargers of each version seen holding their plan."""


def _holding_plan(runtime: Runtime, charger: SimulatedChargePoint) -> bool:
    """Whether ``charger`` has a vehicle plugged in and holds the TxProfile the control loop installed."""
    if charger.vehicle_id is None:
        return False
    installed = runtime.control_loop.installed_profile(f"{charger.spec.charge_point_id}/1")
    held = [profile for profile in charger.profiles if profile.purpose == "TxProfile"]
    return installed is not None and bool(held)


async def test_16_and_201_chargers_both_charge_under_the_plans_tx_profiles(database_url: str) -> None:
    async with running_demo(database_url) as runtime:
        simulator = runtime.simulator
        assert simulator is not None
        chargers = simulator.charge_points
        versions = {cp_id: charger.spec.ocpp_version for cp_id, charger in chargers.items()}
        assert sorted(set(versions.values())) == ["1.6", "2.0.1"]
        deadline = asyncio.get_running_loop().time() + 90
        holding: dict[str, set[str]] = {"1.6": set(), "2.0.1": set()}
        while asyncio.get_running_loop().time() < deadline:
            for cp_id, charger in chargers.items():
                if _holding_plan(runtime, charger):
                    holding[versions[cp_id]].add(cp_id)
            if all(len(ids) >= WANTED_PER_VERSION for ids in holding.values()):
                break
            await asyncio.sleep(0.5)

    assert len(holding["1.6"]) >= WANTED_PER_VERSION, holding
    assert len(holding["2.0.1"]) >= WANTED_PER_VERSION, holding
