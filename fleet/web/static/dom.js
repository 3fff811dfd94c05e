// Small DOM helpers shared by the views: build elements, and change text only when it differs (so
// an update every poll neither flickers nor disturbs a selection or a screen reader).

export function make(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = text;
  return element;
}

export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

export function byTestId(id, root = document) {
  const element = root.querySelector(`[data-testid="${id}"]`);
  if (element === null) throw new Error(`operator page: element data-testid="${id}" is missing`);
  return element;
}

/** A table row of cells (text, or an element placed as it is). */
export function row(cells, testId) {
  const tr = make("tr");
  if (testId) tr.dataset.testid = testId;
  for (const cell of cells) {
    const td = make("td");
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell;
    tr.append(td);
  }
  return tr;
}
