/**
 * A stand-in for ps/winha-host.ps1 that speaks the same protocol (hello line, one JSON request per line, one JSON
 * answer per line, ASCII only), so the agent's host client is tested on Linux against a real child process.
 * Besides host.ping it knows test operations (echo, hang, crash, stray output, a huge line, a reported failure), and
 * with WINHA_STANDIN_RECORDING=<file> it answers driver operations from a recording ({"site.list":[answer, …]}:
 * consumed in order, the last repeats) like test/drivers/scripted-runner.ts does in process.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

type Answer = { ok: true; value: unknown } | { ok: false; error: { type: string; message: string; id: string } };

const env = process.env;
const recording: Record<string, Answer[]> = env['WINHA_STANDIN_RECORDING']
  ? (JSON.parse(readFileSync(env['WINHA_STANDIN_RECORDING'], 'utf8')) as Record<string, Answer[]>)
  : {};
let served = 0;

function write(doc: unknown): void {
  const line = JSON.stringify(doc).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  process.stdout.write(`${line}\r\n`);
}

function fail(type: string, message: string): Answer {
  return { ok: false, error: { type, message, id: '' } };
}

function answer(op: string, params: Record<string, unknown>): Answer | 'hang' | 'crash' {
  switch (op) {
    case 'host.ping':
      return { ok: true, value: { pid: process.pid, served } };
    case 'test.echo':
      return { ok: true, value: params };
    case 'test.hang':
      return 'hang';
    case 'test.crash':
      return 'crash';
    case 'test.stray':
      process.stdout.write('WARNING: a cmdlet wrote to the host\r\n{not json\r\n{"id":999999,"ok":true,"value":null}\r\n');
      return { ok: true, value: 'after stray output' };
    case 'test.big':
      return { ok: true, value: 'x'.repeat(Number(params['bytes'])) };
    case 'test.fail':
      return fail('System.UnauthorizedAccessException', 'Access is denied.');
    default: {
      const q = recording[op];
      if (!q || q.length === 0) return fail('System.NotSupportedException', `unknown operation ${op}`);
      return q.length > 1 ? q.shift()! : q[0]!;
    }
  }
}

if (env['WINHA_STANDIN_HELLO'] === 'fail') {
  write({ id: 0, ok: false, error: { type: 'System.IO.FileNotFoundException', message: 'lib\\common.ps1 not found', id: '' } });
  process.exit(3);
}
if (env['WINHA_STANDIN_HELLO'] !== 'never') {
  write({ id: 0, ok: true, value: { hello: 'winha-host', protocol: 1, pid: process.pid, psVersion: 'stand-in' } });
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  let req: { id: number; op: string; params: Record<string, unknown> };
  try {
    req = JSON.parse(line) as typeof req;
  } catch {
    write({ id: null, ok: false, error: { type: 'System.ArgumentException', message: 'request is not JSON', id: '' } });
    return;
  }
  const a = answer(req.op, req.params ?? {});
  if (a === 'hang') return;
  if (a === 'crash') process.exit(7);
  served++;
  write({ id: req.id, ...a });
});
rl.on('close', () => process.exit(0));
