// browser_test.js - drives Debian's chromium (playwright-core) against the
// ifaxgw status page served by tests/tools/web_testsrv.
//   node browser_test.js BASE_URL TOKEN SCREENSHOT_PATH
// Checks: a received fax shows with its thumbnail; a CSID of
// <script>alert(1)</script> shows as text and no dialog fires; an action
// without the token is refused; after login, retry works; a scan started
// from the panel becomes a queued job; the job detail shows transcripts.
// Prints "ok ..." / "FAIL ..." lines and exits 1 on any failure.
'use strict';
const { check, jsonGetter, runPage } = require('./browser_lib');

const [base, token, shot] = process.argv.slice(2);
const HOSTILE = '<script>alert(1)</script>';
const api = jsonGetter(base);

runPage(shot, async (page) => {
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto(base + '/');
  await page.waitForSelector('#history tr[data-id] img.thumb');

  // a received fax with its thumbnail
  const thumbOk = await page.$eval('#history tr[data-id] img.thumb', async (img) => {
    if (!img.complete) await new Promise((res) => { img.onload = res; img.onerror = res; });
    return img.naturalWidth > 0 && img.naturalHeight > 0;
  });
  check(thumbOk, 'history row shows a loaded page thumbnail');
  const rows = await page.$$eval('#history tr[data-id]', (trs) => trs.length);
  check(rows > 0, 'history lists delivered jobs (' + rows + ')');
  const reply = await page.$eval('#history tr[data-id] td.reply', (td) => td.textContent);
  check(reply.startsWith('250 '), 'history shows the remote 250 reply');

  // hostile CSID shows as text
  const csidCells = await page.$$eval('#history td', (tds, h) => tds.filter((t) => t.textContent === h).length, HOSTILE);
  check(csidCells > 0, 'CSID <script>alert(1)</script> shows as text');
  const injected = await page.$$eval('main script', (s) => s.length);
  check(injected === 0, 'no script element was injected into the page');
  const lineCsid = await page.$eval('#lines tr:first-child', (tr) => tr.textContent);
  check(lineCsid.includes(HOSTILE), 'the line\'s last call shows the CSID as text');

  // an action without the token is refused
  await page.waitForSelector('#queue-failed tr[data-id] button.retry');
  const failedId = await page.$eval('#queue-failed tr[data-id]', (tr) => tr.dataset.id);
  await page.click('#queue-failed tr[data-id] button.retry');
  await page.waitForFunction(() => document.getElementById('msg').textContent.startsWith('refused'));
  const msg = await page.textContent('#msg');
  check(/refused: HTTP 401/.test(msg), 'retry without the token is refused: ' + msg);
  check((await api('/api/jobs/' + encodeURIComponent(failedId))).state === 'failed',
    'the refused job is still failed');

  // log in, then retry works
  await page.fill('#token', token);
  await page.click('#login');
  await page.waitForSelector('#session:not([hidden])');
  check(true, 'logged in with the token');
  await page.click('#queue-failed tr[data-id="' + failedId + '"] button.retry');
  await page.waitForFunction(() => document.getElementById('msg').textContent.includes('queued again'));
  await page.waitForSelector('#queue-waiting tr[data-id="' + failedId + '"]');
  check((await api('/api/jobs/' + encodeURIComponent(failedId))).state === 'queue',
    'retry from the page moved the job to the queue');

  // scan from the panel
  await page.selectOption('#scan-profile', 'a4-fine');
  await page.fill('#scan-to', 'scan@device.test');
  await page.click('#scan-start');
  await page.waitForFunction(() => document.getElementById('msg').textContent.startsWith('scan started'));
  await page.waitForFunction(() => /last scan became job/.test(document.getElementById('scan-progress').textContent));
  const scanJob = (await api('/api/status')).scanner.job;
  await page.waitForSelector('#queue-waiting tr[data-id="' + scanJob + '"]');
  const sj = await api('/api/jobs/' + encodeURIComponent(scanJob));
  check(sj.source === 'scan' && sj.recipients[0].address === 'scan@device.test',
    'a scan started from the panel became a queued job for its recipient');

  // detail with transcripts
  await page.click('#history tr[data-id] td:nth-child(4)');
  await page.waitForFunction(() => document.getElementById('log-t30').textContent.includes('MCF'));
  const dd = await page.$$eval('#detail-fields dd', (d, h) => d.some((x) => x.textContent === h), HOSTILE);
  check(dd, 'job detail shows the CSID as text');
  check((await page.textContent('#log-smtp')).includes('250'), 'job detail shows the SMTP transcript');
  const detailThumbs = await page.$$eval('#detail-pages img', (i) => i.length);
  check(detailThumbs === 2, 'job detail shows a thumbnail per page');

  check(consoleErrors.every((e) => /401|Unauthorized/.test(e)),
    'no console errors besides the refused action: ' + JSON.stringify(consoleErrors));
});
