// browser_lib.js - what the browser tests share: Debian's chromium through
// playwright-core, a pass/fail counter printing "ok"/"FAIL" lines, a
// JSON GET against the server under test, and the page run around a test.
'use strict';
const { chromium } = require('playwright-core');

let failures = 0;

function check(cond, what) {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failures++;
}

function failed() {
  return failures;
}

function jsonGetter(base) {
  return async (path) => (await fetch(base + path)).json();
}

function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// Open a page, run body(page), save the screenshot (also after an
// exception), check that no dialog fired, print the total and exit 1 on any
// failure. body may register its own page listeners before it navigates.
async function runPage(shot, body) {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  try {
    await body(page);
    await page.screenshot({ path: shot, fullPage: true });
    console.log('screenshot: ' + shot);
    check(dialogs === 0, 'no dialog fired (' + dialogs + ')');
  } catch (e) {
    check(false, 'exception: ' + e.stack);
    try { await page.screenshot({ path: shot, fullPage: true }); console.log('screenshot: ' + shot); } catch (e2) { /* ignore */ }
  } finally {
    await browser.close();
  }
  console.log(failures + ' failure(s)');
  process.exit(failures ? 1 : 0);
}

module.exports = { check, failed, jsonGetter, launch, runPage };
