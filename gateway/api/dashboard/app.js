// edgegw diagnostics page. Plain ES2020, no build step, no libraries: it is compiled into the
// gateway binary and must work offline and stay light on a Raspberry Pi's browser.
'use strict';

// ---- Where each figure comes from ---------------------------------------------------------
// The JSON field names the page reads, one table so a renamed field is a one-line change.
// Each entry lists candidate paths; the first one present wins, so the page keeps working
// across small API differences between gateway versions.
const STATUS_FIELDS = {
  version:        ['version'],
  uptimeS:        ['uptime_s', 'uptime_seconds'],
  gatewayId:      ['gateway_id'],
  provider:       ['uplink.provider', 'provider', 'billing.provider'],
  connected:      ['uplink.connected', 'connected'],
  lastError:      ['uplink.last_error', 'last_error'],
  reconnects:     ['uplink.reconnects', 'uplink.reconnects_total'],
  armed:          ['armed', 'alarms.armed'],
  backlog:        ['buffer.readings', 'backlog.readings'],
  backlogBytes:   ['buffer.bytes', 'backlog.bytes'],
  oldestAgeS:     ['buffer.oldest_age_s', 'buffer.oldest_age_seconds', 'backlog.oldest_age_s'],
  inflight:       ['buffer.inflight_bundles', 'uplink.inflight_bundles', 'bundles.inflight'],
  alarmsPending:  ['buffer.alarms_pending', 'alarms.pending', 'alarms_pending'],
  dropped:        ['buffer.dropped', 'dropped'],
  published:      ['bundles.published'],
  acked:          ['bundles.acked'],
  payloadBytes:   ['bundles.payload_bytes'],
  billable:       ['billing.billable_units', 'billable_units'],
  naive:          ['billing.naive_units', 'naive_units'],
  adapters:       ['adapters'],
};
const COST_FIELDS = {
  provider:       ['provider'],
  billable:       ['billable_units'],
  naive:          ['naive_units'],
  billablePerDay: ['billable_units_per_day'],
  naivePerDay:    ['naive_units_per_day'],
  savingsFactor:  ['savings_factor'],
  // null for a generic broker: there is no price list to apply.
  monthlyUsd:     ['usd_per_month', 'monthly_usd'],
  naiveMonthlyUsd:['naive_usd_per_month', 'naive_monthly_usd'],
  plan:           ['plan'],
};
const API = {
  status: '/api/v1/status',
  sensors: '/api/v1/sensors',
  series: (name) => `/api/v1/sensors/${encodeURIComponent(name)}`,
  alarms: (all) => `/api/v1/alarms?state=${all ? 'all' : 'open'}`,
  ack: (id) => `/api/v1/alarms/${encodeURIComponent(id)}/ack`,
  cost: '/api/v1/cost',
};

// ---- Tunables -------------------------------------------------------------------------------
const WINDOW_MS = 120 * 1000;      // how much history each chart shows
const MAX_POINTS = 3000;           // per series, so a fast sensor cannot grow memory unbounded
const FETCH_LIMIT = 2000;          // points asked for per poll
const SENSOR_POLL_MS = 1500;
const STATUS_POLL_MS = 2000;
const ALARM_POLL_MS = 2000;
const COST_POLL_MS = 10000;        // the cost estimate moves slowly
const HIDDEN_FACTOR = 5;           // poll this much slower while the tab is hidden
const TOKEN_KEY = 'edgegw.token';

// ---- Small helpers --------------------------------------------------------------------------
const $ = (id) => document.getElementById(id);

function pick(obj, paths) {
  for (const path of paths) {
    let v = obj;
    for (const part of path.split('.')) {
      if (v === null || typeof v !== 'object' || !(part in v)) { v = undefined; break; }
      v = v[part];
    }
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}
function pickAll(obj, table) {
  const out = {};
  for (const [key, paths] of Object.entries(table)) out[key] = pick(obj, paths);
  return out;
}
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

function fmtNum(v, digits = 0) {
  if (!isNum(v)) return '–';
  return v.toLocaleString(undefined, { maximumFractionDigits: digits });
}
function fmtValue(v) {
  if (!isNum(v)) return '–';
  const a = Math.abs(v);
  return fmtNum(v, a >= 100 ? 1 : a >= 1 ? 2 : 3);
}
function fmtBytes(v) {
  if (!isNum(v)) return '–';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${fmtNum(v, i ? 1 : 0)} ${units[i]}`;
}
function fmtDuration(s) {
  if (!isNum(s)) return '–';
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
function fmtUsd(v) {
  if (!isNum(v)) return '–';
  return '$' + v.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
function fmtTime(tsMs) {
  return isNum(tsMs) ? new Date(tsMs).toLocaleTimeString() : '–';
}
function setText(id, text) {
  const el = $(id);
  if (el && el.textContent !== text) el.textContent = text;
}
function el(tag, props = {}, children = []) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

// Fetches JSON; a non-2xx answer throws an Error carrying the status and the API's message
// ({"error":{"code","message"}}) so callers can show it.
async function getJson(url, options = {}) {
  // Send the token on reads too once we have one: a gateway with require_auth_for_reads
  // answers nothing without it.
  const headers = { ...(options.headers || {}) };
  if (!headers.Authorization && token()) headers.Authorization = `Bearer ${token()}`;
  const response = await fetch(url, { cache: 'no-store', ...options, headers });
  let body = null;
  const text = await response.text();
  if (text) { try { body = JSON.parse(text); } catch (_) { body = null; } }
  if (!response.ok) {
    const message = pick(body || {}, ['error.message', 'message', 'error']) || response.statusText;
    const err = new Error(`${response.status} ${typeof message === 'string' ? message : ''}`.trim());
    err.status = response.status;
    throw err;
  }
  return body;
}

// Runs `task` again `intervalMs` after each run finishes (never overlapping, so a slow Pi or a
// slow gateway cannot pile requests up), slower while the tab is hidden.
function every(intervalMs, task) {
  const run = async () => {
    try { await task(); } catch (e) { console.warn(e); }
    setTimeout(run, document.hidden ? intervalMs * HIDDEN_FACTOR : intervalMs);
  };
  run();
}

// ---- Status ---------------------------------------------------------------------------------

async function pollStatus() {
  let s;
  try {
    s = pickAll(await getJson(API.status), STATUS_FIELDS);
  } catch (e) {
    showReachability(`Gateway status unavailable: ${e.message}`);
    setUplinkPill(undefined);
    return;
  }
  showReachability('');
  setText('gateway-id', s.gatewayId ?? '');
  setText('version', s.version ?? '?');
  setText('uptime', fmtDuration(s.uptimeS));
  setText('provider', s.provider ?? '?');
  setUplinkPill(s.connected);
  setText('uplink-error', s.lastError ? `last error: ${s.lastError}` : '');
  setText('uplink-reconnects', fmtNum(s.reconnects));
  setText('armed', s.armed === undefined ? '–' : s.armed ? 'armed' : 'disarmed');
  setText('backlog-readings', fmtNum(s.backlog));
  setText('backlog-bytes', fmtBytes(s.backlogBytes));
  setText('backlog-age', fmtDuration(s.oldestAgeS));
  setText('inflight', fmtNum(s.inflight));
  setText('alarms-pending', fmtNum(s.alarmsPending));
  const drops = s.dropped && typeof s.dropped === 'object'
    ? Object.entries(s.dropped).filter(([, n]) => n > 0) : [];
  setText('dropped', drops.length
    ? 'dropped: ' + drops.map(([reason, n]) => `${reason} ${fmtNum(n)}`).join(', ') : '');
  setText('bundles-acked', fmtNum(s.acked));
  setText('bundles-published', fmtNum(s.published));
  setText('payload-bytes', fmtBytes(s.payloadBytes));
  if (isNum(s.billable) || isNum(s.naive)) showRatio(s.billable, s.naive);
  renderAdapters(Array.isArray(s.adapters) ? s.adapters : []);
  setText('updated', new Date().toLocaleTimeString());
}

function showReachability(message) {
  const banner = $('reachability');
  banner.textContent = message;
  banner.classList.toggle('hidden', !message);
}

function setUplinkPill(connected) {
  const pill = $('uplink-state');
  const state = connected === true ? 'ok' : connected === false ? 'bad' : 'unknown';
  pill.className = `pill ${state}`;
  pill.textContent = connected === true ? 'connected' : connected === false ? 'disconnected' : 'unknown';
  pill.dataset.connected = String(connected);
}

function renderAdapters(adapters) {
  const rows = adapters.map((a) => {
    // {state:"up"|"down"} or {up:true|false}, whichever the gateway sends.
    const state = pick(a, ['state']);
    const up = typeof state === 'string' ? state === 'up' : pick(a, ['up', 'connected']);
    return el('tr', {}, [
      el('td', { textContent: String(pick(a, ['name']) ?? '') }),
      el('td', { textContent: String(pick(a, ['type', 'profile']) ?? '') }),
      el('td', { textContent: up === undefined ? '?' : up ? 'up' : 'down',
                 className: up === false ? 'error-text' : '' }),
      el('td', { textContent: fmtNum(pick(a, ['errors', 'errors_total'])) }),
    ]);
  });
  $('adapters').tBodies[0].replaceChildren(...rows);
}

// ---- Cost -----------------------------------------------------------------------------------
function showRatio(billable, naive) {
  // The headline: how many times fewer billable units bundling uses than sending every
  // reading as its own message would.
  if (isNum(billable) && isNum(naive) && billable > 0) {
    setText('cost-ratio', `${fmtNum(naive / billable, naive / billable >= 10 ? 0 : 1)}×`);
  }
  setText('cost-units', `${fmtNum(billable)} billable units vs ${fmtNum(naive)} naive`);
}

async function pollCost() {
  let c;
  try { c = pickAll(await getJson(API.cost), COST_FIELDS); } catch (_) { return; }
  // Per-day rates are the steadier basis for the ratio; totals are the fallback.
  if (isNum(c.billablePerDay) && isNum(c.naivePerDay) && c.billablePerDay > 0) {
    showRatio(c.billablePerDay, c.naivePerDay);
    setText('cost-units', `${fmtNum(c.billablePerDay)} billable units/day vs ${fmtNum(c.naivePerDay)} naive`);
  } else {
    showRatio(c.billable, c.naive);
  }
  // The gateway's own factor wins when it sends one: it knows the provider's rounding.
  if (isNum(c.savingsFactor) && c.savingsFactor > 0) {
    setText('cost-ratio', `${fmtNum(c.savingsFactor, c.savingsFactor >= 10 ? 0 : 1)}×`);
  }
  const priced = isNum(c.monthlyUsd) || isNum(c.naiveMonthlyUsd);
  $('cost-money').classList.toggle('hidden', !priced);
  setText('cost-monthly', fmtUsd(c.monthlyUsd));
  setText('cost-naive-monthly', fmtUsd(c.naiveMonthlyUsd));
  setText('cost-plan', priced ? (c.plan ? `plan: ${c.plan}` : '')
    : `no price list for provider ${c.provider ?? '?'}`);
}

// ---- Sensors and charts ---------------------------------------------------------------------
// series name -> { unit, points: [[ts, value]...], lastTs, card elements, dirty }
const seriesState = new Map();
let windowEndMs = 0;   // the newest timestamp seen on any series: charts share one time axis

async function pollSensors() {
  let list;
  try { list = pick(await getJson(API.sensors), ['sensors']) || []; } catch (_) { return; }
  $('sensors-empty').classList.toggle('hidden', list.length > 0);
  for (const sensor of list) {
    const name = pick(sensor, ['series', 'name']);
    if (typeof name !== 'string') continue;
    let st = seriesState.get(name);
    if (!st) {
      st = makeSeries(name);
      seriesState.set(name, st);
    }
    st.unit = pick(sensor, ['unit']) ?? st.unit;
    st.latest = { ts: pick(sensor, ['ts_ms']), value: pick(sensor, ['value']) };
  }
  // One window request per series; they run in parallel, each asking only for what is new.
  await Promise.all([...seriesState.values()].map(fetchWindow));
  scheduleDraw();
}

async function fetchWindow(st) {
  const latestTs = st.latest && st.latest.ts;
  if (isNum(latestTs) && latestTs <= st.lastTs) return;  // nothing new since the last poll
  const since = st.lastTs > 0 ? st.lastTs + 1 : (isNum(latestTs) ? latestTs - WINDOW_MS : 0);
  let points = null;
  if (!st.windowUnsupported) {
    try {
      const body = await getJson(`${API.series(st.name)}?since=${since}&limit=${FETCH_LIMIT}`);
      points = (pick(body, ['points']) || []).map((p) => [pick(p, ['ts_ms', 'ts']), pick(p, ['value'])]);
    } catch (e) {
      // Without the per-series endpoint, plot the latest values as they come.
      if (e.status === 404 || e.status === 405) st.windowUnsupported = true;
    }
  }
  if (points === null && st.latest) points = [[st.latest.ts, st.latest.value]];
  for (const [ts, value] of points || []) {
    if (!isNum(ts) || !isNum(value) || ts <= st.lastTs) continue;
    st.points.push([ts, value]);
    st.lastTs = ts;
  }
  if (st.points.length > MAX_POINTS) st.points.splice(0, st.points.length - MAX_POINTS);
  windowEndMs = Math.max(windowEndMs, st.lastTs);
  st.dirty = true;
}

function makeSeries(name) {
  const canvas = el('canvas', { width: 340, height: 110 });
  const last = el('span', { className: 'last', textContent: '–' });
  const min = el('span'), max = el('span'), when = el('span');
  const card = el('div', { className: 'chart' }, [
    el('header', {}, [el('span', { className: 'name', textContent: name }), last]),
    canvas,
    el('div', { className: 'range muted' }, [min, when, max]),
  ]);
  card.dataset.series = name;
  card.dataset.points = '0';
  // Keep charts sorted by name so they do not jump around as series appear.
  const charts = $('charts');
  const after = [...charts.children].find((c) => c.dataset.series > name);
  charts.insertBefore(card, after || null);
  return { name, unit: '', points: [], lastTs: 0, latest: null, dirty: true,
           windowUnsupported: false, card, canvas, last, min, max, when };
}

let drawPending = false;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    for (const st of seriesState.values()) if (st.dirty) drawSeries(st);
  });
}

function drawSeries(st) {
  st.dirty = false;
  const start = windowEndMs - WINDOW_MS;
  // Points older than the window are no longer drawn; drop them to bound memory and work.
  let firstVisible = 0;
  while (firstVisible < st.points.length && st.points[firstVisible][0] < start) firstVisible++;
  if (firstVisible > 0) st.points.splice(0, firstVisible);
  const pts = st.points;

  const { canvas } = st;
  // Match the canvas to its on-screen size and the display's pixel ratio, so lines stay sharp
  // without drawing more pixels than the screen has.
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(50, Math.round(canvas.clientWidth * ratio));
  const h = Math.max(30, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, w, h);

  const unit = st.unit ? ` ${st.unit}` : '';
  st.card.dataset.points = String(pts.length);
  st.card.dataset.lastTs = String(st.lastTs);
  if (pts.length === 0) { st.last.textContent = '–'; return; }
  const lastValue = pts[pts.length - 1][1];
  st.card.dataset.lastValue = String(lastValue);
  st.last.textContent = `${fmtValue(lastValue)}${unit}`;
  st.when.textContent = fmtTime(st.lastTs);

  let lo = Infinity, hi = -Infinity;
  for (const [, v] of pts) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }   // a flat line sits mid-height
  st.min.textContent = `min ${fmtValue(lo)}${unit}`;
  st.max.textContent = `max ${fmtValue(hi)}${unit}`;

  const pad = 4 * ratio;
  const x = (ts) => ((ts - start) / WINDOW_MS) * (w - 1);
  const y = (v) => h - pad - ((v - lo) / (hi - lo)) * (h - 2 * pad);
  const style = getComputedStyle(document.documentElement);
  ctx.strokeStyle = style.getPropertyValue('--line').trim() || '#ccc';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, h - 0.5); ctx.lineTo(w, h - 0.5);
  ctx.stroke();

  // Many samples share a pixel column on a fast series: draw one vertical min..max stroke per
  // column instead of every point, which keeps the cost per frame ~ the chart's width.
  ctx.strokeStyle = style.getPropertyValue('--accent').trim() || '#2c66c9';
  ctx.lineWidth = 1.5 * ratio;
  ctx.beginPath();
  let col = -1, colLo = 0, colHi = 0, first = true;
  const flush = () => {
    if (col < 0) return;
    if (first) { ctx.moveTo(col, y(colLo)); first = false; } else ctx.lineTo(col, y(colLo));
    if (colHi !== colLo) ctx.lineTo(col, y(colHi));
  };
  for (const [ts, v] of pts) {
    const c = Math.round(x(ts));
    if (c !== col) { flush(); col = c; colLo = v; colHi = v; } else {
      if (v < colLo) colLo = v;
      if (v > colHi) colHi = v;
    }
  }
  flush();
  if (pts.length === 1) {
    const [ts, v] = pts[0];
    ctx.arc(x(ts), y(v), 2 * ratio, 0, 2 * Math.PI);
  }
  ctx.stroke();
}

// ---- Alarms ---------------------------------------------------------------------------------
function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
  $('token').value = t || '';
}

async function pollAlarms() {
  let alarms;
  try {
    alarms = pick(await getJson(API.alarms($('alarms-show-all').checked)), ['alarms']) || [];
  } catch (e) {
    setText('alarms-empty', `Alarms unavailable: ${e.message}`);
    $('alarms-empty').classList.remove('hidden');
    return;
  }
  setText('alarms-empty', 'No alarms.');
  renderAlarms(alarms);
}

function renderAlarms(alarms) {
  // Newest first: the one that just fired is the one someone is looking for.
  alarms = [...alarms].sort((a, b) => (pick(b, ['ts_ms']) || 0) - (pick(a, ['ts_ms']) || 0));
  const rows = alarms.map((a) => {
    const id = pick(a, ['id']);
    const state = String(pick(a, ['state']) ?? 'open');
    const button = el('button', { type: 'button', textContent: 'Ack', className: 'ack' });
    button.disabled = state !== 'open' || id === undefined;
    button.addEventListener('click', () => ack(id, button));
    const row = el('tr', { className: state }, [
      el('td', { textContent: fmtTime(pick(a, ['ts_ms'])) }),
      el('td', { textContent: String(pick(a, ['kind']) ?? '') }),
      // raised | cleared: the excursion itself, apart from whether someone acknowledged it.
      el('td', { textContent: `${pick(a, ['alarm_state']) ?? 'raised'}, ${pick(a, ['severity']) ?? ''}`,
                 className: 'condition' }),
      el('td', { textContent: String(pick(a, ['series']) ?? '') }),
      el('td', { textContent: fmtValue(pick(a, ['value'])) }),
      el('td', { textContent: String(pick(a, ['message']) ?? '') }),
      el('td', { textContent: state, className: 'state' }),
      el('td', {}, state === 'open' ? [button] : []),   // nothing to do for an acked alarm
    ]);
    row.dataset.alarmId = String(id);
    row.dataset.state = state;
    return row;
  });
  $('alarms').tBodies[0].replaceChildren(...rows);
  $('alarms-empty').classList.toggle('hidden', rows.length > 0);
}

async function ack(id, button) {
  let t = token() || $('token').value.trim();
  if (!t) {
    // Asked once per browser session; sessionStorage forgets it when the tab closes.
    t = (window.prompt('API token (Authorization: Bearer …) to acknowledge alarms:') || '').trim();
    if (!t) return;
  }
  setToken(t);
  button.disabled = true;
  setText('alarm-error', '');
  try {
    await getJson(API.ack(id), { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
  } catch (e) {
    button.disabled = false;
    if (e.status === 401 || e.status === 403) {
      // A refused token is forgotten so the next click asks again rather than resending it.
      setToken('');
      const why = e.status === 401 ? 'the token was refused' : 'not allowed';
      setText('alarm-error', `Not acknowledged: ${why} (${e.message}).`);
    } else {
      setText('alarm-error', `Not acknowledged: ${e.message}`);
    }
    return;
  }
  await pollAlarms();
}

// ---- Start ----------------------------------------------------------------------------------
function start() {
  setText('window-s', String(WINDOW_MS / 1000));
  $('token').value = token();
  $('token').addEventListener('change', () => setToken($('token').value.trim()));
  $('token-forget').addEventListener('click', () => setToken(''));
  $('alarms-show-all').addEventListener('change', () => pollAlarms());
  window.addEventListener('resize', () => {
    for (const st of seriesState.values()) st.dirty = true;
    scheduleDraw();
  });
  every(STATUS_POLL_MS, pollStatus);
  every(SENSOR_POLL_MS, pollSensors);
  every(ALARM_POLL_MS, pollAlarms);
  every(COST_POLL_MS, pollCost);
}

start();
