// The read-only pages: /alerts, /rules, /targets, /status, /config. Each fetches the public
// API and renders plain tables; an endpoint the server lacks shows an empty state.
import { apiGet, formatValue, h, metricText } from './api.js';

function labelsList(labels) {
  return h('span', { class: 'labels' }, ...Object.keys(labels || {}).sort().map((k) =>
    h('span', { class: 'label' }, `${k}="${labels[k]}"`)));
}

function ago(iso) {
  if (!iso || iso.startsWith('0001-')) return 'never';
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (!isFinite(s)) return iso;
  if (s < 60) return `${s.toFixed(1)}s ago`;
  if (s < 3600) return `${(s / 60).toFixed(1)}m ago`;
  return `${(s / 3600).toFixed(1)}h ago`;
}

function seconds(v) {
  if (v === undefined || v === null) return '';
  return v < 1 ? `${(v * 1000).toFixed(2)}ms` : `${v.toFixed(3)}s`;
}

function table(headers, rows) {
  return h('table', { class: 'grid' },
    headers.some((x) => x) ? h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))) : null,
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
}

function fail(root, e) {
  root.append(h('div', { class: 'error', role: 'alert' }, e.message));
}

export async function renderAlertsPage(root) {
  root.append(h('h1', {}, 'Alerts'));
  let data;
  try {
    data = await apiGet('rules', { type: 'alert' });
  } catch (e) {
    return fail(root, e);
  }
  const counts = { inactive: 0, pending: 0, firing: 0 };
  const rules = data.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g })));
  for (const r of rules) counts[r.state] = (counts[r.state] || 0) + 1;
  root.append(h('p', { class: 'summary' },
    `Inactive (${counts.inactive}) · Pending (${counts.pending}) · Firing (${counts.firing})`));
  if (rules.length === 0) root.append(h('div', { class: 'empty' }, 'No alerting rules configured.'));
  for (const g of data.groups) {
    root.append(h('h2', {}, `${g.file} > ${g.name}`));
    for (const r of g.rules) {
      const alerts = r.alerts || [];
      root.append(h('details', { class: `alert-rule state-${r.state}`, open: r.state !== 'inactive' },
        h('summary', {}, h('span', { class: `badge ${r.state}` }, r.state.toUpperCase()), ' ',
          `${r.name} (${alerts.length} active)`),
        h('pre', { class: 'rule-def' }, `alert: ${r.name}\nexpr: ${r.query}` +
          (r.duration ? `\nfor: ${r.duration}s` : '') +
          (Object.keys(r.labels || {}).length ? `\nlabels: ${metricText(r.labels)}` : '') +
          Object.entries(r.annotations || {}).map(([k, v]) => `\n${k}: ${v}`).join('')),
        alerts.length ? table(['Labels', 'State', 'Active Since', 'Value', 'Annotations'],
          alerts.map((a) => [labelsList(a.labels), h('span', { class: `badge ${a.state}` }, a.state),
            a.activeAt || '', formatValue(parseFloat(a.value)),
            h('span', {}, ...Object.entries(a.annotations || {}).map(([k, v]) =>
              h('div', {}, h('b', {}, k + ': '), v)))])) : null));
    }
  }
}

export async function renderRulesPage(root) {
  root.append(h('h1', {}, 'Rules'));
  let data;
  try {
    data = await apiGet('rules');
  } catch (e) {
    return fail(root, e);
  }
  if (data.groups.length === 0) root.append(h('div', { class: 'empty' }, 'No rules configured.'));
  for (const g of data.groups) {
    root.append(h('h2', {}, `${g.name}`),
      h('p', { class: 'meta' }, `${g.file} · every ${g.interval}s · last evaluation ` +
        `${ago(g.lastEvaluation)} · took ${seconds(g.evaluationTime)}`),
      table(['Rule', 'State', 'Error', 'Last Evaluation', 'Evaluation Time'],
        g.rules.map((r) => [
          h('pre', { class: 'rule-def' }, (r.type === 'alerting' ? `alert: ${r.name}` :
            `record: ${r.name}`) + `\nexpr: ${r.query}`),
          h('span', { class: `badge ${r.health}` }, (r.health || '').toUpperCase()),
          r.lastError || '', ago(r.lastEvaluation), seconds(r.evaluationTime)])));
  }
}

export async function renderTargetsPage(root) {
  root.append(h('h1', {}, 'Targets'));
  let data;
  try {
    data = await apiGet('targets');
  } catch (e) {
    // Servers without scraping answer 404: say so instead of showing an error.
    const missing = e.status === 404 || e.errorType === 'http' || e.errorType === 'not_found';
    root.append(h('div', { class: missing ? 'empty' : 'error' }, missing ?
      'No targets: this server does not scrape (it has no /api/v1/targets).' : e.message));
    return;
  }
  const active = data.activeTargets || [];
  if (active.length === 0) {
    root.append(h('div', { class: 'empty' }, 'No targets: no scrape_configs in the configuration.'));
    return;
  }
  const pools = new Map();
  for (const t of active) {
    if (!pools.has(t.scrapePool)) pools.set(t.scrapePool, []);
    pools.get(t.scrapePool).push(t);
  }
  for (const [pool, ts] of pools) {
    const up = ts.filter((t) => t.health === 'up').length;
    root.append(h('h2', {}, `${pool} (${up}/${ts.length} up)`),
      table(['Endpoint', 'State', 'Labels', 'Last Scrape', 'Scrape Duration', 'Error'],
        ts.map((t) => [t.scrapeUrl, h('span', { class: `badge ${t.health}` }, (t.health || '').toUpperCase()),
          labelsList(t.labels), ago(t.lastScrape), seconds(t.lastScrapeDuration), t.lastError || ''])));
  }
}

export async function renderStatusPage(root) {
  root.append(h('h1', {}, 'Status'));
  const sections = [
    ['Build Information', 'status/buildinfo', (d) => table(['', ''], Object.entries(d))],
    ['Runtime Information', 'status/runtimeinfo', (d) =>
      table(['', ''], Object.entries(d).map(([k, v]) => [k, String(v)]))],
    ['TSDB Status', 'status/tsdb', tsdbStatus],
    ['Command-Line Flags', 'status/flags', (d) =>
      table(['Flag', 'Value'], Object.keys(d).sort().map((k) => [k, d[k]]))],
  ];
  const results = await Promise.all(sections.map(([, path]) =>
    apiGet(path).then((d) => ({ d }), (e) => ({ e }))));
  sections.forEach(([title, , render], i) => {
    const sec = h('section', { class: 'status-section' }, h('h2', {}, title));
    if (results[i].e) sec.append(h('div', { class: 'error' }, results[i].e.message));
    else sec.append(render(results[i].d));
    root.append(sec);
  });
}

function tsdbStatus(d) {
  const out = h('div', {});
  const head = d.headStats || {};
  out.append(table(['Number of Series', 'Number of Chunks', 'Number of Label Pairs',
    'Current Min Time', 'Current Max Time'],
  [[head.numSeries, head.chunkCount, head.numLabelPairs,
    head.minTime !== undefined ? new Date(head.minTime).toISOString() + ` (${head.minTime})` : '',
    head.maxTime !== undefined ? new Date(head.maxTime).toISOString() + ` (${head.maxTime})` : '']]));
  const top = [['Top 10 series count by metric names', d.seriesCountByMetricName, 'Name', 'Count'],
    ['Top 10 label names with value count', d.labelValueCountByLabelName, 'Name', 'Count'],
    ['Top 10 label names with high memory usage', d.memoryInBytesByLabelName, 'Name', 'Bytes'],
    ['Top 10 series count by label value pairs', d.seriesCountByLabelValuePair, 'Name', 'Count']];
  for (const [title, list, a, b] of top) {
    if (!list) continue;
    out.append(h('h3', {}, title), table([a, b], list.map((x) => [x.name, x.value])));
  }
  return out;
}

export async function renderConfigPage(root) {
  root.append(h('h1', {}, 'Configuration'));
  try {
    const d = await apiGet('status/config');
    const pre = h('pre', { class: 'config' }, d.yaml);
    root.append(h('button', { onclick: () => navigator.clipboard &&
      navigator.clipboard.writeText(d.yaml) }, 'Copy to clipboard'), pre);
  } catch (e) {
    fail(root, e);
  }
}
