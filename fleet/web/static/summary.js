// Writes the header, the status verdict and the cards from an assessment (assess.js).

import { capitalise } from "./assess.js";
import { formatDuration, formatKw, formatKwh } from "./format.js";

function byTestId(root, id) {
  const element = root.querySelector(`[data-testid="${id}"]`);
  if (element === null) throw new Error(`operator page: element data-testid="${id}" is missing`);
  return element;
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** Binds to the static elements of index.html once; the returned functions update them. */
export function createSummary(root) {
  const el = (id) => byTestId(root, id);
  const e = {
    siteName: el("site-name"),
    siteTime: el("site-time"),
    siteDate: el("site-date"),
    clockRate: el("clock-rate"),
    attention: el("attention"),
    verdict: el("verdict"),
    attentionList: el("attention-list"),
    gridCard: el("card-grid"),
    gridImport: el("grid-import"),
    gridLimit: el("grid-limit"),
    gridHeadroom: el("grid-headroom"),
    gridHeadroomLabel: el("grid-headroom-label"),
    gridGauge: el("grid-gauge"),
    evPower: el("ev-power"),
    evPlanned: el("ev-planned"),
    pvPower: el("pv-power"),
    baseLoad: el("base-load"),
    connectedCard: el("card-connected"),
    connectedCount: el("connected-count"),
    offlineCount: el("offline-count"),
    connectorsCharging: el("connectors-charging"),
    vehiclesPlugged: el("vehicles-plugged"),
    scheduleCard: el("card-schedule"),
    scheduleStatus: el("schedule-status"),
    scheduleAge: el("schedule-age"),
    scheduleUnmet: el("schedule-unmet"),
    scheduleUnmetPart: el("schedule-unmet-part"),
  };
  let lastVerdictKey = "";

  function renderClock(site, timeFormat, rate) {
    setText(e.siteName, site.name);
    if (document.title !== `${site.name} · operator`) document.title = `${site.name} · operator`;
    setText(e.siteTime, timeFormat.time(site.now));
    e.siteTime.dateTime = site.now.toISOString();
    setText(e.siteDate, timeFormat.date(site.now));
    // Simulated time runs faster than the wall clock; say so, or operators misread the clock.
    const simulated = rate !== null && Math.abs(rate - 1) > 0.2;
    e.clockRate.hidden = !simulated;
    if (simulated) setText(e.clockRate, `simulated ×${Number(rate.toPrecision(2))}`);
  }

  function renderVerdict(assessment) {
    e.attention.dataset.level = assessment.level;
    // Rebuild the list only when its content changes, so screen readers and text selection are calm.
    const key = JSON.stringify([assessment.checks, assessment.issues]);
    if (key === lastVerdictKey) return;
    lastVerdictKey = key;
    e.verdict.replaceChildren(
      ...assessment.checks.map((check) => {
        const item = document.createElement("span");
        item.className = "check";
        item.dataset.level = check.level;
        item.dataset.check = check.key;
        const label = document.createElement("strong");
        label.textContent = `${check.label}: `;
        item.append(label, check.text);
        return item;
      }),
    );
    e.attentionList.replaceChildren(
      ...assessment.issues.map((issue) => {
        const li = document.createElement("li");
        li.dataset.level = issue.level;
        li.textContent = issue.text;
        return li;
      }),
    );
  }

  function renderCards(site, assessment) {
    const { grid, plan, vehicles } = assessment;
    e.gridCard.dataset.level = grid.level;
    setText(e.gridImport, formatKw(site.gridImportKw));
    setText(e.gridLimit, formatKw(site.gridImportLimitKw));
    setText(e.gridHeadroomLabel, grid.headroomKw < 0 ? "over by" : "headroom");
    setText(e.gridHeadroom, formatKw(Math.abs(grid.headroomKw)));
    const percent = Math.max(0, Math.min(100, grid.fraction * 100));
    e.gridGauge.setAttribute("aria-valuenow", String(Math.round(percent)));
    e.gridGauge.style.setProperty("--fill", `${percent}%`);

    setText(e.evPower, formatKw(site.evPowerKw));
    setText(e.evPlanned, formatKw(assessment.evPlannedNowKw));
    setText(e.pvPower, formatKw(site.pvKw));
    setText(e.baseLoad, formatKw(site.baseLoadKw));

    setText(e.connectedCount, `${site.chargePointsConnected} / ${site.chargePointsTotal}`);
    const offline = site.chargePointsTotal - site.chargePointsConnected;
    setText(e.offlineCount, String(offline));
    e.connectedCard.dataset.level = offline > 0 ? "warn" : "ok";
    setText(e.connectorsCharging, String(site.connectorsCharging));
    setText(e.vehiclesPlugged, vehicles === null ? "–" : String(vehicles.plugged));

    if (plan === null) return;
    e.scheduleCard.dataset.level = plan.level;
    e.scheduleStatus.dataset.status = plan.status;
    e.scheduleStatus.dataset.stale = String(plan.stale);
    if (plan.status === "none") {
      setText(e.scheduleStatus, "No plan yet");
      setText(e.scheduleAge, "waiting for the optimiser");
      e.scheduleUnmetPart.hidden = true;
      return;
    }
    setText(e.scheduleStatus, plan.stale ? `${capitalise(plan.status)}, stale` : capitalise(plan.status));
    setText(e.scheduleAge, `${formatDuration(plan.ageS)} old`);
    e.scheduleUnmetPart.hidden = false;
    setText(e.scheduleUnmet, formatKwh(plan.unmetEnergyKwh));
  }

  return { renderClock, renderVerdict, renderCards };
}
