/**
 * `make package-test`: inspect the built MSI with msitools as Windows Installer would read it (files, service
 * rows, upgrade identity, custom action order), then extract it and run the packaged CLI under this Node.
 * Prints one line per check; exit 1 if any fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_ID, SERVICE_NAME, winswXml } from '../../src/service/winsw-config.js';
import { assertWindowsX64 } from './pe.js';
import { NODE_WIN_VERSION } from './build.js';
import { CONFIGURE_SEQUENCE, UPGRADE_CODE } from './wxs.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** An msiinfo export as rows of columns (the three header lines dropped). */
export function msiTable(msi: string, table: string): string[][] {
  const text = execFileSync('msiinfo', ['export', msi, table], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return text
    .split(/\r?\n/)
    .slice(3)
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

function main(): number {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const msi = process.argv[2] ?? join(ROOT, 'dist', 'package', `winha-${version}-x64.msi`);
  let failed = 0;
  const check = (what: string, ok: boolean, detail = ''): void => {
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}\n`);
    if (!ok) failed++;
  };

  const tables = execFileSync('msiinfo', ['tables', msi], { encoding: 'utf8' }).split(/\s+/);
  for (const t of ['File', 'Component', 'Directory', 'ServiceInstall', 'ServiceControl', 'CustomAction', 'Upgrade']) {
    check(`table ${t}`, tables.includes(t));
  }
  const files = msiTable(msi, 'File');
  const names = new Set(files.map((r) => r[2]?.split('|').pop()));
  const psFiles = ['winha-host.ps1', ...readdirSync(join(ROOT, 'ps', 'lib')).filter((f) => f.endsWith('.ps1'))];
  for (const n of [
    'node.exe',
    'winha.js',
    'winha-agent.exe',
    'winha-agent.exe.config',
    'winha-agent.xml',
    'agent.example.yaml',
    ...psFiles,
  ]) {
    check(`File row ${n}`, names.has(n));
  }
  check('File rows', files.length > 1000, `${files.length} files`);

  const svc = msiTable(msi, 'ServiceInstall')[0] ?? [];
  check('ServiceInstall winha-agent', svc[1] === SERVICE_ID && svc[2] === SERVICE_NAME, svc.slice(1, 3).join(', '));
  // ServiceType 16: own process; StartType 2: automatic; ErrorControl 1: normal.
  check('ServiceInstall own process, auto start, LocalSystem', svc[3] === '16' && svc[4] === '2' && svc[8] === 'LocalSystem');
  const ctl = msiTable(msi, 'ServiceControl')[0] ?? [];
  // 2 stop on install, 32 stop on uninstall, 128 delete on uninstall: 162.
  check('ServiceControl stop (install, uninstall), remove (uninstall)', ctl[1] === SERVICE_ID && ctl[2] === '162', ctl.join(' '));

  const props = new Map(msiTable(msi, 'Property').map((r) => [r[0], r[1]]));
  check('UpgradeCode', props.get('UpgradeCode') === `{${UPGRADE_CODE}}`, props.get('UpgradeCode'));
  check('ProductVersion', props.get('ProductVersion') === version, props.get('ProductVersion'));
  check('Manufacturer WinHA', props.get('Manufacturer') === 'WinHA');
  check(
    'NODE and STORE are secure properties',
    /(^|;)NODE;STORE$/.test(props.get('SecureCustomProperties') ?? ''),
    props.get('SecureCustomProperties'),
  );

  const seq = new Map(msiTable(msi, 'InstallExecuteSequence').map((r) => [r[0], Number(r[2])]));
  const at = (a: string) => seq.get(a) ?? NaN;
  check('old version removed before the new installs', at('RemoveExistingProducts') < at('InstallInitialize'));
  check(
    'configure runs after StartServices, inside the transaction',
    at('WinhaConfigure') === CONFIGURE_SEQUENCE && at('StartServices') < CONFIGURE_SEQUENCE && CONFIGURE_SEQUENCE < at('InstallFinalize'),
  );
  const ca = msiTable(msi, 'CustomAction').find((r) => r[0] === 'WinhaConfigure') ?? [];
  // 18 exe from an installed file + 1024 deferred + 2048 as LocalSystem.
  check('configure: installed node.exe, deferred, not impersonated', ca[1] === '3090' && ca[2] === 'NodeExe', ca.slice(1, 3).join(' '));

  const dir = mkdtempSync(join(tmpdir(), 'winha-msi-'));
  try {
    execFileSync('msiextract', ['-C', dir, msi], { stdio: 'ignore' });
    const inst = join(dir, 'WinHA');
    let pe = '';
    try {
      const info = assertWindowsX64(join(inst, 'node.exe'), NODE_WIN_VERSION);
      pe = `${info.machine} PE32+ ${info.fileVersion}`;
    } catch (err) {
      pe = (err as Error).message;
    }
    check('node.exe is x86-64 PE32+ Node ' + NODE_WIN_VERSION, pe.includes('PE32+ ' + NODE_WIN_VERSION), pe);
    check('winha-agent.xml is the generated one', readFileSync(join(inst, 'winha-agent.xml'), 'utf8') === winswXml());
    // Outside the repository: a module missing from the packaged node_modules cannot be found in ours.
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(inst, 'app', 'bin', 'winha.js'), ...args], { cwd: dir, encoding: 'utf8' });
    const v = cli(['--version']);
    check('packaged winha --version', v.status === 0 && v.stdout.trim() === version, (v.stdout + v.stderr).trim());
    const val = cli(['validate', '-R', join(ROOT, 'manifests', 'examples')]);
    check(
      'packaged winha validate -R manifests/examples',
      val.status === 0,
      val.status === 0 ? '' : (val.stdout + val.stderr).trim().slice(0, 400),
    );
    const conf = join(dir, 'ProgramData', 'WinHA', 'agent.yaml');
    const example = join(inst, 'agent.example.yaml');
    const c = cli(['service', 'configure', '--config', conf, '--example', example, '--node', 'node1', '--store', 'etcd://10.0.0.10:2379']);
    const yaml = c.status === 0 ? readFileSync(conf, 'utf8') : '';
    check(
      'packaged winha service configure writes agent.yaml',
      /^kind: AgentConfig$/m.test(yaml) && /^ {2}node: node1$/m.test(yaml) && /^ {4}url: etcd:/m.test(yaml),
      c.stderr.trim(),
    );
    const svcOff = cli(['service', 'status']);
    check('packaged winha service status refuses off Windows', svcOff.status === 1 && /not a Windows host/.test(svcOff.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(failed ? `package-test: ${failed} check(s) failed\n` : `package-test: all checks passed (${msi})\n`);
  return failed ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
