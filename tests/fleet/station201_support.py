"""A runtime serving OCPP on loopback, a 2.0.1 station connected to it, and signed-in API clients.

The station is the ``ocpp`` library's 2.0.1 client (``tests.ocpp_server.v201.station``): it checks
every call it receives against the 2.0.1 schemas, so a call that reaches its handler was valid.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from fleet.persistence.access_records import AccountKind
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from tests.fleet.conftest import ACCOUNTS, BASE_URL, TEST_KEY, fast_hasher, sign_in
from tests.ocpp_server.v201.station import Station201, station

RECORD_TIMEOUT_S = 5.0


@asynccontextmanager
async def serving_runtime(database_url: str, call_timeout_s: float = 2.0) -> AsyncIterator[Runtime]:
    """A runtime on a migrated store with every test account, its OCPP server on a free loopback port."""
    settings = RunSettings(database_url=database_url, token_key=TEST_KEY, ocpp_call_timeout_s=call_timeout_s)
    rt = Runtime(load_site(), settings, secret_hasher=fast_hasher())
    await rt.store.migrate()
    await rt.store.upsert_vehicles(vehicle_records(rt.site))
    for account in ACCOUNTS.values():
        await rt.auth.create_account(account.name, AccountKind.USER, account.role, account.fleet, account.secret)
    ready = asyncio.Event()
    server = asyncio.create_task(rt.central.serve("127.0.0.1", 0, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=5)
        yield rt
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
        await rt.store.close()


async def recorded_version(rt: Runtime, charge_point_id: str, version: str) -> None:
    """Wait until the store says ``charge_point_id`` is connected with OCPP ``version``."""
    deadline = asyncio.get_running_loop().time() + RECORD_TIMEOUT_S
    while True:
        records = {record.id: record for record in await rt.store.list_charge_points()}
        record = records.get(charge_point_id)
        if record is not None and record.connected and record.ocpp_version == version:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{charge_point_id} not recorded as connected with OCPP {version}")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def connected_station(rt: Runtime, charge_point_id: str, **connect_options: Any) -> AsyncIterator[Station201]:
    """A 2.0.1 station connected to ``rt``, once the store has recorded its version."""
    url = f"ws://127.0.0.1:{rt.central.listening_port()}"
    async with station(url, charge_point_id, central=rt.central, **connect_options) as connected:
        await recorded_version(rt, charge_point_id, "2.0.1")
        yield connected


@asynccontextmanager
async def signed_in(rt: Runtime, who: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL) as anonymous:
        token = await sign_in(anonymous, who)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client
