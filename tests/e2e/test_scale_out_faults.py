"""The scale-out deployment under faults: gateways, controller or everything killed or restarted.

Each test runs the three-process deployment (two ``vettabbia gateway``, one ``vettabbia controller``,
HAProxy in front of the gateways; benchmarks/scale_out/deployment.py) on the NATS server at 127.0.0.1:4222 and
a test database (SQLite or PostgreSQL, as ``VETTABBIA_TEST_DATABASE`` selects). Four library-made
chargers of the Milan site connect through the balancer, start a transaction each and stream meter
values; they reconnect whenever their socket drops (benchmarks/scale_out/streaming_charger.py). What the
central system acknowledged to them must be in the database, once, whatever was killed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.scale_out.deployment import Deployment, haproxy_path, running_deployment
from benchmarks.scale_out.streaming_charger import StreamingCharger, running
from fleet.bus.controller_events import SWEEP_INTERVAL_S
from fleet.bus.holders import LOST_AFTER_S
from fleet.persistence import Store
from fleet.site_config import load_site
from ocpp_server.events import Measurand

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(180),
    pytest.mark.skipif(
        haproxy_path() is None, reason="HAProxy is not installed: scripts/test installs Debian's haproxy package"
    ),
]

CHARGERS = {"MI-AC-01": "RFID-CAR-01", "MI-AC-02": "RFID-CAR-02", "MI-AC-03": "RFID-CAR-03", "MI-AC-04": "RFID-CAR-04"}
"""Charge points of the bundled Milan site, each with the id tag of one of its vehicles."""
SETTLE_S = 60.0
"""Longest wait for what should follow a fault within seconds: reconnects, plans, stored events."""
OUTAGE_S = 8.0
PLANS_RESUME_S = 30.0
"""Longest wait for plans to reach the chargers after a restart: well under the 15 min between two
slot boundaries, so that only a plan made because of the restart gets there in time."""


async def until(condition: Callable[[], bool], what: str, deployment: Deployment, timeout_s: float = SETTLE_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:g} s: {what}\n{deployment.logs()}")
        await asyncio.sleep(0.1)


def _same_kwh(stored_kwh: float | None, sent_wh: int) -> bool:
    return stored_kwh is not None and abs(stored_kwh - sent_wh / 1000) < 1e-9


async def missing_from_store(database_url: str, chargers: list[StreamingCharger]) -> list[str]:
    """What the chargers were acknowledged and the database lacks, or holds twice."""
    store = Store.from_url(database_url)
    problems: list[str] = []
    try:
        for charger in chargers:
            cp = charger.charge_point_id
            given = set(charger.acknowledged.transaction_ids)
            stored = {tx.id: tx for tx in await store.list_transactions(limit=1000, charge_point_id=cp)}
            if set(stored) != given:
                problems.append(f"{cp}: transactions {sorted(stored)} stored, {sorted(given)} given")
            for transaction_id in given:
                tx = stored.get(transaction_id)
                if tx is None or tx.id_tag != charger.id_tag or tx.meter_start_kwh != 10.0:
                    problems.append(f"{cp}: start of {transaction_id} stored as {tx}")
            for transaction_id, meter_stop_wh in charger.acknowledged.stops.items():
                tx = stored.get(transaction_id)
                if tx is None or not _same_kwh(tx.meter_stop_kwh, meter_stop_wh) or tx.is_active:
                    problems.append(f"{cp}: stop of {transaction_id} stored as {tx}")
            for transaction_id in given:
                series = await store.meter_series(transaction_id, Measurand.ENERGY_IMPORT_KWH)
                instants = [at for at, _ in series]
                if len(instants) != len(set(instants)):
                    problems.append(f"{cp}: a reading of {transaction_id} stored twice")
                values = dict(series)
                problems += [
                    f"{cp}: {r.energy_wh} Wh at {r.at} of {transaction_id}"
                    for r in charger.acknowledged.readings
                    if r.transaction_id == transaction_id and not _same_kwh(values.get(r.at), r.energy_wh)
                ]
    finally:
        await store.close()
    return problems


async def wait_stored(deployment: Deployment, chargers: list[StreamingCharger], timeout_s: float = SETTLE_S) -> None:
    """Until everything acknowledged is in the database (the controller may have a backlog)."""
    deadline = time.monotonic() + timeout_s
    while problems := await missing_from_store(deployment.database_url, chargers):
        if time.monotonic() > deadline:
            shown = "\n".join(problems[:20])
            raise AssertionError(f"{len(problems)} acknowledged messages not stored:\n{shown}\n{deployment.logs()}")
        await asyncio.sleep(0.5)


async def stored_connected(database_url: str) -> set[str]:
    store = Store.from_url(database_url)
    try:
        return {cp.id for cp in await store.list_charge_points() if cp.connected}
    finally:
        await store.close()


async def wait_connected(deployment: Deployment, timeout_s: float = SETTLE_S) -> None:
    """Until the controller's API, and its database, show every charger connected."""
    deadline = time.monotonic() + timeout_s
    while True:
        api = await deployment.connected_chargers()
        stored = await stored_connected(deployment.database_url)
        if api >= set(CHARGERS) and stored >= set(CHARGERS):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"connected: {sorted(api)} in the API, {sorted(stored)} stored\n{deployment.logs()}")
        await asyncio.sleep(0.5)


async def wait_plans_installed(deployment: Deployment, chargers: list[StreamingCharger]) -> None:
    """Until the controller reports, for each charger's running transaction, a TxProfile of its plan
    that the charger accepted (what it has installed since it started: a restarted one knows none)."""
    deadline = time.monotonic() + PLANS_RESUME_S
    while True:
        shown = await deployment.charge_points()
        pending = []
        for charger in chargers:
            connector = shown[charger.charge_point_id]["connectors"][0]
            if (
                connector["transaction_id"] != charger.transaction_id
                or connector["installed_profile"] is None
                or connector["desired_profile_status"] != "Accepted"
            ):
                pending.append(f"{charger.charge_point_id}: {connector}")
        if not pending:
            return
        if time.monotonic() > deadline:
            raise AssertionError("no plan installed:\n" + "\n".join(pending) + f"\n{deployment.logs()}")
        await asyncio.sleep(0.5)


async def stop_all(deployment: Deployment, chargers: list[StreamingCharger]) -> None:
    for charger in chargers:
        charger.stop_transaction()
    await until(lambda: all(c.stopped.is_set() for c in chargers), "every transaction stopped", deployment)


@pytest.fixture
async def deployment(tmp_path: Path, database_url: str) -> AsyncIterator[Deployment]:
    async with running_deployment(tmp_path, database_url) as started:
        yield started


@pytest.fixture
async def chargers(deployment: Deployment) -> AsyncIterator[list[StreamingCharger]]:
    """The four chargers, each with a transaction started an hour ago and meter values streaming."""
    session_start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    made = [StreamingCharger(cp, tag, deployment.charger_url, session_start) for cp, tag in CHARGERS.items()]
    async with running(made):
        await until(lambda: all(c.readings_acknowledged >= 2 for c in made), "every charger streams", deployment)
        yield made


async def test_chargers_of_a_killed_gateway_move_to_the_other_and_nothing_is_lost(
    deployment: Deployment, chargers: list[StreamingCharger]
) -> None:
    await until(
        lambda: all(c.profiles_since(0.0, "TxProfile") and c.readings_acknowledged >= 6 for c in chargers),
        "every charger streams under a plan's TxProfile",
        deployment,
    )
    held = [await deployment.gateway_connections(index) for index in range(len(deployment.gateways))]
    assert sum(held) == len(CHARGERS), f"the gateways hold {held} chargers"
    assert held[0] >= 1, f"the balancer sent no charger to the gateway to be killed: {held}"
    connections = {c.charge_point_id: c.connections for c in chargers}
    readings = {c.charge_point_id: c.readings_acknowledged for c in chargers}

    killed_at = time.monotonic()
    deployment.gateways[0].kill()

    await until(
        lambda: sum(c.connections - connections[c.charge_point_id] for c in chargers) >= held[0],
        f"the {held[0]} chargers of the killed gateway reconnect",
        deployment,
    )
    await until(
        lambda: all(c.readings_acknowledged >= readings[c.charge_point_id] + 6 for c in chargers),
        "every charger goes on streaming",
        deployment,
    )
    assert await deployment.gateway_connections(1) == len(CHARGERS)
    moved = [c for c in chargers if c.connections > connections[c.charge_point_id]]
    await until(
        lambda: all(
            c.profiles_since(killed_at, "TxDefaultProfile") and c.profiles_since(killed_at, "TxProfile") for c in moved
        ),
        "the chargers that moved get their fail-safe and their plan's TxProfile again",
        deployment,
        PLANS_RESUME_S,
    )
    # The controller gives the silent gateway up after a while: the chargers it held, which moved on
    # meanwhile, must stay connected.
    await asyncio.sleep(max(0.0, killed_at + LOST_AFTER_S + 2 * SWEEP_INTERVAL_S - time.monotonic()))
    await stop_all(deployment, chargers)
    await wait_stored(deployment, chargers)
    await wait_connected(deployment, timeout_s=5.0)
    for charger in chargers:
        assert len(set(charger.acknowledged.transaction_ids)) == 1, charger.acknowledged.transaction_ids


async def test_chargers_keep_their_failsafe_while_the_controller_is_down_and_plans_resume(
    deployment: Deployment, chargers: list[StreamingCharger]
) -> None:
    site = load_site()
    failsafe_kw = site.planning.failsafe_limit_kw
    await until(
        lambda: all(c.profiles_since(0.0, "TxDefaultProfile") and c.profiles_since(0.0, "TxProfile") for c in chargers),
        "every charger holds the fail-safe and a plan's TxProfile",
        deployment,
    )
    readings = {c.charge_point_id: c.readings_acknowledged for c in chargers}
    killed_at = time.monotonic()
    deployment.controller.kill()

    in_force: list[list[float | None]] = []
    while time.monotonic() < killed_at + OUTAGE_S:
        now = datetime.now(UTC)
        in_force.append([c.limit_in_force_kw(now) for c in chargers])
        await asyncio.sleep(0.25)
    headroom_kw = site.site.grid.import_limit_kw - site.site.base_load.max_kw
    for limits in in_force:
        assert None not in limits, f"a charger held no limit while the controller was down: {limits}"
        assert sum(lim for lim in limits if lim is not None) <= headroom_kw, limits
    for charger in chargers:
        cp = charger.charge_point_id
        assert charger.readings_acknowledged >= readings[cp] + 5, f"{cp}: meter values not answered during the outage"
        defaults = [p for p in charger.installed.values() if p.purpose == "TxDefaultProfile"]
        assert [p.limit_kw_at(datetime.now(UTC)) for p in defaults] == [pytest.approx(failsafe_kw, abs=0.1)], cp
        assert not [at for at, _ in charger.clears if at >= killed_at], f"{cp}: a profile was cleared in the outage"
        assert not [p for p in charger.profiles if p.received_at >= killed_at], f"{cp}: profiles changed in the outage"

    restarted_at = time.monotonic()
    await deployment.controller.start()
    await wait_stored(deployment, chargers)
    await until(
        lambda: all(c.profiles_since(restarted_at, "TxProfile") for c in chargers),
        "the restarted controller's plans reach every charger",
        deployment,
        PLANS_RESUME_S,
    )
    await wait_plans_installed(deployment, chargers)
    await wait_connected(deployment)
    await stop_all(deployment, chargers)
    await wait_stored(deployment, chargers)


async def test_after_restarting_every_node_state_is_recovered_and_plans_resume(
    deployment: Deployment, chargers: list[StreamingCharger]
) -> None:
    *staying, leaving = chargers
    await until(
        lambda: all(c.profiles_since(0.0, "TxProfile") for c in chargers),
        "every charger holds a plan's TxProfile",
        deployment,
    )
    leaving.stop_transaction()
    await until(leaving.stopped.is_set, "the last charger's transaction stops", deployment)
    open_ids = {c.charge_point_id: c.transaction_id for c in staying}
    connections = {c.charge_point_id: c.connections for c in chargers}

    # Everything but the broker (and the balancer in front) goes down, as for an upgrade.
    stopped_at = time.monotonic()
    exits = {node.name: await node.stop() for node in [*deployment.gateways, deployment.controller]}
    assert exits == {"gateway-0": 0, "gateway-1": 0, "controller": 0}, deployment.logs()
    readings = {c.charge_point_id: c.readings_acknowledged for c in chargers}
    await deployment.controller.start()
    await asyncio.gather(*(gateway.start() for gateway in deployment.gateways))

    await until(
        lambda: all(c.connections > connections[c.charge_point_id] for c in chargers),
        "every charger reconnects",
        deployment,
    )
    await until(
        lambda: all(c.readings_acknowledged >= readings[c.charge_point_id] + 4 for c in staying),
        "the open transactions go on streaming",
        deployment,
    )
    await until(
        lambda: all(c.profiles_since(stopped_at, "TxProfile") for c in staying),
        "plans reach the chargers with open transactions again",
        deployment,
        PLANS_RESUME_S,
    )
    await wait_plans_installed(deployment, staying)
    await wait_connected(deployment)
    await wait_stored(deployment, chargers)
    store = Store.from_url(deployment.database_url)
    try:
        active = {tx.charge_point_id: tx.id for tx in await store.active_transactions()}
    finally:
        await store.close()
    assert active == open_ids
    assert all(c.transaction_id == open_ids[c.charge_point_id] for c in staying), "an open transaction got a new id"

    await stop_all(deployment, staying)
    await wait_stored(deployment, chargers)
