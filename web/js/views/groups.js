// #/groups: the device groups (GET /group lists them all, by name); create
// or replace one (POST /group {name, serials}), edit, delete. A group is a
// create target (#/create, "Groups").
//
// data-testid: groups-table, group-row (data-name), group-edit,
// group-delete, groups-empty, group-form, group-name, group-serials (the
// device checkboxes' fieldset; each checkbox group-serial-<serial>),
// group-save, group-reset.

import { api } from "../api.js";
import {
  clearErrors, errorText, h, notify, submitForm, time, viewLifetime,
} from "../ui.js";
import { adminTable, confirmDelete, listLoader, rowButton } from "./admin-list.js";
import { field, uid } from "./create-fields.js";
import { checkList, listActions } from "./create-targets.js";

const SHOWN_SERIALS = 8; // per row; the rest as "+N"

export function render(root) {
  const life = viewLifetime();
  const listStatus = h("p", { class: "muted", role: "status" }, "Loading…");
  const { table, tbody } = adminTable("groups-table", "Device groups",
    ["Name", "Devices", "Created", "Actions"]);

  const name = h("input", { id: uid("gn"), type: "text", autocomplete: "off",
    dataset: { testid: "group-name", field: "name" } });
  const serialsBox = h("fieldset", { class: "target-panel",
    dataset: { testid: "group-serials", field: "serials" } },
  h("legend", {}, "Devices"), h("p", { class: "muted" }, "Loading devices…"));
  let devices = checkList([], "group-serial", () => "", () => "");
  const save = h("button", { type: "submit", class: "primary",
    dataset: { testid: "group-save" } }, "Save group");
  const reset = h("button", { type: "reset", dataset: { testid: "group-reset" } },
    "Clear");
  const form = h("form", { class: "form", novalidate: true,
    "aria-labelledby": "group-form-title", dataset: { testid: "group-form" } },
  h("h2", { id: "group-form-title" }, "Create or replace a group"),
  h("p", { class: "muted" }, "Saving under an existing name replaces that " +
    "group's devices."),
  field("Name", name), serialsBox,
  h("div", { class: "actions" }, save, reset));

  api("GET", "/device").then((d) => {
    if (!life.alive())
      return;
    devices = checkList(d.devices || [], "group-serial",
      (dev) => `${dev.serial} (${dev.state})`, (dev) => dev.serial);
    // The server's message about serials goes beside the check list.
    const named = devices.boxes.length ? devices.element
      : h("p", { class: "muted" }, "No devices known.");
    delete serialsBox.dataset.field;
    named.dataset.field = "serials";
    serialsBox.replaceChildren(h("legend", {}, "Devices"),
      devices.boxes.length ? listActions(devices) : null, named);
  }, (err) => {
    if (life.alive())
      serialsBox.replaceChildren(h("legend", {}, "Devices"),
        h("p", { class: "form-error" }, `Could not load devices: ${errorText(err)}`));
  });

  form.addEventListener("reset", () => clearErrors(form));
  submitForm(form, save,
    () => api("POST", "/group", { name: name.value, serials: devices.checked() }),
    { isAlive: life.alive, onDone: (g) => {
      notify(`Saved group ${g.name} (${g.serials.length} devices)`, "ok");
      form.reset();
      load();
    } });

  function edit(g) {
    clearErrors(form);
    name.value = g.name;
    devices.check(g.serials);
    name.focus();
  }

  const remove = (g) => confirmDelete(`Delete the group ${g.name}? Its tasks stay.`,
    () => api("DELETE", `/group/${encodeURIComponent(g.name)}`),
    `Deleted group ${g.name}`, load);

  function row(g) {
    const more = g.serials.length - SHOWN_SERIALS;
    return h("tr", { dataset: { testid: "group-row", name: g.name } },
      h("th", { scope: "row" }, g.name),
      h("td", { title: g.serials.join(", ") },
        `${g.serials.slice(0, SHOWN_SERIALS).join(", ")}` +
        (more > 0 ? ` +${more}` : ""), h("span", { class: "muted" },
          ` (${g.serials.length})`)),
      h("td", {}, time(g.created_at)),
      h("td", { class: "actions" },
        rowButton("Edit", "group-edit", `Edit ${g.name}`, () => edit(g)),
        rowButton("Delete", "group-delete", `Delete ${g.name}`, () => remove(g),
          "danger")));
  }

  const load = listLoader({ path: "/group", key: "groups", tbody,
    status: listStatus, row, columns: 4, empty: "No groups yet.",
    emptyId: "groups-empty", what: "groups", isAlive: life.alive });

  root.replaceChildren(
    h("header", { class: "page-head" }, h("h1", {}, "Device groups")),
    listStatus, h("div", { class: "table-wrap" }, table), form);
  load();
  return life.cleanup;
}
