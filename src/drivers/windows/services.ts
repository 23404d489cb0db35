/** Windows services (W3SVC, WAS, FTPSVC, SMTPSVC) through the service.* scripts. */
import { DriverError } from '../errors.js';
import {
  ServiceState,
  type CallOptions,
  type ServiceName,
  type ServiceStartMode,
  type ServiceStateCode,
  type ServiceStatus,
} from '../types.js';
import type { WindowsDriverContext } from './driver-context.js';
import type { PowerShellFailure } from './powershell.js';

const SERVICE_NAMES: ReadonlySet<string> = new Set(['W3SVC', 'WAS', 'FTPSVC', 'SMTPSVC']);

export function queryService(ctx: WindowsDriverContext, name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
  return ctx.run('queryService', o, async (signal) =>
    toServiceStatus(await ctx.ps('queryService', 'service.query', { name: checkService(name) }, o, signal, serviceFailure(name, 'query'))),
  );
}

export function startService(ctx: WindowsDriverContext, name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
  return ctx.run('startService', o, async (signal) => {
    const s = toServiceStatus(
      await ctx.ps(
        'startService',
        'service.start',
        { name: checkService(name), waitMs: ctx.waitMs(o) },
        o,
        signal,
        serviceFailure(name, 'start'),
      ),
    );
    if (s.state !== ServiceState.Running) {
      throw new DriverError({
        code: 'ServiceStartFailed',
        message: `service ${name} did not start (state ${s.state})`,
        detail: { state: s.state },
      });
    }
    return s;
  });
}

export function stopService(ctx: WindowsDriverContext, name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
  return ctx.run('stopService', o, async (signal) =>
    toServiceStatus(
      await ctx.ps(
        'stopService',
        'service.stop',
        { name: checkService(name), waitMs: ctx.waitMs(o) },
        o,
        signal,
        serviceFailure(name, 'stop'),
      ),
    ),
  );
}

// ───────────── decoding ─────────────

function checkService(name: string): ServiceName {
  if (!SERVICE_NAMES.has(name))
    throw new DriverError({ code: 'InvalidArgument', message: `service ${JSON.stringify(name)} is not one WinHA manages` });
  return name as ServiceName;
}

function serviceFailure(name: ServiceName, action: 'query' | 'start' | 'stop') {
  return (f: PowerShellFailure): DriverError | undefined => {
    if (/NoServiceFoundForGivenName/i.test(f.id) || /Cannot find any service/i.test(f.message)) {
      return new DriverError({ code: 'ServiceNotFound', message: `service ${name} is not installed` });
    }
    if (action === 'query') return undefined;
    if (/TimeoutException/i.test(f.type) || /ServiceCommandException|InvalidOperationException/i.test(f.type)) {
      return new DriverError({
        code: action === 'start' ? 'ServiceStartFailed' : 'ServiceStopFailed',
        message: `service ${name} did not ${action}: ${f.message}`,
      });
    }
    return undefined;
  };
}

function toServiceStatus(raw: unknown): ServiceStatus {
  const r = raw as { name?: unknown; state?: unknown; startType?: unknown };
  const state = Number(r.state);
  if (!Number.isInteger(state) || state < 1 || state > 7)
    throw new DriverError({ code: 'ParseError', message: `service state ${String(r.state)} is not a SERVICE_STATUS code 1–7` });
  const startType = String(r.startType);
  const startMode: ServiceStartMode =
    startType === 'Automatic' || startType === 'Auto' ? 'Auto' : startType === 'Disabled' ? 'Disabled' : 'Manual';
  return { name: checkService(String(r.name).toUpperCase()), state: state as ServiceStateCode, startMode };
}
