// Time-series charts over uPlot: one line per series of a range-query matrix, a legend with
// hover values, optional stacking. uPlot draws thousands of points per series on a canvas.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue, h, metricText } from './api.js';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173'];

// Time of the first chart on this page load (performance.now() ms), for measurements.
function markFirstChart() {
  if (window.__tallyFirstChartMs === undefined) window.__tallyFirstChartMs = performance.now();
}

// Legend text: Grafana-style {{label}} templates, else the series' label set.
export function seriesName(metric, legendFormat) {
  if (legendFormat) {
    const s = legendFormat.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g,
      (_, k) => metric[k] || '');
    if (s.trim() !== '') return s;
  }
  return metricText(metric);
}

// Converts a matrix (range query `result`) into uPlot's columnar data: a shared time axis
// from start to end at step (Prometheus aligns every point to it) and one column per series.
export function matrixToColumns(result, startSec, endSec, stepSec, stacked) {
  const n = Math.floor((endSec - startSec) / stepSec + 1e-9) + 1;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = startSec + i * stepSec;
  const cols = [];
  for (const s of result) {
    const ys = new Array(n).fill(null);
    for (const [t, v] of s.values || []) {
      const i = Math.round((t - startSec) / stepSec);
      const f = parseFloat(v);
      // NaN and ±Inf (0/0 ratios) leave a gap: uPlot cannot scale an axis over them.
      if (i >= 0 && i < n && isFinite(f)) ys[i] = f;
    }
    cols.push(ys);
  }
  if (stacked) {
    const acc = new Array(n).fill(0);
    for (const ys of cols) {
      for (let i = 0; i < n; i++) {
        if (ys[i] === null || !isFinite(ys[i])) continue;
        acc[i] += ys[i];
        ys[i] = acc[i];
      }
    }
  }
  return [Array.from(xs), ...cols];
}

// Draws `result` into `container` (emptied first); returns the uPlot instance or null when
// there is nothing to draw. The caller keeps it to destroy() before redrawing.
export function drawChart(container, result, opts) {
  container.replaceChildren();
  if (!result || result.length === 0) {
    container.append(h('div', { class: 'empty' }, 'No data points found.'));
    container.dataset.series = '0';
    return null;
  }
  const data = matrixToColumns(result, opts.start, opts.end, opts.step, opts.stacked);
  const series = [{}];
  result.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    series.push({
      label: seriesName(s.metric, s.legendFormat || opts.legendFormat),
      stroke: color,
      fill: opts.stacked ? color + '55' : undefined,
      width: 1.25,
      spanGaps: false,
      points: { show: false },
      value: (u, v) => formatValue(v),
    });
  });
  const width = Math.max(300, container.clientWidth || 800);
  const u = new uPlot({
    width,
    height: opts.height || 300,
    series,
    scales: { x: { time: true } },
    axes: [{}, { values: (u, vals) => vals.map(formatValue), size: 60 }],
    legend: { show: true, live: true },
    cursor: { focus: { prox: 16 } },
    focus: { alpha: 0.3 },
  }, data, container);
  container.dataset.series = String(result.length);
  markFirstChart();
  if (window.ResizeObserver) {
    let last = width;
    const ro = new ResizeObserver(() => {
      const w = Math.max(300, container.clientWidth);
      if (Math.abs(w - last) > 2 && u.root.isConnected) {
        last = w;
        u.setSize({ width: w, height: opts.height || 300 });
      }
    });
    ro.observe(container);
    const destroy = u.destroy.bind(u);
    u.destroy = () => { ro.disconnect(); destroy(); };
  }
  return u;
}
