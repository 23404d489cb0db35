/**
 * The dashboard's script: plain browser JavaScript, no framework, no build step (served as is). It renders the model
 * the server sends on /api/events, builds the DOM with textContent (store values are never parsed as HTML), and
 * keeps keyboard focus across re-renders. Written without template literals so it can live in this String.raw.
 */
export const APP_JS = String.raw`'use strict';
(function () {
  var model = null, receivedAt = 0, serverNow = 0, leases = {}, groupPage = null, groupTimer = null;
  var main = document.getElementById('main');

  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) continue;
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'style') e.style.cssText = attrs[k]; // CSSOM: allowed by the page's CSP, unlike a style attribute
      else if (k === 'on') for (var ev in attrs.on) e.addEventListener(ev, attrs.on[ev]);
      else e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c !== null && c !== undefined) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function nowMs() { return serverNow + (performance.now() - receivedAt); }
  function ago(iso) {
    var s = Math.round((nowMs() - Date.parse(iso)) / 1000);
    if (!isFinite(s)) return iso;
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  }
  function leaseText(node) {
    var at = leases[node];
    if (at === null || at === undefined) return 'no lease';
    var left = (at - nowMs()) / 1000;
    return left > 0 ? 'lease ' + left.toFixed(1) + ' s' : 'lease expired ' + Math.round(-left) + ' s ago';
  }
  function takeoverText(at) {
    var left = (at - nowMs()) / 1000;
    return left > 0 ? 'takeover possible in ' + left.toFixed(1) + ' s' : 'group lease expired ' + Math.round(-left) + ' s ago';
  }
  function route() {
    // #/group/NS/NAME, or a shared link /group/NS/NAME (the server answers it with this page).
    var m = /^#\/group\/([^/]+)\/([^/]+)$/.exec(location.hash) || (location.hash ? null : /^\/group\/([^/]+)\/([^/]+)$/.exec(location.pathname));
    return m ? { ns: decodeURIComponent(m[1]), name: decodeURIComponent(m[2]) } : null;
  }
  function groupHref(ns, name) { return '#/group/' + encodeURIComponent(ns) + '/' + encodeURIComponent(name); }
  function cond(c) {
    if (!c) return '';
    return c.type + '=' + c.status + (c.reason ? ' (' + c.reason + ')' : '') + (c.code !== undefined ? ' [' + c.code + ']' : '');
  }

  function health() {
    var el = document.getElementById('health');
    el.textContent = model.healthy ? '✔ healthy' : '✖ ' + model.problems.length + ' problem' + (model.problems.length === 1 ? '' : 's');
    el.className = model.healthy ? 'healthy' : 'unhealthy';
  }

  function grid() {
    var head = h('tr', null, [h('th', { scope: 'col', text: 'Group' }), h('th', { scope: 'col', text: 'Ready' })].concat(model.nodes.map(function (n) {
      return h('th', { scope: 'col', class: 'node node-' + n.state, 'data-node': n.name }, [
        n.name, h('small', { text: n.state + (n.maintenance ? ' · maintenance' : '') }),
        h('small', { 'data-lease': n.name, text: leaseText(n.name) })]);
    })));
    var rows = model.groups.map(function (g) {
      var key = g.namespace + '/' + g.name;
      var cells = model.nodes.map(function (n) {
        var c = g.cells[n.name];
        if (!c) return h('td', { class: 'blank', 'data-node': n.name, 'aria-label': g.name + ' cannot run on ' + n.name });
        var text = c.state + (c.active ? ' ★ active' : '') + (c.bannedUntil ? ' ⛔ banned' : '');
        return h('td', { class: 'cell tone-' + c.tone + (c.active ? ' active' : ''), 'data-node': n.name, 'data-state': c.state,
          'aria-label': g.name + ' on ' + n.name + ': ' + text }, [c.state, c.active ? h('span', { class: 'active-mark', 'aria-hidden': 'true', text: '★ active' }) : null,
          c.bannedUntil ? h('span', { class: 'active-mark', text: '⛔ banned' }) : null]);
      });
      var ready = g.ready.status === 'True' ? 'Ready' : 'Not ready' + (g.ready.reason ? ' (' + g.ready.reason + ')' : '');
      return h('tr', { 'data-group': key }, [
        h('th', { scope: 'row' }, [h('a', { href: groupHref(g.namespace, g.name), 'data-focus': 'g:' + key, text: g.name }),
          g.namespace !== 'default' ? h('small', { class: 'muted', text: ' ' + g.namespace }) : null]),
        h('td', { class: g.ready.status === 'True' ? 'tone-ok' : 'tone-bad' }, [ready + (g.phase ? ' · ' + g.phase : ''),
          g.takeoverAt ? h('small', { 'data-takeover': String(g.takeoverAt), text: takeoverText(g.takeoverAt) }) : null,
          g.takeoverBy ? h('small', { class: 'takeover', text: g.takeoverBy + ' is taking over' }) : null])].concat(cells));
    });
    return h('section', { 'aria-labelledby': 'h-grid' }, [h('h2', { id: 'h-grid', text: 'Groups × nodes' }),
      h('p', { class: 'muted', text: 'ISP in service · ISU in service, unprotected · OSU standby · OSF failed · ★ active node · hatched: the group cannot run there' }),
      h('table', { id: 'grid', class: 'grid' }, [h('thead', null, [head]), h('tbody', null, rows)])]);
  }

  function mirrorLine(g, m) {
    var pct = m.resyncPercent;
    return h('li', { class: 'mirror', 'data-mirror': g.namespace + '/' + m.name }, [
      g.name + ' ' + m.volume + ' ' + (m.source || '?') + ' → ' + (m.targets.join(', ') || '?') + ' ' + m.state + (pct !== null ? ' ' + Math.round(pct) + '%' : ''),
      pct !== null ? h('progress', { max: '100', value: String(pct), 'aria-label': 'resync of ' + m.volume }) : null]);
  }

  function mirrors() {
    var items = [];
    model.groups.forEach(function (g) { g.mirrors.forEach(function (m) { items.push(mirrorLine(g, m)); }); });
    return h('section', { 'aria-labelledby': 'h-mirrors' }, [h('h2', { id: 'h-mirrors', text: 'Mirrors' }),
      items.length ? h('ul', null, items) : h('p', { class: 'muted', text: 'No mirrors.' })]);
  }

  function timeline(rows) {
    if (!rows.length) return h('p', { class: 'muted', text: 'No failovers yet.' });
    var t0 = Date.parse(rows[0].at), t1 = Math.max(nowMs(), t0 + 1000), span = t1 - t0;
    var strip = h('div', { class: 'strip', role: 'img', 'aria-label': 'outages on a time line; the table below lists them' });
    rows.forEach(function (r) {
      if (!r.outageSeconds) return;
      var b = h('span', { title: r.group + ' ' + r.kind + ': out ' + r.outageSeconds + ' s',
        style: 'left:' + ((Date.parse(r.at) - t0) / span * 100) + '%;width:' + Math.max(0.4, r.outageSeconds * 1000 / span * 100) + '%' });
      strip.appendChild(b);
    });
    var body = rows.slice().reverse().map(function (r) {
      return h('tr', null, [h('td', { text: ago(r.at), title: r.at }), h('td', { text: r.group }), h('td', { text: r.kind }),
        h('td', { text: (r.from || '-') + ' → ' + (r.to || '-') }), h('td', { text: r.epoch === undefined ? '-' : String(r.epoch) }),
        h('td', null, r.outageSeconds === undefined ? ['-'] : [h('span', { class: 'bar', style: 'width:' + Math.min(120, 2 + r.outageSeconds * 6) + 'px', 'aria-hidden': 'true' }), ' ' + r.outageSeconds + ' s']),
        h('td', { text: r.reason })]);
    });
    return h('div', null, [strip, h('table', { class: 'timeline' }, [h('thead', null, [h('tr', null, ['When', 'Group', 'Kind', 'From → to', 'Epoch', 'Outage', 'Reason'].map(function (t) {
      return h('th', { scope: 'col', text: t }); }))]), h('tbody', null, body)])]);
  }

  function warnings() {
    var list = model.warnings.map(function (w) {
      return h('li', null, [h('strong', { text: w.reason + (w.code !== null ? ' [' + w.code + ']' : '') }), ' ' + w.object + (w.node ? ' on ' + w.node : '') + ': ' + w.message +
        (w.count > 1 ? ' (×' + w.count + ')' : '') + ' ', h('span', { class: 'muted', text: ago(w.time), title: w.time })]);
    });
    return h('section', { 'aria-labelledby': 'h-warn' }, [h('h2', { id: 'h-warn', text: 'Warnings (live)' }),
      list.length ? h('ul', { id: 'warnings', 'aria-live': 'polite' }, list) : h('p', { class: 'muted', text: 'No Warning events.' })]);
  }

  function syncs() {
    var rows = (model.syncs || []).map(function (s) {
      var rev = s.appliedRevision ? s.appliedRevision.slice(0, 12) : '-';
      return h('tr', { 'data-sync': s.namespace + '/' + s.name }, [h('th', { scope: 'row', text: s.name }),
        h('td', { class: s.phase === 'Synced' ? 'tone-ok' : s.phase === 'Applying' ? 'tone-warn' : 'tone-bad', text: s.phase }),
        h('td', { text: rev }), h('td', { text: s.source + (s.ref ? '@' + s.ref : '') + (s.path !== '.' ? ' ' + s.path : '') }),
        h('td', { text: s.lastAttemptTime ? ago(s.lastAttemptTime) : '-' }),
        h('td', { text: s.phase === 'Synced' ? (s.drifted ? s.drifted + ' drifted' : '') : (s.message || '') })]);
    });
    return h('section', { class: 'below', 'aria-labelledby': 'h-sync' }, [h('h2', { id: 'h-sync', text: 'GitOps (winha sync)' }),
      h('table', { id: 'syncs', class: 'timeline' }, [h('thead', null, [h('tr', null, ['Sync', 'Phase', 'Revision', 'Source', 'Last pass', 'Note'].map(function (t) {
        return h('th', { scope: 'col', text: t });
      }))]), h('tbody', null, rows)])]);
  }

  function overview() {
    var parts = [grid()];
    if (model.problems.length) parts.unshift(h('ul', { class: 'problems', 'aria-label': 'problems' }, model.problems.map(function (p) { return h('li', { text: p }); })));
    parts.push(h('div', { class: 'cols below' }, [mirrors(), warnings()]));
    parts.push(h('section', { class: 'below', 'aria-labelledby': 'h-tl' }, [h('h2', { id: 'h-tl', text: 'Failover timeline' }), timeline(model.timeline)]));
    if (model.syncs && model.syncs.length) parts.push(syncs());
    return parts;
  }

  function act(action, body, out) {
    var token = sessionStorage.getItem('winha-token') || '';
    out.textContent = '…';
    fetch('/api/actions/' + action, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); })
      .then(function (a) { out.textContent = (a.ok ? '✔ ' : '✖ ') + a.message; })
      .catch(function (e) { out.textContent = '✖ ' + e; });
  }

  // Built once per group and kept across re-renders: what is typed in it, and the last answer, survive updates.
  var actionsBar = { key: null, el: null };
  function actions(g) {
    var key = g.namespace + '/' + g.name;
    if (actionsBar.key !== key) actionsBar = { key: key, el: buildActions(g) };
    return actionsBar.el;
  }
  function buildActions(g) {
    var out = h('span', { class: 'msg', role: 'status', 'aria-live': 'polite' });
    var token = h('input', { type: 'password', 'aria-label': 'dashboard token', 'data-focus': 'token', placeholder: 'token', value: sessionStorage.getItem('winha-token') || '',
      on: { change: function (e) { sessionStorage.setItem('winha-token', e.target.value); } } });
    var target = h('select', { 'aria-label': 'switch over to node', 'data-focus': 'target' }, Object.keys(g.cells).map(function (n) { return h('option', { value: n, text: n }); }));
    var base = { namespace: g.namespace, group: g.name };
    function btn(label, fn) {
      return h('button', { type: 'button', 'data-focus': 'a:' + label, text: label, on: { click: function () { sessionStorage.setItem('winha-token', token.value); fn(); } } });
    }
    return h('div', { class: 'actions', role: 'group', 'aria-label': 'actions' }, [token, target,
      btn('Switch over', function () { act('switchover', Object.assign({ to: target.value }, base), out); }),
      btn('Maintenance on', function () { act('maintenance', Object.assign({ enabled: true }, base), out); }),
      btn('Maintenance off', function () { act('maintenance', Object.assign({ enabled: false }, base), out); }),
      btn('Clear', function () { act('clear', base, out); }), out]);
  }

  function groupView(p) {
    var g = p.group;
    var res = p.resources.map(function (r, i) {
      return h('tr', { 'data-resource': r.kind + '/' + r.name }, [h('td', { text: String(i + 1) }), h('td', { text: r.kind }), h('td', { text: r.name }), h('td', { class: 'code', text: r.summary }),
        h('td', { text: r.nodes.map(function (n) { return n.name + ': ' + n.text; }).join(', ') || '-' }),
        h('td', { text: r.conditions.map(cond).join('; ') || '-' }),
        h('td', { text: r.lastCheck ? r.lastCheck.result + (r.lastCheck.code !== null ? ' [' + r.lastCheck.code + ']' : '') + ' ' + ago(r.lastCheck.time) : '-' })]);
    });
    return [h('p', null, [h('a', { href: '/#/', 'data-focus': 'back', text: '← all groups' })]),
      h('h2', { id: 'h-group', text: 'Group ' + g.name + (g.namespace !== 'default' ? ' (' + g.namespace + ')' : '') }),
      h('p', { text: 'Active: ' + (g.activeNode || 'none') + ' · epoch ' + (g.epoch === null ? '-' : g.epoch) + ' · phase ' + (g.phase || '-') + ' · desired ' + g.desiredState }),
      h('p', { text: 'Nodes: ' + Object.keys(g.cells).map(function (n) { var c = g.cells[n]; return n + ' ' + c.state + (c.active ? ' ★' : ''); }).join(' · ') }),
      g.mirrors.length ? h('ul', { 'aria-label': 'mirrors' }, g.mirrors.map(function (m) { return mirrorLine(g, m); })) : null,
      model && model.actions ? actions(g) : null,
      h('h2', { text: 'Resources, in start order' }),
      h('table', { id: 'resources' }, [h('thead', null, [h('tr', null, ['#', 'Kind', 'Name', 'What', 'On each node', 'Conditions', 'Last check'].map(function (t) { return h('th', { scope: 'col', text: t }); }))]),
        h('tbody', null, res)]),
      h('h2', { text: 'Conditions' }),
      h('ul', null, p.conditions.map(function (c) { return h('li', { text: cond(c) + (c.message ? ': ' + c.message : '') }); })),
      h('h2', { text: 'History' }), timeline(p.history)];
  }

  function render() {
    if (!model) return;
    health();
    var focused = document.activeElement && document.activeElement.getAttribute('data-focus');
    var r = route();
    var parts;
    if (r) parts = groupPage && groupPage.group.name === r.name && groupPage.group.namespace === r.ns ? groupView(groupPage) : [h('p', { text: 'Loading group ' + r.name + '…' })];
    else parts = overview();
    var frag = document.createDocumentFragment();
    parts.forEach(function (p) { if (p) frag.appendChild(p); });
    main.replaceChildren(frag);
    if (focused) { var el = main.querySelector('[data-focus="' + focused.replace(/"/g, '') + '"]'); if (el) el.focus(); }
  }

  function loadGroup() {
    var r = route();
    if (!r) { groupPage = null; return render(); }
    fetch('/api/group/' + encodeURIComponent(r.ns) + '/' + encodeURIComponent(r.name)).then(function (res) {
      if (!res.ok) return res.json().then(function (e) { main.replaceChildren(h('p', { text: e.message }), h('a', { href: '/#/', text: '← all groups' })); });
      return res.json().then(function (p) { groupPage = p; render(); });
    }).catch(function () { /* the next model retries */ });
  }

  function tick() {
    var els = document.querySelectorAll('[data-lease]');
    for (var i = 0; i < els.length; i++) els[i].textContent = leaseText(els[i].getAttribute('data-lease'));
    var tos = document.querySelectorAll('[data-takeover]');
    for (var j = 0; j < tos.length; j++) tos[j].textContent = takeoverText(Number(tos[j].getAttribute('data-takeover')));
  }

  window.addEventListener('hashchange', function () { loadGroup(); main.focus(); });
  var conn = document.getElementById('conn');
  function onModel(e) {
    var first = !model;
    if (first) performance.mark('winha-model'); // the bench reads these marks: where the first paint goes
    model = JSON.parse(e.data); serverNow = model.now; receivedAt = performance.now();
    leases = {}; model.nodes.forEach(function (n) { leases[n.name] = n.leaseExpiresAt; });
    conn.textContent = '';
    if (route()) { clearTimeout(groupTimer); groupTimer = setTimeout(loadGroup, 50); }
    render();
    if (first) { performance.mark('winha-rendered'); requestAnimationFrame(function () { setTimeout(function () { performance.mark('winha-painted'); }); }); }
  }
  function connect() {
    var es = new EventSource('/api/events');
    es.addEventListener('model', onModel);
    es.addEventListener('leases', function (e) { var d = JSON.parse(e.data); serverNow = d.now; receivedAt = performance.now(); leases = d.leases; tick(); });
    es.onerror = function () {
      conn.textContent = 'reconnecting to the live feed…';
      // The browser retries a dropped stream itself, but not one refused (503: store not answering, too many views).
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    };
  }
  connect();
  setInterval(tick, 500);
  loadGroup();
})();
`;
