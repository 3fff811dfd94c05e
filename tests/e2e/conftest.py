"""Fixtures for the end-to-end tests: a running demo (in this event loop) and a real browser."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from fleet.runtime import RunSettings, Runtime
from fleet.site_config import load_site
from tests.e2e.browser import browser_context, chromium_executable
from tests.e2e.ports import free_port
from tests.e2e.stopping import stop_runtime

__all__ = ["browser_context", "chromium_executable", "demo", "running_demo"]


@asynccontextmanager
async def running_demo(database_url: str) -> AsyncIterator[Runtime]:
    """The whole demo on free loopback ports and the database at ``database_url``; stopped on exit."""
    settings = RunSettings(
        database_url=database_url,
        ocpp_port=free_port(),
        http_port=free_port(),
        simulate=True,
        speedup=60.0,
    )
    runtime = Runtime(load_site(), settings)
    task = asyncio.create_task(runtime.run())
    await asyncio.wait_for(runtime.ready.wait(), 30)
    try:
        yield runtime
    finally:
        await stop_runtime(runtime, task)


@pytest.fixture
async def demo(database_url: str) -> AsyncIterator[Runtime]:
    """The whole demo: OCPP server, API, page, control loop and the 60 simulated chargers."""
    async with running_demo(database_url) as runtime:
        yield runtime
