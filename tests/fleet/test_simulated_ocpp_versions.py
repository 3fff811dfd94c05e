"""The site file chooses which of the demo's simulated chargers speak OCPP 2.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.simulation import simulated_chargers
from fleet.site_config import SiteConfigError, parse_site


def _milan_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (Path(__file__).parents[2] / "fleet" / "sites" / "milan.yaml").read_text(encoding="utf-8")
    )
    return data


def test_the_bundled_demo_speaks_a_mix_a_quarter_of_it_201() -> None:
    chargers = simulated_chargers(parse_site(_milan_data()))
    speaking_201 = [c.charge_point_id for c in chargers if c.ocpp_version == "2.0.1"]
    assert speaking_201 == [f"MI-DC-{n:02d}" for n in range(4, 21, 4)] + [f"MI-AC-{n:02d}" for n in range(4, 41, 4)]


def test_a_share_turns_chargers_into_2_0_1_ones_and_named_versions_stay() -> None:
    data = _milan_data()
    data["simulation"] = {"ocpp201_share": 0.5}
    data["charge_points"][0]["ocpp_version"] = "1.6"  # MI-DC-01, named: stays 1.6
    data["charge_points"][2]["ocpp_version"] = "2.0.1"  # MI-DC-03, named
    chargers = simulated_chargers(parse_site(data))
    speaking_201 = [c for c in chargers if c.ocpp_version == "2.0.1"]
    assert len(speaking_201) == 1 + 58 // 2
    assert chargers[0].ocpp_version == "1.6"
    assert chargers[2].ocpp_version == "2.0.1"
    assert sum(c.kind == "DC" for c in speaking_201) == 1 + 18 // 2
    assert all(c.speaks_iso15118 for c in speaking_201 if c.kind == "DC")


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_a_share_out_of_range_is_refused(share: float) -> None:
    data = _milan_data()
    data["simulation"] = {"ocpp201_share": share}
    with pytest.raises(SiteConfigError, match=r"simulation\.ocpp201_share"):
        parse_site(data)


def test_an_unknown_version_is_refused() -> None:
    data = _milan_data()
    data["charge_points"][0]["ocpp_version"] = "2.1"
    with pytest.raises(SiteConfigError, match=r"charge_points\.0\.ocpp_version"):
        parse_site(data)
