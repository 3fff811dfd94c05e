"""The scale-out benchmark's core, at tiny scale: real controller, gateways, NATS, SQLite, websockets."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import bench_scale_out
from benchmarks.scale_out.nodes import plan_lines
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
