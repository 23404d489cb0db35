/**
 * gRPC sets the TLS servername (SNI) to the target host even when it is an IP
 * address, which RFC 6066 forbids and Node answers with a DEP0123 warning on
 * stderr. SNI is only meant for DNS names: for an IP the servername is dropped
 * (the certificate is still checked against the IP, Node's `host`).
 */
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type * as Tls from 'node:tls';

// The CommonJS module object gRPC calls through (an ES import's bindings cannot be replaced).
const tls = createRequire(import.meta.url)('node:tls') as typeof Tls & { __winhaSniForDnsOnly?: boolean };

/** Options without an IP servername (unchanged otherwise). */
export function dnsOnlyServername<T extends Tls.ConnectionOptions>(options: T): T {
  if (typeof options.servername !== 'string' || isIP(options.servername) === 0) return options;
  const { servername: _ip, ...rest } = options;
  return rest as T;
}

/** Installs the rule once per process. */
export function sniForDnsNamesOnly(): void {
  if (tls.__winhaSniForDnsOnly) return;
  const original = tls.connect;
  const connect = (...args: unknown[]): Tls.TLSSocket => {
    const i = args.findIndex((a) => typeof a === 'object' && a !== null);
    if (i >= 0) args[i] = dnsOnlyServername(args[i] as Tls.ConnectionOptions);
    return (original as (...a: unknown[]) => Tls.TLSSocket)(...args);
  };
  tls.connect = connect;
  tls.__winhaSniForDnsOnly = true;
}
