"""One day of site import under several controllers, against the grid limit (matplotlib, no display)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt

_STYLE = {
    "uncontrolled": ("#d62728", "no control"),
    "mpc": ("#1f77b4", "MPC"),
    "offline": ("#2ca02c", "offline optimum"),
}


def plot_import_day(
    path: Path,
    *,
    title: str,
    step_h: float,
    series: Mapping[str, npt.NDArray[np.float64]],
    pv_kw: npt.NDArray[np.float64],
    limit_kw: float,
) -> None:
    """Write a PNG of net site import [kW] per controller over one day of steps, local hours on the axis.

    Parameters
    ----------
    path
        Where to write the PNG (its folder is created).
    title
        The figure's title.
    step_h
        Length of a step [h]; the series start at local midnight.
    series
        Net import per step by controller name [kW].
    pv_kw
        Actual PV per step [kW], drawn for reference.
    limit_kw
        The grid import limit [kW].
    """
    hours = np.arange(len(pv_kw)) * step_h
    figure, axes = plt.subplots(figsize=(10, 4.8), dpi=110)
    for name, values in series.items():
        colour, label = _STYLE.get(name, ("#7f7f7f", name))
        axes.step(hours, values, where="post", color=colour, label=label, linewidth=1.4)
    axes.fill_between(hours, 0, pv_kw, step="post", color="#ffbf00", alpha=0.25, label="PV (actual)")
    axes.axhline(limit_kw, color="black", linestyle="--", linewidth=1.2, label=f"grid limit {limit_kw:.0f} kW")
    top_kw = max(limit_kw, *(float(v.max()) for v in series.values()))
    axes.set_ylim(min(0.0, *(float(v.min()) for v in series.values())) * 1.1, top_kw * 1.18)
    axes.set_xlim(0, 24)
    axes.set_xticks(range(0, 25, 2))
    axes.set_xlabel("local time [h]")
    axes.set_ylabel("net site import [kW]")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper center", ncol=4, fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
