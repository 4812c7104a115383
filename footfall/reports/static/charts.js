// Small SVG charts for the dashboard: no library, no network.
const NS = "http://www.w3.org/2000/svg";

/** Create an SVG element with attributes and children. */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

function text(x, y, content, attrs = {}) {
  const node = el("text", { x, y, ...attrs });
  node.textContent = content;
  return node;
}

function titled(node, title) {
  const t = el("title");
  t.textContent = title;
  node.append(t);
  return node;
}

/** Round numbers for axis ticks: 1, 2, 5 × 10^n. */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)); // counts: whole steps
  const ticks = [];
  for (let v = 0; v <= max + step * 0.999; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

export const fmt = new Intl.NumberFormat("en-US");
const pct = (v) => `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;

function timeLabel(date, spanHours) {
  const iso = date.toISOString();
  if (spanHours <= 48) return iso.slice(11, 16);
  return iso.slice(5, 10);
}

/**
 * Visitors (people entering, counted at the doors) per point as bars on a time axis; exits as a line.
 * Counts are never suppressed: k-anonymity applies to demographics only.
 */
export function timeChart(host, points, windowMinutes) {
  const W = 920, H = 260, L = 48, R = 12, T = 14, B = 34;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg time" });
  svg.append(el("defs", {}, [
    el("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, [
      el("rect", { width: 6, height: 6, fill: "#eef0f3" }),
      el("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#9aa3ad", "stroke-width": 2 }),
    ]),
  ]));
  if (!points.length) {
    svg.append(text(W / 2, H / 2, "No windows in this range", { class: "empty", "text-anchor": "middle" }));
    host.replaceChildren(svg);
    return;
  }
  const starts = points.map((p) => new Date(p.window_start).getTime());
  const t0 = Math.min(...starts);
  const t1 = Math.max(...points.map((p) => new Date(p.window_end).getTime()));
  const max = Math.max(...points.map((p) => Math.max(p.visitors, p.exits)), 1);
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => H - B - (v / top) * (H - T - B);
  for (const tick of ticks) {
    svg.append(el("line", { x1: L, x2: W - R, y1: y(tick), y2: y(tick), class: "grid-line" }));
    svg.append(text(L - 6, y(tick) + 4, fmt.format(tick), { class: "axis", "text-anchor": "end" }));
  }
  const slot = (windowMinutes * 60000 / (t1 - t0)) * (W - L - R);
  const bw = Math.max(1, slot * 0.8);
  points.forEach((p, i) => {
    const x0 = x(starts[i]) + (slot - bw) / 2;
    const label = `${p.window_start.slice(0, 16).replace("T", " ")}–${p.window_end.slice(11, 16)} UTC: ` +
      `${fmt.format(p.visitors)} visitors, ${fmt.format(p.exits)} exits, ${fmt.format(p.visit_faces)} visits with a face analysed`;
    const g = titled(el("g", { class: "bar" }), label);
    if (p.visitors > 0) g.append(el("rect", { x: x0, y: y(p.visitors), width: bw, height: y(0) - y(p.visitors), class: "bar-published" }));
    svg.append(g);
  });
  const exits = points.map((p, i) => `${x(starts[i]) + slot / 2},${y(Math.min(p.exits, top))}`).join(" ");
  svg.append(el("polyline", { points: exits, class: "exits-line", fill: "none", stroke: "#d0553f", "stroke-width": 1.5 }));
  const spanHours = (t1 - t0) / 3600000;
  const step = spanHours <= 30 ? 2 * 3600000 : spanHours <= 72 ? 6 * 3600000 : 24 * 3600000 * Math.ceil(spanHours / 24 / 10);
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    svg.append(el("line", { x1: x(t), x2: x(t), y1: H - B, y2: H - B + 4, class: "axis-line" }));
    svg.append(text(x(t), H - B + 16, timeLabel(new Date(t), spanHours), { class: "axis", "text-anchor": "middle" }));
  }
  svg.append(el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis-line" }));
  const legend = document.createElement("div");
  legend.className = "legend";
  legend.innerHTML = `<span><i class="swatch published"></i>visitors (people entering)</span>` +
    `<span><i class="swatch exits"></i>exits</span>`;
  host.replaceChildren(svg, legend);
}

/** Horizontal bars with labels, values and shares. entries: [{label, value, color}] */
export function barChart(host, entries, { labelWidth = 92 } = {}) {
  const W = 420, row = 26, T = 4, R = 86;
  const H = T * 2 + row * entries.length;
  const total = entries.reduce((s, e) => s + e.value, 0);
  const max = Math.max(...entries.map((e) => e.value), 1);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg bars" });
  entries.forEach((e, i) => {
    const y0 = T + i * row;
    const w = (e.value / max) * (W - labelWidth - R);
    const g = titled(el("g", { class: "bar" }), `${e.label}: ${fmt.format(e.value)}`);
    g.append(text(labelWidth - 8, y0 + row / 2 + 4, e.label, { class: "label", "text-anchor": "end" }));
    g.append(el("rect", { x: labelWidth, y: y0 + 4, width: W - labelWidth - R, height: row - 8, class: "track" }));
    g.append(el("rect", { x: labelWidth, y: y0 + 4, width: Math.max(w, e.value ? 2 : 0), height: row - 8, fill: e.color, rx: 2 }));
    g.append(text(W - R + 8, y0 + row / 2 + 4, `${fmt.format(e.value)} · ${total ? pct(e.value / total) : "–"}`, { class: "value" }));
    svg.append(g);
  });
  host.replaceChildren(svg);
}

/** A 100% stacked bar with a legend of counts and shares. entries: [{label, value, color}] */
export function shareChart(host, entries) {
  const W = 420, row = 28, top = 66;
  const H = top + row * entries.length;
  const total = entries.reduce((s, e) => s + e.value, 0);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg share" });
  let x0 = 0;
  for (const e of entries) {
    const w = total ? (e.value / total) * W : 0;
    if (w > 0) svg.append(titled(el("rect", { x: x0, y: 6, width: w, height: 40, fill: e.color }), `${e.label}: ${fmt.format(e.value)}`));
    if (w > 44) svg.append(text(x0 + w / 2, 31, pct(e.value / total), { class: "inbar", "text-anchor": "middle" }));
    x0 += w;
  }
  entries.forEach((e, i) => {
    const ly = top + i * row;
    svg.append(el("rect", { x: 0, y: ly, width: 14, height: 14, rx: 3, fill: e.color }));
    svg.append(text(22, ly + 12, e.label, { class: "label" }));
    svg.append(text(W, ly + 12, `${fmt.format(e.value)} · ${total ? pct(e.value / total) : "–"}`, { class: "value", "text-anchor": "end" }));
  });
  host.replaceChildren(svg);
}

/** The panel shown instead of a breakdown that k-anonymity withholds: never zeros. */
export function suppressedPanel(host, k) {
  const div = document.createElement("div");
  div.className = "suppressed-panel";
  div.innerHTML = `<strong>Suppressed</strong><span>Fewer than ${k} visits with a face in published windows: ` +
    `demographics are withheld to protect privacy.</span>`;
  host.replaceChildren(div);
}
