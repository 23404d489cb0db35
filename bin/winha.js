#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli (compiled to dist/src/cli).
import { main } from '../dist/src/cli/main.js';

// Once the work is done and the event loop is idle, end explicitly: Node 20 can spin forever in its exit-time
// handle cleanup after gRPC/HTTP2 use (nodejs/node#47748; the etcd store is gRPC). Everything is written by then.
const exitWhenIdle = () => process.once('beforeExit', () => process.exit());
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; exitWhenIdle(); },
  (err) => { process.stderr.write(`winha: internal error: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; exitWhenIdle(); },
);
