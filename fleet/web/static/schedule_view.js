// The plan: a heat map of planned power per connector over the horizon, and the reasons behind it
// (why it was made, who will leave short and why, which waiting vehicle to plug in next and where).

import { make, row, setText } from "./dom.js";
import { formatKw, formatKwh, formatPercent } from "./format.js";
import { drawHeatmap, rampColour, scaleMaxKw } from "./heatmap.js";

const UNMET_EPSILON_KWH = 0.05;
const REASON_TEXT = {
  not_enough_time: "not enough time before departure",
  vehicle_limit: "the vehicle or charger cannot take more",
  not_enough_grid: "not enough grid capacity",
};
// Other sources (the site's history, the vehicle over ISO 15118) come as text the operator can read.
const SOURCE_TEXT = { booking: "booking", default: "class default" };

export function unmetReasonText(reason) {
  return reason === null ? "" : REASON_TEXT[reason] ?? reason;
}

/** @param {HTMLElement} root  the view's section (holds the elements named below by data-testid) */
export function createScheduleView(root) {
  const q = (id) => root.querySelector(`[data-testid="${id}"]`);
  const canvas = q("plan-heatmap");
  const summary = q("plan-summary");
  const reasons = q("plan-reasons");
  const legend = q("plan-legend");
  const table = q("plan-connectors");
  const waiting = q("plan-waiting");
  let last = null;

  function when(format, date) {
    return `${format.day(date)} ${format.shortTime(date)}`;
  }

  function render(plan, yard, now, format) {
    last = [plan, yard, now, format];
    if (root.hidden || plan === null || format === null) return;
    root.dataset.planId = String(plan.id);
    const short = plan.connectors.filter((c) => c.unmetEnergyKwh > UNMET_EPSILON_KWH);
    setText(
      summary,
      `Plan ${plan.id} · ${plan.status} · made ${when(format, plan.createdAt)} · ${plan.connectors.length} vehicles planned · ` +
        (short.length === 0 ? "every vehicle ready at departure" : `${short.length} short at departure`),
    );
    reasons.replaceChildren(...plan.reasons.map((r) => make("li", null, r)));
    drawHeatmap(canvas, plan, now, format);
    canvas.setAttribute("aria-label", `Planned power of ${plan.connectors.length} connectors over the horizon; details in the table below`);
    const maxKw = scaleMaxKw(plan.connectors);
    legend.replaceChildren(
      ...[0, 0.25, 0.5, 0.75, 1].map((f) => {
        const item = make("span", "legend-step");
        const swatch = make("span", "legend-swatch");
        swatch.style.background = rampColour(f);
        item.append(swatch, `${formatKw(f * maxKw)} kW`);
        return item;
      }),
      make("span", "legend-step legend-departure", "▮ departure"),
    );
    const sorted = [...plan.connectors].sort((a, b) => b.unmetEnergyKwh - a.unmetEnergyKwh || a.departureAt - b.departureAt);
    table.replaceChildren(
      ...sorted.map((c) => {
        const tr = row(
          [
            c.connectorKey,
            c.vehicleId ?? "unknown",
            when(format, c.departureAt),
            `${formatKwh(c.energyNeededKwh)} kWh (${SOURCE_TEXT[c.needsSource] ?? c.needsSource})`,
            `${formatKwh(c.plannedEnergyKwh)} kWh`,
            c.unmetEnergyKwh > UNMET_EPSILON_KWH ? `${formatKwh(c.unmetEnergyKwh)} kWh: ${unmetReasonText(c.unmetReason)}` : "–",
            formatPercent(c.departureSocPercent),
          ],
          "plan-row",
        );
        tr.dataset.vehicleId = c.vehicleId ?? "";
        tr.dataset.departure = c.departureAt.toISOString();
        tr.dataset.short = String(c.unmetEnergyKwh > UNMET_EPSILON_KWH);
        return tr;
      }),
    );
    const recommended = new Map(plan.recommendations.map((r) => [r.vehicleId, r]));
    const list = yard ?? [];
    waiting.replaceChildren(
      ...list
        .map((e) => ({ e, r: recommended.get(e.vehicleId) ?? null }))
        .sort((a, b) => (a.r?.rank ?? Infinity) - (b.r?.rank ?? Infinity) || a.e.departureAt - b.e.departureAt)
        .map(({ e, r }) =>
          row(
            [
              r === null ? "–" : String(r.rank),
              e.vehicleId,
              when(format, e.departureAt),
              `${formatKwh(e.energyNeededKwh)} kWh`,
              r === null ? "no free connector helps yet" : `${r.connectorKey} (${formatKwh(r.deliverableEnergyKwh)} kWh by departure)`,
            ],
            "waiting-row",
          ),
        ),
    );
    if (list.length === 0) waiting.append(row(["", "No vehicle is waiting for a charger", "", "", ""]));
  }

  /** Draws again with the last data (after the view is shown or resized). */
  function redraw() {
    if (last !== null) render(...last);
  }

  new ResizeObserver(() => redraw()).observe(canvas.parentElement);
  return { render, redraw };
}
