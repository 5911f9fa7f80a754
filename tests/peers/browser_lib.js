// browser_lib.js - what the browser tests share: Debian's chromium through
// playwright-core, a pass/fail counter printing "ok"/"FAIL" lines, and a
// JSON GET against the server under test.
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

module.exports = { check, failed, jsonGetter, launch };
