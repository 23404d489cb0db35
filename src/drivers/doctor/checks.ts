/**
 * The checks of `winha doctor` as a pure function of what was found (facts)
 * and what the manifests need (expectations): one result per check, each
 * failure or warning with the command that fixes it.
 */
import { cloudChecks } from './cloud-checks.js';
import type { CheckResult, DoctorExpectations, DoctorFacts, PortRule, WindowsFacts } from './types.js';

const pass = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'pass', detail });
const fail = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'fail', detail, fix });
const warn = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'warn', detail, fix });

export function runDoctor(facts: DoctorFacts, x: DoctorExpectations): CheckResult[] {
  const out: CheckResult[] = [];
  if (!x.nodeDeclared) {
    out.push(
      warn(
        'node-declared',
        `node ${x.node} in a Cluster`,
        `no Cluster in the store names node ${x.node}: interface, peer and firewall checks have nothing to compare with`,
        `apply the cluster's manifests (winha apply -f ...) or pass --node with the name the Cluster uses`,
      ),
    );
  }
  out.push(...windowsChecks(facts, x));
  out.push(...reachabilityChecks(facts, x));
  out.push(...storeChecks(facts, x));
  if (x.cloudVips?.length) out.push(...cloudChecks(facts.cloud, x.cloudVips));
  return out;
}

function windowsChecks(facts: DoctorFacts, x: DoctorExpectations): CheckResult[] {
  const w = facts.windows;
  if ('unavailable' in w) {
    // Every Windows check fails with the same honest reason: nothing on the host could be asked.
    const titles: [string, string][] = [
      ['powershell', 'Windows PowerShell 5.1'],
      ['iis', 'IIS (Web-Server, W3SVC, WAS)'],
      ['iis-modules', 'IISAdministration and WebAdministration modules'],
      ...(x.needsFtp ? ([['ftp', 'FTP server (Web-Ftp-Server, FTPSVC)']] as [string, string][]) : []),
      ...(x.needsSmtp
        ? ([
            ['smtp', 'SMTP server (SMTP-Server, SMTPSVC)'],
            ['smtp-metabase', SMTP_METABASE],
          ] as [string, string][])
        : []),
      ['datakeeper-installed', 'DataKeeper installed'],
      ['datakeeper-service', 'DataKeeper service ExtMirrSvc running'],
      ...x.interfaces.map((a) => [`interface:${a}`, `interface ${a}`] as [string, string]),
      ['firewall', 'firewall rules (agent, DataKeeper)'],
    ];
    return titles.map(([id, title]) => fail(id, title, w.unavailable, 'run winha doctor on the Windows node itself'));
  }
  return [
    pass('powershell', 'Windows PowerShell 5.1', `${facts.powershellPath} (PowerShell ${w.psVersion})`),
    ...(w.psVersion.startsWith('5.1')
      ? []
      : [
          warn(
            'powershell-version',
            'Windows PowerShell 5.1',
            `PowerShell ${w.psVersion}; the driver's scripts are written for 5.1`,
            'install Windows Management Framework 5.1 (Windows Server 2012 R2) or use Windows Server 2016 or later',
          ),
        ]),
    iisCheck(w),
    modulesCheck(w),
    ...(x.needsFtp ? [featureCheck(w, 'ftp', 'FTP server (Web-Ftp-Server, FTPSVC)', 'Web-Ftp-Server', 'FTPSVC')] : []),
    ...(x.needsSmtp ? [featureCheck(w, 'smtp', 'SMTP server (SMTP-Server, SMTPSVC)', 'SMTP-Server', 'SMTPSVC'), metabaseCheck(w)] : []),
    ...dataKeeperChecks(w, x),
    ...x.interfaces.map((alias) => interfaceCheck(w, alias)),
    ...firewallChecks(w, x),
  ];
}

function iisCheck(w: WindowsFacts): CheckResult {
  const title = 'IIS (Web-Server, W3SVC, WAS)';
  const missing = ['W3SVC', 'WAS'].filter((s) => !w.services[s]);
  if (missing.length > 0 || w.features['Web-Server'] === false) {
    return fail(
      'iis',
      title,
      `not installed (missing service ${missing.join(', ') || 'none'}; feature Web-Server ${w.features['Web-Server'] ? 'installed' : 'not installed'})`,
      'Install-WindowsFeature Web-Server -IncludeManagementTools',
    );
  }
  const w3 = w.services['W3SVC']!;
  if (w3.state !== 'Running') {
    return warn(
      'iis',
      title,
      `W3SVC is ${w3.state} (start type ${w3.startType})`,
      'Set-Service W3SVC -StartupType Automatic; Start-Service W3SVC',
    );
  }
  return pass('iis', title, `W3SVC Running (start type ${w3.startType})`);
}

function modulesCheck(w: WindowsFacts): CheckResult {
  const title = 'IISAdministration and WebAdministration modules';
  const missing = (['IISAdministration', 'WebAdministration'] as const).filter((m) => !w.modules[m]);
  if (missing.length === 0) return pass('iis-modules', title, 'both available');
  const fix = missing.includes('IISAdministration')
    ? 'Install-WindowsFeature Web-Scripting-Tools (Windows Server 2016+); on 2012 R2: Install-Module IISAdministration'
    : 'Install-WindowsFeature Web-Scripting-Tools';
  return fail('iis-modules', title, `missing: ${missing.join(', ')}`, fix);
}

const SMTP_METABASE = 'IIS 6 Metabase Compatibility (Web-Metabase), for SMTP virtual servers';

/** SMTP virtual servers live in the IIS 6 metabase: the driver reads and starts them through ADSI, which needs it. */
function metabaseCheck(w: WindowsFacts): CheckResult {
  const installed = w.features['Web-Metabase'];
  if (installed === true) return pass('smtp-metabase', SMTP_METABASE, 'installed');
  const detail = installed === false ? 'not installed' : 'unknown (Get-WindowsFeature is not available)';
  const check = installed === false ? fail : warn;
  return check('smtp-metabase', SMTP_METABASE, detail, 'Install-WindowsFeature Web-Metabase');
}

function featureCheck(w: WindowsFacts, id: string, title: string, feature: string, service: string): CheckResult {
  if (!w.services[service] || w.features[feature] === false) {
    return fail(id, title, `a site of this node's groups needs ${service}, which is not installed`, `Install-WindowsFeature ${feature}`);
  }
  return pass(id, title, `${service} ${w.services[service].state}`);
}

function dataKeeperChecks(w: WindowsFacts, x: DoctorExpectations): CheckResult[] {
  const needed = x.mirrorVolumes.length > 0;
  const why = needed ? `Mirrors of ${x.mirrorVolumes.map((v) => `${v}:`).join(', ')} name this node` : 'no Mirror names this node';
  const missing = (id: string, title: string, detail: string, fix: string) =>
    needed ? fail(id, title, `${detail} (${why})`, fix) : warn(id, title, `${detail} (${why}, so not needed yet)`, fix);
  const installFix = 'install SIOS DataKeeper (it sets ExtMirrBase and installs emcmd.exe), then sign out and in again';
  const installed: CheckResult =
    w.datakeeper.extMirrBase === ''
      ? missing('datakeeper-installed', 'DataKeeper installed', 'the ExtMirrBase environment variable is not set', installFix)
      : !w.datakeeper.emcmdPresent
        ? missing('datakeeper-installed', 'DataKeeper installed', `emcmd.exe not found at ${w.datakeeper.emcmdPath}`, installFix)
        : pass('datakeeper-installed', 'DataKeeper installed', `${w.datakeeper.emcmdPath}`);
  const svc = w.services['ExtMirrSvc'];
  const service: CheckResult = !svc
    ? missing('datakeeper-service', 'DataKeeper service ExtMirrSvc running', 'service ExtMirrSvc not installed', installFix)
    : svc.state !== 'Running'
      ? missing(
          'datakeeper-service',
          'DataKeeper service ExtMirrSvc running',
          `ExtMirrSvc is ${svc.state} (start type ${svc.startType})`,
          'Set-Service ExtMirrSvc -StartupType Automatic; Start-Service ExtMirrSvc',
        )
      : pass('datakeeper-service', 'DataKeeper service ExtMirrSvc running', `Running (start type ${svc.startType})`);
  return [installed, service];
}

function interfaceCheck(w: WindowsFacts, alias: string): CheckResult {
  const nic = w.interfaces.find((n) => n.alias.toLowerCase() === alias.toLowerCase());
  if (!nic) {
    return fail(
      `interface:${alias}`,
      `interface ${alias}`,
      `no network adapter named ${alias} (present: ${w.interfaces.map((n) => n.alias).join(', ') || 'none'})`,
      `Rename-NetAdapter -Name '<current name>' -NewName '${alias}' (or change the manifests to the adapter's name)`,
    );
  }
  if (nic.status !== 'Up') {
    return warn(
      `interface:${alias}`,
      `interface ${alias}`,
      `adapter ${alias} is ${nic.status}`,
      `Enable-NetAdapter -Name '${alias}'; check its cable or virtual switch`,
    );
  }
  return pass(`interface:${alias}`, `interface ${alias}`, 'present, Up');
}

/** Does an enabled inbound Allow rule cover protocol/port? ("Any", single ports and ranges, as Windows prints them.) */
export function portAllowed(w: WindowsFacts, r: PortRule): boolean {
  return w.firewall.inboundAllow.some(
    (rule) =>
      (rule.protocol.toUpperCase() === r.protocol || rule.protocol.toUpperCase() === 'ANY') &&
      rule.localPorts.some((p) => {
        if (p.toLowerCase() === 'any') return true;
        const m = /^(\d+)(?:-(\d+))?$/.exec(p.trim());
        return m !== null && r.port >= Number(m[1]) && r.port <= Number(m[2] ?? m[1]);
      }),
  );
}

function firewallChecks(w: WindowsFacts, x: DoctorExpectations): CheckResult[] {
  const on = w.firewall.profiles.filter((p) => p.enabled).map((p) => p.name);
  const off = (id: string, title: string) => pass(id, title, 'Windows Firewall is off in every profile (check network firewalls too)');
  const closed = (rules: PortRule[]) => rules.filter((r) => !portAllowed(w, r));
  const list = (rules: PortRule[]) => rules.map((r) => `${r.protocol} ${r.port}`).join(', ');
  const out: CheckResult[] = [];
  const agentTitle = "firewall: the agent's port";
  if (x.agentPort === undefined) {
    out.push(
      warn(
        'firewall:agent',
        agentTitle,
        'not checked: the agent port is unknown',
        'pass --agent-port PORT (the port of winha agent --listen)',
      ),
    );
  } else if (on.length === 0) {
    out.push(off('firewall:agent', agentTitle));
  } else if (closed([{ protocol: 'TCP', port: x.agentPort }]).length > 0) {
    out.push(
      fail(
        'firewall:agent',
        agentTitle,
        `no enabled inbound rule allows TCP ${x.agentPort} (firewall on in ${on.join(', ')})`,
        `New-NetFirewallRule -DisplayName 'WinHA agent' -Direction Inbound -Protocol TCP -LocalPort ${x.agentPort} -Action Allow`,
      ),
    );
  } else {
    out.push(pass('firewall:agent', agentTitle, `TCP ${x.agentPort} allowed inbound`));
  }
  const dkTitle = "firewall: DataKeeper's ports";
  if (x.mirrorVolumes.length === 0) {
    out.push(pass('firewall:datakeeper', dkTitle, 'no Mirror names this node: nothing to open'));
  } else if (on.length === 0) {
    out.push(off('firewall:datakeeper', dkTitle));
  } else {
    const missing = closed(x.dataKeeperPorts);
    const tcp = missing.filter((r) => r.protocol === 'TCP').map((r) => r.port);
    const udp = missing.filter((r) => r.protocol === 'UDP').map((r) => r.port);
    const fixes = [
      ...(tcp.length
        ? [`New-NetFirewallRule -DisplayName 'DataKeeper TCP' -Direction Inbound -Protocol TCP -LocalPort ${tcp.join(',')} -Action Allow`]
        : []),
      ...(udp.length
        ? [`New-NetFirewallRule -DisplayName 'DataKeeper UDP' -Direction Inbound -Protocol UDP -LocalPort ${udp.join(',')} -Action Allow`]
        : []),
    ];
    out.push(
      missing.length === 0
        ? pass('firewall:datakeeper', dkTitle, `${list(x.dataKeeperPorts)} allowed inbound`)
        : fail('firewall:datakeeper', dkTitle, `not allowed inbound: ${list(missing)}`, fixes.join('; ')),
    );
  }
  return out;
}

function reachabilityChecks(facts: DoctorFacts, x: DoctorExpectations): CheckResult[] {
  return x.peers.map((p) => {
    const id = `reach:${p.node}/${p.role}`;
    const title = `${p.role} address of ${p.node}`;
    const r = facts.reachability.find((f) => f.node === p.node && f.role === p.role && f.address === p.address && f.port === p.port);
    if (!r) return warn(id, title, `${p.address}:${p.port} was not probed`, 'run winha doctor again');
    if (r.reachable) return pass(id, title, `TCP ${p.address}:${p.port} connects`);
    return fail(
      id,
      title,
      `TCP ${p.address}:${p.port}: ${r.error ?? 'no connection'}`,
      p.role === 'replication'
        ? `check the route to ${p.address} and that DataKeeper runs on ${p.node} with TCP ${p.port} open inbound`
        : `check the route to ${p.address} and that ${p.node} is up with TCP ${p.port} open inbound`,
    );
  });
}

function storeChecks(facts: DoctorFacts, x: DoctorExpectations): CheckResult[] {
  const s = facts.store;
  if (!s.reachable) {
    return [
      fail(
        'store',
        'state store reachable',
        `${s.url}: ${s.error ?? 'no answer'}`,
        'check --store (or $WINHA_STORE), the network path to it, and its credentials (--etcd-user, --etcd-password-file, TLS files)',
      ),
      warn('clock', 'clock offset against the store', 'not measured: the store is unreachable', 'fix the store check first'),
    ];
  }
  const store = pass('store', 'state store reachable', `${s.url} answered`);
  if (s.serverTimeMs === undefined) {
    return [store, pass('clock', 'clock offset against the store', 'not measurable with this store (it reports no server time)')];
  }
  const offset = s.localTimeMs - s.serverTimeMs;
  const detail = `this node is ${Math.abs(offset)} ms ${offset >= 0 ? 'ahead of' : 'behind'} the store`;
  if (Math.abs(offset) > x.maxClockOffsetMs) {
    return [
      store,
      warn(
        'clock',
        'clock offset against the store',
        `${detail} (limit ${x.maxClockOffsetMs} ms)`,
        'w32tm /resync /force; check the domain time source (w32tm /query /status)',
      ),
    ];
  }
  return [store, pass('clock', 'clock offset against the store', detail)];
}
