// Views of the page addressed by the URL's fragment, so each has a link and the back button works:
// "#/" overview, "#/chargers/MI-AC-01" one charger, "#/schedule", "#/vehicles", "#/alerts".

export const VIEWS = ["overview", "charger", "schedule", "vehicles", "alerts"];

/** The view and its argument for a fragment; anything unknown is the overview. */
export function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter((p) => p !== "").map(decodeURIComponent);
  if (parts[0] === "chargers" && parts.length === 2) return { view: "charger", id: parts[1] };
  if (VIEWS.includes(parts[0]) && parts[0] !== "charger" && parts.length === 1) return { view: parts[0], id: null };
  return { view: "overview", id: null };
}

export function chargerHref(id) {
  return `#/chargers/${encodeURIComponent(id)}`;
}

/**
 * Shows the section of the current view (elements with data-view) and marks its link in the nav.
 * @param {(route: {view: string, id: string|null}) => void} onRoute  called on every change
 */
export function startRouter(onRoute) {
  function apply() {
    const route = parseRoute(location.hash);
    document.body.dataset.view = route.view;
    for (const section of document.querySelectorAll("[data-view]")) {
      section.hidden = section.dataset.view !== route.view;
    }
    for (const link of document.querySelectorAll("nav [data-nav]")) {
      const current = link.dataset.nav === route.view || (route.view === "charger" && link.dataset.nav === "overview");
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    onRoute(route);
  }
  window.addEventListener("hashchange", apply);
  apply();
}
