// browser_ascalls.js - Debian's chromium (playwright-core) against the status
// page of a running `ifaxgw run` with an AudioSocket line taking two calls
// (tests/integration/test_system_audiosocket_web.sh).
//   node browser_ascalls.js BASE_URL LINE UUID1 UUID2 SCREENSHOT_PATH
// While both calls are in progress: under the line's row one sub-row per
// call (its UUID in the row's data-call, the short form shown, the whole
// on hover), each with its caller and called from the announcement and,
// once sent, its CSID exactly as the API gives it (a CSID that is markup
// shows as text: no element injected, no dialog); the line's own row says
// how many calls it has. Prints "ok ..." / "FAIL ..." lines; exit 1 on any
// failure.
'use strict';
const { check, jsonGetter, runPage } = require('./browser_lib');

const [base, line, u1, u2, shot] = process.argv.slice(2);
const api = jsonGetter(base);

// The API's calls of the line once both have a CSID; null when one of
// them was listed and has gone before that (the calls ended). The loop
// bound only guards against a hang (the calls last under a minute).
async function bothWithCsid() {
  const seen = new Set();
  for (let i = 0; i < 6000; i++) {
    const l = (await api('/api/status')).lines.find((x) => x.name === line);
    const cs = (l && l.calls) || [];
    const mine = [u1, u2].map((u) => cs.find((c) => c.uuid === u));
    if (mine.every((c) => c && c.csid)) return mine;
    if ([u1, u2].some((u, k) => seen.has(u) && !mine[k])) return null;
    mine.forEach((c) => c && seen.add(c.uuid));
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

runPage(shot, async (page) => {
  await page.goto(base + '/');
  const calls = await bothWithCsid();
  check(calls !== null, 'the API lists both calls with their CSIDs');
  if (!calls) return;
  for (const c of calls) {
    const sel = '#lines tr.subcall[data-call="' + c.uuid + '"]';
    await page.waitForFunction(([s, csid]) => {
      const tr = document.querySelector(s);
      return tr && [...tr.cells].some((td) => td.textContent === csid);
    }, [sel, c.csid], { timeout: 120000 }); // a hang guard: the page updates every second
    const cells = await page.$$eval(sel + ' td', (tds) => tds.map((t) => t.textContent));
    const title = await page.$eval(sel + ' td.callid', (td) => td.title);
    check(cells[0].includes(c.uuid.slice(0, 8)) && title === c.uuid,
      'call ' + c.uuid + ': a sub-row with its short UUID (' + cells[0] + ')');
    check(cells[2] === c.caller && cells[3] === c.called,
      'call ' + c.uuid + ': caller ' + cells[2] + ' -> called ' + cells[3]);
    check(cells[4] === c.csid, 'call ' + c.uuid + ': CSID shown as text: ' + cells[4]);
    check(/ s$/.test(cells[5]), 'call ' + c.uuid + ': its call time: ' + cells[5]);
  }
  const rows = await page.$$eval('#lines tr', (trs) => trs.map((t) => t.className + '|' + t.textContent));
  const at = rows.findIndex((r) => r.startsWith('|' + line));
  check(at >= 0 && rows[at + 1].startsWith('subcall') && rows[at + 2].startsWith('subcall'),
    'the sub-rows sit under the line\'s row');
  check(/\d of \d+ calls/.test(rows[at]), 'the line\'s row counts its calls: ' + rows[at]);
  check((await page.$$('#lines svg, #lines img, #lines script')).length === 0,
    'no element was injected by a CSID');
});
