"""The scale-out benchmark's core, at tiny scale: real controller, gateways, NATS, SQLite, websockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks import bench_scale_out
from benchmarks.scale_out import nodes, ports
from benchmarks.scale_out.nodes import plan_lines, remove_bus_state, start_gateway, wait_ready
from benchmarks.scale_out.run import ScaleOutPlan, run_scale_out
from benchmarks.scale_out.site_file import FAILSAFE_KW, bench_site
from fleet.site_config import parse_site

pytestmark = pytest.mark.timeout(90)


def test_the_generated_site_is_valid_and_leaves_the_optimiser_room_for_part_of_the_vehicles() -> None:
    site = bench_site(chargers=50, vehicles=10)

    config = parse_site(site.as_data())

    assert len(config.charge_points) == 50
    assert {v.id_tag for v in config.vehicles} == set(site.id_tags)
    room_kw = config.site.grid.import_limit_kw - 50 * FAILSAFE_KW - config.site.base_load.max_kw
    assert 0 < room_kw - config.planning.grid_margin_kw < sum(v.max_ac_kw for v in config.vehicles)


def test_plan_lines_are_read_from_the_controller_log() -> None:
    log = (
        "2026-01-01 10:00:00,000 INFO    fleet.control_loop: plan 7: optimal, 12 vehicles, unmet 0.4 kWh, "
        "0.38 s (plug-in on SO-00003/1); 12 profiles sent, 1 failed\n"
        "2026-01-01 10:00:01,000 INFO    other: plan nothing\n"
    )

    (line,) = plan_lines(log)

    assert (line.plan_id, line.vehicles, line.seconds, line.profiles_sent, line.profiles_failed) == (7, 12, 0.38, 12, 1)
    assert line.reasons == "plug-in on SO-00003/1"


def test_a_tiny_run_connects_everything_answers_every_message_and_times_every_plug_in(tmp_path: Path) -> None:
    plan = ScaleOutPlan(chargers=20, interval_s=2.0, run_s=8.0, plug_ins=3, warm_plug_ins=2, drain_s=15.0)

    result = asyncio.run(run_scale_out(plan))

    assert result.chargers_connected == 20
    assert result.held_by_load == 20
    assert result.held_by_gateways == 20
    messages = {m.action: m for m in result.messages}
    for action in ("Heartbeat", "MeterValues"):
        assert messages[action].sent >= 20 * (8 // 2) - 2
        assert messages[action].answered == messages[action].sent
        assert messages[action].call_errors == 0
        assert 0 < messages[action].p50_ms <= messages[action].p99_ms
    assert messages["StartTransaction"].answered == 3
    assert result.unanswered == 0
    assert result.unexpected == 0
    assert result.plug_ins is not None
    assert (result.plug_ins.count, result.plug_ins.with_profile, result.plug_ins.errors) == (3, 3, ())
    # The re-plan waits for the site's quiet time (0.2 s) before it plans: no profile can come sooner.
    assert 0.2 < result.plug_ins.p50_s <= result.plug_ins.max_s < 30.0
    assert result.warm_plug_ins is not None
    assert result.warm_plug_ins.with_profile == 2
    assert result.plans_in_run
    assert all(p.vehicles >= 2 for p in result.plans_in_run)
    assert result.backlog_end == 0
    assert [n.name for n in result.nodes] == ["controller", "gw1", "gw2"]
    for node in result.nodes:
        assert node.cpu_s > 0
        assert 0 < node.rss_idle_bytes <= node.peak_rss_bytes
    assert sum(n.connections or 0 for n in result.nodes) == 20
    assert result.answered_per_s == pytest.approx(result.offered_per_s, rel=0.2)

    report = bench_scale_out.write_results(
        tmp_path / "scale_out.json", "default", bench_scale_out.as_json(result, "test", datetime.now(UTC))
    )
    doc = tmp_path / "scale_out.md"
    bench_scale_out.write_doc(doc, report)
    saved = json.loads((tmp_path / "scale_out.json").read_text())
    assert saved["runs"]["default"]["result"]["chargers_connected"] == 20
    assert not math.isnan(saved["runs"]["default"]["goal"]["plug_in_p95_s"])
    assert "plug-in to TxProfile" in doc.read_text()


class _AlwaysReady(BaseHTTPRequestHandler):
    """Another process's server: answers every request with 200, as a ready node would."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test's output is the gateway's log."""


@contextlib.contextmanager
def _server_on_a_port() -> Iterator[int]:
    server = ThreadingHTTPServer((ports.HOST, 0), _AlwaysReady)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_ports_are_handed_out_below_the_ephemeral_range_where_no_client_takes_them() -> None:
    low, _ = ports.ephemeral_range()
    handed = {ports.free_port() for _ in range(20)}

    assert all(ports.LOWEST_PORT <= port < low for port in handed)
    for port in handed:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((ports.HOST, port))


def test_listening_ports_tell_whose_a_port_is() -> None:
    with _server_on_a_port() as port:
        assert port in ports.listening_ports(os.getpid())
        # A client's socket is no listener.
        with socket.create_connection((ports.HOST, port)) as client:
            assert client.getsockname()[1] not in ports.listening_ports(os.getpid())
    assert port not in ports.listening_ports(os.getpid())
    assert ports.listening_ports(2**22 + 1) == set()  # above Linux's highest pid: no such process


@pytest.mark.parametrize("taken", ["http", "ocpp"])
def test_a_gateway_whose_port_was_taken_before_it_bound_it_starts_again_on_new_ports(
    taken: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between the harness choosing a port and the gateway binding it, another process took it: here
    # a server that even answers /health/ready, so that only the gateway's own sockets tell.
    namespace = f"scale_ports_{uuid.uuid4().hex[:10]}"
    with _server_on_a_port() as held_port:
        handed = iter([held_port] if taken == "http" else [ports.free_port(), held_port])
        monkeypatch.setattr(nodes, "free_port", lambda: next(handed, None) or ports.free_port())
        gateway = start_gateway("gw-ports", "nats://127.0.0.1:4222", namespace, tmp_path / "gw.log")
        try:
            wait_ready([gateway], 60.0)

            assert gateway.starts == 2
            assert held_port not in gateway.ports.all()
            assert gateway.ports.all() <= ports.listening_ports(gateway.pid)
            assert gateway.metric("vettabbia_ocpp_connections_open") == 0
        finally:
            gateway.stop()
            asyncio.run(remove_bus_state("nats://127.0.0.1:4222", namespace))
