// One charger: what it is (OCPP version, firmware, connection), its connectors with power against
// the planned limit and what each vehicle asked for over ISO 15118, limits others set on it, the
// charging profiles installed on it, its recent sessions, its log (what it reported and what was
// flagged in it), its last OCPP frames as on the wire, and, for operators, commands.

import { chargePointStatus, isAbovePlan } from "./assess.js";
import { externalLimitText, vehicleAsksText } from "./charger_inputs.js";
import { statusLabel } from "./chargers.js";
import { createCommandPanel, mayCommand } from "./charger_commands.js";
import { make, row, setText } from "./dom.js";
import { formatDuration, formatKw, formatKwh, formatPercent } from "./format.js";
import { Poller } from "./poller.js";
import { parseChargerLog, parseChargePointDetail, parseOcppFrames, parseSessions } from "./shapes_detail.js";

const DETAIL_INTERVAL_MS = 2000;
const HISTORY_INTERVAL_MS = 10000;
const SESSIONS_SHOWN = 20;
const LOG_LINES_SHOWN = 50;

function table(testId, headings) {
  const element = make("table", "data-table");
  element.dataset.testid = testId;
  const head = make("thead");
  const tr = make("tr");
  tr.append(...headings.map((h) => make("th", null, h)));
  head.append(tr);
  const body = make("tbody");
  element.append(head, body);
  return { element, body };
}

function panel(title, ...content) {
  const section = make("section", "panel");
  section.append(make("h3", "panel-subtitle", title), ...content);
  return section;
}

function profileText(profile) {
  if (profile === null) return "none";
  const now = profile.limitNowKw === null ? "" : `, now ${formatKw(profile.limitNowKw)} kW`;
  const periods = profile.periods.length === 1 ? "1 period" : `${profile.periods.length} periods`;
  return `${profile.purpose} #${profile.profileId} (stack ${profile.stackLevel}, ${periods}${now})`;
}

/**
 * @param {HTMLElement} root  the view's section
 * @param {object} options
 * @param {object} options.session  bearer token and role (session.js)
 * @param {string} options.api  the API prefix
 * @param {() => {format: object|null, now: Date|null}} options.siteTime  the site's time formatters and clock
 */
export function createChargerView(root, { session, api, siteTime }) {
  const title = make("h2", "view-title");
  title.dataset.testid = "charger-title";
  const facts = make("p", "charger-facts");
  facts.dataset.testid = "charger-facts";
  const refusal = make("p", "view-refusal");
  refusal.dataset.testid = "charger-refused";
  refusal.setAttribute("role", "alert");
  refusal.hidden = true;
  const connectors = table("charger-connectors", ["Connector", "Status", "Power / limit", "Vehicle", "Energy", "Installed profile"]);
  const limits = make("ul", "charger-limits");
  limits.dataset.testid = "charger-limits";
  limits.hidden = true;
  const commands = make("div", "command-panel");
  commands.dataset.testid = "charger-commands";
  const commandPanel = createCommandPanel(commands, session, api);
  const failsafe = make("p", "panel-note");
  failsafe.dataset.testid = "charger-failsafe";
  const sessions = table("charger-sessions", ["Session", "Connector", "Vehicle", "Started", "Stopped", "Energy", "Cost", "Stop reason"]);
  const log = table("charger-log", ["Time", "Kind", "Status", "Detail"]);
  const frames = table("charger-frames", ["Time", "", "Message", "Frame"]);
  const head = make("div", "panel charger-head");
  const back = make("a", "back-link", "← All charge points");
  back.href = "#/";
  head.append(back, title, facts, refusal);
  const body = make("div", "charger-body");
  body.append(
    panel("Connectors", limits, connectors.element, failsafe),
    commands,
    panel("Recent sessions", sessions.element),
    panel("Charger log", log.element),
    panel("Recent OCPP messages", frames.element),
  );
  root.replaceChildren(head, body);

  let chargerId = null;
  let pollers = [];

  function when(date) {
    const { format } = siteTime();
    if (date === null) return "–";
    return format === null ? date.toISOString() : `${format.day(date)} ${format.shortTime(date)}`;
  }

  function refuse(poller) {
    // A role the API refuses (a fleet manager) gets the API's own words instead of empty tables.
    const refused = poller.lastError?.includes("HTTP 403") ?? false;
    refusal.hidden = !refused;
    body.hidden = refused;
    if (refused) setText(refusal, "Charger details and commands need the operator role; the site refused them for your account.");
  }

  function vehicleCell(c) {
    const vehicle = c.vehicleId === null ? "–" : `${c.vehicleId} · ${formatPercent(c.socPercent)}`;
    const { format, now } = siteTime();
    if (c.evNeeds === null || format === null) return vehicle;
    const cell = make("span", null, vehicle);
    const asks = make("span", "vehicle-asks", vehicleAsksText(c.evNeeds, format, now));
    asks.dataset.testid = "vehicle-asks";
    cell.append(asks);
    return cell;
  }

  function renderLimits(list) {
    const { format, now } = siteTime();
    limits.hidden = list.length === 0 || format === null;
    limits.replaceChildren(
      ...(limits.hidden ? [] : list).map((limit) => {
        const item = make("li", "charger-limit", externalLimitText(limit, format, now));
        item.dataset.testid = "charger-limit";
        item.dataset.gridCritical = String(limit.gridCritical);
        return item;
      }),
    );
  }

  function renderDetail(cp) {
    refusal.hidden = true;
    body.hidden = false;
    const status = chargePointStatus(cp);
    root.dataset.status = status;
    root.dataset.connected = String(cp.connected);
    setText(title, `${cp.id} · ${statusLabel(status)}`);
    const { now } = siteTime();
    const seen = cp.lastSeenAt === null ? "never seen" : `last seen ${now === null ? "" : formatDuration((now - cp.lastSeenAt) / 1000) + " ago"}`;
    const parts = [
      `${cp.kind} ${formatKw(cp.maxPowerKw)} kW`,
      `OCPP ${cp.ocppVersion ?? "–"}`,
      cp.connected ? "connected" : `offline, ${seen}`,
      [cp.vendor, cp.model].filter(Boolean).join(" ") || "unknown model",
      `firmware ${cp.firmwareVersion ?? "–"}`,
    ];
    setText(facts, parts.join(" · "));
    connectors.body.replaceChildren(
      ...cp.connectors.map((c) => {
        const power = c.limitKw === null ? `${formatKw(c.powerKw)} kW · no plan` : `${formatKw(c.powerKw)} / ${formatKw(c.limitKw)} kW`;
        const tr = row(
          [
            `#${c.connectorId}`,
            c.errorCode && c.errorCode !== "NoError" ? `${statusLabel(c.status)} (${c.errorCode})` : statusLabel(c.status),
            `${isAbovePlan(c) ? "▲ " : ""}${power}`,
            vehicleCell(c),
            c.energyKwh === null ? "–" : `${formatKwh(c.energyKwh)} kWh`,
            profileText(c.installedProfile),
          ],
          "connector-row",
        );
        tr.dataset.status = c.status;
        return tr;
      }),
    );
    renderLimits(cp.externalLimits);
    setText(failsafe, `Fail-safe default: ${profileText(cp.failsafeProfile)}`);
    commands.hidden = !mayCommand(session.role);
    if (!commands.hidden) commandPanel.update(cp);
  }

  function renderSessions(list) {
    sessions.body.replaceChildren(
      ...list.map((s) =>
        row(
          [
            String(s.id),
            `#${s.connectorId}`,
            s.vehicleId ?? s.idTag,
            when(s.startedAt),
            s.stoppedAt === null ? "running" : when(s.stoppedAt),
            `${formatKwh(s.energyKwh)} kWh`,
            `€ ${s.costEur.toFixed(2)}`,
            s.stopReason ?? "–",
          ],
          "session-row",
        ),
      ),
    );
    if (list.length === 0) sessions.body.append(row(["No sessions yet", "", "", "", "", "", "", ""]));
  }

  function renderLog(lines) {
    log.body.replaceChildren(
      ...lines.map((line) => {
        const tr = row([when(line.at), line.kind, `${line.flagged ? "⚑ " : ""}${line.status}`, line.detail ?? ""], "log-row");
        tr.dataset.flagged = String(line.flagged);
        return tr;
      }),
    );
    if (lines.length === 0) log.body.append(row(["Nothing reported yet", "", "", ""]));
  }

  function renderFrames(list) {
    frames.body.replaceChildren(
      ...list.map((f) => {
        const arrow = f.direction === "received" ? "← from charger" : "→ to charger";
        const kind = [f.messageType ?? "not OCPP-J", f.action ?? ""].join(" ").trim();
        const text = make("code", "frame-text", f.truncated ? `${f.frame}…` : f.frame);
        const tr = row([when(f.at), arrow, kind, text], "frame-row");
        tr.dataset.direction = f.direction;
        return tr;
      }),
    );
    if (list.length === 0) frames.body.append(row(["No messages since the server started", "", "", ""]));
  }

  function show(id) {
    if (id === chargerId) return;
    hide();
    chargerId = id;
    setText(title, id);
    setText(facts, "Loading…");
    connectors.body.replaceChildren();
    limits.replaceChildren();
    limits.hidden = true;
    sessions.body.replaceChildren();
    log.body.replaceChildren();
    frames.body.replaceChildren();
    const base = `${api}/charge-points/${encodeURIComponent(id)}`;
    const options = {
      onStatus: refuse,
      headers: () => session.headers(),
      onUnauthorized: () => session.expired(),
    };
    pollers = [
      new Poller({ ...options, url: base, parse: parseChargePointDetail, onData: renderDetail, intervalMs: DETAIL_INTERVAL_MS }),
      new Poller({
        ...options,
        url: `${api}/sessions?charge_point_id=${encodeURIComponent(id)}&limit=${SESSIONS_SHOWN}`,
        parse: parseSessions,
        onData: renderSessions,
        intervalMs: HISTORY_INTERVAL_MS,
      }),
      new Poller({ ...options, url: `${base}/log?limit=${LOG_LINES_SHOWN}`, parse: parseChargerLog, onData: renderLog, intervalMs: HISTORY_INTERVAL_MS }),
      new Poller({ ...options, url: `${base}/frames`, parse: parseOcppFrames, onData: renderFrames, intervalMs: DETAIL_INTERVAL_MS }),
    ];
    for (const p of pollers) p.start();
  }

  function hide() {
    for (const p of pollers) p.stop();
    pollers = [];
    chargerId = null;
  }

  /** Something changed at the site (an event): fetch again now. */
  function refresh() {
    for (const p of pollers) p.pollSoon();
  }

  return { show, hide, refresh };
}
