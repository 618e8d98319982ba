// #/create (?script=<name> preselects): the create form per script. The
// body goes to POST /api/v1/task as the user gave it (the server judges;
// its 40001 message is shown beside the field it names), with an
// Idempotency-Key so that a repeated submit creates nothing twice.
//
// data-testid: create-form, script-select (and the inputs of
// create-fields.js), idempotency-key, create-submit, create-result,
// created-count, created-link (one per task id shown), create-error
// (a failure that names no field: ui's form-error / field-error otherwise).

import { ApiError, api } from "../api.js";
import { clearErrors, errorText, fieldError, h, notify } from "../ui.js";
import { SCRIPTS, SCRIPT_NAMES } from "../scripts.js";
import { taskBody } from "./create-body.js";
import { field, loadChoices, uid } from "./create-fields.js";

const SHOWN_IDS = 50; // links shown for a big create; the rest via #/tasks

function newKey() {
  if (globalThis.crypto && crypto.randomUUID)
    return `ui-${crypto.randomUUID()}`;
  return `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// POST /task, with the Idempotency-Key header when there is a key.
function createTasks(body, key) {
  return api("POST", "/task", body, key ? { "Idempotency-Key": key } : {});
}

function resultView(data, script) {
  const ids = data.task_ids || [];
  const links = ids.slice(0, SHOWN_IDS).map((id) =>
    h("li", {}, h("a", { href: `#/tasks/${id}`,
      dataset: { testid: "created-link", id: String(id) } }, `#${id}`)));
  const more = ids.length > SHOWN_IDS
    ? h("p", {}, `… and ${ids.length - SHOWN_IDS} more: `,
      h("a", { href: `#/tasks?script_name=${encodeURIComponent(script)}` +
        "&source=ui" }, "see the task list"))
    : null;
  return [
    h("p", {}, "Created ",
      h("strong", { dataset: { testid: "created-count" } },
        String(data.created_count)),
      data.created_count === 1 ? " task:" : " tasks:"),
    h("ul", { class: "id-list" }, links),
    more,
  ];
}

export function render(root, params, query) {
  let alive = true;
  const wanted = query.get("script");
  const head = h("header", { class: "page-head" }, h("h1", {}, "Create tasks"));
  const status = h("p", { class: "muted", role: "status" }, "Loading…");
  root.replaceChildren(head, status);

  loadChoices().then((choices) => {
    if (!alive)
      return;
    build(choices);
  }, (err) => {
    if (alive)
      status.textContent = `Could not load devices and groups: ${errorText(err)}`;
  });

  function build(choices) {
    const body = taskBody(choices, {
      script: SCRIPTS[wanted] ? wanted : SCRIPT_NAMES[0],
    });
    // Keep the URL shareable: ?script= follows the choice.
    body.onScript((name) => history.replaceState(history.state, "",
      `#/create?script=${encodeURIComponent(name)}`));

    const keyInput = h("input", { id: uid("key"), type: "text",
      autocomplete: "off", dataset: { testid: "idempotency-key" } });
    keyInput.value = newKey();
    const submit = h("button", { type: "submit", class: "primary",
      dataset: { testid: "create-submit" } }, "Create tasks");
    const result = h("section", { class: "result", "aria-live": "polite",
      dataset: { testid: "create-result" } });

    const form = h("form", { class: "form create-form", novalidate: true,
      dataset: { testid: "create-form" } },
    body.element,
    h("fieldset", { class: "options" }, h("legend", {}, "Request"),
      field("Idempotency key", keyInput, "a repeated submit with this key " +
        "and the same body creates nothing again; empty: none")),
    h("div", { class: "actions" }, submit));

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      result.replaceChildren();
      submit.disabled = true;
      const script = body.script();
      try {
        const data = await createTasks(body.read(), keyInput.value.trim());
        if (!alive)
          return;
        result.replaceChildren(...resultView(data, script));
        notify(`Created ${data.created_count} task(s)`, "ok");
        keyInput.value = newKey(); // the next submit is a new request
      } catch (err) {
        if (!alive)
          return;
        if (err instanceof ApiError && err.code !== 0)
          fieldError(form, err);
        else
          result.replaceChildren(h("p", { class: "form-error", role: "alert",
            dataset: { testid: "create-error" } }, errorText(err)));
      } finally {
        submit.disabled = false;
      }
    });
    status.remove();
    root.append(form, result);
  }

  return () => { alive = false; };
}
