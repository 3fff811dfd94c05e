"""The container files, checked without a Docker engine: what they run exists and they agree with the code.

What can run here runs for real: the image's health check against a running ``vettabbia serve``,
the compose file's NATS command on the local ``nats-server``, and ``haproxy -c`` on the load
balancer's configuration (each skipped, saying why, when its program is not installed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from fleet.api.routes_health import router as health_router
from fleet.cli import build_parser
from fleet.gateway_http import create_gateway_app

ROOT = Path(__file__).parents[1]
DOCKER = ROOT / "docker"
IMAGE_SERVICES = {"gateway", "controller"}
DURATION_UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
START_TIMEOUT_S = 30.0


def _yaml(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DOCKER / name).read_text(encoding="utf-8"))
    return loaded


def _compose() -> dict[str, Any]:
    return _yaml("compose.yaml")


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _demo_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _yaml("compose.demo.yaml")["services"]
    return services


def _dockerfile_instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", "", text)
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _health_check_command() -> str:
    checks = [line for line in _dockerfile_instructions() if line.startswith("HEALTHCHECK ")]
    assert len(checks) == 1
    match = re.search(r"\sCMD (.+)$", checks[0])
    assert match is not None, "the HEALTHCHECK needs a command"
    assert not match.group(1).startswith("["), "shell form, so that ${VETTABBIA_HTTP_PORT} is expanded"
    return match.group(1)


def _parse(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def _haproxy_sections() -> dict[str, list[list[str]]]:
    """haproxy.cfg as ``{"backend gateways": [[keyword, arg, ...], ...]}``."""
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for raw in (DOCKER / "haproxy.cfg").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        words = line.split()
        if not raw[0].isspace():
            current = sections.setdefault(" ".join(words), [])
        else:
            current.append(words)
    return sections


def _directive(section: list[list[str]], *keyword: str) -> list[str]:
    found = [words[len(keyword) :] for words in section if tuple(words[: len(keyword)]) == keyword]
    assert len(found) == 1, f"expected one {' '.join(keyword)!r}, found {len(found)}"
    return found[0]


def _duration_s(text: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", text)
    assert match is not None, text
    return int(match.group(1)) * DURATION_UNITS_S[match.group(2) or "ms"]


def _option_value(argv: list[str], flag: str) -> str:
    assert argv.count(flag) == 1, f"{flag} once in {argv}"
    return argv[argv.index(flag) + 1]


def _published(service: dict[str, Any]) -> list[tuple[int, int]]:
    pairs = []
    for entry in service["ports"]:
        host, container = str(entry).split(":")
        pairs.append((int(host), int(container)))
    return pairs


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_image_entry_point_is_the_console_script() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["vettabbia"]' in dockerfile
    assert 'vettabbia = "fleet.cli:main"' in pyproject
    assert re.search(r"^USER vettabbia$", dockerfile, re.MULTILINE), "the image must not run as root"
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2, "multi-stage: no build tools in the image"
    for package in ("optimizer", "ocpp_server", "fleet", "forecasts"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_image_default_command_is_serve_on_every_interface() -> None:
    cmd = [line for line in _dockerfile_instructions() if line.startswith("CMD ")]
    assert len(cmd) == 1
    args = _parse(yaml.safe_load(cmd[0].removeprefix("CMD ")))
    assert args.command == "serve"
    assert args.http_host == args.ocpp_host == "0.0.0.0"


def test_every_service_on_the_image_runs_its_role_on_every_interface() -> None:
    services = _services()
    on_image = {name for name, service in services.items() if "build" in service}
    assert on_image == IMAGE_SERVICES
    for name in IMAGE_SERVICES:
        args = _parse(services[name]["command"])
        assert args.command == name, "each service is named after the role it runs"
        assert args.http_host == "0.0.0.0"
        assert getattr(args, "ocpp_host", "0.0.0.0") == "0.0.0.0"
    demo = _parse(_demo_services()["controller"]["command"])
    assert (demo.command, demo.demo, demo.http_host) == ("controller", True, "0.0.0.0")


def test_the_demo_override_changes_only_the_controller() -> None:
    assert set(_demo_services()) == {"controller"}
    assert set(_demo_services()["controller"]) <= {"command", "depends_on"}


def test_gateways_run_two_replicas_without_a_shared_node_name() -> None:
    gateway = _services()["gateway"]
    assert gateway["deploy"]["replicas"] == 2
    # Replicas share their environment: a fixed name would give every gateway the same one.
    assert "VETTABBIA_GATEWAY_ID" not in gateway.get("environment", {})
    assert "ports" not in gateway, "replicas cannot share a host port"
    assert "container_name" not in gateway, "replicas cannot share a name"


def test_compose_sets_only_settings_the_code_reads() -> None:
    sources = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "fleet").rglob("*.py"))
    services = _services()
    for name in IMAGE_SERVICES:
        for variable in services[name].get("environment", {}):
            assert f'"{variable}"' in sources, f"{name} sets {variable}, which nothing in fleet/ reads"
    assert set(services["gateway"]["environment"]) == {"VETTABBIA_BUS_URL"}
    assert set(services["controller"]["environment"]) == {
        "VETTABBIA_DATABASE_URL",
        "VETTABBIA_BUS_URL",
        "VETTABBIA_TOKEN_KEY",
    }


def test_token_key_comes_from_the_environment_or_compose_stops() -> None:
    value = _services()["controller"]["environment"]["VETTABBIA_TOKEN_KEY"]
    assert re.fullmatch(r"\$\{VETTABBIA_TOKEN_KEY:\?[^${}]+\}", value), value


def test_bus_url_names_the_nats_service_and_its_port() -> None:
    services = _services()
    nats = services["nats"]
    command: list[str] = nats["command"]
    assert "-js" in command, "the bus needs JetStream"
    store = _option_value(command, "-sd")
    assert any(str(volume).endswith(f":{store}") for volume in nats["volumes"]), "the JetStream store on a volume"
    client_port = int(_option_value(command, "-p"))
    for name in IMAGE_SERVICES:
        url = urlsplit(services[name]["environment"]["VETTABBIA_BUS_URL"])
        assert (url.scheme, url.hostname, url.port) == ("nats", "nats", client_port)
    monitor_port = int(_option_value(command, "-m"))
    assert f"http://127.0.0.1:{monitor_port}/healthz" in " ".join(nats["healthcheck"]["test"])


def test_database_url_matches_the_db_service() -> None:
    services = _services()
    url = services["controller"]["environment"]["VETTABBIA_DATABASE_URL"]
    assert url.startswith("postgresql://")
    db = services["db"]["environment"]
    assert url == f"postgresql://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/{db['POSTGRES_DB']}"


def test_services_wait_for_what_they_need() -> None:
    services = _services()

    def healthy(name: str, merged: dict[str, dict[str, Any]]) -> set[str]:
        return {dep for dep, how in merged[name]["depends_on"].items() if how["condition"] == "service_healthy"}

    assert healthy("controller", services) == {"db", "nats"}
    assert healthy("gateway", services) == {"nats"}
    assert healthy("controller", _demo_services()) == {"gateway"}
    assert "lb" in _demo_services()["controller"]["depends_on"]
    for merged in (services, _demo_services()):
        for name, service in merged.items():
            for dep, how in service.get("depends_on", {}).items():
                assert dep in services, f"{name} waits for {dep}, which is not a service"
                if how["condition"] == "service_healthy":
                    # Services on the image inherit its HEALTHCHECK; the others need their own.
                    assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy, which has no check"
                    assert "test" in services[dep]["healthcheck"] or dep in IMAGE_SERVICES


def test_load_balancer_forwards_to_the_gateways_ports() -> None:
    services = _services()
    gateway = _parse(services["gateway"]["command"])
    sections = _haproxy_sections()

    frontend_port = int(_directive(sections["frontend ocpp"], "bind")[0].rsplit(":", 1)[1])
    assert _published(services["lb"]) == [(frontend_port, frontend_port)]
    charger_url = urlsplit(_parse(_demo_services()["controller"]["command"]).charger_url)
    assert (charger_url.scheme, charger_url.hostname, charger_url.port) == ("ws", "lb", frontend_port)

    backend = sections["backend gateways"]
    _name, _slots, target = _directive(backend, "server-template")
    host, port = target.rsplit(":", 1)
    assert host == "gateway"
    assert int(port) == gateway.ocpp_port
    assert _directive(backend, "balance") == ["leastconn"]

    defaults = _directive(backend, "default-server")
    assert "check" in defaults
    assert int(defaults[defaults.index("port") + 1]) == gateway.http_port
    assert defaults[defaults.index("resolvers") + 1] == "docker"
    assert "resolvers docker" in sections
    assert _directive(sections["resolvers docker"], "nameserver")[1] == "127.0.0.11:53", "Docker's embedded DNS"
    assert "on-marked-down" in defaults
    assert defaults[defaults.index("on-marked-down") + 1] == "shutdown-sessions"

    check = _directive(backend, "http-check", "send")
    assert check[check.index("uri") + 1] == "/health/ready"
    assert _directive(backend, "http-check", "expect") == ["status", "200"]
    gateway_app = create_gateway_app(bus_connected=lambda: True, ocpp_serving=lambda: True, metrics=None)
    assert "/health/ready" in {getattr(route, "path", "") for route in gateway_app.routes}

    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in services["lb"]["volumes"]


def test_load_balancer_keeps_websockets_open_for_long() -> None:
    defaults = _haproxy_sections()["defaults"]
    assert _directive(defaults, "mode") == ["tcp"]
    for side in ("client", "server"):
        assert _duration_s(_directive(defaults, "timeout", side)[0]) >= 3600


def test_health_check_asks_a_route_every_role_serves() -> None:
    urls = re.findall(r"http://[^'\"\s]+", _health_check_command())
    assert urls == ["http://127.0.0.1:${VETTABBIA_HTTP_PORT:-8000}/health/live"]
    gateway_app = create_gateway_app(bus_connected=lambda: True, ocpp_serving=lambda: True, metrics=None)
    for routes in (health_router.routes, gateway_app.routes):
        assert "/health/live" in {getattr(route, "path", "") for route in routes}


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[int]:
    """``vettabbia serve`` on loopback and free ports: the image's default role; yields its HTTP port."""
    http_port, ocpp_port = _free_port(), _free_port()
    argv = [str(Path(sys.executable).parent / "vettabbia"), "serve", "--database-url", f"sqlite:///{tmp_path / 'v.db'}"]
    argv += ["--http-host", "127.0.0.1", "--http-port", str(http_port), "--ocpp-host", "127.0.0.1"]
    argv += ["--ocpp-port", str(ocpp_port)]
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(argv, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text(encoding="utf-8")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health/live", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "vettabbia serve did not answer in time"
                time.sleep(0.2)
        yield http_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def _run_health_check(http_port: int) -> int:
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "VETTABBIA_HTTP_PORT": str(http_port),
    }
    done = subprocess.run(["/bin/sh", "-c", _health_check_command()], env=env, capture_output=True, timeout=15)
    return done.returncode


def test_health_check_passes_on_a_running_process_and_fails_without_one(serving: int) -> None:
    assert _run_health_check(serving) == 0
    assert _run_health_check(_free_port()) != 0


@pytest.mark.skipif(
    shutil.which("haproxy") is None, reason="haproxy is not installed (Debian: apt-get install haproxy)"
)
def test_haproxy_accepts_the_configuration() -> None:
    haproxy = shutil.which("haproxy")
    assert haproxy is not None
    done = subprocess.run(
        [haproxy, "-c", "-f", str(DOCKER / "haproxy.cfg")], capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("nats-server") is None, reason="nats-server is not installed")
def test_the_nats_command_runs_jetstream_with_its_store_where_compose_puts_it(tmp_path: Path) -> None:
    command: list[str] = list(_services()["nats"]["command"])
    assert command[0] == "nats-server"
    client_port, monitor_port = _free_port(), _free_port()
    replaced = {"-p": str(client_port), "-m": str(monitor_port), "-sd": str(tmp_path / "store")}
    for flag, value in replaced.items():
        command[command.index(flag) + 1] = value
    health_url = _services()["nats"]["healthcheck"]["test"][-1].replace(":8222/", f":{monitor_port}/")
    nats_server = shutil.which("nats-server")
    assert nats_server is not None
    process = subprocess.Popen([nats_server, *command[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, "nats-server refused the compose file's options"
            try:
                with urllib.request.urlopen(health_url, timeout=1) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "nats-server did not answer in time"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/jsz", timeout=5) as answer:
            jetstream = json.loads(answer.read())
        assert jetstream["config"]["store_dir"].startswith(str(tmp_path / "store"))
        with socket.create_connection(("127.0.0.1", client_port), timeout=5) as client:
            assert client.recv(4).startswith(b"INFO")
    finally:
        process.terminate()
        process.wait(timeout=10)
