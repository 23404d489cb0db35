/**
 * The cloud as an agent on a simulated host reaches it: instance metadata through `cloud.imds`, and a real
 * @aws-sdk/client-ec2 client whose HTTP handler carries each signed request to the world's `cloud.ec2` (the same
 * EC2 Query API the loopback endpoint serves) instead of a socket. No real timers: a request the world leaves
 * hanging waits for the caller's abortSignal (the mover's deadline runs on the injected clock).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../../cloud/aws/mover.js';
import type { CloudAccess, InstanceMetadata } from '../../cloud/types.js';
import { callWorld, type WorldApi } from './world-protocol.js';

/** Fake static keys: the SDK signs with them, the world checks only that a signature is there. */
const SIM_CREDENTIALS = { accessKeyId: 'AKIDSIMULATEDWORLD00', secretAccessKey: 'simulated-world-secret-not-a-real-key' };

/** What the SDK hands its HTTP handler (the fields this handler reads). */
interface SdkRequest {
  method: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** The SDK's abort signal: a DOM AbortSignal, or its own older shape with onabort. */
interface SdkAbortSignal {
  aborted: boolean;
  reason?: unknown;
  onabort?: ((this: unknown, ev: unknown) => unknown) | null;
  addEventListener?: (type: 'abort', listener: () => void, options?: { once?: boolean }) => void;
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  throw new Error(`sim EC2 transport: unsupported request body ${typeof body}`);
}

function abortError(signal: { reason?: unknown }): Error {
  const e = new Error(`the request was aborted${signal.reason instanceof Error ? `: ${signal.reason.message}` : ''}`);
  e.name = 'AbortError';
  return e;
}

/** Settles when the signal fires (never without one): how a request nobody answers ends. */
function untilAborted(signal: SdkAbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => reject(abortError(signal));
    if (signal.addEventListener) signal.addEventListener('abort', onAbort, { once: true });
    else signal.onabort = onAbort;
  });
}

/** An SDK HTTP handler that sends each request through the world protocol as `host`. */
export function simEc2RequestHandler(api: WorldApi, host: string) {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: SdkRequest, options?: { abortSignal?: SdkAbortSignal }) {
      const signal = options?.abortSignal;
      if (signal?.aborted) throw abortError(signal);
      const signed = Object.keys(request.headers).some((k) => k.toLowerCase() === 'authorization');
      const answer = await Promise.race([
        callWorld(api, 'cloud.ec2', { host, body: bodyText(request.body), signed }),
        untilAborted(signal),
      ]);
      if ('hang' in answer) return untilAborted(signal);
      // The HttpResponse shape the SDK checks (statusCode, headers) and collects (a Uint8Array body).
      return {
        response: {
          statusCode: answer.status,
          reason: undefined,
          headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': answer.requestId },
          body: new TextEncoder().encode(answer.body),
        },
      };
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs(): Record<string, never> {
      return {};
    },
    destroy(): void {},
  };
}

/** An EC2 client for the region that talks to the simulated world as `host` (no retries: the mover's run on its clock). */
export function simEc2Client(api: WorldApi, host: string, region: string): EC2Client {
  return createEc2Client({
    region,
    endpoint: `http://ec2.${region}.sim.invalid`,
    credentials: SIM_CREDENTIALS,
    requestHandler: simEc2RequestHandler(api, host),
  });
}

/** The instance metadata service of `host`: the text at /latest/<path>, undefined for a 404. */
export function simInstanceMetadata(api: WorldApi, host: string): InstanceMetadata {
  return {
    async get(path: string, signal?: AbortSignal): Promise<string | undefined> {
      if (signal?.aborted) throw abortError(signal);
      const text = await callWorld(api, 'cloud.imds', { host, path });
      return text ?? undefined;
    },
  };
}

/** Everything an agent on `host` reaches in the simulated cloud. */
export function simCloudAccess(api: WorldApi, host: string): CloudAccess {
  return { metadata: simInstanceMetadata(api, host), ec2: (region) => simEc2Client(api, host, region) };
}
