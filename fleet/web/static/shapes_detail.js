// Checks the JSON of the API answers behind the charger, vehicles and alerts views, as shapes.js does
// for the overview: once, where it enters, naming the endpoint and field of anything malformed.

import {
  array,
  boolean,
  instant,
  number,
  object,
  optionalInstant,
  optionalNumber,
  optionalString,
  string,
} from "./shapes.js";

function profile(value, where) {
  if (value === null || value === undefined) return null;
  const p = object(value, where);
  return {
    profileId: number(p.profile_id, `${where}.profile_id`),
    purpose: string(p.purpose, `${where}.purpose`),
    stackLevel: number(p.stack_level, `${where}.stack_level`),
    transactionId: optionalNumber(p.transaction_id, `${where}.transaction_id`),
    startAt: optionalInstant(p.start_at, `${where}.start_at`),
    rateUnit: string(p.rate_unit, `${where}.rate_unit`),
    limitNowKw: optionalNumber(p.limit_now_kw, `${where}.limit_now_kw`),
    periods: array(p.periods, `${where}.periods`).map((q, i) => {
      const at = `${where}.periods[${i}]`;
      const period = object(q, at);
      return {
        startOffsetS: number(period.start_offset_s, `${at}.start_offset_s`),
        limitKw: number(period.limit_kw, `${at}.limit_kw`),
      };
    }),
  };
}

function evNeeds(value, where) {
  if (value === null || value === undefined) return null;
  const n = object(value, where);
  return {
    energyAmountKwh: optionalNumber(n.energy_amount_kwh, `${where}.energy_amount_kwh`),
    departureAt: optionalInstant(n.departure_at, `${where}.departure_at`),
    maxPowerKw: optionalNumber(n.max_power_kw, `${where}.max_power_kw`),
    socPercent: optionalNumber(n.soc_percent, `${where}.soc_percent`),
    reportedAt: instant(n.reported_at, `${where}.reported_at`),
  };
}

function externalLimit(value, where) {
  const l = object(value, where);
  return {
    connectorId: number(l.connector_id, `${where}.connector_id`),
    source: string(l.source, `${where}.source`),
    limitKw: number(l.limit_kw, `${where}.limit_kw`),
    gridCritical: boolean(l.grid_critical, `${where}.grid_critical`),
    since: instant(l.since, `${where}.since`),
  };
}

/** GET /api/v1/charge-points/{id} */
export function parseChargePointDetail(json) {
  const w = "/api/v1/charge-points/{id}";
  const cp = object(json, w);
  const boot = cp.boot === null || cp.boot === undefined ? null : object(cp.boot, `${w} boot`);
  return {
    id: string(cp.id, `${w} id`),
    kind: string(cp.kind, `${w} kind`),
    maxPowerKw: number(cp.max_power_kw, `${w} max_power_kw`),
    ocppVersion: optionalString(cp.ocpp_version, `${w} ocpp_version`),
    connected: boolean(cp.connected, `${w} connected`),
    lastSeenAt: optionalInstant(cp.last_seen_at, `${w} last_seen_at`),
    vendor: optionalString(cp.vendor, `${w} vendor`),
    model: optionalString(cp.model, `${w} model`),
    firmwareVersion: boot === null ? null : optionalString(boot.firmware_version, `${w} boot.firmware_version`),
    bootedAt: boot === null ? null : optionalInstant(boot.booted_at, `${w} boot.booted_at`),
    failsafeProfile: profile(cp.failsafe_profile, `${w} failsafe_profile`),
    connectors: array(cp.connectors, `${w} connectors`).map((value, i) => {
      const where = `${w} connectors[${i}]`;
      const c = object(value, where);
      return {
        connectorId: number(c.connector_id, `${where}.connector_id`),
        status: c.status === null ? "Unknown" : string(c.status, `${where}.status`),
        errorCode: optionalString(c.error_code, `${where}.error_code`),
        powerKw: optionalNumber(c.power_kw, `${where}.power_kw`),
        limitKw: optionalNumber(c.limit_kw, `${where}.limit_kw`),
        transactionId: optionalNumber(c.transaction_id, `${where}.transaction_id`),
        vehicleId: optionalString(c.vehicle_id, `${where}.vehicle_id`),
        energyKwh: optionalNumber(c.energy_kwh, `${where}.energy_kwh`),
        socPercent: optionalNumber(c.soc_percent, `${where}.soc_percent`),
        installedProfile: profile(c.installed_profile, `${where}.installed_profile`),
        evNeeds: evNeeds(c.ev_needs, `${where}.ev_needs`),
      };
    }),
    externalLimits: array(cp.external_limits, `${w} external_limits`).map((l, i) =>
      externalLimit(l, `${w} external_limits[${i}]`),
    ),
  };
}

/** GET /api/v1/sessions */
export function parseSessions(json) {
  const w = "/api/v1/sessions";
  return array(json, w).map((value, i) => {
    const where = `${w} [${i}]`;
    const s = object(value, where);
    return {
      id: number(s.id, `${where}.id`),
      connectorId: number(s.connector_id, `${where}.connector_id`),
      idTag: string(s.id_tag, `${where}.id_tag`),
      vehicleId: optionalString(s.vehicle_id, `${where}.vehicle_id`),
      startedAt: instant(s.started_at, `${where}.started_at`),
      stoppedAt: optionalInstant(s.stopped_at, `${where}.stopped_at`),
      energyKwh: number(s.energy_kwh, `${where}.energy_kwh`),
      costEur: number(s.cost_eur, `${where}.cost_eur`),
      stopReason: optionalString(s.stop_reason, `${where}.stop_reason`),
    };
  });
}

/** GET /api/v1/charge-points/{id}/log */
export function parseChargerLog(json) {
  const w = "/api/v1/charge-points/{id}/log";
  return array(json, w).map((value, i) => {
    const where = `${w} [${i}]`;
    const line = object(value, where);
    return {
      id: number(line.id, `${where}.id`),
      at: instant(line.at, `${where}.at`),
      kind: string(line.kind, `${where}.kind`),
      status: string(line.status, `${where}.status`),
      flagged: boolean(line.flagged, `${where}.flagged`),
      detail: optionalString(line.detail, `${where}.detail`),
    };
  });
}

/** GET /api/v1/charge-points/{id}/frames */
export function parseOcppFrames(json) {
  const w = "/api/v1/charge-points/{id}/frames";
  return array(json, w).map((value, i) => {
    const where = `${w} [${i}]`;
    const f = object(value, where);
    return {
      at: instant(f.at, `${where}.at`),
      direction: string(f.direction, `${where}.direction`),
      messageType: optionalString(f.message_type, `${where}.message_type`),
      action: optionalString(f.action, `${where}.action`),
      frame: string(f.frame, `${where}.frame`),
      truncated: boolean(f.truncated, `${where}.truncated`),
    };
  });
}

/** GET /api/v1/alerts */
export function parseAlerts(json) {
  const w = "/api/v1/alerts";
  return array(json, w).map((value, i) => {
    const where = `${w} [${i}]`;
    const a = object(value, where);
    return {
      kind: string(a.kind, `${where}.kind`),
      severity: string(a.severity, `${where}.severity`),
      message: string(a.message, `${where}.message`),
      chargePointId: optionalString(a.charge_point_id, `${where}.charge_point_id`),
      vehicleId: optionalString(a.vehicle_id, `${where}.vehicle_id`),
      since: optionalInstant(a.since, `${where}.since`),
    };
  });
}

/** GET /api/v1/readiness */
export function parseReadiness(json) {
  const w = "/api/v1/readiness";
  return array(json, w).map((value, i) => {
    const where = `${w} [${i}]`;
    const r = object(value, where);
    return {
      vehicleId: string(r.vehicle_id, `${where}.vehicle_id`),
      status: string(r.status, `${where}.status`),
      departureAt: optionalInstant(r.departure_at, `${where}.departure_at`),
      energyNeededKwh: optionalNumber(r.energy_needed_kwh, `${where}.energy_needed_kwh`),
      plannedEnergyKwh: optionalNumber(r.planned_energy_kwh, `${where}.planned_energy_kwh`),
      unmetEnergyKwh: optionalNumber(r.unmet_energy_kwh, `${where}.unmet_energy_kwh`),
      unmetReason: optionalString(r.unmet_reason, `${where}.unmet_reason`),
      expectedSocPercent: optionalNumber(r.expected_soc_percent, `${where}.expected_soc_percent`),
      connectorKey: optionalString(r.connector_key, `${where}.connector_key`),
    };
  });
}

/** GET /api/v1/vehicles */
export function parseVehicles(json) {
  const w = "/api/v1/vehicles";
  return array(json, w).map((value, i) => {
    const where = `${w} [${i}]`;
    const v = object(value, where);
    return {
      id: string(v.id, `${where}.id`),
      fleet: string(v.fleet, `${where}.fleet`),
      vehicleClass: string(v.vehicle_class, `${where}.vehicle_class`),
      name: string(v.name, `${where}.name`),
      batteryKwh: number(v.battery_kwh, `${where}.battery_kwh`),
    };
  });
}

/** POST /api/v1/vehicles/{id}/what-if */
export function parseWhatIf(json) {
  const w = "/api/v1/vehicles/{id}/what-if";
  const r = object(json, w);
  return {
    vehicleId: string(r.vehicle_id, `${w} vehicle_id`),
    ready: boolean(r.ready, `${w} ready`),
    pluggedIn: boolean(r.plugged_in, `${w} plugged_in`),
    connectorKey: optionalString(r.connector_key, `${w} connector_key`),
    energyNeededKwh: number(r.energy_needed_kwh, `${w} energy_needed_kwh`),
    expectedEnergyKwh: number(r.expected_energy_kwh, `${w} expected_energy_kwh`),
    unmetEnergyKwh: number(r.unmet_energy_kwh, `${w} unmet_energy_kwh`),
    unmetReason: optionalString(r.unmet_reason, `${w} unmet_reason`),
    expectedSocPercent: optionalNumber(r.expected_soc_percent, `${w} expected_soc_percent`),
    costChangeEur: optionalNumber(r.cost_change_eur, `${w} cost_change_eur`),
  };
}

/** GET /api/v1/yard */
export function parseYard(json) {
  const w = "/api/v1/yard";
  return array(json, w).map((value, i) => {
    const where = `${w} [${i}]`;
    const e = object(value, where);
    return {
      vehicleId: string(e.vehicle_id, `${where}.vehicle_id`),
      since: instant(e.since, `${where}.since`),
      departureAt: instant(e.departure_at, `${where}.departure_at`),
      energyNeededKwh: number(e.energy_needed_kwh, `${where}.energy_needed_kwh`),
    };
  });
}

/** GET /api/v1/auth/me */
export function parseMe(json) {
  const w = "/api/v1/auth/me";
  const me = object(json, w);
  return {
    name: string(me.name, `${w} name`),
    role: string(me.role, `${w} role`),
    fleet: optionalString(me.fleet, `${w} fleet`),
    siteTimezone: optionalString(me.site_timezone, `${w} site_timezone`),
  };
}
