// Entry point of the operator page: signs in, polls the JSON API (docs/api-shapes.md), listens to its
// event stream to fetch what changed at once, and hands each answer to the views. All state lives in
// the closure of startOperatorPage; nothing is global.

import { createAlertsView, combineAlerts } from "./alerts_view.js";
import { assessSite } from "./assess.js";
import { createChargerView } from "./charger_view.js";
import { createChargerGrid } from "./chargers.js";
import { createSiteChart } from "./chart.js";
import { byTestId } from "./dom.js";
import { formatDuration, siteTimeFormat } from "./format.js";
import { LiveEvents } from "./live_events.js";
import { Poller } from "./poller.js";
import { startRouter } from "./router.js";
import { createScheduleView } from "./schedule_view.js";
import { Session } from "./session.js";
import { parseChargePoints, parseSchedule, parseSite, parseTimeseries } from "./shapes.js";
import { parseAlerts, parseMe, parseReadiness, parseVehicles, parseYard } from "./shapes_detail.js";
import { createSummary } from "./summary.js";
import { createToday, parseToday } from "./today.js";
import { createVehiclesView, renderDepartures } from "./vehicles_view.js";

// Relative, so the page also works behind a reverse proxy that serves the site under a path prefix.
const API = "api/v1";
const POLL_INTERVAL_MS = 2000;
const SLOW_POLL_INTERVAL_MS = 10000;
/** Samples of (wall clock, site clock) kept to tell simulated from real time [ms]. */
const CLOCK_WINDOW_MS = 20000;
const SITE_ROLES = new Set(["operator", "admin"]);
/** Views a fleet manager may open; the others read the whole site, which the API keeps from them. */
const FLEET_VIEWS = new Set(["vehicles", "charger"]);

/** How fast the site clock runs against this device's clock (1 = real time), or null if unknown. */
function clockRate(samples) {
  if (samples.length < 2) return null;
  const [wall0, site0] = samples[0];
  const [wall1, site1] = samples[samples.length - 1];
  if (wall1 - wall0 < 8000) return null;
  return (site1 - site0) / (wall1 - wall0);
}

async function signIn(session) {
  for (;;) {
    await session.ready();
    if (await session.identify(`${API}/auth/me`, parseMe)) return;
  }
}

function showRole(session) {
  document.body.dataset.role = session.role;
  for (const link of document.querySelectorAll("nav [data-roles]")) {
    link.hidden = !link.dataset.roles.split(" ").includes(session.role);
  }
  // The site's clock comes from GET /site, which only site staff may read.
  document.querySelector(".site-clock").hidden = !SITE_ROLES.has(session.role);
  const fleet = session.fleet === null ? "" : ` of ${session.fleet}`;
  byTestId("signed-in").textContent = `${session.name} · ${session.role.replace("_", " ")}${fleet}`;
}

async function startOperatorPage() {
  const session = new Session({ tokenUrl: `${API}/auth/token`, dialog: byTestId("sign-in") });
  await signIn(session);
  showRole(session);
  const readsSite = SITE_ROLES.has(session.role);
  const state = {
    site: null,
    timeseries: null,
    chargePoints: null,
    schedule: null,
    alerts: null,
    readiness: null,
    vehicles: null,
    yard: null,
    route: { view: "overview", id: null },
  };
  const clockSamples = [];
  let timeFormat = null;

  /** The site's time and formatters; a fleet manager, who may not read the site, gets this device's
   * clock (the demo's simulated clock is the site's alone) in the site's time zone. */
  function siteTime() {
    if (state.site !== null) return { format: timeFormat, now: state.site.now, timeZone: state.site.timezone };
    const timeZone = session.siteTimezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (timeFormat === null) timeFormat = siteTimeFormat(timeZone);
    return { format: timeFormat, now: new Date(), timeZone };
  }

  const summary = createSummary(document);
  const chart = createSiteChart(byTestId("site-chart"), byTestId("chart-empty"));
  const chargerGrid = createChargerGrid(byTestId("charger-grid"), {
    form: byTestId("charger-filters"),
    text: byTestId("charger-filter"),
    status: byTestId("status-filter"),
    count: byTestId("filter-count"),
    chips: byTestId("status-chips"),
    empty: byTestId("chargers-empty"),
  });
  const chargerView = createChargerView(byTestId("charger-view"), { session, api: API, siteTime });
  const scheduleView = createScheduleView(byTestId("schedule-view"));
  const vehiclesView = createVehiclesView(byTestId("vehicles-view"), {
    session,
    api: API,
    siteTime,
    onBooked: () => {
      readinessPoller.pollSoon();
      timeseriesPoller?.pollSoon();
    },
  });
  const alertsView = createAlertsView(byTestId("alerts-list"), byTestId("alert-count"), byTestId("alerts-empty"));
  const departures = byTestId("departures");
  const connectionText = byTestId("connection-state");
  const connectionDetail = byTestId("connection-detail");

  function renderSummary() {
    const { site } = state;
    if (site === null) return;
    const assessment = assessSite(state);
    summary.renderVerdict(assessment);
    summary.renderCards(site, assessment);
    if (state.alerts !== null) alertsView.render(combineAlerts(state.alerts, assessment), site.now);
  }

  function renderSchedule() {
    if (state.route.view !== "schedule" || state.schedule === null || state.site === null) return;
    scheduleView.render(state.schedule, state.yard, state.site.now, timeFormat);
  }

  function renderVehicles() {
    if (state.readiness === null || state.vehicles === null) return;
    vehiclesView.render(state.readiness, state.vehicles);
    const { format, now } = siteTime();
    if (readsSite && format !== null) renderDepartures(departures, state.readiness, now, format);
  }

  function onSite(site) {
    state.site = site;
    if (timeFormat === null || timeFormat.timeZone !== site.timezone) timeFormat = siteTimeFormat(site.timezone);
    const wallMs = Date.now();
    clockSamples.push([wallMs, site.now.getTime()]);
    while (clockSamples.length > 2 && wallMs - clockSamples[0][0] > CLOCK_WINDOW_MS) clockSamples.shift();
    // A jump back (a restarted simulation) makes the old samples meaningless.
    const n = clockSamples.length;
    if (n >= 2 && clockSamples[n - 1][1] < clockSamples[n - 2][1]) clockSamples.splice(0, n - 1);
    summary.renderClock(site, timeFormat, clockRate(clockSamples));
    renderSummary();
    if (state.timeseries !== null) chart.update(state.timeseries, site.now, timeFormat);
    if (state.chargePoints !== null) chargerGrid.update(state.chargePoints, site.now);
  }

  function onTimeseries(timeseries) {
    state.timeseries = timeseries;
    const planId = timeseries.schedule?.id ?? null;
    // The per-vehicle detail of a plan changes only with the plan, so fetch it once per plan.
    if (planId !== null && state.schedule?.id !== planId) schedulePoller.once();
    if (planId === null) state.schedule = null;
    if (state.site !== null) chart.update(timeseries, state.site.now, timeFormat);
    renderSummary();
  }

  function onChargePoints(chargePoints) {
    state.chargePoints = chargePoints;
    if (state.site !== null) chargerGrid.update(chargePoints, state.site.now);
    renderSummary();
  }

  const options = {
    intervalMs: POLL_INTERVAL_MS,
    onStatus: renderConnection,
    headers: () => session.headers(),
    onUnauthorized: () => session.expired(),
  };
  const poll = (url, parse, onData, intervalMs = POLL_INTERVAL_MS) =>
    new Poller({ ...options, url: `${API}/${url}`, parse, onData, intervalMs });

  const readinessPoller = poll("readiness", parseReadiness, (r) => ((state.readiness = r), renderVehicles()), SLOW_POLL_INTERVAL_MS);
  const vehiclesPoller = poll("vehicles", parseVehicles, (v) => ((state.vehicles = v), renderVehicles()), 6 * SLOW_POLL_INTERVAL_MS);
  let timeseriesPoller = null;
  let pollers;
  let extraPollers;
  let schedulePoller = null;
  if (readsSite) {
    const sitePoller = poll("site", parseSite, onSite);
    timeseriesPoller = poll("site/timeseries", parseTimeseries, onTimeseries);
    const chargePointsPoller = poll("charge-points", parseChargePoints, onChargePoints);
    pollers = [sitePoller, timeseriesPoller, chargePointsPoller];
    schedulePoller = poll("schedule", parseSchedule, (s) => {
      state.schedule = s;
      renderSummary();
      renderSchedule();
    });
    const alertsPoller = poll("alerts", parseAlerts, (a) => ((state.alerts = a), renderSummary()), 5000);
    const yardPoller = poll("yard", parseYard, (y) => ((state.yard = y), renderSchedule()), SLOW_POLL_INTERVAL_MS);
    const today = createToday(byTestId("today"));
    const todayPoller = poll("site/today", parseToday, (t) => today.render(t), SLOW_POLL_INTERVAL_MS);
    extraPollers = [alertsPoller, yardPoller, readinessPoller, vehiclesPoller, todayPoller];
    // Each event names what changed; fetch that part now rather than at its next poll.
    const onEvent = {
      schedule: () => [timeseriesPoller, readinessPoller, alertsPoller],
      "charge-points": () => [chargePointsPoller, sitePoller, alertsPoller],
      sessions: () => [chargePointsPoller, sitePoller, alertsPoller],
      yard: () => [yardPoller, readinessPoller],
      "grid-limits": () => [sitePoller, timeseriesPoller],
    };
    new LiveEvents({
      url: `${API}/events`,
      headers: () => session.headers(),
      onUnauthorized: () => session.expired(),
      onState: (connected) => (document.body.dataset.events = connected ? "live" : "down"),
      onEvent: (name, data) => {
        document.body.dataset.lastEvent = name;
        for (const p of onEvent[name]?.() ?? []) p.pollSoon();
        if (name !== "yard" && name !== "grid-limits") chargerView.refresh();
        if (name === "schedule" && data !== null && state.schedule?.id !== data.id) schedulePoller.once();
      },
    }).start();
  } else {
    pollers = [readinessPoller];
    extraPollers = [vehiclesPoller];
  }

  function renderConnection() {
    const watched = schedulePoller === null ? pollers : [...pollers, schedulePoller];
    const attempted = watched.filter((p) => p.lastSuccessAt !== null || p.failures > 0);
    const failing = attempted.filter((p) => p.failures > 0);
    let connection;
    let detail = "";
    if (attempted.length === 0) {
      connection = "connecting";
    } else if (failing.length === 0) {
      connection = pollers.every((p) => p.lastSuccessAt !== null) ? "live" : "connecting";
    } else {
      connection = failing.includes(pollers[0]) || failing.length > 1 ? "disconnected" : "degraded";
      const lastSuccess = Math.max(...pollers.map((p) => p.lastSuccessAt ?? 0));
      const retryS = Math.max(0, Math.min(...failing.map((p) => (p.nextAttemptAt ?? Date.now()) - Date.now())) / 1000);
      const since = lastSuccess > 0 ? `last data ${formatDuration((Date.now() - lastSuccess) / 1000)} ago` : "no data yet";
      detail = `${failing[0].lastError} · ${since} · retrying in ${Math.ceil(retryS)} s`;
    }
    const label = { connecting: "Connecting…", live: "Live", degraded: "Partly connected", disconnected: "Disconnected" };
    document.body.dataset.connection = connection;
    connectionText.textContent = label[connection];
    connectionDetail.textContent = detail;
    connectionDetail.title = detail;
  }

  startRouter((route) => {
    if (!readsSite && !FLEET_VIEWS.has(route.view)) {
      location.hash = "#/vehicles";
      return;
    }
    state.route = route;
    if (route.view === "charger") chargerView.show(route.id);
    else chargerView.hide();
    if (route.view === "schedule") renderSchedule();
    if (route.view === "vehicles") readinessPoller.pollSoon();
  });

  // The detail counts seconds since the last data and until the next retry, so refresh it steadily.
  setInterval(renderConnection, 1000);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) for (const p of [...pollers, ...extraPollers]) p.pollSoon();
  });
  for (const p of [...pollers, ...extraPollers]) p.start();
}

startOperatorPage();
