"""The `vettabbia` command as a user runs it: a real process, real ports, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from fleet.auth.demo_accounts import DEMO_ACCOUNTS
from tests.e2e.ports import free_port

pytestmark = pytest.mark.e2e

VETTABBIA = [sys.executable, "-m", "fleet.cli"]


def _get(url: str, token: str) -> dict[str, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        data: dict[str, object] = json.load(answer)
        return data


def _demo_operator_token(base_url: str) -> str:
    operator = next(a for a in DEMO_ACCOUNTS if a.name == "operator")
    form = {"grant_type": "password", "username": operator.name, "password": operator.secret}
    request = urllib.request.Request(f"{base_url}/api/v1/auth/token", data=urllib.parse.urlencode(form).encode())
    with urllib.request.urlopen(request, timeout=5) as answer:
        token: str = json.load(answer)["access_token"]
        return token


def test_check_site_names_the_bad_field(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    milan = (Path(__file__).parents[2] / "fleet" / "sites" / "milan.yaml").read_text(encoding="utf-8")
    site.write_text(milan.replace("import_limit_kw: 500", "import_limit_kw: lots"), encoding="utf-8")
    run = subprocess.run([*VETTABBIA, "check-site", str(site)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "site.grid.import_limit_kw: Input should be a valid number" in run.stderr


def test_check_site_summarises_the_bundled_site() -> None:
    run = subprocess.run([*VETTABBIA, "check-site"], capture_output=True, text=True, timeout=60, check=True)
    assert "60 charge points (20 DC, 40 AC), 62 cars, 10 vans, grid limit 500 kW, PV 250 kWp" in run.stdout


# SQLite only, on either backend's pass: the demo as a user starts it, on its default SQLite file.
def test_demo_connects_sixty_chargers_plans_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    http_port, ocpp_port = free_port(), free_port()
    demo = subprocess.Popen(
        [*VETTABBIA, "demo", "--http-port", str(http_port), "--ocpp-port", str(ocpp_port), "--speedup", "120"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        site: dict[str, object] = {}
        while time.monotonic() < deadline:
            try:
                token = _demo_operator_token(f"http://127.0.0.1:{http_port}")
                site = _get(f"http://127.0.0.1:{http_port}/api/v1/site", token)
                schedule = _get(f"http://127.0.0.1:{http_port}/api/v1/schedule", token)
                if site["charge_points_connected"] == 60 and schedule["connectors"]:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert site.get("charge_points_connected") == 60
        assert (tmp_path / "vettabbia-demo.db").exists()
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.communicate()
    assert demo.returncode == 0, output
    assert "stopping" in output
    assert "Traceback" not in output
