// The targets of a create body (one of serials, groups or usernames, and
// enable_multi_account) and its timing (start_time, min/max_interval), as
// body parts {element, read(), load(body)} (see create-fields.js).
//
// data-testid: target-mode-serials|groups|usernames (radios), target-serials,
// target-groups, target-usernames (their fieldsets), target-filter (the
// devices' filter), serial-<serial>, group-<name>, account-<username>
// (checkboxes), target-usernames-text, multi-account, start-time,
// min-interval, max-interval.

import { h } from "../ui.js";
import {
  checkbox, field, join, numberOrText, splitList, uid,
} from "./create-fields.js";

/// A scrolling list of checkboxes, one per item; the testid of each is
/// `${testid}-${value}`. filter(text) shows only the items whose label
/// holds it; selectAll() checks the shown ones.
export function checkList(items, testid, labelOf, valueOf) {
  const boxes = items.map((it) => {
    const { input, wrap } = checkbox(labelOf(it),
      { value: valueOf(it), dataset: { testid: `${testid}-${valueOf(it)}` } });
    return { input, wrap, text: labelOf(it).toLowerCase() };
  });
  return {
    boxes,
    element: h("div", { class: "check-list" }, boxes.map((b) => b.wrap)),
    checked: () => boxes.filter((b) => b.input.checked).map((b) => b.input.value),
    check: (values) => boxes.forEach((b) => {
      b.input.checked = values.includes(b.input.value);
    }),
    filter: (text) => boxes.forEach((b) => {
      b.wrap.hidden = !b.text.includes(text.trim().toLowerCase());
    }),
    selectAll: (on) => boxes.forEach((b) => {
      if (!b.wrap.hidden || !on)
        b.input.checked = on;
    }),
  };
}

/// "Select all" / "Clear" for a check list.
export function listActions(list) {
  return h("div", { class: "actions" },
    h("button", { type: "button", class: "link",
      onclick: () => list.selectAll(true) }, "Select all"),
    h("button", { type: "button", class: "link",
      onclick: () => list.selectAll(false) }, "Clear"));
}

/// The targets: one of serials (device checkboxes), groups or usernames
/// (account checkboxes plus free text), and enable_multi_account for the
/// device modes.
export function targetFields(choices, prefix = "") {
  const name = uid("mode");
  const modes = [["serials", "Devices"], ["groups", "Groups"],
    ["usernames", "Accounts"]];
  const radios = modes.map(([value, text]) => {
    const id = uid("rb");
    const input = h("input", { type: "radio", id, name, value,
      dataset: { testid: `target-mode-${value}` } });
    return { input, wrap: h("span", { class: "radio" }, input,
      h("label", { for: id }, text)) };
  });
  radios[0].input.checked = true;

  const devices = checkList(choices.devices, "serial", (d) =>
    `${d.serial} (${d.state}${d.node ? `, ${d.node}` : ""})`, (d) => d.serial);
  const groups = checkList(choices.groups, "group", (g) =>
    `${g.name} (${g.serials.length} devices)`, (g) => g.name);
  const accounts = checkList(choices.accounts, "account", (a) =>
    `${a.username} on ${a.serial}${a.enabled ? "" : " (disabled)"}`,
  (a) => a.username);
  const other = h("textarea", { id: uid("users"), rows: "2",
    dataset: { testid: "target-usernames-text" } });

  // The element that names the mode's field (data-field), where the
  // server's message about it goes: the check list, else what stands there.
  const named = (el, mode) => {
    el.dataset.field = join(prefix, mode);
    return el;
  };
  const listOrEmpty = (list, mode, empty) => (list.boxes.length
    ? [listActions(list), named(list.element, mode)]
    : named(h("p", { class: "muted" }, empty), mode));
  const filterInput = h("input", { id: uid("tf"), type: "search",
    autocomplete: "off", dataset: { testid: "target-filter" } });
  filterInput.addEventListener("input", () => devices.filter(filterInput.value));
  const panel = (mode, legend, ...content) => h("fieldset", {
    class: "target-panel", dataset: { testid: `target-${mode}` } },
  h("legend", {}, legend), content);
  const panels = {
    serials: panel("serials", "Devices",
      devices.boxes.length > 8 ? field("Filter devices", filterInput) : null,
      listOrEmpty(devices, "serials", "No devices known.")),
    groups: panel("groups", "Groups",
      listOrEmpty(groups, "groups", "No groups yet (see the Groups page).")),
    usernames: panel("usernames", "Accounts",
      accounts.boxes.length
        ? [listActions(accounts), accounts.element] : null,
      choices.accountsTotal > choices.accounts.length
        ? h("p", { class: "muted" },
          `Showing ${choices.accounts.length} of ${choices.accountsTotal} ` +
          "accounts; type the others below.") : null,
      field("Other usernames", named(other, "usernames"),
        "one per line or comma separated")),
  };
  const multi = checkbox("One task per enabled account of each device " +
    "(enable_multi_account)", { dataset: { testid: "multi-account",
    field: join(prefix, "enable_multi_account") } });

  const mode = () => radios.find((r) => r.input.checked).input.value;
  const refresh = () => {
    for (const [key, p] of Object.entries(panels))
      p.hidden = key !== mode();
    multi.wrap.hidden = mode() === "usernames";
  };
  const element = h("fieldset", { class: "targets" },
    h("legend", {}, "Targets"),
    h("div", { class: "radios", role: "radiogroup", "aria-label": "Target by" },
      radios.map((r) => r.wrap)),
    Object.values(panels), multi.wrap);
  element.addEventListener("change", refresh);
  refresh();

  return {
    element,
    read() {
      const m = mode();
      const out = {};
      if (m === "serials")
        out.serials = devices.checked();
      else if (m === "groups")
        out.groups = groups.checked();
      else
        out.usernames = [...new Set([...accounts.checked(),
          ...splitList(other.value, "lines,commas")])];
      if (m !== "usernames" && multi.input.checked)
        out.enable_multi_account = true;
      return out;
    },
    load(body = {}) {
      const m = body.groups ? "groups" : body.usernames ? "usernames"
        : "serials";
      radios.forEach((r) => { r.input.checked = r.input.value === m; });
      devices.check(body.serials || []);
      groups.check(body.groups || []);
      const names = body.usernames || [];
      accounts.check(names);
      const listed = new Set(accounts.boxes.map((b) => b.input.value));
      other.value = names.filter((n) => !listed.has(n)).join("\n");
      multi.input.checked = !!body.enable_multi_account;
      refresh();
    },
  };
}

// "2026-11-29T14:30" (datetime-local, the browser's zone) as ISO-8601 with
// the browser's offset at that moment.
export function localToIso(value) {
  const at = new Date(value);
  if (!value || Number.isNaN(at.getTime()))
    return value;
  const off = -at.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const sign = off < 0 ? "-" : "+";
  const secs = value.length === 16 ? ":00" : "";
  return `${value}${secs}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}

/// min_interval / max_interval (and start_time when `withStart`).
export function timingFields(prefix = "", withStart = true) {
  const num = (testid, path) => {
    const input = h("input", { id: uid("iv"), type: "text",
      inputmode: "numeric", autocomplete: "off",
      dataset: { testid, field: join(prefix, path) } });
    input.placeholder = "0";
    return input;
  };
  const minI = num("min-interval", "min_interval");
  const maxI = num("max-interval", "max_interval");
  const start = withStart ? h("input", { id: uid("st"),
    type: "datetime-local", dataset: { testid: "start-time",
      field: join(prefix, "start_time") } }) : null;
  const element = h("fieldset", { class: "timing" },
    h("legend", {}, "Timing"),
    start ? field("Start time (your time zone)", start,
      "empty: as soon as possible") : null,
    h("div", { class: "row" },
      field("Min interval (minutes)", minI,
        "between the tasks created together; default 0"),
      field("Max interval (minutes)", maxI, ">= min; default 0")));
  return {
    element,
    read() {
      const out = {};
      if (start && start.value)
        out.start_time = localToIso(start.value);
      const lo = numberOrText(minI.value);
      const hi = numberOrText(maxI.value);
      if (lo !== undefined)
        out.min_interval = lo;
      if (hi !== undefined)
        out.max_interval = hi;
      return out;
    },
    load(body = {}) {
      minI.value = body.min_interval ? String(body.min_interval) : "";
      maxI.value = body.max_interval ? String(body.max_interval) : "";
    },
  };
}
