/**
 * Outputs for each contract situation, as the Windows driver's commands print
 * them: the scripts' `{"ok":…}` JSON documents and emcmd text in the formats
 * of docs/spec/seed003-datakeeper.md §7.2. No Windows host was available to this
 * project yet, so these are reconstructed from the spec's samples and the
 * scripts' output shapes; replace them with captures from a real node when one exists.
 */
import type { Situation } from './contract.js';
import { psValue, text, type Recording } from './scripted-runner.js';

const web1 = (state: string) => ({
  id: 1,
  name: 'web1',
  state,
  ftpState: null,
  bindings: [{ protocol: 'http', bindingInformation: '10.0.0.50:80:www.example.com', certificateHash: '' }],
  physicalPath: 'E:\\wwwroot\\web1',
  applicationPool: 'web1',
  serverAutoStart: false,
});
const squatter = {
  id: 2,
  name: 'squatter',
  state: 'Started',
  ftpState: null,
  bindings: [{ protocol: 'http', bindingInformation: '10.0.0.50:80:www.example.com', certificateHash: '' }],
  physicalPath: 'C:\\inetpub\\squatter',
  applicationPool: 'DefaultAppPool',
  serverAutoStart: false,
};
const addresses = [
  { address: '10.0.0.11', prefixLength: 24, interfaceAlias: 'Ethernet', addressState: 'Preferred', skipAsSource: false },
  { address: '10.0.0.50', prefixLength: 24, interfaceAlias: 'Ethernet', addressState: 'Preferred', skipAsSource: true },
];
const w3svc = { name: 'W3SVC', state: 4, startType: 'Automatic' };

export const RECORDINGS: Record<Situation, Recording> = {
  webNodeReady: {
    'ps:service.query': [psValue(w3svc)],
    'ps:site.list': [psValue([web1('Stopped')])],
    'ps:site.start': [psValue({ outcome: 'ran', site: web1('Started') })],
    'ps:net.addresses': [psValue(addresses)],
  },
  webSiteServing: {
    'ps:site.list': [psValue([web1('Started')])],
    'ps:site.stop': [psValue({ outcome: 'checked', site: web1('Stopped') })],
    'ps:probe.http': [psValue({ outcome: 'answer', statusCode: 200 })],
    'ps:probe.tcp': [psValue({ alive: true })],
  },
  bindingHeld: {
    'ps:site.list': [psValue([web1('Stopped'), squatter])],
  },
  noSites: {
    'ps:site.list': [psValue([])],
    'ps:site.stop': [psValue({ outcome: 'notFound' })],
    // Not an IIS site, so the driver asks the SMTP metabase next (ps/lib/smtp.ps1): no such virtual server either.
    'ps:smtp.stop': [psValue({ outcome: 'notFound' })],
    'ps:probe.http': [psValue({ outcome: 'connectFailed', status: 'ConnectFailure', message: 'Unable to connect to the remote server' })],
    'ps:probe.ftp': [psValue({ lines: ['ERROR No connection could be made because the target machine actively refused it 10.0.0.50:21'] })],
  },
  vipClaimedElsewhere: {
    'ps:net.claimed': [psValue({ claimed: true, byMac: 'AA-BB-CC-00-00-01' })],
    'ps:net.interfaces': [psValue([{ alias: 'Ethernet', index: 6, status: 'Up', macAddress: '00-15-5D-00-00-06' }])],
    'ps:net.add': [
      psValue({
        outcome: 'present',
        interfaceIndex: 6,
        address: {
          address: '10.0.0.50',
          prefixLength: 24,
          interfaceAlias: 'Ethernet',
          addressState: 'Duplicate',
          skipAsSource: true,
          interfaceIndex: 6,
        },
      }),
    ],
  },
  mirrorSource: {
    'emcmd:GETMIRRORVOLINFO': [text('E: 1 node1 10.0.0.12 1\r\n')],
    'emcmd:GETMIRRORTYPE': [text('Target system 10.0.0.12, Type 1\r\n')],
    'emcmd:PAUSEMIRROR': [text('Status = 0\r\n')],
  },
  mirrorTargetPaused: {
    'emcmd:GETMIRRORVOLINFO': [text('E: 2 node2 10.0.0.11 4\r\n')],
    'emcmd:GETMIRRORTYPE': [text('Target system 10.0.0.11, Type 1\r\n')],
  },
  mirrorResyncing: {
    'emcmd:GETMIRRORVOLINFO': [text('E: 1 node1 10.0.0.12 2\r\n')],
    'emcmd:GETMIRRORTYPE': [text('Target system 10.0.0.12, Type 1\r\n')],
    'emcmd:GETRESYNCSTATUS': [
      text(
        [
          'Resync Status for Volume E:',
          'Target 0 (Target System 10.0.0.12)',
          'ResyncPhase : 2',
          'BitmapPass : 0',
          'NumberOfBlocks : 8192',
          'DirtyBlocks : 1024',
          'CurrentBlock : 1023',
          'NewWrites : 0',
          'ResyncStartTime : Thu Jan 01 00:00:05 2026',
          'LastResyncTime : Thu Jan 01 00:00:06 2026',
          '',
        ].join('\r\n'),
      ),
    ],
  },
  noMirror: {
    // Printing nothing reads as "not mirrored" only when both volume listings leave E: out.
    'emcmd:GETMIRRORVOLINFO': [text('\r\n')],
    'emcmd:GETSOURCEMIRROREDVOLUMES': [text('Status = 0\r\n')],
    'emcmd:GETTARGETMIRROREDVOLUMES': [text('** Calling GetTargetMirroredVolumes **\r\nReturned 0 Target Volumes\r\n')],
  },
};
