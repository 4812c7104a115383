// Footfall dashboard: filters -> /api/report -> charts. Chart data is mirrored in the DOM
// (data-values on each chart, the whole report in #report-data) for tests and for people.
import { barChart, fmt, heatmapChart, lineChart, shareChart, suppressedPanel, timeChart } from "./charts.js";

const $ = (id) => document.getElementById(id);
const controls = {
  region: $("filter-region"), city: $("filter-city"), store: $("filter-store"),
  from: $("filter-from"), to: $("filter-to"), granularity: $("filter-granularity"), compare: $("filter-compare"),
};
const COMPARE_NAMES = { previous_period: "previous period", previous_year: "same weekdays last year" };
// Colours are the dashboard's own; values and labels come from /api/meta (the contracts).
const COLOURS = {
  female: "#c2528b", male: "#3b74b8", unknown: "#a7b0ba",
  happiness: "#f2b233", neutral: "#8e9aa6", surprise: "#5fb3a1", sadness: "#5d7fc4",
  anger: "#d0553f", contempt: "#9a6bb5", disgust: "#7c9a3d", fear: "#4f5d75",
};
let meta = { categories: [], k: null };
let tree = { regions: [], unassigned_stores: [], k: null };
let requestSeq = 0;

function option(value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

function fill(select, placeholder, items) {
  const keep = select.value;
  select.replaceChildren(option("", placeholder), ...items.map(([v, l]) => option(v, l)));
  select.value = items.some(([v]) => v === keep) ? keep : "";
}

const regionsIn = () => tree.regions.filter((r) => !controls.region.value || r.region === controls.region.value);
const citiesIn = () => regionsIn().flatMap((r) => r.cities.map((c) => ({ ...c, region: r.region })));
const storesIn = () => {
  const cities = citiesIn().filter((c) => !controls.city.value || c.city === controls.city.value);
  const stores = cities.flatMap((c) => c.stores.map((s) => ({ ...s, city: c.city, region: c.region })));
  if (!controls.region.value && !controls.city.value) {
    stores.push(...tree.unassigned_stores.map((s) => ({ ...s, city: null, region: null })));
  }
  return stores;
};

function refreshOptions() {
  fill(controls.region, "All regions", tree.regions.map((r) => [r.region, r.region]));
  fill(controls.city, "All cities", citiesIn().map((c) => [c.city, c.country ? `${c.city} (${c.country})` : c.city]));
  fill(controls.store, "All stores", storesIn().map((s) => [s.store_id, s.store_name ? `${s.store_name} · ${s.store_id}` : s.store_id]));
}

function selectStore(storeId) {
  const store = tree.regions.flatMap((r) => r.cities.flatMap((c) => c.stores.map((s) => ({ ...s, city: c.city, region: r.region }))))
    .find((s) => s.store_id === storeId);
  if (store) {
    controls.region.value = store.region;
    refreshOptions();
    controls.city.value = store.city;
    refreshOptions();
  }
  controls.store.value = storeId;
}

/** YYYY-MM-DD plus n days (dates are store-local days: no time zone arithmetic here). */
function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function scopeParams() {
  const q = new URLSearchParams();
  if (controls.region.value) q.set("region", controls.region.value);
  if (controls.city.value) q.set("city", controls.city.value);
  if (controls.store.value) q.set("store_id", controls.store.value);
  // Dates are local days of each store; the end is exclusive, so the "To" day is included.
  if (controls.from.value) q.set("start", controls.from.value);
  if (controls.to.value) q.set("end", addDays(controls.to.value, 1));
  return q;
}

function queryString() {
  const q = scopeParams();
  if (controls.granularity.value) q.set("granularity", controls.granularity.value);
  if (controls.compare.value && controls.from.value && controls.to.value) q.set("compare", controls.compare.value);
  return q.toString();
}

function pageParams() {
  const q = new URLSearchParams();
  const named = { region: controls.region, city: controls.city, store_id: controls.store, from: controls.from, to: controls.to,
    granularity: controls.granularity, compare: controls.compare };
  for (const [key, c] of Object.entries(named)) {
    if (c.value) q.set(key, c.value);
  }
  return q.toString();
}

function setChart(id, state, values) {
  const fig = $(id);
  fig.dataset.state = state;
  if (values === null) delete fig.dataset.values;
  else fig.dataset.values = JSON.stringify(values);
  return fig.querySelector(".plot");
}

const category = (name) => meta.categories.find((c) => c.name === name) || { values: [], labels: {} };
const percent = (part, whole) => (whole ? `${Math.round((part / whole) * 100)}%` : "–");

const minutes = (seconds) => (seconds === null || seconds === undefined ? "–" : `${(seconds / 60).toFixed(1)} min`);

function changeText(node, value) {
  node.classList.remove("up", "down");
  if (value === null || value === undefined) { node.textContent = ""; return; }
  node.textContent = `${value > 0 ? "+" : ""}${value.toFixed(1)}% vs ${COMPARE_NAMES[controls.compare.value] || "before"}`;
  node.classList.add(value >= 0 ? "up" : "down");
}

function render(report) {
  $("report-data").textContent = JSON.stringify(report);
  const k = report.k;
  const where = report.store_id ? `${report.store_name || report.store_id}` :
    report.city ? report.city : report.region ? report.region : "All regions";
  $("selection-title").textContent = where;
  const range = report.start && report.end ? `${report.start} – ${addDays(report.end, -1)}` : "all data";
  const unit = { hour: "hours", "15min": "quarter hours", day: "days", week: "ISO weeks", month: "months" }[report.granularity];
  $("selection-detail").textContent = `${range} · ${report.windows} ${unit}`;
  $("time-basis").textContent = report.time_basis;
  $("visitors-caption").textContent = `(people entering, per ${unit.replace(/s$/, "")}, local time: ${report.time_basis})`;

  const comparison = report.comparison;
  $("tile-visitors").textContent = fmt.format(report.visitors);
  changeText($("change-visitors"), comparison ? comparison.change_pct.visitors : null);
  $("tile-dwell").textContent = minutes(report.avg_dwell_s);
  $("tile-dwell").title = "Average visit length from the door counts: people inside over time / visitors (Little's law)";
  changeText($("change-dwell"), comparison ? comparison.change_pct.avg_dwell_s : null);
  $("tile-peak").textContent = report.peak_occupancy === null ? "–" : fmt.format(report.peak_occupancy);
  $("peak-note").textContent = report.peak_occupancy === null ? "pick a store" : "entries − exits since opening";
  $("tile-exits").textContent = fmt.format(report.exits);
  $("tile-faces").textContent = fmt.format(report.visit_faces);
  $("tile-faces").title = `${fmt.format(report.visit_photos)} visit photos analysed; ${fmt.format(report.sightings)} faces seen in whole frames (sightings, not visitors)`;
  const emotions = report.demographics ? report.demographics.emotion : null;
  const knownEmotions = emotions ? Object.entries(emotions).filter(([e]) => e !== "unknown").reduce((a, [, n]) => a + n, 0) : 0;
  $("tile-happy").textContent = report.suppressed ? "suppressed" : percent(emotions.happiness, knownEmotions);
  $("tile-happy").classList.toggle("is-suppressed", report.suppressed);
  $("tile-coverage").textContent = percent(report.breakdown_faces, report.visit_faces);
  $("tile-coverage").title = `${fmt.format(report.breakdown_faces)} of ${fmt.format(report.visit_faces)} visit faces are in published windows`;
  $("tile-compare").textContent = comparison ? `${fmt.format(comparison.visitors)} visitors` : "–";
  $("tile-compare").title = comparison ? `${COMPARE_NAMES[comparison.compare]}: ${comparison.start} – ${addDays(comparison.end, -1)}` : "";

  const visitors = setChart("chart-visitors", report.series.some((p) => p.visitors || p.exits) ? "ready" : "empty", {
    periods: report.series.map((p) => p.period),
    local_starts: report.series.map((p) => p.local_start),
    windows: report.series.map((p) => p.window_start),
    visitors: report.series.map((p) => p.visitors),
    exits: report.series.map((p) => p.exits),
    visit_faces: report.series.map((p) => p.visit_faces),
    suppressed_faces: report.series.map((p) => p.suppressed_faces),
    total: report.visitors,
    previous: comparison ? comparison.series.map((p) => p.visitors) : null,
    previous_periods: comparison ? comparison.series.map((p) => p.period) : null,
  });
  timeChart(visitors, report.series, {
    granularity: report.granularity,
    previous: comparison ? comparison.series : null,
    previousName: comparison ? COMPARE_NAMES[comparison.compare] : "",
  });

  const subDay = report.granularity === "hour" || report.granularity === "15min";
  const flowValues = subDay ? report.series.map((p) => p.occupancy_mean)
    : report.series.map((p) => (p.avg_dwell_s === null ? null : p.avg_dwell_s / 60));
  $("flow-title").textContent = subDay ? "People inside on average (entries − exits since opening)" : "Average visit length (minutes)";
  const flow = setChart("chart-flow", flowValues.some((v) => v) ? "ready" : "empty", {
    measure: subDay ? "occupancy_mean" : "avg_dwell_minutes", values: flowValues,
  });
  lineChart(flow, report.series, flowValues, { granularity: report.granularity, format: (v) => v.toFixed(1), unit: subDay ? " people" : " min" });

  const charts = [["chart-gender", "gender", shareChart], ["chart-age", "age", barChart], ["chart-emotions", "emotion", barChart]];
  for (const [id, name, draw] of charts) {
    if (report.suppressed) {
      suppressedPanel(setChart(id, "suppressed", null), k);
      continue;
    }
    const cat = category(name);
    const counts = report.demographics[name];
    const items = cat.values.map((v) => ({ label: cat.labels[v], value: counts[v], color: COLOURS[v] || (v === "unknown" ? COLOURS.unknown : "#2a9d8f") }));
    draw(setChart(id, "ready", counts), items, name === "age" ? { labelWidth: 70 } : undefined);
  }
  renderGroups(report);
  renderZones(report);
  $("rule").textContent = `k-anonymity: ${report.rule}`;
}

function renderHeatmap(heatmap) {
  const values = heatmap.cells.map((c) => [c.weekday, c.hour, c.visitors]);
  const plot = setChart("chart-heatmap", heatmap.busiest ? "ready" : "empty", { cells: values, busiest: heatmap.busiest });
  $("heatmap-caption").textContent = `(visitors per day, by weekday and local hour, ${heatmap.start} – ${addDays(heatmap.end, -1)}, ${heatmap.time_basis})`;
  heatmapChart(plot, heatmap);
}

// A table row with these data attributes and one text cell per value; cells from firstNumber on are numbers.
function tableRow(data, cells, firstNumber) {
  const tr = document.createElement("tr");
  Object.assign(tr.dataset, data);
  cells.forEach((value, i) => {
    const td = document.createElement("td");
    td.textContent = value;
    if (i >= firstNumber) td.className = "num";
    tr.append(td);
  });
  return tr;
}

function renderRanking(ranking) {
  const section = $("ranking");
  section.hidden = !ranking;
  if (!ranking) return;
  section.dataset.state = "ready";
  $("ranking-title").textContent = `Top and bottom stores of ${ranking.city || ranking.region}`;
  const bottom = ranking.bottom.filter((s) => !ranking.top.some((t) => t.store_id === s.store_id));
  const rows = [...ranking.top.map((s) => ["top", s]), ...bottom.map((s) => ["bottom", s])].map(([position, s]) => {
    const tr = tableRow({ position, store: s.store_id, visitors: String(s.visitors) },
      [`#${s.rank}`, s.store_name || s.store_id, s.city || "", fmt.format(s.visitors), minutes(s.avg_dwell_s)], 3);
    tr.tabIndex = 0;
    tr.addEventListener("click", () => { selectStore(s.store_id); loadReport(); });
    return tr;
  });
  section.querySelector("tbody").replaceChildren(...rows);
}

function renderZones(report) {
  const section = $("zones");
  section.hidden = !report.store_id || !report.zones.length;
  section.dataset.state = "ready";
  const rows = report.zones.map((z) => tableRow({ zone: z.zone, visits: String(z.visits) },
    [z.zone, fmt.format(z.visits), minutes(z.avg_dwell_s),
      z.occupancy_mean === null ? "–" : z.occupancy_mean.toFixed(1), z.occupancy_max === null ? "–" : String(z.occupancy_max)],
    1));
  section.querySelector("tbody").replaceChildren(...rows);
}

function renderGroups(report) {
  const section = $("groups");
  section.hidden = !!report.store_id;
  const child = report.city ? "Stores" : report.region ? "Cities" : "Regions";
  $("groups-title").textContent = report.city || report.region ? `${child} in ${report.city || report.region}` : child;
  section.dataset.state = "ready";
  const rows = report.groups.map((g) => {
    const tr = document.createElement("tr");
    tr.dataset.key = g.key;
    tr.dataset.suppressed = String(g.suppressed);
    tr.dataset.visitors = String(g.visitors);
    const cells = [g.label, fmt.format(g.visitors), minutes(g.avg_dwell_s), fmt.format(g.visit_faces)];
    if (g.suppressed) {
      cells.push(null);
    } else {
      const gender = g.demographics.gender;
      const emotion = g.demographics.emotion;
      const knownEmotion = g.visit_faces - emotion.unknown;
      cells.push(percent(gender.female, gender.female + gender.male), percent(emotion.happiness, knownEmotion));
    }
    cells.forEach((value, i) => {
      const td = document.createElement("td");
      if (value === null) {
        td.colSpan = 2;
        td.className = "num";
        td.innerHTML = `<span class="badge">suppressed</span>`;
      } else {
        td.textContent = value;
        if (i > 0) td.className = "num";
      }
      tr.append(td);
    });
    if (g.level === "store" || g.level === "city" || g.level === "region") {
      tr.tabIndex = 0;
      tr.addEventListener("click", () => drillDown(g));
    }
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td colspan="6" class="muted">No data in this range</td>`;
    rows.push(tr);
  }
  section.querySelector("tbody").replaceChildren(...rows);
}

function drillDown(group) {
  if (group.level === "region" && group.region) { controls.region.value = group.region; refreshOptions(); }
  else if (group.level === "city" && group.city) { controls.city.value = group.city; refreshOptions(); }
  else if (group.level === "store" && group.store_id) selectStore(group.store_id);
  else return;
  loadReport();
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  return body;
}

async function loadReport() {
  const seq = ++requestSeq;
  const qs = queryString();
  const scope = scopeParams();
  document.body.dataset.status = "loading";
  history.replaceState(null, "", `${location.pathname}${pageParams() ? `?${pageParams()}` : ""}`);
  $("export-csv").href = `/api/report?${qs}${qs ? "&" : ""}format=csv`;
  try {
    const ranked = (controls.region.value || controls.city.value) && !controls.store.value;
    const [report, heatmap, ranking] = await Promise.all([
      getJson(`/api/report?${qs}`),
      getJson(`/api/heatmap?${scope}`),
      ranked ? getJson(`/api/ranking?${scope}&n=3`) : Promise.resolve(null),
    ]);
    if (seq !== requestSeq) return;
    render(report);
    renderHeatmap(heatmap);
    renderRanking(ranking);
    $("error").hidden = true;
    document.body.dataset.query = qs;
    document.body.dataset.status = "ready";
  } catch (err) {
    if (seq !== requestSeq) return;
    $("error").textContent = `Could not load the report: ${err.message}`;
    $("error").hidden = false;
    document.body.dataset.status = "error";
  }
}

// ?refresh=SECONDS overrides the period (at least 1 s).
const REFRESH_MS = Math.max(1, Number(new URLSearchParams(location.search).get("refresh")) || 30) * 1000;
let defaultRange = { first: "", last: "" };

async function loadFilters() {
  if (!meta.k) {
    const answer = await fetch("/api/meta");
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    meta = await answer.json();
  }
  const response = await fetch("/api/filters");
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  tree = await response.json();
  document.querySelectorAll("[data-k]").forEach((node) => { node.textContent = tree.k; });
  // Default: the last week with data (local days; the UTC date of the newest window is close enough to pick them).
  const last = tree.last_window_end ? new Date(new Date(tree.last_window_end).getTime() - 1).toISOString().slice(0, 10) : "";
  const oldest = tree.first_window_start ? tree.first_window_start.slice(0, 10) : "";
  const first = last && oldest ? (addDays(last, -6) > oldest ? addDays(last, -6) : oldest) : "";
  // Follow the data while it grows (footfall demo writes as it goes) unless the user picked dates.
  if (!controls.from.value || controls.from.value === defaultRange.first) controls.from.value = first;
  if (!controls.to.value || controls.to.value === defaultRange.last) controls.to.value = last;
  defaultRange = { first, last };
}

/** Reload filters and report now and then, so a dashboard opened early fills in as data arrives. */
async function refresh() {
  if (document.hidden || document.body.dataset.status === "loading") return;
  try {
    await loadFilters();
    refreshOptions();
    await loadReport();
  } catch (err) {
    // keep what is shown; the next round tries again
  }
}

async function init() {
  const params = new URLSearchParams(location.search);
  if (params.get("from")) controls.from.value = params.get("from");
  if (params.get("to")) controls.to.value = params.get("to");
  if (params.get("granularity")) controls.granularity.value = params.get("granularity");
  if (params.get("compare")) controls.compare.value = params.get("compare");
  try {
    await loadFilters();
  } catch (err) {
    $("error").textContent = `Could not load the filters: ${err.message}`;
    $("error").hidden = false;
    document.body.dataset.status = "error";
    setTimeout(init, 5000);
    return;
  }
  refreshOptions();
  if (params.get("region")) { controls.region.value = params.get("region"); refreshOptions(); }
  if (params.get("city")) { controls.city.value = params.get("city"); refreshOptions(); }
  if (params.get("store_id")) selectStore(params.get("store_id"));

  controls.region.addEventListener("change", () => { controls.city.value = ""; controls.store.value = ""; refreshOptions(); loadReport(); });
  controls.city.addEventListener("change", () => {
    const city = citiesIn().find((c) => c.city === controls.city.value);
    if (city && !controls.region.value) controls.region.value = city.region;
    controls.store.value = "";
    refreshOptions();
    loadReport();
  });
  controls.store.addEventListener("change", () => { if (controls.store.value) selectStore(controls.store.value); loadReport(); });
  controls.from.addEventListener("change", () => {
    if (controls.from.value && controls.to.value < controls.from.value) controls.to.value = controls.from.value;
    loadReport();
  });
  controls.to.addEventListener("change", () => {
    if (controls.to.value && controls.from.value > controls.to.value) controls.from.value = controls.to.value;
    loadReport();
  });
  controls.granularity.addEventListener("change", loadReport);
  controls.compare.addEventListener("change", loadReport);
  $("filter-reset").addEventListener("click", () => {
    controls.region.value = ""; controls.city.value = ""; controls.store.value = "";
    controls.granularity.value = ""; controls.compare.value = "";
    controls.from.value = defaultRange.first; controls.to.value = defaultRange.last;
    refreshOptions();
    loadReport();
  });
  await loadReport();
  setInterval(refresh, REFRESH_MS);
}

init();
