"""``vettabbia create-account``: the first administrator of a site, then others."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fleet.cli import SECRET_VARIABLE, main
from fleet.runtime import RunSettings, Runtime
from fleet.site_config import load_site
from tests.fleet.conftest import BASE_URL, TOKEN_URL


async def _sign_in(url: str, username: str, password: str) -> httpx.Response:
    runtime = Runtime(load_site(), RunSettings(database_url=url))
    try:
        transport = httpx.ASGITransport(app=runtime.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return await client.post(
                TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
            )
    finally:
        await runtime.store.close()


def test_the_first_admin_signs_in(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = database_url
    monkeypatch.setenv(SECRET_VARIABLE, "first-admin-secret")
    assert main(["create-account", "root", "--role", "admin", "--database-url", url]) == 0
    assert "created admin account 'root'" in capsys.readouterr().out
    answer = asyncio.run(_sign_in(url, "root", "first-admin-secret"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "admin"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["root", "--role", "operator"], "an account named 'root' exists already"),
        (["fm", "--role", "fleet_manager"], "fleet: a fleet manager needs exactly one fleet"),
        (["bad name", "--role", "operator"], "name: 1-64 letters"),
    ],
)
def test_refusals_name_the_problem(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    url = database_url
    monkeypatch.setenv(SECRET_VARIABLE, "first-admin-secret")
    assert main(["create-account", "root", "--role", "admin", "--database-url", url]) == 0
    assert main(["create-account", *arguments, "--database-url", url]) == 2
    assert message in capsys.readouterr().err
