// The list half of the admin pages (accounts.js, groups.js, schedules.js,
// webhooks.js): the table, its loading, the row buttons and their actions.
// Their forms save with ui.js's submitForm.

import { api } from "../api.js";
import { confirmAction, emptyRow, errorText, h, notify } from "../ui.js";

/// {table, tbody}: a table (data-testid `testid`) with a caption for screen
/// readers and a header cell per column.
export function adminTable(testid, caption, columns) {
  const tbody = h("tbody");
  const table = h("table", { class: "table", dataset: { testid } },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, columns.map((t) => h("th", { scope: "col" }, t)))),
    tbody);
  return { table, tbody };
}

/// load() of a page that shows all of a list (GET `path` → data[key]): the
/// rows, or the empty row (`empty`, data-testid `emptyId`) spanning `columns`;
/// "Could not load <what>: …" in `status` on failure; the latest call wins.
export function listLoader({ path, key, tbody, status, row, columns, empty,
  emptyId, what, isAlive }) {
  let seq = 0;
  return async function load() {
    const mine = ++seq;
    try {
      const data = await api("GET", path);
      if (!isAlive() || mine !== seq)
        return;
      const list = data[key] || [];
      tbody.replaceChildren(...(list.length ? list.map(row)
        : [emptyRow(columns, empty, emptyId)]));
      status.textContent = "";
    } catch (err) {
      if (isAlive() && mine === seq)
        status.textContent = `Could not load ${what}: ${errorText(err)}`;
    }
  };
}

/// A row's button: `text`, data-testid `testid`, aria-label `label`.
export function rowButton(text, testid, label, onclick, cls = null) {
  return h("button", { type: "button", class: cls, dataset: { testid },
    "aria-label": label, onclick }, text);
}

/// Runs a row's action (`act()`, a promise): notifies `okText` and calls
/// then() when it succeeds, notifies the error when it fails.
export async function rowAction(act, okText, then) {
  try {
    await act();
    notify(okText, "ok");
    then();
  } catch (err) {
    notify(errorText(err), "error");
  }
}

/// rowAction after a "Delete" confirmation of `question`.
export async function confirmDelete(question, act, okText, then) {
  if (await confirmAction(question, "Delete"))
    await rowAction(act, okText, then);
}
