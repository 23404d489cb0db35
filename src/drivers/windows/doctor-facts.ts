/**
 * The Windows half of `winha doctor`'s facts: one `doctor.facts` request to
 * the PowerShell host (ps/lib/doctor.ps1), its answer checked field by field so
 * a surprise in the output is reported as such, never as a passing check.
 */
import type { WindowsFacts, WindowsUnavailable } from '../doctor/types.js';
import type { HostCallOptions, PsHost } from './ps-host/types.js';

/** What doctor.ps1 is asked to look at. */
export interface DoctorFactsParams {
  features: string[];
  services: string[];
}

export const DOCTOR_FACTS_PARAMS: DoctorFactsParams = {
  features: ['Web-Server', 'Web-Scripting-Tools', 'Web-Ftp-Server', 'SMTP-Server', 'Web-Metabase'],
  services: ['W3SVC', 'WAS', 'FTPSVC', 'SMTPSVC', 'ExtMirrSvc'],
};

export async function windowsDoctorFacts(host: PsHost, o: HostCallOptions): Promise<WindowsFacts | WindowsUnavailable> {
  let answer;
  try {
    answer = await host.call('doctor.facts', { ...DOCTOR_FACTS_PARAMS }, o);
  } catch (e) {
    return { unavailable: `the PowerShell host did not answer doctor.facts: ${(e as Error).message}` };
  }
  if (!answer.ok) return { unavailable: `doctor.facts failed in PowerShell: ${answer.error.type}: ${answer.error.message}` };
  try {
    return decodeWindowsFacts(answer.value);
  } catch (e) {
    return { unavailable: `doctor.facts answered in an unexpected shape: ${(e as Error).message}` };
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not an object`);
  return v as Obj;
}
/** ConvertTo-Json prints a one-element array as the element itself, and an empty one as null. */
function arr(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new Error(`${what} is not a string`);
  return v;
};
const bool = (v: unknown, what: string): boolean => {
  if (typeof v !== 'boolean') throw new Error(`${what} is not true/false`);
  return v;
};

export function decodeWindowsFacts(value: unknown): WindowsFacts {
  const v = obj(value, 'the answer');
  const features: Record<string, boolean> = {};
  for (const [k, x] of Object.entries(obj(v['features'] ?? {}, 'features'))) features[k] = bool(x, `features.${k}`);
  const m = obj(v['modules'], 'modules');
  const services: WindowsFacts['services'] = {};
  for (const [k, x] of Object.entries(obj(v['services'] ?? {}, 'services'))) {
    if (x === null) continue; // not installed
    const s = obj(x, `services.${k}`);
    services[k] = { state: str(s['state'], `services.${k}.state`), startType: str(s['startType'], `services.${k}.startType`) };
  }
  const dk = obj(v['datakeeper'], 'datakeeper');
  const fw = obj(v['firewall'], 'firewall');
  return {
    psVersion: str(v['psVersion'], 'psVersion'),
    features,
    modules: {
      IISAdministration: bool(m['IISAdministration'], 'modules.IISAdministration'),
      WebAdministration: bool(m['WebAdministration'], 'modules.WebAdministration'),
    },
    services,
    datakeeper: {
      extMirrBase: typeof dk['extMirrBase'] === 'string' ? dk['extMirrBase'] : '',
      emcmdPath: typeof dk['emcmdPath'] === 'string' ? dk['emcmdPath'] : '',
      emcmdPresent: bool(dk['emcmdPresent'], 'datakeeper.emcmdPresent'),
    },
    interfaces: arr(v['interfaces']).map((x, i) => {
      const n = obj(x, `interfaces[${i}]`);
      return { alias: str(n['alias'], `interfaces[${i}].alias`), status: str(n['status'], `interfaces[${i}].status`) };
    }),
    firewall: {
      profiles: arr(fw['profiles']).map((x, i) => {
        const p = obj(x, `firewall.profiles[${i}]`);
        return { name: str(p['name'], `firewall.profiles[${i}].name`), enabled: bool(p['enabled'], `firewall.profiles[${i}].enabled`) };
      }),
      inboundAllow: arr(fw['inboundAllow']).map((x, i) => {
        const r = obj(x, `firewall.inboundAllow[${i}]`);
        return {
          name: str(r['name'], `firewall.inboundAllow[${i}].name`),
          protocol: str(r['protocol'], `firewall.inboundAllow[${i}].protocol`),
          localPorts: arr(r['localPorts']).map((p) => String(p)),
        };
      }),
    },
  };
}
