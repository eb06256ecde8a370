// Dashboards (/dashboards/<name>): panels read from a Grafana-style dashboard JSON
// (panels[].title, panels[].targets[].expr/legendFormat, panels[].gridPos.w) served at
// dashboards/<name>.json, each drawn from range queries, with a time range and auto-refresh.
import { apiGet, formatDuration, h, parseDuration } from './api.js';
import { drawChart } from './chart.js';

const RANGES = ['15m', '1h', '3h', '6h', '12h', '24h', '2d', '7d'];
const REFRESH = ['off', '10s', '30s', '1m', '5m'];

export async function renderDashboardPage(root, name) {
  const params = new URLSearchParams(location.search);
  root.append(h('div', { class: 'loading' }, 'Loading dashboard…'));
  let dash;
  try {
    const resp = await fetch(`dashboards/${encodeURIComponent(name)}.json`);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}: ${(await resp.text()).trim()}`);
    dash = await resp.json();
  } catch (e) {
    root.replaceChildren(h('div', { class: 'error' }, `Cannot load dashboard "${name}": ${e.message}`));
    return;
  }
  const defRange = grafanaRange(dash.time && dash.time.from) || '6h';
  const range = h('select', { class: 'range' }, ...RANGES.map((r) => h('option', { value: r }, r)));
  range.value = params.get('range') || defRange;
  if (!range.value) range.value = '6h';
  const refresh = h('select', { class: 'refresh' },
    ...REFRESH.map((r) => h('option', { value: r }, r === 'off' ? 'Auto-refresh off' : r)));
  refresh.value = params.get('refresh') || 'off';
  const grid = h('div', { class: 'dash-grid' });
  root.replaceChildren(
    h('div', { class: 'dash-head' }, h('h1', {}, dash.title || name),
      h('label', {}, 'Last ', range), refresh,
      h('button', { class: 'refresh-now', onclick: () => drawAll() }, 'Refresh')),
    grid);

  const panels = (dash.panels || []).flatMap((p) => (p.type === 'row' ? p.panels || [] : [p]))
    .filter((p) => Array.isArray(p.targets) && p.targets.some((t) => t.expr));
  const cells = panels.map((p) => {
    const chartBox = h('div', { class: 'chart' });
    const err = h('div', { class: 'error', hidden: true });
    const cell = h('section', { class: 'dash-panel', 'data-state': 'loading' },
      h('h2', { title: p.description || '' }, p.title || ''), err, chartBox);
    const w = Math.min(24, Math.max(1, (p.gridPos && p.gridPos.w) || 12));
    cell.style.gridColumn = `span ${w}`;
    grid.append(cell);
    return { p, cell, chartBox, err, chart: null };
  });

  let generation = 0;
  async function drawAll() {
    const gen = ++generation;
    const rangeSec = parseDuration(range.value) / 1000;
    const end = Math.floor(Date.now() / 1000);
    const start = end - rangeSec;
    const step = Math.max(Math.floor(rangeSec / 300), 15);
    const url = new URL(location.href);
    url.searchParams.set('range', range.value);
    url.searchParams.set('refresh', refresh.value);
    history.replaceState(null, '', url.search);
    await Promise.all(cells.map(async (c) => {
      c.cell.dataset.state = 'loading';
      try {
        const results = await Promise.all(c.p.targets.filter((t) => t.expr && !t.hide).map(
          async (t) => {
            const data = await apiGet('query_range', { query: t.expr, start, end, step });
            return data.result.map((s) => ({ ...s, legendFormat: t.legendFormat }));
          }));
        if (gen !== generation) return;
        const series = results.flat();
        if (c.chart) c.chart.destroy();
        c.err.hidden = true;
        const legend = c.p.targets.length === 1 ? c.p.targets[0].legendFormat : undefined;
        c.chart = drawChart(c.chartBox, series, { start, end, step, height: 220,
          legendFormat: legend });
        c.cell.dataset.state = series.length ? 'ok' : 'empty';
      } catch (e) {
        if (gen !== generation) return;
        c.err.hidden = false;
        c.err.textContent = e.message;
        c.cell.dataset.state = 'error';
      }
    }));
    if (gen === generation) root.dataset.state = 'done';
  }

  let timer = null;
  const schedule = () => {
    if (timer) clearInterval(timer);
    timer = null;
    const ms = parseDuration(refresh.value);
    if (ms > 0) timer = setInterval(drawAll, ms);
  };
  range.addEventListener('change', drawAll);
  refresh.addEventListener('change', () => { schedule(); drawAll(); });
  schedule();
  drawAll();
}

// Grafana's "now-6h" -> "6h" when it is one of our choices.
function grafanaRange(from) {
  const m = String(from || '').match(/^now-(\w+)$/);
  if (!m) return null;
  const ms = parseDuration(m[1]);
  if (!(ms > 0)) return null;
  const d = formatDuration(ms);
  return RANGES.includes(d) ? d : null;
}
