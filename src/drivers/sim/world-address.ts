/**
 * Addresses of a world server: `127.0.0.1:7000`, `:7000`, `7000`,
 * `localhost:7000`, `[::1]:7000`. Loopback only: the world server has no
 * authentication, so it must never be reachable from another machine.
 */

export interface WorldAddress {
  host: string;
  port: number;
}

/** A bad address, with a stable id for messages and tests. */
export class WorldAddressError extends Error {
  constructor(
    readonly id: 'world-address-invalid' | 'world-address-not-loopback',
    message: string,
  ) {
    super(message);
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Parse a world address; `allowPortZero` for --listen (an ephemeral port). */
export function parseWorldAddress(text: string, allowPortZero = false): WorldAddress {
  const t = text.trim();
  let host = '127.0.0.1';
  let portText = t;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2]!;
  } else if (t.includes(':')) {
    const i = t.lastIndexOf(':');
    host = t.slice(0, i) || '127.0.0.1';
    portText = t.slice(i + 1);
  }
  if (!/^\d{1,5}$/.test(portText)) {
    throw new WorldAddressError('world-address-invalid', `world address ${JSON.stringify(text)}: expected HOST:PORT, e.g. 127.0.0.1:7000`);
  }
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) {
    throw new WorldAddressError(
      'world-address-invalid',
      `world address ${JSON.stringify(text)}: port must be 1–65535${allowPortZero ? ' (or 0 for any free port)' : ''}`,
    );
  }
  if (!LOOPBACK.has(host.toLowerCase())) {
    throw new WorldAddressError(
      'world-address-not-loopback',
      `world address ${JSON.stringify(text)}: the simulated world is served on loopback only (127.0.0.1, ::1 or localhost); it has no authentication`,
    );
  }
  return { host: host.toLowerCase() === 'localhost' ? '127.0.0.1' : host, port };
}

export function formatWorldAddress(a: WorldAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
