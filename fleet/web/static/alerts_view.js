// Alerts: what needs the operator, from GET /api/v1/alerts (offline and faulted chargers, vehicles at
// risk, chargers drawing above their limit) together with what only the page can tell from the data
// it holds (a stale or fallback plan, grid import near or over the limit). Critical first.

import { chargerHref } from "./router.js";
import { make, setText } from "./dom.js";
import { formatDuration } from "./format.js";

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };
const KIND_LABEL = {
  charger_offline: "Charger offline",
  charger_fault: "Charger fault",
  vehicle_at_risk: "Vehicle at risk",
  charger_over_limit: "Above its limit",
  stale_plan: "Plan",
  grid: "Grid",
};

/** API alerts plus the page's own checks, critical first, then by kind and charger. */
export function combineAlerts(apiAlerts, assessment) {
  const found = [...(apiAlerts ?? [])];
  if (assessment?.plan && assessment.plan.level !== "ok") {
    found.push({ kind: "stale_plan", severity: "warning", message: assessment.plan.text, chargePointId: null, vehicleId: null, since: null });
  }
  if (assessment?.grid && assessment.grid.level !== "ok") {
    const severity = assessment.grid.level === "danger" ? "critical" : "warning";
    found.push({ kind: "grid", severity, message: assessment.grid.text, chargePointId: null, vehicleId: null, since: null });
  }
  return found.sort(
    (a, b) =>
      (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
      a.kind.localeCompare(b.kind) ||
      (a.chargePointId ?? "").localeCompare(b.chargePointId ?? "", "en", { numeric: true }),
  );
}

/**
 * @param {HTMLElement} list  the <ul> of alerts
 * @param {HTMLElement} badge  the count in the navigation
 * @param {HTMLElement} empty  shown when nothing needs attention
 */
export function createAlertsView(list, badge, empty) {
  let lastKey = "";

  function render(alerts, now) {
    const critical = alerts.filter((a) => a.severity === "critical").length;
    setText(badge, alerts.length === 0 ? "" : String(alerts.length));
    badge.hidden = alerts.length === 0;
    badge.dataset.level = critical > 0 ? "danger" : "warn";
    empty.hidden = alerts.length > 0;
    const key = JSON.stringify(alerts);
    if (key === lastKey) return;
    lastKey = key;
    list.replaceChildren(
      ...alerts.map((a) => {
        const li = make("li", "alert");
        li.dataset.testid = "alert";
        li.dataset.kind = a.kind;
        li.dataset.severity = a.severity;
        if (a.chargePointId) li.dataset.chargerId = a.chargePointId;
        const head = make("strong", "alert-kind", `${a.severity === "critical" ? "■ " : "▲ "}${KIND_LABEL[a.kind] ?? a.kind}`);
        const text = make("span", "alert-message", a.message);
        li.append(head, text);
        if (a.since !== null && now !== null) li.append(make("span", "alert-since", `since ${formatDuration((now - a.since) / 1000)}`));
        if (a.chargePointId) {
          const link = make("a", "alert-link", "open charger");
          link.href = chargerHref(a.chargePointId);
          li.append(link);
        }
        return li;
      }),
    );
  }

  return { render };
}
