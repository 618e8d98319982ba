// #/nodes — the device hosts (GET /api/v1/node) as a table: name, state,
// address, devices (with how many are online, from GET /api/v1/device),
// connected since, last seen. Live: node.* and device.updated events re-read.
// data-testid: nodes-page, nodes-table, node-row (data-name, data-state),
// node-name, node-state, node-address, node-devices, node-connected,
// node-last-seen, empty, load-error.

import {api} from "../api.js";
import {h, time, errorText, emptyRow, viewLifetime} from "../ui.js";

const COLUMNS = ["Name", "State", "Address", "Devices", "Connected since", "Last seen"];

export function render(root) {
  const life = viewLifetime();
  const tbody = h("tbody", {}, emptyRow(COLUMNS.length, "Loading…", "loading"));
  const caption = h("caption", {}, "Device hosts");
  const errorBox = h("p", {class: "error-box", role: "alert", "data-testid": "load-error", hidden: true});
  root.append(h("section", {"data-testid": "nodes-page"},
    h("h1", {}, "Nodes"), errorBox,
    h("div", {class: "table-wrap"}, h("table", {"data-testid": "nodes-table"}, caption,
      h("thead", {}, h("tr", {}, COLUMNS.map((c) => h("th", {scope: "col"}, c)))), tbody))));

  let busy = false, again = false;
  async function load() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const [nodeData, devData] = await Promise.all([api("GET", "/node"), api("GET", "/device")]);
      if (!life.alive()) return;
      errorBox.hidden = true;
      show(nodeData.nodes || [], devData.devices || []);
    } catch (e) {
      if (!life.alive()) return;
      errorBox.textContent = `Could not load the nodes: ${errorText(e)}`;
      errorBox.hidden = false;
    } finally {
      busy = false;
    }
    if (again && life.alive()) { again = false; load(); }
  }

  function show(nodes, devices) {
    const state = new Map(devices.map((d) => [d.serial, d.state]));
    caption.textContent = `Device hosts: ${nodes.length}, ${nodes.filter((n) => n.state === "online").length} online`;
    const rows = [...nodes].sort((a, b) => a.name.localeCompare(b.name)).map((n) => {
      const list = n.devices || [];
      const up = list.filter((s) => state.has(s) && state.get(s) !== "offline").length;
      return h("tr", {"data-testid": "node-row", dataset: {name: n.name, state: n.state}},
        h("th", {scope: "row", "data-testid": "node-name"}, n.name),
        h("td", {"data-testid": "node-state"},
          h("span", {class: `badge state-${n.state === "online" ? "online" : "offline"}`}, n.state)),
        h("td", {"data-testid": "node-address", class: "mono"}, n.address || h("span", {class: "muted"}, "in-process")),
        h("td", {"data-testid": "node-devices"},
          h("details", {}, h("summary", {}, `${list.length} (${up} online)`),
            h("span", {class: "mono"}, list.join(", ") || "none"))),
        h("td", {"data-testid": "node-connected", class: "nowrap"}, time(n.connected_since)),
        h("td", {"data-testid": "node-last-seen", class: "nowrap"}, time(n.last_seen)));
    });
    tbody.replaceChildren(...(rows.length ? rows : [emptyRow(COLUMNS.length, "No device hosts.", "empty")]));
  }

  const soon = life.coalesce(200, load);
  life.subscribe((ev) => {
    if (ev.type === "reset" || ev.type.startsWith("node.") || ev.type === "device.updated") soon();
  });
  load();
  return life.cleanup;
}
