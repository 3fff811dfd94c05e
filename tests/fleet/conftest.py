"""A runtime with a migrated store (on ``database_url``, tests/conftest.py), its API over ASGI, and one
signed-in account per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from argon2 import PasswordHasher

from fleet.auth import Role
from fleet.auth.secrets_hashing import SecretHasher
from fleet.persistence.access_records import AccountKind
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from tests.fleet.site_times import marked_clock

BASE_URL = "http://vettabbia.test"
TOKEN_URL = "/api/v1/auth/token"
TEST_KEY = b"k" * 32


@dataclass(frozen=True, slots=True)
class TestAccount:
    name: str
    role: Role
    fleet: str | None
    secret: str


ACCOUNTS = {
    "admin": TestAccount("ada", Role.ADMIN, None, "admin-secret-1"),
    "operator": TestAccount("otto", Role.OPERATOR, None, "operator-secret-1"),
    "fleet_manager": TestAccount("carla", Role.FLEET_MANAGER, "car-sharing", "fleet-secret-1"),
    "other_fleet_manager": TestAccount("luca", Role.FLEET_MANAGER, "e-logistics", "fleet-secret-2"),
}
"""The fleet manager runs the car-sharing fleet; the other one runs the e-logistics vans."""


def fast_hasher() -> SecretHasher:
    """Still Argon2id, with the smallest cost: the tests hash dozens of secrets."""
    return SecretHasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
async def runtime(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    """On the system's clock; a test marked ``site_time(start_utc)`` gets a clock that starts there
    and runs at real speed, for what depends on the hour (the base load, the PV, the bands)."""
    settings = RunSettings(database_url=database_url, token_key=TEST_KEY)
    rt = Runtime(load_site(), settings, secret_hasher=fast_hasher(), clock=marked_clock(request))
    await rt.store.migrate()
    await rt.store.upsert_vehicles(vehicle_records(rt.site))
    for account in ACCOUNTS.values():
        await rt.auth.create_account(account.name, AccountKind.USER, account.role, account.fleet, account.secret)
    yield rt
    await rt.store.close()


@pytest.fixture
async def anonymous(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A client without a token."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=runtime.app), base_url=BASE_URL) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, who: str) -> str:
    account = ACCOUNTS[who]
    answer = await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": account.name, "password": account.secret}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


@pytest.fixture
async def tokens(anonymous: httpx.AsyncClient) -> dict[str, str]:
    """A fresh bearer token per role (see ``ACCOUNTS``)."""
    return {who: await sign_in(anonymous, who) for who in ACCOUNTS}


def _client(runtime: Runtime, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=runtime.app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def api(runtime: Runtime, tokens: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """An operator's client: reads the whole site."""
    async with _client(runtime, tokens["operator"]) as client:
        yield client


@pytest.fixture
async def admin(runtime: Runtime, tokens: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(runtime, tokens["admin"]) as client:
        yield client


@pytest.fixture
async def fleet_manager(runtime: Runtime, tokens: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The car-sharing fleet's manager."""
    async with _client(runtime, tokens["fleet_manager"]) as client:
        yield client
