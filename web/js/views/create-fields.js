// The script's config inputs of a create body (from scripts.js) and the
// form helpers of the create, accounts, groups, schedules and webhooks
// pages. A body part is {element, read(), load(values)}; `prefix` is the
// body's path ("" for a create, "task" inside a schedule) so that each
// input's data-field is the path the server's 40001 message names
// ("script_config.captions", "task.script_config.captions"). The targets
// and the timing: create-targets.js.
//
// data-testid: config-fields, cfg-<name> (config inputs;
// cfg-chatgpt_settings.api_key for an object's).

import { api } from "../api.js";
import { h } from "../ui.js";
import { SCRIPTS, isShown, isRequired } from "../scripts.js";

let nextId = 0;
/// A unique element id for label/input pairs.
export function uid(stem) {
  nextId += 1;
  return `${stem}-${nextId}`;
}

export const join = (prefix, name) => (prefix ? `${prefix}.${name}` : name);

/// The devices, groups and accounts the target pickers offer. Accounts:
/// the first 100 (the picker says how many there are; others are typed).
export async function loadChoices() {
  const [devices, groups, accounts] = await Promise.all([
    api("GET", "/device"),
    api("GET", "/group"),
    api("GET", "/account?page_size=100"),
  ]);
  return {
    devices: devices.devices || [],
    groups: groups.groups || [],
    accounts: accounts.accounts || [],
    accountsTotal: accounts.total || 0,
  };
}

/// A labelled control: label, the control, an optional hint (the control's
/// aria-describedby), in a div.field. `control` must have an id.
export function field(labelText, control, hint, extra = {}) {
  const parts = [h("label", { for: control.id }, labelText), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    parts.push(h("small", { id: hintId, class: "hint" }, hint));
    control.setAttribute("aria-describedby", hintId);
  }
  return h("div", { class: "field", ...extra }, ...parts);
}

/// A checkbox with its label after it.
export function checkbox(labelText, attrs = {}) {
  const id = attrs.id || uid("cb");
  const input = h("input", { type: "checkbox", id, ...attrs });
  const wrap = h("div", { class: "field inline" }, input,
    h("label", { for: id }, labelText));
  return { input, wrap };
}

// Numbers are sent as numbers when they read as one, else as typed: the
// server then names the field and its rule.
export function numberOrText(text) {
  const t = text.trim();
  if (t === "")
    return undefined;
  const n = Number(t);
  // Infinity would go out as null (JSON), which the server takes as absent.
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && Number.isFinite(n))
    return n;
  return t;
}

export function splitList(text, how) {
  const parts = how === "lines,commas" ? text.split(/[\n,]/) : text.split("\n");
  return parts.map((s) => s.trim()).filter((s) => s !== "");
}

function rangeHint(f) {
  const bits = [];
  if (f.help)
    bits.push(f.help);
  if ((f.type === "int" || f.type === "number") && f.help === undefined) {
    if (f.max !== undefined && f.max < 1e9)
      bits.push(`${f.min}-${f.max}`);
    else if (f.min !== undefined)
      bits.push(`>= ${f.min}`);
  }
  if (f.default !== undefined && f.type !== "bool" && f.type !== "enum")
    bits.push(`default ${f.default === "" ? '""' : f.default}`);
  return bits.join("; ");
}

// One config input: {name, def, wrap, input, get(), set(v), sub?}.
function configInput(f, path) {
  const id = uid("cfg");
  const testid = `cfg-${path.replace(/^(task\.)?script_config\./, "")}`;
  const common = { id, name: f.name, dataset: { field: path, testid } };
  let input;
  let get;
  let set;
  if (f.type === "object") {
    const sub = f.fields.map((g) => configInput(g, `${path}.${g.name}`));
    const box = h("fieldset", { class: "subfields", dataset: { field: path } },
      h("legend", {}, f.label), sub.map((s) => s.wrap));
    return {
      name: f.name, def: f, wrap: box, input: box, sub,
      get: () => Object.fromEntries(sub.map((s) => [s.name, s.get()])
        .filter(([, v]) => v !== undefined)),
      set: (v) => sub.forEach((s) => s.set(v ? v[s.name] : undefined)),
    };
  }
  if (f.type === "bool") {
    const { input: cb, wrap } = checkbox(f.label, common);
    cb.checked = f.default === true;
    return {
      name: f.name, def: f, wrap, input: cb,
      get: () => cb.checked,
      set: (v) => { cb.checked = v === undefined ? f.default === true : !!v; },
    };
  }
  if (f.type === "enum") {
    input = h("select", common, f.choices.map((c) =>
      h("option", { value: String(c) },
        (f.choiceLabels && f.choiceLabels[c]) || String(c))));
    input.value = String(f.default);
    get = () => (f.ints ? Number(input.value) : input.value);
    set = (v) => { input.value = String(v === undefined ? f.default : v); };
  } else if (f.type === "list" || f.multiline) {
    input = h("textarea", { ...common, rows: "3" });
    if (f.type === "list")
      input.placeholder = "one per line";
    else if (f.default)
      input.placeholder = String(f.default);
    get = () => {
      if (f.type !== "list")
        return input.value === "" ? undefined : input.value;
      const items = splitList(input.value, f.split);
      return items.length ? items : undefined;
    };
    set = (v) => {
      input.value = v === undefined || v === null ? ""
        : Array.isArray(v) ? v.join("\n") : String(v);
    };
  } else {
    const numeric = f.type === "int" || f.type === "number";
    input = h("input", {
      ...common,
      type: f.secret ? "password" : "text",
      autocomplete: f.secret ? "new-password" : "off",
      ...(numeric ? { inputmode: f.type === "int" ? "numeric" : "decimal" }
        : {}),
    });
    if (f.default !== undefined && f.default !== "")
      input.placeholder = String(f.default);
    get = numeric ? () => numberOrText(input.value)
      : () => (input.value === "" ? undefined : input.value);
    set = (v) => {
      // A masked secret ("***") is not the key: the user types it again.
      const masked = f.secret && v === "***";
      input.value = v === undefined || v === null || masked ? "" : String(v);
      if (f.secret)
        input.placeholder = masked ? "stored (***): type the key again" : "";
    };
  }
  const req = h("span", { class: "required-mark", hidden: true }, " (required)");
  const wrap = field([f.label, req], input, rangeHint(f));
  return { name: f.name, def: f, wrap, input, get, set, req };
}

/// The config inputs of `scriptName`, for the body path
/// `${prefix}.script_config`. Hidden (conditional) fields are not sent.
export function configFields(scriptName, prefix = "") {
  const spec = SCRIPTS[scriptName];
  const base = join(prefix, "script_config");
  const inputs = spec.fields.filter((f) => !f.alias)
    .map((f) => configInput(f, `${base}.${f.name}`));
  const element = h("fieldset", { class: "config",
    dataset: { field: base, testid: "config-fields" } },
    h("legend", {}, `${spec.label} settings`), inputs.map((i) => i.wrap));

  const values = () => Object.fromEntries(inputs.map((i) => [i.name, i.get()]));
  const refresh = () => {
    const v = values();
    for (const i of inputs) {
      const shown = isShown(i.def, v);
      i.wrap.hidden = !shown;
      for (const s of [i, ...(i.sub || [])])
        if (s.req)
          s.req.hidden = !isRequired(s.def, v);
    }
  };
  element.addEventListener("input", refresh);
  element.addEventListener("change", refresh);
  refresh();
  return {
    element,
    read() {
      const v = values();
      const out = {};
      for (const i of inputs)
        if (isShown(i.def, v) && v[i.name] !== undefined)
          out[i.name] = v[i.name];
      return out;
    },
    load(config = {}) {
      for (const i of inputs) {
        let v = config[i.name];
        if (v === undefined || (Array.isArray(v) && !v.length)) {
          // target_user / target_username: text the server splits.
          const alias = spec.fields.find((f) => f.alias === i.name
            && typeof config[f.name] === "string" && config[f.name] !== "");
          if (alias)
            v = config[alias.name];
        }
        i.set(v);
      }
      refresh();
    },
  };
}
