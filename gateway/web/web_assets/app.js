// ifaxgw status page. Every string from the far end or the queue goes into
// the page through textContent (never innerHTML), so a CSID such as
// <script>alert(1)</script> shows as text.
//
// The status arrives pushed over server-sent events (/api/events, one
// stream per tab, one status build per second on the server however many
// tabs are open); job lists are fetched only when the counts move, or every
// LISTS_MS. A missing status for STALE_MS is a dead gateway: the banner says
// so and the tables are greyed.
'use strict';

const LISTS_MS = 30000;    // job lists at least this often
const DRAWER_MS = 5000;    // an open job refreshes at least this often
const STALE_MS = 5000;     // no status for this long: gateway unreachable
const POLL_MS = 2000;      // without EventSource: poll the status
const PAGE_SIZE = 50;
let csrf = null;           // from POST /api/login or GET /api/session
let drawerId = null;       // job shown in the drawer
let drawerJob = null;
let drawerAt = 0;
let drawerReturn = null;   // element focused before the drawer opened
let viewerPage = 0;
let status = null;         // last /api/status
let statusAt = 0;          // Date.now() when it came
let downSince = 0;         // first failure of the stream, 0: up
let lastCounts = '';
let listsAt = 0;
let listsBusy = false;
let listsAgain = 0;        // asked while busy: 1 the found list, 2 all
let events = null;
const retryWatch = {};     // job id -> ms of our retry: its outcome follows
const last = {};           // last rendered JSON per table, to skip redraws
const find = { state: 'done', q: '', line: '', from: '', to: '', offset: 0 };

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

const pad = (n) => String(n).padStart(2, '0');

// One time format: local "YYYY-MM-DD HH:MM:SS"; UTC on hover.
function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s * 1000);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
    pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

function timeEl(s) {
  const t = el('time', fmtTime(s));
  if (s) {
    const iso = new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    t.dateTime = iso;
    t.title = iso.replace('T', ' ').replace('Z', ' UTC');
  }
  return t;
}

function fmtDuration(sec) {
  sec = Math.max(0, Math.round(sec));
  const m = Math.floor(sec / 60);
  return m ? m + ' min ' + pad(sec % 60) + ' s' : sec + ' s';
}

function say(text, ok) {
  const m = $('msg');
  m.textContent = text;
  m.className = ok ? 'ok' : 'error';
}

async function getJSON(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return r.json();
}

// A state-changing request: the session cookie goes along by itself, the
// CSRF token must be sent back in a header only this page can set.
async function act(method, url, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (csrf) headers['X-IfaxGW-CSRF'] = csrf;
  let r;
  try {
    r = await fetch(url, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    say('refused: the gateway is unreachable', false);
    return null;
  }
  let j = {};
  try { j = await r.json(); } catch (e) { /* empty body */ }
  if (!r.ok) {
    say('refused: HTTP ' + r.status + ' ' + (j.error || ''), false);
    return null;
  }
  return j;
}

const jobUrl = (id) => '/api/jobs/' + encodeURIComponent(id);

function rcptList(job) {
  return (job.recipients || []).map((r) => r.address).join(', ');
}

function firstReply(job, state) {
  for (const r of job.recipients || [])
    if (!state || r.state === state) return r.reply || '';
  return job.failed_reason || ''; // no recipient: no route took it
}

function nextTry(job) {
  let t = 0;
  for (const r of job.recipients || [])
    for (const n of [r.state === 'deferred' && r.next_try, r.notice === 'owed' && r.notice_next])
      if (n && (!t || n < t)) t = n;
  return t;
}

function noticeText(r) {
  if (!r.notice || r.notice === 'none') return '';
  if (r.notice === 'owed') return 'owed, next ' + fmtTime(r.notice_next) + (r.notice_reply ? ': ' + r.notice_reply : '');
  return r.notice + (r.notice === 'failed' && r.notice_reply ? ': ' + r.notice_reply : '');
}

function profiles(job) {
  return [...new Set((job.recipients || []).map((r) => r.profile).filter(Boolean))].join(', ');
}

/* Waiting for a retry: a recipient deferred, or an owed notice. */
function isDeferred(job) {
  return (job.recipients || []).some((r) => r.state === 'deferred' || r.notice === 'owed');
}

function deferredReply(job) {
  const owed = (job.recipients || []).find((r) => r.notice === 'owed');
  return firstReply(job, 'deferred') || (owed ? 'notice: ' + (owed.notice_reply || '') : '');
}

// "partial: N of M pages, why" and "poor page" wherever a job shows.
function badges(job) {
  const out = [];
  if (job.broken) out.push(el('span', 'meta.json unreadable', 'badge bad'));
  if (job.partial) {
    const of = job.pages_expected ? job.pages + ' of ' + job.pages_expected : String(job.pages);
    const b = el('span', 'partial: ' + of + ' page' + (job.pages === 1 && !job.pages_expected ? '' : 's') +
      (job.partial_reason ? ', ' + job.partial_reason : ''), 'badge warn');
    out.push(b);
  }
  if (job.poor_pages > 0) {
    const poor = (job.page_quality || []).filter((q) => q.poor).map((q) => q.page);
    out.push(el('span', job.poor_pages === 1 ? 'poor page' + (poor.length ? ' ' + poor[0] : '')
      : job.poor_pages + ' poor pages' + (poor.length ? ' (' + poor.join(', ') + ')' : ''), 'badge warn'));
  }
  return out;
}

function withBadges(text, job) {
  const span = el('span', text);
  for (const b of badges(job)) { span.appendChild(document.createTextNode(' ')); span.appendChild(b); }
  return span;
}

// A job row: the time is a link to the job's own URL (#job=ID), so rows
// open by keyboard, by click anywhere on the row, and by deep link.
function jobRow(job, cells) {
  const tr = document.createElement('tr');
  tr.dataset.id = job.id;
  const a = el('a', null, 'open');
  a.href = '#job=' + encodeURIComponent(job.id);
  a.appendChild(job.broken ? el('span', job.id) : timeEl(job.time));
  tr.appendChild(wrapTd(a));
  for (const c of cells) tr.appendChild(c instanceof Node ? wrapTd(c) : el('td', c));
  tr.addEventListener('click', (ev) => {
    if (ev.target.closest('button, a, input')) return;
    location.hash = 'job=' + encodeURIComponent(job.id);
  });
  return tr;
}

function wrapTd(node) {
  if (node.tagName === 'TD') return node;
  const td = document.createElement('td');
  td.appendChild(node);
  return td;
}

function replace(tbody, rows, emptyText, cols) {
  tbody.replaceChildren(...rows);
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = el('td', emptyText, 'muted');
    td.colSpan = cols;
    tr.appendChild(td);
    tbody.appendChild(tr);
  }
}

function changed(key, data) {
  const s = JSON.stringify(data);
  if (last[key] === s) return false;
  last[key] = s;
  return true;
}

function pageUrl(id, page, full) {
  return jobUrl(id) + '/pages/' + page + '.png' + (full ? '?size=full' : '');
}

function thumb(id, page) {
  const img = document.createElement('img');
  img.className = 'thumb';
  img.loading = 'lazy';
  img.alt = 'page ' + page;
  img.src = pageUrl(id, page, false);
  return img;
}

/* --- lines ----------------------------------------------------------- */

// What the line thread reports: answered and negotiating, training at the
// rate of the sender's DCS (until our CFR/FTT), or receiving
// page N at the trained rate; "no progress" once nothing moved for a minute
// (a page at 2400 bit/s may take that long).
function lineState(l, now) {
  const rate = l.bit_rate || l.rate;
  let s;
  switch (l.state) {
  case 'receiving':
    s = 'receiving page ' + (l.page || 1) + (rate ? ' at ' + rate + ' bit/s' : '');
    break;
  case 'answering': s = 'answered, negotiating'; break;
  case 'training': s = 'training' + (rate ? ' at ' + rate + ' bit/s' : ''); break;
  case 'ringing': s = 'ringing' + (l.detail ? ' (' + l.detail + ')' : ''); break;
  case 'error': s = 'error: ' + l.detail; break;
  case 'down': s = 'down' + (l.detail ? ': ' + l.detail : ''); break;
  default: s = l.state;
  }
  if (l.last_progress_ms && ['receiving', 'answering', 'training', 'ringing'].includes(l.state)) {
    const quiet = now - l.last_progress_ms / 1000;
    if (quiet >= 60) s += ', no progress for ' + fmtDuration(quiet);
    else if (l.state === 'receiving' && quiet >= 1) s += ', this page ' + fmtDuration(quiet);
  }
  return s;
}

function lastCallCell(c) {
  if (!c || !c.time) return el('td', 'none yet', 'muted');
  const td = document.createElement('td');
  td.appendChild(timeEl(c.time));
  td.appendChild(document.createTextNode(' ' + (c.result || '') + ', ' + (c.pages || 0) + ' page(s)' +
    (c.csid ? ', ' : '')));
  if (c.csid) td.appendChild(el('span', c.csid));
  if (c.job) {
    td.appendChild(document.createTextNode(' '));
    const a = el('a', 'job');
    a.href = '#job=' + encodeURIComponent(c.job);
    td.appendChild(a);
  }
  return td;
}

// A line of many calls at once (AudioSocket: "calls" in its status) says
// how many it has; each call gets a row of its own under it.
function manyState(l) {
  if (!['receiving', 'answering', 'training'].includes(l.state)) return lineState(l, 0);
  return l.calls.length + ' of ' + l.max_calls + ' call' + (l.max_calls === 1 ? '' : 's');
}

// One call of such a line: short UUID (whole on hover), its own state,
// caller, called, CSID and time; far-end text through textContent only.
function callRow(c, now) {
  const tr = el('tr', undefined, 'subcall');
  tr.dataset.call = c.uuid;
  const id = el('td', '\u21b3 ' + c.uuid.slice(0, 8), 'callid');
  id.title = c.uuid;
  tr.appendChild(id);
  const st = { state: c.state, page: c.page, last_progress_ms: c.progress_ms,
    bit_rate: c.state === 'training' ? c.training_rate : c.bit_rate };
  tr.appendChild(el('td', lineState(st, now), 'state-' + c.state));
  tr.appendChild(el('td', c.caller));
  tr.appendChild(el('td', c.called));
  tr.appendChild(el('td', c.csid));
  tr.appendChild(el('td', c.started_ms ? fmtDuration(now - c.started_ms / 1000) : ''));
  tr.appendChild(el('td', ''));
  return tr;
}

function renderLines(lines, now) {
  if (!changed('lines', [lines, now])) return;
  replace($('lines'), lines.flatMap((l) => {
    const many = Array.isArray(l.calls);
    const inCall = !many && l.call_start_ms && l.state !== 'idle' && l.state !== 'down';
    const tr = document.createElement('tr');
    tr.appendChild(el('td', l.name));
    tr.appendChild(el('td', many ? manyState(l) : lineState(l, now), 'state-' + l.state));
    tr.appendChild(el('td', inCall ? l.caller_id : ''));
    tr.appendChild(el('td', inCall ? l.called_number : ''));
    tr.appendChild(el('td', inCall ? l.remote_csid : ''));
    tr.appendChild(el('td', inCall ? fmtDuration(now - l.call_start_ms / 1000) : ''));
    tr.appendChild(lastCallCell(l.last_call));
    return [tr, ...(many ? l.calls.map((c) => callRow(c, now)) : [])];
  }), 'no lines configured', 7);
}

function renderScanner(s) {
  $('scanner-box').hidden = s.state === 'absent';
  $('scan-state').textContent = s.state === 'error' ? 'error: ' + s.detail : s.state;
  $('scan-state').className = 'state-' + s.state;
  let p = '';
  if (s.state === 'scanning') p = s.profile + ': ' + s.pages + ' page(s) so far';
  else if (s.job) p = 'last scan became job ' + s.job;
  $('scan-progress').textContent = p;
  const sel = $('scan-profile');
  if (changed('profiles', s.profiles)) {
    sel.replaceChildren(...s.profiles.map((n) => { const o = el('option', n); o.value = n; return o; }));
  }
  $('scan-start').disabled = !s.can_start || s.state === 'scanning' || s.state === 'absent';
}

function renderCounts(q) {
  $('counts').textContent = '(' + q.queue + ' queued, ' + q.deferred + ' deferred, ' +
    q.failed + ' failed, ' + q.done + ' delivered, ' + q.incoming + ' incoming)';
}

/* --- health: banner and title ----------------------------------------- */

function renderHealth() {
  const msgs = [];
  const down = downSince && Date.now() - statusAt > STALE_MS;
  if (down || (!status && downSince))
    msgs.push('The gateway is unreachable since ' + fmtTime(Math.floor(downSince / 1000)) +
      ': what this page shows is from ' + (statusAt ? fmtTime(Math.floor(statusAt / 1000)) : 'never') + '.');
  if (status) {
    for (const l of status.lines)
      if (l.state === 'down' || l.state === 'error')
        msgs.push('Line ' + l.name + ' is ' + l.state + (l.detail ? ': ' + l.detail : '') + '.');
    if (status.error) msgs.push('The queue cannot be read: ' + status.error);
    const f = status.queue ? status.queue.failed : 0;
    if (f > 0) msgs.push(f + ' job' + (f === 1 ? ' has' : 's have') + ' failed: see Failed below.');
  }
  const b = $('banner');
  if (changed('banner', msgs)) {
    b.replaceChildren(...msgs.map((m) => el('p', m)));
    b.hidden = msgs.length === 0;
    b.className = down ? 'down' : 'warn';
  }
  document.body.classList.toggle('stale', !!down);
  const failed = status && status.queue ? status.queue.failed : 0;
  document.title = (down ? '(unreachable) ' : '') + (failed ? '(' + failed + ' failed) ' : '') + 'ifaxgw';
  $('updated').textContent = down ? 'no contact since ' + fmtTime(Math.floor(statusAt / 1000))
    : statusAt ? 'updated ' + fmtTime(Math.floor(statusAt / 1000)).slice(11) : 'connecting…';
}

function onStatus(st) {
  status = st;
  statusAt = Date.now();
  downSince = 0;
  if (st.lines) renderLines(st.lines, st.now);
  if (st.scanner) renderScanner(st.scanner);
  if (st.queue) renderCounts(st.queue);
  renderHealth();
  const counts = JSON.stringify(st.queue) + (st.scanner ? st.scanner.job : '');
  if (counts !== lastCounts || Date.now() - listsAt > LISTS_MS) {
    lastCounts = counts;
    refreshLists();
  } else if (drawerId && Date.now() - drawerAt > DRAWER_MS) {
    refreshDrawer();
  }
}

function lostContact() {
  if (!downSince) downSince = Date.now();
  renderHealth();
}

// Server-sent events; the browser reconnects by itself (every 2 s, the
// server's "retry"). A refused stream (429, 503) closes for good: start
// again a little later.
function startEvents() {
  if (!window.EventSource) { pollStatus(); setInterval(pollStatus, POLL_MS); return; }
  events = new EventSource('/api/events');
  events.addEventListener('status', (ev) => {
    try { onStatus(JSON.parse(ev.data)); } catch (e) { lostContact(); }
  });
  events.onerror = () => {
    lostContact();
    if (events.readyState === EventSource.CLOSED) {
      events = null;
      setTimeout(startEvents, 5000);
    }
  };
}

async function pollStatus() {
  try { onStatus(await getJSON('/api/status')); } catch (e) { lostContact(); }
}

/* --- job lists ----------------------------------------------------------- */

function findQuery(offset, limit) {
  const p = new URLSearchParams({ state: find.state });
  if (find.q) p.set('q', find.q);
  if (find.line) p.set('line', find.line);
  if (find.from) p.set('from', String(Math.floor(new Date(find.from + 'T00:00:00').getTime() / 1000)));
  if (find.to) p.set('to', String(Math.floor(new Date(find.to + 'T00:00:00').getTime() / 1000) + 86400));
  if (limit) p.set('limit', String(limit));
  if (offset) p.set('offset', String(offset));
  return p.toString();
}

function actionButtons(j) {
  const span = el('span', null, 'rowacts');
  const r = el('button', 'Retry', 'retry');
  r.type = 'button';
  r.addEventListener('click', (ev) => { ev.stopPropagation(); retry(j.id); });
  const d = el('button', 'Delete', 'delete');
  d.type = 'button';
  d.addEventListener('click', async (ev) => { ev.stopPropagation(); askDelete(j.id); });
  if (!j.broken) span.appendChild(r);
  span.appendChild(d);
  return span;
}

function renderQueue(queued, failed) {
  if (changed('queue', queued)) {
    const waiting = queued.jobs.filter((j) => !isDeferred(j));
    const deferred = queued.jobs.filter(isDeferred);
    replace($('queue-waiting'), waiting.map((j) => jobRow(j,
      [j.source || '', j.csid || '', withBadges(String(j.pages ?? ''), j), rcptList(j)])), 'nothing waiting', 5);
    replace($('queue-deferred'), deferred.map((j) => jobRow(j,
      [j.source, j.csid, rcptList(j), timeEl(nextTry(j)),
        el('td', deferredReply(j), 'reply')])), 'nothing deferred', 6);
  }
  if (changed('failed', failed)) {
    replace($('queue-failed'), failed.jobs.map((j) => jobRow(j, [j.source || '', j.csid || '',
      withBadges(rcptList(j), j), el('td', firstReply(j, 'failed'), 'reply'), actionButtons(j)])),
    'nothing failed', 6);
  }
}

function renderHistory(found) {
  const from = found.total ? found.offset + 1 : 0;
  const to = found.offset + found.jobs.length;
  $('history-total').textContent = '(' + found.total + ')';
  $('pg-info').textContent = from + '–' + to + ' of ' + found.total;
  $('pg-prev').disabled = found.offset === 0;
  $('pg-next').disabled = to >= found.total;
  $('jobs-csv').href = '/api/jobs.csv?' + findQuery(0, 0);
  if (!changed('done', found)) return;
  replace($('history'), found.jobs.map((j) => {
    const tr = jobRow(j, [j.source + (j.line ? ' ' + j.line : ''),
      j.csid, j.caller_id, withBadges(String(j.pages ?? ''), j), rcptList(j), profiles(j),
      el('td', firstReply(j, j.state === 'done' ? 'delivered' : null), 'reply')]);
    // the thumbnail goes first, outside the link
    const td = document.createElement('td');
    if (j.pages > 0) td.appendChild(thumb(j.id, 1));
    tr.insertBefore(td, tr.firstChild);
    return tr;
  }), find.q || find.line || find.from || find.to ? 'no job matches' : 'no jobs', 9);
}

// Paging and searching fetch only the list searched (findOnly).
async function refreshLists(findOnly) {
  if (listsBusy) { listsAgain = listsAgain || (findOnly === true ? 1 : 2); return; }
  listsBusy = true;
  if (findOnly !== true) listsAt = Date.now();
  try {
    const [found, queued, failed] = await Promise.all([
      getJSON('/api/jobs?' + findQuery(find.offset, PAGE_SIZE)),
      findOnly === true ? null : getJSON('/api/jobs?state=queue&limit=100'),
      findOnly === true ? null : getJSON('/api/jobs?state=failed&limit=100'),
    ]);
    if (queued) renderQueue(queued, failed);
    renderHistory(found);
    await checkRetries();
    if (drawerId) await refreshDrawer();
  } catch (e) {
    say('could not load the job lists: ' + e.message, false);
  } finally {
    listsBusy = false;
  }
  if (listsAgain) {
    const again = listsAgain;
    listsAgain = 0;
    refreshLists(again === 1);
  }
}

/* --- the job drawer ---------------------------------------------------- */

async function loadLog(id, which) {
  let r;
  for (let i = 0; i < 5; i++) {   // the server's rate limit answers 429
    r = await fetch(jobUrl(id) + '/log/' + which);
    if (r.status !== 429) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  if (drawerId !== id) return;
  const text = r.ok ? await r.text() : '(none)';
  if ($('log-' + which).textContent !== text) $('log-' + which).textContent = text;
}

function renderDrawer(job) {
  $('detail-id').textContent = job.id + ' (' + job.state + ')';
  $('detail-badges').replaceChildren(...badges(job));
  const dl = $('detail-fields');
  const fields = job.broken ? [['Problem', 'its meta.json cannot be read; the job can only be deleted']]
    : [['Time', timeEl(job.time)], ['Source', job.source], ['Line / profile', job.line],
      ['CSID', job.csid], ['Caller ID', job.caller_id], ['Called', job.called],
      ['Pages', job.pages + (job.partial ? ' (partial)' : '')], ['Route', job.route],
      ['Finished', timeEl(job.finished)]];
  dl.replaceChildren();
  for (const [k, v] of fields) {
    dl.appendChild(el('dt', k));
    const dd = el('dd', v instanceof Node ? null : v);
    if (v instanceof Node) dd.appendChild(v);
    dl.appendChild(dd);
  }
  const pages = $('detail-pages');
  const n = Math.min(job.pages || 0, 50);
  if (pages.dataset.job !== job.id || pages.children.length !== n) {
    pages.dataset.job = job.id;
    pages.replaceChildren();
    for (let i = 1; i <= n; i++) {
      const b = el('button', null, 'pagebtn');
      b.type = 'button';
      b.setAttribute('aria-label', 'enlarge page ' + i);
      b.appendChild(thumb(job.id, i));
      b.addEventListener('click', () => openViewer(i));
      pages.appendChild(b);
    }
  }
  $('dl-tif').href = jobUrl(job.id) + '/pages.tif';
  $('dl-pdf').href = jobUrl(job.id) + '/pages.pdf';
  $('dl-tif').download = job.id + '.tif';
  $('dl-pdf').download = job.id + '.pdf';
  document.querySelector('.downloads').hidden = !(job.pages > 0);
  replace($('detail-rcpts'), (job.recipients || []).map((r) => {
    const tr = document.createElement('tr');
    for (const v of [r.address, r.state, r.attempts]) tr.appendChild(el('td', v));
    tr.appendChild(wrapTd(timeEl(r.next_try)));
    tr.appendChild(el('td', r.profile));
    tr.appendChild(el('td', r.reply, 'reply'));
    tr.appendChild(el('td', noticeText(r), 'reply'));
    return tr;
  }), 'no recipients', 7);
  $('act-retry').disabled = !(job.state === 'failed' || job.state === 'queue') || !!job.broken;
  $('act-resend').disabled = !!job.broken;
  $('resend-to').disabled = !!job.broken;
}

async function refreshDrawer() {
  const id = drawerId;
  if (!id) return;
  drawerAt = Date.now();
  let job;
  try {
    job = await getJSON(jobUrl(id));
  } catch (e) {
    if (drawerId !== id) return;
    if (/HTTP 404/.test(e.message)) {
      $('detail-id').textContent = id + ' (gone)';
      $('detail-outcome').textContent = 'This job no longer exists.';
    }
    return;
  }
  if (drawerId !== id) return;
  drawerJob = job;
  const fresh = changed('drawer', job);
  if (fresh) renderDrawer(job);
  showOutcome(job);
  // transcripts change only with the job: fetched again only then
  if (fresh && !job.broken) await Promise.all([loadLog(id, 't30'), loadLog(id, 'smtp')]);
}

async function openDrawer(id) {
  const d = $('drawer');
  if (drawerId !== id) {
    last.drawer = null;
    $('detail-outcome').textContent = '';
    $('log-t30').textContent = '';
    $('log-smtp').textContent = '';
    $('detail-pages').replaceChildren();
    $('detail-pages').dataset.job = '';
    $('resend-note').replaceChildren();
    hideConfirm();
  }
  const moved = d.hidden || drawerId !== id;
  if (d.hidden) drawerReturn = document.activeElement;
  drawerId = id;
  $('detail-id').textContent = id;
  d.hidden = false;
  document.body.classList.add('drawer-open');
  // into the dialog, on its first control (click, Enter or deep link)
  if (moved) $('detail-close').focus();
  await refreshDrawer();
}

function closeDrawer() {
  if (!drawerId && $('drawer').hidden) return;
  closeViewer();
  const id = drawerId;
  drawerId = null;
  drawerJob = null;
  $('drawer').hidden = true;
  document.body.classList.remove('drawer-open');
  if (location.hash.startsWith('#job=')) history.replaceState(null, '', location.pathname + location.search);
  // back where it came from; after a click on a row (focus was on the page
  // or the table's scroll box around the row), a deep link or a list
  // refreshed meanwhile: the job's row, if shown
  let back = drawerReturn && document.contains(drawerReturn) ? drawerReturn : null;
  const row = id ? document.querySelector('tr[data-id="' + CSS.escape(id) + '"] a.open') : null;
  if (row && (!back || back.contains(row))) back = row;
  drawerReturn = null;
  if (back) back.focus();
}

// The drawer is a modal dialog: Tab and Shift+Tab cycle through its
// controls (those shown) while it is open; the page viewer over it has its
// own buttons and is left alone.
function drawerControls() {
  const sel = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';
  return [...$('drawer').querySelectorAll(sel)]
    .filter((e) => !e.disabled && !e.closest('[hidden]') && e.getClientRects().length > 0);
}

function trapTab(ev) {
  if (ev.key !== 'Tab' || $('drawer').hidden || !$('viewer').hidden) return;
  const cs = drawerControls();
  if (!cs.length) return;
  const at = document.activeElement;
  const inside = $('drawer').contains(at) && at !== $('drawer');
  if (ev.shiftKey && (!inside || at === cs[0])) {
    ev.preventDefault();
    cs[cs.length - 1].focus();
  } else if (!ev.shiftKey && (!inside || at === cs[cs.length - 1])) {
    ev.preventDefault();
    cs[0].focus();
  }
}

function routeHash() {
  const m = /^#job=(.+)$/.exec(location.hash);
  if (m) openDrawer(decodeURIComponent(m[1]));
  else if (drawerId) closeDrawer();
}

/* --- the page viewer ---------------------------------------------------- */

function openViewer(page) {
  if (!drawerJob) return;
  viewerPage = page;
  const v = $('viewer');
  const img = $('v-img');
  img.src = pageUrl(drawerJob.id, page, true);
  img.alt = 'page ' + page + ' of job ' + drawerJob.id;
  $('v-info').textContent = 'page ' + page + ' of ' + drawerJob.pages;
  $('v-prev').disabled = page <= 1;
  $('v-next').disabled = page >= drawerJob.pages;
  v.hidden = false;
  v.focus();
}

function closeViewer() {
  const v = $('viewer');
  if (v.hidden) return false;
  v.hidden = true;
  const b = $('detail-pages').children[viewerPage - 1];
  if (b) b.focus();
  return true;
}

/* --- actions -------------------------------------------------------------- */

async function retry(id) {
  const j = await act('POST', jobUrl(id) + '/retry');
  if (j) {
    retryWatch[id] = Date.now();
    say('job ' + id + ' queued again; its next attempt shows here', true);
    lastCounts = '';
    refreshLists();
  }
}

// The outcome of a retry replaces the "queued again" note once the next
// attempt has happened.
function retryOutcome(job, since) {
  const tried = (job.recipients || []).filter((r) => r.last_try * 1000 >= since - 1000);
  if (!tried.length) return null;
  const r = tried[0];
  if (r.state === 'delivered') return ['retry of ' + job.id + ': delivered to ' + r.address, true];
  if (r.state === 'failed') return ['retry of ' + job.id + ': failed again: ' + r.reply, false];
  if (r.state === 'deferred') return ['retry of ' + job.id + ': deferred again (' + r.reply + '), next ' + fmtTime(r.next_try), false];
  return null;
}

function showOutcome(job) {
  const since = retryWatch[job.id];
  if (!since) return;
  const o = retryOutcome(job, since);
  if (!o) { $('detail-outcome').textContent = 'queued again; waiting for the next attempt'; return; }
  $('detail-outcome').textContent = o[0];
  say(o[0], o[1]);
  delete retryWatch[job.id];
}

async function checkRetries() {
  for (const id of Object.keys(retryWatch)) {
    if (id === drawerId) continue;   // the drawer's refresh shows it
    try {
      const o = retryOutcome(await getJSON(jobUrl(id)), retryWatch[id]);
      if (o) { say(o[0], o[1]); delete retryWatch[id]; }
    } catch (e) { delete retryWatch[id]; }
  }
}

function hideConfirm() { $('confirm').hidden = true; }

async function askDelete(id) {
  if (drawerId !== id) {
    location.hash = 'job=' + encodeURIComponent(id);
    await openDrawer(id);
  }
  $('confirm-text').textContent = 'Delete job ' + id + ' and its pages for good?';
  $('confirm').hidden = false;
  $('confirm-no').focus();
}

async function doDelete() {
  const id = drawerId;
  hideConfirm();
  if (!id) return;
  const j = await act('DELETE', jobUrl(id));
  if (j) {
    say('job ' + id + ' deleted', true);
    closeDrawer();
    lastCounts = '';
    refreshLists();
  } else if (/HTTP 409/.test($('msg').textContent)) {
    say('job ' + id + ' is being delivered right now: it cannot be deleted until the attempt ends', false);
  }
}

// The reply names the new job ("new_id", or "job"; older servers gave the
// old id only): the note links to it.
// The new job's link goes to the page's message line and, as the drawer
// covers that line, into the drawer beside the Resend button too.
function sayNewJob(id, to, j) {
  const nid = j.new_id || j.job || (j.id !== id ? j.id : null);
  for (const m of [$('msg'), $('resend-note')]) {
    m.className = 'ok';
    m.replaceChildren(document.createTextNode('job ' + id + ' resent to ' + to + (nid ? ' as ' : '')));
    if (nid) {
      const a = el('a', 'job ' + nid);
      a.href = '#job=' + encodeURIComponent(nid);
      if (m.id === 'resend-note') a.id = 'resent-link';
      m.appendChild(a);
    }
  }
}

async function session() {
  try {
    const s = await getJSON('/api/session');
    csrf = s.logged_in ? s.csrf : null;
  } catch (e) { csrf = null; }
  $('login-form').hidden = !!csrf;
  $('session').hidden = !csrf;
}

function readFind() {
  find.q = $('f-q').value.trim();
  find.state = $('f-state').value;
  find.line = $('f-line').value.trim();
  find.from = $('f-from').value;
  find.to = $('f-to').value;
}

function wire() {
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const j = await act('POST', '/api/login', { token: $('token').value });
    $('token').value = '';
    if (j) { csrf = j.csrf; say('logged in', true); }
    session();
  });
  $('logout').addEventListener('click', async () => {
    await act('POST', '/api/logout');
    session();
  });
  $('scan-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const to = $('scan-to').value.split(/[,\s]+/).filter(Boolean);
    const j = await act('POST', '/api/scan', { profile: $('scan-profile').value, to });
    if (j) { say('scan started with profile ' + j.profile, true); lastCounts = ''; }
  });
  $('find').addEventListener('submit', (ev) => {
    ev.preventDefault();
    readFind();
    find.offset = 0;
    refreshLists(true);
  });
  $('f-state').addEventListener('change', () => { readFind(); find.offset = 0; refreshLists(true); });
  $('pg-prev').addEventListener('click', () => { find.offset = Math.max(0, find.offset - PAGE_SIZE); refreshLists(true); });
  $('pg-next').addEventListener('click', () => { find.offset += PAGE_SIZE; refreshLists(true); });
  $('detail-close').addEventListener('click', closeDrawer);
  $('act-retry').addEventListener('click', () => drawerId && retry(drawerId));
  $('act-delete').addEventListener('click', () => drawerId && askDelete(drawerId));
  $('confirm-yes').addEventListener('click', doDelete);
  $('confirm-no').addEventListener('click', () => { hideConfirm(); $('act-delete').focus(); });
  $('act-resend').addEventListener('click', async () => {
    const id = drawerId;
    const to = $('resend-to').value.trim();
    if (!id || !to) return;
    const j = await act('POST', jobUrl(id) + '/resend', { to });
    if (j) { sayNewJob(id, to, j); lastCounts = ''; }
  });
  $('v-close').addEventListener('click', closeViewer);
  $('v-prev').addEventListener('click', () => openViewer(viewerPage - 1));
  $('v-next').addEventListener('click', () => openViewer(viewerPage + 1));
  document.addEventListener('keydown', (ev) => {
    trapTab(ev);
    if (ev.key !== 'Escape') return;
    if (closeViewer()) return;
    if (!$('confirm').hidden) { hideConfirm(); $('act-delete').focus(); return; }
    if (drawerId) closeDrawer();
  });
  window.addEventListener('hashchange', routeHash);
  setInterval(() => {
    renderHealth();
    if (status && !downSince && Date.now() - statusAt > STALE_MS) lostContact();
  }, 1000);
}

wire();
session();
startEvents();
routeHash();
