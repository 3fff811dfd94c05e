"""The operator's overview in a real Chromium, against one demo with 60 simulated charge points.

The tests only read what the page shows, so they share the module's demo and browser
(``tests/e2e/operator_session.py``); each opens its own page and signs in.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import BrowserContext, Page

from fleet.runtime import Runtime
from tests.e2e.browser import TABLET_VIEWPORT
from tests.e2e.operator_session import (
    ALL_TILES_CONNECTED,
    CHARGE_POINTS,
    CONNECT_TIMEOUT_MS,
    close_test_pages,
    open_signed_in,
    screenshot_path,
    shared_context,
    shared_demo,
)

__all__ = ["close_test_pages", "shared_context", "shared_demo"]

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

DC_CHARGE_POINTS = 20
AC_CHARGE_POINTS = 40
PLAN_STATUSES = ("optimal", "feasible", "fallback")
TILES = '[data-testid="charger-tile"]'

PLAN_SHOWN = """(statuses) => statuses.includes(
  document.querySelector('[data-testid="schedule-status"]')?.dataset.status)"""

CHART_DRAWN = """() => {
  const chart = document.querySelector('[data-testid="site-chart"]');
  const canvas = chart?.querySelector("canvas");
  return chart?.dataset.state === "drawn" && canvas !== null && canvas.width > 0 && canvas.height > 0;
}"""

# Share of the chart's canvas pixels that are painted (not fully transparent).
PAINTED_FRACTION = """() => {
  const canvas = document.querySelector('[data-testid="site-chart"] canvas');
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return painted / (canvas.width * canvas.height);
}"""

VISIBLE_TILE_IDS = f"""() => [...document.querySelectorAll('{TILES}')]
  .filter((t) => t.offsetParent !== null).map((t) => t.dataset.chargerId)"""


def _url(demo: Runtime) -> str:
    return f"{demo.http_url}/"


async def _wait_for_live_site(page: Page) -> None:
    await page.wait_for_function(ALL_TILES_CONNECTED, arg=CHARGE_POINTS, timeout=CONNECT_TIMEOUT_MS)
    await page.wait_for_function(PLAN_SHOWN, arg=list(PLAN_STATUSES), timeout=CONNECT_TIMEOUT_MS)
    await page.wait_for_function(CHART_DRAWN, timeout=CONNECT_TIMEOUT_MS)


async def test_page_loads_without_errors_or_requests_to_other_hosts(
    shared_context: BrowserContext, shared_demo: Runtime
) -> None:
    page, watch = await open_signed_in(shared_context, _url(shared_demo), "operator")
    await _wait_for_live_site(page)
    # Let the page refresh a few times, so errors in the update path show up too.
    clock = page.get_by_test_id("site-time")
    for _ in range(2):
        shown = await clock.inner_text()
        await page.wait_for_function(
            "(shown) => document.querySelector('[data-testid=\"site-time\"]').textContent !== shown",
            arg=shown,
            timeout=15_000,
        )
    assert await page.get_by_test_id("connection-state").inner_text() == "Live"
    assert watch.problems() == []


async def test_all_sixty_charge_points_appear_connected(shared_context: BrowserContext, shared_demo: Runtime) -> None:
    page, _ = await open_signed_in(shared_context, _url(shared_demo), "operator")
    await page.wait_for_function(ALL_TILES_CONNECTED, arg=CHARGE_POINTS, timeout=CONNECT_TIMEOUT_MS)
    tiles = page.locator(TILES)
    ids = [await tile.get_attribute("data-charger-id") for tile in await tiles.all()]
    assert len(set(ids)) == CHARGE_POINTS
    assert await page.locator(f'{TILES}[data-kind="DC"]').count() == DC_CHARGE_POINTS
    assert await page.locator(f'{TILES}[data-kind="AC"]').count() == AC_CHARGE_POINTS
    await page.wait_for_function(
        "(text) => document.querySelector('[data-testid=\"connected-count\"]').textContent === text",
        arg=f"{CHARGE_POINTS} / {CHARGE_POINTS}",
        timeout=CONNECT_TIMEOUT_MS,
    )
    for tile in await tiles.all():
        assert await tile.get_attribute("data-status") != "Offline"


async def test_schedule_status_shows_the_current_plan(shared_context: BrowserContext, shared_demo: Runtime) -> None:
    page, _ = await open_signed_in(shared_context, _url(shared_demo), "operator")
    await page.wait_for_function(PLAN_SHOWN, arg=list(PLAN_STATUSES), timeout=CONNECT_TIMEOUT_MS)
    status = page.get_by_test_id("schedule-status")
    shown = await status.get_attribute("data-status")
    assert (await status.inner_text()).lower().startswith(str(shown))
    unmet = await page.get_by_test_id("schedule-unmet").inner_text()
    assert re.fullmatch(r"\d[\d,]*(\.\d)?", unmet), f"unmet energy is not a number: {unmet!r}"


async def test_site_chart_is_drawn(shared_context: BrowserContext, shared_demo: Runtime) -> None:
    page, _ = await open_signed_in(shared_context, _url(shared_demo), "operator")
    await page.wait_for_function(CHART_DRAWN, timeout=CONNECT_TIMEOUT_MS)
    painted = await page.evaluate(PAINTED_FRACTION)
    assert painted > 0.02, f"only {painted:.1%} of the chart canvas is painted"
    legend = await page.locator('[data-testid="site-chart"] .u-legend').inner_text()
    for series in ("Grid import limit", "Grid import, planned", "EV load, planned", "PV forecast", "Base load"):
        assert series in legend


async def test_filtering_by_a_charge_point_id_leaves_that_tile(
    shared_context: BrowserContext, shared_demo: Runtime
) -> None:
    page, _ = await open_signed_in(shared_context, _url(shared_demo), "operator")
    await page.wait_for_function(ALL_TILES_CONNECTED, arg=CHARGE_POINTS, timeout=CONNECT_TIMEOUT_MS)
    wanted = await page.locator(TILES).nth(CHARGE_POINTS // 2).get_attribute("data-charger-id")
    assert wanted is not None
    await page.get_by_test_id("charger-filter").fill(wanted)
    assert await page.evaluate(VISIBLE_TILE_IDS) == [wanted]
    await page.get_by_test_id("charger-filter").fill("")
    assert len(await page.evaluate(VISIBLE_TILE_IDS)) == CHARGE_POINTS


async def test_status_filter_shows_only_that_status(shared_context: BrowserContext, shared_demo: Runtime) -> None:
    page, _ = await open_signed_in(shared_context, _url(shared_demo), "operator")
    await page.wait_for_function(ALL_TILES_CONNECTED, arg=CHARGE_POINTS, timeout=CONNECT_TIMEOUT_MS)
    # Read the status and apply the filter in one step, so a status change between polls cannot race.
    result = await page.evaluate(
        """() => {
          const status = document.querySelector('[data-testid="charger-tile"]').dataset.status;
          const select = document.querySelector('[data-testid="status-filter"]');
          select.value = status;
          select.dispatchEvent(new Event("change"));
          const visible = [...document.querySelectorAll('[data-testid="charger-tile"]')]
            .filter((t) => t.offsetParent !== null);
          return { status, statuses: visible.map((t) => t.dataset.status) };
        }"""
    )
    assert result["statuses"], f"no tile shown for status {result['status']}"
    assert set(result["statuses"]) == {result["status"]}


async def test_page_fits_a_tablet_without_sideways_scrolling(
    shared_context: BrowserContext, shared_demo: Runtime
) -> None:
    page, _ = await open_signed_in(shared_context, _url(shared_demo), "operator")
    await page.set_viewport_size(TABLET_VIEWPORT)
    await _wait_for_live_site(page)
    overflow = await page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


EVERY_CHARGING_TILE_PLANNED = """() => {
  const charging = [...document.querySelectorAll('[data-testid="charger-tile"][data-status="Charging"]')];
  return charging.length > 0 && charging.every((tile) => !tile.textContent.includes("no plan"));
}"""


async def test_overview_screenshot(shared_context: BrowserContext, shared_demo: Runtime) -> None:
    # The picture in the docs shows a site under control: wait for a plan covering the plugged vehicles.
    async with asyncio.timeout(CONNECT_TIMEOUT_MS / 1000):
        while shared_demo.control_loop.latest is None or len(shared_demo.control_loop.latest.plugged) < 30:
            await shared_demo.control_loop.wait_for_plan(
                shared_demo.control_loop.latest.schedule_id if shared_demo.control_loop.latest else 0
            )
    page, watch = await open_signed_in(shared_context, _url(shared_demo), "operator")
    await _wait_for_live_site(page)
    await page.wait_for_function(EVERY_CHARGING_TILE_PLANNED, timeout=CONNECT_TIMEOUT_MS)
    png = await page.screenshot(path=screenshot_path("operator-overview.png"), full_page=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert watch.problems() == []
