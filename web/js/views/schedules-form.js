// The schedule form of #/schedules: name, enabled, weekdays, times and the
// task body (the create form's pieces, under the body path "task", without
// start_time). New: POST /schedule; edit: POST /schedule/{id} with the
// fields, and the task only when it was changed (its secrets come back as
// "***", which the server refuses as a key).
//
// data-testid: schedule-form, schedule-form-title, schedule-name,
// schedule-enabled, schedule-weekdays, weekday-<1..7>, schedule-times,
// schedule-save, schedule-cancel, plus the task's (create-fields.js,
// create-body.js).

import { api } from "../api.js";
import { clearErrors, h, notify, submitForm } from "../ui.js";
import { taskBody } from "./create-body.js";
import { checkbox, field, uid } from "./create-fields.js";

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// {element, edit(schedule), reset()}; onSaved(schedule) after a save.
export function scheduleForm(choices, onSaved) {
  let editing = null; // the schedule being edited, or null for a new one
  let taskChanged = false;

  const title = h("h2", { id: uid("sft"),
    dataset: { testid: "schedule-form-title" } }, "New schedule");
  const name = h("input", { id: uid("sn"), type: "text", autocomplete: "off",
    dataset: { testid: "schedule-name", field: "name" } });
  const enabled = checkbox("Enabled", { dataset: {
    testid: "schedule-enabled", field: "enabled" } });
  const days = WEEKDAYS.map((d, i) => checkbox(d, { value: String(i + 1),
    dataset: { testid: `weekday-${i + 1}` } }));
  const daysBox = h("fieldset", { class: "weekdays", tabindex: "-1",
    dataset: { testid: "schedule-weekdays", field: "weekdays" } },
  h("legend", {}, "Weekdays"), h("div", { class: "row" },
    days.map((d) => d.wrap)));
  const times = h("input", { id: uid("stm"), type: "text", autocomplete: "off",
    dataset: { testid: "schedule-times", field: "times" } });
  times.placeholder = "09:00, 18:30";
  const task = taskBody(choices, { prefix: "task", withStart: false });
  const taskBox = h("fieldset", { class: "schedule-task",
    dataset: { field: "task" } }, h("legend", {}, "Task"), task.element);
  const markChanged = () => { taskChanged = true; };
  taskBox.addEventListener("input", markChanged);
  taskBox.addEventListener("change", markChanged);

  const save = h("button", { type: "submit", class: "primary",
    dataset: { testid: "schedule-save" } }, "Create schedule");
  const cancel = h("button", { type: "button",
    dataset: { testid: "schedule-cancel" } }, "Cancel");
  const form = h("form", { class: "form schedule-form", novalidate: true,
    "aria-labelledby": title.id, dataset: { testid: "schedule-form" } },
  title, field("Name", name), enabled.wrap, daysBox,
  field("Times (HH:MM, server's time zone)", times,
    "several separated by commas or spaces"),
  taskBox, h("div", { class: "actions" }, save, cancel));

  function reset() {
    editing = null;
    taskChanged = false;
    clearErrors(form);
    title.textContent = "New schedule";
    save.textContent = "Create schedule";
    cancel.hidden = true;
    name.value = "";
    enabled.input.checked = true;
    days.forEach((d) => { d.input.checked = true; });
    times.value = "";
    task.load({});
  }

  // edit(null): a new schedule, the form scrolled to and focused.
  function edit(s) {
    reset();
    if (!s) {
      name.focus();
      return;
    }
    editing = s;
    title.textContent = `Edit schedule #${s.id}`;
    save.textContent = "Save schedule";
    cancel.hidden = false;
    name.value = s.name;
    enabled.input.checked = s.enabled;
    days.forEach((d) => {
      d.input.checked = s.weekdays.includes(Number(d.input.value));
    });
    times.value = s.times.join(", ");
    task.load(s.task);
    taskChanged = false;
    form.scrollIntoView({ block: "start" });
    name.focus();
  }

  cancel.addEventListener("click", reset);
  submitForm(form, save, () => {
    const body = {
      name: name.value,
      enabled: enabled.input.checked,
      weekdays: days.filter((d) => d.input.checked)
        .map((d) => Number(d.input.value)),
      times: times.value.split(/[\s,]+/).filter((t) => t !== ""),
    };
    if (!editing || taskChanged)
      body.task = task.read();
    return api("POST", editing ? `/schedule/${editing.id}` : "/schedule", body);
  }, { onDone: (s) => {
    notify(`Saved schedule ${s.name}`, "ok");
    reset();
    onSaved(s);
  } });

  reset();
  return { element: form, edit, reset };
}
