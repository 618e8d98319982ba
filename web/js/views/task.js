// #/tasks/<id> — every field of the task object, its log (GET
// /task/{id}/log: re-read on the task's live events, and every 2 s while it
// runs, since a script's lines come without events), stop / retry / delete.
// data-testid: task-page, task-title, task-status (data-status),
// task-field-<name> (a <dd> for each field of the task object, e.g.
// task-field-remark, task-field-retry_count), task-stop, task-retry,
// task-delete, task-log, log-line, log-empty, task-gone (after a delete),
// task-not-found, load-error.

import {api, ApiError} from "../api.js";
import {h, time, statusBadge, duration, elapsed, errorText, refreshElapsed, viewLifetime} from "../ui.js";
import {runOne} from "./tasks-actions.js";

const TIMES = new Set(["scheduled_at", "created_at", "started_at", "finished_at"]);
const FIELDS = [
  ["id", "ID"], ["status", "Status"], ["status_text", "Status text"], ["serial", "Device"],
  ["username", "Account"], ["script_name", "Script"], ["script_config", "Script config"],
  ["source", "Source"], ["schedule_id", "Schedule"], ["scheduled_at", "Scheduled at"],
  ["created_at", "Created"], ["started_at", "Started"], ["finished_at", "Finished"],
  ["duration_s", "Duration"], ["retry_count", "Retries"], ["remark", "Remark"],
  ["node", "Node"], ["exit_code", "Exit code"],
];

export function render(root, params) {
  const life = viewLifetime();
  const id = Number(params.id);
  let task = null;
  let gone = false;

  const title = h("h1", {"data-testid": "task-title"}, `Task #${params.id}`);
  const statusBox = h("span", {"data-testid": "task-status"});
  const btn = (name, label, cls) => h("button", {type: "button", class: cls, disabled: true,
    "data-testid": `task-${name}`, onclick: () => act(name)}, label);
  const buttons = {stop: btn("stop", "Stop"), retry: btn("retry", "Retry"), delete: btn("delete", "Delete", "danger")};
  const errorBox = h("p", {class: "error-box", role: "alert", "data-testid": "load-error", hidden: true});
  const dl = h("dl", {class: "fields"});
  const dds = {};
  for (const [k, label] of FIELDS) {
    dds[k] = h("dd", {"data-testid": `task-field-${k}`});
    dl.append(h("dt", {}, label), dds[k]);
  }
  const log = h("ol", {class: "log", "data-testid": "task-log", "aria-label": "Log lines", tabindex: "0"});
  const logNote = h("p", {class: "muted", "aria-live": "polite"});
  const body = h("div", {},
    h("section", {"aria-labelledby": "tp-fields"}, h("h2", {id: "tp-fields"}, "Fields"), dl),
    h("section", {"aria-labelledby": "tp-log"}, h("h2", {id: "tp-log"}, "Log of the last run"), logNote, log));
  root.append(h("section", {"data-testid": "task-page"},
    h("p", {}, h("a", {href: "#/tasks"}, "‹ All tasks")),
    h("div", {class: "page-head"}, h("div", {}, title, statusBox),
      h("div", {class: "toolbar", role: "toolbar", "aria-label": "Task actions"}, Object.values(buttons))),
    errorBox, body));

  if (!Number.isInteger(id) || id < 1) {
    notFound();
    return life.cleanup;
  }

  function notFound() {
    body.replaceChildren(h("p", {class: "error-box", "data-testid": "task-not-found"},
      `There is no task #${params.id}.`));
    for (const b of Object.values(buttons)) b.disabled = true;
  }

  function show(t) {
    task = t;
    document.title = `Task #${t.id} (${t.status_text}) — tmx`;
    title.textContent = `Task #${t.id} · ${t.script_name} on ${t.serial}`;
    statusBox.dataset.status = String(t.status);
    statusBox.replaceChildren(statusBadge(t.status));
    for (const [k] of FIELDS) dds[k].replaceChildren(value(k, t));
    buttons.stop.disabled = gone || !(t.status === 0 || t.status === 1);
    buttons.retry.disabled = gone || t.status !== 3;
    buttons.delete.disabled = gone;
    syncPoll();
  }

  function value(k, t) {
    const v = t[k];
    if (k === "status") return statusBadge(v);
    if (TIMES.has(k)) return time(v);
    if (k === "script_config") return h("pre", {}, JSON.stringify(v, null, 2));
    if (k === "duration_s") {
      if (t.status === 1 && t.started_at)
        return h("span", {class: "elapsed", dataset: {since: t.started_at}}, elapsed(t.started_at));
      return v === null || v === undefined ? h("span", {class: "muted"}, "—")
        : h("span", {title: `${v} s`}, duration(v));
    }
    if (k === "schedule_id" && v !== null && v !== undefined)
      return h("a", {href: "#/schedules"}, `#${v}`);
    if (k === "remark") return v ? v : h("span", {class: "muted"}, "none");
    if (v === null || v === undefined) return h("span", {class: "muted"}, "—");
    return String(v);
  }

  // --- task and log, each with at most one request in flight
  let buffer = null;
  async function loadTask() {
    buffer = [];
    try {
      const t = await api("GET", `/task/${id}`);
      if (!life.alive() || gone) return;
      errorBox.hidden = true;
      show(t);
      for (const ev of buffer) onEvent(ev, false);
    } catch (e) {
      if (!life.alive()) return;
      if (e instanceof ApiError && e.code === 40401) { notFound(); return; }
      errorBox.textContent = `Could not load the task: ${errorText(e)}`;
      errorBox.hidden = false;
    } finally {
      buffer = null;
    }
  }

  let logBusy = null, logAgain = false, logCount = -1; // logBusy: the read under way
  let deleting = false; // no more reads: the task is about to go
  function loadLog() {
    if (deleting) return;
    if (logBusy) { logAgain = true; return; }
    logBusy = readLog();
  }
  async function readLog() {
    try {
      const data = await api("GET", `/task/${id}/log`);
      if (!life.alive() || gone) return;
      showLog(data.lines || []);
    } catch (e) {
      if (life.alive() && !(e instanceof ApiError && e.code === 40401))
        logNote.textContent = `Could not load the log: ${errorText(e)}`;
    } finally {
      logBusy = null;
    }
    if (logAgain && life.alive()) { logAgain = false; loadLog(); }
  }

  // Before a delete: stop reading the log, and let the read under way end.
  async function quiesce() {
    deleting = true;
    logAgain = false;
    while (logBusy) await logBusy;
  }

  function showLog(lines) {
    if (lines.length === logCount && lines.length && log.lastElementChild?.dataset.text === lines.at(-1).text) return;
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    logCount = lines.length;
    logNote.textContent = lines.length ? `${lines.length} line${lines.length === 1 ? "" : "s"}` : "";
    log.replaceChildren(...(lines.length ? lines.map((l) => h("li", {"data-testid": "log-line", dataset: {text: l.text}},
      time(l.at), h("span", {class: "text"}, l.text)))
      : [h("li", {class: "muted", "data-testid": "log-empty"}, "No log lines (the task has not run yet).")]));
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  let poll = null;   // stops the log's polling
  function syncPoll() {
    const running = task && task.status === 1 && !gone;
    if (running && !poll) poll = life.every(2000, loadLog);
    if (!running && poll) { poll(); poll = null; }
  }

  // Events of this task seen so far: an action's reply is shown only if none
  // came meanwhile (they are as new or newer: every change is an event).
  let seen = 0;
  async function act(name) {
    for (const b of Object.values(buttons)) b.disabled = true;
    const before = seen;
    const out = await runOne(name, id, {beforeDelete: quiesce});
    if (out !== "deleted") deleting = false; // refused or cancelled: reads go on
    if (!life.alive()) return;
    if (out === "deleted") { markGone(); location.hash = "#/tasks"; return; }
    if (out && seen === before) show(out);
    else if (task) show(task);
    loadLog();
  }

  function markGone() {
    gone = true;
    syncPoll();
    for (const b of Object.values(buttons)) b.disabled = true;
    if (!body.querySelector('[data-testid="task-gone"]'))
      body.prepend(h("p", {class: "error-box", role: "status", "data-testid": "task-gone"},
        `Task #${id} was deleted; what is shown is its last state.`));
  }

  function onEvent(ev, fromStream = true) {
    if (ev.type === "reset") { loadTask(); loadLog(); return; }
    if (!ev.task || ev.task.id !== id || gone) return;
    if (fromStream) seen += 1;
    if (buffer && fromStream) buffer.push(ev);
    if (ev.type === "task.deleted") { show(ev.task); markGone(); return; }
    show(ev.task);
    if (fromStream) loadLog();
  }
  life.subscribe((ev) => onEvent(ev), () => { loadTask(); loadLog(); });
  life.every(1000, () => refreshElapsed(dl));

  loadTask();
  loadLog();
  return life.cleanup;
}
