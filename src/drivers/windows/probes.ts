/** HTTP, FTP and TCP liveness probes through the probe.* scripts, with the kit's deep-check codes. */
import { checkHostHeader, checkHttpPath, checkIp, checkNoLineBreaks, checkPort } from '../input-validation.js';
import type {
  CallOptions,
  FtpProbeRequest,
  FtpProbeResult,
  HttpProbeRequest,
  HttpProbeResult,
  TcpProbeRequest,
  TcpProbeResult,
} from '../types.js';
import { asArray, unexpected, type WindowsDriverContext } from './driver-context.js';

export function probeHttp(ctx: WindowsDriverContext, req: HttpProbeRequest, o: CallOptions): Promise<HttpProbeResult> {
  return ctx.run('probeHttp', o, async (signal) => {
    checkIp(req.address);
    checkPort(req.port);
    checkHostHeader(req.hostHeader);
    const path = checkHttpPath(req.path ?? '/');
    const r = await ctx.ps<{ outcome: string; statusCode?: number; status?: string; message?: string }>(
      'probeHttp',
      'probe.http',
      {
        uriHost: req.address.includes(':') ? `[${req.address}]` : req.address,
        port: req.port,
        hostHeader: req.hostHeader,
        path,
        tls: Boolean(req.tls),
        waitMs: ctx.waitMs(o),
      },
      o,
      signal,
    );
    switch (r.outcome) {
      case 'answer':
        return { alive: true, statusCode: Number(r.statusCode), detail: `HTTP ${r.statusCode}` };
      case 'connectFailed':
        return { alive: false, kitCode: 9757, detail: `connect to ${req.address}:${req.port} failed (${r.status ?? ''})` };
      case 'noAnswer':
        return { alive: false, kitCode: 9759, detail: `no HTTP answer from ${req.address}:${req.port} (${r.status ?? ''})` };
      default:
        throw unexpected('probe.http', r.outcome);
    }
  });
}

export function probeFtp(ctx: WindowsDriverContext, req: FtpProbeRequest, o: CallOptions): Promise<FtpProbeResult> {
  return ctx.run('probeFtp', o, async (signal) => {
    checkIp(req.address);
    checkPort(req.port);
    const user = checkNoLineBreaks(req.user ?? 'anonymous', 'FTP user');
    const password = checkNoLineBreaks(req.password ?? 'winha@', 'FTP password');
    const r = await ctx.ps<{ lines: string[] | string | null }>(
      'probeFtp',
      'probe.ftp',
      {
        address: req.address,
        port: req.port,
        user,
        password,
        waitMs: ctx.waitMs(o),
      },
      o,
      signal,
    );
    const responseLines = asArray(r.lines).map(String);
    // Kit deep check: login succeeded iff a response line starts with "230 " (9760 otherwise).
    return responseLines.some((l) => l.startsWith('230 '))
      ? { alive: true, responseLines }
      : { alive: false, kitCode: 9760, responseLines };
  });
}

export function probeTcp(ctx: WindowsDriverContext, req: TcpProbeRequest, o: CallOptions): Promise<TcpProbeResult> {
  return ctx.run('probeTcp', o, async (signal) => {
    const r = await ctx.ps<{ alive: boolean }>(
      'probeTcp',
      'probe.tcp',
      { address: checkIp(req.address), port: checkPort(req.port), waitMs: ctx.waitMs(o) },
      o,
      signal,
    );
    return { alive: Boolean(r.alive) };
  });
}
