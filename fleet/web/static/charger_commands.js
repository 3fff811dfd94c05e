// The operator's commands to one charger (remote start and stop, reset, unlock, availability), sent
// through the typed command routes. Shown to operators and administrators only; the API refuses the
// same commands to anyone else, whatever the page shows.

import { requestJson } from "./api.js";
import { make, setText } from "./dom.js";

const COMMAND_ROLES = new Set(["operator", "admin"]);

export function mayCommand(role) {
  return COMMAND_ROLES.has(role);
}

function field(labelText, control) {
  const label = make("label", "command-field");
  label.append(make("span", "command-label", labelText), control);
  return label;
}

function select(name, options) {
  const element = make("select");
  element.name = name;
  element.dataset.testid = `command-${name}`;
  element.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
  return element;
}

function button(text, action) {
  const element = make("button", "command-button", text);
  element.type = "button";
  element.dataset.action = action;
  element.dataset.testid = `command-${action}`;
  return element;
}

/** What the charger answered, as a sentence and an outcome for styling. */
export function describeAnswer(result) {
  if (!result.ok) return { outcome: result.status === 403 ? "refused" : "error", text: result.message };
  const answer = result.body;
  if (answer.outcome === "CallError") {
    return { outcome: "error", text: `The charger answered with an error: ${answer.error?.code ?? ""} ${answer.error?.description ?? ""}`.trim() };
  }
  const status = answer.payload?.status ?? "done";
  return { outcome: status === "Accepted" || status === "Unlocked" ? "accepted" : "rejected", text: `${answer.action}: ${status}` };
}

/**
 * The command panel of the charger view.
 * @param {HTMLElement} container
 * @param {object} session  the bearer token (session.js)
 * @param {string} api  the API prefix
 */
export function createCommandPanel(container, session, api) {
  let chargePoint = null;
  const connector = select("connector", []);
  const availability = select("availability", [["Operative", "Operative"], ["Inoperative", "Inoperative"]]);
  const resetType = select("reset-type", [["Soft", "Soft"], ["Hard", "Hard"]]);
  const idTag = make("input");
  idTag.name = "id-tag";
  idTag.dataset.testid = "command-id-tag";
  idTag.placeholder = "RFID-…";
  idTag.autocomplete = "off";
  const result = make("p", "command-result");
  result.dataset.testid = "command-result";
  result.setAttribute("role", "status");
  const buttons = [
    button("Start charging", "remote-start"),
    button("Stop charging", "remote-stop"),
    button("Unlock connector", "unlock-connector"),
    button("Set availability", "change-availability"),
    button("Reset", "reset"),
  ];
  const [startButton, stopButton, unlockButton, availabilityButton, resetButton] = buttons;
  const rows = [
    [field("Connector", connector)],
    [field("ID tag", idTag), startButton, stopButton, unlockButton],
    [field("Availability", availability), availabilityButton],
    [field("Reset", resetType), resetButton],
  ].map((parts) => {
    const line = make("div", "command-row");
    line.append(...parts);
    return line;
  });
  container.replaceChildren(make("h3", "panel-subtitle", "Commands"), ...rows, result);

  function selectedConnector() {
    return chargePoint.connectors.find((c) => String(c.connectorId) === connector.value) ?? null;
  }

  function commandFor(action) {
    const connectorId = Number(connector.value);
    switch (action) {
      case "remote-start":
        return { connector_id: connectorId > 0 ? connectorId : null, id_tag: idTag.value.trim() };
      case "remote-stop":
        return { transaction_id: selectedConnector()?.transactionId ?? null };
      case "unlock-connector":
        return { connector_id: connectorId };
      case "change-availability":
        return { connector_id: connectorId, type: availability.value };
      case "reset":
        return { type: resetType.value };
      default:
        throw new Error(`unknown command ${action}`);
    }
  }

  async function send(action) {
    const body = commandFor(action);
    if (action === "remote-stop" && body.transaction_id === null) {
      show("error", "No session is running on that connector.");
      return;
    }
    if (action === "remote-start" && body.id_tag === "") {
      show("error", "Give the ID tag to start the session with.");
      return;
    }
    for (const b of buttons) b.disabled = true;
    show("pending", "Sending…");
    const url = `${api}/charge-points/${encodeURIComponent(chargePoint.id)}/commands/${action}`;
    const answer = describeAnswer(await requestJson(session, "POST", url, body));
    for (const b of buttons) b.disabled = false;
    show(answer.outcome, answer.text);
  }

  function show(outcome, text) {
    result.dataset.outcome = outcome;
    setText(result, text);
  }

  container.addEventListener("click", (event) => {
    const target = event.target.closest("button[data-action]");
    if (target !== null && chargePoint !== null) send(target.dataset.action);
  });

  /** Shows the panel for a charger (keeps the operator's choices while it stays the same charger). */
  function update(cp) {
    const changed = chargePoint?.id !== cp.id;
    chargePoint = cp;
    const options = [["0", "whole charger (0)"], ...cp.connectors.map((c) => [String(c.connectorId), `#${c.connectorId}`])];
    const key = JSON.stringify(options);
    if (connector.dataset.key !== key) {
      const previous = connector.value;
      connector.dataset.key = key;
      connector.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
      connector.value = options.some(([value]) => value === previous) && !changed ? previous : options[1]?.[0] ?? "0";
    }
    if (changed) {
      show("", "");
      idTag.value = "";
    }
  }

  return { update };
}
