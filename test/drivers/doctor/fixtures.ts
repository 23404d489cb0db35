/** Doctor facts of made-up nodes: a healthy one, and variations with one thing wrong each. */
import type { DoctorExpectations, DoctorFacts, WindowsFacts } from '../../../src/drivers/doctor/types.js';
import { dataKeeperPorts } from '../../../src/drivers/doctor/expectations.js';

export const healthyWindows = (): WindowsFacts => ({
  psVersion: '5.1.17763.5830',
  features: { 'Web-Server': true, 'Web-Scripting-Tools': true, 'Web-Ftp-Server': true, 'SMTP-Server': false },
  modules: { IISAdministration: true, WebAdministration: true },
  services: {
    W3SVC: { state: 'Running', startType: 'Automatic' },
    WAS: { state: 'Running', startType: 'Automatic' },
    FTPSVC: { state: 'Running', startType: 'Automatic' },
    ExtMirrSvc: { state: 'Running', startType: 'Automatic' },
  },
  datakeeper: {
    extMirrBase: 'C:\\Program Files (x86)\\SIOS\\DataKeeper',
    emcmdPath: 'C:\\Program Files (x86)\\SIOS\\DataKeeper\\emcmd.exe',
    emcmdPresent: true,
  },
  interfaces: [
    { alias: 'Public', status: 'Up' },
    { alias: 'Replication', status: 'Up' },
  ],
  firewall: {
    profiles: [
      { name: 'Domain', enabled: true },
      { name: 'Private', enabled: true },
      { name: 'Public', enabled: true },
    ],
    inboundAllow: [
      { name: 'WinHA agent', protocol: 'TCP', localPorts: ['9180'] },
      { name: 'DataKeeper TCP', protocol: 'TCP', localPorts: ['139', '445', '9999', '10000-10025'] },
      { name: 'DataKeeper UDP', protocol: 'UDP', localPorts: ['137', '138'] },
    ],
  },
});

export const expectations = (over: Partial<DoctorExpectations> = {}): DoctorExpectations => ({
  node: 'node1',
  nodeDeclared: true,
  interfaces: ['Public', 'Replication'],
  needsFtp: true,
  needsSmtp: false,
  mirrorVolumes: ['E', 'F'],
  peers: [
    { node: 'node2', role: 'management', address: '192.168.10.12', port: 445 },
    { node: 'node2', role: 'replication', address: '172.16.0.12', port: 9999 },
  ],
  agentPort: 9180,
  dataKeeperPorts: dataKeeperPorts(['E', 'F']),
  maxClockOffsetMs: 1000,
  ...over,
});

export const facts = (windows: DoctorFacts['windows'] = healthyWindows(), over: Partial<DoctorFacts> = {}): DoctorFacts => ({
  powershellPath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
  windows,
  reachability: [
    { node: 'node2', role: 'management', address: '192.168.10.12', port: 445, reachable: true },
    { node: 'node2', role: 'replication', address: '172.16.0.12', port: 9999, reachable: true },
  ],
  store: { url: 'etcd://10.0.0.5:2379', reachable: true, localTimeMs: 1_000_000 },
  ...over,
});
