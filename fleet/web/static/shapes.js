// Checks and normalises the JSON of /api/v1 once, where it enters the page (docs/api-shapes.md).
// Every error names the endpoint and the field, so a broken API shows up as a clear message in
// the connection status instead of as NaN on a card.

export class ShapeError extends Error {
  constructor(message) {
    super(message);
    this.name = "ShapeError";
  }
}

export function fail(where, problem) {
  throw new ShapeError(`${where}: ${problem}`);
}

export function object(value, where) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(where, `expected an object, got ${describe(value)}`);
  }
  return value;
}

export function array(value, where) {
  if (!Array.isArray(value)) fail(where, `expected a list, got ${describe(value)}`);
  return value;
}

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value;
}

export function number(value, where) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    fail(where, `expected a number, got ${describe(value)}`);
  }
  return value;
}

export function optionalNumber(value, where) {
  return value === null || value === undefined ? null : number(value, where);
}

export function string(value, where) {
  if (typeof value !== "string") fail(where, `expected a string, got ${describe(value)}`);
  return value;
}

export function optionalString(value, where) {
  return value === null || value === undefined ? null : string(value, where);
}

export function boolean(value, where) {
  if (typeof value !== "boolean") fail(where, `expected true or false, got ${describe(value)}`);
  return value;
}

export function instant(value, where) {
  const text = string(value, where);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) fail(where, `not an ISO-8601 time: ${JSON.stringify(text)}`);
  return new Date(ms);
}

export function optionalInstant(value, where) {
  return value === null || value === undefined ? null : instant(value, where);
}

export function numbers(value, where, length) {
  const list = array(value, where);
  if (length !== undefined && list.length !== length) {
    fail(where, `expected ${length} values (one per slot), got ${list.length}`);
  }
  return list.map((item, i) => number(item, `${where}[${i}]`));
}

export function optionalNumbers(value, where, length) {
  const list = array(value, where);
  if (list.length !== length) fail(where, `expected ${length} values, got ${list.length}`);
  return list.map((item, i) => optionalNumber(item, `${where}[${i}]`));
}

/** GET /api/v1/site */
export function parseSite(json) {
  const w = "/api/v1/site";
  const s = object(json, w);
  return {
    siteId: string(s.site_id, `${w} site_id`),
    name: string(s.name, `${w} name`),
    timezone: timezone(s.timezone, `${w} timezone`),
    now: instant(s.now, `${w} now`),
    gridImportLimitKw: number(s.grid_import_limit_kw, `${w} grid_import_limit_kw`),
    evPowerKw: number(s.ev_power_kw, `${w} ev_power_kw`),
    pvKw: number(s.pv_kw, `${w} pv_kw`),
    baseLoadKw: number(s.base_load_kw, `${w} base_load_kw`),
    gridImportKw: number(s.grid_import_kw, `${w} grid_import_kw`),
    chargePointsTotal: number(s.charge_points_total, `${w} charge_points_total`),
    chargePointsConnected: number(s.charge_points_connected, `${w} charge_points_connected`),
    connectorsCharging: number(s.connectors_charging, `${w} connectors_charging`),
    vehiclesTotal: number(s.vehicles_total, `${w} vehicles_total`),
  };
}

function timezone(value, where) {
  const name = string(value, where);
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: name });
  } catch {
    fail(where, `unknown time zone ${JSON.stringify(name)}`);
  }
  return name;
}

function scheduleSummary(value, where) {
  if (value === null || value === undefined) return null;
  const s = object(value, where);
  return {
    id: number(s.id, `${where}.id`),
    status: string(s.status, `${where}.status`),
    createdAt: instant(s.created_at, `${where}.created_at`),
    objectiveEur: optionalNumber(s.objective_eur, `${where}.objective_eur`),
    unmetEnergyKwh: number(s.unmet_energy_kwh, `${where}.unmet_energy_kwh`),
  };
}

/** GET /api/v1/site/timeseries */
export function parseTimeseries(json) {
  const w = "/api/v1/site/timeseries";
  const t = object(json, w);
  const h = object(t.horizon, `${w} horizon`);
  const slotStarts = array(h.slot_starts, `${w} horizon.slot_starts`).map((v, i) =>
    instant(v, `${w} horizon.slot_starts[${i}]`),
  );
  const n = slotStarts.length;
  const hw = `${w} horizon`;
  const m = object(t.measured, `${w} measured`);
  const at = array(m.at, `${w} measured.at`).map((v, i) => instant(v, `${w} measured.at[${i}]`));
  return {
    horizon: {
      slotStarts,
      slotDurationH: numbers(h.slot_duration_h, `${hw}.slot_duration_h`, n),
      gridImportLimitKw: numbers(h.grid_import_limit_kw, `${hw}.grid_import_limit_kw`, n),
      pvKw: numbers(h.pv_kw, `${hw}.pv_kw`, n),
      baseLoadKw: numbers(h.base_load_kw, `${hw}.base_load_kw`, n),
      evPowerPlannedKw: numbers(h.ev_power_planned_kw, `${hw}.ev_power_planned_kw`, n),
      gridImportPlannedKw: numbers(h.grid_import_planned_kw, `${hw}.grid_import_planned_kw`, n),
      tariffBand: tariffBands(h.tariff_band, `${hw}.tariff_band`, n),
    },
    measured: {
      at,
      evPowerKw: optionalNumbers(m.ev_power_kw, `${w} measured.ev_power_kw`, at.length),
      gridImportKw: optionalNumbers(m.grid_import_kw, `${w} measured.grid_import_kw`, at.length),
      // Sites without a PV or building meter send nulls (or, from older servers, nothing).
      pvKw: m.pv_kw === undefined ? at.map(() => null) : optionalNumbers(m.pv_kw, `${w} measured.pv_kw`, at.length),
      baseLoadKw:
        m.base_load_kw === undefined
          ? at.map(() => null)
          : optionalNumbers(m.base_load_kw, `${w} measured.base_load_kw`, at.length),
    },
    schedule: scheduleSummary(t.schedule, `${w} schedule`),
  };
}

function tariffBands(value, where, length) {
  // The tariff band only shades the chart, so a missing list is tolerated; a malformed one is not.
  if (value === undefined || value === null) return new Array(length).fill(null);
  const list = array(value, where);
  if (list.length !== length) fail(where, `expected ${length} values, got ${list.length}`);
  return list.map((item, i) => optionalString(item, `${where}[${i}]`));
}

/** GET /api/v1/charge-points */
export function parseChargePoints(json) {
  const w = "/api/v1/charge-points";
  return array(json, w).map((value, i) => {
    const where = `${w} [${i}]`;
    const cp = object(value, where);
    const id = string(cp.id, `${where}.id`);
    const at = `${w} ${id}`;
    return {
      id,
      kind: string(cp.kind, `${at}.kind`),
      maxPowerKw: number(cp.max_power_kw, `${at}.max_power_kw`),
      connected: boolean(cp.connected, `${at}.connected`),
      lastSeenAt: optionalInstant(cp.last_seen_at, `${at}.last_seen_at`),
      connectors: array(cp.connectors, `${at}.connectors`).map((c, j) => connector(c, `${at}.connectors[${j}]`)),
    };
  });
}

function connector(value, where) {
  const c = object(value, where);
  return {
    connectorId: number(c.connector_id, `${where}.connector_id`),
    // null until the charger has sent its first StatusNotification for this connector
    status: c.status === null ? "Unknown" : string(c.status, `${where}.status`),
    errorCode: optionalString(c.error_code, `${where}.error_code`),
    powerKw: optionalNumber(c.power_kw, `${where}.power_kw`),
    limitKw: optionalNumber(c.limit_kw, `${where}.limit_kw`),
    vehicleId: optionalString(c.vehicle_id, `${where}.vehicle_id`),
    energyKwh: optionalNumber(c.energy_kwh, `${where}.energy_kwh`),
    socPercent: optionalNumber(c.soc_percent, `${where}.soc_percent`),
  };
}

/** GET /api/v1/schedule: the plan per connector and slot, with the reasons behind it. */
export function parseSchedule(json) {
  const w = "/api/v1/schedule";
  const s = object(json, w);
  const slotStarts = array(s.slot_starts, `${w} slot_starts`).map((v, i) => instant(v, `${w} slot_starts[${i}]`));
  const n = slotStarts.length;
  return {
    id: number(s.id, `${w} id`),
    status: string(s.status, `${w} status`),
    createdAt: instant(s.created_at, `${w} created_at`),
    reasons: array(s.reasons, `${w} reasons`).map((r, i) => string(r, `${w} reasons[${i}]`)),
    slotStarts,
    slotDurationH: numbers(s.slot_duration_h, `${w} slot_duration_h`, n),
    connectors: array(s.connectors, `${w} connectors`).map((value, i) => {
      const where = `${w} connectors[${i}]`;
      const c = object(value, where);
      return {
        connectorKey: string(c.connector_key, `${where}.connector_key`),
        chargePointId: string(c.charge_point_id, `${where}.charge_point_id`),
        connectorId: number(c.connector_id, `${where}.connector_id`),
        vehicleId: optionalString(c.vehicle_id, `${where}.vehicle_id`),
        departureAt: instant(c.departure_at, `${where}.departure_at`),
        energyNeededKwh: number(c.energy_needed_kwh, `${where}.energy_needed_kwh`),
        needsSource: string(c.needs_source, `${where}.needs_source`),
        powerKw: numbers(c.power_kw, `${where}.power_kw`, n),
        plannedEnergyKwh: number(c.planned_energy_kwh, `${where}.planned_energy_kwh`),
        unmetEnergyKwh: number(c.unmet_energy_kwh, `${where}.unmet_energy_kwh`),
        unmetReason: optionalString(c.unmet_reason, `${where}.unmet_reason`),
        departureSocPercent: optionalNumber(c.departure_soc_percent, `${where}.departure_soc_percent`),
      };
    }),
    recommendations: array(s.recommendations ?? [], `${w} recommendations`).map((value, i) => {
      const where = `${w} recommendations[${i}]`;
      const r = object(value, where);
      return {
        rank: number(r.rank, `${where}.rank`),
        vehicleId: string(r.vehicle_id, `${where}.vehicle_id`),
        vehicleClass: string(r.vehicle_class, `${where}.vehicle_class`),
        connectorKey: string(r.connector_key, `${where}.connector_key`),
        deliverableEnergyKwh: number(r.deliverable_energy_kwh, `${where}.deliverable_energy_kwh`),
      };
    }),
  };
}
