// Vehicles: will each leave with what it needs (vans first, as they leave on fixed rounds), the next
// departures for the overview, and a what-if: "would this booking be met, and what would it cost?",
// which a fleet manager can then book.

import { requestJson } from "./api.js";
import { make, row, setText } from "./dom.js";
import { formatKwh, formatPercent } from "./format.js";
import { unmetReasonText } from "./schedule_view.js";
import { parseWhatIf } from "./shapes_detail.js";
import { dateToSiteLocal, siteLocalToDate } from "./site_time.js";

const STATUS_TEXT = {
  ready: "Ready",
  at_risk: "At risk",
  waiting_for_charger: "Waiting for a charger",
  not_plugged_in: "Not plugged in",
  no_plan: "No plan yet",
};
const BOOKING_ROLES = new Set(["fleet_manager", "admin"]);
const DEPARTURES_SHOWN = 6;

export function statusText(status) {
  return STATUS_TEXT[status] ?? status;
}

/** Readiness joined with the vehicles' class and name: vans first, then by departure, then id. */
export function readinessRows(readiness, vehicles) {
  const byId = new Map(vehicles.map((v) => [v.id, v]));
  const departure = (r) => (r.departureAt === null ? Infinity : r.departureAt.getTime());
  return readiness
    .map((r) => ({ ...r, vehicle: byId.get(r.vehicleId) ?? null }))
    .sort(
      (a, b) =>
        Number(a.vehicle?.vehicleClass !== "van") - Number(b.vehicle?.vehicleClass !== "van") ||
        departure(a) - departure(b) ||
        a.vehicleId.localeCompare(b.vehicleId, "en", { numeric: true }),
    );
}

function meter(planned, needed) {
  const bar = make("span", "ready-bar");
  bar.setAttribute("role", "meter");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", String(needed ?? 0));
  bar.setAttribute("aria-valuenow", String(planned ?? 0));
  const fill = make("span", "ready-bar-fill");
  fill.style.width = `${needed ? Math.min(100, ((planned ?? 0) / needed) * 100) : 0}%`;
  bar.append(fill);
  const cell = make("span", "ready-cell");
  cell.append(bar, `${formatKwh(planned)} / ${formatKwh(needed)} kWh`);
  return cell;
}

function statusCell(status) {
  const cell = make("span", "ready-status", statusText(status));
  cell.dataset.status = status;
  return cell;
}

/** The next departures for the overview: soonest first, from now on. */
export function renderDepartures(body, readiness, now, format) {
  const next = readiness
    .filter((r) => r.departureAt !== null && r.departureAt >= now)
    .sort((a, b) => a.departureAt - b.departureAt)
    .slice(0, DEPARTURES_SHOWN);
  body.replaceChildren(
    ...next.map((r) => {
      const tr = row([`${format.day(r.departureAt)} ${format.shortTime(r.departureAt)}`, r.vehicleId, statusCell(r.status)], "departure-row");
      tr.dataset.status = r.status;
      return tr;
    }),
  );
  if (next.length === 0) body.append(row(["", "No departure known", ""]));
}

/**
 * @param {HTMLElement} root  the view's section
 * @param {object} options
 * @param {object} options.session
 * @param {string} options.api
 * @param {() => {format: object|null, now: Date|null, timeZone: string|null}} options.siteTime
 * @param {() => void} options.onBooked  a booking was saved (fetch readiness and the plan again)
 */
export function createVehiclesView(root, { session, api, siteTime, onBooked }) {
  const q = (id) => root.querySelector(`[data-testid="${id}"]`);
  const table = q("readiness-table");
  const count = q("readiness-count");
  const form = q("what-if-form");
  const vehicleSelect = form.elements.namedItem("vehicle");
  const departure = form.elements.namedItem("departure");
  const needKind = form.elements.namedItem("need-kind");
  const needValue = form.elements.namedItem("need-value");
  const answer = q("what-if-answer");
  const bookButton = q("book-button");
  let lastRequest = null;

  function when(date) {
    const { format } = siteTime();
    return date === null || format === null ? "–" : `${format.day(date)} ${format.shortTime(date)}`;
  }

  function render(readiness, vehicles) {
    const rows = readinessRows(readiness, vehicles);
    const atRisk = rows.filter((r) => r.status === "at_risk").length;
    setText(count, `${rows.length} vehicles · ${rows.filter((r) => r.status === "ready").length} ready · ${atRisk} at risk`);
    table.replaceChildren(
      ...rows.map((r) => {
        const short = r.status === "at_risk" ? `${formatKwh(r.unmetEnergyKwh)} kWh: ${unmetReasonText(r.unmetReason)}` : "–";
        const tr = row(
          [
            r.vehicle === null ? r.vehicleId : `${r.vehicleId} · ${r.vehicle.name}`,
            r.vehicle?.vehicleClass ?? "–",
            statusCell(r.status),
            when(r.departureAt),
            meter(r.plannedEnergyKwh, r.energyNeededKwh),
            short,
            formatPercent(r.expectedSocPercent),
          ],
          "readiness-row",
        );
        tr.dataset.vehicleId = r.vehicleId;
        tr.dataset.status = r.status;
        return tr;
      }),
    );
    const options = rows.map((r) => [r.vehicleId, r.vehicle === null ? r.vehicleId : `${r.vehicleId} (${r.vehicle.vehicleClass})`]);
    const key = JSON.stringify(options);
    if (vehicleSelect.dataset.key !== key) {
      const selected = vehicleSelect.value;
      vehicleSelect.dataset.key = key;
      vehicleSelect.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
      if (options.some(([value]) => value === selected)) vehicleSelect.value = selected;
    }
    const { now, timeZone } = siteTime();
    if (departure.value === "" && now !== null && timeZone !== null) {
      departure.value = dateToSiteLocal(new Date(now.getTime() + 8 * 3600e3), timeZone);
    }
  }

  function request() {
    const { timeZone } = siteTime();
    const at = timeZone === null ? null : siteLocalToDate(departure.value, timeZone);
    if (at === null) return { error: "Give the departure as a date and time." };
    const value = Number(needValue.value);
    if (!Number.isFinite(value) || value <= 0) return { error: "Give the energy or target charge as a positive number." };
    const body = { departure_at: at.toISOString() };
    if (needKind.value === "soc") body.target_soc = value / 100;
    else body.energy_needed_kwh = value;
    return { vehicleId: vehicleSelect.value, body };
  }

  function say(outcome, text) {
    answer.dataset.outcome = outcome;
    setText(answer, text);
  }

  async function whatIf(event) {
    event.preventDefault();
    const wanted = request();
    if (wanted.error) return say("error", wanted.error);
    bookButton.hidden = true;
    say("pending", "Planning…");
    const url = `${api}/vehicles/${encodeURIComponent(wanted.vehicleId)}/what-if`;
    const result = await requestJson(session, "POST", url, wanted.body);
    if (!result.ok) return say("error", result.message);
    const r = parseWhatIf(result.body);
    const cost = r.costChangeEur === null ? "" : ` · plan cost ${r.costChangeEur >= 0 ? "+" : "−"}€ ${Math.abs(r.costChangeEur).toFixed(2)}`;
    const where = r.pluggedIn ? "" : r.connectorKey === null ? " (if plugged in now: no free connector)" : ` (if plugged in now at ${r.connectorKey})`;
    const verdict = r.ready
      ? `Ready: ${formatKwh(r.expectedEnergyKwh)} of ${formatKwh(r.energyNeededKwh)} kWh by departure`
      : `Short by ${formatKwh(r.unmetEnergyKwh)} kWh: ${unmetReasonText(r.unmetReason)}`;
    say(r.ready ? "ready" : "short", `${r.vehicleId}: ${verdict}${where}, expected charge ${formatPercent(r.expectedSocPercent)}${cost}`);
    lastRequest = wanted;
    bookButton.hidden = !BOOKING_ROLES.has(session.role);
  }

  async function book() {
    if (lastRequest === null) return;
    const url = `${api}/vehicles/${encodeURIComponent(lastRequest.vehicleId)}/booking`;
    const result = await requestJson(session, "PUT", url, { ...lastRequest.body, priority: 1 });
    if (!result.ok) return say("error", result.message);
    say("booked", `Booked: ${lastRequest.vehicleId} leaves ${when(new Date(lastRequest.body.departure_at))}; the plan follows.`);
    bookButton.hidden = true;
    onBooked();
  }

  form.addEventListener("submit", whatIf);
  bookButton.addEventListener("click", book);
  return { render };
}
