// Calls to the Prometheus HTTP API. Paths are relative (no leading slash) so they resolve
// against the page's <base>, which keeps the UI working under a route prefix.

export class ApiError extends Error {
  constructor(message, errorType, status) {
    super(message);
    this.errorType = errorType || '';
    this.status = status || 0;
  }
}

// GET api/v1/<path>?<params>; resolves to the envelope's `data`, rejects with ApiError carrying
// Prometheus's own error text.
export async function apiGet(path, params, signal) {
  const qs = params ? '?' + new URLSearchParams(params).toString() : '';
  let resp;
  try {
    resp = await fetch('api/v1/' + path + qs, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('network error: ' + e.message, 'network', 0);
  }
  let body = null;
  try {
    body = await resp.json();
  } catch (e) {
    throw new ApiError(`unexpected response (HTTP ${resp.status})`, 'http', resp.status);
  }
  if (!body || body.status !== 'success') {
    throw new ApiError((body && body.error) || `HTTP ${resp.status}`, body && body.errorType,
      resp.status);
  }
  return body.data;
}

// Text of a label set as PromQL shows it: name{a="b", c="d"}.
export function metricText(metric) {
  const name = metric.__name__ || '';
  const parts = [];
  for (const k of Object.keys(metric).sort()) {
    if (k === '__name__') continue;
    parts.push(`${k}=${JSON.stringify(metric[k])}`);
  }
  if (parts.length === 0) return name || '{}';
  return `${name}{${parts.join(', ')}}`;
}

// Escapes text for innerHTML.
export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;',
    '"': '&quot;', "'": '&#39;' }[c]));
}

// Element builder: h('div', {class: 'x'}, child, 'text', ...).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Time helpers. Prometheus's UI writes end_input as "YYYY-MM-DD HH:mm:ss" in UTC.
export function formatTime(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

// "YYYY-MM-DD HH:mm[:ss]" (UTC), RFC 3339 or Unix seconds -> ms; NaN when unparsable.
export function parseTime(s) {
  s = String(s || '').trim();
  if (s === '') return NaN;
  if (/^\d+(\.\d+)?$/.test(s)) return parseFloat(s) * 1000;
  const m = s.match(/^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?$/);
  if (m) {
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0),
      m[7] ? Math.round(+('0.' + m[7]) * 1000) : 0);
  }
  return Date.parse(s);
}

const UNITS = { y: 365 * 86400e3, w: 7 * 86400e3, d: 86400e3, h: 3600e3, m: 60e3, s: 1e3, ms: 1 };

// Prometheus duration ("1h30m", "2d", "90s") -> ms; NaN when invalid.
export function parseDuration(s) {
  s = String(s || '').trim();
  if (!/^(\d+(ms|y|w|d|h|m|s))+$/.test(s)) return NaN;
  let total = 0;
  for (const m of s.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += +m[1] * UNITS[m[2]];
  return total;
}

export function formatDuration(ms) {
  if (!(ms > 0)) return '0s';
  let out = '';
  for (const u of ['y', 'w', 'd', 'h', 'm', 's']) {
    const n = Math.floor(ms / UNITS[u]);
    if (n > 0) {
      out += n + u;
      ms -= n * UNITS[u];
    }
  }
  return out || ms + 'ms';
}

export function formatValue(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (!isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return String(+v.toPrecision(6));
}
