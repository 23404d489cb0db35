/**
 * Issue 18 item 4: `npm pack` makes a package that works — `npx winha validate` from the tarball, as the
 * README's CI snippet runs it. Offline: the tarball is unpacked into a scratch project's node_modules as npm
 * would, with the dependencies linked from this repository's node_modules (the registry is not needed), and
 * every package the packaged code imports must be a declared dependency. With WINHA_TEST_NPM_INSTALL=1 the
 * tarball is also installed by `npm install` itself (needs the registry or a warm npm cache).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';

interface PackageJson {
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
let dir: string;
let tarball: string;
let files: string[];
let project: string;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '', ...env },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-pack-'));
  // The build is prepack's job; here dist/ is already built, and rebuilding it under other running tests would race.
  const p = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  assert.equal(p.code, 0, p.err);
  const [info] = JSON.parse(p.out) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, info!.filename);
  files = info!.files.map((f) => f.path);
  // A scratch project with the tarball unpacked where npm puts it, and its bin linked where npx finds it.
  project = join(dir, 'ci');
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, 'winha'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ci', private: true }));
  const x = run('tar', ['xzf', tarball, '-C', join(modules, 'winha'), '--strip-components=1'], dir);
  assert.equal(x.code, 0, x.err);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.') || name === 'winha') continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  mkdirSync(join(modules, '.bin'));
  symlinkSync(join('..', 'winha', 'bin', 'winha.js'), join(modules, '.bin', 'winha'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('package.json: a files list and a prepack that builds (compiler and precompiled validators)', () => {
  assert.ok(pkg.files && pkg.files.length > 0);
  assert.match(pkg.scripts?.['prepack'] ?? '', /tsc -p tsconfig\.json/);
  assert.match(pkg.scripts?.['prepack'] ?? '', /gen-validators/);
});

test('the tarball holds what the CLI loads at run time, and no tests, sources or source maps', () => {
  for (const f of [
    'bin/winha.js',
    'dist/src/cli/main.js',
    'dist/src/validate/compiled-validators.js',
    'ps/winha-host.ps1',
    'crds/failovergroups.winha.io.yaml',
    'manifests/examples/two-node-web.yaml',
    'package.json',
    'README.md',
  ])
    assert.ok(files.includes(f), `${f} is packed`);
  assert.deepEqual(
    files.filter((f) => /^(dist\/test|dist\/scripts|src|test)\/|\.map$|\.ts$/.test(f)),
    [],
  );
});

test('npx winha validate runs from the unpacked package (exit 0), and fails on a broken manifest (exit 1)', () => {
  const example = join(project, 'node_modules', 'winha', 'manifests', 'examples', 'two-node-web.yaml');
  const ok = run('npx', ['--offline', '--no', '--', 'winha', 'validate', example, '-o', 'github'], project);
  assert.equal(ok.code, 0, ok.out + ok.err);
  writeFileSync(join(project, 'bad.yaml'), readFileSync(example, 'utf8').replace('siteName: website1', 'siteName: "a b"'));
  const bad = run('npx', ['--offline', '--no', '--', 'winha', 'validate', 'bad.yaml', '-o', 'github'], project);
  assert.equal(bad.code, 1, bad.out + bad.err);
  assert.match(bad.out, /^::error file=bad\.yaml,line=\d+,col=\d+,title=invalid-site-name/m);
});

test('every package the packaged code imports is a declared dependency', () => {
  const declared = new Set(Object.keys(pkg.dependencies ?? {}));
  const builtins = new Set(builtinModules);
  const missing = new Set<string>();
  for (const f of files.filter((p) => p.endsWith('.js'))) {
    const text = readFileSync(join(project, 'node_modules', 'winha', f), 'utf8');
    const spec = String.raw`['"](@?[a-z0-9][\w.-]*(?:/[\w.@-]+)*)['"]`;
    const re = new RegExp(
      String.raw`(?:^\s*(?:import|export)\b[^'";]*?\bfrom\s*|^\s*import\s*|\bimport\(\s*|\brequire(?:Cjs)?\(\s*)${spec}`,
      'gm',
    );
    for (const m of text.matchAll(re)) {
      const used = m[1]!;
      if (used.startsWith('node:') || builtins.has(used)) continue;
      const name = used.startsWith('@') ? used.split('/').slice(0, 2).join('/') : used.split('/')[0]!;
      if (!declared.has(name)) missing.add(`${name} (${f})`);
    }
  }
  assert.deepEqual([...missing], [], 'imported at run time but not in dependencies');
});

test(
  'npm install of the tarball, then npx winha validate',
  { skip: process.env['WINHA_TEST_NPM_INSTALL'] === '1' ? false : 'set WINHA_TEST_NPM_INSTALL=1 (needs the registry or a warm npm cache)' },
  () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'package.json'), JSON.stringify({ name: 'real', private: true }));
    const i = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], real);
    assert.equal(i.code, 0, i.err);
    const v = run('npx', ['--no', '--', 'winha', 'validate', join(real, 'node_modules', 'winha', 'manifests', 'examples')], real);
    assert.equal(v.code, 0, v.out + v.err);
  },
);
