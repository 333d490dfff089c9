// clustersim serve: the what-if page. No framework, no CDN: this file, app.css and the font
// ship in the package. Every word comes from the server's table (clustersim/i18n.py).
"use strict";

const BOOT = JSON.parse(document.getElementById("boot").textContent);
const W = BOOT.words;
const KNOBS = BOOT.knobs;
const STEPS = 1000; // slider positions between a knob's lo and hi
let lang = BOOT.lang === "en" ? "en" : "zh";
let values = {}; // path -> number (slider) or text (typed), only knobs moved from the scenario
let series = BOOT.default_series;
let last = null; // the last good answer
let required = null; // target id -> {zh, en, rate}: required growth for the values of `last`
let baseline = null; // P(met) of the scenario as loaded, by target id
let seq = 0;
let timer = null;
let errors = {}; // path -> {zh, en}

function w(key, fmt) {
  const entry = W[key];
  let text = entry ? entry[lang] : key;
  if (fmt) for (const [k, v] of Object.entries(fmt)) text = text.split("{" + k + "}").join(String(v));
  return text;
}
function t(bi) { return bi ? bi[lang] : ""; }
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null) e.append(kid);
  return e;
}
function show(knob, v) {
  if (knob.percent) return (v * 100).toFixed(2) + "%";
  if (Math.abs(v) >= 100) return v.toLocaleString("en-US", { maximumFractionDigits: 1 });
  return String(Number(v.toPrecision(4)));
}
function pos(knob, v) {
  if (knob.hi <= knob.lo) return 0;
  return Math.round(((v - knob.lo) / (knob.hi - knob.lo)) * STEPS);
}
function groupOf(path) {
  const head = path.split(".")[0];
  return ({ region: "serve_group_region", clusters: "serve_group_clusters", indicators: "serve_group_indicators" })[head] || "serve_group_other";
}

// --- the knobs -------------------------------------------------------------------------------

const rows = {}; // path -> {row, slider, field, err, name, hint}

function buildKnobs() {
  const box = document.getElementById("knobs");
  box.textContent = "";
  if (!KNOBS.length) { box.append(el("p", { class: "sub", text: w("serve_no_knobs") })); return; }
  const groups = {};
  for (const k of KNOBS) {
    const g = groupOf(k.path);
    if (!groups[g]) {
      groups[g] = el("details", { "data-group": g }, el("summary", { "data-w": g }));
      if (g === "serve_group_region") groups[g].open = true;
      box.append(groups[g]);
    }
    const slider = el("input", { type: "range", min: "0", max: String(STEPS), step: "1", "data-path": k.path });
    slider.value = String(pos(k, k.value));
    const field = el("input", { type: "text", "data-path": k.path });
    field.value = show(k, k.value);
    const name = el("span", { class: "name" });
    const hint = el("div", { class: "hint" });
    const err = el("div", { class: "err" });
    const row = el("div", { class: "knob", "data-path": k.path },
      name, el("span", { class: "path", text: k.path }),
      el("div", { class: "row" }, slider, field), hint, err);
    slider.setAttribute("aria-label", k.path);
    field.setAttribute("aria-label", k.path);
    slider.addEventListener("input", () => {
      const v = k.lo + (Number(slider.value) / STEPS) * (k.hi - k.lo);
      field.value = show(k, v);
      setValue(k, v);
      schedule(150);
    });
    field.addEventListener("change", () => {
      const text = field.value.trim();
      if (text === "") { field.value = show(k, k.value); delete values[k.path]; } else values[k.path] = text;
      schedule(0);
    });
    rows[k.path] = { row, slider, field, err, name, hint, knob: k };
    groups[g].append(row);
  }
}

function setValue(k, v) {
  if (Math.abs(v - k.value) <= 1e-12 * Math.max(1, Math.abs(k.value))) delete values[k.path];
  else values[k.path] = v;
}

function labelKnobs() {
  for (const r of Object.values(rows)) {
    const k = r.knob;
    r.name.textContent = t(k.label);
    r.hint.textContent = (k.uncertain ? w("serve_uncertain") + " (" + k.dist + ")" : w("serve_fixed")) +
      " · " + w("serve_range") + " " + k.range;
    r.row.classList.toggle("changed", k.path in values);
    r.row.classList.toggle("bad", k.path in errors);
    r.err.textContent = errors[k.path] ? errors[k.path][lang] : "";
  }
  for (const s of document.querySelectorAll("summary[data-w]")) s.textContent = w(s.dataset.w);
  const n = Object.keys(values).length;
  document.getElementById("changed").textContent = n ? w("serve_changed", { n }) : "";
}

function filterKnobs() {
  const q = document.getElementById("filter").value.trim().toLowerCase();
  for (const r of Object.values(rows)) {
    const hay = (r.knob.path + " " + r.knob.label.zh + " " + r.knob.label.en).toLowerCase();
    r.row.hidden = q !== "" && !hay.includes(q);
  }
  if (q) for (const d of document.querySelectorAll("details")) d.open = true;
}

// --- recomputing -----------------------------------------------------------------------------

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(compute, ms);
}

async function post(url, body) {
  return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

// one recompute at a time: while one runs, changes only mark that the latest values go next
// (dragging a slider must not pile requests up on the server)
let busy = false;
let again = false;
async function compute() {
  if (busy) { again = true; return; }
  busy = true;
  try { await computeOnce(); } finally {
    busy = false;
    if (again) { again = false; compute(); }
  }
}

async function computeOnce() {
  const mine = ++seq;
  document.getElementById("status").textContent = w("serve_computing");
  document.getElementById("results").classList.add("stale");
  let resp, doc;
  try {
    resp = await post("/api/compute", { values, series });
    doc = await resp.json();
  } catch (e) {
    if (mine === seq) showErrors([{ field: "request", zh: String(e), en: String(e) }]);
    return;
  }
  if (mine !== seq) return; // a newer request is on its way
  if (!resp.ok) { showErrors(doc.errors || []); return; }
  errors = {};
  hideBanner();
  last = doc;
  required = doc.required;
  for (const [path, v] of Object.entries(doc.values || {})) {
    const r = rows[path];
    if (r && typeof values[path] === "string") { r.slider.value = String(pos(r.knob, v)); r.field.value = show(r.knob, v); }
  }
  if (baseline === null && Object.keys(values).length === 0) {
    baseline = {};
    for (const r of doc.targets) baseline[r.id] = r.probability;
  }
  render();
  if (required === null) fetchRequired(mine);
}

// required growth: a search on the central scenario, asked for once the table is shown
async function fetchRequired(mine) {
  let resp, doc;
  try {
    resp = await post("/api/required", { values });
    doc = await resp.json();
  } catch (e) { return; }
  if (mine !== seq || !resp.ok) return;
  required = doc.required;
  renderTable();
}

function showErrors(list) {
  errors = {};
  const banner = document.getElementById("banner");
  banner.textContent = "";
  const ul = el("ul");
  for (const e of list) {
    errors[e.field] = e;
    ul.append(el("li", { text: e[lang] }));
  }
  banner.append(el("div", { text: w("serve_fix_fields") }), ul);
  banner.hidden = false;
  banner.dataset.errors = JSON.stringify(list);
  document.getElementById("status").textContent = "";
  labelKnobs();
}
function hideBanner() {
  const banner = document.getElementById("banner");
  banner.hidden = true;
  banner.textContent = "";
  delete banner.dataset.errors;
}

// --- rendering -------------------------------------------------------------------------------

const COLUMNS = ["target", "year", "status", "probability", "value_median", "goal", "margin", "p5_p95", "required"];

function pct(p) { return (p * 100).toFixed(1) + "%"; }

function renderTable() {
  const head = document.querySelector("#targets thead tr");
  head.textContent = "";
  for (const c of COLUMNS) head.append(el("th", { text: w(c) }));
  const body = document.querySelector("#targets tbody");
  body.textContent = "";
  if (!last) return;
  for (const r of last.targets) {
    const p = el("td", { class: "num", "data-col": "probability" },
      el("span", { class: "pbar", style: "width:" + Math.round(r.probability * 40) + "px" }), pct(r.probability));
    if (baseline && r.id in baseline) {
      const d = (r.probability - baseline[r.id]) * 100;
      if (Math.abs(d) >= 0.05) p.append(" ", el("span", { class: d > 0 ? "delta-up" : "delta-down", text: (d > 0 ? "▲" : "▼") + Math.abs(d).toFixed(1) }));
    }
    const strength = r.strength ? " [" + w(r.strength) + "]" : "";
    body.append(el("tr", { "data-id": r.id },
      el("td", { text: t(r.label) + strength }),
      el("td", { class: "num", text: String(r.year) }),
      el("td", { class: "status-" + r.status, text: t(r.status_text) }),
      p,
      el("td", { class: "num", text: r.value }),
      el("td", { class: "num", text: t(r.goal) }),
      el("td", { class: "num", text: r.margin }),
      el("td", { class: "num", text: r.p5_p95 }),
      el("td", { "data-col": "required", text: required && required[r.id] ? t(required[r.id]) : "…" })));
  }
  document.getElementById("met-line").textContent = w("targets_met", { met: last.met, n: last.targets.length });
  document.getElementById("status").textContent = w("serve_elapsed", {
    samples: last.samples.toLocaleString("en-US"), seed: last.seed, ms: last.ms });
}

function fmtAxis(v, percent) {
  if (percent) return (v * 100).toFixed(Math.abs(v) < 0.1 ? 1 : 0) + "%";
  const a = Math.abs(v);
  if (a >= 1000) return v.toLocaleString("en-US", { maximumFractionDigits: 0 });
  if (a >= 10) return v.toFixed(0);
  return String(Number(v.toPrecision(3)));
}

function niceTicks(lo, hi, n) {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function renderChart() {
  const box = document.getElementById("chart");
  box.textContent = "";
  if (!last) return;
  const c = last.chart;
  const Wd = 760, H = 340, L = 70, R = 20, T = 30, B = 40;
  const ys = [...c.bands.p5, ...c.bands.p95, ...c.markers.map((m) => m.goal)].filter((v) => v !== null);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (hi - lo < 1e-12) { lo -= Math.abs(lo) * 0.05 + 1e-9; hi += Math.abs(hi) * 0.05 + 1e-9; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const yrs = c.years, x0 = yrs[0], x1 = yrs[yrs.length - 1];
  const X = (y) => L + ((y - x0) / Math.max(1, x1 - x0)) * (Wd - L - R);
  const Y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const svg = s("svg", { viewBox: `0 0 ${Wd} ${H}`, role: "img", "aria-label": t(c.label) });
  svg.append(s("rect", { x: 0, y: 0, width: Wd, height: H, fill: "#ffffff" }));
  const title = s("text", { x: L, y: 18, "font-size": 14, fill: "#1f2933" });
  title.textContent = t(c.label);
  svg.append(title);
  for (const v of niceTicks(lo, hi, 5)) {
    svg.append(s("line", { x1: L, x2: Wd - R, y1: Y(v), y2: Y(v), stroke: "#e5e9ef" }));
    const lab = s("text", { x: L - 6, y: Y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#5f6b7a" });
    lab.textContent = fmtAxis(v, c.percent);
    svg.append(lab);
  }
  for (const y of yrs) {
    const lab = s("text", { x: X(y), y: H - B + 18, "text-anchor": "middle", "font-size": 11, fill: "#5f6b7a" });
    lab.textContent = String(y);
    svg.append(lab);
  }
  const band = (a, b, fill) => {
    const up = yrs.map((y, i) => `${X(y)},${Y(c.bands[a][i])}`);
    const down = yrs.map((y, i) => `${X(y)},${Y(c.bands[b][i])}`).reverse();
    svg.append(s("polygon", { points: up.concat(down).join(" "), fill, stroke: "none" }));
  };
  band("p95", "p5", "#c7dcf0");
  band("p75", "p25", "#8fb8de");
  svg.append(s("polyline", { points: yrs.map((y, i) => `${X(y)},${Y(c.median[i])}`).join(" "), fill: "none", stroke: "#1f5f9e", "stroke-width": 2.5 }));
  for (const m of c.markers) {
    svg.append(s("line", { x1: X(m.year) - 14, x2: X(m.year) + 14, y1: Y(m.goal), y2: Y(m.goal), stroke: "#c2410c", "stroke-width": 3 }));
    const tip = s("title", {}); tip.textContent = t(m.label); svg.lastChild.append(tip);
  }
  svg.append(s("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#9aa5b1" }));
  svg.append(s("line", { x1: L, x2: Wd - R, y1: H - B, y2: H - B, stroke: "#9aa5b1" }));
  box.append(svg);
  const legend = document.getElementById("legend");
  legend.textContent = "";
  const item = (color, key) => legend.append(el("span", { class: "swatch", style: "background:" + color }), w(key));
  item("#1f5f9e", "median"); item("#8fb8de", "band50"); item("#c7dcf0", "band90");
  if (c.markers.length) item("#c2410c", "goal_marker");
}

function renderSeries() {
  const sel = document.getElementById("series");
  sel.textContent = "";
  for (const o of BOOT.series) {
    const opt = el("option", { value: o.key, text: t(o.label) });
    if (o.key === series) opt.selected = true;
    sel.append(opt);
  }
}

function render() {
  document.getElementById("results").classList.remove("stale");
  labelKnobs();
  renderTable();
  renderChart();
}

function renderWords() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = w("serve_title") + " · " + t(BOOT.scenario.name);
  document.getElementById("title").textContent = w("serve_title");
  document.getElementById("scenario-name").textContent = t(BOOT.scenario.name) + " · " + BOOT.scenario.file +
    " · " + BOOT.scenario.base_year + "–" + BOOT.scenario.end_year;
  document.getElementById("lang").textContent = w("serve_lang_switch");
  document.getElementById("download").textContent = w("serve_download");
  document.getElementById("save").textContent = w("serve_save");
  document.getElementById("save-name").placeholder = w("serve_save_name");
  document.getElementById("knobs-title").textContent = w("serve_knobs");
  document.getElementById("filter").placeholder = w("serve_filter");
  document.getElementById("reset").textContent = w("serve_reset");
  document.getElementById("targets-title").textContent = w("targets");
  document.getElementById("fan-title").textContent = w("serve_fan");
  document.getElementById("series-label").textContent = w("series");
  renderSeries();
  const banner = document.getElementById("banner");
  if (!banner.hidden && banner.dataset.errors) showErrors(JSON.parse(banner.dataset.errors));
  render();
}

// --- the buttons -----------------------------------------------------------------------------

async function download() {
  const resp = await post("/api/yaml", { values });
  if (!resp.ok) { showErrors((await resp.json()).errors || []); return; }
  const blob = await resp.blob();
  const cd = resp.headers.get("Content-Disposition") || "";
  const m = /filename="([^"]+)"/.exec(cd);
  const a = el("a", { href: URL.createObjectURL(blob), download: m ? m[1] : "scenario.yaml" });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function save() {
  const name = document.getElementById("save-name").value.trim();
  const resp = await post("/api/save", { values, name });
  const doc = await resp.json();
  if (!resp.ok) { showErrors(doc.errors || []); return; }
  hideBanner();
  document.getElementById("status").textContent = w("serve_saved", { path: doc.path });
}

function reset() {
  values = {};
  errors = {};
  hideBanner();
  for (const r of Object.values(rows)) {
    r.slider.value = String(pos(r.knob, r.knob.value));
    r.field.value = show(r.knob, r.knob.value);
  }
  schedule(0);
}

document.getElementById("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; renderWords(); });
document.getElementById("download").addEventListener("click", download);
document.getElementById("save").addEventListener("click", save);
document.getElementById("reset").addEventListener("click", reset);
document.getElementById("filter").addEventListener("input", filterKnobs);
document.getElementById("series").addEventListener("change", (e) => { series = e.target.value; schedule(0); });
document.getElementById("save-box").hidden = !BOOT.can_save;
document.getElementById("save-name").value = BOOT.scenario.id + "-whatif.yaml";

buildKnobs();
renderWords();
compute();
