// Entry point of the operator page: polls the JSON API (docs/api-shapes.md) and hands each answer
// to the views. All state lives in the closure of startOperatorPage; nothing is global.

import { assessSite } from "./assess.js";
import { createChargerGrid } from "./chargers.js";
import { createSiteChart } from "./chart.js";
import { formatDuration, siteTimeFormat } from "./format.js";
import { Poller } from "./poller.js";
import { Session } from "./session.js";
import { parseChargePoints, parseSchedule, parseSite, parseTimeseries } from "./shapes.js";
import { createSummary } from "./summary.js";

// Relative, so the page also works behind a reverse proxy that serves the site under a path prefix.
const API = "api/v1";
const POLL_INTERVAL_MS = 2000;
/** Samples of (wall clock, site clock) kept to tell simulated from real time [ms]. */
const CLOCK_WINDOW_MS = 20000;

function byTestId(id) {
  const element = document.querySelector(`[data-testid="${id}"]`);
  if (element === null) throw new Error(`operator page: element data-testid="${id}" is missing`);
  return element;
}

/** How fast the site clock runs against this device's clock (1 = real time), or null if unknown. */
function clockRate(samples) {
  if (samples.length < 2) return null;
  const [wall0, site0] = samples[0];
  const [wall1, site1] = samples[samples.length - 1];
  if (wall1 - wall0 < 8000) return null;
  return (site1 - site0) / (wall1 - wall0);
}

async function startOperatorPage() {
  const session = new Session({ tokenUrl: `${API}/auth/token`, dialog: byTestId("sign-in") });
  await session.ready();
  const state = { site: null, timeseries: null, chargePoints: null, schedule: null };
  const clockSamples = [];
  let timeFormat = null;

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
  const connectionText = byTestId("connection-state");
  const connectionDetail = byTestId("connection-detail");

  function renderSummary() {
    const { site } = state;
    if (site === null) return;
    const assessment = assessSite(state);
    summary.renderVerdict(assessment);
    summary.renderCards(site, assessment);
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

  function onSchedule(schedule) {
    state.schedule = schedule;
    renderSummary();
  }

  const options = {
    intervalMs: POLL_INTERVAL_MS,
    onStatus: renderConnection,
    headers: () => session.headers(),
    onUnauthorized: () => session.expired(),
  };
  const pollers = [
    new Poller({ ...options, url: `${API}/site`, parse: parseSite, onData: onSite }),
    new Poller({ ...options, url: `${API}/site/timeseries`, parse: parseTimeseries, onData: onTimeseries }),
    new Poller({ ...options, url: `${API}/charge-points`, parse: parseChargePoints, onData: onChargePoints }),
  ];
  const schedulePoller = new Poller({ ...options, url: `${API}/schedule`, parse: parseSchedule, onData: onSchedule });

  function renderConnection() {
    const attempted = [...pollers, schedulePoller].filter((p) => p.lastSuccessAt !== null || p.failures > 0);
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

  // The detail counts seconds since the last data and until the next retry, so refresh it steadily.
  setInterval(renderConnection, 1000);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) for (const p of pollers) p.pollSoon();
  });
  for (const p of pollers) p.start();
}

startOperatorPage();
