// browser_system.js - Debian's chromium (playwright-core) against the status
// page of a running `ifaxgw run` (tests/integration/test_system_web.sh).
//   node browser_system.js BASE_URL TOKEN CSID SCREENSHOT_PATH PINNED_ADDR
// Expects one received fax (remote CSID = CSID) already delivered. Checks:
// its history row shows a loaded thumbnail, the CSID as text (no element
// injected), the 250 reply and the negotiated profile; the audio line is
// idle with that last call; starting a scan without the token is refused;
// after login a scan from the panel becomes a job that is delivered; the
// received fax, opened in its drawer, is resent to PINNED_ADDR (a route pins
// it to a second device host): the link to the new job opens it, and it
// shows delivered (the shell test checks the second device got it).
// Prints "ok ..." / "FAIL ..." lines and exits 1 on any failure.
'use strict';
const { check, jsonGetter, runPage } = require('./browser_lib');

const [base, token, csid, shot, pinned] = process.argv.slice(2);
const api = jsonGetter(base);

async function receivedFax(page) {
  await page.waitForSelector('#history tr[data-id] img.thumb');
  const thumbOk = await page.$eval('#history tr[data-id] img.thumb', async (img) => {
    if (!img.complete) await new Promise((res) => { img.onload = res; img.onerror = res; });
    return img.naturalWidth > 0 && img.naturalHeight > 0;
  });
  check(thumbOk, 'the received fax shows with a loaded page thumbnail');
  const cells = await page.$$eval('#history td', (tds, c) => tds.filter((t) => t.textContent === c).length, csid);
  check(cells === 1, 'its CSID ' + csid + ' shows as text');
  check((await page.$$('#pwn')).length === 0, 'no element was injected by the CSID');
  const reply = await page.$eval('#history tr[data-id] td.reply', (td) => td.textContent);
  check(reply.startsWith('250 '), 'the device\'s 250 reply shows: ' + reply);
  const job = (await api('/api/jobs?state=done')).jobs[0];
  check(/^J JBIG /.test(job.recipients[0].profile), 'negotiated profile recorded: ' + job.recipients[0].profile);
  const line = await page.$eval('#lines tr:first-child', (tr) => tr.textContent);
  check(line.includes('a0') && line.includes('idle') && line.includes(csid),
    'the line is idle and shows its last call: ' + line);
}

async function scanFromPanel(page) {
  await page.selectOption('#scan-profile', 'office');
  await page.click('#scan-start');
  await page.waitForFunction(() => document.getElementById('msg').textContent.startsWith('refused'));
  check(/refused: HTTP 401/.test(await page.textContent('#msg')), 'a scan without the token is refused');
  check((await api('/api/status')).scanner.state !== 'scanning', 'and no scan started');

  await page.fill('#token', token);
  await page.click('#login');
  await page.waitForSelector('#session:not([hidden])');
  await page.selectOption('#scan-profile', 'office');
  await page.click('#scan-start');
  await page.waitForFunction(() => document.getElementById('msg').textContent.startsWith('scan started'));
  await page.waitForFunction(() => /last scan became job/.test(document.getElementById('scan-progress').textContent),
    null, { timeout: 120000 });
  const st = (await api('/api/status')).scanner;
  check(st.pages === 10 && st.job, 'the panel shows the scan\'s job and 10 pages');
  await page.waitForSelector('#history tr[data-id="' + st.job + '"]', { timeout: 120000 });
  const j = await api('/api/jobs/' + encodeURIComponent(st.job));
  check(j.source === 'scan' && j.pages === 10 && j.recipients[0].state === 'delivered' &&
    j.recipients[0].reply.startsWith('250 '), 'the scan was delivered to the device');
}

async function resendPinned(page) {
  const fax = (await api('/api/jobs?state=done')).jobs.find((j) => j.source === 'fax');
  await page.click('#history tr[data-id="' + fax.id + '"] a.open');
  await page.waitForFunction((i) => document.getElementById('detail-id').textContent.startsWith(i), fax.id);
  await page.fill('#resend-to', pinned);
  await page.click('#act-resend');
  await page.waitForSelector('#resent-link');
  const href = await page.getAttribute('#resent-link', 'href');
  const nid = decodeURIComponent(href.replace(/^#job=/, ''));
  check(nid && nid !== fax.id, 'the resend links to a new job: ' + nid);
  await page.click('#resent-link');
  await page.waitForFunction((i) => document.getElementById('detail-id').textContent.startsWith(i), nid);
  check(await page.evaluate(() => location.hash) === href, 'the link opens the new job at ' + href);
  // the drawer refreshes while open: its recipient becomes delivered
  await page.waitForFunction((a) => [...document.querySelectorAll('#detail-rcpts tr')].some((tr) =>
    tr.children[0].textContent === a && tr.children[1].textContent === 'delivered'), pinned, { timeout: 120000 });
  const reply = await page.$eval('#detail-rcpts tr td.reply', (td) => td.textContent);
  check(reply.startsWith('250 '), 'the new job shows delivered to ' + pinned + ' in its drawer: ' + reply);
  await page.waitForSelector('#history tr[data-id="' + nid + '"]', { timeout: 120000 });
  const j = await api('/api/jobs/' + encodeURIComponent(nid));
  check(j.state === 'done' && j.recipients.length === 1 && j.recipients[0].address === pinned &&
    j.recipients[0].state === 'delivered', 'and in the API: done, delivered to ' + pinned);
  await page.keyboard.press('Escape');
}

runPage(shot, async (page) => {
  page.setDefaultTimeout(60000);
  await page.goto(base + '/');
  await receivedFax(page);
  await scanFromPanel(page);
  await resendPinned(page);
});
