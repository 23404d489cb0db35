/**
 * The dashboard's HTTP side over a memory store: read-only by default, actions only with the token from the same
 * origin, DNS rebinding refused on loopback, the live feed sends the model on connect and again after a store change,
 * a cap on live views, and the agent's listener serving the pages (read-only) beside its probes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SystemClock } from '../../src/lib/clock.js';
import { MemoryStore, type Store } from '../../src/store/index.js';
import { createDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { DEFAULT_HTTP_LIMITS, listenHttp, serveAgentHttp, type AgentHttpServer } from '../../src/cli/agent-http.js';
import { AgentMetrics } from '../../src/controller/metrics.js';
import type { DashboardModel } from '../../src/dashboard/model.js';
import { OBJECTS } from './fixture.js';

const TOKEN = 'test-token-0123456789abcdef';
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function storeWithCluster(): Promise<Store> {
  const store = new MemoryStore('memory://dashboard-test');
  for (const o of OBJECTS) {
    const { status, ...rest } = o as typeof o & { status?: unknown };
    const created = await store.objects.create(rest);
    if (status) await store.objects.updateStatus({ ...created, status });
  }
  cleanup.push(() => store.close());
  return store;
}

async function serve(actions: boolean, maxClients?: number): Promise<{ base: string; port: number; store: Store; dashboard: Dashboard }> {
  const store = await storeWithCluster();
  const dashboard = createDashboard({
    store,
    clock: new SystemClock(),
    host: '127.0.0.1',
    debounceMs: 20,
    ...(actions ? { actions: { token: TOKEN } } : {}),
    ...(maxClients ? { maxClients } : {}),
  });
  const server = await listenHttp(
    { host: '127.0.0.1', port: 0 },
    DEFAULT_HTTP_LIMITS,
    (req, res) => void (dashboard.handler.handle(req, res) || res.writeHead(404).end()),
    'dashboard-listen-failed',
  );
  cleanup.push(
    () => server.close(),
    () => dashboard.stop(),
  );
  return { base: `http://${server.address}`, port: Number(server.address.split(':')[1]), store, dashboard };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const code = (r: Reply) => (JSON.parse(r.body) as { code: string }).code;

test('the page, its script and the model JSON; a strict content security policy', async () => {
  const { base } = await serve(false);
  const page = await request(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.body, /<script src="\/app.js"><\/script>/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal((await request(`${base}/app.js`)).status, 200);
  const model = JSON.parse((await request(`${base}/api/status`)).body) as DashboardModel;
  assert.deepEqual(
    model.groups.map(
      (g) =>
        `${g.name}:${Object.values(g.cells)
          .map((c) => `${c.node}=${c.state}${c.active ? '*' : ''}`)
          .join()}`,
    ),
    ['ftp:node1=ISP*', 'web:node1=ISP*,node2=OSU'],
  );
  const group = await request(`${base}/api/group/default/web`);
  assert.match(group.body, /"kind":"GroupPage"/);
  const missing = await request(`${base}/api/group/default/nope`);
  assert.equal(missing.status, 404);
  assert.equal(code(missing), 'dashboard-group-not-found');
  const garbled = await request(`${base}/api/group/default/%E0%A4%A`);
  assert.equal(garbled.status, 400);
  assert.equal(code(garbled), 'dashboard-bad-path');
});

test('read-only by default: every action is 403, other methods 405', async () => {
  const { base, store } = await serve(false);
  const post = await request(`${base}/api/actions/maintenance`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ group: 'web', enabled: true }),
  });
  assert.equal(post.status, 403);
  assert.equal(code(post), 'dashboard-read-only');
  assert.equal((await request(`${base}/api/status`, { method: 'DELETE' })).status, 405);
  const web = await store.objects.get('FailoverGroup', 'default', 'web');
  assert.equal(web.metadata.annotations, undefined, 'nothing written');
});

test('actions: the token, the same origin and a JSON body are required; then the CLI function runs', async () => {
  const { base, store, port } = await serve(true);
  const body = JSON.stringify({ group: 'web', enabled: true });
  const post = (headers: Record<string, string>, b = body) =>
    request(`${base}/api/actions/maintenance`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
  const noToken = await post({});
  assert.equal(noToken.status, 401);
  assert.equal(code(noToken), 'dashboard-token-required');
  assert.equal((await post({ authorization: 'Bearer wrong-token-0123456789abc' })).status, 401);
  const crossSite = await post({ authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' });
  assert.equal(crossSite.status, 403);
  assert.equal(code(crossSite), 'dashboard-cross-origin');
  const form = await request(`${base}/api/actions/maintenance`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'group=web',
  });
  assert.equal(form.status, 415);
  assert.equal(code(await post({ authorization: `Bearer ${TOKEN}` }, '{"group": 1}')), 'dashboard-bad-body');
  const ok = await post({ authorization: `Bearer ${TOKEN}`, origin: `http://127.0.0.1:${port}` });
  assert.equal(ok.status, 200, ok.body);
  assert.match(ok.body, /maintenance on for group web/);
  const web = await store.objects.get('FailoverGroup', 'default', 'web');
  assert.equal(web.metadata.annotations?.['winha.io/maintenance'], 'true');
  const refused = await request(`${base}/api/actions/switchover`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ group: 'web', to: 'node2' }),
  });
  assert.equal(refused.status, 409, 'the mirror gate, as the CLI: E: is resyncing to node2');
  assert.match(refused.body, /switchover refused/);
});

test('on loopback, a request naming another Host (DNS rebinding) is refused', async () => {
  const { base } = await serve(false);
  const r = await request(`${base}/api/status`, { headers: { host: 'attacker.example:80' } });
  assert.equal(r.status, 421);
  assert.equal(code(r), 'dashboard-host-refused');
});

/** Read server-sent events until `until` says stop. */
function readEvents(
  url: string,
  until: (events: { event: string; data: string }[]) => boolean,
): Promise<{ event: string; data: string }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: string }[] = [];
    const req = http.get(url, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data });
          if (until(events)) {
            req.destroy();
            resolve(events);
          }
        }
      });
    });
    req.on('error', reject);
  });
}

test('the live feed: the model on connect, then again after a store change (the active node moves)', async () => {
  const { base, store } = await serve(false);
  const activeOf = (data: string) => (JSON.parse(data) as DashboardModel).groups.find((g) => g.name === 'web')?.activeNode;
  let changed = false;
  const events = await readEvents(`${base}/api/events`, (evs) => {
    const models = evs.filter((e) => e.event === 'model');
    if (models.length === 1 && !changed) {
      changed = true;
      void store.objects
        .get('FailoverGroup', 'default', 'web')
        .then((g) => store.objects.updateStatus({ ...g, status: { ...(g.status as object), activeNode: 'node2' } }));
    }
    return models.some((m) => activeOf(m.data) === 'node2');
  });
  const models = events.filter((e) => e.event === 'model');
  assert.equal(activeOf(models[0]!.data), 'node1');
  assert.equal(activeOf(models.at(-1)!.data), 'node2');
});

test('live views are capped: one more gets 503 with Retry-After', async () => {
  const { base, dashboard } = await serve(false, 1);
  await readEvents(`${base}/api/events`, () => true).catch(() => undefined);
  const held = http.get(`${base}/api/events`);
  cleanup.push(() => void held.destroy());
  await new Promise<void>((r) => held.on('response', () => r()));
  assert.equal(dashboard.handler.clients, 1);
  const more = await request(`${base}/api/events`);
  assert.equal(more.status, 503);
  assert.equal(code(more), 'dashboard-too-many-clients');
  assert.equal(more.headers['retry-after'], '10');
});

test("the agent's listener serves the pages read-only beside /healthz and /metrics", async () => {
  const store = await storeWithCluster();
  const dashboard = createDashboard({ store, clock: new SystemClock(), host: '127.0.0.1', maxClients: 4 });
  const agent = { ready: true, queueDepth: 0, metrics: new AgentMetrics() };
  const server: AgentHttpServer = await serveAgentHttp(agent, { host: '127.0.0.1', port: 0 }, DEFAULT_HTTP_LIMITS, dashboard.handler);
  cleanup.push(
    () => server.close(),
    () => dashboard.stop(),
  );
  const base = `http://${server.address}`;
  assert.equal((await request(`${base}/healthz`)).body, 'ok\n');
  assert.equal((await request(`${base}/metrics`)).status, 200);
  assert.match((await request(`${base}/api/status`)).body, /"kind":"DashboardModel"/);
  const post = await request(`${base}/api/actions/clear`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: '{"group":"web"}',
  });
  assert.equal(post.status, 403);
  assert.equal(code(post), 'dashboard-read-only');
});

test('a store that does not answer: 503 with a code, not a request held open', async () => {
  const silent = { url: 'memory://silent', objects: { list: () => new Promise<never>(() => undefined) }, close: async () => undefined };
  const dashboard = createDashboard({ store: silent as unknown as Store, clock: new SystemClock(), host: '127.0.0.1', storeWaitMs: 200 });
  const server = await listenHttp(
    { host: '127.0.0.1', port: 0 },
    DEFAULT_HTTP_LIMITS,
    (req, res) => void dashboard.handler.handle(req, res),
    'x',
  );
  cleanup.push(
    () => server.close(),
    () => dashboard.stop(),
  );
  const r = await request(`http://${server.address}/api/status`);
  assert.equal(r.status, 503);
  assert.equal(code(r), 'dashboard-store-unavailable');
  assert.equal((await request(`http://${server.address}/`)).status, 200, 'the page itself needs no store');
});
