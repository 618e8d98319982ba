// #/schedules: the recurring tasks (GET /schedule lists them all, by id):
// when they fire (weekdays, times, next_run_at), what they fired last
// (last_run_at, last_task_ids), enable / disable, run now, edit, delete;
// the form (schedules-form.js) creates and edits. Reloads when a schedule
// creates tasks (live "task.created" with source "schedule").
//
// data-testid: schedules-table, schedule-row (data-id), schedule-enabled-cell,
// schedule-next-run, schedule-last-run, schedule-last-tasks,
// schedule-task-link, schedule-edit, schedule-toggle, schedule-run,
// schedule-delete, schedules-empty, schedule-run-result, schedule-new
// (goes to an empty form), plus the form's
// (schedules-form.js).

import { api } from "../api.js";
import { errorText, h, notify, time, viewLifetime } from "../ui.js";
import {
  adminTable, confirmDelete, listLoader, rowAction, rowButton,
} from "./admin-list.js";
import { loadChoices } from "./create-fields.js";
import { WEEKDAYS, scheduleForm } from "./schedules-form.js";

const SHOWN_IDS = 10; // last_task_ids links per row

function weekdaysText(days) {
  if (days.length === 7)
    return "every day";
  if (days.join() === "1,2,3,4,5")
    return "Mon–Fri";
  return days.map((d) => WEEKDAYS[d - 1] || String(d)).join(", ");
}

function targetText(task) {
  const list = (k, what) => task[k] && `${task[k].length} ${what}` +
    `${task[k].length === 1 ? "" : "s"}: ${task[k].slice(0, 3).join(", ")}` +
    `${task[k].length > 3 ? ", …" : ""}`;
  return list("groups", "group") || list("usernames", "account")
    || list("serials", "device") || "";
}

function idLinks(ids) {
  if (!ids || !ids.length)
    return h("span", { class: "muted" }, "—");
  return [ids.slice(0, SHOWN_IDS).map((id, i) => [i ? ", " : "",
    h("a", { href: `#/tasks/${id}`, dataset: { testid: "schedule-task-link" } },
      `#${id}`)]),
  ids.length > SHOWN_IDS ? ` +${ids.length - SHOWN_IDS}` : ""];
}

export function render(root) {
  const life = viewLifetime();
  let form = null;
  const listStatus = h("p", { class: "muted", role: "status" }, "Loading…");
  const runResult = h("div", { "aria-live": "polite",
    dataset: { testid: "schedule-run-result" } });
  const { table, tbody } = adminTable("schedules-table", "Schedules", ["Name",
    "Enabled", "When", "Task", "Next run", "Last run", "Last tasks", "Actions"]);
  const formSlot = h("div", { class: "form-slot" },
    h("p", { class: "muted" }, "Loading the form…"));

  const toggle = (s) => rowAction(
    () => api("POST", `/schedule/${s.id}`, { enabled: !s.enabled }),
    `${s.name} ${s.enabled ? "disabled" : "enabled"}`, load);

  async function runNow(s, button) {
    button.disabled = true;
    try {
      const data = await api("POST", `/schedule/${s.id}/run`);
      if (!life.alive())
        return;
      runResult.replaceChildren(h("p", {}, `${s.name}: created `,
        h("strong", {}, String(data.created_count)), " task(s) ",
        idLinks(data.task_ids)));
      notify(`${s.name}: created ${data.created_count} task(s)`, "ok");
      load();
    } catch (err) {
      if (life.alive())
        runResult.replaceChildren(h("p", { class: "form-error", role: "alert" },
          `${s.name}: ${errorText(err)}`));
    } finally {
      button.disabled = false;
    }
  }

  const remove = (s) => confirmDelete(`Delete the schedule ${s.name}? Its tasks stay.`,
    () => api("DELETE", `/schedule/${s.id}`), `Deleted schedule ${s.name}`, load);

  function row(s) {
    const onOff = s.enabled ? "Disable" : "Enable";
    const run = rowButton("Run now", "schedule-run", `Run ${s.name} now`,
      () => runNow(s, run));
    return h("tr", { dataset: { testid: "schedule-row", id: String(s.id) } },
      h("th", { scope: "row" }, s.name),
      h("td", { dataset: { testid: "schedule-enabled-cell" } },
        s.enabled ? "yes" : "no"),
      h("td", {}, `${weekdaysText(s.weekdays)} at ${s.times.join(", ")}`),
      h("td", {}, h("code", {}, s.task.script_name), " ",
        h("span", { class: "muted" }, targetText(s.task))),
      h("td", { dataset: { testid: "schedule-next-run" } },
        s.enabled ? time(s.next_run_at) : h("span", { class: "muted" }, "off")),
      h("td", { dataset: { testid: "schedule-last-run" } }, time(s.last_run_at)),
      h("td", { dataset: { testid: "schedule-last-tasks" } },
        idLinks(s.last_task_ids)),
      h("td", { class: "actions" },
        rowButton("Edit", "schedule-edit", `Edit ${s.name}`,
          () => form && form.edit(s)),
        rowButton(onOff, "schedule-toggle", `${onOff} ${s.name}`, () => toggle(s)),
        run,
        rowButton("Delete", "schedule-delete", `Delete ${s.name}`,
          () => remove(s), "danger")));
  }

  const load = listLoader({ path: "/schedule", key: "schedules", tbody,
    status: listStatus, row, columns: 8, empty: "No schedules yet.",
    emptyId: "schedules-empty", what: "schedules", isAlive: life.alive });

  // A firing (or a run elsewhere) changes last_run_at and next_run_at.
  let timer = null;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  };
  life.onCleanup(() => clearTimeout(timer));
  life.subscribe((ev) => {
    if (ev.type === "reset"
        || (ev.type === "task.created" && ev.task && ev.task.source === "schedule"))
      soon();
  });

  loadChoices().then((choices) => {
    if (!life.alive())
      return;
    form = scheduleForm(choices, () => load());
    formSlot.replaceChildren(form.element);
  }, (err) => {
    if (life.alive())
      formSlot.replaceChildren(h("p", { class: "form-error" },
        `Could not load devices and groups: ${errorText(err)}`));
  });

  root.replaceChildren(
    h("header", { class: "page-head" }, h("h1", {}, "Schedules"),
      h("button", { type: "button", dataset: { testid: "schedule-new" },
        onclick: () => form && form.edit(null) }, "New schedule")),
    listStatus, h("div", { class: "table-wrap" }, table), runResult, formSlot);
  load();
  return life.cleanup;
}
