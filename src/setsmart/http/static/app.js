// setsmart's page: every device with its live state and controls, plots, firmware, log.
// Plain JS, no build step, no CDN: it talks only to the daemon that served it.
"use strict";

const TOKEN_KEY = "setsmart-token";
const LOG_LIMIT = 100;
const RECONNECT_MS = 2000;
const PLOT_EVERY_MS = 60000;

const devices = new Map(); // name -> {info, card, parts}
let token = localStorage.getItem(TOKEN_KEY) || "";
let events = null;

// --- HTTP -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { headers };
  if (body !== undefined) {
    init.method = "POST";
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status === 401) {
    askForToken(token ? "That token was refused." : "");
  }
  if (!response.ok) {
    const message = (data && data.error) || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return data;
}

const enc = encodeURIComponent;

// --- DOM helpers ------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

// --- Token ------------------------------------------------------------------------------

function askForToken(message) {
  const form = document.getElementById("token-form");
  form.hidden = false;
  document.getElementById("token-error").textContent = message;
  document.getElementById("token").focus();
}

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = document.getElementById("token").value.trim();
  localStorage.setItem(TOKEN_KEY, token);
  document.getElementById("token-form").hidden = true;
  start();
});

// --- Units and labels -------------------------------------------------------------------

const UNITS = {
  power: "W", voltage: "V", current: "A", energy: "kWh", temperature: "°C",
  local_temperature: "°C", current_heating_setpoint: "°C", humidity: "%", battery: "%",
  illuminance: "lx", co2: "ppm", pm25: "µg/m³", position: "%", percentage: "%",
};
const CONTROLLED = new Set([
  "state", "brightness", "color", "color_temp", "color_temp_kelvin", "color_mode", "effect",
  "position", "percentage", "preset_mode", "oscillation", "direction",
  "current_heating_setpoint", "system_mode", "preset", "child_lock",
]);
const NOT_SHOWN = new Set(["dps", "source", "last_seen", "white"]);
const V2_EFFECTS = ["night", "read", "meeting", "leisure", "soft", "rainbow", "shine", "beautiful"];
const V1_EFFECTS = ["scene_1", "scene_2", "scene_3", "scene_4"];

function label(key) {
  const gang = /^(state|brightness)_l(\d+)$/.exec(key);
  if (gang) return `${gang[1] === "state" ? "Switch" : "Brightness"} ${gang[2]}`;
  return key.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

function show(key, value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  const unit = UNITS[key];
  return unit ? `${value} ${unit}` : String(value);
}

function sameKey(key) {
  return key === "brightness" || /^brightness_l\d+$/.test(key);
}

// --- Cards ------------------------------------------------------------------------------

function render(info) {
  let entry = devices.get(info.name);
  if (!entry) {
    const card = document.getElementById("card").content.firstElementChild.cloneNode(true);
    card.dataset.device = info.name;
    entry = { info, card, controls: new Map(), plotted: 0 };
    devices.set(info.name, entry);
    card.querySelector(".firmware-check").addEventListener("click", () => firmwareCheck(entry));
    card.querySelector(".firmware-upgrade").addEventListener("click", () => firmwareUpgrade(entry));
    document.getElementById("devices").append(card);
  }
  entry.info = info;
  const { card } = entry;
  card.querySelector(".name").textContent = info.name;
  const where = info.connection === "offline" ? "" : ` · ${info.connection}`;
  card.querySelector(".meta").textContent =
    `${info.type}${info.version ? ` · ${info.version}` : ""}${where}`;
  setAvailable(entry, info.available);
  buildControls(entry);
  updateState(entry, info.state || {});
  if (Date.now() - entry.plotted > PLOT_EVERY_MS) loadPlots(entry);
}

function setAvailable(entry, available) {
  entry.info.available = available;
  const badge = entry.card.querySelector(".availability");
  badge.textContent = available ? "online" : "offline";
  badge.className = `availability badge ${available ? "online" : "offline"}`;
  entry.card.classList.toggle("unavailable", !available);
  summarize();
}

function summarize() {
  const all = [...devices.values()];
  const online = all.filter((d) => d.info.available).length;
  document.getElementById("summary").textContent = `${online} of ${all.length} devices online`;
}

function send(entry, payload) {
  const error = entry.card.querySelector(".error");
  error.textContent = "";
  return api(`/api/devices/${enc(entry.info.name)}/set`, payload).then(
    (answer) => {
      if (answer && answer.state) updateState(entry, answer.state);
    },
    (problem) => {
      error.textContent = problem.message;
      updateState(entry, entry.info.state || {}); // put the controls back as they were
    },
  );
}

function addControl(entry, key, row, update) {
  entry.card.querySelector(".controls").append(row);
  entry.controls.set(key, update);
}

function switchRow(entry, key) {
  const button = h("button", {
    type: "button",
    class: "switch",
    "aria-pressed": "false",
    "data-key": key,
    onclick: () => send(entry, { [key]: "TOGGLE" }),
  });
  addControl(entry, key, h("div", { class: "row" }, h("label", { text: label(key) }), button), (v) => {
    const on = v === "ON";
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "On" : "Off";
  });
}

function rangeRow(entry, key, { min, max, step = 1, payload }) {
  const output = h("output");
  const input = h("input", { type: "range", min, max, step, "data-key": key });
  input.addEventListener("input", () => { output.textContent = input.value; });
  input.addEventListener("change", () => send(entry, payload(Number(input.value))));
  const row = h("div", { class: "row" }, h("label", { text: label(key) }), input, output);
  addControl(entry, key, row, (v) => {
    if (typeof v === "number" && document.activeElement !== input) {
      input.value = String(v);
      output.textContent = String(v);
    }
  });
}

function selectRow(entry, key, options) {
  const select = h("select", { "data-key": key, onchange: () => send(entry, { [key]: select.value }) });
  for (const option of options) select.append(h("option", { value: option, text: option }));
  const row = h("div", { class: "row" }, h("label", { text: label(key) }), select);
  addControl(entry, key, row, (v) => {
    if (v !== null && v !== undefined && ![...select.options].some((o) => o.value === v)) {
      select.append(h("option", { value: v, text: v }));
    }
    select.value = v ?? "";
  });
}

function buttonsRow(entry, key, words) {
  const buttons = words.map((word) =>
    h("button", { type: "button", text: word, onclick: () => send(entry, { [key]: word }) }));
  addControl(entry, key, h("div", { class: "row" }, h("label", { text: label(key) }), ...buttons), () => {});
}

function toHex({ h: hue, s: sat }) {
  const f = (n) => {
    const k = (n + hue / 60) % 6;
    const v = 1 - (sat / 100) * Math.max(0, Math.min(k, 4 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, "0");
  };
  return `#${f(5)}${f(3)}${f(1)}`;
}

function colourRow(entry) {
  const input = h("input", { type: "color", "data-key": "color" });
  input.addEventListener("change", () => send(entry, { color: input.value }));
  addControl(entry, "color", h("div", { class: "row" }, h("label", { text: "Colour" }), input), (v) => {
    if (v && typeof v === "object" && document.activeElement !== input) input.value = toHex(v);
  });
}

function buildControls(entry) {
  const { info, card } = entry;
  const state = info.state || {};
  const caps = info.capabilities || {};
  const signature = `${info.type}:${Object.keys(state).sort().join(",")}`;
  if (entry.signature === signature) return;
  entry.signature = signature;
  card.querySelector(".controls").replaceChildren();
  entry.controls.clear();
  const has = (key) => key in state;
  if (info.type === "sensor") return;
  for (const key of Object.keys(state).filter((k) => /^state(_l\d+)?$/.test(k)).sort(byGang)) {
    if (info.type === "cover") continue;
    switchRow(entry, key);
    const level = key.replace("state", "brightness");
    if (has(level)) rangeRow(entry, level, { min: 0, max: 255, payload: (v) => ({ [level]: v }) });
  }
  if (has("color_temp_kelvin")) {
    const [min, max] = caps.color_temp_kelvin || [2700, 6500];
    rangeRow(entry, "color_temp_kelvin", { min, max, step: 50, payload: (v) => ({ color_temp_kelvin: v }) });
  }
  if (has("color")) colourRow(entry);
  if (has("effect") || info.type === "bulb" || info.type === "bulb_v1") {
    const effects = caps.effects || (info.type === "bulb_v1" ? V1_EFFECTS : V2_EFFECTS);
    selectRow(entry, "effect", ["", ...effects]);
  }
  if (info.type === "cover") {
    buttonsRow(entry, "state", ["OPEN", "STOP", "CLOSE"]);
    rangeRow(entry, "position", { min: 0, max: 100, payload: (v) => ({ position: v }) });
  }
  if (has("percentage")) rangeRow(entry, "percentage", { min: 0, max: 100, payload: (v) => ({ percentage: v }) });
  if (has("preset_mode") && caps.preset_modes) selectRow(entry, "preset_mode", caps.preset_modes);
  if (has("oscillation")) {
    const button = h("button", { type: "button", class: "switch", onclick: () => send(entry, { oscillation: button.getAttribute("aria-pressed") !== "true" }) });
    addControl(entry, "oscillation", h("div", { class: "row" }, h("label", { text: "Oscillation" }), button), (v) => {
      button.setAttribute("aria-pressed", String(v === true));
      button.textContent = v ? "On" : "Off";
    });
  }
  if (has("direction")) selectRow(entry, "direction", ["forward", "reverse"]);
  if (has("current_heating_setpoint")) {
    const sp = caps.current_heating_setpoint || { min: 5, max: 35, step: 0.5 };
    rangeRow(entry, "current_heating_setpoint", { ...sp, payload: (v) => ({ current_heating_setpoint: v }) });
  }
  if (has("system_mode")) selectRow(entry, "system_mode", caps.system_modes || ["off", "heat", "auto"]);
  if (has("preset") && caps.presets) selectRow(entry, "preset", caps.presets);
  if (has("child_lock")) selectRow(entry, "child_lock", ["LOCK", "UNLOCK"]);
}

function byGang(a, b) {
  return Number(a.split("_l")[1] || 0) - Number(b.split("_l")[1] || 0);
}

function updateState(entry, state) {
  entry.info.state = state;
  buildControls(entry);
  for (const [key, update] of entry.controls) update(state[key]);
  const readings = entry.card.querySelector(".readings");
  readings.replaceChildren();
  for (const [key, value] of Object.entries(state)) {
    if (NOT_SHOWN.has(key) || CONTROLLED.has(key) || /^state_l\d+$/.test(key) || sameKey(key)) continue;
    readings.append(h("dt", { text: label(key) }), h("dd", { "data-key": key, text: show(key, value) }));
  }
  if (state.last_seen) {
    readings.append(h("dt", { text: "Last seen" }), h("dd", { text: new Date(state.last_seen).toLocaleTimeString() }));
  }
}

// --- Plots ------------------------------------------------------------------------------

async function loadPlots(entry) {
  entry.plotted = Date.now();
  const state = entry.info.state || {};
  const name = enc(entry.info.name);
  if ("power" in state) {
    const from = new Date(Date.now() - 24 * 3600e3).toISOString();
    try {
      const history = await api(`/api/devices/${name}/history?key=power&from=${enc(from)}`);
      drawLine(entry.card.querySelector(".plot.power"), history.points, history.unit || "W");
    } catch { /* history is optional: the card works without it */ }
  }
  if ("energy" in state) {
    const from = new Date(Date.now() - 14 * 86400e3).toISOString();
    try {
      const energy = await api(`/api/devices/${name}/energy?resolution=day&from=${enc(from)}`);
      drawBars(entry.card.querySelector(".plot.energy"), energy.points);
    } catch { /* as above */ }
  }
}

function chart(figure) {
  figure.hidden = false;
  figure.querySelector("svg")?.remove();
  const svg = s("svg", { viewBox: "0 0 300 80", preserveAspectRatio: "none", role: "img" });
  figure.append(svg);
  return svg;
}

function drawLine(figure, points, unit) {
  if (!points || points.length < 2) return;
  const svg = chart(figure);
  const ts = points.map((p) => Date.parse(p.t));
  const vs = points.map((p) => p.v);
  const t0 = Math.min(...ts), t1 = Math.max(...ts), top = Math.max(...vs, 1);
  const x = (t) => ((t - t0) / Math.max(t1 - t0, 1)) * 300;
  const y = (v) => 78 - (v / top) * 70;
  const line = points.map((p, i) => `${x(ts[i]).toFixed(1)},${y(vs[i]).toFixed(1)}`).join(" ");
  svg.append(s("polygon", { class: "area", points: `0,78 ${line} 300,78` }));
  svg.append(s("polyline", { class: "line", points: line }));
  const peak = s("text", { x: 2, y: 10 });
  peak.textContent = `${top} ${unit}`;
  svg.append(peak);
  svg.setAttribute("aria-label", `power, ${points.length} points, peak ${top} ${unit}`);
}

function drawBars(figure, points) {
  if (!points || points.length === 0) return;
  const svg = chart(figure);
  const top = Math.max(...points.map((p) => p.kwh), 0.001);
  const width = 300 / points.length;
  points.forEach((p, i) => {
    const height = (p.kwh / top) * 66;
    const bar = s("rect", { class: "bar", x: i * width + 1, y: 78 - height, width: Math.max(width - 2, 1), height });
    const title = s("title");
    title.textContent = `${p.t.slice(0, 10)}: ${p.kwh.toFixed(3)} kWh`;
    bar.append(title);
    svg.append(bar);
  });
  const most = s("text", { x: 2, y: 10 });
  most.textContent = `${top.toFixed(2)} kWh`;
  svg.append(most);
  svg.setAttribute("aria-label", `energy per day, ${points.length} days`);
}

// --- Firmware ---------------------------------------------------------------------------

async function firmwareCheck(entry) {
  const status = entry.card.querySelector(".firmware-status");
  status.textContent = "Checking…";
  try {
    const answer = await api("/api/bridge/firmware/check", { device: entry.info.name });
    const found = Array.isArray(answer.data) ? answer.data[0] : answer.data;
    showFirmware(entry, found);
  } catch (problem) {
    status.textContent = problem.message;
  }
}

function showFirmware(entry, found) {
  const status = entry.card.querySelector(".firmware-status");
  const upgrade = entry.card.querySelector(".firmware-upgrade");
  if (!found) {
    status.textContent = "No answer.";
    return;
  }
  // The firmware document of B/<name>/firmware: current, available, update_available.
  const available = found.update_available ?? false;
  const current = found.current ?? "?";
  const latest = found.available ?? current;
  status.textContent = available ? `Version ${current}; ${latest} is available.` : `Version ${current}, up to date.`;
  upgrade.hidden = !available;
}

async function firmwareUpgrade(entry) {
  const status = entry.card.querySelector(".firmware-status");
  if (!confirm(`Upgrade the firmware of ${entry.info.name}? It restarts the device.`)) return;
  status.textContent = "Upgrading…";
  try {
    await api("/api/bridge/firmware/upgrade", { devices: [entry.info.name] });
    status.textContent = "Upgrade started; progress follows.";
  } catch (problem) {
    status.textContent = problem.message;
  }
}

// --- Log --------------------------------------------------------------------------------

function addLog(item) {
  const list = document.getElementById("log");
  const when = item.time ? new Date(item.time) : new Date();
  const line = h("li", { class: item.level || "info" },
    h("time", { datetime: when.toISOString(), text: when.toLocaleTimeString() }),
    h("span", { class: "level", text: item.level || "info" }),
    h("span", { text: item.message || "" }));
  list.prepend(line);
  while (list.children.length > LOG_LIMIT) list.lastElementChild.remove();
}

// --- Live updates -----------------------------------------------------------------------

function setStream(connected) {
  const badge = document.getElementById("stream");
  badge.textContent = connected ? "live" : "reconnecting";
  badge.className = `badge ${connected ? "online" : "offline"}`;
}

function listen() {
  if (events) events.close();
  const query = token ? `?access_token=${enc(token)}` : "";
  events = new EventSource(`/api/events${query}`);
  events.onopen = () => setStream(true);
  events.onerror = () => {
    setStream(false);
    // The browser retries by itself, except after a refusal or a closed stream.
    if (events.readyState === EventSource.CLOSED) setTimeout(start, RECONNECT_MS);
  };
  const parse = (handler) => (event) => handler(JSON.parse(event.data));
  events.addEventListener("state", parse((data) => {
    const entry = devices.get(data.device);
    if (entry) updateState(entry, data.state);
  }));
  events.addEventListener("availability", parse((data) => {
    const entry = devices.get(data.device);
    if (entry) setAvailable(entry, data.available ?? data.state === "online");
  }));
  events.addEventListener("devices", parse((data) => {
    // bridge/devices rows: name, id, type, connection, host, version (no state).
    const list = Array.isArray(data) ? data : data.devices || [];
    list.forEach((row) => {
      const known = devices.get(row.name);
      render(known ? { ...known.info, ...row } : { available: false, state: null, ...row });
    });
  }));
  events.addEventListener("log", parse(addLog));
  events.addEventListener("firmware", parse((data) => {
    const entry = devices.get(data.device);
    if (entry) showFirmware(entry, data);
  }));
}

async function start() {
  try {
    const list = await api("/api/devices");
    list.forEach(render);
    summarize();
    const log = await api(`/api/log?limit=${LOG_LIMIT}`);
    document.getElementById("log").replaceChildren();
    (Array.isArray(log) ? log : log.entries || []).forEach(addLog);
    listen();
  } catch (problem) {
    if (problem.status !== 401) {
      document.getElementById("summary").textContent = `Cannot reach the daemon: ${problem.message}`;
      setStream(false);
      setTimeout(start, RECONNECT_MS);
    }
  }
}

start();
