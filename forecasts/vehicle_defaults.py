"""What the vehicle forecasts assume about a class of vehicles before any history is recorded.

The figures follow the Milan fleet's trip patterns (see :mod:`forecasts.history`):

* shared e-cars are booked again within hours: a stay of 1 / 4 / 10 h (P10 / P50 / P90), and
  4 / 10 / 20 kWh per session (a 1-4 h urban booking uses about 2-14 kWh, and a car low on charge
  tops up more);
* e-logistics vans come back in the afternoon and leave on the next morning round between 06:00
  and 07:00 local time, taking 50 / 65 / 80 kWh (a delivery round's energy);
* any other class gets the car's stay and 5 / 20 / 40 kWh, a middle-sized battery's top-up.

These are deliberately plain guesses; history of the class or of the vehicle replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class ClassDefaults:
    """Prior stay and energy of one vehicle class.

    Attributes
    ----------
    stay_h
        P10, P50 and P90 of the time plugged in [h].
    energy_kwh
        P10, P50 and P90 of the energy taken in one session [kWh].
    departure_window_local
        When set, departures fall in this local wall-clock window instead of after ``stay_h``
        (fleet rounds that start at a fixed time of day).
    """

    stay_h: tuple[float, float, float]
    energy_kwh: tuple[float, float, float]
    departure_window_local: tuple[time, time] | None = None


CAR_DEFAULTS = ClassDefaults(stay_h=(1.0, 4.0, 10.0), energy_kwh=(4.0, 10.0, 20.0))
VAN_DEFAULTS = ClassDefaults(
    stay_h=(12.0, 14.0, 16.0), energy_kwh=(50.0, 65.0, 80.0), departure_window_local=(time(6, 0), time(7, 0))
)
OTHER_DEFAULTS = ClassDefaults(stay_h=(1.0, 4.0, 10.0), energy_kwh=(5.0, 20.0, 40.0))


def class_defaults(vehicle_class: str) -> ClassDefaults:
    """The prior of a class; classes other than ``"car"`` and ``"van"`` get :data:`OTHER_DEFAULTS`."""
    return {"car": CAR_DEFAULTS, "van": VAN_DEFAULTS}.get(vehicle_class, OTHER_DEFAULTS)
