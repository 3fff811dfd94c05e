// The charge-point grid: one tile per charge point, updated in place every poll (no flicker, focus
// and scroll kept), with a text filter, a status filter and status chips that set it.

import { chargePointStatus, isAbovePlan, PROBLEM_STATUSES } from "./assess.js";
import { formatDuration, formatKw, formatPercent, formatRating } from "./format.js";
import { chargerHref } from "./router.js";

/** Display order of statuses in the chips and the filter (OCPP 1.6 and 2.0.1 names, then ours). */
const STATUS_ORDER = [
  "Charging",
  "SuspendedEV",
  "SuspendedEVSE",
  "Preparing",
  "Occupied",
  "Finishing",
  "Reserved",
  "Available",
  "Unavailable",
  "Faulted",
  "Offline",
  "Unknown",
];
const STATUS_LABEL = {
  SuspendedEV: "Suspended (EV)",
  SuspendedEVSE: "Suspended (EVSE)",
};
/** Filter value selecting every status in PROBLEM_STATUSES. */
const PROBLEMS = "problems";

export function statusLabel(status) {
  return STATUS_LABEL[status] ?? status;
}

function statusRank(status) {
  const i = STATUS_ORDER.indexOf(status);
  return i < 0 ? STATUS_ORDER.length : i;
}

function compareIds(a, b) {
  return a.localeCompare(b, "en", { numeric: true });
}

function make(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** Whether a tile's data matches the filters. An exact charge-point id selects only that one. */
export function matchesFilter(entry, query, statusFilter, exactIdMatch) {
  if (statusFilter === PROBLEMS ? !PROBLEM_STATUSES.has(entry.status) : statusFilter && entry.status !== statusFilter) {
    return false;
  }
  if (exactIdMatch) return entry.id.toLowerCase() === query;
  return query.split(/\s+/).every((token) => token === "" || entry.haystack.includes(token));
}

function createConnectorRow() {
  const row = make("div", "conn");
  const bar = make("div", "bar");
  bar.setAttribute("role", "meter");
  bar.setAttribute("aria-valuemin", "0");
  const fill = make("span", "bar-fill");
  const limit = make("span", "bar-limit");
  bar.append(fill, limit);
  const power = make("p", "conn-power");
  const vehicle = make("p", "conn-vehicle");
  row.append(bar, power, vehicle);
  return { row, bar, fill, limit, power, vehicle };
}

function createTile(id) {
  const tile = make("article", "tile");
  tile.dataset.testid = "charger-tile";
  tile.dataset.chargerId = id;
  const head = make("div", "tile-head");
  const name = make("h3", "tile-id");
  const link = make("a", "tile-link", id);
  link.href = chargerHref(id);
  link.dataset.testid = "charger-link";
  name.append(link);
  const kind = make("span", "tile-kind");
  head.append(name, kind);
  const status = make("p", "tile-status");
  const statusText = make("span", "status-text");
  status.append(make("span", "status-mark"), statusText);
  const body = make("div", "tile-body");
  tile.append(head, status, body);
  return { tile, kind, statusText, body, rows: [], offlineNote: make("p", "tile-offline") };
}

function renderConnector(view, cp, c, multiple) {
  const maxKw = cp.maxPowerKw > 0 ? cp.maxPowerKw : 1;
  const powerKw = c.powerKw ?? 0;
  view.fill.style.width = `${Math.min(100, (powerKw / maxKw) * 100)}%`;
  view.limit.hidden = c.limitKw === null;
  if (c.limitKw !== null) view.limit.style.left = `${Math.min(100, (c.limitKw / maxKw) * 100)}%`;
  const above = isAbovePlan(c);
  view.row.dataset.abovePlan = String(above);
  view.bar.setAttribute("aria-valuemax", String(cp.maxPowerKw));
  view.bar.setAttribute("aria-valuenow", String(powerKw));
  const plan = c.limitKw === null ? "no plan" : `plan ${formatKw(c.limitKw)} kW`;
  view.bar.setAttribute("aria-label", `Power ${formatKw(c.powerKw)} kW, ${plan}, maximum ${formatKw(cp.maxPowerKw)} kW`);
  const prefix = multiple ? `#${c.connectorId} ${statusLabel(c.status)} · ` : "";
  // A marker as well as the colour, so "above plan" does not depend on colour vision.
  const marker = above ? "▲ " : "";
  const powerText = c.limitKw === null ? `${formatKw(c.powerKw)} kW · no plan` : `${formatKw(c.powerKw)} / ${formatKw(c.limitKw)} kW`;
  setText(view.power, `${prefix}${marker}${powerText}`);
  view.power.title = above ? "Drawing more than the planned limit" : "";
  const fault = c.errorCode && c.errorCode !== "NoError" ? c.errorCode : null;
  const vehicle = c.vehicleId === null ? null : `${c.vehicleId} · ${formatPercent(c.socPercent)}`;
  const detail = [vehicle, fault].filter((part) => part !== null).join(" · ") || "no vehicle";
  setText(view.vehicle, detail);
  view.vehicle.title = detail;
}

function renderTile(view, cp, now) {
  const status = chargePointStatus(cp);
  view.tile.dataset.status = status;
  view.tile.dataset.connected = String(cp.connected);
  view.tile.dataset.kind = cp.kind;
  setText(view.kind, `${cp.kind} ${formatRating(cp.maxPowerKw)} kW`);
  setText(view.statusText, statusLabel(status));
  if (!cp.connected) {
    const seen = cp.lastSeenAt === null ? "never seen" : `last seen ${formatDuration((now - cp.lastSeenAt) / 1000)} ago`;
    setText(view.offlineNote, seen);
    if (view.body.firstChild !== view.offlineNote || view.body.childNodes.length !== 1) {
      view.body.replaceChildren(view.offlineNote);
      view.rows = [];
    }
    return status;
  }
  if (view.rows.length !== cp.connectors.length || view.body.firstChild === view.offlineNote) {
    view.rows = cp.connectors.map(() => createConnectorRow());
    view.body.replaceChildren(...view.rows.map((r) => r.row));
  }
  cp.connectors.forEach((c, i) => renderConnector(view.rows[i], cp, c, cp.connectors.length > 1));
  return status;
}

/**
 * @param grid  the element that holds the tiles
 * @param controls  {form, text, status, count, chips, empty} elements of the filter bar
 */
export function createChargerGrid(grid, controls) {
  const views = new Map();
  let entries = [];

  function applyFilter() {
    const query = controls.text.value.trim().toLowerCase();
    const statusFilter = controls.status.value;
    const exactIdMatch = entries.some((e) => e.id.toLowerCase() === query);
    let shown = 0;
    for (const entry of entries) {
      const visible = matchesFilter(entry, query, statusFilter, exactIdMatch);
      views.get(entry.id).tile.hidden = !visible;
      if (visible) shown += 1;
    }
    setText(controls.count, shown === entries.length ? `${shown} charge points` : `${shown} of ${entries.length} shown`);
    controls.empty.hidden = shown > 0 || entries.length === 0;
    for (const chip of controls.chips.children) {
      chip.setAttribute("aria-pressed", String(chip.dataset.value === statusFilter));
    }
  }

  function renderStatusControls(counts) {
    const statuses = [...counts.keys()].sort((a, b) => statusRank(a) - statusRank(b));
    const problems = statuses.filter((s) => PROBLEM_STATUSES.has(s)).reduce((n, s) => n + counts.get(s), 0);
    const options = [
      ["", `All statuses (${entries.length})`],
      [PROBLEMS, `Problems (${problems})`],
      ...statuses.map((s) => [s, `${statusLabel(s)} (${counts.get(s)})`]),
    ];
    const selected = controls.status.value;
    // Keep a selected status in the list even when no charge point has it any more.
    if (selected && !options.some(([value]) => value === selected)) options.push([selected, `${statusLabel(selected)} (0)`]);
    const key = JSON.stringify(options);
    if (controls.status.dataset.key !== key) {
      controls.status.dataset.key = key;
      controls.status.replaceChildren(...options.map(([value, label]) => new Option(label, value, false, value === selected)));
      controls.status.value = selected;
      controls.chips.replaceChildren(
        ...statuses.map((s) => {
          const chip = make("button", "chip");
          chip.type = "button";
          chip.dataset.value = s;
          chip.dataset.status = s;
          chip.append(make("span", "status-mark"), make("span", "chip-label", statusLabel(s)), make("span", "chip-count", String(counts.get(s))));
          return chip;
        }),
      );
    }
  }

  function update(chargePoints, now) {
    const sorted = [...chargePoints].sort((a, b) => compareIds(a.id, b.id));
    const counts = new Map();
    entries = sorted.map((cp) => {
      let view = views.get(cp.id);
      if (view === undefined) {
        view = createTile(cp.id);
        views.set(cp.id, view);
      }
      const status = renderTile(view, cp, now);
      counts.set(status, (counts.get(status) ?? 0) + 1);
      const vehicles = cp.connectors.map((c) => c.vehicleId ?? "").join(" ");
      const haystack = [cp.id, cp.kind, status, statusLabel(status), vehicles].join(" ").toLowerCase();
      return { id: cp.id, status, haystack };
    });
    const present = new Set(sorted.map((cp) => cp.id));
    for (const id of [...views.keys()]) {
      if (!present.has(id)) {
        views.get(id).tile.remove();
        views.delete(id);
      }
    }
    // Append in order; moving an element that is already in place is skipped to keep focus.
    sorted.forEach((cp, i) => {
      const tile = views.get(cp.id).tile;
      if (grid.children[i] !== tile) grid.insertBefore(tile, grid.children[i] ?? null);
    });
    renderStatusControls(counts);
    applyFilter();
  }

  controls.form.addEventListener("submit", (event) => event.preventDefault());
  controls.text.addEventListener("input", applyFilter);
  controls.status.addEventListener("change", applyFilter);
  controls.chips.addEventListener("click", (event) => {
    const chip = event.target.closest("button.chip");
    if (chip === null) return;
    controls.status.value = controls.status.value === chip.dataset.value ? "" : chip.dataset.value;
    applyFilter();
  });

  return { update };
}
