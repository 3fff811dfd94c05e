"""The charger view shows what a 2.0.1 station reported for planning, in a real Chromium against the
running application: what its vehicle asked for over ISO 15118 and a limit the system operator set.

The application runs without the simulator (no charger connects): the station's reports are put in
its store as the central system would put them, so the test waits for nothing but the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import BrowserContext

from fleet.auth.demo_accounts import ensure_demo_accounts
from fleet.persistence.records import ExternalLimitRecord
from fleet.runtime import RunSettings, Runtime
from fleet.site_config import load_site
from ocpp_server.events import EvChargingNeeds
from tests.e2e.operator_session import open_signed_in
from tests.e2e.ports import free_port
from tests.e2e.stopping import stop_runtime

pytestmark = pytest.mark.e2e

STATION = "MI-DC-01"
TOKEN_KEY = b"t" * 32


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    """The application on the system clock, with the demo's accounts and no chargers."""
    settings = RunSettings(database_url=database_url, ocpp_port=free_port(), http_port=free_port(), token_key=TOKEN_KEY)
    rt = Runtime(load_site(), settings)
    task = asyncio.create_task(rt.run())
    await asyncio.wait_for(rt.ready.wait(), 30)
    await ensure_demo_accounts(rt.auth)
    yield rt
    await stop_runtime(rt, task)


def site_clock(at: datetime, now: datetime, timezone: str) -> str:
    """``at`` as the page writes it: "16:00" on the site's today, "Tue 24 16:00" on another day."""
    local, today = at.astimezone(ZoneInfo(timezone)), now.astimezone(ZoneInfo(timezone))
    day = "" if local.date() == today.date() else f"{local:%a} {local.day} "
    return f"{day}{local:%H:%M}"


async def test_an_operator_sees_what_the_vehicle_asks_and_who_limits_the_charger(
    runtime: Runtime, browser_context: BrowserContext
) -> None:
    now = runtime.clock.now().replace(second=0, microsecond=0)
    departure = now + timedelta(hours=5)
    since = now - timedelta(minutes=25)
    tx = await runtime.store.start_transaction(STATION, 1, "EMAID-IT-1", None, 100.0, now - timedelta(minutes=30))
    needs = EvChargingNeeds(
        STATION, 1, "DC", now - timedelta(minutes=29), departure_at=departure, energy_amount_kwh=42.0, max_power_kw=45.0
    )
    assert await runtime.store.charger_inputs.record_ev_needs(needs) == tx
    assert await runtime.store.charger_inputs.set_external_limit(
        ExternalLimitRecord(STATION, 0, "SO", 20.0, True, since)
    )

    page, watch = await open_signed_in(browser_context, f"{runtime.http_url}/#/chargers/{STATION}", "operator")
    asks = page.get_by_test_id("vehicle-asks")
    await asks.wait_for(timeout=20_000)
    limit = page.get_by_test_id("charger-limit")

    timezone = runtime.site.site.location.timezone
    assert await asks.inner_text() == f"vehicle asks: 42 kWh by {site_clock(departure, now, timezone)}, up to 45 kW"
    assert await limit.all_inner_texts() == [
        f"limited by SO (grid critical): 20 kW since {site_clock(since, now, timezone)}"
    ]
    assert await limit.get_attribute("data-grid-critical") == "true"
    # The line sits in the row of the connector whose vehicle asked.
    assert await page.get_by_test_id("connector-row").filter(has=asks).count() == 1
    assert watch.problems() == []
