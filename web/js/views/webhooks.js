// #/webhooks (?deliveries=<id> shows that webhook's attempts): the
// registered receivers (GET /webhook), register (POST /webhook {url,
// events, secret}: the secret is sent once and never shown, the server
// does not return it), delete, and the last 100 delivery attempts of one
// (GET /webhook/{id}/deliveries, re-read every 3 s while shown).
//
// data-testid: webhooks-table, webhook-row (data-id), webhook-url-cell,
// webhook-deliveries-btn, webhook-delete, webhooks-empty, webhook-form,
// webhook-url, webhook-events, webhook-event-<type>, webhook-secret,
// webhook-save, deliveries (the section), deliveries-title,
// deliveries-table, delivery-row, deliveries-empty, deliveries-refresh,
// deliveries-close.

import { api } from "../api.js";
import {
  emptyRow, errorText, h, notify, setQuery, submitForm, time, viewLifetime,
} from "../ui.js";
import { adminTable, confirmDelete, listLoader, rowButton } from "./admin-list.js";
import { checkbox, field, uid } from "./create-fields.js";

const TASK_EVENTS = ["task.created", "task.started", "task.completed",
  "task.failed", "task.retried", "task.deleted"];
const EVENTS = [...TASK_EVENTS, "device.updated", "node.online", "node.offline"];

export function render(root, params, query) {
  const life = viewLifetime();
  let shown = Number.parseInt(query.get("deliveries"), 10) || null;

  const listStatus = h("p", { class: "muted", role: "status" }, "Loading…");
  const { table, tbody } = adminTable("webhooks-table", "Webhooks",
    ["ID", "URL", "Events", "Registered", "Actions"]);

  // Deliveries of one webhook
  const dTitle = h("h2", { id: uid("dt"), dataset: { testid: "deliveries-title" } });
  const dBody = h("tbody");
  const dStatus = h("p", { class: "muted", role: "status" });
  const refresh = h("button", { type: "button",
    dataset: { testid: "deliveries-refresh" }, onclick: () => loadDeliveries() },
  "Refresh");
  const close = h("button", { type: "button",
    dataset: { testid: "deliveries-close" }, onclick: () => showDeliveries(null) },
  "Close");
  const deliveries = h("section", { class: "deliveries", "aria-labelledby": dTitle.id,
    dataset: { testid: "deliveries" } },
  h("div", { class: "page-head" }, dTitle, h("div", { class: "actions" },
    refresh, close)),
  dStatus,
  h("div", { class: "table-wrap" }, h("table", { class: "table",
    dataset: { testid: "deliveries-table" } },
  h("thead", {}, h("tr", {}, ["Event", "Type", "Attempt", "HTTP status",
    "Error", "At"].map((t) => h("th", { scope: "col" }, t)))),
  dBody)));
  deliveries.hidden = true;

  // Register
  const url = h("input", { id: uid("wu"), type: "url", autocomplete: "off",
    spellcheck: "false", dataset: { testid: "webhook-url", field: "url" } });
  url.placeholder = "http://127.0.0.1:8080/tmx";
  const events = EVENTS.map((type) => {
    const c = checkbox(type, { value: type,
      dataset: { testid: `webhook-event-${type}` } });
    c.input.checked = TASK_EVENTS.includes(type);
    return c;
  });
  const eventsBox = h("fieldset", { class: "events", tabindex: "-1",
    dataset: { testid: "webhook-events", field: "events" } },
  h("legend", {}, "Events"), h("div", { class: "check-list" },
    events.map((e) => e.wrap)));
  const secret = h("input", { id: uid("ws"), type: "password",
    autocomplete: "new-password", spellcheck: "false",
    dataset: { testid: "webhook-secret", field: "secret" } });
  const save = h("button", { type: "submit", class: "primary",
    dataset: { testid: "webhook-save" } }, "Register webhook");
  const form = h("form", { class: "form", novalidate: true,
    "aria-labelledby": "webhook-form-title", dataset: { testid: "webhook-form" } },
  h("h2", { id: "webhook-form-title" }, "Register a webhook"),
  field("Receiver URL", url, "http:// or https://; each event is POSTed here"),
  eventsBox,
  field("Secret", secret, "at least 16 characters; signs each body " +
    "(X-Tmx-Signature); never shown again"),
  h("div", { class: "actions" }, save));
  submitForm(form, save, () => api("POST", "/webhook", {
    url: url.value.trim(),
    events: events.filter((e) => e.input.checked).map((e) => e.input.value),
    secret: secret.value,
  }), { isAlive: life.alive, onDone: (hook) => {
    notify(`Registered webhook #${hook.id}`, "ok");
    url.value = "";
    load();
  }, always: () => {
    secret.value = ""; // typed once, never kept in the page
  } });

  function showDeliveries(id, focus = true) {
    shown = id;
    setQuery({ deliveries: id || "" });
    deliveries.hidden = !id;
    if (!id)
      clearTimeout(dTimer);
    if (id) {
      dTitle.textContent = `Deliveries of webhook #${id}`;
      dBody.replaceChildren();
      loadDeliveries();
      if (focus) {
        deliveries.scrollIntoView({ block: "nearest" });
        refresh.focus();
      }
    }
  }

  // While shown, the attempts are re-read every few seconds (retries go on).
  let dTimer = null;
  let dSeq = 0;
  async function loadDeliveries() {
    clearTimeout(dTimer);
    if (!shown)
      return;
    dTimer = setTimeout(loadDeliveries, 3000);
    const mine = ++dSeq;
    if (!dBody.firstChild) // a re-read keeps the rows (no flicker, no chatter)
      dStatus.textContent = "Loading…";
    try {
      const data = await api("GET", `/webhook/${shown}/deliveries`);
      if (!life.alive() || mine !== dSeq)
        return;
      const list = data.deliveries || [];
      dBody.replaceChildren(...(list.length ? list.map((d) =>
        h("tr", { dataset: { testid: "delivery-row" } },
          h("td", {}, String(d.event_id)), h("td", {}, d.type),
          h("td", {}, String(d.attempt)),
          h("td", {}, d.status === null ? "—" : String(d.status)),
          h("td", {}, d.error || (d.status !== null ? "delivered" : "")),
          h("td", {}, time(d.at))))
        : [emptyRow(6, "No attempts yet (the last 100 are kept, in memory).",
          "deliveries-empty")]));
      dStatus.textContent = "";
    } catch (err) {
      if (life.alive() && mine === dSeq) {
        dStatus.textContent = `Could not load deliveries: ${errorText(err)}`;
        if (err.code === 40401) // no such webhook (any more): stop asking
          clearTimeout(dTimer);
      }
    }
  }

  const remove = (hook) => confirmDelete(`Delete webhook #${hook.id} (${hook.url})?`,
    () => api("DELETE", `/webhook/${hook.id}`), `Deleted webhook #${hook.id}`, () => {
      if (shown === hook.id)
        showDeliveries(null);
      load();
    });

  function row(hook) {
    return h("tr", { dataset: { testid: "webhook-row", id: String(hook.id) } },
      h("th", { scope: "row" }, `#${hook.id}`),
      h("td", { class: "wrap", dataset: { testid: "webhook-url-cell" } }, hook.url),
      h("td", {}, hook.events.join(", ")),
      h("td", {}, time(hook.created_at)),
      h("td", { class: "actions" },
        rowButton("Deliveries", "webhook-deliveries-btn",
          `Deliveries of webhook #${hook.id}`, () => showDeliveries(hook.id)),
        rowButton("Delete", "webhook-delete", `Delete webhook #${hook.id}`,
          () => remove(hook), "danger")));
  }

  const load = listLoader({ path: "/webhook", key: "webhooks", tbody,
    status: listStatus, row, columns: 5, empty: "No webhooks registered.",
    emptyId: "webhooks-empty", what: "webhooks", isAlive: life.alive });

  root.replaceChildren(
    h("header", { class: "page-head" }, h("h1", {}, "Webhooks")),
    listStatus, h("div", { class: "table-wrap" }, table), deliveries, form);
  load();
  if (shown)
    showDeliveries(shown, false);
  life.onCleanup(() => clearTimeout(dTimer));
  return life.cleanup;
}
