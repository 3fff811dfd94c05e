// The site chart over the planning horizon, drawn with uPlot (vendor/uplot, loaded as a classic
// script that defines window.uPlot).
//
// Encoding, readable without colour: EV load is an area (stepped when planned), grid import a line
// (stepped when planned), the grid limit long dashes, PV dots, base load dash-dots; measured PV and
// base load are thin solid lines beside their dotted forecasts. Measured series
// cover the past, planned ones the horizon; a vertical line marks the site's `now`. Colours are the
// Okabe-Ito palette, safe for the common colour-vision deficiencies.

import { formatKw } from "./format.js";

const OKABE_ITO = {
  black: "#000000",
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
};

/** Background shading per ARERA tariff band: the dearer the band, the darker. */
const BAND_FILL = { F1: "rgba(0, 0, 0, 0.10)", F2: "rgba(0, 0, 0, 0.05)" };

/** Turns parsed timeseries into uPlot's aligned columns (x in unix seconds, nulls where absent). */
export function chartColumns(timeseries) {
  const { horizon, measured } = timeseries;
  const planned = new Map();
  const n = horizon.slotStarts.length;
  for (let i = 0; i < n; i += 1) {
    planned.set(horizon.slotStarts[i].getTime() / 1000, i);
  }
  // A stepped series needs a point at the end of the last slot to draw that slot's step.
  let endS = null;
  if (n > 0) {
    endS = horizon.slotStarts[n - 1].getTime() / 1000 + horizon.slotDurationH[n - 1] * 3600;
    planned.set(endS, n - 1);
  }
  const measuredAt = new Map();
  measured.at.forEach((t, i) => measuredAt.set(t.getTime() / 1000, i));
  const xs = [...new Set([...planned.keys(), ...measuredAt.keys()])].sort((a, b) => a - b);

  const fromPlan = (values) =>
    xs.map((x) => (planned.has(x) ? values[planned.get(x)] : null));
  const fromMeasured = (values) =>
    xs.map((x) => (measuredAt.has(x) ? values[measuredAt.get(x)] : null));
  return [
    xs,
    fromPlan(horizon.evPowerPlannedKw),
    fromMeasured(measured.evPowerKw),
    fromPlan(horizon.baseLoadKw),
    fromPlan(horizon.pvKw),
    fromPlan(horizon.gridImportPlannedKw),
    fromMeasured(measured.gridImportKw),
    fromPlan(horizon.gridImportLimitKw),
    fromMeasured(measured.pvKw),
    fromMeasured(measured.baseLoadKw),
  ];
}

/** Consecutive slots of the same tariff band as [startS, endS, band] ranges. */
export function tariffRanges(horizon) {
  const ranges = [];
  horizon.slotStarts.forEach((start, i) => {
    const band = horizon.tariffBand[i];
    const startS = start.getTime() / 1000;
    const endS = startS + horizon.slotDurationH[i] * 3600;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[2] === band && last[1] === startS) last[1] = endS;
    else ranges.push([startS, endS, band]);
  });
  return ranges.filter(([, , band]) => band !== null);
}

function seriesOptions(uPlot) {
  const stepped = uPlot.paths.stepped({ align: 1 });
  const kw = (u, v) => (v === null || v === undefined ? "–" : `${formatKw(v)} kW`);
  return [
    {
      label: "EV load, planned",
      stroke: OKABE_ITO.bluishGreen,
      fill: "rgba(0, 158, 115, 0.18)",
      width: 1.5,
      paths: stepped,
      spanGaps: true,
      value: kw,
    },
    {
      label: "EV load, measured",
      stroke: OKABE_ITO.skyBlue,
      fill: "rgba(86, 180, 233, 0.30)",
      width: 2,
      spanGaps: true,
      value: kw,
    },
    {
      label: "Base load",
      stroke: OKABE_ITO.reddishPurple,
      width: 2,
      dash: [10, 4, 2, 4],
      spanGaps: true,
      value: kw,
    },
    {
      label: "PV forecast",
      stroke: OKABE_ITO.orange,
      width: 3,
      dash: [1, 5],
      cap: "round",
      spanGaps: true,
      value: kw,
    },
    {
      label: "Grid import, planned",
      stroke: OKABE_ITO.blue,
      width: 2.5,
      paths: stepped,
      spanGaps: true,
      value: kw,
    },
    {
      label: "Grid import, measured",
      stroke: OKABE_ITO.black,
      width: 2,
      spanGaps: true,
      value: kw,
    },
    {
      label: "Grid import limit",
      stroke: OKABE_ITO.vermillion,
      width: 2.5,
      dash: [12, 6],
      paths: stepped,
      spanGaps: true,
      value: kw,
    },
    {
      label: "PV measured",
      stroke: OKABE_ITO.orange,
      width: 1.5,
      spanGaps: false,
      value: kw,
    },
    {
      label: "Base load measured",
      stroke: OKABE_ITO.reddishPurple,
      width: 1.5,
      spanGaps: false,
      value: kw,
    },
  ];
}

function chartHeight() {
  return Math.round(Math.min(340, Math.max(220, window.innerHeight * 0.34)));
}

/** Creates the chart lazily in `container` on the first data that has anything to draw. */
export function createSiteChart(container, emptyMessage) {
  let plot = null;
  let shown = null;
  let timeFormat = null;
  let nowS = null;
  let bands = [];

  function drawBands(u) {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const px = devicePixelRatio;
    const spans = bands.map(([startS, endS, band]) => [
      Math.max(left, u.valToPos(startS, "x", true)),
      Math.min(left + width, u.valToPos(endS, "x", true)),
      band,
    ]);
    ctx.save();
    for (const [x0, x1, band] of spans) {
      const fill = BAND_FILL[band];
      if (fill === undefined || x1 <= x0) continue;
      ctx.fillStyle = fill;
      ctx.fillRect(x0, top, x1 - x0, height);
    }
    // Labels after all fills, and only where they fit, so no band paints over its neighbour's label.
    ctx.font = `${Math.round(11 * px)}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    ctx.fillStyle = "#4d4d4d";
    for (const [x0, x1, band] of spans) {
      if (x1 - x0 >= ctx.measureText(band).width + 8 * px) ctx.fillText(band, x0 + 4 * px, top + 3 * px);
    }
    ctx.restore();
  }

  function drawNow(u) {
    if (nowS === null) return;
    const [min, max] = [u.scales.x.min, u.scales.x.max];
    if (nowS < min || nowS > max) return;
    const { ctx } = u;
    const x = Math.round(u.valToPos(nowS, "x", true));
    const { top, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = "#333333";
    ctx.lineWidth = devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.fillStyle = "#1a1a1a";
    ctx.font = `600 ${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.textBaseline = "bottom";
    ctx.fillText("now", x + 4 * devicePixelRatio, top + height - 3 * devicePixelRatio);
    ctx.restore();
  }

  function timeAxisValues(u, splits) {
    let previousDay = null;
    return splits.map((s) => {
      const d = new Date(s * 1000);
      const day = timeFormat.day(d);
      const label = day !== previousDay && previousDay !== null ? `${timeFormat.shortTime(d)}\n${day}` : timeFormat.shortTime(d);
      previousDay = day;
      return label;
    });
  }

  function build(uPlot, data) {
    const width = Math.max(280, container.clientWidth);
    const opts = {
      width,
      height: chartHeight(),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeFormat.timeZone),
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      legend: { live: true },
      scales: {
        x: { time: true },
        y: { range: (u, min, max) => [0, Math.max(10, Math.ceil((max * 1.08) / 50) * 50)] },
      },
      axes: [
        { values: timeAxisValues, stroke: "#333333", grid: { stroke: "#e3e3e3" }, ticks: { stroke: "#cccccc" } },
        {
          label: "kW",
          stroke: "#333333",
          grid: { stroke: "#e3e3e3" },
          ticks: { stroke: "#cccccc" },
          size: 56,
        },
      ],
      series: [
        {
          label: "Time",
          value: (u, ts) => {
            if (ts === null) return "–";
            const d = new Date(ts * 1000);
            return `${timeFormat.day(d)} ${timeFormat.shortTime(d)}`;
          },
        },
        ...seriesOptions(uPlot),
      ],
      hooks: { drawClear: [drawBands], draw: [drawNow] },
    };
    plot = new uPlot(opts, data, container);
    // The legend below stays an interactive table (click a series to hide it); only the drawing is an image.
    const canvas = plot.root.querySelector("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute(
      "aria-label",
      "Site power in kW over time: grid import limit, planned and measured grid import and EV load, PV forecast, base load",
    );
    new ResizeObserver(() => {
      const w = Math.max(280, container.clientWidth);
      const h = chartHeight();
      if (plot !== null && (plot.width !== w || plot.height !== h)) plot.setSize({ width: w, height: h });
    }).observe(container);
  }

  /**
   * @param timeseries  parsed /api/v1/site/timeseries
   * @param now  the site's current time
   * @param format  site time formatters (format.js siteTimeFormat)
   */
  function update(timeseries, now, format) {
    timeFormat = format;
    nowS = now.getTime() / 1000;
    bands = tariffRanges(timeseries.horizon);
    const data = timeseries === shown ? plot.data : chartColumns(timeseries);
    const empty = data[0].length === 0;
    emptyMessage.hidden = !empty;
    container.dataset.state = empty ? "empty" : "drawn";
    if (empty) return;
    const uPlot = window.uPlot;
    if (uPlot === undefined) throw new Error("operator page: the chart library (vendor/uplot) did not load");
    if (plot === null) build(uPlot, data);
    else if (timeseries !== shown) plot.setData(data);
    // Same data, later `now`: only the overlays move, so skip rebuilding the paths.
    else plot.redraw(false, false);
    shown = timeseries;
  }

  return { update };
}
