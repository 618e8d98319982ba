// Entry: the hash router (web/README.md, "URLs"), the nav's aria-current,
// the live indicator; starts live.
// data-testid: not-found (a route or a view module that does not exist),
// view-error (a view that threw while rendering); in index.html: skip-link,
// nav, live-status (data-status connecting|live|disconnected), view,
// notices, token-dialog, token-input, token-error, token-submit.

import {live} from "./live.js";
import {h} from "./ui.js";

const TITLES = {
  overview: "Overview", tasks: "Tasks", task: "Task", create: "Create tasks",
  accounts: "Accounts", groups: "Groups", schedules: "Schedules",
  webhooks: "Webhooks", nodes: "Nodes",
};
const SIMPLE = new Set(["tasks", "create", "accounts", "groups", "schedules",
  "webhooks", "nodes"]);

// "#/tasks/12?x=1" → {name: "task", nav: "tasks", params: {id: "12"}, query}
function route(hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const q = raw.indexOf("?");
  const path = (q < 0 ? raw : raw.slice(0, q)).replace(/\/+$/, "") || "/";
  const query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return {name: "overview", nav: "overview", params: {}, query};
  if (parts[0] === "tasks" && parts.length === 2)
    return {name: "task", nav: "tasks", params: {id: parts[1]}, query};
  if (parts.length === 1 && SIMPLE.has(parts[0]))
    return {name: parts[0], nav: parts[0], params: {}, query};
  return {name: null, nav: null, params: {}, query, path};
}

const root = document.getElementById("view");
let cleanup = null;
let generation = 0;

function markNav(nav) {
  for (const a of document.querySelectorAll("nav a[data-route]")) {
    if (a.dataset.route === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function notFound(text) {
  root.replaceChildren(h("section", {class: "not-found", "data-testid": "not-found"},
    h("h1", {}, "Not found"), h("p", {}, text),
    h("p", {}, h("a", {href: "#/"}, "Back to the overview"))));
}

async function show(focus) {
  const gen = ++generation;
  if (cleanup) {
    try { cleanup(); } catch (e) { console.error("view cleanup", e); }
    cleanup = null;
  }
  const r = route(location.hash);
  markNav(r.nav);
  root.replaceChildren();
  root.setAttribute("aria-busy", "true");
  if (!r.name) {
    document.title = "Not found — tmx";
    notFound(`There is no page at “${r.path}”.`);
    root.removeAttribute("aria-busy");
    return;
  }
  document.title = `${TITLES[r.name]} — tmx`;
  let mod;
  try {
    mod = await import(`./views/${r.name}.js`);
  } catch (e) {
    if (gen !== generation) return;
    notFound(`The page “${TITLES[r.name]}” is not available in this build (views/${r.name}.js did not load).`);
    root.removeAttribute("aria-busy");
    return;
  }
  if (gen !== generation) return;
  root.replaceChildren();
  try {
    const done = mod.render(root, r.params, r.query);
    cleanup = typeof done === "function" ? done : null;
  } catch (e) {
    console.error(e);
    root.replaceChildren(h("section", {class: "error", "data-testid": "view-error"},
      h("h1", {}, "This page failed"), h("p", {}, String(e.message || e))));
  }
  root.removeAttribute("aria-busy");
  if (focus) root.focus({preventScroll: true});
}

const LABELS = {connecting: "connecting…", live: "live", disconnected: "disconnected"};
function showStatus(s) {
  const el = document.getElementById("live");
  el.dataset.status = s;
  el.textContent = LABELS[s] || s;
  el.title = s === "disconnected"
    ? "The event stream is down: reconnecting, what you see may be stale"
    : s === "live" ? "Following the server's events" : "Connecting to the event stream";
}

document.querySelector(".skip").addEventListener("click", (ev) => {
  ev.preventDefault();
  root.focus();
});
window.addEventListener("hashchange", () => show(true));
live.onStatus(showStatus);
showStatus(live.status);
live.start();
show(false);
