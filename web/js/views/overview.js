// #/?node=&group=&state= — task counts by status, the nodes, the device wall
// (one tile per phone) with filters by node, group and state kept in the URL.
// Live: device.updated updates its tile at once; task and node events
// re-read stats, nodes and devices (coalesced).
// data-testid: overview, stats, stat-total, stat-pending, stat-running,
// stat-completed, stat-failed (each an <a> with the number in .n), nodes,
// node-summary (data-node, data-state), filter-node, filter-group,
// filter-state, wall-count, device-wall, device-tile (data-serial,
// data-state), tile-serial, tile-state, tile-reason, tile-node, tile-task
// (with tile-task-link, tile-task-script, tile-task-account,
// tile-task-elapsed while running), tile-queued, tile-battery, tile-model,
// tile-screenshot-button, tile-screenshot (the <img>), load-error.

import {api, screenshotUrl} from "../api.js";
import {
  h, elapsed, errorText, notify, refreshElapsed, setQuery, statusName, viewLifetime,
} from "../ui.js";

const STATES = ["online", "busy", "offline"];
const STAT_KEYS = ["total", "pending", "running", "completed", "failed"];

export function render(root, params, query) {
  const life = viewLifetime();
  const devices = new Map();          // serial → device object
  const tiles = new Map();            // serial → {li, parts}
  const tasks = new Map();            // running task id → task object
  const fetching = new Set();
  const objectUrls = new Set();
  let nodes = [];
  const filter = {
    node: query.get("node") || "", group: query.get("group") || "", state: query.get("state") || "",
  };

  const statsBox = h("div", {class: "stats", "data-testid": "stats"},
    STAT_KEYS.map((k) => h("a", {class: `stat ${k}`, "data-testid": `stat-${k}`,
      href: k === "total" ? "#/tasks" : `#/tasks?status=${["pending", "running", "completed", "failed"].indexOf(k)}`},
    h("span", {class: "n"}, "–"), h("span", {class: "l"}, k === "total" ? "tasks" : k))));
  const nodeList = h("ul", {class: "node-list", "data-testid": "nodes"});
  const errorBox = h("p", {class: "error-box", role: "alert", "data-testid": "load-error", hidden: true});
  const sel = (name, label) => h("div", {class: "field"},
    h("label", {for: `ov-${name}`}, label),
    h("select", {id: `ov-${name}`, name, "data-testid": `filter-${name}`, onchange: onFilter}));
  const filters = h("form", {class: "filters", role: "search", "aria-label": "Filter devices",
    onsubmit: (e) => e.preventDefault()},
  sel("node", "Node"), sel("group", "Group"), sel("state", "State"),
  h("p", {class: "muted", "data-testid": "wall-count", "aria-live": "polite"}, ""));
  const wall = h("ul", {class: "wall", "data-testid": "device-wall", "aria-label": "Devices"});

  root.append(h("section", {"data-testid": "overview"},
    h("h1", {}, "Overview"), errorBox,
    h("section", {"aria-labelledby": "ov-tasks"}, h("h2", {id: "ov-tasks"}, "Tasks"), statsBox),
    h("section", {"aria-labelledby": "ov-nodes"}, h("h2", {id: "ov-nodes"}, "Nodes"), nodeList),
    h("section", {"aria-labelledby": "ov-devices"}, h("h2", {id: "ov-devices"}, "Devices"), filters, wall)));

  function onFilter(ev) {
    filter[ev.target.name] = ev.target.value;
    setQuery(filter);
    layoutWall();
  }

  // --- loading, coalesced: one request set in flight, one more queued at most
  let loading = null, again = false;
  async function load() {
    if (loading) { again = true; return loading; }
    loading = (async () => {
      try {
        const [stats, nodeData, devData] = await Promise.all([
          api("GET", "/task/stats"), api("GET", "/node"), api("GET", "/device")]);
        if (!life.alive()) return;
        errorBox.hidden = true;
        showStats(stats);
        nodes = nodeData.nodes || [];
        devices.clear();
        for (const d of devData.devices || []) devices.set(d.serial, d);
        for (const s of [...tiles.keys()]) if (!devices.has(s)) tiles.delete(s);
        for (const t of [...tasks.keys()])
          if (![...devices.values()].some((d) => d.running_task_id === t)) tasks.delete(t);
        showNodes();
        showFilters();
        for (const d of devices.values()) updateTile(d);
        layoutWall();
      } catch (e) {
        if (!life.alive()) return;
        errorBox.textContent = `Could not load the overview: ${errorText(e)}`;
        errorBox.hidden = false;
      }
    })();
    await loading;
    loading = null;
    if (again && life.alive()) { again = false; await load(); }
  }
  const soon = life.coalesce(200, load);

  function showStats(stats) {
    for (const k of STAT_KEYS)
      statsBox.querySelector(`[data-testid="stat-${k}"] .n`).textContent = String(stats[k] ?? 0);
  }

  function showNodes() {
    const items = nodes.map((n) => {
      const mine = [...devices.values()].filter((d) => d.node === n.name);
      const up = mine.filter((d) => d.state !== "offline").length;
      return h("li", {"data-testid": "node-summary", dataset: {node: n.name, state: n.state}},
        h("strong", {}, n.name),
        h("span", {class: `badge state-${n.state === "online" ? "online" : "offline"}`}, n.state),
        h("span", {class: "muted"}, `${mine.length} device${mine.length === 1 ? "" : "s"}, ${up} online`));
    });
    nodeList.replaceChildren(...(items.length ? items : [h("li", {class: "muted"}, "No device hosts")]));
  }

  function fillSelect(select, values, allLabel, current) {
    const list = [...new Set(values)].filter(Boolean).sort();
    if (current && !list.includes(current)) list.push(current);
    select.replaceChildren(h("option", {value: ""}, allLabel),
      ...list.map((v) => h("option", {value: v}, v)));
    select.value = current;
  }
  function showFilters() {
    const [nodeSel, groupSel, stateSel] = filters.querySelectorAll("select");
    const devs = [...devices.values()];
    fillSelect(nodeSel, [...nodes.map((n) => n.name), ...devs.map((d) => d.node)], "All nodes", filter.node);
    fillSelect(groupSel, devs.flatMap((d) => d.groups || []), "All groups", filter.group);
    if (!stateSel.options.length) fillSelect(stateSel, STATES, "All states", filter.state);
    stateSel.value = filter.state;
  }

  function matches(d) {
    return (!filter.node || d.node === filter.node)
      && (!filter.group || (d.groups || []).includes(filter.group))
      && (!filter.state || d.state === filter.state);
  }

  function layoutWall() {
    const shown = [...devices.values()].filter(matches)
      .sort((a, b) => a.serial.localeCompare(b.serial, undefined, {numeric: true}));
    const want = shown.map((d) => tileOf(d.serial).li);
    const have = [...wall.children];
    if (want.length !== have.length || want.some((li, i) => li !== have[i])) wall.replaceChildren(...want);
    if (!devices.size) wall.replaceChildren(h("li", {class: "muted"}, "No devices known yet."));
    filters.querySelector('[data-testid="wall-count"]').textContent =
      `Showing ${shown.length} of ${devices.size} device${devices.size === 1 ? "" : "s"}`;
  }

  // --- tiles
  function tileOf(serial) {
    let t = tiles.get(serial);
    if (t) return t;
    const p = {
      state: h("span", {class: "badge", "data-testid": "tile-state"}),
      reason: h("p", {class: "reason", "data-testid": "tile-reason", hidden: true}),
      node: h("dd", {"data-testid": "tile-node"}),
      task: h("dd", {"data-testid": "tile-task"}),
      queued: h("dd", {"data-testid": "tile-queued"}),
      battery: h("dd", {"data-testid": "tile-battery"}),
      model: h("dd", {"data-testid": "tile-model"}),
      shot: h("div", {class: "shot"}),
    };
    const id = `tile-${serial.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const li = h("li", {class: "tile", "data-testid": "device-tile", dataset: {serial},
      "aria-labelledby": id},
    h("div", {class: "head"}, h("h3", {class: "serial", id, "data-testid": "tile-serial"}, serial), p.state),
    p.reason,
    h("dl", {}, h("dt", {}, "Node"), p.node, h("dt", {}, "Task"), p.task,
      h("dt", {}, "Queued"), p.queued, h("dt", {}, "Battery"), p.battery,
      h("dt", {}, "Model"), p.model),
    p.shot);
    t = {li, p, taskKey: null, shotMode: null};
    tiles.set(serial, t);
    return t;
  }

  function updateTile(d) {
    const t = tileOf(d.serial);
    const {li, p} = t;
    li.dataset.state = d.state;
    p.state.className = `badge state-${d.state}`;
    p.state.textContent = d.state;
    p.reason.hidden = d.state !== "offline";
    p.reason.textContent = d.state === "offline" ? (d.state_reason || "offline") : "";
    p.node.textContent = d.node || "—";
    p.queued.textContent = String(d.queued ?? 0);
    p.battery.textContent = d.battery === null || d.battery === undefined ? "—" : `${d.battery} %`;
    p.model.textContent = [d.model, d.android && `Android ${d.android}`].filter(Boolean).join(", ") || "—";
    showTask(t, d);
    showShot(t, d);
  }

  function showTask(t, d) {
    const id = d.running_task_id;
    const task = id ? tasks.get(id) : null;
    const key = id ? `${id}:${task ? task.started_at : "?"}` : "idle";
    if (key === t.taskKey) return;
    t.taskKey = key;
    if (!id) { t.p.task.replaceChildren(h("span", {class: "muted"}, "idle")); return; }
    if (!task) {
      t.p.task.replaceChildren(h("a", {href: `#/tasks/${id}`, "data-testid": "tile-task-link"}, `#${id}`));
      fetchTask(id);
      return;
    }
    t.p.task.replaceChildren(
      h("a", {href: `#/tasks/${id}`, "data-testid": "tile-task-link"}, `#${id}`), " ",
      h("span", {"data-testid": "tile-task-script"}, task.script_name), " · ",
      h("span", {"data-testid": "tile-task-account"}, task.username || "no account"), " · ",
      h("span", {class: "elapsed", "data-testid": "tile-task-elapsed",
        dataset: {since: task.started_at || ""}, title: `started ${task.started_at || "—"}`},
      task.started_at ? elapsed(task.started_at) : statusName(task.status)));
  }

  async function fetchTask(id) {
    if (fetching.has(id)) return;
    fetching.add(id);
    try {
      const task = await api("GET", `/task/${id}`);
      if (!life.alive()) return;
      tasks.set(id, task);
      for (const d of devices.values()) if (d.running_task_id === id) showTask(tileOf(d.serial), d);
    } catch { /* gone meanwhile: the next load shows what runs */ }
    finally { fetching.delete(id); }
  }

  function showShot(t, d) {
    const can = (d.driver === "adb" || d.driver === "sim") && d.state !== "offline";
    const mode = can ? "on" : "off";
    if (mode === t.shotMode) return;
    t.shotMode = mode;
    if (!can) {
      const img = t.p.shot.querySelector("img");
      t.p.shot.replaceChildren(...(img ? [img] : []));
      return;
    }
    const btn = h("button", {type: "button", "data-testid": "tile-screenshot-button",
      "aria-label": `Screenshot of ${d.serial}`, onclick: () => takeShot(t, d.serial, btn)}, "Screenshot");
    const img = t.p.shot.querySelector("img");
    t.p.shot.replaceChildren(btn, ...(img ? [img] : []));
  }

  async function takeShot(t, serial, btn) {
    btn.disabled = true;
    btn.textContent = "Loading…";
    try {
      const url = await screenshotUrl(serial);
      if (!life.alive()) { URL.revokeObjectURL(url); return; }
      objectUrls.add(url);
      let img = t.p.shot.querySelector("img");
      if (!img) {
        img = h("img", {alt: `Screen of ${serial}`, "data-testid": "tile-screenshot", width: "180"});
        t.p.shot.append(img);
      }
      const old = img.getAttribute("src");
      img.src = url;
      img.title = `Taken ${new Date().toLocaleTimeString()}`;
      if (old) { URL.revokeObjectURL(old); objectUrls.delete(old); }
    } catch (e) {
      notify(`Screenshot of ${serial}: ${errorText(e)}`, "error");
    } finally {
      btn.disabled = false;
      btn.textContent = "Refresh screenshot";
    }
  }

  // --- live
  function onEvent(ev) {
    if (ev.type === "reset") { load(); return; }
    if (ev.type === "device.updated" && ev.device) {
      const known = devices.has(ev.device.serial);
      devices.set(ev.device.serial, {...devices.get(ev.device.serial), ...ev.device});
      updateTile(devices.get(ev.device.serial));
      if (!known) { showFilters(); }
      showNodes();
      layoutWall();
      return;
    }
    if (ev.type.startsWith("node.")) { soon(); return; }
    if (ev.type.startsWith("task.") && ev.task) {
      const task = ev.task;
      const d = devices.get(task.serial);
      if (ev.type === "task.started" && d) {
        tasks.set(task.id, task);
        d.state = "busy";
        d.running_task_id = task.id;
        updateTile(d);
        layoutWall();
      } else if ((ev.type === "task.completed" || ev.type === "task.failed" || ev.type === "task.deleted")
          && d && d.running_task_id === task.id) {
        tasks.delete(task.id);
        d.state = "online";
        d.running_task_id = null;
        updateTile(d);
        layoutWall();
      }
      soon();
    }
  }
  life.subscribe(onEvent, load);
  life.every(1000, () => refreshElapsed(wall));
  life.onCleanup(() => { for (const u of objectUrls) URL.revokeObjectURL(u); });

  load();
  return life.cleanup;
}
