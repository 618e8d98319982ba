// #/tasks?status=&serial=&script_name=&source=&page= — the task list with
// every filter of GET /task, paged by the server (50 a page, newest first),
// live: rows on the page change in place on task.* events; new tasks
// refresh page 1 when nothing is selected (and the table is not focused),
// else a "N new tasks — show" banner. Select many → stop / retry / delete
// (tasks-actions.js).
// data-testid: tasks, filter-status, filter-serial, filter-script,
// filter-source, filter-apply, filter-clear, new-tasks (the banner),
// new-tasks-show, selection-count, action-stop, action-retry, action-delete,
// select-all, tasks-table, task-row (data-id, data-status), row-select,
// task-link, task-status (data-status), task-serial, task-account,
// task-script, task-source, task-created, task-started, task-duration,
// task-retries, task-remark, empty, load-error; ui.js's pager-*.

import {api} from "../api.js";
import {
  h, time, statusBadge, duration, elapsed, errorText, pager, setQuery, emptyRow, refreshElapsed,
  viewLifetime,
} from "../ui.js";
import {runAction} from "./tasks-actions.js";

export const PAGE_SIZE = 50;
const SCRIPTS = ["post", "follow", "unfollow", "account_warmup", "comment"];
const SOURCES = ["api", "ui", "schedule"];
const COLUMNS = ["ID", "Status", "Device", "Account", "Script", "Source", "Created",
  "Started", "Duration", "Retries", "Remark"];

export function render(root, params, query) {
  const life = viewLifetime();
  const f = {
    status: query.get("status") || "", serial: query.get("serial") || "",
    script_name: query.get("script_name") || "", source: query.get("source") || "",
  };
  let page = Math.max(1, parseInt(query.get("page"), 10) || 1);
  let total = 0;
  const rows = new Map();     // id → {task, tr, check}
  const selected = new Set();
  let fresh = 0;              // tasks created since the last load (banner)

  const opt = (v, label, cur) => h("option", {value: v, selected: v === cur}, label);
  const field = (id, label, control) => h("div", {class: "field"}, h("label", {for: id}, label), control);
  const statusSel = h("select", {id: "tf-status", name: "status", "data-testid": "filter-status", onchange: apply},
    opt("", "Any status", f.status),
    ["pending", "running", "completed", "failed"].map((s, i) => opt(String(i), s, f.status)));
  const serialIn = h("input", {id: "tf-serial", name: "serial", type: "search", value: f.serial,
    list: "tf-serials", autocomplete: "off", placeholder: "any device", "data-testid": "filter-serial",
    onchange: apply});
  const serials = h("datalist", {id: "tf-serials"});
  const scriptSel = h("select", {id: "tf-script", name: "script_name", "data-testid": "filter-script", onchange: apply},
    opt("", "Any script", f.script_name), SCRIPTS.map((s) => opt(s, s, f.script_name)));
  const sourceSel = h("select", {id: "tf-source", name: "source", "data-testid": "filter-source", onchange: apply},
    opt("", "Any source", f.source), SOURCES.map((s) => opt(s, s, f.source)));
  const filters = h("form", {class: "filters", role: "search", "aria-label": "Filter tasks",
    onsubmit: (e) => { e.preventDefault(); apply(); }},
  field("tf-status", "Status", statusSel), field("tf-serial", "Device", serialIn), serials,
  field("tf-script", "Script", scriptSel), field("tf-source", "Source", sourceSel),
  h("button", {type: "submit", "data-testid": "filter-apply"}, "Apply"),
  h("button", {type: "button", "data-testid": "filter-clear", onclick: clearFilters}, "Clear"));

  const bannerText = h("span", {});
  const banner = h("div", {class: "banner", "data-testid": "new-tasks", hidden: true, role: "status"},
    bannerText, h("button", {type: "button", "data-testid": "new-tasks-show", onclick: () => goto(1)}, "show"));
  const count = h("span", {"data-testid": "selection-count", "aria-live": "polite"}, "0 selected");
  const act = (name, label, cls) => h("button", {type: "button", class: cls, disabled: true,
    "data-testid": `action-${name}`, onclick: () => doAction(name)}, label);
  const buttons = [act("stop", "Stop"), act("retry", "Retry"), act("delete", "Delete", "danger")];
  const toolbar = h("div", {class: "toolbar", role: "toolbar", "aria-label": "Selected tasks"},
    count, ...buttons);
  const all = h("input", {type: "checkbox", "aria-label": "Select all tasks on this page",
    "data-testid": "select-all", onchange: () => selectAll(all.checked)});
  const tbody = h("tbody", {});
  tbody.append(emptyRow(COLUMNS.length + 1, "Loading…", "loading"));
  const caption = h("caption", {}, "Tasks, newest first");
  const table = h("table", {"data-testid": "tasks-table"}, caption,
    h("thead", {}, h("tr", {}, h("th", {scope: "col", class: "check"}, all),
      COLUMNS.map((c) => h("th", {scope: "col"}, c)))), tbody);
  const errorBox = h("p", {class: "error-box", role: "alert", "data-testid": "load-error", hidden: true});
  const pagerBox = h("div", {});
  root.append(h("section", {"data-testid": "tasks"},
    h("div", {class: "page-head"}, h("h1", {}, "Tasks"), h("a", {href: "#/create", class: "button"}, "Create tasks")),
    filters, errorBox, banner, toolbar, h("div", {class: "table-wrap"}, table), pagerBox));

  function apply() {
    f.status = statusSel.value; f.serial = serialIn.value.trim();
    f.script_name = scriptSel.value; f.source = sourceSel.value;
    selected.clear();
    goto(1);
  }
  function clearFilters() {
    statusSel.value = scriptSel.value = sourceSel.value = serialIn.value = "";
    apply();
  }
  function goto(p) {
    page = p;
    setQuery({...f, page: page > 1 ? page : ""});
    load();
  }

  // --- loading
  let loading = null, again = false, buffer = null;
  async function load() {
    if (loading) { again = true; return; }
    buffer = [];
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v !== "") q.set(k, v);
    q.set("page", String(page));
    q.set("page_size", String(PAGE_SIZE));
    loading = api("GET", `/task?${q}`);
    let pastEnd = false;
    try {
      const data = await loading;
      if (!life.alive()) return;
      errorBox.hidden = true;
      total = data.total;
      pastEnd = !data.tasks.length && page > 1 && total > 0;   // after deletes
      if (!pastEnd) {
        showRows(data.tasks);
        for (const ev of buffer) applyEvent(ev, false);
        fresh = 0;
        banner.hidden = true;
        const had = pagerBox.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
        pagerBox.replaceChildren(pager(page, PAGE_SIZE, total, goto));
        if (had) {   // keyboard paging keeps its place
          const same = pagerBox.querySelector(`[data-testid="${had}"]:not(:disabled)`);
          (same || pagerBox.querySelector("button:not(:disabled)"))?.focus();
        }
        caption.textContent = `Tasks, newest first: ${total} matching`;
      }
    } catch (e) {
      if (!life.alive()) return;
      errorBox.textContent = `Could not load the tasks: ${errorText(e)}`;
      errorBox.hidden = false;
    } finally {
      loading = null;
      buffer = null;
    }
    if (!life.alive()) return;
    if (pastEnd) { again = false; goto(Math.ceil(total / PAGE_SIZE)); return; }
    if (again) { again = false; load(); }
  }
  const soon = life.coalesce(150, load);

  function showRows(tasks) {
    const keep = new Set(tasks.map((t) => t.id));
    for (const id of [...rows.keys()]) if (!keep.has(id)) rows.delete(id);
    for (const id of [...selected]) if (!keep.has(id)) selected.delete(id);
    const want = tasks.map((t) => {
      const r = rows.get(t.id);
      if (r) { r.tr.classList.remove("deleted"); r.check.disabled = false; update(r, t); return r.tr; }
      return makeRow(t).tr;
    });
    if (!want.length) want.push(emptyRow(COLUMNS.length + 1,
      Object.values(f).some(Boolean) ? "No task matches these filters." : "No tasks yet.", "empty"));
    // Insert in place (a focused checkbox keeps its focus), then drop the rest.
    want.forEach((tr, i) => { if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null); });
    while (tbody.children.length > want.length) tbody.lastElementChild.remove();
    syncSelection();
  }

  function makeRow(task) {
    const check = h("input", {type: "checkbox", "data-testid": "row-select",
      "aria-label": `Select task ${task.id}`, onchange: () => {
        if (check.checked) selected.add(task.id); else selected.delete(task.id);
        syncSelection();
      }});
    const tr = h("tr", {"data-testid": "task-row", dataset: {id: String(task.id)}},
      h("td", {class: "check"}, check));
    const r = {task, tr, check};
    rows.set(task.id, r);
    update(r, task);
    return r;
  }

  function update(r, t) {
    r.task = t;
    r.tr.dataset.status = String(t.status);
    const running = t.status === 1 && t.started_at;
    const cells = [
      h("th", {scope: "row", class: "nowrap"},
        h("a", {href: `#/tasks/${t.id}`, "data-testid": "task-link"}, `#${t.id}`)),
      h("td", {"data-testid": "task-status", dataset: {status: String(t.status)}}, statusBadge(t.status)),
      h("td", {"data-testid": "task-serial", class: "nowrap"}, t.serial),
      h("td", {"data-testid": "task-account"}, t.username || h("span", {class: "muted"}, "—")),
      h("td", {"data-testid": "task-script"}, t.script_name),
      h("td", {"data-testid": "task-source"}, t.source),
      h("td", {"data-testid": "task-created", class: "nowrap"}, time(t.created_at)),
      h("td", {"data-testid": "task-started", class: "nowrap"}, time(t.started_at)),
      h("td", {"data-testid": "task-duration", class: running ? "nowrap elapsed" : "nowrap",
        dataset: running ? {since: t.started_at} : {}},
      running ? elapsed(t.started_at) : duration(t.duration_s)),
      h("td", {"data-testid": "task-retries"}, String(t.retry_count)),
      h("td", {"data-testid": "task-remark", class: "remark"}, t.remark || ""),
    ];
    while (r.tr.children.length > 1) r.tr.lastElementChild.remove();
    r.tr.append(...cells);
  }

  function syncSelection() {
    const usable = [...rows.values()].filter((r) => !r.check.disabled);
    for (const r of rows.values()) {
      r.check.checked = selected.has(r.task.id);
      r.tr.classList.toggle("selected", r.check.checked);
    }
    const n = usable.filter((r) => selected.has(r.task.id)).length;
    all.checked = n > 0 && n === usable.length;
    all.indeterminate = n > 0 && n < usable.length;
    all.disabled = usable.length === 0;
    count.textContent = `${selected.size} selected`;
    for (const b of buttons) b.disabled = selected.size === 0;
  }
  function selectAll(on) {
    for (const r of rows.values()) {
      if (r.check.disabled) continue;
      if (on) selected.add(r.task.id); else selected.delete(r.task.id);
    }
    syncSelection();
  }

  // A reply is shown only if no event of its task came meanwhile (events are
  // as new or newer: every change is one).
  const seen = new Map();   // task id → events received
  async function doAction(name) {
    for (const b of buttons) b.disabled = true;
    try {
      const ids = [...selected].sort((a, b) => a - b);
      const before = new Map(ids.map((i) => [i, seen.get(i) || 0]));
      const out = await runAction(name, ids);
      if (!life.alive() || !out) return;
      for (const t of out.tasks) {
        const r = rows.get(t.id);
        if (r && (seen.get(t.id) || 0) === before.get(t.id)) update(r, t);
      }
      if (out.clear) selected.clear();
      if (out.reload) load();
    } finally {
      if (life.alive()) syncSelection();
    }
  }

  // --- live
  function matches(t) {
    return (f.status === "" || Number(f.status) === t.status) && (!f.serial || f.serial === t.serial)
      && (!f.script_name || f.script_name === t.script_name) && (!f.source || f.source === t.source);
  }
  function applyEvent(ev, fromStream = true) {
    if (ev.type === "reset") { soon(); return; }
    if (!ev.type.startsWith("task.") || !ev.task) return;
    if (buffer && fromStream) buffer.push(ev);
    const r = rows.get(ev.task.id);
    if (r && fromStream) seen.set(ev.task.id, (seen.get(ev.task.id) || 0) + 1);
    if (r) {
      if (ev.type === "task.deleted") {
        r.tr.classList.add("deleted");
        r.check.disabled = true;
        selected.delete(ev.task.id);
        const cell = r.tr.querySelector('[data-testid="task-status"]');
        cell.replaceChildren(h("span", {class: "badge"}, "deleted"));
        syncSelection();
      } else update(r, ev.task);
      return;
    }
    if (fromStream && ev.type === "task.created" && matches(ev.task)) {
      const busy = table.contains(document.activeElement) && document.activeElement !== all;
      if (page === 1 && selected.size === 0 && !busy) { soon(); return; }
      fresh += 1;
      bannerText.textContent = `${fresh} new task${fresh === 1 ? "" : "s"} —`;
      banner.hidden = false;
    }
  }
  life.subscribe((ev) => applyEvent(ev), soon);
  life.every(1000, () => refreshElapsed(tbody));

  api("GET", "/device").then((d) => {
    if (life.alive()) serials.replaceChildren(...d.devices.map((x) => h("option", {value: x.serial})));
  }).catch(() => {});
  load();
  return life.cleanup;
}
