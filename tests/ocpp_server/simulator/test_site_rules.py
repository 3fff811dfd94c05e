"""Which charger a vehicle takes, and what it asks the fleet manager for."""

from __future__ import annotations

import pytest

from ocpp_server.simulator.battery import SimVehicleSpec
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.site_rules import booking_priority, choose_charger, energy_needed_kwh

AC_1 = SimChargerSpec("AC-1", "AC", 22.0, "A", 3, 230.0, 6.0, "V", "M")
AC_2 = SimChargerSpec("AC-2", "AC", 22.0, "A", 3, 230.0, 6.0, "V", "M")
AC_SMALL = SimChargerSpec("AC-3", "AC", 11.0, "A", 3, 230.0, 6.0, "V", "M")
DC_1 = SimChargerSpec("DC-1", "DC", 50.0, "W", 3, 400.0, 0.0, "V", "M")
VAN = SimVehicleSpec("van-1", "VAN1", "van", 75.0, 22.0, 50.0, 0.2)
CAR = SimVehicleSpec("car-1", "CAR1", "car", 40.0, 11.0, 50.0, 0.5)


def test_vans_take_ac_and_leave_dc_free() -> None:
    assert choose_charger(VAN, 0.05, [DC_1, AC_2]) == AC_2
    assert choose_charger(VAN, 0.05, [DC_1]) == DC_1


def test_low_cars_take_dc_others_ac() -> None:
    assert choose_charger(CAR, 0.2, [AC_1, DC_1]) == DC_1
    assert choose_charger(CAR, 0.6, [AC_1, DC_1]) == AC_1
    assert choose_charger(CAR, 0.2, [AC_1]) == AC_1


def test_the_most_powerful_charger_of_the_kind_then_site_order() -> None:
    assert choose_charger(CAR, 0.6, [AC_SMALL, AC_2, AC_1]) == AC_2
    assert choose_charger(CAR, 0.6, [AC_1, AC_2]) == AC_1


def test_no_free_charger() -> None:
    assert choose_charger(CAR, 0.6, []) is None


def test_van_needs_its_round_plus_reserve() -> None:
    # 60 kWh round + 7.5 kWh reserve - 15 kWh on board
    assert energy_needed_kwh(VAN, 15.0, 60.0) == pytest.approx(52.5)
    # never more than the battery holds
    assert energy_needed_kwh(VAN, 0.0, 80.0) == pytest.approx(75.0)


def test_car_needs_80_percent_or_its_next_booking() -> None:
    # 80 % of 40 kWh = 32 kWh, 12 kWh on board
    assert energy_needed_kwh(CAR, 12.0, 5.0) == pytest.approx(20.0)
    # a long booking: 35 kWh + 4 kWh reserve = 39 kWh
    assert energy_needed_kwh(CAR, 12.0, 35.0) == pytest.approx(27.0)
    # 38 kWh + 4 kWh reserve is more than the battery: a full 40 kWh
    assert energy_needed_kwh(CAR, 12.0, 38.0) == pytest.approx(28.0)
    assert energy_needed_kwh(CAR, 38.0, 5.0) == 0.0


def test_vans_come_first() -> None:
    assert booking_priority(VAN) > booking_priority(CAR)
