// Today at the site (GET /api/v1/site/today): energy drawn, what it cost, the peak and how much of
// the PV was used on site, for the overview's "Today" cards.

import { object, number, optionalNumber } from "./shapes.js";
import { byTestId, setText } from "./dom.js";
import { formatKw, formatKwh } from "./format.js";

/** GET /api/v1/site/today */
export function parseToday(json) {
  const w = "/api/v1/site/today";
  const t = object(json, w);
  return {
    gridImportKwh: number(t.grid_import_kwh, `${w} grid_import_kwh`),
    evEnergyKwh: number(t.ev_energy_kwh, `${w} ev_energy_kwh`),
    pvEnergyKwh: number(t.pv_energy_kwh, `${w} pv_energy_kwh`),
    pvSelfConsumptionShare: optionalNumber(t.pv_self_consumption_share, `${w} pv_self_consumption_share`),
    peakImportKw: optionalNumber(t.peak_import_kw, `${w} peak_import_kw`),
    importCostEur: number(t.import_cost_eur, `${w} import_cost_eur`),
  };
}

export function createToday(root) {
  const e = (id) => byTestId(id, root);
  const fields = {
    import: e("today-import"),
    ev: e("today-ev"),
    cost: e("today-cost"),
    peak: e("today-peak"),
    pv: e("today-pv"),
    pvShare: e("today-pv-share"),
  };

  function render(today) {
    setText(fields.import, formatKwh(today.gridImportKwh));
    setText(fields.ev, formatKwh(today.evEnergyKwh));
    setText(fields.cost, `€ ${today.importCostEur.toFixed(2)}`);
    setText(fields.peak, formatKw(today.peakImportKw));
    setText(fields.pv, formatKwh(today.pvEnergyKwh));
    const share = today.pvSelfConsumptionShare;
    setText(fields.pvShare, share === null ? "no PV yet" : `${Math.round(share * 100)} % used on site`);
  }

  return { render };
}
