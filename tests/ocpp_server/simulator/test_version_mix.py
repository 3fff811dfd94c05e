"""A share of a site's chargers speaking OCPP 2.0.1, spread through the list."""

from __future__ import annotations

import dataclasses

import pytest

from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.version_mix import mix_ocpp_versions

DC = SimChargerSpec("DC-00", "DC", 50.0, "W", 3, 230.0, 0.0, "Vettabbia", "DC50")
AC = SimChargerSpec("AC-00", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "AC22")


def site(n_dc: int, n_ac: int) -> list[SimChargerSpec]:
    """DC chargers listed first, then AC, as in the Milan site file."""
    return [dataclasses.replace(DC, charge_point_id=f"DC-{i:02}") for i in range(n_dc)] + [
        dataclasses.replace(AC, charge_point_id=f"AC-{i:02}") for i in range(n_ac)
    ]


def versions(chargers: list[SimChargerSpec]) -> str:
    return "".join("2" if c.ocpp_version == "2.0.1" else "1" for c in chargers)


def test_a_quarter_of_the_milan_chargers_take_dc_and_ac_alike() -> None:
    mixed = mix_ocpp_versions(site(20, 40), 0.25)
    assert [c.charge_point_id for c in mixed] == [c.charge_point_id for c in site(20, 40)]
    assert sum(c.ocpp_version == "2.0.1" for c in mixed) == 15
    assert sum(c.ocpp_version == "2.0.1" and c.kind == "DC" for c in mixed) == 5
    assert versions(mixed[:8]) == "11121112"


@pytest.mark.parametrize(
    ("share", "expected"),
    [(0.0, "1111111111"), (0.1, "1111111112"), (0.3, "1112112112"), (0.5, "1212121212"), (1.0, "2222222222")],
)
def test_share_of_ten(share: float, expected: str) -> None:
    assert versions(mix_ocpp_versions(site(0, 10), share)) == expected


def test_chargers_with_a_named_version_keep_it() -> None:
    chargers = site(0, 4)
    chargers[0] = dataclasses.replace(chargers[0], ocpp_version="2.0.1")
    mixed = mix_ocpp_versions(chargers, 0.0, fixed={"AC-00"})
    assert versions(mixed) == "2111"
    everything = mix_ocpp_versions(chargers, 1.0, fixed={"AC-00", "AC-01"})
    assert versions(everything) == "2122"  # AC-01 is named 1.6 and stays so


def test_dc_2_0_1_chargers_speak_iso15118_unless_told_not_to() -> None:
    dc201 = dataclasses.replace(DC, ocpp_version="2.0.1")
    assert dc201.speaks_iso15118
    assert not dataclasses.replace(dc201, iso15118=False).speaks_iso15118
    assert not DC.speaks_iso15118  # 1.6 has no NotifyEVChargingNeeds
    assert not dataclasses.replace(AC, ocpp_version="2.0.1").speaks_iso15118


def test_share_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="ocpp201_share"):
        mix_ocpp_versions(site(1, 1), 1.5)
