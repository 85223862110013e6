// The daemon's web page (docs/web.md): the sandbox list, live from /v1/events (SSE); a terminal in xterm.js on
// /v1/sandboxes/{id}/tty (WebSocket, binary frames both ways, JSON text frames for resize); each sandbox's recent
// egress decisions. Same origin only: the TCP login cookie rides along on every request.
'use strict';

const sandboxes = new Map();   // id -> sandbox JSON
const egress = new Map();      // id -> recent decisions, oldest first
const EGRESS_KEEP = 50;
let selected = null;
let session = null;            // {ws, id}

const TerminalClass = window.Terminal && (window.Terminal.Terminal || window.Terminal);
const FitClass = window.FitAddon && (window.FitAddon.FitAddon || window.FitAddon);
const term = new TerminalClass({ cursorBlink: true, convertEol: false, scrollback: 2000 });
const fit = new FitClass();
term.loadAddon(fit);
term.open(document.getElementById('terminal'));
fit.fit();

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function status(text) { document.getElementById('status').textContent = text; }

function renderList() {
  const body = document.getElementById('sandboxes');
  body.replaceChildren();
  for (const s of sandboxes.values()) {
    const tr = el('tr');
    tr.dataset.id = s.id;
    if (s.id === selected) tr.className = 'selected';
    tr.append(el('td', s.name || ''), el('td', s.id), el('td', s.state, 'state-' + s.state), el('td', s.host || ''));
    const td = el('td');
    const open = el('button', 'terminal');
    open.disabled = s.state !== 'ready';
    open.addEventListener('click', () => openTerminal(s.id));
    const show = el('button', 'egress');
    show.addEventListener('click', () => select(s.id));
    td.append(open, show);
    tr.append(td);
    body.append(tr);
  }
}

function renderEgress() {
  const body = document.getElementById('egress');
  body.replaceChildren();
  document.getElementById('egress-for').textContent = selected ? 'of ' + selected : '';
  for (const a of (egress.get(selected) || []).slice().reverse()) {
    const tr = el('tr');
    tr.append(el('td', a.time), el('td', a.decision, String(a.decision).toLowerCase()), el('td', a.channel),
      el("td", a.host || a.sni || a.destination || ""), el("td", a.ruleText || a.rule || a.reason || ""));
    body.append(tr);
  }
}

async function api(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + (await r.text()));
  return r.json();
}

async function select(id) {
  selected = id;
  renderList();
  try {
    const r = await api('/v1/sandboxes/' + encodeURIComponent(id) + '/egress?limit=' + EGRESS_KEEP);
    egress.set(id, r.decisions);
  } catch (e) {
    status(e.message);
  }
  renderEgress();
}

async function loadList() {
  const r = await api('/v1/sandboxes');
  sandboxes.clear();
  for (const s of r.sandboxes) sandboxes.set(s.id, s);
  renderList();
}

function listen() {
  const events = new EventSource('/v1/events');
  events.onopen = () => { status('live'); loadList().catch(e => status(e.message)); };
  events.onerror = () => status('disconnected; retrying…');
  events.addEventListener('state', m => {
    const e = JSON.parse(m.data);
    if (e.to === 'removed') {
      sandboxes.delete(e.sandbox);
      renderList();
    } else if (sandboxes.has(e.sandbox)) {
      sandboxes.get(e.sandbox).state = e.to;
      renderList();
    } else {
      api('/v1/sandboxes/' + encodeURIComponent(e.sandbox))
        .then(s => { sandboxes.set(s.id, s); renderList(); })
        .catch(() => {});
    }
  });
  events.addEventListener('egress', m => {
    const e = JSON.parse(m.data);
    const list = egress.get(e.sandbox) || [];
    list.push(e.audit);
    while (list.length > EGRESS_KEEP) list.shift();
    egress.set(e.sandbox, list);
    if (e.sandbox === selected) renderEgress();
  });
}

function sendResize() {
  if (session && session.ws.readyState === WebSocket.OPEN) {
    session.ws.send(JSON.stringify({ resize: { rows: term.rows, cols: term.cols } }));
  }
}

function openTerminal(id) {
  if (session) session.ws.close();
  select(id);
  term.reset();
  fit.fit();
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const ws = new WebSocket(scheme + location.host + '/v1/sandboxes/' + encodeURIComponent(id)
    + '/tty?rows=' + term.rows + '&cols=' + term.cols);
  ws.binaryType = 'arraybuffer';
  session = { ws, id };
  const title = document.getElementById('term-title');
  title.textContent = 'connecting to ' + id + '…';
  ws.onopen = () => { title.textContent = 'terminal: ' + id; term.focus(); };
  ws.onmessage = m => {
    if (typeof m.data === 'string') {
      const c = JSON.parse(m.data);
      title.textContent = c.type === 'exit' ? 'exited with ' + c.code + ': ' + id : 'error: ' + c.error;
    } else {
      term.write(new Uint8Array(m.data));
    }
  };
  ws.onclose = () => { if (session && session.ws === ws) { session = null; } };
}

const encoder = new TextEncoder();
term.onData(d => { if (session && session.ws.readyState === WebSocket.OPEN) session.ws.send(encoder.encode(d)); });
term.onBinary(d => {
  if (!session || session.ws.readyState !== WebSocket.OPEN) return;
  const bytes = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) bytes[i] = d.charCodeAt(i) & 0xff;
  session.ws.send(bytes);
});
term.onResize(sendResize);
window.addEventListener('resize', () => fit.fit());

// For tests and the curious: the terminal and its screen as text.
window.paddock = {
  term,
  openTerminal,
  sandboxes,
  connected: () => session !== null && session.ws.readyState === WebSocket.OPEN,
  screen: () => {
    const b = term.buffer.active;
    const lines = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
    return lines.join('\n');
  },
};

listen();
