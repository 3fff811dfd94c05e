"""The operator page's own files, and its logic run in a real Chromium on known inputs.

The first tests check that the page's files are served and complete without any browser; the others
import the page's modules in Chromium (``browser_context``, tests/e2e/conftest.py) from a server that
serves only those files. The page against a running demo is in ``test_operator_overview.py``.
"""

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import BrowserContext

from fleet.web.static_files import mount_operator_page, static_directory

pytestmark = pytest.mark.e2e

# --- the page's files, served by the application ---------------------------------------------------


class _References(HTMLParser):
    """Collects the src/href attributes of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in {"src", "href"} and value)


def _module_imports(source: str) -> list[str]:
    return re.findall(r"""^\s*import\s[^;]*?from\s+["'](\.[^"']+)["']""", source, flags=re.MULTILINE)


@pytest.fixture
async def page_client() -> AsyncIterator[httpx.AsyncClient]:
    """A client of an application that serves only the operator page (no API behind it)."""
    app = FastAPI()
    mount_operator_page(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
        yield client


async def test_root_serves_the_operator_page(page_client: httpx.AsyncClient) -> None:
    response = await page_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-testid="charger-grid"' in response.text


async def test_every_file_the_page_refers_to_is_served_from_this_site(page_client: httpx.AsyncClient) -> None:
    index = (await page_client.get("/")).text
    parser = _References()
    parser.feed(index)
    assert parser.urls, "index.html refers to no assets"
    pending = [urljoin("http://127.0.0.1/", url) for url in parser.urls]
    seen: set[str] = set()
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1", f"the page refers to another host: {url}"
        response = await page_client.get(parts.path)
        assert response.status_code == 200, f"{parts.path}: HTTP {response.status_code}"
        if parts.path.endswith(".js"):
            assert response.headers["content-type"].startswith("text/javascript")
            pending.extend(urljoin(url, module) for module in _module_imports(response.text))
    served_modules = {urlsplit(url).path.removeprefix("/static/") for url in seen if url.endswith(".js")}
    shipped_modules = {p.name for p in static_directory().glob("*.js")}
    assert shipped_modules <= served_modules, f"modules nobody imports: {shipped_modules - served_modules}"


async def test_assets_are_revalidated_so_an_upgrade_is_picked_up(page_client: httpx.AsyncClient) -> None:
    first = await page_client.get("/static/app.js")
    again = await page_client.get("/static/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert first.headers["cache-control"] == "no-cache"
    assert again.status_code == 304


async def test_an_unknown_asset_is_not_found(page_client: httpx.AsyncClient) -> None:
    response = await page_client.get("/static/no-such-file.js")
    assert response.status_code == 404


# --- the page's logic, run in the browser on known inputs --------------------------------------------


@pytest.fixture
async def static_page_url() -> AsyncIterator[str]:
    """Base URL of a real HTTP server on loopback that serves only the operator page's files."""
    app = FastAPI()
    mount_operator_page(app)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    # A socket that already listens queues the browser's first connection until the server accepts,
    # so there is no start-up race to wait out.
    with socket.create_server(("127.0.0.1", 0)) as sock:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            await task


async def _run_module_code(context: BrowserContext, base_url: str, module: str, body: str) -> Any:
    """Import ``/static/<module>`` as ``m`` in a page of ``base_url`` and return what ``body`` returns."""
    page = await context.new_page()
    # Any document of the site's origin may import its modules; the icon starts no polling.
    await page.goto(f"{base_url}/static/favicon.svg")
    return await page.evaluate(
        "async ([url, body]) => new Function('m', body)(await import(url))", [f"/static/{module}", body]
    )


async def test_grid_check_compares_import_with_the_limit(browser_context: BrowserContext, static_page_url: str) -> None:
    checks = await _run_module_code(
        browser_context,
        static_page_url,
        "assess.js",
        """return [548, 480, 300].map((kw) => m.assessGrid({ gridImportLimitKw: 500, gridImportKw: kw }))
             .map((g) => [g.level, g.headroomKw]);""",
    )
    # 548 kW is 48 kW over; 480 kW is 96 % of the limit (warning from 95 %); 300 kW leaves 200 kW.
    assert checks == [["danger", -48], ["warn", 20], ["ok", 200]]


async def test_plan_is_stale_after_two_slots_and_a_fallback_is_a_warning(
    browser_context: BrowserContext, static_page_url: str
) -> None:
    plans = await _run_module_code(
        browser_context,
        static_page_url,
        "assess.js",
        """const now = new Date("2026-11-23T06:00:00Z");
           const horizon = { slotStarts: [new Date("2026-11-23T06:00:00Z")], slotDurationH: [0.25] };
           const plan = (status, ageMin) => m.assessPlan(
             { id: 1, status, createdAt: new Date(now - ageMin * 60e3), objectiveEur: 1, unmetEnergyKwh: 0 },
             horizon, now);
           return [plan("optimal", 29), plan("optimal", 31), plan("fallback", 1), m.assessPlan(null, horizon, now)]
             .map((p) => [p.status, p.level, p.stale]);""",
    )
    assert plans == [
        ["optimal", "ok", False],
        ["optimal", "warn", True],
        ["fallback", "warn", False],
        ["none", "warn", False],
    ]


async def test_tile_status_offline_first_then_fault_then_charging(
    browser_context: BrowserContext, static_page_url: str
) -> None:
    statuses = await _run_module_code(
        browser_context,
        static_page_url,
        "assess.js",
        """const cp = (connected, ...statuses) => ({ connected, connectors: statuses.map((status) => ({ status })) });
           return [cp(false, "Charging"), cp(true, "Charging", "Faulted"), cp(true, "Available", "Charging"),
                   cp(true, "Available")].map(m.chargePointStatus);""",
    )
    assert statuses == ["Offline", "Faulted", "Charging", "Available"]


async def test_chart_columns_join_measured_and_planned_on_one_time_axis(
    browser_context: BrowserContext, static_page_url: str
) -> None:
    columns = await _run_module_code(
        browser_context,
        static_page_url,
        "chart.js",
        """const t = (hhmm) => new Date(`2026-11-23T${hhmm}:00Z`);
           const plan = (a, b) => [a, b];
           return m.chartColumns({
             horizon: { slotStarts: [t("06:00"), t("06:15")], slotDurationH: [0.25, 0.25],
                        gridImportLimitKw: plan(500, 500), pvKw: plan(0, 5), baseLoadKw: plan(50, 60),
                        evPowerPlannedKw: plan(100, 200), gridImportPlannedKw: plan(150, 255),
                        tariffBand: ["F3", "F2"] },
             measured: { at: [t("05:50")], evPowerKw: [90], gridImportKw: [140], pvKw: [2], baseLoadKw: [52] },
           });""",
    )
    t0 = 1_795_413_600  # 2026-11-23T06:00:00Z [s]
    assert columns[0] == [t0 - 600, t0, t0 + 900, t0 + 1800]
    # The last slot's value is repeated at the horizon's end so its step is drawn.
    assert columns[1] == [None, 100, 200, 200]  # EV load, planned
    assert columns[2] == [90, None, None, None]  # EV load, measured
    assert columns[7] == [None, 500, 500, 500]  # grid import limit
    assert columns[8] == [2, None, None, None]  # PV, measured
    assert columns[9] == [52, None, None, None]  # base load, measured


async def test_bad_api_data_is_rejected_naming_the_field(browser_context: BrowserContext, static_page_url: str) -> None:
    messages = await _run_module_code(
        browser_context,
        static_page_url,
        "shapes.js",
        """const attempt = (f) => { try { f(); return "accepted"; } catch (e) { return `${e.name}: ${e.message}`; } };
           const connector = { connector_id: 1, status: "Charging", power_kw: "lots", limit_kw: null };
           return [
             attempt(() => m.parseChargePoints([{ id: "MI-DC-03", kind: "DC", max_power_kw: 50, connected: true,
                                                  connectors: [connector] }])),
             attempt(() => m.parseSite({ site_id: "x", name: "x", timezone: "Mars/Olympus" })),
           ];""",
    )
    assert messages == [
        "ShapeError: /api/v1/charge-points MI-DC-03.connectors[0].power_kw: expected a number, got string",
        'ShapeError: /api/v1/site timezone: unknown time zone "Mars/Olympus"',
    ]


async def test_bad_charger_reports_are_rejected_naming_the_field(
    browser_context: BrowserContext, static_page_url: str
) -> None:
    messages = await _run_module_code(
        browser_context,
        static_page_url,
        "shapes_detail.js",
        """const attempt = (f) => { try { f(); return "accepted"; } catch (e) { return `${e.name}: ${e.message}`; } };
           const failsafe = { profile_id: 1, purpose: "TxDefaultProfile", stack_level: 0, transaction_id: null,
                              start_at: null, rate_unit: "W", limit_now_kw: 6.3, periods: [] };
           const connector = (evNeeds) => ({ connector_id: 1, status: "Charging", error_code: "NoError", power_kw: 40,
                                             limit_kw: 45, transaction_id: 7, vehicle_id: null, energy_kwh: 3,
                                             soc_percent: 40, installed_profile: null, ev_needs: evNeeds });
           const needs = { energy_amount_kwh: 42, departure_at: "2026-11-23T15:00:00Z", max_power_kw: 45,
                           soc_percent: 38, reported_at: "2026-11-23T09:00:00Z" };
           const limit = { connector_id: 0, source: "SO", limit_kw: 20, grid_critical: true,
                           since: "2026-11-23T09:05:00Z" };
           const cp = (evNeeds, limits) => ({ id: "MI-DC-01", kind: "DC", max_power_kw: 50, ocpp_version: "2.0.1",
                                              connected: true, last_seen_at: null, vendor: null, model: null,
                                              boot: null, failsafe_profile: failsafe,
                                              connectors: [connector(evNeeds)], external_limits: limits });
           const parsed = m.parseChargePointDetail(cp(needs, [limit]));
           return [
             [parsed.connectors[0].evNeeds.departureAt.toISOString(), parsed.externalLimits[0].gridCritical],
             attempt(() => m.parseChargePointDetail(cp(null, []))),
             attempt(() => m.parseChargePointDetail(cp({ ...needs, energy_amount_kwh: "42" }, []))),
             attempt(() => m.parseChargePointDetail(cp({ ...needs, reported_at: null }, []))),
             attempt(() => m.parseChargePointDetail(cp(null, [{ ...limit, grid_critical: "yes" }]))),
             attempt(() => m.parseChargePointDetail(cp(null, [{ ...limit, since: "10:05" }]))),
             attempt(() => m.parseChargePointDetail(cp(null, undefined))),
           ];""",
    )
    w = "ShapeError: /api/v1/charge-points/{id}"
    assert messages == [
        ["2026-11-23T15:00:00.000Z", True],
        "accepted",
        f"{w} connectors[0].ev_needs.energy_amount_kwh: expected a number, got string",
        f"{w} connectors[0].ev_needs.reported_at: expected a string, got null",
        f"{w} external_limits[0].grid_critical: expected true or false, got string",
        f'{w} external_limits[0].since: not an ISO-8601 time: "10:05"',
        f"{w} external_limits: expected a list, got undefined",
    ]


async def test_what_a_vehicle_asks_and_a_limit_read_in_site_time(
    browser_context: BrowserContext, static_page_url: str
) -> None:
    texts = await _run_module_code(
        browser_context,
        static_page_url,
        "charger_inputs.js",
        """return import("/static/format.js").then(({ siteTimeFormat }) => {
           const format = siteTimeFormat("Europe/Rome");
           const now = new Date("2026-11-23T09:30:00Z");
           const needs = (energyAmountKwh, departureAt, maxPowerKw) =>
             ({ energyAmountKwh, departureAt: departureAt && new Date(departureAt), maxPowerKw });
           const limit = (connectorId, source, limitKw, gridCritical, since) =>
             ({ connectorId, source, limitKw, gridCritical, since: new Date(since) });
           return [
             m.vehicleAsksText(needs(42, "2026-11-23T15:00:00Z", 45), format, now),
             m.vehicleAsksText(needs(7.5, "2026-11-24T05:30:00Z", null), format, now),
             m.vehicleAsksText(needs(null, null, 11), format, now),
             m.vehicleAsksText(needs(null, null, null), format, now),
             m.externalLimitText(limit(0, "SO", 20, true, "2026-11-23T09:05:00Z"), format, now),
             m.externalLimitText(limit(2, "EMS", 35.5, false, "2026-11-22T22:40:00Z"), format, now),
           ];
           });""",
    )
    # Milan is UTC+1 in November; another day than today is named.
    assert texts == [
        "vehicle asks: 42 kWh by 16:00, up to 45 kW",
        "vehicle asks: 7.5 kWh by Tue 24 06:30",
        "vehicle asks: up to 11 kW",
        "vehicle asks: nothing stated",
        "limited by SO (grid critical): 20 kW since 10:05",
        "#2 limited by EMS: 35.5 kW since Sun 22 23:40",
    ]
