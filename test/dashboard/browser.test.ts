/**
 * The dashboard in a real browser (Debian's chromium, headless, via playwright-core) over a real simulated cluster:
 * a world server, one agent process per node and `winha dashboard`, sharing a file store, as `make run` has them.
 * The grid shows the demo cluster; crashing the active node turns its cell red and moves the active mark; the group
 * page lists resources in start order and is reached by keyboard. And an action from the group page (memory store:
 * no agents needed). Screenshots: .test-artifacts/dashboard*.png.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { EXAMPLES_DIR, ROOT } from '../support/paths.js';
import { runWinha } from '../support/cli.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { agentArgs, dashboardUrl, ProcessGroup, startDashboard, startWorld } from '../../src/sim/harness/processes.js';
import { RemoteWorldApi } from '../../src/drivers/sim/remote-world.js';
import { callWorld } from '../../src/drivers/sim/world-protocol.js';
import { SystemClock } from '../../src/lib/clock.js';
import { MemoryStore } from '../../src/store/index.js';
import { createDashboard } from '../../src/dashboard/index.js';
import { DEFAULT_HTTP_LIMITS, listenHttp } from '../../src/cli/agent-http.js';
import { OBJECTS } from './fixture.js';

const ARTIFACTS = join(ROOT, '.test-artifacts');
const skip = chromiumMissing();

let dir: string | undefined;
let ps: ProcessGroup | undefined;
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  ps?.killAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The example cluster with the demo's short lease (4 s), so the failover fits a test. */
function demoManifest(d: string): string {
  const text = readFileSync(join(EXAMPLES_DIR, 'two-node-web.yaml'), 'utf8')
    .replace('leaseDurationSeconds: 15', 'leaseDurationSeconds: 4')
    .replace('renewDeadlineSeconds: 10', 'renewDeadlineSeconds: 3')
    .replace('retryPeriodSeconds: 2', 'retryPeriodSeconds: 1');
  const file = join(d, 'cluster.yaml');
  writeFileSync(file, text);
  return file;
}

/** Poll the page from here (the page's CSP rightly forbids evaluating strings in it). */
async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const clock = new SystemClock();
  const end = clock.monotonic() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (clock.monotonic() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await clock.sleep(200);
  }
}

const cell = (page: Page, group: string, node: string) => page.locator(`#grid tr[data-group="default/${group}"] td[data-node="${node}"]`);

async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

test(
  'dashboard in headless chromium: the demo cluster, a crash turns the cell red and moves the active mark',
  { skip, timeout: 180_000 },
  async (t) => {
    dir = mkdtempSync(join(tmpdir(), 'winha-dash-browser-'));
    const storeUrl = `file://${join(dir, 'store')}`;
    const manifest = demoManifest(dir);
    ps = new ProcessGroup(dir);
    const { address } = await startWorld(ps, { manifests: [manifest], seed: 1, switchoverUnreachable: '2s' });
    const applied = runWinha(['apply', '-f', manifest], { store: storeUrl, cwd: dir });
    assert.equal(applied.code, 0, applied.err);
    const agents = new Map(['node1', 'node2'].map((n) => [n, ps!.start(`agent-${n}`, agentArgs(n, storeUrl, address))]));
    const url = await dashboardUrl(ps, startDashboard(ps, storeUrl));
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && failures.push(m.text())));
    await page.goto(url);

    // Converged (as the demo waits for it): both groups active on node1 (ISP, marked), node2 a standby (OSU), both
    // mirrors Mirroring (before that, the mirror gate rightly keeps node2 from taking over).
    await until('both groups active on node1, node2 standby, mirrors Mirroring', 90_000, async () => {
      const active = await page
        .locator('#grid td.active')
        .evaluateAll((cs) => cs.map((c) => `${c.closest('tr')?.getAttribute('data-group')}@${c.getAttribute('data-node')}`));
      const standby = await page.locator('#grid td.tone-standby').count();
      const mirrors = await page.locator('.mirror').allTextContents();
      return (
        active.join() === 'default/ftp@node1,default/web@node1' &&
        standby === 2 &&
        mirrors.filter((m) => / Mirroring$/.test(m)).length === 2
      );
    });
    assert.match((await cell(page, 'web', 'node1').textContent()) ?? '', /^ISP★ active/);
    assert.match((await cell(page, 'web', 'node2').textContent()) ?? '', /^OSU$/);
    assert.match((await cell(page, 'web', 'node1').getAttribute('class')) ?? '', /tone-ok/);
    assert.deepEqual(await page.locator('#grid tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-group'))), [
      'default/ftp',
      'default/web',
    ]);
    assert.match((await page.locator('#grid th[data-node="node1"]').textContent()) ?? '', /Alive.*lease \d+\.\d s/);
    t.diagnostic(`screenshot (converged): ${await shot(page, 'dashboard.png')}`);

    // Crash node1 (the world's nodeCrash, and its agent dies with it).
    const world = new RemoteWorldApi(address);
    try {
      await callWorld(world, 'world.fault', { fault: { type: 'nodeCrash', node: 'node1' } });
    } finally {
      world.close();
    }
    await ps.kill(agents.get('node1')!);
    // A failure below shows what the page showed.
    page.setDefaultTimeout(30_000);
    t.after(async () => {
      if (!page.isClosed())
        t.diagnostic(
          `page at the end: ${(
            await page
              .locator('main')
              .innerText()
              .catch(() => '?')
          ).slice(0, 2000)}`,
        );
    });
    await cell(page, 'web', 'node2').locator('.active-mark').waitFor({ timeout: 60_000 });
    await until('the crashed cell to turn red', 30_000, async () =>
      /tone-bad/.test((await cell(page, 'web', 'node1').getAttribute('class')) ?? ''),
    );
    const crashed = cell(page, 'web', 'node1');
    assert.match((await crashed.textContent()) ?? '', /^(Unknown|OSF)$/, 'the crashed node: its state in words, no active mark');
    // Polled: a re-render may detach the element between finding it and reading its style.
    await until('the crashed cell to be painted red', 10_000, async () => {
      const bg = await crashed.evaluate((e) => e.ownerDocument.defaultView?.getComputedStyle(e).backgroundColor);
      return bg === 'rgb(254, 202, 202)';
    });
    // The mark moves when node2 takes the group (ISU while it activates); in service (ISP) follows.
    await until('web in service on node2', 30_000, async () => /^ISP★ active/.test((await cell(page, 'web', 'node2').textContent()) ?? ''));
    assert.match((await page.locator('#grid th[data-node="node1"]').textContent()) ?? '', /Dead/);
    // Attached, not visible: the timeline is below the grid (content-visibility: auto until scrolled near).
    await page.locator('.timeline tbody tr', { hasText: 'Failover' }).first().waitFor({ state: 'attached', timeout: 30_000 });
    assert.match((await page.locator('#health').textContent()) ?? '', /problem/);
    t.diagnostic(`screenshot (after the crash): ${await shot(page, 'dashboard-failover.png')}`);

    // Keyboard: Tab from the top of the page reaches the group link, Enter opens the group page, in start order.
    await page.locator('body').focus();
    for (
      let i = 0;
      i < 12 &&
      (await page
        .locator(':focus')
        .textContent()
        .catch(() => null)) !== 'web';
      i++
    )
      await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'web', 'the group link is reachable with Tab');
    await page.keyboard.press('Enter');
    await page.locator('#resources tbody tr').first().waitFor();
    const kinds = await page.locator('#resources tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-resource')));
    assert.deepEqual(kinds, ['Mirror/web-data', 'VirtualIP/web-vip', 'IISSite/website1']);
    t.diagnostic(`screenshot (group page): ${await shot(page, 'dashboard-group.png')}`);
    assert.deepEqual(failures, [], 'no script errors in the page');
  },
);

test('actions from the group page: the token typed once, a button, the answer announced', { skip, timeout: 60_000 }, async () => {
  const store = new MemoryStore('memory://dashboard-browser-actions');
  for (const o of OBJECTS) {
    const { status, ...rest } = o as typeof o & { status?: unknown };
    const created = await store.objects.create(rest);
    if (status) await store.objects.updateStatus({ ...created, status });
  }
  const dashboard = createDashboard({
    store,
    clock: new SystemClock(),
    host: '127.0.0.1',
    actions: { token: 'browser-test-token-0123456789' },
  });
  const server = await listenHttp(
    { host: '127.0.0.1', port: 0 },
    DEFAULT_HTTP_LIMITS,
    (req, res) => void dashboard.handler.handle(req, res),
    'x',
  );
  try {
    browser ??= await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://${server.address}/group/default/web`); // a shared link: the path form
    await page.getByRole('button', { name: 'Maintenance on' }).click();
    await page.getByRole('status').filter({ hasText: 'dashboard-token-required' }).waitFor();
    await page.getByLabel('dashboard token').fill('browser-test-token-0123456789');
    // A live update re-renders the page: what was typed stays, and so does the focus.
    const g = await store.objects.get('FailoverGroup', 'default', 'web');
    await store.objects.updateStatus({ ...g, status: { ...(g.status as object), epoch: 7 } });
    await page.getByText('epoch 7').waitFor();
    assert.equal(await page.getByLabel('dashboard token').inputValue(), 'browser-test-token-0123456789');
    assert.equal(await page.locator(':focus').getAttribute('aria-label'), 'dashboard token');
    await page.getByRole('button', { name: 'Maintenance on' }).click();
    await page.getByRole('status').filter({ hasText: '✔ maintenance on for group web' }).waitFor();
    const web = await store.objects.get('FailoverGroup', 'default', 'web');
    assert.equal(web.metadata.annotations?.['winha.io/maintenance'], 'true');
    await page.close();
  } finally {
    dashboard.stop();
    await server.close();
    await store.close();
  }
});
