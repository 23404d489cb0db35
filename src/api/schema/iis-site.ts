/**
 * The IISSite kind: an IIS site (Web, FTP or SMTP) protected by WinHA.
 * Part of the API's single source of truth; re-exported by ../schema.ts.
 */
import { Type, Str, Int, Bool, Obj, OpenObj, List, StringEnum, DNS_SUBDOMAIN } from '../schema-helpers.js';
import { CheckIntervals, Conditions } from './common.js';

export const IIS_SERVICES = { Web: 'W3SVC', FTP: 'FTPSVC', SMTP: 'SMTPSVC' } as const;

export const SiteBinding = Obj(
  {
    protocol: StringEnum(['http', 'https', 'ftp', 'ftps', 'smtp'] as const, { description: 'Binding protocol.' }),
    address: Str('The virtual IP the binding listens on; must be a VirtualIP of the site\'s group (the kit refuses "*").', {
      minLength: 1,
      maxLength: 45,
    }),
    port: Int('TCP port of the binding.', { minimum: 1, maximum: 65535 }),
    hostHeader: Type.Optional(
      Str('Host header of the binding ("" for none); compared byte for byte on every node.', { maxLength: 253, default: '' }),
    ),
    certificateThumbprint: Type.Optional(
      Str('SHA-1 thumbprint of the certificate for https/ftps; it must be present with its private key on every node.', {
        pattern: '^[0-9A-Fa-f]{40}$',
      }),
    ),
    certificateStore: Type.Optional(
      StringEnum(['My', 'WebHosting'] as const, {
        description: 'Certificate store of LocalMachine holding the certificate.',
        default: 'My',
      }),
    ),
    sni: Type.Optional(Bool('Require Server Name Indication for this https binding.', { default: false })),
  },
  'An IIS binding: protocol and IP:port:host.',
  { required: ['protocol', 'address', 'port'] },
);

export const IISSiteSpec = Obj(
  {
    group: Str('The FailoverGroup the site moves with.', { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN }),
    siteName: Str('The IIS site name, identical on every node (IIS kit: letters, digits and "-" only).', {
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9-]+$',
    }),
    service: Type.Optional(
      StringEnum(['Web', 'FTP', 'SMTP'] as const, {
        description:
          'The IIS service that runs the site: Web (W3SVC), FTP (FTPSVC) or SMTP (SMTPSVC). WinHA stops sites, never the shared service.',
        default: 'Web',
      }),
    ),
    bindings: List(SiteBinding, "The site's bindings; each names a virtual IP of the group.", { minItems: 1, maxItems: 64 }),
    physicalPath: Type.Optional(
      Str('Local path of the site content, on a mirrored volume of the group (e.g. E:\\sites\\web1); UNC paths are refused.', {
        minLength: 1,
        maxLength: 260,
      }),
    ),
    applicationPool: Type.Optional(
      Str('Application pool of a Managed Web site (default: the site name).', { minLength: 1, maxLength: 64 }),
    ),
    management: Type.Optional(
      StringEnum(['Managed', 'Adopted'] as const, {
        description:
          'Managed: WinHA creates and updates the site identically on every node. Adopted: the site exists already; WinHA only verifies it.',
        default: 'Managed',
      }),
    ),
    checks: Type.Optional(
      Obj(
        {
          ...CheckIntervals,
          http: Type.Optional(
            Obj(
              {
                path: Type.Optional(Str('Path requested by the deep check.', { default: '/', pattern: '^/' })),
                timeoutSeconds: Type.Optional(Int('Deep-check timeout.', { minimum: 1, maximum: 300, default: 10 })),
              },
              "HTTP deep check: any HTTP answer on VIP:port with the host header counts as alive (the kit's pollsite).",
            ),
          ),
          ftp: Type.Optional(
            Obj(
              {
                login: Type.Optional(
                  StringEnum(['anonymous', 'credentials'] as const, {
                    description: 'Log in anonymously or with the referenced credentials; success is a line starting "230 ".',
                    default: 'anonymous',
                  }),
                ),
                credentialsSecretRef: Type.Optional(
                  Str('Name of the secret holding the FTP user and password (never logged).', { minLength: 1, maxLength: 253 }),
                ),
                timeoutSeconds: Type.Optional(Int('Deep-check timeout.', { minimum: 1, maximum: 300, default: 10 })),
              },
              'FTP deep check.',
            ),
          ),
        },
        "Health checks of the site; intervals default to the Cluster's.",
      ),
    ),
    localRecovery: Type.Optional(
      Bool("On a failed check, restart the service and the site locally (up to the group's restartLimit) before failing over.", {
        default: true,
      }),
    ),
    serviceStartTimeoutSeconds: Type.Optional(
      Int('How long to wait for the IIS service to reach Running.', { minimum: 1, maximum: 3600, default: 60 }),
    ),
    stateVerifyAttempts: Type.Optional(
      Int('Checks of the site state after a stop or recovery (the kit makes 10).', { minimum: 1, maximum: 100, default: 10 }),
    ),
  },
  'An IIS site (Web, FTP or SMTP) protected by WinHA.',
  { required: ['group', 'siteName', 'bindings'] },
);

export const IISSiteStatus = OpenObj(
  {
    observedGeneration: Type.Optional(Int('The generation of spec this status describes.')),
    activeNode: Type.Optional(Str('Node where the site is expected to run.')),
    nodes: Type.Optional(
      List(
        OpenObj(
          {
            name: Str('Node name.'),
            exists: Bool('Whether the site exists in IIS on the node.'),
            state: Type.Optional(Str('IIS site state: Started, Stopped, Starting, Stopping, Unknown.')),
            serverAutoStart: Type.Optional(Bool('IIS serverAutoStart of the site on the node (off on standbys).')),
            serviceState: Type.Optional(Int("Windows service state code of the site's service, 1–7.", { minimum: 1, maximum: 7 })),
            fingerprint: Type.Optional(Str('Hash of the site identity (name, bindings, path); equal on every node.')),
          },
          'The site as seen on one node.',
          { required: ['name', 'exists'] },
        ),
        'Per-node observation.',
        { listType: 'map', listMapKeys: ['name'] },
      ),
    ),
    lastQuickCheck: Type.Optional(
      OpenObj(
        { time: Str('When.'), result: Str('Pass, Fail or Warning.'), code: Type.Optional(Int('IIS-kit code.')) },
        'Last quick check.',
        { required: ['time', 'result'] },
      ),
    ),
    lastDeepCheck: Type.Optional(
      OpenObj(
        { time: Str('When.'), result: Str('Pass, Fail or Warning.'), code: Type.Optional(Int('IIS-kit code.')) },
        'Last deep check.',
        { required: ['time', 'result'] },
      ),
    ),
    conditions: Type.Optional(Conditions),
  },
  'IISSite status, written by the agents.',
);
