/** The read-only first phase of `winha driver test`: every lookup, and the refusals that keep it off production objects. */
import type { CallOptions, HostDriver, HostDriverOperation } from '../types.js';
import type { DriverTestOptions, Refusal, StepPhase } from './driver-test.js';

export type Step = <T>(
  phase: StepPhase,
  operation: HostDriverOperation,
  call: string,
  fn: () => Promise<T>,
  describe: (v: T) => string,
) => Promise<T | undefined>;

/** Read-only calls, and the refusals they lead to: 'failed' when a call failed (nothing can be judged safe). */
export async function preflight(
  driver: HostDriver,
  opts: DriverTestOptions,
  o: CallOptions,
  step: Step,
): Promise<Refusal | 'failed' | undefined> {
  let failed = false;
  const read = async <T>(operation: HostDriverOperation, call: string, fn: () => Promise<T>, describe: (v: T) => string) => {
    const v = await step('preflight', operation, call, fn, describe);
    if (v === undefined) failed = true;
    return v;
  };
  await read('queryService', 'queryService(W3SVC)', () => driver.queryService('W3SVC', o), describeService);
  await read('queryService', 'queryService(WAS)', () => driver.queryService('WAS', o), describeService);
  const nics = await read(
    'listInterfaces',
    'listInterfaces()',
    () => driver.listInterfaces(o),
    (l) => `${l.length} interface(s)`,
  );
  const addrs = await read(
    'listAddresses',
    'listAddresses()',
    () => driver.listAddresses(o),
    (l) => `${l.length} address(es)`,
  );
  const sites = await read(
    'listSites',
    'listSites()',
    () => driver.listSites(o),
    (l) => `${l.length} site(s)`,
  );
  const claim = await read(
    'probeAddressClaimed',
    `probeAddressClaimed(${opts.address})`,
    () => driver.probeAddressClaimed(opts.address, o),
    (c) => (c.claimed ? `claimed${c.byMac ? ` by ${c.byMac}` : ''}` : 'not claimed'),
  );
  const mirror =
    opts.volume === undefined
      ? undefined
      : await read(
          'getMirrorInfo',
          `getMirrorInfo(${opts.volume})`,
          () => driver.getMirrorInfo(opts.volume!, o),
          (m) => `role ${m.role}`,
        );
  if (failed || !nics || !addrs || !sites || !claim) return 'failed';

  if (!nics.some((n) => n.alias.toLowerCase() === opts.interfaceAlias.toLowerCase())) {
    return {
      id: 'interface-missing',
      message: `no interface "${opts.interfaceAlias}" on ${driver.nodeName} (present: ${nics.map((n) => n.alias).join(', ') || 'none'}); pass --interface ALIAS`,
    };
  }
  const present = addrs.find((a) => a.address === opts.address);
  if (present) {
    return {
      id: 'address-present',
      message: `${opts.address} is already on ${driver.nodeName} (${present.interfaceAlias}): the test needs a spare address it can add and remove; pass another --address`,
    };
  }
  if (claim.claimed) {
    return {
      id: 'address-claimed',
      message: `another machine answers for ${opts.address}${claim.byMac ? ` (${claim.byMac})` : ''}: adding it would make a conflict; pass a spare --address`,
    };
  }
  const existing = sites.find((s) => s.name.toLowerCase() === opts.siteName.toLowerCase());
  if (existing && existing.physicalPath.toLowerCase() !== opts.physicalPath.toLowerCase()) {
    return {
      id: 'site-exists',
      message: `site ${existing.name} exists on ${driver.nodeName} with physical path ${existing.physicalPath}, not the scratch path ${opts.physicalPath}: the test never touches a site it did not create; pass another --site`,
    };
  }
  if (mirror && mirror.role !== 'none') {
    return {
      id: 'volume-mirrored',
      message: `volume ${opts.volume} is a mirror ${mirror.role} on ${driver.nodeName}: the test needs a disposable, unmirrored volume; pass another --volume or leave it out`,
    };
  }
  return undefined;
}

function describeService(s: { state: number; startMode: string }): string {
  const names: Record<number, string> = { 1: 'Stopped', 2: 'StartPending', 3: 'StopPending', 4: 'Running', 7: 'Paused' };
  return `${names[s.state] ?? `state ${s.state}`}, start ${s.startMode}`;
}
