// browser_page.js - the admin's status page in Debian's chromium
// (playwright-core) against tests/tools/web_testsrv over the real queue
// (tests/integration/test_web_page.sh makes the spool).
//   node browser_page.js BASE_URL TOKEN OUTDIR SERVER_PID QUALITY_BASE_URL
// (QUALITY_BASE_URL: a second server, without a scanner, whose job
// carries page_quality.)
// (SIGUSR1 to the server fails the oldest due job's next attempt.)
// Checks, each in the browser: the live line (page, rate, caller, called,
// CSID, elapsed, no progress), paging and search over 200+ jobs, the CSV
// export, the partial badge, a deep link (#job=ID), rows opened and closed
// by keyboard (Enter, Esc; focus moved into the drawer on open by click,
// key or deep link, kept in it on Tab and Shift+Tab, and back to the row
// on close), the drawer refreshing while open,
// the page viewer at full width, TIFF and PDF downloads, Delete asking
// first, a job with a corrupt meta.json listed and deleted, a retry's note
// replaced by its outcome, four tabs for 60 s without a 429, no horizontal
// overflow at 390 px, no serious or critical axe-core violation, and the
// banner once the server is killed. Screenshots at 1280 and 390 px go to
// OUTDIR. Prints "ok ..." / "FAIL ..." lines and exits 1 on any failure.
'use strict';
const path = require('path');
const { check, failed, launch } = require('./browser_lib');

const [base, token, outdir, serverPid, qualityBase] = process.argv.slice(2);
const AXE = path.join(__dirname, 'node_modules', 'axe-core', 'axe.min.js');
const api = async (p) => (await fetch(base + p)).json();
const TIMEOUT = 60000;

async function shot(page, name, viewportOnly) {
  const file = path.join(outdir, name + '.png');
  await page.screenshot({ path: file, fullPage: !viewportOnly });
  console.log('screenshot: ' + file);
}

// axe-core evaluated in the page through the DevTools protocol (the page's
// CSP stays in force: a script tag would be refused); serious and critical
// violations fail the test.
const AXE_SRC = require('fs').readFileSync(AXE, 'utf8');
async function audit(page, what) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE_SRC);
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length,
      first: v.nodes[0] && v.nodes[0].target.join(' ') }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, 'axe-core: no serious or critical violation (' + what + ') ' + JSON.stringify(bad));
  const minor = res.filter((v) => !bad.includes(v));
  if (minor.length) console.log('     (minor: ' + JSON.stringify(minor) + ')');
}

async function paging(page) {
  await page.waitForSelector('#history tr[data-id]');
  const total = (await api('/api/jobs?state=done&limit=1')).total;
  check(total >= 200, 'the spool has 200+ delivered jobs (' + total + ')');
  await page.waitForFunction((t) => document.getElementById('pg-info').textContent === '1–50 of ' + t, total);
  check(true, 'the jobs list says 1–50 of ' + total);
  const first = await page.$$eval('#history tr[data-id]', (t) => t.map((r) => r.dataset.id));
  await page.click('#pg-next');
  await page.waitForFunction((t) => document.getElementById('pg-info').textContent === '51–100 of ' + t, total);
  const second = await page.$$eval('#history tr[data-id]', (t) => t.map((r) => r.dataset.id));
  check(second.length === 50 && !second.some((id) => first.includes(id)), 'Next shows the next 50 jobs');
  const all = await api('/api/jobs?state=done&limit=500');
  check(JSON.stringify(all.jobs.slice(50, 100).map((j) => j.id)) === JSON.stringify(second),
    'page 2 is jobs 51–100 of the newest-first list');
  // the last page
  while (!(await page.$eval('#pg-next', (b) => b.disabled))) {
    const info = await page.textContent('#pg-info');
    await page.click('#pg-next');
    await page.waitForFunction((i) => document.getElementById('pg-info').textContent !== i, info);
  }
  await page.waitForFunction((t) => document.getElementById('pg-info').textContent.endsWith('–' + t + ' of ' + t), total);
  check(true, 'paging reaches the last job (' + (await page.textContent('#pg-info')) + ')');

  // search by CSID, by job id; a filter by state
  await page.fill('#f-q', 'acme');
  await page.click('#find button[type=submit]');
  await page.waitForFunction(() => document.getElementById('pg-info').textContent === '1–3 of 3');
  const csids = await page.$$eval('#history tr[data-id] td:nth-child(4)', (t) => t.map((c) => c.textContent));
  check(csids.length === 3 && csids.every((c) => c === 'ACME Sales 42'), 'search "acme" finds the 3 ACME faxes: ' + csids);
  const id = all.jobs[137].id;
  await page.fill('#f-q', id);
  await page.click('#find button[type=submit]');
  await page.waitForFunction(() => document.getElementById('pg-info').textContent === '1–1 of 1');
  check(await page.$eval('#history tr[data-id]', (r) => r.dataset.id) === id, 'search by job id finds that job');
  const csv = await (await fetch(base + (await page.getAttribute('#jobs-csv', 'href')))).text();
  check(csv.split('\r\n').filter(Boolean).length === 2 && csv.includes(id), 'the CSV link exports what the search found');
  const csvAll = await (await fetch(base + '/api/jobs.csv?state=done')).text();
  check(csvAll.split('\r\n').filter(Boolean).length === total + 1, 'the CSV of all delivered jobs has ' + total + ' rows');
  await page.fill('#f-q', '');
  // line and date filters: tomorrow onwards nothing, today all; no fax9
  const day = (d) => d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
  await page.fill('#f-from', day(new Date(Date.now() + 86400000)));
  await page.click('#find button[type=submit]');
  await page.waitForFunction(() => document.getElementById('pg-info').textContent === '0–0 of 0');
  check((await page.textContent('#history')).includes('no job matches'), 'From tomorrow: no job matches');
  await page.fill('#f-from', day(new Date()));
  await page.fill('#f-to', day(new Date()));
  await page.fill('#f-line', 'fax0');
  await page.click('#find button[type=submit]');
  await page.waitForFunction((t) => document.getElementById('pg-info').textContent === '1–50 of ' + t, total);
  check(true, 'From/To today and line fax0: all ' + total);
  await page.fill('#f-line', 'fax9');
  await page.click('#find button[type=submit]');
  await page.waitForFunction(() => document.getElementById('pg-info').textContent === '0–0 of 0');
  check(true, 'line fax9: none');
  for (const f of ['#f-line', '#f-from', '#f-to']) await page.fill(f, '');
  const ft = (await api('/api/jobs?state=failed&limit=1')).total;
  await page.selectOption('#f-state', 'failed');
  await page.waitForFunction((n) => document.getElementById('pg-info').textContent === '1–' + n + ' of ' + n, ft);
  const states = await Promise.all((await page.$$eval('#history tr[data-id]', (t) => t.map((r) => r.dataset.id)))
    .map(async (i) => (await api('/api/jobs/' + encodeURIComponent(i))).state || 'broken'));
  check(states.length > 0 && states.every((s) => s === 'failed' || s === 'broken'), 'the state filter lists failed jobs: ' + states);
  await page.selectOption('#f-state', 'done');
  await page.waitForFunction((t) => document.getElementById('pg-info').textContent === '1–50 of ' + t, total);
}

async function partialBadge(page) {
  const partial = (await api('/api/jobs?state=done&limit=500')).jobs.find((j) => j.partial);
  check(!!partial, 'the API lists the partial fax with partial: true');
  await page.fill('#f-q', partial.id);
  await page.click('#find button[type=submit]');
  await page.waitForSelector('#history tr[data-id="' + partial.id + '"] .badge');
  const b = await page.textContent('#history tr[data-id="' + partial.id + '"] .badge');
  check(b === 'partial: 2 pages, the sender hung up during page 3', 'the partial fax carries its badge: ' + b);
  await page.click('#history tr[data-id="' + partial.id + '"] td:nth-child(4)');
  await page.waitForSelector('#drawer:not([hidden]) #detail-badges .badge');
  check((await page.textContent('#detail-badges')).includes('partial: 2 pages'), 'and so does its detail');
  check(await page.evaluate(() => document.activeElement.id) === 'detail-close',
    'a click on a row moves focus into the drawer (its Close button)');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#drawer', { state: 'hidden' });
  const backAt = await page.evaluate(() => document.activeElement.outerHTML.slice(0, 120));
  check(await page.evaluate((i) => document.activeElement.matches('tr[data-id="' + i + '"] a.open'), partial.id),
    'Esc after a click: focus returns to the clicked row\'s link: ' + backAt);
  await page.fill('#f-q', '');
  await page.click('#find button[type=submit]');
}

async function keyboard(page) {
  await page.waitForSelector('#history tr[data-id] a.open');
  const id = await page.$eval('#history tr[data-id]', (r) => r.dataset.id);
  await page.focus('#history tr[data-id] a.open');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#drawer:not([hidden])');
  await page.waitForFunction((i) => document.getElementById('detail-id').textContent.startsWith(i + ' ('), id);
  check(await page.evaluate(() => location.hash) === '#job=' + id, 'Enter on a row opens its job at #job=ID');
  check(await page.evaluate(() => document.activeElement.id) === 'detail-close',
    'focus moves into the drawer, on its Close button');
  await focusStaysIn(page);
  await page.waitForFunction(() => document.getElementById('log-t30').textContent.includes('MCF'));
  check(true, 'the drawer shows the T.30 transcript');
  await shot(page, 'web-page-drawer-1280', true);
  // the viewer at readable size, downloads
  await page.click('#detail-pages button');
  await page.waitForSelector('#viewer:not([hidden])');
  const w = await page.$eval('#v-img', async (img) => {
    if (!img.complete) await new Promise((res) => { img.onload = res; img.onerror = res; });
    return img.naturalWidth;
  });
  check(w === 1728, 'a page opens in the viewer at full width (' + w + ' px)');
  await page.keyboard.press('Escape');
  check(await page.$eval('#viewer', (v) => v.hidden) && !(await page.$eval('#drawer', (d) => d.hidden)),
    'Esc closes the viewer first, the drawer stays');
  const tif = Buffer.from(await (await fetch(base + (await page.getAttribute('#dl-tif', 'href')))).arrayBuffer());
  const pdf = Buffer.from(await (await fetch(base + (await page.getAttribute('#dl-pdf', 'href')))).arrayBuffer());
  check(tif.slice(0, 4).toString('latin1') === 'II*\0' || tif.slice(0, 4).toString('latin1') === 'MM\0*',
    'the TIFF download is a TIFF (' + tif.length + ' bytes)');
  check(pdf.slice(0, 5).toString('latin1') === '%PDF-', 'the PDF download is a PDF (' + pdf.length + ' bytes)');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#drawer', { state: 'hidden' });
  check(await page.evaluate(() => location.hash) === '', 'Esc closes the drawer and its URL');
  check(await page.evaluate((i) => document.activeElement && document.activeElement.closest('tr') &&
    document.activeElement.closest('tr').dataset.id === i, id), 'focus returns to the row it came from');
}

// Tab from the drawer's last control and Shift+Tab from its first stay in
// the drawer (it is a modal dialog), wrapping around.
async function focusStaysIn(page) {
  const lastId = await page.evaluate(() => {
    const sel = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';
    const cs = [...document.getElementById('drawer').querySelectorAll(sel)]
      .filter((e) => !e.disabled && !e.closest('[hidden]') && e.getClientRects().length > 0);
    const l = cs[cs.length - 1];
    l.focus();
    return l.id;
  });
  await page.keyboard.press('Tab');
  const after = await page.evaluate(() => [document.getElementById('drawer').contains(document.activeElement),
    document.activeElement.id]);
  check(lastId === 'log-smtp' && after[0] && after[1] === 'detail-close',
    'Tab from the drawer\'s last control (' + lastId + ') stays in it, on ' + after[1]);
  await page.keyboard.press('Shift+Tab');
  check(await page.evaluate(() => document.activeElement.id) === 'log-smtp',
    'Shift+Tab from its first control goes round to its last');
  for (let i = 0; i < 30; i++) await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.getElementById('drawer').contains(document.activeElement)),
    'thirty Tabs later focus is still in the drawer');
  await page.focus('#detail-close');
}

async function deepLink(browserCtx, id) {
  const p = await browserCtx.newPage();
  await p.goto(base + '/#job=' + encodeURIComponent(id));
  await p.waitForFunction((i) => document.getElementById('detail-id').textContent.startsWith(i + ' ('), id);
  check(!(await p.$eval('#drawer', (d) => d.hidden)), 'a deep link #job=ID opens that job');
  await p.waitForFunction(() => document.activeElement.id === 'detail-close');
  check(true, 'a deep link moves focus into the drawer (its Close button)');
  await p.keyboard.press('Escape');
  await p.waitForSelector('#drawer', { state: 'hidden' });
  await p.close();
}

async function login(page) {
  await page.fill('#token', token);
  await page.click('#login');
  await page.waitForSelector('#session:not([hidden])');
}

async function safeActions(page) {
  const failedJobs = (await api('/api/jobs?state=failed&limit=100')).jobs;
  const broken = failedJobs.find((j) => j.broken);
  const good = failedJobs.filter((j) => !j.broken);
  check(!!broken, 'the job with a corrupt meta.json is listed');
  const row = '#queue-failed tr[data-id="' + broken.id + '"]';
  await page.waitForSelector(row + ' .badge');
  check((await page.textContent(row + ' .badge')) === 'meta.json unreadable', 'it shows as unreadable, not "undefined"');
  check(!(await page.textContent('#queue-failed')).includes('undefined'), 'no "undefined" in the failed list');
  // Delete from the failed list asks first; Cancel keeps the job
  await page.click(row + ' button.delete');
  await page.waitForSelector('#confirm:not([hidden])');
  check((await page.textContent('#confirm-text')).includes(broken.id), 'Delete asks for confirmation, naming the job');
  await page.click('#confirm-no');
  check((await fetch(base + '/api/jobs/' + encodeURIComponent(broken.id))).status === 200, 'Cancel keeps the job');
  await page.click('#act-delete');
  await page.click('#confirm-yes');
  await page.waitForFunction(() => /deleted/.test(document.getElementById('msg').textContent));
  check((await fetch(base + '/api/jobs/' + encodeURIComponent(broken.id))).status === 404, 'the corrupt job is deleted');

  // a job being delivered cannot be deleted: 409, and the page says why
  const queued = (await api('/api/jobs?state=queue&limit=10')).jobs[0];
  process.kill(Number(serverPid), 'SIGUSR2');   // claimed, as a delivery does
  await page.goto(base + '/#job=' + encodeURIComponent(queued.id));
  await page.waitForFunction((i) => document.getElementById('detail-id').textContent === i + ' (queue)', queued.id);
  const del = await fetch(base + '/api/jobs/' + encodeURIComponent(queued.id),
    { method: 'DELETE', headers: { Authorization: 'Bearer ' + token } });
  check(del.status === 409, 'DELETE of a job being delivered is 409 (' + del.status + ')');
  await page.click('#act-delete');
  await page.click('#confirm-yes');
  await page.waitForFunction(() => /being delivered/.test(document.getElementById('msg').textContent));
  check((await fetch(base + '/api/jobs/' + encodeURIComponent(queued.id))).status === 200,
    'the page says it is being delivered, and the job is still there');
  process.kill(Number(serverPid), 'SIGUSR2');   // released
  await page.keyboard.press('Escape');

  // retry: the note is replaced by the next attempt's outcome; the open
  // drawer follows the job without a click
  const id = good[0].id;
  await page.goto(base + '/#job=' + encodeURIComponent(id));
  await page.waitForFunction((i) => document.getElementById('detail-id').textContent === i + ' (failed)', id);
  await page.click('#act-retry');
  await page.waitForFunction(() => /queued again/.test(document.getElementById('msg').textContent));
  await page.waitForFunction((i) => document.getElementById('detail-id').textContent === i + ' (queue)', id);
  check(true, 'the open drawer shows the retried job back in the queue');
  // its next attempt fails (twice: the older pending job may be first)
  process.kill(Number(serverPid), 'SIGUSR1');
  await page.waitForTimeout(500);
  process.kill(Number(serverPid), 'SIGUSR1');
  await page.waitForFunction(() => /failed again: 550/.test(document.getElementById('msg').textContent),
    null, { timeout: TIMEOUT });
  check(true, 'the note becomes the outcome: ' + (await page.textContent('#msg')));
  await page.waitForFunction((i) => document.getElementById('detail-id').textContent === i + ' (failed)', id,
    { timeout: TIMEOUT });
  check(true, 'and the drawer refreshed to failed by itself');
  await page.keyboard.press('Escape');
}

async function fourTabs(ctx) {
  const pages = [];
  const codes = {};
  let events = 0;
  for (let i = 0; i < 4; i++) {
    const p = await ctx.newPage();
    p.on('response', (r) => { codes[r.status()] = (codes[r.status()] || 0) + 1; });
    p.on('request', (r) => { if (r.url().endsWith('/api/events')) events++; });
    await p.goto(base + '/');
    pages.push(p);
  }
  const t0 = Date.now();
  while (Date.now() - t0 < 60000) {   // the old page (polling) got 89 429s in 60 s
    await pages[0].waitForTimeout(2000);
    // each tab opens and closes a job now and then, as people do
    const p = pages[Math.floor((Date.now() / 2000) % 4)];
    const id = await p.$eval('#history tr[data-id]', (r) => r.dataset.id).catch(() => null);
    if (id) await p.evaluate((i) => { location.hash = 'job=' + encodeURIComponent(i); }, id);
  }
  const fresh = await Promise.all(pages.map((p) => p.evaluate(() => document.getElementById('updated').textContent)));
  check(!codes[429], 'four tabs for 60 s: no 429 (' + JSON.stringify(codes) + ')');
  check(fresh.every((t) => t.startsWith('updated ')), 'every tab is kept up to date: ' + fresh.join(' | '));
  check(events === 4, 'one event stream per tab (' + events + ')');
  for (const p of pages) await p.close();
}

async function phone(ctx) {
  const p = await ctx.newPage({ viewport: { width: 390, height: 844 } });
  await p.setViewportSize({ width: 390, height: 844 });
  await p.goto(base + '/');
  await p.waitForSelector('#history tr[data-id]');
  const sw = await p.evaluate(() => document.documentElement.scrollWidth);
  check(sw <= 390, 'at 390 px the page does not overflow sideways (' + sw + ' px)');
  await shot(p, 'web-page-390');
  await audit(p, '390 px');
  const id = await p.$eval('#history tr[data-id]', (r) => r.dataset.id);
  await p.goto(base + '/#job=' + encodeURIComponent(id));
  await p.waitForSelector('#drawer:not([hidden])');
  await p.waitForFunction(() => document.getElementById('log-t30').textContent.length > 0);
  const dw = await p.evaluate(() => document.documentElement.scrollWidth);
  check(dw <= 390, 'the drawer fits 390 px too (' + dw + ' px)');
  await shot(p, 'web-page-drawer-390', true);   // the drawer is fixed: the viewport shows it
  await audit(p, 'drawer at 390 px');
  await p.close();
}

async function downBanner(page) {
  await page.goto(base + '/');
  await page.waitForFunction(() => document.getElementById('updated').textContent.startsWith('updated'));
  check(await page.$eval('#banner', (b) => !b.textContent.includes('unreachable')), 'no "unreachable" banner while the server runs');
  process.kill(Number(serverPid), 'SIGKILL');
  await page.waitForFunction(() => /unreachable/.test(document.getElementById('banner').textContent) &&
    !document.getElementById('banner').hidden, null, { timeout: TIMEOUT });
  check(/^\(unreachable\)/.test(await page.title()), 'the title says unreachable: ' + (await page.title()));
  check(await page.evaluate(() => document.body.classList.contains('stale')), 'the tables are marked stale');
  await shot(page, 'web-page-down-1280');
}

// The badges from the copy-quality fields as meta.json has them (areas.md).
async function qualityBadges(ctx) {
  const p = await ctx.newPage();
  await p.goto(qualityBase + '/');
  await p.waitForSelector('#history tr[data-id] .badge');
  const b = await p.$$eval('#history tr[data-id] .badge', (t) => t.map((x) => x.textContent));
  check(b.includes('partial: 2 of 3 pages, no carrier after page 2'), 'partial badge: N of M pages, why: ' + b);
  check(b.includes('poor page 2'), 'poor page badge names the page: ' + b);
  check(await p.$eval('#scanner-box', (x) => x.hidden), 'without a scanner the scanner panel is hidden');
  const id = await p.$eval('#history tr[data-id]', (r) => r.dataset.id);
  await p.goto(qualityBase + '/#job=' + encodeURIComponent(id));
  await p.waitForSelector('#detail-badges .badge');
  const d = await p.$$eval('#detail-badges .badge', (t) => t.map((x) => x.textContent));
  check(d.includes('poor page 2') && d.some((x) => x.startsWith('partial: 2 of 3')), 'and in the job detail: ' + d);
  await p.close();
}

(async () => {
  const browser = await launch();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  try {
    await page.goto(base + '/');
    await page.waitForSelector('#history tr[data-id]');
    await page.waitForFunction(() => document.getElementById('updated').textContent.startsWith('updated'));
    check(/^\(\d+ failed\) ifaxgw$/.test(await page.title()), 'the failed count is in the title: ' + (await page.title()));
    check(/failed/.test(await page.textContent('#banner')) && !(await page.$eval('#banner', (b) => b.hidden)),
      'the banner says jobs have failed');
    check(await page.$eval('#scanner-box', (s) => !s.hidden), 'the scanner panel shows (the test server has one)');
    const live = await page.$$eval('#lines tr:nth-child(2) td', (t) => t.map((c) => c.textContent));
    check(/^receiving page 2 at 14400 bit\/s, no progress for 1 min (0[5-9]|1\d) s$/.test(live[1]), // 70 s, give or take the status tick
      'a live line tells its page, trained rate and that nothing moved: ' + live[1]);
    check(live[2] === '+4940123456' && live[3] === '200' && live[4] === '<i>LIVE</i> CSID',
      'and the caller, called number and CSID (as text): ' + live.slice(2, 5));
    check(/^(1 min 5\d|2 min 0\d) s$/.test(live[5]), 'and the elapsed time: ' + live[5]); // 2 min, give or take the tick
    const sub = await page.$$eval('#lines tr.subcall', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    check(sub.length === 2 && sub[0][0].includes('0f1e2d3c') && sub[1][0].includes('11111111'),
      'an AudioSocket line: a sub-row per call, short UUID: ' + sub.map((r) => r[0]));
    check(sub.length === 2 && sub[0][4] === '<img src=x onerror=alert(1)>\\xFF' && sub[0][2] === '<b>49\\xFC</b>' &&
      (await page.$$('#lines img, #lines b')).length === 0,
      'its CSID and caller shown as text, nothing injected: ' + (sub[0] || []).slice(2, 5));
    check(sub.length === 2 && /^receiving page 2 at 9600 bit\/s/.test(sub[0][1]) && sub[1][1] === 'training at 14400 bit/s' &&
      /^1 min 3\d s$/.test(sub[0][5]), 'each call\'s state and time: ' + (sub[0] || []).slice(0, 2) + ' ' + (sub[0] || [])[5]);
    await shot(page, 'web-page-1280');
    await audit(page, '1280 px');
    await qualityBadges(ctx);
    await paging(page);
    await partialBadge(page);
    await keyboard(page);
    await deepLink(ctx, (await api('/api/jobs?state=done&limit=1')).jobs[0].id);
    await login(page);
    await safeActions(page);
    await fourTabs(ctx);
    await phone(ctx);
    await downBanner(page);
  } catch (e) {
    check(false, 'exception: ' + e.stack);
    try { await shot(page, 'web-page-error'); } catch (e2) { /* ignore */ }
  } finally {
    await browser.close();
  }
  check(consoleErrors.every((e) => /ERR_CONNECTION_REFUSED|net::ERR|Failed to load resource/.test(e) && !/429/.test(e)),
    'no console errors (no 429) but the refused connections at the end: ' + JSON.stringify(consoleErrors.slice(0, 5)));
  console.log(failed() + ' failure(s)');
  process.exit(failed() ? 1 : 0);
})();
