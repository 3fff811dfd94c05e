"""The site file: the bundled Milan site, and wrong files refused with the field named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.site_config import SiteConfigError, load_site, parse_site


def _milan_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (Path(__file__).parents[2] / "fleet" / "sites" / "milan.yaml").read_text(encoding="utf-8")
    )
    return data


def test_bundled_milan_site_matches_the_stated_figures() -> None:
    site = load_site()
    assert len(site.charge_points) == 60
    assert sum(1 for c in site.charge_points if c.kind == "DC" and c.max_power_kw == 50) == 20
    assert sum(1 for c in site.charge_points if c.kind == "AC" and c.max_power_kw == 22) == 40
    assert all(c.rate_unit == "W" for c in site.charge_points if c.kind == "DC")
    assert all(c.rate_unit == "A" and c.min_current_a == 6 for c in site.charge_points if c.kind == "AC")
    assert sum(1 for v in site.vehicles if v.vehicle_class == "car") == 62
    assert sum(1 for v in site.vehicles if v.vehicle_class == "van") == 10
    assert site.site.parking_bays == 125
    assert site.site.grid.import_limit_kw == 500
    assert sum(a.peak_power_kwp for a in site.site.pv_arrays) == 250
    assert site.site.location.timezone == "Europe/Rome"


def test_failsafe_keeps_the_whole_site_under_its_limit() -> None:
    site = load_site()
    worst_kw = site.connector_count * site.planning.failsafe_limit_kw + site.site.base_load.max_kw
    assert worst_kw <= site.site.grid.import_limit_kw


def test_negative_grid_limit_is_named() -> None:
    data = _milan_data()
    data["site"]["grid"]["import_limit_kw"] = -5
    with pytest.raises(SiteConfigError, match=r"site\.grid\.import_limit_kw: Input should be greater than 0"):
        parse_site(data)


def test_unknown_field_is_refused() -> None:
    data = _milan_data()
    data["charge_points"][3]["max_power"] = 22
    with pytest.raises(SiteConfigError, match=r"charge_points\.3\.max_power: Extra inputs are not permitted"):
        parse_site(data)


def test_repeated_charge_point_id_is_refused() -> None:
    data = _milan_data()
    data["charge_points"][1]["id"] = data["charge_points"][0]["id"]
    with pytest.raises(SiteConfigError, match=r"charge_points\.id: repeated MI-DC-01"):
        parse_site(data)


def test_repeated_id_tag_is_refused() -> None:
    data = _milan_data()
    data["vehicles"][5]["id_tag"] = data["vehicles"][4]["id_tag"]
    with pytest.raises(SiteConfigError, match=r"vehicles\.id_tag: repeated RFID-CAR-05"):
        parse_site(data)


def test_failsafe_too_high_for_the_grid_is_refused() -> None:
    data = _milan_data()
    data["planning"]["failsafe_limit_kw"] = 7.0
    with pytest.raises(SiteConfigError, match=r"planning.failsafe_limit_kw: 60 connectors x 7.0 kW"):
        parse_site(data)


def test_unknown_time_zone_is_refused() -> None:
    data = _milan_data()
    data["site"]["location"]["timezone"] = "Europe/Milano"
    with pytest.raises(SiteConfigError, match=r"site.location.timezone: Value error, unknown time zone"):
        parse_site(data)


def test_ac_minimum_current_above_maximum_is_refused() -> None:
    data = _milan_data()
    data["charge_points"][25].update(max_power_kw=3, min_current_a=6)
    with pytest.raises(SiteConfigError, match=r"charge_points.25: Value error, min_current_a 6.0 is above"):
        parse_site(data)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError, match="cannot read site file"):
        load_site(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("site: [unclosed", encoding="utf-8")
    with pytest.raises(SiteConfigError, match="is not valid YAML"):
        load_site(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SiteConfigError, match="is not valid"):
        load_site(empty)


def test_with_planning_changes_only_the_named_settings() -> None:
    site = load_site()

    changed = site.with_planning(fine_horizon_h=2.0, coarse_slot_min=30)

    assert (changed.planning.fine_horizon_h, changed.planning.coarse_slot_min) == (2.0, 30)
    assert changed.planning.model_copy(update={"fine_horizon_h": None, "coarse_slot_min": 60}) == site.planning
    assert changed.model_copy(update={"planning": site.planning}) == site


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fine_horizon_h": 2.0, "coarse_slot_min": 45}, r"planning\.coarse_slot_min: Input should be 30, 60 or 120"),
        ({"slot_min": 60, "fine_horizon_h": 2.0}, r"planning: Value error, coarse_slot_min: must be a multiple"),
        ({"failsafe_limit_kw": 7.0}, r"planning.failsafe_limit_kw: 60 connectors x 7.0 kW"),
        ({"slot_minutes": 5}, r"planning\.slot_minutes: Extra inputs are not permitted"),
    ],
)
def test_with_planning_validates_as_a_site_file_does(changes: dict[str, object], message: str) -> None:
    with pytest.raises(SiteConfigError, match=message):
        load_site().with_planning(**changes)
