// Stop / retry / delete of many tasks, for the task list (tasks.js) and the
// task page (task.js). Stop and retry are one request per task
// (POST /task/{id}/stop, /retry), a few at a time; delete is one
// DELETE /task/batch with {task_ids} per 1000 ids. Says the outcome with
// ui.notify. data-testid: those of ui.confirmAction (confirm-ok, confirm-cancel).

import {api} from "../api.js";
import {confirmAction, errorText, notify, pool} from "../ui.js";

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

// Resolves to {tasks: [task objects after the action], clear, reload}, or
// null when the user cancelled.
export async function runAction(name, ids) {
  if (!ids.length) return null;
  if (name === "stop") return stop(ids);
  if (name === "retry") return retry(ids);
  if (name === "delete") return remove(ids);
  throw new Error(`unknown action ${name}`);
}

function failures(results) {
  const bad = results.filter((r) => !r.ok);
  if (!bad.length) return "";
  const first = bad[0];
  return ` ${plural(bad.length, "request")} failed (#${first.item}: ${errorText(first.error)}).`;
}

async function stop(ids) {
  const results = await pool(ids, (id) => api("POST", `/task/${id}/stop`));
  const tasks = results.filter((r) => r.ok).map((r) => r.value);
  const msg = `Stopped ${plural(tasks.length, "task")}.${failures(results)}`;
  notify(msg, tasks.length === ids.length ? "ok" : "error");
  return {tasks, clear: false, reload: false};
}

async function retry(ids) {
  const results = await pool(ids, (id) => api("POST", `/task/${id}/retry`));
  const tasks = results.filter((r) => r.ok).map((r) => r.value);
  const notFailed = results.filter((r) => !r.ok && r.error?.code === 40901);
  const other = results.filter((r) => !r.ok && r.error?.code !== 40901);
  let msg = `Retried ${plural(tasks.length, "task")}.`;
  if (notFailed.length) msg += ` ${plural(notFailed.length, "task")} skipped: only a failed task can be retried.`;
  msg += failures(other);
  notify(msg, other.length ? "error" : "ok");
  return {tasks, clear: false, reload: false};
}

async function remove(ids) {
  const ok = await confirmAction(
    `Delete ${plural(ids.length, "task")}? Running ones are stopped first. This cannot be undone.`,
    "Delete");
  if (!ok) return null;
  let deleted = 0;
  const missing = [];
  try {
    for (let i = 0; i < ids.length; i += 1000) {
      const data = await api("DELETE", "/task/batch", {task_ids: ids.slice(i, i + 1000)});
      deleted += data.deleted_count;
      missing.push(...(data.not_found || []));
    }
  } catch (e) {
    notify(`Delete failed after ${plural(deleted, "task")}: ${errorText(e)}`, "error");
    return {tasks: [], clear: true, reload: true};
  }
  notify(`Deleted ${plural(deleted, "task")}.${missing.length ? ` ${missing.length} no longer existed.` : ""}`, "ok");
  return {tasks: [], clear: true, reload: true};
}

// One task (the task page): the task after the action, or "deleted", or null.
export async function runOne(name, id, {beforeDelete} = {}) {
  if (name === "delete") {
    const ok = await confirmAction(`Delete task #${id}? A running task is stopped first.`, "Delete");
    if (!ok) return null;
    // The caller's reads of the task end first: one still under way when
    // the task goes would be answered 404 (a console error).
    if (beforeDelete) await beforeDelete();
    try {
      await api("DELETE", `/task/${id}`);
    } catch (e) {
      notify(`Delete of #${id} failed: ${errorText(e)}`, "error");
      return null;
    }
    notify(`Deleted task #${id}.`, "ok");
    return "deleted";
  }
  try {
    const task = await api("POST", `/task/${id}/${name}`);
    notify(name === "stop" ? `Stopped task #${id}.` : `Task #${id} is pending again.`, "ok");
    return task;
  } catch (e) {
    notify(`${name === "stop" ? "Stop" : "Retry"} of #${id} failed: ${errorText(e)}`, "error");
    return null;
  }
}
