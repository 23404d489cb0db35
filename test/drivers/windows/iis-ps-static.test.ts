/**
 * What Linux can prove about ps/lib/iis.ps1, common.ps1 and smtp.ps1 without running them (issue 15 items 3, 4, 8):
 * which API each operation calls. The behaviour of those APIs on Windows is from docs/spec/seed-iis.md, not tested here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const PS_LIB = join(import.meta.dirname, '..', '..', '..', '..', 'ps', 'lib');
const read = (f: string) => readFileSync(join(PS_LIB, f), 'utf8');

/** The script block of one `$WinhaOps['name'] = { ... }` (up to the closing brace at the start of a line). */
function op(file: string, name: string): string {
  const text = read(file);
  const start = text.indexOf(`$WinhaOps['${name}'] = {`);
  assert.ok(start >= 0, `${file} registers no ${name}`);
  const end = text.indexOf('\n}', start);
  return text.slice(start, end + 2);
}

test('FTP state and FTP start/stop go through the ftpServer element, not the WebAdministration provider (item 3)', () => {
  const text = read('common.ps1') + read('iis.ps1');
  assert.doesNotMatch(text, /Get-WebItemState|Start-WebItem|Stop-WebItem|IIS:\\/);
  assert.match(text, /GetChildElement\('ftpServer'\)/);
  assert.match(text, /GetAttributeValue\('state'\)/);
  assert.match(text, /GetChildElement\('ftpServer'\)\.Methods\[\$name\]\.CreateInstance\(\)\.Execute\(\)/);
  assert.match(op('iis.ps1', 'site.start'), /Test-WinhaFtpSite \$site\) \{ Invoke-WinhaFtpMethod \$site 'Start' \}/);
  assert.match(op('iis.ps1', 'site.stop'), /Invoke-WinhaFtpMethod \$site 'Stop'/);
  // Site.Start()/Stop() (WAS) only for the web bindings: an FTP-only site has none.
  assert.match(op('iis.ps1', 'site.start'), /if \(Test-WinhaWebSite \$site\) \{ \$null = \$site\.Start\(\) \}/);
});

test('reading the FTP state cannot fail the site: it is inside try/catch and falls back to Unknown (item 3)', () => {
  const fn = /function Get-WinhaFtpState[\s\S]*?\n}/.exec(read('common.ps1'));
  assert.ok(fn, 'common.ps1 has no Get-WinhaFtpState');
  assert.match(fn[0], /try\s*{[\s\S]*GetAttributeValue\('state'\)[\s\S]*}\s*catch/);
  assert.match(fn[0], /'Unknown'/);
});

test('site.list converts each site inside its own try/catch and answers { name, error } for one it cannot read (item 3)', () => {
  const block = op('iis.ps1', 'site.list');
  assert.match(block, /foreach\s*\(\$s in \$sm\.Sites\)\s*{\s*try\s*{[\s\S]*ConvertTo-WinhaSite \$s[\s\S]*}\s*catch\s*{[\s\S]*error = /);
});

test('site.ensure replaces only the bindings it manages; net.tcp, net.pipe and the like are kept (item 8)', () => {
  const block = op('iis.ps1', 'site.ensure');
  assert.doesNotMatch(block, /Bindings\.Clear\(\)/);
  assert.match(read('iis.ps1'), /\$WinhaManagedProtocols = @\('http', 'https', 'ftp'\)/);
  assert.match(block, /\$WinhaManagedProtocols -contains \$_\.Protocol/);
  assert.match(block, /Bindings\.Remove\(/);
});

test('site.ensure makes a created FTP site accept the deep-check login, and FTPS requires SSL with its certificate (item 8)', () => {
  const block = op('iis.ps1', 'site.ensure');
  assert.match(block, /if \(\$created\) \{ Set-WinhaFtpLogin /);
  assert.match(block, /Set-WinhaFtpSsl \$site/);
  const text = read('iis.ps1');
  for (const s of [
    'controlChannelPolicy',
    'dataChannelPolicy',
    "'SslAllow'",
    "'SslRequire'",
    'serverCertHash',
    'anonymousAuthentication',
    'basicAuthentication',
    "'system.ftpServer/security/authorization'",
  ])
    assert.ok(text.includes(s), `iis.ps1 does not set ${s}`);
});

test('smtp.ps1 serves SMTP virtual servers from the IIS 6 metabase through ADSI (item 4)', () => {
  assert.ok(existsSync(join(PS_LIB, 'smtp.ps1')), 'ps/lib/smtp.ps1 is missing');
  const text = read('smtp.ps1');
  assert.match(text, /\[ADSI\]'IIS:\/\/localhost\/SMTPSVC'/);
  for (const name of ['smtp.list', 'smtp.start', 'smtp.stop', 'smtp.autostart']) op('smtp.ps1', name);
  for (const s of ['ServerState', 'ServerComment', 'ServerBindings', "Invoke('Start')", "Invoke('Stop')"])
    assert.ok(text.includes(s), `smtp.ps1 does not use ${s}`);
  assert.match(op('iis.ps1', 'site.list'), /Get-WinhaSmtpServerList/);
  assert.match(op('iis.ps1', 'site.get'), /Get-WinhaSmtpServerList/, 'a check of an SMTP site finds it too');
});
