"""Property-based fuzzing of the whole OpenAPI schema (schemathesis) against the API on a real socket.

Each operation gets a few generated requests, as an administrator (who may call everything): no
answer may be a 5xx, use an undocumented status or content type, or break its documented schema.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err

from fleet.persistence.access_records import AccountKind
from fleet.runtime import RunSettings, Runtime, vehicle_records
from fleet.site_config import load_site
from tests.e2e.ports import free_port
from tests.fleet.conftest import ACCOUNTS, TEST_KEY, TOKEN_URL, fast_hasher

EXAMPLES_PER_OPERATION = 4
UNBOUNDED_STREAMS = ("/api/v1/events",)
"""Without ``max_events`` the event stream never ends; it is tested in test_fleet_api instead."""


@dataclass
class _Server:
    url: str
    stop: threading.Event


async def _serve(database_url: str, port: int, started: threading.Event, stop: threading.Event) -> None:
    settings = RunSettings(database_url=database_url, token_key=TEST_KEY)
    runtime = Runtime(load_site(), settings, secret_hasher=fast_hasher())
    await runtime.store.migrate()
    await runtime.store.upsert_vehicles(vehicle_records(runtime.site))
    admin = ACCOUNTS["admin"]
    await runtime.auth.create_account(admin.name, AccountKind.USER, admin.role, None, admin.secret)
    # Ready, so that GET /health/ready answers 200: the OCPP listener serves and a plan exists.
    ocpp_ready = asyncio.Event()
    ocpp = asyncio.create_task(runtime.central.serve("127.0.0.1", 0, ready=ocpp_ready))
    await asyncio.wait_for(ocpp_ready.wait(), timeout=10)
    await runtime.control_loop.replan(("fuzz",))
    server = uvicorn.Server(uvicorn.Config(runtime.app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError(f"the API could not start on port {port}")
        await asyncio.sleep(0.02)
    started.set()
    await asyncio.to_thread(stop.wait)
    server.should_exit = True
    await task
    ocpp.cancel()
    await asyncio.gather(ocpp, return_exceptions=True)
    await runtime.store.close()


@pytest.fixture
def server(database_url: str) -> Iterator[_Server]:
    port = free_port()
    started, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(_serve(database_url, port, started, stop)), daemon=True)
    thread.start()
    assert started.wait(30), "the API did not start"
    yield _Server(f"http://127.0.0.1:{port}", stop)
    stop.set()
    thread.join(30)


def test_no_operation_answers_with_a_server_error_or_outside_its_schema(server: _Server) -> None:
    admin = ACCOUNTS["admin"]
    token = httpx.post(
        f"{server.url}{TOKEN_URL}", data={"grant_type": "password", "username": admin.name, "password": admin.secret}
    ).json()["access_token"]
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the fuzzer cannot read: {result.err()}")
            continue
        operation = result.ok()
        if operation.path in UNBOUNDED_STREAMS:
            continue
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}, checks=checks, timeout=30
            )

        try:
            call()
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.label}: {error}")
    assert operations >= 30
    assert failures == [], "\n\n".join(failures)
