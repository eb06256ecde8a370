// The expression browser (/graph): query panels whose state lives in the URL in Prometheus's
// format (g0.expr, g0.tab 0=graph 1=table, g0.range_input, g0.end_input, g0.step_input,
// g0.stacked), so links made for Prometheus open the same view here.
import { ApiError, apiGet, h, metricText, parseDuration, parseTime } from './api.js';
import { drawChart } from './chart.js';

const MAX_TABLE_ROWS = 10000;
let metricNames = null;  // fetched once per page for completion

function loadMetricNames() {
  if (!metricNames) {
    metricNames = apiGet('label/__name__/values').catch(() => []);
  }
  return metricNames;
}

// Panels from the query string; one empty panel when there is none.
export function parsePanels(search) {
  const params = new URLSearchParams(search);
  const byIndex = new Map();
  for (const [k, v] of params) {
    const m = k.match(/^g(\d+)\.(\w+)$/);
    if (!m) continue;
    const i = +m[1];
    if (!byIndex.has(i)) byIndex.set(i, {});
    byIndex.get(i)[m[2]] = v;
  }
  const panels = [...byIndex.keys()].sort((a, b) => a - b).map((i) => {
    const p = byIndex.get(i);
    return {
      expr: p.expr || '',
      tab: p.tab === '1' ? 1 : 0,
      range: p.range_input || '1h',
      end: p.end_input || (p.moment_input || ''),
      step: p.step_input || '',
      stacked: p.stacked === '1',
    };
  });
  return panels.length ? panels : [{ expr: '', tab: 0, range: '1h', end: '', step: '',
    stacked: false }];
}

function panelsToSearch(panels) {
  const params = new URLSearchParams();
  panels.forEach((p, i) => {
    params.set(`g${i}.expr`, p.expr);
    params.set(`g${i}.tab`, String(p.tab));
    params.set(`g${i}.stacked`, p.stacked ? '1' : '0');
    params.set(`g${i}.range_input`, p.range);
    if (p.end) params.set(`g${i}.end_input`, p.end);
    if (p.step) params.set(`g${i}.step_input`, p.step);
  });
  return '?' + params.toString();
}

export function renderGraphPage(root) {
  const panels = parsePanels(location.search);
  const list = h('div', { class: 'panels' });
  const save = () => history.replaceState(null, '', panelsToSearch(panels));
  const addPanel = (state) => {
    list.append(makePanel(state, panels, save));
  };
  panels.forEach(addPanel);
  root.append(list, h('button', { class: 'add-panel', onclick: () => {
    const p = { expr: '', tab: 0, range: '1h', end: '', step: '', stacked: false };
    panels.push(p);
    addPanel(p);
    save();
  } }, 'Add Panel'));
}

function makePanel(state, panels, save) {
  const input = h('textarea', { class: 'expr', rows: 1, spellcheck: 'false',
    placeholder: 'Expression (press Shift+Enter for newlines)', 'aria-label': 'Expression' });
  input.value = state.expr;
  const completions = h('ul', { class: 'completions', hidden: true });
  const errorBox = h('div', { class: 'error', hidden: true, role: 'alert' });
  const info = h('div', { class: 'info' });
  const body = h('div', { class: 'panel-body' });
  let chart = null;
  let abort = null;

  const showError = (msg) => {
    errorBox.hidden = !msg;
    errorBox.textContent = msg ? 'Error executing query: ' + msg : '';
  };

  // Controls of the graph tab.
  const rangeIn = h('input', { class: 'range', size: 6, value: state.range, title: 'Range' });
  const endIn = h('input', { class: 'end', size: 19, value: state.end, placeholder: 'End time (UTC)',
    title: 'End time, "YYYY-MM-DD HH:mm:ss" UTC; empty: now' });
  const stepIn = h('input', { class: 'step', size: 6, value: state.step,
    placeholder: 'Res. (s)', title: 'Resolution (step) in seconds; empty: automatic' });
  const stackedIn = h('input', { type: 'checkbox', class: 'stacked' });
  stackedIn.checked = state.stacked;
  const graphControls = h('div', { class: 'controls' },
    h('label', {}, 'Range ', rangeIn), h('label', {}, 'End ', endIn),
    h('label', {}, 'Step ', stepIn), h('label', {}, stackedIn, ' stacked'));
  const tableControls = h('div', { class: 'controls' },
    h('label', {}, 'Evaluation time ', endIn.cloneNode()));
  const tableEnd = tableControls.querySelector('input');
  tableEnd.value = state.end;

  const tabs = [h('button', { class: 'tab', 'data-tab': '0' }, 'Graph'),
    h('button', { class: 'tab', 'data-tab': '1' }, 'Table')];
  const el = h('section', { class: 'panel' },
    h('div', { class: 'query-row' },
      h('div', { class: 'expr-wrap' }, input, completions),
      h('button', { class: 'format', title: 'Format expression' }, 'Format'),
      h('button', { class: 'execute' }, 'Execute'),
      h('button', { class: 'remove', title: 'Remove panel' }, '×')),
    errorBox,
    h('div', { class: 'tabs' }, tabs), h('div', { class: 'tab-controls' }), info, body);
  const tabControls = el.querySelector('.tab-controls');

  const readControls = () => {
    state.expr = input.value;
    state.range = rangeIn.value.trim() || '1h';
    state.end = (state.tab === 1 ? tableEnd.value : endIn.value).trim();
    endIn.value = tableEnd.value = state.end;
    state.step = stepIn.value.trim();
    state.stacked = stackedIn.checked;
    save();
  };

  const setTab = (tab) => {
    state.tab = tab;
    tabs.forEach((t) => t.classList.toggle('active', +t.dataset.tab === tab));
    tabControls.replaceChildren(tab === 0 ? graphControls : tableControls);
    el.dataset.tab = String(tab);
  };

  const execute = async () => {
    readControls();
    closeCompletions();
    if (abort) abort.abort();
    if (chart) { chart.destroy(); chart = null; }
    body.replaceChildren();
    info.textContent = '';
    showError('');
    el.dataset.state = 'loading';
    if (state.expr.trim() === '') {
      el.dataset.state = 'idle';
      return;
    }
    abort = new AbortController();
    const started = performance.now();
    let endMs = Date.now();
    if (state.end) {
      endMs = parseTime(state.end);
      if (isNaN(endMs)) {
        showError(`invalid end time "${state.end}"`);
        el.dataset.state = 'error';
        return;
      }
    }
    try {
      if (state.tab === 1) {
        const data = await apiGet('query', { query: state.expr, time: endMs / 1000 },
          abort.signal);
        renderTable(body, data);
        info.textContent = `Load time: ${Math.round(performance.now() - started)}ms · ` +
          `Result series: ${resultCount(data)}`;
      } else {
        const rangeMs = parseDuration(state.range);
        if (!(rangeMs > 0)) throw new ApiError(`invalid range "${state.range}"`);
        let step = state.step ? parseFloat(state.step) : Math.max(Math.floor(rangeMs / 1000 / 250), 1);
        if (!(step > 0)) throw new ApiError(`invalid step "${state.step}"`);
        const end = Math.floor(endMs / 1000);
        const start = end - rangeMs / 1000;
        const data = await apiGet('query_range', { query: state.expr, start, end, step },
          abort.signal);
        if (data.resultType !== 'matrix') throw new ApiError('unexpected result type ' + data.resultType);
        const chartBox = h('div', { class: 'chart' });
        body.append(chartBox);
        chart = drawChart(chartBox, data.result, { start, end, step, stacked: state.stacked });
        info.textContent = `Load time: ${Math.round(performance.now() - started)}ms · ` +
          `Resolution: ${step}s · Result series: ${data.result.length}`;
      }
      el.dataset.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError') return;
      showError(e.message);
      el.dataset.state = 'error';
    }
  };

  // Metric-name completion for the word before the cursor.
  let items = [];
  let active = -1;
  const closeCompletions = () => {
    completions.hidden = true;
    items = [];
    active = -1;
  };
  const wordBeforeCursor = () => {
    const upto = input.value.slice(0, input.selectionStart);
    const m = upto.match(/[a-zA-Z_:][a-zA-Z0-9_:]*$/);
    return m ? m[0] : '';
  };
  const accept = (name) => {
    const pos = input.selectionStart;
    const word = wordBeforeCursor();
    input.value = input.value.slice(0, pos - word.length) + name + input.value.slice(pos);
    const caret = pos - word.length + name.length;
    input.setSelectionRange(caret, caret);
    closeCompletions();
    input.focus();
  };
  const updateCompletions = async () => {
    const word = wordBeforeCursor();
    if (word.length < 2) return closeCompletions();
    const names = await loadMetricNames();
    const lw = word.toLowerCase();
    items = names.filter((n) => n.toLowerCase().includes(lw) && n !== word).slice(0, 20);
    if (items.length === 0) return closeCompletions();
    active = -1;
    completions.replaceChildren(...items.map((n, i) => h('li', {
      onmousedown: (ev) => { ev.preventDefault(); accept(n); }, 'data-i': i }, n)));
    completions.hidden = false;
  };
  const highlight = () => completions.querySelectorAll('li').forEach((li, i) =>
    li.classList.toggle('active', i === active));

  input.addEventListener('input', () => {
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + 'px';
    updateCompletions();
  });
  input.addEventListener('blur', () => setTimeout(closeCompletions, 100));
  input.addEventListener('keydown', (ev) => {
    if (!completions.hidden && items.length) {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        active = (active + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
        highlight();
        return;
      }
      if ((ev.key === 'Enter' || ev.key === 'Tab') && active >= 0) {
        ev.preventDefault();
        accept(items[active]);
        return;
      }
      if (ev.key === 'Escape') { closeCompletions(); return; }
    }
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      execute();
    }
  });

  el.querySelector('.execute').addEventListener('click', execute);
  el.querySelector('.format').addEventListener('click', async () => {
    showError('');
    try {
      input.value = await apiGet('format_query', { query: input.value });
      readControls();
    } catch (e) {
      showError(e.message);
    }
  });
  el.querySelector('.remove').addEventListener('click', () => {
    const i = panels.indexOf(state);
    if (i >= 0) panels.splice(i, 1);
    if (chart) chart.destroy();
    el.remove();
    save();
  });
  tabs.forEach((t) => t.addEventListener('click', () => {
    readControls();
    setTab(+t.dataset.tab);
    execute();
  }));
  for (const c of [rangeIn, endIn, stepIn, tableEnd]) {
    c.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') execute(); });
  }
  stackedIn.addEventListener('change', execute);

  setTab(state.tab);
  if (state.expr) execute();
  else el.dataset.state = 'idle';
  if (!state.expr) setTimeout(() => input.focus(), 0);
  return el;
}

function resultCount(data) {
  return Array.isArray(data.result) ? data.result.length : 1;
}

function renderTable(body, data) {
  const table = h('table', { class: 'result' });
  const tbody = h('tbody');
  table.append(tbody);
  const row = (labels, value) => tbody.append(h('tr', { class: 'series' },
    h('td', { class: 'labels' }, labels), h('td', { class: 'value' }, value)));
  switch (data.resultType) {
    case 'vector':
      if (data.result.length === 0) row('', 'Empty query result');
      for (const s of data.result.slice(0, MAX_TABLE_ROWS)) row(metricText(s.metric), s.value[1]);
      break;
    case 'matrix':
      if (data.result.length === 0) row('', 'Empty query result');
      for (const s of data.result.slice(0, MAX_TABLE_ROWS)) {
        row(metricText(s.metric), s.values.map(([t, v]) => `${v} @${t}`).join('\n'));
      }
      break;
    case 'scalar':
      row('scalar', data.result[1]);
      break;
    case 'string':
      row('string', data.result[1]);
      break;
  }
  if (Array.isArray(data.result) && data.result.length > MAX_TABLE_ROWS) {
    body.append(h('div', { class: 'warn' },
      `Showing ${MAX_TABLE_ROWS} of ${data.result.length} series.`));
  }
  body.append(table);
}
