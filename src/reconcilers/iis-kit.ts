/**
 * The IIS Recovery Kit's algorithms (docs/spec/seed-iis.md §6), re-expressed
 * idempotently over the HostDriver: restore, remove, recover, quickCheck,
 * deepCheck. Each returns the kit's codes instead of throwing, so the agent
 * can emit one Event per code.
 */
import { DEFAULT_DEEP_CHECK_TIMEOUT_SECONDS } from '../api/defaults.js';
import type { IISSite } from '../api/types.js';
import { isDriverError, ServiceState, type CallOptions, type HostDriver, type ServiceName, type SiteInfo } from '../drivers/types.js';
import { SecretError, type Credentials, type SecretSource } from './secrets.js';

export interface KitOutcome {
  ok: boolean;
  /** Codes in the order the kit logs them (e.g. [9422, 9408]). */
  codes: number[];
  message: string;
  /** The failure came from a driver error classed transient (worth a retry on the same node). */
  transient?: boolean;
  /** Warnings that are not failures (9563, 9773). */
  warning?: { code: number; message: string };
}

const SERVICES: Record<string, ServiceName> = { Web: 'W3SVC', FTP: 'FTPSVC', SMTP: 'SMTPSVC' };

export function serviceOf(site: IISSite): ServiceName {
  return SERVICES[site.spec.service ?? 'Web'] ?? 'W3SVC';
}

export async function findSite(driver: HostDriver, siteName: string, o: CallOptions): Promise<SiteInfo | undefined> {
  // A check reads only its own site when the driver can (issue 15: listing every site per check is what loads a node).
  if (driver.getSite) return driver.getSite(siteName, o);
  return (await driver.listSites(o)).find((s) => s.name.toLowerCase() === siteName.toLowerCase());
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** restore (§6.3): 9414 → service start (9409) → 9420 → 9422 → start → verify 9706 → 9407 / 9408. */
export async function restore(driver: HostDriver, site: IISSite, o: CallOptions, serviceTimeoutMs: number): Promise<KitOutcome> {
  const name = site.spec.siteName;
  const failed = (code: number, m: string, e?: unknown): KitOutcome => ({
    ok: false,
    codes: [code, 9408],
    message: m,
    ...(isDriverError(e) && e.transient ? { transient: true } : {}),
  });
  try {
    if (!(await findSite(driver, name, { ...o, kitOperation: 'restore' })))
      return failed(9414, `IIS site ${name} not found in the current IIS metadata on ${driver.nodeName}`);
    const svc = serviceOf(site);
    const st = await driver.queryService(svc, o);
    if (st.state !== ServiceState.Running) {
      try {
        await driver.startService(svc, { ...o, timeoutMs: serviceTimeoutMs, kitOperation: 'restore' });
      } catch (e) {
        return failed(9409, `IIS service ${svc} could not be started: ${msg(e)}`, e);
      }
    }
    await driver.startSite(name, { ...o, kitOperation: 'restore' });
    return { ok: true, codes: [9407], message: `Restore resource ${name} End: Successful` };
  } catch (e) {
    if (isDriverError(e)) {
      const code =
        e.code === 'SiteNotFound'
          ? 9420
          : e.code === 'BindingConflict'
            ? 9422
            : e.code === 'SiteStartFailed' || e.code === 'BindingAddressMissing'
              ? 9706
              : (e.kitCode ?? 9706);
      return failed(code, e.message, e);
    }
    return failed(9706, msg(e));
  }
}

/** remove (§6.4): the site only, never the shared service; a missing site warns 9563 and succeeds; 10 checks, 9556. */
export async function remove(driver: HostDriver, site: IISSite, o: CallOptions, serviceTimeoutMs: number): Promise<KitOutcome> {
  const name = site.spec.siteName;
  try {
    const svc = serviceOf(site);
    const st = await driver.queryService(svc, o);
    if (st.state === ServiceState.Stopped || st.state === ServiceState.StopPending) {
      return { ok: true, codes: [9558], message: `Remove IIS resource ${name} End: Successful (service ${svc} is not running)` };
    }
    if (st.state === ServiceState.StartPending) {
      try {
        await driver.startService(svc, { ...o, timeoutMs: serviceTimeoutMs, kitOperation: 'remove' });
      } catch (e) {
        return { ok: false, codes: [9557], message: `IIS Service could not be started before stopping site ${name}: ${msg(e)}` };
      }
    }
    const stopped = await driver.stopSite(name, { ...o, kitOperation: 'remove' });
    if (!stopped) {
      return {
        ok: true,
        codes: [9558],
        message: `Remove IIS resource ${name} End: Successful`,
        warning: { code: 9563, message: `IIS site ${name} has no instance on ${driver.nodeName}; it may not exist, treated as stopped` },
      };
    }
    return { ok: true, codes: [9558], message: `Remove IIS resource ${name} End: Successful` };
  } catch (e) {
    if (isDriverError(e, 'SiteStopFailed')) return { ok: false, codes: [9556], message: e.message };
    return { ok: false, codes: [9556], message: `Unable to stop IIS site ${name} on ${driver.nodeName}: ${msg(e)}` };
  }
}

/** Deep-probe failures (no HTTP/FTP answer while the site reports Started): recovery restarts the site. */
export const UNRESPONSIVE_CODES: ReadonlySet<number> = new Set([9757, 9760]);

/**
 * recover (§6.5, with the explicit site start): service (9607) → instance (9609) → start and verify (9606).
 * `restart`: the site reports Started but does not answer (9757/9760), so it is stopped first ([S1]'s
 * "stop, then restart"; starting a Started site would change nothing).
 */
export async function recover(
  driver: HostDriver,
  site: IISSite,
  o: CallOptions,
  serviceTimeoutMs: number,
  restart = false,
): Promise<KitOutcome> {
  const name = site.spec.siteName;
  const svc = serviceOf(site);
  try {
    const st = await driver.queryService(svc, o);
    if (st.state !== ServiceState.Running) {
      try {
        await driver.startService(svc, { ...o, timeoutMs: serviceTimeoutMs, kitOperation: 'recover' });
      } catch (e) {
        return { ok: false, codes: [9607], message: `IIS service ${svc} could not be started while recovering ${name}: ${msg(e)}` };
      }
    }
    const info = await findSite(driver, name, o);
    if (!info)
      return { ok: false, codes: [9609], message: `invalid (null) instance number while recovering ${name}; the site cannot be started` };
    if (restart && info.state === 'Started') await driver.stopSite(name, { ...o, kitOperation: 'recover' });
    await driver.startSite(name, { ...o, kitOperation: 'recover' });
    return { ok: true, codes: [], message: `local recovery of ${name} succeeded` };
  } catch (e) {
    return { ok: false, codes: [9606], message: `Unable to start IIS site ${name} while recovering: ${msg(e)}` };
  }
}

/** quickCheck (§6.1): service 1/3 → 9705; no instance → 9707; not Started → 9704. */
export async function quickCheck(driver: HostDriver, site: IISSite, o: CallOptions): Promise<KitOutcome> {
  return (await quick(driver, site, o)).outcome;
}

/** quickCheck, with the site as it read it (the deep check probes its bindings without reading it again). */
async function quick(driver: HostDriver, site: IISSite, o: CallOptions): Promise<{ outcome: KitOutcome; info?: SiteInfo }> {
  const name = site.spec.siteName;
  const svc = serviceOf(site);
  const st = await driver.queryService(svc, { ...o, kitOperation: 'quickCheck' });
  if (st.state === ServiceState.Stopped || st.state === ServiceState.StopPending) {
    return { outcome: { ok: false, codes: [9705], message: `IIS service ${svc} is not running (state ${st.state})` } };
  }
  const info = await findSite(driver, name, o);
  if (!info) return { outcome: { ok: false, codes: [9707], message: `IIS site ${name} not found (no instance number)` } };
  if (info.state !== 'Started') return { outcome: { ok: false, codes: [9704], message: `IIS site ${name} is ${info.state}` }, info };
  return { outcome: { ok: true, codes: [], message: 'quickCheck passed' }, info };
}

/** deepCheck (§6.2): quickCheck, then an HTTP/FTP answer on the binding's IP:port; a binding without IP only warns 9773. */
export async function deepCheck(driver: HostDriver, site: IISSite, o: CallOptions, secrets?: SecretSource): Promise<KitOutcome> {
  const { outcome: q, info } = await quick(driver, site, o);
  if (!q.ok) return q;
  const service = site.spec.service ?? 'Web';
  if (service === 'SMTP') return { ok: true, codes: [], message: 'SMTP has no deep probe' };
  const binding = info?.bindings.find((b) => (service === 'FTP' ? b.protocol === 'ftp' : b.protocol === 'http' || b.protocol === 'https'));
  if (!binding || binding.address === '*' || binding.address === '') {
    return {
      ok: true,
      codes: [],
      message: 'deep check skipped',
      warning: {
        code: 9773,
        message: `IIS site ${site.spec.siteName}: configuration does not include an IP address; deep check validation cannot be completed`,
      },
    };
  }
  const opts = {
    ...o,
    kitOperation: 'deepCheck' as const,
    timeoutMs: (site.spec.checks?.http?.timeoutSeconds ?? DEFAULT_DEEP_CHECK_TIMEOUT_SECONDS) * 1000,
  };
  if (service === 'FTP') {
    const ftp = site.spec.checks?.ftp;
    let login: Credentials | undefined;
    if (ftp?.login === 'credentials') {
      const ref = ftp.credentialsSecretRef ?? '';
      try {
        if (!secrets) throw new SecretError(`secret ${ref}: this agent has no secrets directory`);
        login = await secrets.credentials(ref);
      } catch (e) {
        if (!(e instanceof SecretError)) throw e;
        // Incomplete, not failed: every node would fail alike, and an anonymous login in its place proves nothing.
        const message = `IIS site ${site.spec.siteName}: FTP deep check cannot log in: ${e.message}; deep check validation cannot be completed [${e.id}]`;
        return { ok: true, codes: [], message: 'deep check skipped', warning: { code: 9773, message } };
      }
    }
    const ftpOpts = { ...opts, timeoutMs: (ftp?.timeoutSeconds ?? DEFAULT_DEEP_CHECK_TIMEOUT_SECONDS) * 1000 };
    const r = await driver.probeFtp({ address: binding.address, port: binding.port, ...(login ?? {}) }, ftpOpts);
    return r.alive
      ? { ok: true, codes: [], message: 'FTP login succeeded' }
      : { ok: false, codes: [9760], message: `FTP login failed: ${r.responseLines.join(' / ')}` };
  }
  const r = await driver.probeHttp(
    {
      address: binding.address,
      port: binding.port,
      hostHeader: binding.hostHeader,
      path: site.spec.checks?.http?.path ?? '/',
      tls: binding.protocol === 'https',
    },
    opts,
  );
  return r.alive
    ? { ok: true, codes: [], message: `HTTP answer ${r.statusCode ?? ''}`.trim() }
    : { ok: false, codes: [r.kitCode ?? 9757], message: `Cannot get a valid connection to the http site: ${r.detail}` };
}
