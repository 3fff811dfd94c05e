// Number and time formatting. Times are always shown in the site's time zone, never the browser's:
// a tablet set to another zone must still show Milan time.

const DASH = "–";

/** Power [kW] as text without the unit: whole kW from 100 up, one decimal below. */
export function formatKw(powerKw) {
  if (powerKw === null || powerKw === undefined || !Number.isFinite(powerKw)) return DASH;
  const digits = Math.abs(powerKw) >= 100 ? 0 : 1;
  return powerKw.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A rated power [kW] without a pointless ".0": "22", "50", "7.4". */
export function formatRating(powerKw) {
  if (!Number.isFinite(powerKw)) return DASH;
  return Number.isInteger(powerKw) ? String(powerKw) : powerKw.toFixed(1);
}

/** Energy [kWh] as text without the unit. */
export function formatKwh(energyKwh) {
  return formatKw(energyKwh);
}

/** State of charge [%] as text with the unit. */
export function formatPercent(percent) {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return DASH;
  return `${Math.round(percent)} %`;
}

/** A duration [s] the way people say it: "40 s", "12 min", "3 h 05 min", "2 d 4 h". */
export function formatDuration(durationS) {
  if (!Number.isFinite(durationS)) return DASH;
  const s = Math.max(0, Math.round(durationS));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${String(min % 60).padStart(2, "0")} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Formatters bound to one time zone (the formatters are costly to build, so build them once). */
export function siteTimeFormat(timeZone) {
  const time = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  const shortTime = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const date = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZoneName: "short",
  });
  const day = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "numeric" });
  return {
    timeZone,
    day: (d) => day.format(d),
    time: (d) => time.format(d),
    shortTime: (d) => shortTime.format(d),
    date: (d) => date.format(d),
  };
}
