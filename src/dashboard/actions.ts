/**
 * The dashboard's actions (switchover, maintenance, clear of a group): off unless `--allow-actions`, and then only
 * for a POST carrying the bearer token, a JSON body, and (when a browser sends one) an Origin equal to the Host —
 * a page of another site can send none of those without a CORS preflight this server never answers. Each action is
 * the function the CLI calls (src/apply/operate.ts): the same checks (mirror gate, node of the group) and messages.
 */
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Clock } from '../lib/clock.js';
import { uuid } from '../lib/random.js';
import type { ObjectStore } from '../store/types.js';
import { clearGroup, requestSwitchover, setMaintenance, type OperateResult } from '../apply/operate.js';

export interface ActionsConfig {
  token: string;
  objects: ObjectStore;
  clock: Clock;
}

/** A JSON answer: status, a stable code and a sentence. */
export interface Answer {
  status: number;
  body: { ok: boolean; code: string; message: string };
}

const answer = (status: number, code: string, message: string, ok = false): Answer => ({ status, body: { ok, code, message } });

export const MAX_BODY_BYTES = 4096;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (\S+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A cross-site request: an Origin that is not this server (the Host the browser connected to). */
export function crossOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false; // curl, scripts: no browser, no ambient credentials to abuse
  return origin !== `http://${req.headers.host ?? ''}`;
}

async function readBody(req: http.IncomingMessage): Promise<string | Answer> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) return answer(413, 'dashboard-body-too-large', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Check a POST to /api/actions/ACTION and run it. `config` undefined: this server is read-only. */
export async function runAction(req: http.IncomingMessage, action: string, config: ActionsConfig | undefined): Promise<Answer> {
  if (!config) {
    req.resume();
    return answer(
      403,
      'dashboard-read-only',
      'this dashboard is read-only: start it with --allow-actions to switch over, clear or set maintenance',
    );
  }
  if (crossOrigin(req)) {
    req.resume();
    return answer(403, 'dashboard-cross-origin', `Origin ${req.headers.origin} is not this dashboard (http://${req.headers.host ?? '?'})`);
  }
  if (!tokenMatches(req.headers.authorization, config.token)) {
    req.resume();
    return answer(401, 'dashboard-token-required', 'send the token printed at start (or in --token-file) as "Authorization: Bearer TOKEN"');
  }
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    req.resume();
    return answer(415, 'dashboard-json-required', 'send the action as a JSON body (Content-Type: application/json)');
  }
  const text = await readBody(req);
  if (typeof text !== 'string') return text;
  let body: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    body = v as Record<string, unknown>;
  } catch {
    return answer(400, 'dashboard-bad-body', 'the body is not a JSON object');
  }
  const field = (k: string): string | undefined => (typeof body[k] === 'string' && NAME.test(body[k]) ? body[k] : undefined);
  const namespace = field('namespace') ?? 'default';
  const group = field('group');
  if (!group) return answer(400, 'dashboard-bad-body', 'name the group: {"group": "web", "namespace": "default"}');
  let r: OperateResult;
  if (action === 'switchover') {
    const to = field('to');
    if (!to) return answer(400, 'dashboard-bad-body', 'name the destination node: {"group": "web", "to": "node2"}');
    // Never forced from a browser: promoting past the mirror gate is a CLI decision (winha switchover --force).
    r = await requestSwitchover(config.objects, {
      namespace,
      group,
      to,
      force: false,
      id: uuid(),
      requestedAt: new Date(config.clock.now()).toISOString(),
    });
  } else if (action === 'maintenance') {
    if (typeof body['enabled'] !== 'boolean') return answer(400, 'dashboard-bad-body', 'say {"enabled": true} or {"enabled": false}');
    r = await setMaintenance(config.objects, { namespace, group, enabled: body['enabled'] });
  } else if (action === 'clear') {
    r = await clearGroup(config.objects, { namespace, group });
  } else {
    return answer(404, 'dashboard-unknown-action', `no action ${JSON.stringify(action)} (switchover, maintenance, clear)`);
  }
  return r.ok ? answer(200, 'ok', r.message, true) : answer(409, 'dashboard-action-refused', r.message);
}
