// The plan as a heat map: one row per charging connector, one column per slot, darker for more
// power. A single-hue ramp (white to Okabe-Ito blue) reads the same with every common colour-vision
// deficiency and in grey print; each row's departure is a black tick, the site's `now` a line.

const RAMP_END = [0, 114, 178]; // Okabe-Ito blue
const LABEL_WIDTH_PX = 150;
const ROW_HEIGHT_PX = 16;
const AXIS_HEIGHT_PX = 22;

/** Colour of a cell: white at 0, blue at the top of the scale. */
export function rampColour(fraction) {
  const f = Math.max(0, Math.min(1, fraction));
  if (f === 0) return "rgb(255, 255, 255)";
  // Even the smallest power is visibly tinted, so "planned a little" differs from "nothing".
  const t = 0.12 + 0.88 * f;
  const [r, g, b] = RAMP_END.map((end) => Math.round(255 + (end - 255) * t));
  return `rgb(${r}, ${g}, ${b})`;
}

/** The highest planned power of any connector in any slot [kW] (at least 1, for the scale). */
export function scaleMaxKw(connectors) {
  return Math.max(1, ...connectors.flatMap((c) => c.powerKw));
}

/**
 * Draws the plan on `canvas`.
 * @param {HTMLCanvasElement} canvas
 * @param {object} plan  parsed /api/v1/schedule
 * @param {Date} now
 * @param {object} format  site time formatters (format.js)
 */
export function drawHeatmap(canvas, plan, now, format) {
  const rows = [...plan.connectors].sort((a, b) => a.connectorKey.localeCompare(b.connectorKey, "en", { numeric: true }));
  const n = plan.slotStarts.length;
  const cssWidth = Math.max(320, canvas.parentElement.clientWidth);
  const cssHeight = AXIS_HEIGHT_PX + Math.max(1, rows.length) * ROW_HEIGHT_PX + 4;
  const px = window.devicePixelRatio || 1;
  canvas.width = Math.round(cssWidth * px);
  canvas.height = Math.round(cssHeight * px);
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(px, 0, 0, px, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  if (n === 0) return;
  const t0 = plan.slotStarts[0].getTime();
  const t1 = plan.slotStarts[n - 1].getTime() + plan.slotDurationH[n - 1] * 3600e3;
  const plotWidth = cssWidth - LABEL_WIDTH_PX - 8;
  const x = (t) => LABEL_WIDTH_PX + ((t - t0) / (t1 - t0)) * plotWidth;
  const maxKw = scaleMaxKw(rows);

  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  ctx.fillStyle = "#333333";
  let lastLabelX = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const start = plan.slotStarts[i];
    const sx = x(start.getTime());
    const local = format.shortTime(start);
    if (local.endsWith(":00") && sx - lastLabelX > 44) {
      ctx.fillText(local, sx + 2, AXIS_HEIGHT_PX / 2);
      ctx.fillRect(sx, AXIS_HEIGHT_PX - 5, 1, 5);
      lastLabelX = sx;
    }
  }
  rows.forEach((c, r) => {
    const y = AXIS_HEIGHT_PX + r * ROW_HEIGHT_PX;
    ctx.fillStyle = "#1a1a1a";
    const label = c.vehicleId === null ? c.connectorKey : `${c.connectorKey} ${c.vehicleId}`;
    ctx.fillText(label, 4, y + ROW_HEIGHT_PX / 2, LABEL_WIDTH_PX - 8);
    for (let i = 0; i < n; i += 1) {
      const start = plan.slotStarts[i].getTime();
      const x0 = x(start);
      const x1 = x(start + plan.slotDurationH[i] * 3600e3);
      ctx.fillStyle = rampColour(c.powerKw[i] / maxKw);
      ctx.fillRect(x0, y + 1, Math.max(1, x1 - x0), ROW_HEIGHT_PX - 2);
    }
    const dx = x(Math.min(t1, Math.max(t0, c.departureAt.getTime())));
    ctx.fillStyle = "#000000";
    ctx.fillRect(dx - 1, y, 3, ROW_HEIGHT_PX);
  });
  const nowX = x(now.getTime());
  if (nowX >= LABEL_WIDTH_PX && nowX <= LABEL_WIDTH_PX + plotWidth) {
    ctx.strokeStyle = "#d55e00";
    ctx.lineWidth = 2;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(nowX, AXIS_HEIGHT_PX - 4);
    ctx.lineTo(nowX, cssHeight);
    ctx.stroke();
  }
}
