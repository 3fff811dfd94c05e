// Turns the latest API data into the answers an operator needs at a glance: is the site safe, is
// every vehicle going to be ready, and what is wrong. Pure functions of the parsed data and the
// site's `now`; the DOM is updated elsewhere (summary.js).

import { formatDuration, formatKw, formatKwh } from "./format.js";

/** Above this share of the grid import limit the grid check turns to a warning. */
export const GRID_WARN_FRACTION = 0.95;
/** A plan older than this many slots is stale: the controller re-plans at least once per slot. */
export const STALE_PLAN_SLOTS = 2;
/** Slot length assumed when no horizon is known [h]. */
const DEFAULT_SLOT_H = 0.25;
/** Unmet energy below this is rounding noise from the solver [kWh]. */
const UNMET_EPSILON_KWH = 0.05;
/** A connector counts as above plan when it draws more than limit + max(abs, rel * limit). */
const ABOVE_PLAN_ABS_KW = 1.0;
const ABOVE_PLAN_REL = 0.1;
const MAX_IDS_LISTED = 6;

export const PROBLEM_STATUSES = new Set(["Faulted", "Unavailable", "Offline"]);
const IDLE_STATUSES = new Set(["Available", "Unavailable", "Faulted", "Offline"]);

/** The horizon slot index that contains `now`, or -1. */
export function currentSlotIndex(horizon, now) {
  const t = now.getTime();
  for (let i = 0; i < horizon.slotStarts.length; i += 1) {
    const start = horizon.slotStarts[i].getTime();
    const end = start + horizon.slotDurationH[i] * 3600e3;
    if (start <= t && t < end) return i;
  }
  return -1;
}

/** Status of one charge point as a whole, for its tile: offline wins, then a fault, then charging. */
export function chargePointStatus(cp) {
  if (!cp.connected) return "Offline";
  const statuses = cp.connectors.map((c) => c.status);
  if (statuses.length === 0) return "Unknown";
  for (const status of ["Faulted", "Charging", "SuspendedEV", "SuspendedEVSE", "Preparing", "Finishing", "Occupied"]) {
    if (statuses.includes(status)) return status;
  }
  return statuses[0];
}

export function isAbovePlan(connector) {
  if (connector.powerKw === null || connector.limitKw === null) return false;
  const tolerance = Math.max(ABOVE_PLAN_ABS_KW, ABOVE_PLAN_REL * connector.limitKw);
  return connector.powerKw > connector.limitKw + tolerance;
}

function listIds(ids) {
  const shown = ids.slice(0, MAX_IDS_LISTED).join(", ");
  return ids.length > MAX_IDS_LISTED ? `${shown} and ${ids.length - MAX_IDS_LISTED} more` : shown;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Grid import against the limit. */
export function assessGrid(site) {
  const headroomKw = site.gridImportLimitKw - site.gridImportKw;
  const fraction = site.gridImportLimitKw > 0 ? site.gridImportKw / site.gridImportLimitKw : Infinity;
  if (headroomKw < 0) {
    return {
      level: "danger",
      headroomKw,
      fraction,
      text: `Over the limit by ${formatKw(-headroomKw)} kW`,
    };
  }
  if (fraction >= GRID_WARN_FRACTION) {
    return { level: "warn", headroomKw, fraction, text: `Near the limit: ${formatKw(headroomKw)} kW headroom` };
  }
  return { level: "ok", headroomKw, fraction, text: `Within the limit: ${formatKw(headroomKw)} kW headroom` };
}

/** Age and trustworthiness of the current plan. */
export function assessPlan(summary, horizon, now) {
  if (summary === null) {
    return { level: "warn", status: "none", ageS: null, stale: false, unmetEnergyKwh: null, text: "No plan yet" };
  }
  const ageS = (now.getTime() - summary.createdAt.getTime()) / 1000;
  const slotH = horizon.slotDurationH.length > 0 ? horizon.slotDurationH[0] : DEFAULT_SLOT_H;
  const n = horizon.slotStarts.length;
  const horizonEnd = n > 0 ? horizon.slotStarts[n - 1].getTime() + horizon.slotDurationH[n - 1] * 3600e3 : null;
  const stale = ageS > STALE_PLAN_SLOTS * slotH * 3600 || (horizonEnd !== null && now.getTime() >= horizonEnd);
  const fallback = summary.status === "fallback";
  let text = `${capitalise(summary.status)} plan, ${formatDuration(ageS)} old`;
  // The status names come from the controller; show an unknown one as it is rather than hide it.
  if (fallback) text = `Fallback plan in use (${formatDuration(ageS)} old): the optimiser gave no usable result`;
  else if (stale) text = `Plan is stale: made ${formatDuration(ageS)} ago`;
  const level = fallback || stale ? "warn" : "ok";
  return { level, status: summary.status, ageS, stale, unmetEnergyKwh: summary.unmetEnergyKwh, text };
}

export function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Vehicles that the plan will not fill by their departure. */
export function assessVehicles(summary, schedule, chargePoints) {
  const plugged = chargePoints
    .flatMap((cp) => cp.connectors)
    .filter((c) => c.vehicleId !== null || !IDLE_STATUSES.has(c.status)).length;
  if (summary === null) return { level: "warn", plugged, short: [], text: "No plan yet: readiness unknown" };
  // Per-vehicle detail comes from /schedule, fetched once per plan; until it arrives, use the total.
  const short =
    schedule !== null && schedule.id === summary.id
      ? schedule.connectors.filter((c) => c.unmetEnergyKwh > UNMET_EPSILON_KWH)
      : [];
  if (summary.unmetEnergyKwh <= UNMET_EPSILON_KWH) {
    return { level: "ok", plugged, short, text: `All ${plural(plugged, "plugged-in vehicle", "plugged-in vehicles")} on plan` };
  }
  const who = short.length > 0 ? plural(short.length, "vehicle", "vehicles") : "Vehicles";
  return {
    level: "warn",
    plugged,
    short,
    text: `${who} short by ${formatKwh(summary.unmetEnergyKwh)} kWh at departure`,
  };
}

/** Offline, faulted and misbehaving charge points. */
export function assessChargers(site, chargePoints) {
  const offline = chargePoints.filter((cp) => !cp.connected).map((cp) => cp.id);
  const faulted = [];
  const unavailable = [];
  const abovePlan = [];
  for (const cp of chargePoints) {
    if (!cp.connected) continue;
    for (const c of cp.connectors) {
      const name = cp.connectors.length > 1 ? `${cp.id}/${c.connectorId}` : cp.id;
      if (c.status === "Faulted") faulted.push(c.errorCode && c.errorCode !== "NoError" ? `${name} (${c.errorCode})` : name);
      else if (c.status === "Unavailable") unavailable.push(name);
      if (isAbovePlan(c)) abovePlan.push(name);
    }
  }
  const total = site.chargePointsTotal;
  const online = site.chargePointsConnected;
  const parts = [`${online} of ${total} online`];
  if (faulted.length > 0) parts.push(`${faulted.length} faulted`);
  const level = faulted.length > 0 ? "danger" : offline.length > 0 || online < total ? "warn" : "ok";
  return { level, offline, faulted, unavailable, abovePlan, text: parts.join(", ") };
}

const LEVEL_RANK = { ok: 0, info: 1, warn: 2, danger: 3 };

export function worstLevel(levels) {
  return levels.reduce((worst, level) => (LEVEL_RANK[level] > LEVEL_RANK[worst] ? level : worst), "ok");
}

/**
 * Everything the summary shows, from the latest data.
 * `timeseries`, `chargePoints` and `schedule` may be null until their first answer arrives.
 */
export function assessSite({ site, timeseries, chargePoints, schedule }) {
  const horizon = timeseries?.horizon ?? { slotStarts: [], slotDurationH: [] };
  const summary = timeseries?.schedule ?? null;
  const points = chargePoints ?? [];
  const grid = assessGrid(site);
  const plan = timeseries === null ? null : assessPlan(summary, horizon, site.now);
  const vehicles = timeseries === null || chargePoints === null ? null : assessVehicles(summary, schedule, points);
  const chargers = chargePoints === null ? null : assessChargers(site, points);

  const issues = [];
  if (grid.level !== "ok") {
    const what = grid.level === "danger" ? "above" : "close to";
    issues.push({
      level: grid.level,
      text: `Grid import ${formatKw(site.gridImportKw)} kW is ${what} the ${formatKw(site.gridImportLimitKw)} kW limit`,
    });
  }
  if (chargers !== null && chargers.faulted.length > 0) {
    issues.push({ level: "danger", text: `Faulted: ${listIds(chargers.faulted)}` });
  }
  if (plan !== null && plan.level !== "ok") issues.push({ level: plan.level, text: plan.text });
  if (vehicles !== null) {
    for (const c of vehicles.short) {
      const vehicle = c.vehicleId ?? "unknown vehicle";
      issues.push({
        level: "warn",
        text: `${vehicle} at ${c.chargePointId}: ${formatKwh(c.unmetEnergyKwh)} kWh short at departure`,
      });
    }
  }
  if (chargers !== null) {
    if (chargers.offline.length > 0) {
      issues.push({ level: "warn", text: `Offline: ${listIds(chargers.offline)}` });
    }
    if (chargers.unavailable.length > 0) {
      issues.push({ level: "info", text: `Unavailable: ${listIds(chargers.unavailable)}` });
    }
    if (chargers.abovePlan.length > 0) {
      issues.push({ level: "warn", text: `Drawing more than planned: ${listIds(chargers.abovePlan)}` });
    }
  }
  const checks = [
    { key: "grid", label: "Grid", level: grid.level, text: grid.text },
    vehicles && { key: "vehicles", label: "Vehicles", level: vehicles.level, text: vehicles.text },
    chargers && { key: "chargers", label: "Chargers", level: chargers.level, text: chargers.text },
  ].filter(Boolean);
  const level = worstLevel([...checks.map((c) => c.level), ...issues.map((i) => i.level)]);
  const slot = currentSlotIndex(horizon, site.now);
  return {
    level,
    checks,
    issues,
    grid,
    plan,
    vehicles,
    chargers,
    evPlannedNowKw: slot >= 0 ? timeseries.horizon.evPowerPlannedKw[slot] : null,
  };
}
