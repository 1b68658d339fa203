// The node's page: reads the local JSON-RPC API with the session cookie and redraws itself every
// second. Every name and label from the node goes into the page as text (textContent), never as HTML.
'use strict';

const POLL_MS = 1000;
let rpcId = 0;

async function rpc(method, params) {
  const response = await fetch('/api/rpc', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method, params: params || {}, id: ++rpcId }),
  });
  if (response.status === 401) throw new Error('Not signed in: run "megatorrent ui -d DIR" and open the link it prints.');
  let answer;
  try {
    answer = await response.json();
  } catch (e) {
    throw new Error('The node answered HTTP ' + response.status + '.');
  }
  if (answer.error) throw new Error(answer.error.message);
  return answer.result;
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

function percent(done, total) {
  return total > 0 ? Math.floor((done * 100) / total) : 100;
}

function streamUrl(d) {
  const item = d.item.split('/').map(encodeURIComponent).join('/');
  return '/stream/' + d.publicKey + '/' + encodeURIComponent(d.collection) + '/' + item;
}

function isMedia(name) {
  return /\.(wav|mp3|ogg|oga|opus|flac|m4a|aac|mp4|m4v|webm|ogv|mkv|mov)$/i.test(name);
}

function isVideo(name) {
  return /\.(mp4|m4v|webm|ogv|mkv|mov)$/i.test(name);
}

// Keeps one <tr> per key so focus and the player survive a redraw.
function syncRows(tbody, items, keyOf, fill) {
  const seen = new Set();
  const existing = new Map();
  for (const tr of tbody.rows) existing.set(tr.dataset.key, tr);
  items.forEach((item, index) => {
    const key = keyOf(item);
    seen.add(key);
    let tr = existing.get(key);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.key = key;
    }
    fill(tr, item);
    if (tbody.rows[index] !== tr) tbody.insertBefore(tr, tbody.rows[index] || null);
  });
  for (const [key, tr] of existing) if (!seen.has(key)) tr.remove();
}

function cells(tr, count) {
  while (tr.cells.length < count) tr.appendChild(document.createElement('td'));
  return Array.from(tr.cells);
}

function setText(td, text) {
  if (td.textContent !== String(text)) td.textContent = String(text);
}

function progressCell(td, done, total) {
  let p = td.querySelector('progress');
  if (!p) {
    td.textContent = '';
    p = document.createElement('progress');
    p.max = 100;
    td.appendChild(p);
    td.appendChild(el('span'));
  }
  const pc = percent(done, total);
  p.value = pc;
  p.setAttribute('aria-label', pc + '%');
  td.querySelector('span').textContent = ' ' + pc + '%';
}

function drawSubscriptions(subs) {
  syncRows(document.querySelector('#subscriptions tbody'), subs, s => s.publicKey, (tr, s) => {
    const c = cells(tr, 6);
    setText(c[0], s.label || '—');
    setText(c[1], s.uri);
    c[1].className = 'key';
    setText(c[2], s.lastSequence >= 0 ? s.lastSequence : '—');
    setText(c[3], s.status + (s.error ? ' (' + s.error + ')' : ''));
    progressCell(c[4], s.bytesDone, s.bytes);
    if (!c[5].firstChild) {
      const b = el('button', 'Remove', 'secondary');
      b.type = 'button';
      b.setAttribute('aria-label', 'Remove subscription ' + (s.label || s.publicKey));
      b.addEventListener('click', () => unsubscribe(s.publicKey));
      c[5].appendChild(b);
    }
  });
}

function drawDownloads(files) {
  syncRows(document.querySelector('#downloads tbody'), files, d => d.publicKey + '/' + d.collection + '/' + d.item, (tr, d) => {
    const c = cells(tr, 6);
    if (!c[0].firstChild) {
      const a = el('a', d.collection + '/' + d.item);
      a.href = streamUrl(d);
      a.target = '_blank';
      a.rel = 'noopener';
      c[0].appendChild(a);
    }
    progressCell(c[1], d.bytesDone, d.size);
    setText(c[2], bytes(d.rate) + '/s');
    setText(c[3], d.peers);
    setText(c[4], d.state);
    if (!c[5].firstChild && isMedia(d.item)) {
      const b = el('button', 'Play', 'secondary');
      b.type = 'button';
      b.setAttribute('aria-label', 'Play ' + d.item);
      b.addEventListener('click', () => play(d));
      c[5].appendChild(b);
    }
  });
}

function play(d) {
  const audio = document.getElementById('audio');
  const video = document.getElementById('video');
  const media = isVideo(d.item) ? video : audio;
  const other = media === audio ? video : audio;
  other.pause();
  other.hidden = true;
  media.hidden = false;
  document.getElementById('player').hidden = false;
  document.getElementById('player-title').textContent = d.collection + '/' + d.item;
  media.src = streamUrl(d);
  media.play().catch(e => message('subscribe-message', 'Cannot play: ' + e.message, true));
}

function drawPublished(list) {
  syncRows(document.querySelector('#published tbody'), list, p => p.publicKey, (tr, p) => {
    const c = cells(tr, 3);
    setText(c[0], p.uri);
    c[0].className = 'key';
    setText(c[1], p.seq);
    setText(c[2], p.keyFile);
  });
}

function drawStatus(s) {
  const dl = document.getElementById('status');
  const rows = [
    ['Mode', s.mode], ['DHT port', s.dhtPort], ['Listen port', s.listenPort], ['DHT nodes', s.dhtNodes],
    ['Peers', s.peers], ['Uploaded', bytes(s.bytesUp)], ['Downloaded', bytes(s.bytesDown)],
    ['Download limit', s.downloadRate > 0 ? bytes(s.downloadRate) + '/s' : 'none'],
    ['Static key', s.staticKey], ['Data folder', s.dataDir], ['Up', s.uptimeSeconds + ' s'],
  ];
  dl.textContent = '';
  for (const [k, v] of rows) {
    dl.appendChild(el('dt', k));
    dl.appendChild(el('dd', v));
  }
  document.getElementById('blob-summary').textContent =
    s.blobsHeld + ' blobs held, ' + bytes(s.bytesHeld) + ' on disk';
}

function drawLedger(l) {
  const summary = document.getElementById('ledger-summary');
  if (l === null) {
    summary.textContent = 'This node keeps no ledger.';
    syncRows(document.querySelector('#ledger-peers tbody'), [], p => p.key, () => {});
    return;
  }
  summary.textContent = 'Balance ' + bytes(Math.abs(l.balance)) + (l.balance < 0 ? ' taken more than given' : ' given more than taken')
    + ' · chain of ' + l.chainLength + ' blocks, ' + l.countersigned + ' countersigned'
    + (l.fraudsters.length ? ' · ' + l.fraudsters.length + ' double-signers refused' : '');
  syncRows(document.querySelector('#ledger-peers tbody'), l.peers, p => p.key, (tr, p) => {
    const c = cells(tr, 4);
    setText(c[0], p.key);
    c[0].className = 'key';
    setText(c[1], bytes(p.score));
    setText(c[2], bytes(p.given));
    setText(c[3], bytes(p.taken));
  });
}

function message(id, text, isError) {
  const p = document.getElementById(id);
  p.textContent = text;
  p.classList.toggle('error', !!isError);
}

async function refresh() {
  try {
    const [status, subs, files, published] = await Promise.all([
      rpc('status'), rpc('subscriptions'), rpc('downloads'), rpc('published'),
    ]);
    drawSubscriptions(subs);
    drawDownloads(files);
    drawPublished(published);
    drawStatus(status);
    drawLedger(await rpc('ledger').catch(() => null));
    setState('Connected · ' + subs.length + ' subscriptions · ' + status.peers + ' peers', false);
  } catch (e) {
    setState(e.message, true);
  }
}

function setState(text, isError) {
  const p = document.getElementById('state');
  p.textContent = text;
  p.classList.toggle('error', isError);
}

async function unsubscribe(publicKey) {
  try {
    await rpc('unsubscribe', { publicKey });
    message('subscribe-message', 'Unsubscribed.', false);
  } catch (e) {
    message('subscribe-message', e.message, true);
  }
  refresh();
}

document.getElementById('subscribe-form').addEventListener('submit', async event => {
  event.preventDefault();
  const form = event.target;
  let uri = form.uri.value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(uri)) uri = 'megatorrent://' + uri;
  const params = { uri };
  if (form.label.value.trim()) params.label = form.label.value.trim();
  try {
    const s = await rpc('subscribe', params);
    message('subscribe-message', s.alreadyFollowed ? 'Already subscribed.' : 'Subscribed.', false);
    form.reset();
  } catch (e) {
    message('subscribe-message', e.message, true);
  }
  refresh();
});

document.getElementById('publish-form').addEventListener('submit', async event => {
  event.preventDefault();
  const form = event.target;
  const params = { path: form.path.value.trim() };
  if (form.keyFile.value.trim()) params.keyFile = form.keyFile.value.trim();
  message('publish-message', 'Publishing…', false);
  try {
    const r = await rpc('publish', params);
    message('publish-message', 'Published sequence ' + r.seq + ': ' + r.uri, false);
    form.reset();
  } catch (e) {
    message('publish-message', e.message, true);
  }
  refresh();
});

document.getElementById('rate-form').addEventListener('submit', async event => {
  event.preventDefault();
  const form = event.target;
  const mib = Number(form.limit.value);
  if (!Number.isFinite(mib) || mib < 0) {
    message('rate-message', 'The limit is a number of MiB/s, 0 or more.', true);
    return;
  }
  try {
    const r = await rpc('setDownloadRate', { bytesPerSecond: Math.round(mib * 1048576) });
    message('rate-message', r.downloadRate > 0 ? 'Downloads limited to ' + bytes(r.downloadRate) + '/s.' : 'No download limit.', false);
    form.reset();
  } catch (e) {
    message('rate-message', e.message, true);
  }
  refresh();
});

refresh();
setInterval(refresh, POLL_MS);
