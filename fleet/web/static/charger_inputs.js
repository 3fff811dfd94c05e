// What a 2.0.1 charger reports for planning, in the words an operator reads: what the vehicle asked
// for over ISO 15118, and the limits someone else set on the charger. Pure text functions of the
// parsed API answer and the site's time formatters (format.js), so they can be checked on known input.
// Figures are as the charger stated them, so they keep no trailing ".0": "45 kW", "7.4 kW".

import { formatRating } from "./format.js";

/** A time in the site's zone: "16:00" on the day of `now`, "Tue 24 16:00" on another day. */
export function siteClock(date, format, now) {
  const sameDay = now !== null && format.day(date) === format.day(now);
  return sameDay ? format.shortTime(date) : `${format.day(date)} ${format.shortTime(date)}`;
}

/**
 * "vehicle asks: 42 kWh by 16:00, up to 45 kW"; the parts the vehicle did not state are left out.
 * @param {{energyAmountKwh: number|null, departureAt: Date|null, maxPowerKw: number|null}} needs
 */
export function vehicleAsksText(needs, format, now) {
  const what = [
    needs.energyAmountKwh === null ? null : `${formatRating(needs.energyAmountKwh)} kWh`,
    needs.departureAt === null ? null : `by ${siteClock(needs.departureAt, format, now)}`,
  ].filter((part) => part !== null);
  const parts = [what.join(" "), needs.maxPowerKw === null ? null : `up to ${formatRating(needs.maxPowerKw)} kW`];
  const stated = parts.filter((part) => part !== null && part !== "");
  return `vehicle asks: ${stated.length === 0 ? "nothing stated" : stated.join(", ")}`;
}

/**
 * "limited by SO (grid critical): 20 kW since 10:05"; a limit on one connector names it first ("#1 ").
 * @param {{connectorId: number, source: string, limitKw: number, gridCritical: boolean, since: Date}} limit
 */
export function externalLimitText(limit, format, now) {
  const where = limit.connectorId === 0 ? "" : `#${limit.connectorId} `;
  const critical = limit.gridCritical ? " (grid critical)" : "";
  return `${where}limited by ${limit.source}${critical}: ${formatRating(limit.limitKw)} kW since ${siteClock(limit.since, format, now)}`;
}
