"""The README's copy-paste API commands (fleet manager, operator, id tags), run as written against the demo.

Only the address changes (the demo under test listens on a free port, not 8000), so a README that
drifts from the API fails here.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest

from fleet.runtime import Runtime

README = Path(__file__).resolve().parents[2] / "README.md"
README_API = "http://127.0.0.1:8000/api/v1"

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("date") is None, reason="the README's commands need curl and date"
)


def readme_shell_blocks(first_heading: str, end_heading: str) -> list[str]:
    """The ```sh blocks of the README between two headings, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(first_heading)
    end = text.index(end_heading, start)
    return re.findall(r"```sh\n(.*?)```", text[start:end], flags=re.DOTALL)


async def run_shell(script: str, timeout_s: float = 60.0) -> str:
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    assert process.returncode == 0, f"exit {process.returncode}\n{stderr.decode()}\n{stdout.decode()}"
    return stdout.decode()


def test_the_readme_blocks_are_found_and_name_the_default_address() -> None:
    blocks = readme_shell_blocks("### A fleet manager's first five minutes", "## How it works")
    assert len(blocks) == 4
    assert f"API={README_API}" in blocks[0]


@pytest.mark.timeout(180)
async def test_a_fleet_managers_first_five_minutes_and_the_operator_commands_work_as_written(demo: Runtime) -> None:
    await asyncio.wait_for(demo.control_loop.wait_for_plan(), 60)  # a demo that has been running a while
    blocks = readme_shell_blocks("### A fleet manager's first five minutes", "## How it works")
    script = "\n".join(blocks).replace(f"API={README_API}", f"API={demo.http_url}/api/v1")
    output = await run_shell(script)

    # Step 2 added the van, step 3 booked VAN-03: both are in the store, as the fleet manager said.
    vehicle = await demo.store.fleet.get_vehicle("VAN-11")
    assert vehicle is not None
    assert (vehicle.fleet, vehicle.battery_kwh) == ("e-logistics", 52.0)
    booking = (await demo.store.current_bookings())["VAN-03"]
    assert (booking.energy_needed_kwh, booking.priority) == (45.0, 3.0)
    # Step 4 printed VAN-03's readiness, the what-if answered, and the unlock reached the charger.
    documents = _json_documents(output)
    readiness = next(d for d in documents if d.get("vehicle_id") == "VAN-03" and "status" in d)
    assert readiness["status"] in {"ready", "at_risk", "waiting_for_charger", "not_plugged_in"}, readiness
    assert readiness["departure_at"] is not None
    what_if = next(d for d in documents if "ready" in d and "expected_energy_kwh" in d)
    assert (what_if["vehicle_id"], isinstance(what_if["ready"], bool)) == ("VAN-03", True)
    unlock = next(d for d in documents if d.get("action") == "UnlockConnector")
    assert (unlock["charge_point_id"], unlock["outcome"]) == ("MI-AC-01", "CallResult"), unlock
    configuration = next(d for d in documents if d.get("action") == "GetConfiguration")
    assert configuration["outcome"] == "CallResult", configuration
    # The id-tag block: the lost card is blocked, and MI-AC-01 holds the list the operator sent.
    blocked = await demo.store.id_tags.get_id_tag("RFID-CAR-01")
    assert blocked is not None
    assert blocked.info.status == "Blocked"
    version = next(d for d in documents if "charger_version" in d)
    assert (version["stored_version"], version["charger_version"], version["matches"]) == (1, 1, True)


def _json_documents(output: str) -> list[dict[str, object]]:
    """Every JSON object printed by the commands, in order (pretty-printed or on one line)."""
    decoder = json.JSONDecoder()
    documents: list[dict[str, object]] = []
    position = 0
    while (start := output.find("{", position)) != -1:
        try:
            document, position = decoder.raw_decode(output, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        if isinstance(document, dict):
            documents.append(document)
    return documents
