// DOM and formatting helpers shared by the views (web/README.md, "js/ui.js").
// Besides the interface of the README: setQuery (the URL's query of the
// current view), confirmAction (a modal yes/no), errorText, duration,
// emptyRow, pool (run async jobs a few at a time), submitForm (a form's save
// handler), viewLifetime (a view's timers, live subscriptions and cleanup),
// refreshElapsed (re-reads the running clocks).
// data-testid: notice (each notification), pager, pager-prev, pager-next,
// pager-info, field-error, form-error, confirm-dialog, confirm-ok,
// confirm-cancel.

import {live} from "./live.js";

const STATUS = ["pending", "running", "completed", "failed"];
const PROPS = new Set(["value", "checked", "selected", "disabled", "hidden",
  "indeterminate", "open", "multiple", "required", "readOnly"]);

// Element builder: h("a", {href: "#/", class: "x", onclick: fn}, "text", node)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false && !PROPS.has(k)) continue;
    if (k === "class") el.className = Array.isArray(v) ? v.filter(Boolean).join(" ") : v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const fmt = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});

// A <time> in the browser's zone; the server's text (with its offset) on hover.
export function time(iso) {
  if (!iso) return h("span", {class: "muted", title: "none"}, "—");
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h("span", {}, iso);
  return h("time", {datetime: iso, title: iso}, fmt.format(d));
}

export function statusName(n) {
  return STATUS[n] ?? `status ${n}`;
}

export function statusBadge(n) {
  return h("span", {class: `badge status-${statusName(n)}`, dataset: {status: String(n)}},
    statusName(n));
}

// A polite live-region message (index.html's #notices), gone after a while.
export function notify(text, kind = "info") {
  const region = document.getElementById("notices");
  if (!region) return;
  const item = h("div", {class: `notice notice-${kind}`, "data-testid": "notice",
    dataset: {kind}}, text,
    h("button", {type: "button", class: "notice-close", "aria-label": "Dismiss",
      onclick: () => item.remove()}, "×"));
  region.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 12000 : 6000);
}

// Previous / next with "Page P of N (T)"; onPage(p) is called with the new page.
export function pager(page, pageSize, total, onPage) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return h("nav", {class: "pager", "aria-label": "Pages", "data-testid": "pager"},
    h("button", {type: "button", "data-testid": "pager-prev", disabled: page <= 1,
      onclick: () => onPage(page - 1)}, "‹ Previous"),
    h("span", {"data-testid": "pager-info", dataset: {page: String(page), pages: String(pages)}},
      total ? `Page ${page} of ${pages} · ${first}–${last} of ${total}` : "Nothing to show"),
    h("button", {type: "button", "data-testid": "pager-next", disabled: page >= pages,
      onclick: () => onPage(page + 1)}, "Next ›"));
}

// The message of an ApiError beside the input whose data-field is its field
// (or the nearest prefix: "serials[2]" → "serials", "a.b.c" → "a.b" → "a"),
// else at the top of the form; focuses it.
export function fieldError(form, apiError) {
  clearErrors(form);
  const text = apiError?.message || String(apiError);
  let target = null;
  for (let f = apiError?.field; f && !target; f = parentField(f))
    target = form.querySelector(`[data-field="${CSS.escape(f)}"]`);
  if (!target) {
    const box = h("p", {class: "form-error", role: "alert", "data-testid": "form-error",
      tabindex: "-1"}, text);
    form.prepend(box);
    box.focus();
    return box;
  }
  const id = `err-${Math.random().toString(36).slice(2)}`;
  const msg = h("p", {class: "field-error", id, "data-testid": "field-error",
    dataset: {for: target.dataset.field}}, text);
  target.insertAdjacentElement("afterend", msg);
  const input = target.matches("input, select, textarea, button")
    ? target : target.querySelector("input, select, textarea, button");
  const focusable = input || msg;
  if (!input) msg.tabIndex = -1;
  focusable.setAttribute("aria-invalid", "true");
  focusable.setAttribute("aria-describedby",
    [focusable.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
  focusable.dataset.errorRef = id;
  focusable.focus();
  return msg;
}

function parentField(f) {
  const m = f.match(/^(.*)(\[\d+\]|\.[^.[\]]+)$/);
  return m ? m[1] : null;
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error, .form-error").forEach((e) => e.remove());
  form.querySelectorAll("[data-error-ref]").forEach((e) => {
    const ref = e.dataset.errorRef;
    const rest = (e.getAttribute("aria-describedby") || "").split(" ")
      .filter((x) => x && x !== ref);
    if (rest.length) e.setAttribute("aria-describedby", rest.join(" "));
    else e.removeAttribute("aria-describedby");
    e.removeAttribute("aria-invalid");
    delete e.dataset.errorRef;
  });
}

// "45 s", "1 m 20 s", "2 h 3 m" from seconds.
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400); s %= 86400;
  const hr = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${m} m`;
  if (m) return `${m} m ${s} s`;
  return `${s} s`;
}

// Time since fromIso (until toIso when given), e.g. "1 m 20 s".
export function elapsed(fromIso, toIso) {
  if (!fromIso) return "—";
  const end = toIso ? new Date(toIso).getTime() : Date.now();
  return duration((end - new Date(fromIso).getTime()) / 1000);
}

export function errorText(err) {
  if (err && err.code) return `${err.message} (${err.code})`;
  return err?.message || String(err);
}

// Replaces the query of the current hash URL without a navigation (the view
// re-renders itself), so filters and page survive a reload and can be shared.
export function setQuery(params) {
  const path = (location.hash.replace(/^#/, "") || "/").split("?")[0];
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  history.replaceState(history.state, "", `#${path}${s ? `?${s}` : ""}`);
}

// A modal yes/no; resolves true when confirmed.
export function confirmAction(message, okLabel = "OK") {
  return new Promise((resolve) => {
    const dlg = h("dialog", {class: "confirm", "data-testid": "confirm-dialog",
      "aria-labelledby": "confirm-text"},
      h("form", {method: "dialog"},
        h("p", {id: "confirm-text"}, message),
        h("div", {class: "actions"},
          h("button", {value: "cancel", "data-testid": "confirm-cancel"}, "Cancel"),
          h("button", {value: "ok", class: "danger", "data-testid": "confirm-ok"}, okLabel))));
    dlg.addEventListener("close", () => {
      resolve(dlg.returnValue === "ok");
      dlg.remove();
    });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector("[value=cancel]").focus();
  });
}

// A table row spanning every column, for "nothing here" and errors.
export function emptyRow(columns, text, testid = "empty") {
  return h("tr", {}, h("td", {colspan: String(columns), class: "empty",
    "data-testid": testid}, text));
}

// Runs fn over items, at most `width` at a time; resolves to
// [{item, ok, value|error}] in the items' order.
export async function pool(items, fn, width = 6) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      try { out[i] = {item: items[i], ok: true, value: await fn(items[i])}; }
      catch (error) { out[i] = {item: items[i], ok: false, error}; }
    }
  }
  await Promise.all(Array.from({length: Math.min(width, items.length)}, worker));
  return out;
}

// The submit handler of a form: clears its errors and disables `button`
// while `save()` runs; then onDone(result), or the error beside its field
// (fieldError); neither once isAlive() is false (the view is gone).
// always() runs last in any case, before the button is enabled again.
export function submitForm(form, button, save, {isAlive = () => true, onDone = () => {},
  always = () => {}} = {}) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    button.disabled = true;
    try {
      const result = await save();
      if (isAlive()) onDone(result);
    } catch (err) {
      if (isAlive()) fieldError(form, err);
    } finally {
      always();
      button.disabled = false;
    }
  });
}

// The lifetime of a view: what it starts here ends with cleanup() (the
// function render returns). Each of every / onCleanup returns a function
// that ends that one thing now.
export function viewLifetime() {
  let alive = true;
  const ends = new Set();
  const own = (end) => {
    if (!alive) { end(); return () => {}; }   // started after the cleanup: ended at once
    ends.add(end);
    return () => { ends.delete(end); end(); };
  };
  return {
    alive: () => alive,
    onCleanup: own,
    every(ms, fn) {
      const t = setInterval(fn, ms);
      return own(() => clearInterval(t));
    },
    // A function that calls fn once, ms after the first of a burst of calls.
    coalesce(ms, fn) {
      let t = null;
      own(() => clearTimeout(t));
      return () => {
        if (alive && t === null) t = setTimeout(() => { t = null; fn(); }, ms);
      };
    },
    // onEvent(event) for every live event; onLive() once when the stream
    // becomes live if it was not when subscribed (reload what was missed).
    subscribe(onEvent, onLive) {
      own(live.subscribe(onEvent));
      if (!onLive) return;
      let wasLive = live.status === "live";
      own(live.onStatus((s) => {
        if (s === "live" && !wasLive) { wasLive = true; onLive(); }
      }));
    },
    cleanup() {
      alive = false;
      for (const end of ends) end();
      ends.clear();
    },
  };
}

// Re-reads every running clock (.elapsed[data-since]) below container.
export function refreshElapsed(container) {
  for (const el of container.querySelectorAll(".elapsed[data-since]"))
    if (el.dataset.since) el.textContent = elapsed(el.dataset.since);
}
