/** The MSI's WiX source: name-based GUIDs, the same text for the same tree, and the service and configure rows (issue 16). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { UPGRADE_CODE, generateWxs, uuidV5 } from '../../scripts/package/wxs.js';

const files = [
  'node.exe',
  'winha-agent.exe',
  'winha-agent.xml',
  'agent.example.yaml',
  'app/bin/winha.js',
  'app/ps/lib/iis.ps1',
  'app/ps/winha-host.ps1',
];

test('uuidV5 follows RFC 4122 (the DNS namespace example)', () => {
  assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ED6657D-E927-568B-95E1-2665A8AEA6A2');
});

test('the same tree gives the same text, whatever the order files are listed in', () => {
  const a = generateWxs({ version: '1.2.3', files });
  assert.equal(a, generateWxs({ version: '1.2.3', files: [...files].reverse() }));
  assert.notEqual(a, generateWxs({ version: '1.2.4', files }), 'a new version is a new product');
});

test('component GUIDs depend on the path only, so an upgrade keeps them; the UpgradeCode is fixed', () => {
  const guids = (v: string) => [...generateWxs({ version: v, files }).matchAll(/Guid="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(guids('1.0.0'), guids('2.0.0'));
  assert.equal(new Set(guids('1.0.0')).size, files.length);
  assert.match(generateWxs({ version: '1.0.0', files }), new RegExp(`UpgradeCode="${UPGRADE_CODE}"`));
});

test('the wrapper component installs and controls winha-agent; configure runs the installed node.exe', () => {
  const wxs = generateWxs({ version: '1.0.0', files });
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(wxs) as {
    Wix: { Product: { CustomAction: Record<string, string>; MajorUpgrade: unknown } };
  };
  assert.ok(doc.Wix.Product.MajorUpgrade !== undefined);
  assert.match(
    wxs,
    /<File Id="WrapperExe" Name="winha-agent.exe"[^>]*\/>\s*<ServiceInstall [^>]*Name="winha-agent" DisplayName="WinHA agent"[^>]*Start="auto"/,
  );
  assert.match(wxs, /<ServiceControl [^>]*Name="winha-agent" Stop="both" Remove="uninstall"/);
  const ca = doc.Wix.Product.CustomAction;
  assert.equal(ca['FileKey'], 'NodeExe');
  assert.equal(ca['Execute'], 'deferred');
  assert.equal(ca['Impersonate'], 'no');
  assert.match(
    ca['ExeCommand'] ?? '',
    /^"\[INSTALLDIR\]app\\bin\\winha\.js" service configure --config "\[CommonAppDataFolder\]WinHA\\agent\.yaml" .* --node "\[NODE\]" --store "\[STORE\]"$/,
  );
  // Nothing the MSI installs lives in ProgramData: agent.yaml and logs are never installed over or removed.
  assert.doesNotMatch(wxs, /CommonAppDataFolder"|Id="CommonAppDataFolder/);
});
