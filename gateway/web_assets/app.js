// ifaxgw status page. Every string from the far end or the queue goes into
// the page through textContent (never innerHTML), so a CSID such as
// <script>alert(1)</script> shows as text.
'use strict';

const POLL_MS = 2000;      // status every tick
const LISTS_EVERY = 5;     // job lists every 5th tick, or when counts change
let tick = 0;
let lastCounts = '';
let csrf = null;          // from POST /api/login or GET /api/session
let detailId = null;      // job shown in the detail panel
const last = {};          // last rendered JSON per table, to skip redraws

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s * 1000);
  return d.toLocaleString();
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
  const r = await fetch(url, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let j = {};
  try { j = await r.json(); } catch (e) { /* empty body */ }
  if (!r.ok) {
    say('refused: HTTP ' + r.status + ' ' + (j.error || ''), false);
    return null;
  }
  return j;
}

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

function jobRow(job, cells) {
  const tr = document.createElement('tr');
  tr.dataset.id = job.id;
  for (const c of cells) tr.appendChild(c instanceof Node ? wrapTd(c) : el('td', c));
  tr.addEventListener('click', () => openDetail(job.id));
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

function thumb(id, page) {
  const img = document.createElement('img');
  img.className = 'thumb';
  img.loading = 'lazy';
  img.alt = 'page ' + page;
  img.src = '/api/jobs/' + encodeURIComponent(id) + '/pages/' + page + '.png';
  return img;
}

function lineState(l) {
  switch (l.state) {
  case 'receiving': return 'receiving page ' + l.page + ' at ' + l.rate + ' bit/s';
  case 'error': return 'error: ' + l.detail;
  default: return l.state;
  }
}

function renderLines(lines) {
  if (!changed('lines', lines)) return;
  replace($('lines'), lines.map((l) => {
    const c = l.last_call || {};
    const tr = document.createElement('tr');
    tr.appendChild(el('td', l.name));
    tr.appendChild(el('td', lineState(l), 'state-' + l.state));
    tr.appendChild(el('td', fmtTime(c.time)));
    tr.appendChild(el('td', c.csid));
    tr.appendChild(el('td', c.caller_id));
    tr.appendChild(el('td', c.pages));
    tr.appendChild(el('td', c.result));
    return tr;
  }), 'no lines configured', 7);
}

function renderScanner(s) {
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

function renderQueue(queued, failed) {
  if (changed('queue', queued)) {
    const waiting = queued.jobs.filter((j) => !isDeferred(j));
    const deferred = queued.jobs.filter(isDeferred);
    replace($('queue-waiting'), waiting.map((j) => jobRow(j,
      [fmtTime(j.time), j.source, j.csid, j.pages, rcptList(j)])), 'nothing waiting', 5);
    replace($('queue-deferred'), deferred.map((j) => jobRow(j,
      [fmtTime(j.time), j.source, j.csid, rcptList(j), fmtTime(nextTry(j)),
        el('td', deferredReply(j), 'reply')])), 'nothing deferred', 6);
  }
  if (changed('failed', failed)) {
    replace($('queue-failed'), failed.jobs.map((j) => {
      const b = el('button', 'Retry');
      b.type = 'button';
      b.className = 'retry';
      b.addEventListener('click', (ev) => { ev.stopPropagation(); retry(j.id); });
      return jobRow(j, [fmtTime(j.time), j.source, j.csid, rcptList(j),
        el('td', firstReply(j, 'failed'), 'reply'), b]);
    }), 'nothing failed', 6);
  }
}

function renderHistory(done) {
  $('history-total').textContent = '(' + done.jobs.length + ' of ' + done.total + ')';
  if (!changed('done', done)) return;
  replace($('history'), done.jobs.map((j) => jobRow(j, [
    j.pages > 0 ? thumb(j.id, 1) : '', fmtTime(j.time), j.source + (j.line ? ' ' + j.line : ''),
    j.csid, j.caller_id, j.pages, rcptList(j), profiles(j),
    el('td', firstReply(j, 'delivered'), 'reply')])), 'nothing delivered yet', 9);
}

// One request per tick keeps the page well inside the server's default
// rate limit (120 requests/min); the lists follow when the counts move.
async function refresh(force) {
  try {
    const st = await getJSON('/api/status');
    renderLines(st.lines);
    renderScanner(st.scanner);
    renderCounts(st.queue);
    const counts = JSON.stringify(st.queue) + (st.scanner.job || '');
    if (force === true || counts !== lastCounts || ++tick % LISTS_EVERY === 0) {
      lastCounts = counts;
      const [queued, failed, done] = await Promise.all([
        getJSON('/api/jobs?state=queue&limit=100'),
        getJSON('/api/jobs?state=failed&limit=100'),
        getJSON('/api/jobs?state=done&limit=50'),
      ]);
      renderQueue(queued, failed);
      renderHistory(done);
    }
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    $('updated').textContent = 'update failed: ' + e.message;
  }
}

async function loadLog(id, which) {
  let r;
  for (let i = 0; i < 5; i++) {   // the server's rate limit answers 429
    r = await fetch('/api/jobs/' + encodeURIComponent(id) + '/log/' + which);
    if (r.status !== 429) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  $('log-' + which).textContent = r.ok ? await r.text() : '(none)';
}

async function openDetail(id) {
  detailId = id;
  let job;
  try {
    job = await getJSON('/api/jobs/' + encodeURIComponent(id));
  } catch (e) {
    say('job ' + id + ': ' + e.message, false);
    return;
  }
  $('detail').hidden = false;
  $('detail').scrollIntoView({ block: 'start' });
  $('detail-id').textContent = job.id + ' (' + job.state + ')';
  const dl = $('detail-fields');
  dl.replaceChildren();
  const fields = [['Time', fmtTime(job.time)], ['Source', job.source], ['Line / profile', job.line],
    ['CSID', job.csid], ['Caller ID', job.caller_id], ['Called', job.called], ['Pages', job.pages],
    ['Finished', fmtTime(job.finished)]];
  for (const [k, v] of fields) { dl.appendChild(el('dt', k)); dl.appendChild(el('dd', v)); }
  const pages = $('detail-pages');
  pages.replaceChildren();
  for (let i = 1; i <= Math.min(job.pages || 0, 50); i++) pages.appendChild(thumb(job.id, i));
  replace($('detail-rcpts'), (job.recipients || []).map((r) => {
    const tr = document.createElement('tr');
    for (const v of [r.address, r.state, r.attempts, fmtTime(r.next_try), r.profile]) tr.appendChild(el('td', v));
    tr.appendChild(el('td', r.reply, 'reply'));
    tr.appendChild(el('td', noticeText(r), 'reply'));
    return tr;
  }), 'no recipients', 7);
  $('act-retry').disabled = !(job.state === 'failed' || job.state === 'queue');
  await Promise.all([loadLog(id, 't30'), loadLog(id, 'smtp')]);
}

async function retry(id) {
  const j = await act('POST', '/api/jobs/' + encodeURIComponent(id) + '/retry');
  if (j) { say('job ' + id + ' queued again', true); refresh(true); if (detailId === id) openDetail(id); }
}

async function session() {
  try {
    const s = await getJSON('/api/session');
    csrf = s.logged_in ? s.csrf : null;
  } catch (e) { csrf = null; }
  $('login-form').hidden = !!csrf;
  $('session').hidden = !csrf;
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
    if (j) { say('scan started with profile ' + j.profile, true); refresh(true); }
  });
  $('detail-close').addEventListener('click', () => { $('detail').hidden = true; detailId = null; });
  $('act-retry').addEventListener('click', () => detailId && retry(detailId));
  $('act-delete').addEventListener('click', async () => {
    const id = detailId;
    if (!id) return;
    const j = await act('DELETE', '/api/jobs/' + encodeURIComponent(id));
    if (j) { say('job ' + id + ' deleted', true); $('detail').hidden = true; detailId = null; refresh(true); }
  });
  $('act-resend').addEventListener('click', async () => {
    const id = detailId;
    const to = $('resend-to').value.trim();
    if (!id || !to) return;
    const j = await act('POST', '/api/jobs/' + encodeURIComponent(id) + '/resend', { to });
    if (j) { say('job ' + id + ' resent to ' + to, true); refresh(true); }
  });
}

wire();
session();
refresh(true);
setInterval(refresh, POLL_MS);
