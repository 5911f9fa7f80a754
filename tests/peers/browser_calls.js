// browser_calls.js - the Calls view of the status page in chromium: the
// call log with a failed call, the T.30 ladder of a real call, raw hex one
// click away, search and filter, keyboard, far-end text shown as text.
//   node browser_calls.js BASE_URL FAILED_ID GOOD_ID JOB_ID SCREENSHOT
'use strict';
const { check, jsonGetter, runPage } = require('./browser_lib');

const [base, failedId, goodId, jobId, shot] = process.argv.slice(2);
const getJSON = jsonGetter(base);

const rowSel = (id) => `#calls tr[data-call="${id}"]`;
const texts = (page, sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent));

runPage(shot, async (page) => {
  const cspErrors = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) cspErrors.push(m.text()); });
  page.on('pageerror', (e) => cspErrors.push(String(e)));
  await page.goto(base + '/');
  await page.waitForSelector(rowSel(failedId));

  // the log: every call, the failed one marked, newest first
  const api = await getJSON('/api/calls');
  const ids = await page.$$eval('#calls tr[data-call]', (trs) => trs.map((t) => t.dataset.call));
  check(ids.length === api.total && ids.length === 3, 'the log lists all ' + api.total + ' calls (' + ids.length + ')');
  check(JSON.stringify(ids) === JSON.stringify(api.calls.map((c) => c.id)), 'newest first, as the API');
  const failedRow = await page.$(rowSel(failedId));
  check((await failedRow.getAttribute('class')) === 'result-failed', 'the failed call is marked as failed');
  const cells = await failedRow.$$eval('td', (tds) => tds.map((t) => t.textContent));
  check(cells[6] === 'failed' && cells[7] === '0', 'result "failed", 0 pages: ' + cells.join(' | '));
  check(/no page received/.test(cells[9]), 'with its reason: ' + cells[9]);
  check((await page.$eval(rowSel(goodId) + ' td:last-child', (t) => t.textContent)) === jobId,
        'the good call names its job');
  const hostile = await page.$$eval('#calls td', (tds) => tds.filter((t) => t.textContent.includes('<script>')).length);
  check(hostile === 1, 'the hostile CSID shows as text');
  check((await page.$$('#calls script, #calls b')).length === 0, 'and adds no element');
  const title = await page.$eval(rowSel(failedId) + ' button time', (t) => t.title);
  check(/UTC$/.test(title), 'local time, UTC on hover: ' + title);

  // the ladder of the real (good) call
  await page.click(rowSel(goodId));
  await page.waitForSelector('#ladder tbody tr');
  const call = await getJSON('/api/calls/' + goodId);
  const steps = await texts(page, '#ladder tbody td.frame');
  check(JSON.stringify(steps) === JSON.stringify(call.ladder.steps.map((s) => s.name)),
        'the ladder shows every step: ' + steps.join(' '));
  const meaning = await texts(page, '#ladder tbody td:nth-child(4)');
  check(meaning.some((m) => m.startsWith('V.17 14400, fine 204x196, MMR (T.6)')), 'DCS decoded: speed, resolution, coding');
  check(meaning.some((m) => m === 'page 2 confirmed'), 'MCF read as "page 2 confirmed"');
  check((await page.$$('#ladder tr.level-fail')).length === 0, 'no failure in a good call');
  const dirs = await texts(page, '#ladder tbody td.dir');
  check(dirs[0] === '\u2192 us' && dirs[2] === '\u2190 caller', 'directions: ' + dirs.slice(0, 3).join(', '));
  const hexSel = '#ladder tbody tr:nth-child(4) code.hex';
  const hexShown = await page.isVisible(hexSel);
  check((await page.$$eval('#ladder code.hex', (cs) => cs.filter((c) => c.offsetParent !== null).length)) === 0,
        'raw hex is not shown before a click');
  await page.click('#ladder tbody tr:nth-child(4) button.hex-toggle');
  const hex = await page.isVisible(hexSel) ? await page.$eval(hexSel, (c) => c.textContent) : '';
  check(!hexShown && hex === 'ff 13 83 00 62 f8 44', 'raw hex one click away: ' + hex);
  check(/Raw T\.30 transcript/.test(await page.$eval('#call-detail details summary', (s) => s.textContent)),
        'the raw transcript is there too');

  // the failed call's ladder, opened by keyboard: the failure highlighted
  await page.focus(rowSel(failedId) + ' button.call-open');
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.querySelector('#call-detail h3').textContent.includes(id), failedId);
  const fails = await texts(page, '#ladder tr.level-fail td:nth-child(4)');
  check(fails.length === 1 && /call failed: no page received/.test(fails[0]), 'failure highlighted: ' + fails.join());
  const bg = await page.$eval('#ladder tr.level-fail td', (t) => getComputedStyle(t).backgroundColor);
  check(bg === 'rgb(248, 212, 212)', 'in red: ' + bg);
  await page.screenshot({ path: shot.replace(/\.png$/, '-ladder.png'), fullPage: true });

  // search and filter
  await page.fill('#calls-q', jobId);
  await page.press('#calls-q', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#calls tr[data-call]').length === 1);
  check((await page.$$eval('#calls tr[data-call]', (t) => t.map((x) => x.dataset.call)))[0] === goodId,
        'search by job id finds its call');
  await page.fill('#calls-q', '');
  await page.selectOption('#calls-result', 'failed');
  await page.waitForFunction((id) => {
    const t = document.querySelectorAll('#calls tr[data-call]');
    return t.length === 1 && t[0].dataset.call === id;
  }, failedId);
  check(true, 'filter result=failed shows the failed call only');
  const csv = await page.$eval('#calls-csv', (a) => a.getAttribute('href'));
  check(csv === '/api/calls.csv?result=failed', 'CSV export keeps the filter: ' + csv);
  check(cspErrors.length === 0, 'no CSP violation or script error: ' + cspErrors.join('; '));

  // a call has a link of its own
  check(page.url().endsWith('#call=' + failedId), 'the open call is in the URL: ' + page.url());
  await page.goto(base + '/#call=' + goodId);
  await page.waitForFunction((id) => {
    const h = document.querySelector('#call-detail h3');
    return h && h.textContent.includes(id) && document.querySelectorAll('#ladder tbody tr').length > 5;
  }, goodId);
  check(true, 'the link opens that call\'s ladder');
  await page.click('#call-detail h3 button');
  check(!page.url().includes('#call='), 'closing the call drops it from the URL');

  // phone width: the view does not widen the page
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto(base + '/#call=' + failedId);
  await page.waitForSelector('#ladder tbody tr');
  const over = await page.$eval('#calls-box', (b) => [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right]);
  check(over[0] <= over[1] && over[2] <= 390, 'at 390 px the Calls view fits (scroll/client/right ' + over.join('/') + ')');
  await page.screenshot({ path: shot.replace(/\.png$/, '-390.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 1400 });

  // accessibility of the view (axe-core, when installed with the peers)
  let axe = null;
  try { axe = require.resolve('axe-core'); } catch (e) { console.log('skip axe-core: not installed'); }
  if (axe) {
    await page.goto(base + '/#call=' + failedId);
    await page.waitForSelector('#ladder tbody tr');
    // evaluated through the debugging protocol: the page's CSP forbids
    // injected script tags, rightly
    await page.evaluate(require('fs').readFileSync(axe, 'utf8'));
    const res = await page.evaluate(() => window.axe.run('#calls-box'));
    const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    check(bad.length === 0, 'axe: no serious or critical violation in the Calls view: ' +
          bad.map((v) => v.id + ' (' + v.nodes.length + ': ' + v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' ' + (n.any[0] && n.any[0].message || '')).join(' / ') + ')').join(', '));
  }
});
