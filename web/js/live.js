// The event stream (web/README.md, "js/live.js"): GET /api/v1/events read
// with fetch and a stream reader (an EventSource cannot send the
// Authorization header). After any disconnect it reconnects with back-off
// (1 s doubling to 10 s) sending Last-Event-ID, so a server restart loses
// nothing; an id the server no longer holds gets {type: "reset"}, and so
// does a reconnect before any event (no id to resume from).
// A stream silent for 45 s (the server sends a keep-alive every 15 s) is
// taken as lost.

import {authHeaders, currentToken, unauthorized} from "./api.js";

const listeners = new Set();
const statusListeners = new Set();
let lastId = null;
let started = false;
let connectedOnce = false;

function setStatus(s) {
  if (live.status === s) return;
  live.status = s;
  for (const fn of statusListeners) {
    try { fn(s); } catch (e) { console.error("live status listener", e); }
  }
}

function dispatch(event) {
  for (const fn of [...listeners]) {
    try { fn(event); } catch (e) { console.error("live listener", e); }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One SSE frame: its fields (id, event, data).
function handleFrame(lines) {
  let id = null, type = "message";
  const data = [];
  for (const line of lines) {
    if (line === "" || line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const name = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? "" : line.slice(i + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "id") id = value;
    else if (name === "event") type = value;
    else if (name === "data") data.push(value);
  }
  if (id !== null && /^\d+$/.test(id)) lastId = id;
  if (type === "reset") { dispatch({type: "reset"}); return; }
  if (!data.length) return;
  let payload;
  try { payload = JSON.parse(data.join("\n")); } catch { return; }
  if (!payload || typeof payload.type !== "string") return;
  if (id !== null) payload.id = Number(id);
  dispatch(payload);
}

async function readStream(res, abort) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let frame = [];
  let watchdog = setTimeout(abort, 45000);
  try {
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(abort, 45000);
      buf += decoder.decode(value, {stream: true});
      const parts = buf.split(/\r\n|\r|\n/);
      buf = parts.pop();
      for (const line of parts) {
        if (line === "") { if (frame.length) handleFrame(frame); frame = []; }
        else frame.push(line);
      }
    }
  } finally {
    clearTimeout(watchdog);
  }
}

async function run() {
  let delay = 1000;
  for (;;) {
    if (live.status !== "disconnected") setStatus("connecting");
    const ctrl = new AbortController();
    try {
      const headers = authHeaders();
      const sent = currentToken();
      if (lastId !== null) headers["Last-Event-ID"] = lastId;
      const res = await fetch("/api/v1/events", {headers, cache: "no-store", signal: ctrl.signal});
      if (res.status === 401) {
        await res.body?.cancel();
        await unauthorized(sent);
        continue;
      }
      if (res.status === 400 && lastId !== null) {
        // An id this server refuses (another data dir): start afresh.
        await res.body?.cancel();
        lastId = null;
        dispatch({type: "reset"});
        continue;
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      setStatus("live");
      delay = 1000;
      // Back after a drop but no id was seen to resume from: what happened
      // meanwhile is unknown, so the views re-read.
      if (lastId === null && connectedOnce) dispatch({type: "reset"});
      connectedOnce = true;
      await readStream(res, () => ctrl.abort());
    } catch {
      // Network error, server gone, or aborted by the watchdog: retry below.
    }
    ctrl.abort();
    setStatus("disconnected");
    await sleep(delay);
    delay = Math.min(delay * 2, 10000);
  }
}

export const live = {
  status: "connecting",
  start() {
    if (started) return;
    started = true;
    run();
  },
  // fn(event) for every event; returns the unsubscribe function.
  subscribe(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  // fn("connecting" | "live" | "disconnected"); returns the unsubscribe function.
  onStatus(fn) {
    statusListeners.add(fn);
    return () => statusListeners.delete(fn);
  },
};
