"""The OCPP load benchmark's harness works: frames, and a quick run of both modes on loopback."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks import bench_ocpp
from benchmarks.ocpp_load.run import percentile_ms
from benchmarks.ocpp_load.wire import (
    OPCODE_TEXT,
    CallTemplate,
    call_text,
    read_server_frames,
)


def _unmask(frame: bytes) -> tuple[int, bytes]:
    """Opcode and payload of one masked client frame."""
    length = frame[1] & 0x7F
    at = 2
    if length == 126:
        length, at = int.from_bytes(frame[2:4], "big"), 4
    mask = frame[at : at + 4]
    payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(frame[at + 4 :]))
    assert len(payload) == length
    return frame[0] & 0x0F, payload


@pytest.mark.parametrize("body", ["{}", '{"connectorId":1,"meterValue":[' + '{"x":"' + "y" * 200 + '"}]}'])
def test_a_call_template_carries_each_unique_id_in_a_valid_masked_frame(body: str) -> None:
    template = CallTemplate.build(call_text("MeterValues", body))

    for unique_id in (1, 42, 9_999_999_999):
        opcode, payload = _unmask(template.frame(unique_id))
        assert opcode == OPCODE_TEXT
        assert json.loads(payload) == [2, f"{unique_id:010d}", "MeterValues", json.loads(body)]


def test_server_frames_are_read_whole_and_partial_ones_wait() -> None:
    short = bytes([0x81, 3]) + b"abc"
    long_payload = b"z" * 300
    long = bytes([0x81, 126]) + len(long_payload).to_bytes(2, "big") + long_payload
    buffer = bytearray(short + long[:100])

    first = read_server_frames(buffer)
    buffer += long[100:]
    second = read_server_frames(buffer)

    assert [f.payload for f in first] == [b"abc"]
    assert [f.payload for f in second] == [long_payload]
    assert buffer == bytearray()


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    samples_s = [0.001 * n for n in range(1, 101)]

    assert percentile_ms(samples_s, 0.50) == pytest.approx(50.0)
    assert percentile_ms(samples_s, 0.99) == pytest.approx(99.0)
    assert math.isnan(percentile_ms([], 0.99))


def test_the_quick_run_serves_both_modes_and_writes_its_report(tmp_path: Path) -> None:
    output = tmp_path / "ocpp.json"

    bench_ocpp.main(["--quick", "--chargers", "6", "--rates", "12", "--rung-s", "1", "--output", str(output)])

    report = json.loads(output.read_text())
    assert [mode["mode"] for mode in report["modes"]] == ["stock", "ours"]
    for mode in report["modes"]:
        assert mode["held_at_end"] == 6
        assert mode["chargers_connected"] == 6
        assert math.isfinite(mode["kib_per_connection"])
        (rung,) = mode["rungs"]
        assert rung["answered"] > 0
        assert rung["call_errors"] == 0
        assert rung["unexpected"] == 0
        assert rung["server_meter_values"] >= rung["answered"]
        assert rung["p50_ms"] > 0
    assert report["plan"]["chargers"] == 6
    assert report["table"][0].startswith("mode")
