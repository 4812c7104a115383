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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** How a point is named on an axis; times are the stores' local wall-clock (local_start has no offset). */
export function pointLabel(point, granularity, manyDays) {
  const s = point.local_start; // YYYY-MM-DDTHH:MM
  const day = new Date(`${s.slice(0, 10)}T00:00:00Z`);
  const dayText = `${DAYS[day.getUTCDay()]} ${day.getUTCDate()} ${MONTHS[day.getUTCMonth()]}`;
  if (granularity === "hour" || granularity === "15min") {
    const hm = s.slice(11, 16) + (point.period.endsWith("(2)") ? "²" : "");
    return manyDays ? `${dayText} ${hm}` : hm;
  }
  if (granularity === "week") return `${point.period.slice(5)} (${dayText.slice(4)})`;
  if (granularity === "month") return `${MONTHS[day.getUTCMonth()]} ${day.getUTCFullYear()}`;
  return dayText;
}

/**
 * Visitors (people entering, counted at the doors) per point as bars, in local time; exits as a line.
 * With a comparison, its visitors are the light bars beside, point by point.
 * Counts are never suppressed: k-anonymity applies to demographics only.
 */
export function timeChart(host, points, { granularity = "hour", previous = null, previousName = "" } = {}) {
  const W = 920, H = 270, L = 48, R = 12, T = 14, B = 40;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg time" });
  if (!points.length) {
    svg.append(text(W / 2, H / 2, "No visitors in this range", { class: "empty", "text-anchor": "middle" }));
    host.replaceChildren(svg);
    return;
  }
  const before = previous || [];
  const max = Math.max(...points.map((p) => Math.max(p.visitors, p.exits)), ...before.map((p) => p.visitors), 1);
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const n = points.length;
  const slot = (W - L - R) / n;
  const y = (v) => H - B - (v / top) * (H - T - B);
  for (const tick of ticks) {
    svg.append(el("line", { x1: L, x2: W - R, y1: y(tick), y2: y(tick), class: "grid-line" }));
    svg.append(text(L - 6, y(tick) + 4, fmt.format(tick), { class: "axis", "text-anchor": "end" }));
  }
  const manyDays = new Set(points.map((p) => p.local_start.slice(0, 10))).size > 1;
  const bw = Math.max(1, slot * (previous ? 0.42 : 0.8));
  points.forEach((p, i) => {
    const x0 = L + i * slot + (previous ? slot * 0.5 : (slot - bw) / 2);
    const label = `${pointLabel(p, granularity, true)} (local): ${fmt.format(p.visitors)} visitors, ${fmt.format(p.exits)} exits`;
    const g = titled(el("g", { class: "bar" }), label);
    if (p.visitors > 0) g.append(el("rect", { x: x0, y: y(p.visitors), width: bw, height: y(0) - y(p.visitors), class: "bar-published" }));
    svg.append(g);
    const q = before[i];
    if (q && q.visitors > 0) {
      const xp = L + i * slot + slot * 0.5 - bw;
      svg.append(titled(el("rect", { x: xp, y: y(q.visitors), width: bw, height: y(0) - y(q.visitors), class: "bar-previous" }),
        `${pointLabel(q, granularity, true)} (local, ${previousName}): ${fmt.format(q.visitors)} visitors`));
    }
  });
  const exits = points.map((p, i) => `${L + i * slot + slot / 2},${y(Math.min(p.exits, top))}`).join(" ");
  svg.append(el("polyline", { points: exits, class: "exits-line", fill: "none", stroke: "#d0553f", "stroke-width": 1.5 }));
  const every = Math.max(1, Math.ceil(n / (manyDays && granularity === "hour" ? 6 : 12)));
  points.forEach((p, i) => {
    if (i % every) return;
    const cx = L + i * slot + slot / 2;
    svg.append(el("line", { x1: cx, x2: cx, y1: H - B, y2: H - B + 4, class: "axis-line" }));
    svg.append(text(cx, H - B + 16, pointLabel(p, granularity, manyDays), { class: "axis", "text-anchor": "middle" }));
  });
  svg.append(el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis-line" }));
  const legend = document.createElement("div");
  legend.className = "legend";
  const items = [["swatch published", "visitors (people entering)"], ["swatch exits", "exits"]];
  if (previous) items.push(["swatch previous", `visitors, ${previousName}`]);
  for (const [cls, name] of items) {
    const span = document.createElement("span");
    const i = document.createElement("i");
    i.className = cls;
    span.append(i, name);
    legend.append(span);
  }
  host.replaceChildren(svg, legend);
}

/** A line of one figure per point (occupancy or visit length); null values leave gaps. */
export function lineChart(host, points, values, { granularity = "hour", format = (v) => v.toFixed(1), unit = "" } = {}) {
  const W = 920, H = 200, L = 48, R = 12, T = 14, B = 34;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg line" });
  const known = values.filter((v) => v !== null);
  if (!known.length) {
    svg.append(text(W / 2, H / 2, "No visitors in this range", { class: "empty", "text-anchor": "middle" }));
    host.replaceChildren(svg);
    return;
  }
  const ticks = niceTicks(Math.max(...known, 1));
  const top = ticks[ticks.length - 1];
  const slot = (W - L - R) / points.length;
  const y = (v) => H - B - (v / top) * (H - T - B);
  for (const tick of ticks) {
    svg.append(el("line", { x1: L, x2: W - R, y1: y(tick), y2: y(tick), class: "grid-line" }));
    svg.append(text(L - 6, y(tick) + 4, format(tick), { class: "axis", "text-anchor": "end" }));
  }
  const manyDays = new Set(points.map((p) => p.local_start.slice(0, 10))).size > 1;
  let path = [];
  const flush = () => {
    if (path.length > 1) svg.append(el("polyline", { points: path.join(" "), class: "flow-line", fill: "none" }));
    path = [];
  };
  values.forEach((v, i) => {
    const cx = L + i * slot + slot / 2;
    if (v === null) { flush(); return; }
    path.push(`${cx},${y(v)}`);
    svg.append(titled(el("circle", { cx, cy: y(v), r: 2.5, class: "flow-dot" }),
      `${pointLabel(points[i], granularity, true)} (local): ${format(v)}${unit}`));
  });
  flush();
  const every = Math.max(1, Math.ceil(points.length / (manyDays && granularity === "hour" ? 6 : 12)));
  points.forEach((p, i) => {
    if (i % every) return;
    svg.append(text(L + i * slot + slot / 2, H - B + 16, pointLabel(p, granularity, manyDays), { class: "axis", "text-anchor": "middle" }));
  });
  svg.append(el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis-line" }));
  host.replaceChildren(svg);
}

/** Busiest times: a weekday x local hour grid, darker for more visitors per day. */
export function heatmapChart(host, heatmap) {
  const W = 920, L = 44, T = 20, R = 8, rowH = 24;
  const H = T + rowH * 7 + 8;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg heatmap" });
  const max = Math.max(...heatmap.cells.map((c) => c.average), 0);
  const cw = (W - L - R) / 24;
  for (let h = 0; h < 24; h += 2) svg.append(text(L + h * cw + cw / 2, T - 6, String(h).padStart(2, "0"), { class: "axis", "text-anchor": "middle" }));
  heatmap.weekdays.forEach((name, i) => svg.append(text(L - 8, T + i * rowH + rowH / 2 + 4, name, { class: "axis", "text-anchor": "end" })));
  for (const c of heatmap.cells) {
    const share = max > 0 ? c.average / max : 0;
    const busiest = heatmap.busiest && c.weekday === heatmap.busiest.weekday && c.hour === heatmap.busiest.hour;
    const rect = el("rect", {
      x: L + c.hour * cw + 1, y: T + (c.weekday - 1) * rowH + 1, width: cw - 2, height: rowH - 2, rx: 3,
      class: busiest ? "heat busiest" : "heat", "fill-opacity": c.visitors ? (0.12 + 0.88 * share).toFixed(3) : 0.04,
    });
    svg.append(titled(rect, `${heatmap.weekdays[c.weekday - 1]} ${String(c.hour).padStart(2, "0")}:00 (local): ` +
      `${c.average.toFixed(1)} visitors per day over ${c.days} days`));
  }
  host.replaceChildren(svg);
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
