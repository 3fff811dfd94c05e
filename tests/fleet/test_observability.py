"""Metrics, readiness and JSON logs of a whole runtime: what Prometheus, load balancers and log
collectors get."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from fleet.cli import build_parser
from fleet.observability.logging_json import JsonFormatter
from fleet.observability.metrics import FleetMetrics
from fleet.observability.readiness import ReadinessCheck
from fleet.persistence.store import Store
from fleet.runtime import RunSettings, Runtime
from fleet.site_config import load_site
from tests.databases import Databases
from tests.fleet.conftest import BASE_URL, TEST_KEY, fast_hasher

CHARGER = "MI-AC-01"

FAMILIES = {
    "vettabbia_ocpp_connections_open": "gauge",
    "vettabbia_ocpp_connects": "counter",
    "vettabbia_ocpp_disconnects": "counter",
    "vettabbia_ocpp_messages_received": "counter",
    "vettabbia_ocpp_handler_seconds": "histogram",
    "vettabbia_ocpp_call_errors_sent": "counter",
    "vettabbia_ocpp_outbound_call_seconds": "histogram",
    "vettabbia_plans": "counter",
    "vettabbia_solve_seconds": "histogram",
    "vettabbia_fallback_plans": "counter",
    "vettabbia_last_plan_timestamp_seconds": "gauge",
    "vettabbia_dispatch_results": "counter",
    "vettabbia_database_up": "gauge",
}


def registry_of(rt: Runtime) -> CollectorRegistry:
    assert rt.metrics is not None
    return rt.metrics.registry


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    found = registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


@asynccontextmanager
async def ocpp_listening(rt: Runtime) -> AsyncIterator[str]:
    ready = asyncio.Event()
    server = asyncio.create_task(rt.central.serve("127.0.0.1", 0, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=5)
        yield f"ws://127.0.0.1:{rt.central.listening_port()}"
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)


@contextmanager
def json_lines(logger_name: str) -> Iterator[io.StringIO]:
    """What ``logger_name`` writes, formatted as ``--log-format json`` writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


async def test_a_replan_counts_a_solve_with_its_status_and_time(runtime: Runtime) -> None:
    registry = registry_of(runtime)
    assert value(registry, "vettabbia_solve_seconds_count") == 0

    result = await runtime.control_loop.replan(("test",))
    await runtime.control_loop.replan(("test again",))

    status = result.schedule.status.value
    assert value(registry, "vettabbia_plans_total", status=status) == 2
    assert value(registry, "vettabbia_solve_seconds_count") == 2
    assert value(registry, "vettabbia_solve_seconds_sum") >= result.schedule.solve_time_s
    assert value(registry, "vettabbia_fallback_plans_total") == (2 if status == "fallback" else 0)
    latest = runtime.control_loop.latest
    assert latest is not None
    assert value(registry, "vettabbia_last_plan_timestamp_seconds") == latest.created_at.timestamp()


async def test_metrics_are_prometheus_text_with_every_family(runtime: Runtime, anonymous: httpx.AsyncClient) -> None:
    await runtime.control_loop.replan(("test",))
    await anonymous.get("/health/ready")

    answer = await anonymous.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert {name: families[name].type for name in FAMILIES if name in families} == FAMILIES
    database_up = [s.value for s in families["vettabbia_database_up"].samples]
    assert database_up == [1.0]
    plans = {s.labels.get("status"): s.value for s in families["vettabbia_plans"].samples if s.name.endswith("_total")}
    assert sum(plans.values()) == 1


async def test_two_runtimes_count_apart(databases: Databases) -> None:
    one, two = (
        Runtime(load_site(), RunSettings(database_url=databases.new_url(name, migrated=True), token_key=TEST_KEY))
        for name in ("one", "two")
    )
    try:
        await one.store.migrate()
        await one.control_loop.replan(("test",))
        assert value(registry_of(one), "vettabbia_solve_seconds_count") == 1
        assert value(registry_of(two), "vettabbia_solve_seconds_count") == 0
    finally:
        await one.store.close()
        await two.store.close()


async def test_metrics_can_be_turned_off(database_url: str) -> None:
    settings = RunSettings(database_url=database_url, token_key=TEST_KEY, metrics=False)
    rt = Runtime(load_site(), settings, secret_hasher=fast_hasher())
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rt.app), base_url=BASE_URL) as client:
            answer = await client.get("/metrics")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert build_parser().parse_args(["serve", "--no-metrics"]).no_metrics
    finally:
        await rt.store.close()


async def test_live_answers_while_not_ready_and_ready_names_what_is_missing(
    runtime: Runtime, anonymous: httpx.AsyncClient
) -> None:
    live = await anonymous.get("/health/live")
    assert (live.status_code, live.json()) == (200, {"status": "live"})

    not_ready = await anonymous.get("/health/ready")
    assert not_ready.status_code == 503
    assert not_ready.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = not_ready.json()
    assert problem["status"] == 503
    assert set(problem["not_ready"]) == {"ocpp_listener", "planning"}

    async with ocpp_listening(runtime):
        still = await anonymous.get("/health/ready")
        assert set(still.json()["not_ready"]) == {"planning"}
        await runtime.control_loop.replan(("test",))
        ready = await anonymous.get("/health/ready")

    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_a_database_that_does_not_answer_is_not_ready(tmp_path: Path, database_url: str) -> None:
    metrics = FleetMetrics()
    # A SQLite file in a directory that does not exist cannot be opened, on either backend's pass.
    missing = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    present = Store.from_url(database_url)
    try:
        failing = await ReadinessCheck(missing.ping, lambda: True, lambda: True, metrics).check()
        assert value(metrics.registry, "vettabbia_database_up") == 0
        answering = await ReadinessCheck(present.ping, lambda: True, lambda: True, metrics).check()
        assert value(metrics.registry, "vettabbia_database_up") == 1
    finally:
        await missing.close()
        await present.close()

    assert list(failing.not_ready) == ["database"]
    assert "SELECT 1 failed" in failing.not_ready["database"]
    assert answering.ready


async def test_json_log_lines_name_the_charger_whose_connection_logged_them(runtime: Runtime) -> None:
    with json_lines("ocpp_server") as stream:
        async with (
            ocpp_listening(runtime) as url,
            connect(f"{url}/{CHARGER}", subprotocols=[Subprotocol("ocpp1.6")]) as ws,
        ):
            await ws.send("not json [")
            assert json.loads(await ws.recv())[2] == "FormationViolation"
        logging.getLogger("ocpp_server.test").warning("outside any connection")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    malformed = next(line for line in lines if "malformed frame" in line["message"])
    assert malformed["charge_point_id"] == CHARGER
    assert malformed["level"] == "WARNING"
    assert malformed["logger"] == "ocpp_server.rpc_v16"
    assert malformed["time"].endswith("+00:00")
    assert "charge_point_id" not in lines[-1]
    registry = registry_of(runtime)
    assert value(registry, "vettabbia_ocpp_messages_received_total", action="", message_type="malformed") == 1


def test_json_log_lines_carry_extra_ids_and_exceptions() -> None:
    with json_lines("fleet.test") as stream:
        log = logging.getLogger("fleet.test")
        log.warning("stop of %s", "an unknown transaction", extra={"charge_point_id": "CP9", "transaction_id": 42})
        try:
            raise ValueError("bad meter")
        except ValueError:
            log.exception("failed")

    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "stop of an unknown transaction"
    assert (first["charge_point_id"], first["transaction_id"]) == ("CP9", 42)
    assert second["level"] == "ERROR"
    assert "ValueError: bad meter" in second["exception"]
    assert build_parser().parse_args(["demo", "--log-format", "json"]).log_format == "json"
