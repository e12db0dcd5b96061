// Drives the gateway's diagnostics page in Debian's Chromium through playwright-core (which
// never downloads a browser). Run by run.sh, or by hand against any gateway:
//   EDGEGW_URL=http://127.0.0.1:8080 EDGEGW_TOKEN=... EDGEGW_SCREENSHOT=out/dash.png \
//     node --test dashboard.test.mjs
// The gateway must run the chocolate simulator with a short theft_interval_s, so that an
// alarm is there to acknowledge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const baseUrl = (process.env.EDGEGW_URL || '').replace(/\/+$/, '');
const token = process.env.EDGEGW_TOKEN || '';
const screenshot = process.env.EDGEGW_SCREENSHOT || path.join(tmpdir(), 'edgegw-dashboard.png');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

let userDataDir;
let context;
let page;
const foreignRequests = [];
const pageErrors = [];
let dialogAnswer = token;   // what the next token prompt is answered with
let prompts = 0;

before(async () => {
  assert.ok(baseUrl, 'set EDGEGW_URL to the gateway, e.g. http://127.0.0.1:8080');
  // A fresh profile each run: no cache, no stored token, no state from an earlier run.
  userDataDir = await mkdtemp(path.join(tmpdir(), 'edgegw-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  page = context.pages()[0] || (await context.newPage());
  // The page must work offline: anything it asks for must come from the gateway.
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(baseUrl + '/') && !url.startsWith('data:')) foreignRequests.push(url);
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('dialog', async (dialog) => {
    prompts++;
    if (dialog.type() === 'prompt') await dialog.accept(dialogAnswer);
    else await dialog.dismiss();
  });
});

after(async () => {
  if (page) {
    // Taken here, pass or fail, so a failing run leaves a picture of what the page showed.
    await mkdir(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true }).catch((e) => console.error(e));
    console.log(`screenshot: ${screenshot}`);
  }
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

// Per chart: how many points it holds and the newest timestamp (data attributes app.js sets).
async function chartState() {
  return page.$$eval('.chart', (cards) => cards.map((c) => ({
    series: c.dataset.series, points: Number(c.dataset.points || 0),
    lastTs: Number(c.dataset.lastTs || 0),
  })));
}

test('the page loads from the gateway alone', async () => {
  const response = await page.goto(baseUrl + '/');
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/html/);
  assert.equal(await page.title(), 'edgegw diagnostics');
});

test('status is shown: connection state and backlog', async () => {
  await page.waitForFunction(
    () => document.getElementById('uplink-state').dataset.connected !== 'undefined',
    null, { timeout: 15000 });
  const pill = await page.textContent('#uplink-state');
  assert.ok(['connected', 'disconnected'].includes(pill), pill);
  assert.match(await page.textContent('#backlog-readings'), /^[\d,. ]+$/);
});

test('charts fill with data and then move', async () => {
  await page.waitForFunction(
    () => [...document.querySelectorAll('.chart')].some((c) => Number(c.dataset.points) > 1),
    null, { timeout: 30000 });
  const first = await chartState();
  const withData = first.filter((c) => c.points > 0);
  assert.ok(withData.length > 0);
  // Both simulators' series should appear (chocolate.* and crane.*).
  const names = first.map((c) => c.series);
  assert.ok(names.some((n) => n.startsWith('chocolate.')), names.join(' '));
  assert.ok(names.some((n) => n.startsWith('crane.')), names.join(' '));
  // Live: some series' newest timestamp advances within a few polls.
  const before = Object.fromEntries(withData.map((c) => [c.series, c.lastTs]));
  await page.waitForFunction(
    (prev) => [...document.querySelectorAll('.chart')].some(
      (c) => c.dataset.series in prev && Number(c.dataset.lastTs) > prev[c.dataset.series]),
    before, { timeout: 15000 });
  // Something was drawn: the canvas is not blank.
  const inked = await page.$eval('.chart[data-points]:not([data-points="0"]) canvas', (canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
    return false;
  });
  assert.ok(inked, 'the chart canvas is blank');
});

test('an alarm is acknowledged with the token; a wrong token is refused', async () => {
  assert.ok(token, 'set EDGEGW_TOKEN to the gateway API token');
  const button = 'tr[data-state="open"] button.ack:not([disabled])';
  await page.waitForSelector(button, { timeout: 60000 });

  // Wrong token first: the page must say so and forget it.
  dialogAnswer = 'not-the-token';
  await page.click(button);
  await page.waitForFunction(() => document.getElementById('alarm-error').textContent !== '',
    null, { timeout: 10000 });
  assert.match(await page.textContent('#alarm-error'), /40[13]/);
  assert.equal(prompts, 1);

  // The right one: the prompt comes again, the alarm leaves the open list, and the API
  // agrees that it is acknowledged.
  dialogAnswer = token;
  await page.waitForSelector(button, { timeout: 10000 });
  const id = await page.$eval(button, (b) => b.closest('tr').dataset.alarmId);
  await page.click(`tr[data-alarm-id="${id}"] button.ack`);
  await page.waitForFunction(
    (alarmId) => {
      const row = document.querySelector(`tr[data-alarm-id="${alarmId}"]`);
      return !row || row.dataset.state !== 'open';
    }, id, { timeout: 10000 });
  assert.equal(prompts, 2);
  assert.equal(await page.textContent('#alarm-error'), '');
  const all = await (await fetch(`${baseUrl}/api/v1/alarms?state=all`,
    { headers: { Authorization: `Bearer ${token}` } })).json();
  const acked = (all.alarms || []).find((a) => String(a.id) === id);
  assert.ok(acked, `alarm ${id} not in ?state=all`);
  assert.equal(acked.state, 'acked');

  // The token is kept for the session: showing acknowledged alarms marks this one so.
  await page.check('#alarms-show-all');
  await page.waitForSelector(`tr[data-alarm-id="${id}"][data-state="acked"]`, { timeout: 10000 });
});

test('the cost saving is shown', async () => {
  await page.waitForFunction(() => /×$/.test(document.getElementById('cost-ratio').textContent),
    null, { timeout: 30000 });
  // A generic broker has no price list: then the page says so instead of a dollar figure.
  const money = await page.isVisible('#cost-money');
  if (money) assert.match(await page.textContent('#cost-monthly'), /^\$/);
  else assert.match(await page.textContent('#cost-plan'), /no price list/);
});

test('nothing outside the gateway was requested and the script raised no error', () => {
  assert.deepEqual(foreignRequests, []);
  assert.deepEqual(pageErrors, []);
});
