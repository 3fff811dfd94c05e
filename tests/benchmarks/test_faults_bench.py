"""The fault benchmark's core at tiny scale: real controller, gateways, HAProxy, NATS, SQLite, websockets."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import bench_faults
from benchmarks.scale_out.deployment import haproxy_path
from benchmarks.scale_out.faults import FaultPlan, Spread, run_faults

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(
        haproxy_path() is None, reason="HAProxy is not installed: scripts/test installs Debian's haproxy package"
    ),
]


def test_a_spread_takes_nearest_rank_percentiles() -> None:
    spread = Spread.of([float(k) for k in range(1, 21)])

    assert (spread.count, spread.p50_s, spread.p95_s, spread.max_s) == (20, 10.0, 19.0, 20.0)
    assert math.isnan(Spread.of([]).p95_s)


async def test_a_killed_gateway_moves_its_chargers_and_loses_nothing(tmp_path: Path) -> None:
    plan = FaultPlan(chargers=10, scenarios=("gateway",), meter_interval_s=1.0, settle_timeout_s=30.0)

    result = await run_faults(plan)

    gateway = result.gateway
    assert result.streaming == 10
    assert gateway is not None
    assert result.final is not None
    assert sum(gateway.held_before) == 10
    assert gateway.held_before[0] >= 1
    assert gateway.moved == gateway.held_before[0] == gateway.reconnect.count
    assert gateway.tx_profile.count == gateway.failsafe.count == gateway.moved
    assert 0 < gateway.reconnect.p50_s <= gateway.reconnect.max_s <= gateway.tx_profile.max_s < 30.0
    assert gateway.held_after == 10
    assert gateway.connected_after_sweep == 10
    assert gateway.readings_during > 0
    for check in (gateway.ledger, result.final):
        assert check.clean, check.problems
        assert check.readings_lost == check.readings_duplicated == 0
        assert check.readings_stored == check.readings_acknowledged > 10
        assert check.transactions_stored == check.transactions_acknowledged == 10
    assert result.final.stops_stored == result.final.stops_acknowledged == 10
    assert result.controller is None
    assert result.restart is None

    verdict = bench_faults.verdict(result)
    assert verdict["ok"]
    assert verdict["lost"] == 0
    report = bench_faults.write_results(
        tmp_path / "faults.json", "tiny", bench_faults.as_json(result, "test", datetime.now(UTC))
    )
    assert json.loads((tmp_path / "faults.json").read_text()) == report
    bench_faults.write_doc(tmp_path / "faults.md", report)
    page = (tmp_path / "faults.md").read_text()
    assert "kill -> TxProfile again" in page
    assert "lost 0" in page
