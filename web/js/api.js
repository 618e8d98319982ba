// Every HTTP call of the dashboard (web/README.md, "js/api.js").
// The token: kept in sessionStorage "tmx.token"; asked for with the
// <dialog id="token-dialog"> of index.html when a request answers 40101.
// Besides the README's interface: unauthorized(sentToken) (used by live.js:
// asks for the token once for every request that was refused) and
// currentToken().

const KEY = "tmx.token";

export class ApiError extends Error {
  constructor(code, message, status = 0) {
    super(message || `error ${code}`);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.field = (code === 40001 || code === 40002) ? leadingField(this.message) : null;
  }
}

// "script_config.captions must be a string" → "script_config.captions";
// "serials[2] is not a known device" → "serials[2]".
function leadingField(message) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*)*)(?=[\s:,]|$)/
    .exec(message || "");
  return m ? m[1] : null;
}

export function currentToken() {
  try { return sessionStorage.getItem(KEY) || ""; } catch { return ""; }
}

function keepToken(token) {
  try {
    if (token) sessionStorage.setItem(KEY, token); else sessionStorage.removeItem(KEY);
  } catch { /* storage disabled: the token lives as long as the prompt */ }
}

export function authHeaders() {
  const headers = {"X-Tmx-Source": "ui"};
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

// One prompt at a time: every request refused meanwhile waits for it.
let prompt = null;

// A request sent with sentToken was answered 40101. Resolves once a new
// token is kept (the caller retries).
export function unauthorized(sentToken) {
  if (prompt) return prompt;
  if (currentToken() !== sentToken) return Promise.resolve(); // already replaced
  keepToken("");
  prompt = askToken(sentToken ? "The server refused that token. Try again." : "")
    .finally(() => { prompt = null; });
  return prompt;
}

function askToken(error) {
  const dlg = document.getElementById("token-dialog");
  const form = dlg.querySelector("form");
  const input = dlg.querySelector("#token-input");
  const err = dlg.querySelector("#token-error");
  err.textContent = error;
  err.hidden = !error;
  input.value = "";
  input.setAttribute("aria-invalid", error ? "true" : "false");
  return new Promise((resolve) => {
    const onSubmit = (ev) => {
      ev.preventDefault();
      const token = input.value.trim();
      if (!token) {
        err.textContent = "Enter the token (the server option http.token).";
        err.hidden = false;
        input.focus();
        return;
      }
      form.removeEventListener("submit", onSubmit);
      dlg.removeEventListener("cancel", onCancel);
      keepToken(token);
      dlg.close();
      resolve();
    };
    // Nothing works without the token: Escape does not dismiss the dialog.
    const onCancel = (ev) => ev.preventDefault();
    form.addEventListener("submit", onSubmit);
    dlg.addEventListener("cancel", onCancel);
    if (!dlg.open) dlg.showModal();
    input.focus();
  });
}

async function envelope(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!body || typeof body.code !== "number")
    return {code: res.ok ? 50001 : res.status * 100 + 1,
      message: `HTTP ${res.status} ${res.statusText}`.trim(), data: null};
  return body;
}

// path below /api/v1, e.g. "/task?status=1"; body: an object sent as JSON;
// extra: more request headers (e.g. Idempotency-Key). Resolves to the
// envelope's data, else throws ApiError.
export async function api(method, path, body, extra = {}) {
  for (;;) {
    const headers = {...authHeaders(), ...extra};
    const sent = currentToken();
    const init = {method, headers, cache: "no-store"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(`/api/v1${path}`, init);
    } catch (e) {
      throw new ApiError(0, `The server cannot be reached (${e.message})`, 0);
    }
    const env = await envelope(res);
    if (env.code === 40101) { await unauthorized(sent); continue; }
    if (env.code !== 0) throw new ApiError(env.code, env.message, res.status);
    return env.data;
  }
}

// An object URL of the device's screen (PNG, fetched with the token); the
// caller revokes it (URL.revokeObjectURL) when done.
export async function screenshotUrl(serial) {
  for (;;) {
    const sent = currentToken();
    let res;
    try {
      res = await fetch(`/api/v1/device/${encodeURIComponent(serial)}/screenshot`,
        {headers: authHeaders(), cache: "no-store"});
    } catch (e) {
      throw new ApiError(0, `The server cannot be reached (${e.message})`, 0);
    }
    const type = res.headers.get("Content-Type") || "";
    if (res.ok && type.startsWith("image/")) return URL.createObjectURL(await res.blob());
    const env = await envelope(res);
    if (env.code === 40101) { await unauthorized(sent); continue; }
    throw new ApiError(env.code || 50001, env.message, res.status);
  }
}
