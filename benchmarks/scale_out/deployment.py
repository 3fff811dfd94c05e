"""A scale-out deployment as separate processes: one controller, two gateways and HAProxy in front.

Each node is a real ``vettabbia`` process on its own loopback ports, on the NATS server at
127.0.0.1:4222 under a namespace of its own (so that tests and benchmark runs sharing the broker
keep apart) and, for the controller, on the database and site file it is given (the bundled Milan
site by default). Chargers connect to the balancer (``charger_url``), which sends each socket to a
ready gateway and closes the sockets of a gateway whose readiness check fails. Nodes can be killed
(SIGKILL), stopped (SIGTERM) and started again on the same ports. The fault tests and the fault
benchmark both run on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import nats
from nats.js.errors import NotFoundError

from benchmarks.scale_out.ports import free_port, listening_ports
from fleet.bus.subjects import Subjects

HAPROXY: Final = "/usr/sbin/haproxy"
BUS_URL: Final = "nats://127.0.0.1:4222"
TOKEN_KEY: Final = "scale-out-fault-tests-token-signing-key-0123456789"
"""Loopback only, for throw-away deployments: never a production key."""
ADMIN: Final = "faults-admin"
ADMIN_SECRET: Final = "faults-admin-secret"
START_TIMEOUT_S: Final = 45.0
"""A controller loads the optimiser and the site's history: slow on a busy two-core machine."""
STOP_TIMEOUT_S: Final = 30.0
HEALTH_CHECK_INTERVAL_MS: Final = 500


def haproxy_path() -> str | None:
    """Debian's HAProxy, or whatever ``haproxy`` is on the PATH; None when there is none."""
    return HAPROXY if Path(HAPROXY).exists() else shutil.which("haproxy")


def vettabbia_command() -> list[str]:
    """The ``vettabbia`` entry point installed next to this interpreter (the project's venv)."""
    script = Path(sys.executable).with_name("vettabbia")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fleet.cli"]


def _environment() -> dict[str, str]:
    env = os.environ.copy()
    # One key for every controller run: tokens survive a restart, as in production.
    env["VETTABBIA_TOKEN_KEY"] = TOKEN_KEY
    env["VETTABBIA_ACCOUNT_SECRET"] = ADMIN_SECRET
    for name in ("VETTABBIA_BUS_URL", "VETTABBIA_BUS_NAMESPACE", "VETTABBIA_GATEWAY_ID", "VETTABBIA_DATABASE_URL"):
        env.pop(name, None)
    return env


class Node:
    """One child process, its log in a file of its own; ``ready_url`` answers 200 once it serves."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        log: Path,
        ready_url: str | None,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.log = log
        self.ready_url = ready_url
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def start(self) -> None:
        assert not self.running, f"{self.name} runs already"
        with self.log.open("ab") as log:
            # Popen only forks: it returns at once, so the event loop is not held up.
            self.process = subprocess.Popen(  # noqa: ASYNC220
                self.command, stdout=log, stderr=subprocess.STDOUT, env=_environment()
            )
        if self.ready_url is not None:
            await self._wait_ready(self.ready_url)

    async def _wait_ready(self, url: str) -> None:
        deadline = asyncio.get_running_loop().time() + self.start_timeout_s
        port = urlsplit(url).port
        async with httpx.AsyncClient(timeout=2.0) as client:
            while asyncio.get_running_loop().time() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
                # Only the node's own listener counts: another process that took the port between
                # free_port and the node's bind could answer in its stead.
                if port in listening_ports(self.process.pid):
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get(url)).status_code == 200:
                            return
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} not ready within {self.start_timeout_s:g} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no goodbye to chargers, broker or database."""
        assert self.process is not None, f"{self.name} never started"
        assert self.running, f"{self.name} is not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    async def stop(self) -> int | None:
        """SIGTERM, as an orchestrator stops it, then SIGKILL if it lingers; the exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            for _ in range(int(STOP_TIMEOUT_S / 0.1)):
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                process.kill()
                process.wait(timeout=10)
        return process.returncode

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return f"({self.name}: no log)"
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(f"{self.name}| {line}" for line in text[-lines:])


class Deployment:
    """The processes of one test or benchmark run; nothing runs until started.

    Parameters
    ----------
    site
        The controller's site file; None for the bundled Milan site.
    start_timeout_s
        Longest wait for a node to be ready: a controller with thousands of chargers takes longer.
    """

    def __init__(
        self,
        directory: Path,
        database_url: str,
        gateway_count: int = 2,
        site: Path | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        self.directory = directory
        self.database_url = database_url
        self.start_timeout_s = start_timeout_s
        self.namespace = f"faults-{uuid.uuid4().hex[:10]}"
        self.subjects = Subjects(self.namespace)
        bus = ["--bus-url", BUS_URL, "--bus-namespace", self.namespace]
        self.controller_http_port = free_port()
        self.controller = Node(
            "controller",
            [
                *vettabbia_command(),
                "controller",
                *("--database-url", database_url),
                *("--http-port", str(self.controller_http_port)),
                *(("--site", str(site)) if site is not None else ()),
                *bus,
            ],
            directory / "controller.log",
            f"{self.api_url}/health/ready",
            start_timeout_s,
        )
        self.gateway_ports: list[tuple[int, int]] = [(free_port(), free_port()) for _ in range(gateway_count)]
        self.gateways = [
            Node(
                f"gateway-{index}",
                [
                    *vettabbia_command(),
                    "gateway",
                    *("--gateway-id", f"gw-{index}"),
                    *("--ocpp-port", str(ocpp_port), "--http-port", str(http_port)),
                    *bus,
                ],
                directory / f"gateway-{index}.log",
                f"http://127.0.0.1:{http_port}/health/ready",
                start_timeout_s,
            )
            for index, (ocpp_port, http_port) in enumerate(self.gateway_ports)
        ]
        self.balancer_port = free_port()
        config = directory / "haproxy.cfg"
        config.write_text(self._haproxy_config(), encoding="utf-8")
        self.balancer = Node(
            "haproxy", [haproxy_path() or HAPROXY, "-db", "-f", str(config)], directory / "haproxy.log", None
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.controller_http_port}"

    @property
    def charger_url(self) -> str:
        """Where chargers connect: the balancer."""
        return f"ws://127.0.0.1:{self.balancer_port}"

    def nodes(self) -> list[Node]:
        return [self.balancer, *self.gateways, self.controller]

    def _haproxy_config(self) -> str:
        servers = "\n".join(
            f"    server gw-{index} 127.0.0.1:{ocpp_port} check port {http_port}"
            for index, (ocpp_port, http_port) in enumerate(self.gateway_ports)
        )
        # docker/haproxy.cfg, on fixed loopback ports and with checks fast enough for a test. A
        # connection refused by a dead gateway not yet marked down is retried on the other one.
        return f"""global
    log stdout format raw local0 info

defaults
    mode tcp
    log global
    option tcplog
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout check 1s

frontend ocpp
    bind 127.0.0.1:{self.balancer_port}
    default_backend gateways

backend gateways
    balance leastconn
    option httpchk
    http-check send meth GET uri /health/ready
    http-check expect status 200
    default-server inter {HEALTH_CHECK_INTERVAL_MS}ms fall 1 rise 1 on-marked-down shutdown-sessions
{servers}
"""

    async def create_admin(self) -> None:
        """An administrator account in the database (the way an operator makes the first one)."""
        command = [*vettabbia_command(), "create-account", ADMIN, "--role", "admin"]
        command += ["--database-url", self.database_url]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=_environment()
        )
        output, _ = await asyncio.wait_for(process.communicate(), self.start_timeout_s)
        assert process.returncode == 0, output.decode(errors="replace")

    async def start(self) -> None:
        """The controller, the gateways, then the balancer in front of them."""
        await self.create_admin()
        await self.controller.start()
        await asyncio.gather(*(gateway.start() for gateway in self.gateways))
        await self.balancer.start()
        await self.wait_balancer()

    async def wait_balancer(self) -> None:
        """Until the balancer accepts connections."""
        for _ in range(200):
            assert self.balancer.running, self.balancer.tail()
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.balancer_port)
                writer.close()
                await writer.wait_closed()
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the balancer does not listen:\n{self.balancer.tail()}")

    async def token(self) -> str:
        async with httpx.AsyncClient(base_url=self.api_url, timeout=10.0) as client:
            answer = await client.post(
                "/api/v1/auth/token", data={"grant_type": "password", "username": ADMIN, "password": ADMIN_SECRET}
            )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    async def charge_points(self) -> dict[str, dict[str, Any]]:
        """What the controller's API shows of each charge point, by id."""
        token = await self.token()
        async with httpx.AsyncClient(base_url=self.api_url, timeout=10.0) as client:
            answer = await client.get("/api/v1/charge-points", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return {cp["id"]: cp for cp in answer.json()}

    async def connected_chargers(self) -> set[str]:
        """The chargers the controller's API shows as connected."""
        return {cp_id for cp_id, cp in (await self.charge_points()).items() if cp["connected"]}

    async def gateway_connections(self, index: int) -> int:
        """Charger websockets gateway ``index`` serves now (its Prometheus gauge)."""
        _, http_port = self.gateway_ports[index]
        async with httpx.AsyncClient(timeout=5.0) as client:
            answer = await client.get(f"http://127.0.0.1:{http_port}/metrics")
        for line in answer.text.splitlines():
            if line.startswith("vettabbia_ocpp_connections_open "):
                return int(float(line.split()[1]))
        raise AssertionError(f"no connection gauge in gateway-{index}'s metrics")

    def logs(self) -> str:
        return "\n".join(node.tail() for node in self.nodes())

    async def stop(self) -> dict[str, int | None]:
        """Every node still running, balancer first (so chargers stop reconnecting); exit codes."""
        return {node.name: await node.stop() for node in self.nodes()}

    async def delete_bus_state(self) -> None:
        """The stream and bucket of this run's namespace: the broker outlives the run."""
        client = await nats.connect(BUS_URL, connect_timeout=5)
        try:
            js = client.jetstream()
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(self.subjects.event_stream)
            with contextlib.suppress(NotFoundError):
                await js.delete_key_value(self.subjects.state_bucket)
        finally:
            await client.close()


@contextlib.asynccontextmanager
async def running_deployment(
    directory: Path, database_url: str, site: Path | None = None, start_timeout_s: float = START_TIMEOUT_S
) -> AsyncIterator[Deployment]:
    """A started deployment; every process stopped and the bus state deleted on exit."""
    deployment = Deployment(directory, database_url, site=site, start_timeout_s=start_timeout_s)
    try:
        await deployment.start()
        yield deployment
    finally:
        await deployment.stop()
        await deployment.delete_bus_state()
