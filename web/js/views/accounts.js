// #/accounts?serial=&platform=&enabled=&page=: the account registry, paged
// by the server (50 a page) with its filters; add or update an account
// (POST /account creates or replaces it by username), enable / disable,
// delete.
//
// data-testid: accounts-filters, filter-serial, filter-platform,
// filter-enabled, accounts-table, account-row (data-username), account-edit,
// account-toggle, account-delete, accounts-empty, account-form,
// account-username, account-serial, account-platform, account-enabled,
// account-save, account-reset, account-new (goes to the form); pager
// (ui.pager).

import { api } from "../api.js";
import {
  clearErrors, emptyRow, errorText, h, notify, pager, setQuery, submitForm,
  viewLifetime,
} from "../ui.js";
import { adminTable, confirmDelete, rowAction, rowButton } from "./admin-list.js";
import { checkbox, field, uid } from "./create-fields.js";

const PAGE_SIZE = 50;
const PLATFORMS = ["tiktok", "instagram"];

function select(testid, options, value, extra = {}) {
  const el = h("select", { id: uid("sel"), dataset: { testid }, ...extra },
    options.map(([v, text]) => h("option", { value: v }, text)));
  el.value = value;
  return el;
}

export function render(root, params, query) {
  const life = viewLifetime();
  const state = {
    serial: query.get("serial") || "",
    platform: query.get("platform") || "",
    enabled: query.get("enabled") || "",
    page: Math.max(1, Number.parseInt(query.get("page"), 10) || 1),
  };

  // Device serials for the inputs' suggestions (free text still reaches
  // the server, which names an unknown serial).
  const serialList = h("datalist", { id: uid("serials") });
  api("GET", "/device").then((d) => {
    if (life.alive())
      serialList.replaceChildren(...(d.devices || []).map((dev) =>
        h("option", { value: dev.serial })));
  }, () => {});

  // Filters
  const fSerial = h("input", { id: uid("fs"), type: "search",
    list: serialList.id, autocomplete: "off",
    dataset: { testid: "filter-serial" } });
  fSerial.value = state.serial;
  const fPlatform = select("filter-platform",
    [["", "any"], ...PLATFORMS.map((p) => [p, p])], state.platform);
  const fEnabled = select("filter-enabled",
    [["", "any"], ["true", "enabled"], ["false", "disabled"]], state.enabled);
  const filters = h("form", { class: "filters", role: "search",
    "aria-label": "Filter accounts", dataset: { testid: "accounts-filters" } },
  field("Serial", fSerial), field("Platform", fPlatform),
  field("Enabled", fEnabled),
  h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")));
  const applyFilters = () => {
    state.serial = fSerial.value.trim();
    state.platform = fPlatform.value;
    state.enabled = fEnabled.value;
    state.page = 1;
    load();
  };
  filters.addEventListener("submit", (ev) => { ev.preventDefault(); applyFilters(); });
  fPlatform.addEventListener("change", applyFilters);
  fEnabled.addEventListener("change", applyFilters);
  fSerial.addEventListener("change", applyFilters);

  // The list
  const { table, tbody } = adminTable("accounts-table", "Accounts",
    ["Username", "Serial", "Platform", "Enabled", "Actions"]);
  const pagerSlot = h("div", { class: "pager-slot" });
  const listStatus = h("p", { class: "muted", role: "status" });

  // The form
  const username = h("input", { id: uid("un"), type: "text",
    autocomplete: "off", dataset: { testid: "account-username", field: "username" } });
  const serial = h("input", { id: uid("se"), type: "text", list: serialList.id,
    autocomplete: "off", dataset: { testid: "account-serial", field: "serial" } });
  const platform = select("account-platform",
    PLATFORMS.map((p) => [p, p]), "tiktok", { dataset: {
      testid: "account-platform", field: "platform" } });
  const enabled = checkbox("Enabled", { dataset: { testid: "account-enabled",
    field: "enabled" } });
  enabled.input.checked = true;
  const save = h("button", { type: "submit", class: "primary",
    dataset: { testid: "account-save" } }, "Save account");
  const reset = h("button", { type: "reset", dataset: { testid: "account-reset" } },
    "Clear");
  const form = h("form", { class: "form", novalidate: true,
    "aria-labelledby": "account-form-title", dataset: { testid: "account-form" } },
  h("h2", { id: "account-form-title" }, "Add or update an account"),
  h("p", { class: "muted" }, "An existing username is updated; usernames are " +
    "kept exactly as typed (\"@a\" and \"a\" differ)."),
  field("Username", username), field("Serial (device)", serial),
  field("Platform", platform), enabled.wrap,
  h("div", { class: "actions" }, save, reset));
  form.addEventListener("reset", () => {
    clearErrors(form);
    setTimeout(() => { enabled.input.checked = true; });
  });
  submitForm(form, save, () => api("POST", "/account", {
    username: username.value, serial: serial.value.trim(),
    platform: platform.value, enabled: enabled.input.checked,
  }), { isAlive: life.alive, onDone: (a) => {
    notify(`Saved account ${a.username}`, "ok");
    form.reset();
    load();
  } });

  function edit(a) {
    clearErrors(form);
    username.value = a.username;
    serial.value = a.serial;
    platform.value = a.platform;
    enabled.input.checked = a.enabled;
    username.focus();
  }

  const toggle = (a) => rowAction(
    () => api("POST", "/account", { ...a, enabled: !a.enabled }),
    `${a.username} ${a.enabled ? "disabled" : "enabled"}`, load);
  const remove = (a) => confirmDelete(`Delete the account ${a.username}?`,
    () => api("DELETE", `/account/${encodeURIComponent(a.username)}`),
    `Deleted account ${a.username}`, load);

  function row(a) {
    const onOff = a.enabled ? "Disable" : "Enable";
    return h("tr", { dataset: { testid: "account-row", username: a.username } },
      h("th", { scope: "row" }, a.username),
      h("td", {}, a.serial),
      h("td", {}, a.platform),
      h("td", {}, a.enabled ? "yes" : "no"),
      h("td", { class: "actions" },
        rowButton("Edit", "account-edit", `Edit ${a.username}`, () => edit(a)),
        rowButton(onOff, "account-toggle", `${onOff} ${a.username}`, () => toggle(a)),
        rowButton("Delete", "account-delete", `Delete ${a.username}`,
          () => remove(a), "danger")));
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    setQuery({ serial: state.serial, platform: state.platform,
      enabled: state.enabled, page: state.page > 1 ? state.page : "" });
    const q = new URLSearchParams({ page: String(state.page),
      page_size: String(PAGE_SIZE) });
    for (const k of ["serial", "platform", "enabled"])
      if (state[k])
        q.set(k, state[k]);
    listStatus.textContent = "Loading…";
    try {
      const data = await api("GET", `/account?${q}`);
      if (!life.alive() || mine !== seq)
        return;
      const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
      if (state.page > pages && data.total > 0) {
        state.page = pages; // a delete emptied the last page
        load();
        return;
      }
      tbody.replaceChildren(...(data.accounts.length
        ? data.accounts.map(row)
        : [emptyRow(5, "No accounts match.", "accounts-empty")]));
      pagerSlot.replaceChildren(pager(state.page, PAGE_SIZE, data.total, (p) => {
        state.page = p;
        load();
      }));
      listStatus.textContent = "";
    } catch (err) {
      if (life.alive() && mine === seq)
        listStatus.textContent = `Could not load accounts: ${errorText(err)}`;
    }
  }

  root.replaceChildren(
    h("header", { class: "page-head" }, h("h1", {}, "Accounts"),
      h("button", { type: "button", dataset: { testid: "account-new" },
        onclick: () => { form.reset(); username.focus(); } }, "Add account")),
    serialList, filters, listStatus,
    h("div", { class: "table-wrap" }, table), pagerSlot, form);
  load();
  return life.cleanup;
}
