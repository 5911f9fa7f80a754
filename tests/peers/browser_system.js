// browser_system.js - Debian's chromium (playwright-core) against the status
// page of a running `ifaxgw run` (tests/integration/test_system_web.sh).
//   node browser_system.js BASE_URL TOKEN CSID SCREENSHOT_PATH
// Expects one received fax (remote CSID = CSID) already delivered. Checks:
// its history row shows a loaded thumbnail, the CSID as text (no element
// injected), the 250 reply and the negotiated profile; the audio line is
// idle with that last call; starting a scan without the token is refused;
// after login a scan from the panel becomes a job that is delivered.
// Prints "ok ..." / "FAIL ..." lines and exits 1 on any failure.
'use strict';
const { check, jsonGetter, runPage } = require('./browser_lib');

const [base, token, csid, shot] = process.argv.slice(2);
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

runPage(shot, async (page) => {
  page.setDefaultTimeout(60000);
  await page.goto(base + '/');
  await receivedFax(page);
  await scanFromPanel(page);
});
