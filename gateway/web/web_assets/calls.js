// ifaxgw status page: the call log and the T.30 ladder of a call
// (GET /api/calls, /api/calls/ID, /api/calls.csv; docs/web-api.md).
// Builds its own section inside <section id="calls-box">. Every string
// goes into the page through textContent, never innerHTML: CSIDs and
// caller names are far-end text.
'use strict';

(() => {
  const PAGE = 20;
  const POLL_MS = 5000;
  const st = { offset: 0, q: '', result: '', total: 0, open: null, lastList: '' };
  let box = null;
  const ui = {};

  function mk(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  // A wide table scrolls in a box of its own (phone width), which the
  // keyboard can reach and scroll, as the page's other tables (.tw).
  function scrollBox(table, label) {
    const w = mk('div', null, 'tw');
    w.tabIndex = 0;
    w.setAttribute('role', 'region');
    w.setAttribute('aria-label', label);
    w.appendChild(table);
    return w;
  }

  // One time format: local time, UTC on hover.
  function timeCell(ms) {
    const td = mk('td');
    if (!ms) return td;
    const d = new Date(ms);
    const t = mk('time', d.toLocaleString());
    t.dateTime = d.toISOString();
    t.title = d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    td.appendChild(t);
    return td;
  }

  function query(extra) {
    const p = new URLSearchParams();
    if (st.q) p.set('q', st.q);
    if (st.result) p.set('result', st.result);
    for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
    const s = p.toString();
    return s ? '?' + s : '';
  }

  function build() {
    box.replaceChildren();
    const h = mk('h2', 'Calls ');
    ui.total = mk('span', '', 'muted');
    h.appendChild(ui.total);
    box.appendChild(h);

    const f = mk('form', null, 'calls-filter');
    f.setAttribute('role', 'search');
    const ql = mk('label', 'Search ');
    ui.q = mk('input');
    ui.q.type = 'search';
    ui.q.id = 'calls-q';
    ui.q.placeholder = 'CSID, caller, number, job id';
    ui.q.maxLength = 100;
    ql.appendChild(ui.q);
    const rl = mk('label', 'Result ');
    ui.result = mk('select');
    ui.result.id = 'calls-result';
    for (const v of ['', 'ok', 'partial', 'failed', 'refused']) {
      const o = mk('option', v || 'all');
      o.value = v;
      ui.result.appendChild(o);
    }
    rl.appendChild(ui.result);
    ui.csv = mk('a', 'CSV');
    ui.csv.id = 'calls-csv';
    ui.csv.download = 'calls.csv';
    ui.csv.href = '/api/calls.csv';
    f.append(ql, rl, ui.csv);
    f.addEventListener('submit', (ev) => { ev.preventDefault(); setFilter(); });
    ui.q.addEventListener('change', setFilter);
    ui.result.addEventListener('change', setFilter);
    box.appendChild(f);

    const t = mk('table', null, 'calls');
    const hr = mk('tr');
    for (const c of ['Time', 'Line', 'Caller', 'Called', 'CSID', 'Duration',
                     'Result', 'Pages', 'Rate', 'Job / reason'])
      hr.appendChild(mk('th', c));
    const th = mk('thead');
    th.appendChild(hr);
    ui.rows = mk('tbody');
    ui.rows.id = 'calls';
    t.append(th, ui.rows);
    box.appendChild(scrollBox(t, 'Call log'));

    const pg = mk('div', null, 'calls-pager');
    ui.prev = mk('button', 'Newer');
    ui.prev.type = 'button';
    ui.next = mk('button', 'Older');
    ui.next.type = 'button';
    ui.range = mk('span', '', 'muted');
    ui.prev.addEventListener('click', () => { st.offset = Math.max(0, st.offset - PAGE); load(true); });
    ui.next.addEventListener('click', () => { st.offset += PAGE; load(true); });
    pg.append(ui.prev, ui.range, ui.next);
    box.appendChild(pg);

    ui.detail = mk('div', null, 'call-detail');
    ui.detail.id = 'call-detail';
    ui.detail.hidden = true;
    box.appendChild(ui.detail);
  }

  function setFilter() {
    st.q = ui.q.value.trim();
    st.result = ui.result.value;
    st.offset = 0;
    load(true);
  }

  function callerText(c) {
    return c.caller_name ? c.caller_id + ' (' + c.caller_name + ')' : c.caller_id;
  }

  function row(c) {
    const tr = mk('tr', null, 'result-' + c.result);
    tr.dataset.call = c.id;
    const res = mk('td');
    res.appendChild(mk('span', c.result, 'badge badge-' + c.result));
    const last = mk('td', c.job ? c.job : c.reason, c.job ? 'wrap' : 'wrap reason');
    // the time is the row's button: Tab reaches it, Enter opens the call
    const when = timeCell(c.start_ms);
    const open = mk('button', null, 'call-open');
    open.type = 'button';
    open.append(...when.childNodes);
    when.appendChild(open);
    tr.append(when, mk('td', c.line), mk('td', callerText(c)),
              mk('td', c.called_number), mk('td', c.remote_csid),
              mk('td', (c.duration_ms / 1000).toFixed(1) + ' s'), res,
              mk('td', c.npages), mk('td', c.bit_rate ? c.bit_rate + (c.ecm ? ' ECM' : '') : ''),
              last);
    tr.addEventListener('click', () => openCall(c.id));
    return tr;
  }

  async function load(force) {
    let d;
    try {
      const r = await fetch('/api/calls' + query({ limit: PAGE, offset: st.offset }),
                            { credentials: 'same-origin' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      d = await r.json();
    } catch (e) {
      ui.total.textContent = '(update failed: ' + e.message + ')';
      return;
    }
    const key = JSON.stringify(d);
    if (!force && key === st.lastList) return;
    st.lastList = key;
    st.total = d.total;
    ui.total.textContent = d.total + (d.total === 1 ? ' call' : ' calls');
    const rows = d.calls.map(row);
    if (!rows.length) {
      const tr = mk('tr');
      const td = mk('td', st.q || st.result ? 'no call matches' : 'no call yet', 'muted');
      td.colSpan = 10;
      tr.appendChild(td);
      rows.push(tr);
    }
    ui.rows.replaceChildren(...rows);
    const end = Math.min(d.total, st.offset + d.calls.length);
    ui.range.textContent = d.total ? (st.offset + 1) + '–' + end + ' of ' + d.total : '';
    ui.prev.disabled = st.offset === 0;
    ui.next.disabled = end >= d.total;
    ui.csv.href = '/api/calls.csv' + query();
  }

  function field(dl, name, value) {
    if (value === undefined || value === null || value === '') return;
    dl.append(mk('dt', name), mk('dd', value));
  }

  function stepRow(s, start) {
    const tr = mk('tr', null, s.level ? 'level-' + s.level : '');
    const t = timeCell(s.time_ms);
    t.prepend(mk('span', '+' + (s.t_ms / 1000).toFixed(3) + ' s ', 'muted'));
    const dir = s.dir === 'rx' ? '\u2190 caller' : s.dir === 'tx' ? '\u2192 us' : '';
    const name = mk('td', s.name, 'frame');
    const text = mk('td', s.text, 'wrap');
    const raw = mk('td');
    if (s.hex) {
      const b = mk('button', 'hex', 'hex-toggle');
      b.type = 'button';
      b.setAttribute('aria-expanded', 'false');
      const code = mk('code', s.hex.replace(/(..)/g, '$1 ').trim() +
                      (s.len * 2 > s.hex.length ? ' \u2026 (' + s.len + ' bytes)' : ''), 'hex');
      code.hidden = true;
      b.addEventListener('click', () => {
        code.hidden = !code.hidden;
        b.setAttribute('aria-expanded', String(!code.hidden));
      });
      raw.append(b, code);
    }
    tr.append(t, mk('td', dir, 'dir'), name, text, raw);
    void start;
    return tr;
  }

  async function openCall(id) {
    let c;
    try {
      const r = await fetch('/api/calls/' + encodeURIComponent(id), { credentials: 'same-origin' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      c = await r.json();
    } catch (e) {
      ui.detail.hidden = false;
      ui.detail.replaceChildren(mk('p', 'call ' + id + ': ' + e.message, 'error'));
      return;
    }
    st.open = id;
    // a link of its own: #call=ID opens this call when the page loads
    history.replaceState(null, '', '#call=' + encodeURIComponent(id));
    const d = ui.detail;
    d.replaceChildren();
    const h = mk('h3', 'Call ' + c.id + ' ');
    const close = mk('button', 'Close');
    close.type = 'button';
    close.addEventListener('click', () => {
      d.hidden = true;
      st.open = null;
      if (location.hash === '#call=' + encodeURIComponent(id))
        history.replaceState(null, '', location.pathname + location.search);
    });
    h.appendChild(close);
    d.appendChild(h);
    const dl = mk('dl');
    field(dl, 'Result', c.result + (c.reason ? ': ' + c.reason : ''));
    field(dl, 'Line', c.line);
    field(dl, 'Caller', callerText(c));
    field(dl, 'Called', c.called_number);
    field(dl, 'CSID', c.remote_csid);
    field(dl, 'Started', new Date(c.start_ms).toLocaleString());
    field(dl, 'Duration', (c.duration_ms / 1000).toFixed(1) + ' s');
    field(dl, 'Pages', String(c.npages));
    field(dl, 'Rate', c.bit_rate ? c.bit_rate + ' bit/s' + (c.ecm ? ', ECM' : '') : '');
    field(dl, 'Job', c.job);
    const counts = Object.entries(c.ladder.counts).filter(([, n]) => n > 0)
      .map(([k, n]) => k + ' ' + n).join(', ');
    field(dl, 'Frames', counts || 'none');
    d.appendChild(dl);
    if (c.ladder.failures)
      d.appendChild(mk('p', c.ladder.failures + (c.ladder.failures === 1 ? ' failure' : ' failures') +
                       ' marked in the ladder', 'error'));
    const t = mk('table', null, 'ladder');
    t.id = 'ladder';
    const hr = mk('tr');
    for (const x of ['Time', 'Direction', 'Frame', 'Meaning', 'Raw'])
      hr.appendChild(mk('th', x));
    const th = mk('thead');
    th.appendChild(hr);
    const tb = mk('tbody');
    for (const s of c.ladder.steps) tb.appendChild(stepRow(s, c.start_ms));
    t.append(th, tb);
    d.appendChild(scrollBox(t, 'T.30 ladder'));
    const det = mk('details');
    det.appendChild(mk('summary', 'Raw T.30 transcript'));
    det.appendChild(mk('pre', c.transcript || '(none)'));
    d.appendChild(det);
    d.hidden = false;
    close.focus();
  }

  function fromHash() {
    const m = /^#call=([A-Za-z0-9._-]{1,64})$/.exec(location.hash);
    if (m && m[1] !== st.open) openCall(m[1]).then(() => box.scrollIntoView());
  }

  function start() {
    box = document.getElementById('calls-box');
    if (!box) return;
    build();
    load(true);
    setInterval(() => load(false), POLL_MS);
    fromHash();
    window.addEventListener('hashchange', fromHash);
  }

  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', start);
  else
    start();
})();
