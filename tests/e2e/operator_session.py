"""One demo and one Chromium shared by a module of browser tests, and the steps those tests repeat.

Starting the demo (60 simulated chargers) costs most of a browser test's time, so the views' tests
share one per module; each test opens its own page (its own sign-in: the token lives in the tab), closed
when the test ends.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Page

from fleet.auth.demo_accounts import DEMO_ACCOUNTS
from fleet.runtime import Runtime
from ocpp_server.simulator.charge_point import SimulatedChargePoint
from tests.databases import Databases
from tests.e2e.browser import PageWatch, find_chromium, launched_chromium, watch_page
from tests.e2e.conftest import running_demo

CONNECT_TIMEOUT_MS = 60_000
"""The demo's simulated charge points boot and connect, and the first plan is made, within this [ms]."""
CHARGE_POINTS = 60
"""The demo site's charge points."""
ALL_TILES_CONNECTED = """(n) => {
  const tiles = document.querySelectorAll('[data-testid="charger-tile"]');
  return tiles.length === n && [...tiles].every((t) => t.dataset.connected === "true");
}"""
"""Whether the page shows ``n`` charger tiles, every one connected."""


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared_demo(module_databases: Databases) -> AsyncIterator[Runtime]:
    """The whole demo, once per module: OCPP server, API, page, control loop, 60 simulated chargers."""
    async with running_demo(module_databases.new_url("demo")) as runtime:
        yield runtime


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared_context(
    tmp_path_factory: pytest.TempPathFactory, shared_demo: Runtime
) -> AsyncIterator[BrowserContext]:
    """One headless Chromium (desktop size) for the module; skips when this machine has none.

    It depends on the demo so that it closes first: the pages' event streams would otherwise keep
    the demo's HTTP server from stopping.
    """
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium found (see tests/e2e/browser.py)")
    async with launched_chromium(chromium, tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest_asyncio.fixture(loop_scope="module", autouse=True)
async def close_test_pages(shared_context: BrowserContext) -> AsyncIterator[None]:
    """Close the pages a test opened when it ends: each holds the page's event stream open, and
    Chromium opens at most six connections to one host, so a seventh page would wait for ever."""
    before = set(shared_context.pages)
    yield
    for page in shared_context.pages:
        if page not in before:
            await page.close()


async def open_signed_in(context: BrowserContext, url: str, account: str) -> tuple[Page, PageWatch]:
    """A new page at ``url``, signed in as the demo account ``account``."""
    page = await context.new_page()
    watch = await watch_page(context, page)
    await page.goto(url)
    secret = next(a.secret for a in DEMO_ACCOUNTS if a.name == account)
    await page.get_by_test_id("sign-in-username").fill(account)
    await page.get_by_test_id("sign-in-password").fill(secret)
    await page.get_by_test_id("sign-in-submit").click()
    await page.wait_for_function("() => document.body.dataset.role !== undefined", timeout=CONNECT_TIMEOUT_MS)
    return page, watch


def take_offline(charge_point: SimulatedChargePoint) -> None:
    """Cut a simulated charger off the network: its socket closes and it stays away."""
    charge_point.cut_network()


def screenshot_path(name: str) -> Path:
    """Where a view's screenshot goes: ``$VETTABBIA_SCREENSHOT_DIR``, else ``docs/screenshots/``."""
    default = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    directory = Path(os.environ.get("VETTABBIA_SCREENSHOT_DIR", default))
    directory.mkdir(parents=True, exist_ok=True)
    return directory / name
