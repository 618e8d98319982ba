// A whole create body as one form part (script, targets, config, timing):
// the create page's form and the schedule form's task. The config inputs
// are rebuilt when the script changes.
//
// data-testid: script-select, plus those of create-fields.js and
// create-targets.js.

import { h } from "../ui.js";
import { SCRIPTS, SCRIPT_NAMES } from "../scripts.js";
import { configFields, field, uid } from "./create-fields.js";
import { targetFields, timingFields } from "./create-targets.js";

/// {element, read() -> body, load(body), script(), onScript(fn)}.
/// `prefix`: "" for a create, "task" in a schedule; `withStart`: offer
/// start_time (a schedule's times say when instead).
export function taskBody(choices, { prefix = "", withStart = true,
  script = SCRIPT_NAMES[0] } = {}) {
  const path = prefix ? `${prefix}.script_name` : "script_name";
  const select = h("select", { id: uid("script"),
    dataset: { testid: "script-select", field: path } },
  SCRIPT_NAMES.map((name) =>
    h("option", { value: name }, `${SCRIPTS[name].label} (${name})`)));
  select.value = SCRIPTS[script] ? script : SCRIPT_NAMES[0];

  const targets = targetFields(choices, prefix);
  const timing = timingFields(prefix, withStart);
  const slot = h("div", { class: "config-slot" });
  let config = null;
  const listeners = [];
  const build = () => {
    config = configFields(select.value, prefix);
    slot.replaceChildren(config.element);
  };
  build();
  select.addEventListener("change", () => {
    build();
    listeners.forEach((fn) => fn(select.value));
  });

  const element = h("div", { class: "task-body" },
    field("Script", select), targets.element, slot, timing.element);
  return {
    element,
    script: () => select.value,
    onScript: (fn) => listeners.push(fn),
    read() {
      return {
        ...targets.read(),
        script_name: select.value,
        script_config: config.read(),
        ...timing.read(),
      };
    },
    load(body = {}) {
      if (body.script_name && SCRIPTS[body.script_name]) {
        select.value = body.script_name;
        build();
      }
      targets.load(body);
      config.load(body.script_config || {});
      timing.load(body);
    },
  };
}
